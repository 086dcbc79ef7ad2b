#!/usr/bin/env python3
"""Imports every DAG file with the image's own Airflow and fails on the first sign of a broken DAG.

Run inside the image (the Dockerfile's `lint` stage), so the imports use exactly the Airflow, the
providers and the requirements the cluster will run:

    python -B scripts/lint_dags.py /opt/airflow/dags

Each .py file under the folder is imported the way Airflow's DAG processor does it: the folder on
sys.path, each file as its own module, with a time limit. It fails (exit 1) when a file raises while
importing, takes longer than the limit, looks like a DAG file (mentions both "airflow" and "dag", the
DAG processor's own heuristic) but creates no DAG, or when two files define the same dag_id; and when
the folder holds no DAG at all (a wrong path should not pass as "nothing to check").
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import signal
import sys
import traceback
from pathlib import Path

# Airflow's default [core] dagbag_import_timeout.
IMPORT_TIMEOUT_SECONDS = 30


class ImportTimeout(Exception):
    pass


def _on_alarm(signum, frame):  # noqa: ARG001 (signal handler signature)
    raise ImportTimeout(f"import took longer than {IMPORT_TIMEOUT_SECONDS}s")


def dag_files(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.rglob("*.py")
        if "__pycache__" not in p.parts and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def looks_like_dag_file(path: Path) -> bool:
    text = path.read_text(encoding="utf-8", errors="replace").lower()
    return "airflow" in text and "dag" in text


def live_dags(dag_class) -> list:
    # Every DAG object alive right now. A DAG made by calling a @dag function at module level is
    # held by Airflow's registry rather than by a module variable, so module globals alone miss it;
    # counting live objects does not depend on where a given Airflow version keeps them.
    return [o for o in gc.get_objects() if isinstance(o, dag_class)]


def import_file(path: Path, index: int) -> None:
    module_name = f"lint_dag_{index}_{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(IMPORT_TIMEOUT_SECONDS)
    try:
        spec.loader.exec_module(module)
    finally:
        signal.alarm(0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default="/opt/airflow/dags", help="the DAGs folder")
    folder = Path(parser.parse_args(argv).folder).resolve()
    if not folder.is_dir():
        print(f"lint_dags: {folder} is not a directory", file=sys.stderr)
        return 1

    # Airflow puts the DAGs folder on sys.path, so DAG files may import helpers that live beside them.
    sys.path.insert(0, str(folder))
    from airflow.sdk import DAG  # the image's Airflow; an ImportError here fails the lint, as it should

    problems: list[str] = []
    owners: dict[str, Path] = {}
    files = dag_files(folder)
    for index, path in enumerate(files):
        rel = path.relative_to(folder)
        before = {id(d) for d in live_dags(DAG)}
        try:
            import_file(path, index)
        except BaseException as error:  # noqa: BLE001 (SystemExit and timeouts are import errors too)
            if isinstance(error, KeyboardInterrupt):
                raise
            detail = "".join(traceback.format_exception_only(type(error), error)).strip()
            problems.append(f"{rel}: import failed: {detail}")
            continue
        created = [d for d in live_dags(DAG) if id(d) not in before]
        if not created and looks_like_dag_file(path):
            problems.append(f"{rel}: mentions airflow and dag but creates no DAG (a @dag function that is never called?)")
        for dag in created:
            dag_id = getattr(dag, "dag_id", None)
            if dag_id in owners and owners[dag_id] != path:
                problems.append(f"{rel}: dag_id {dag_id!r} is already defined in {owners[dag_id].relative_to(folder)}")
            owners.setdefault(dag_id, path)
            print(f"ok  {rel}: {dag_id}")

    if not owners:
        problems.append(f"no DAG found under {folder}")
    if problems:
        print(f"lint_dags: {len(problems)} problem(s):", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    print(f"lint_dags: {len(owners)} DAG(s) in {len(files)} file(s) import cleanly")
    return 0


if __name__ == "__main__":
    sys.exit(main())
