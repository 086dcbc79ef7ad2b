// The Airflow versions the whole platform pins, in one place: the GitOps HelmRelease's chart version,
// the chart's default Airflow, and the base image of the DAG repository's Dockerfile must agree, and
// tests read them from here.
//
// Evidence (../shared/schemas/README.md, "Versions to pin"): Apache Airflow Helm chart 1.22.0 (tag
// helm-chart/1.22.0, GitHub release 2026-06-13) "Default Airflow image is updated to 3.2.2 (#67681)";
// no 1.23.0 or 2.0.0 chart release is in the stored material.

/** The official Apache Airflow Helm chart (https://airflow.apache.org) version the HelmRelease pins. */
export const AIRFLOW_CHART_VERSION = "1.22.0";

/** The Airflow version chart 1.22.0 defaults to; the DAG image is built FROM apache/airflow:<this>-python<PYTHON>. */
export const AIRFLOW_VERSION = "3.2.2";

/**
 * The Python of the DAG image (the official image's `-pythonX.Y` variant), and so of the constraints
 * file `constraints-<AIRFLOW_VERSION>/constraints-<this>.txt` its requirements are installed with.
 */
export const AIRFLOW_PYTHON_VERSION = "3.12";
