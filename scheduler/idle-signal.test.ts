// The idle signal against a real PostgreSQL 17 set up as RDS sets it up (tests/metastore-fixture.ts):
// Airflow 3.2.2's dag_run and task_instance tables, with their real columns, owned by the `airflow`
// role that created them, read by the watcher's monitoring login. Every state Airflow defines, each
// classified; mixed cases; a table a later migration adds; errors = busy; the master cannot read.

import { strict as assert } from "assert";
import { Client } from "pg";
import { decide, powerSettings } from "./power";
import { DAG_RUN_FINISHED, DAG_RUN_UNFINISHED, IDLE_SQL, IDLE_SQL_AIRFLOW_VERSION, TASK_FINISHED, TASK_UNFINISHED, readIdleSignal } from "./airflow-db";
import { AIRFLOW_VERSION } from "../airflow/versions";
import type { DatabaseConnection } from "./aws-ssm";
import { freePort, type Postgres } from "../tests/services";
import { rdsLikeMetastore, type RdsLikeMetastore } from "../tests/metastore-fixture";
// Airflow's own enums (airflow-core/src/airflow/utils/state.py): DagRunState and TaskInstanceState
// (None is a task state too: "created, not yet scheduled").
const AIRFLOW_DAG_RUN_STATES = ["queued", "running", "success", "failed"];
const AIRFLOW_TASK_STATES = [null, "removed", "scheduled", "queued", "running", "success", "restarting", "failed", "up_for_retry", "up_for_reschedule", "upstream_failed", "skipped", "deferred"];

describe("NightlyScheduler: the idle signal on a real PostgreSQL with Airflow 3.2.2's tables", function () {
    this.timeout(30_000);
    let meta: RdsLikeMetastore;
    let pg: Postgres;
    /** Airflow itself, writing its tables. */
    let admin: Client;
    /** The watcher's credential. */
    let conn: DatabaseConnection;

    before(async () => {
        meta = await rdsLikeMetastore();
        ({ pg, airflow: admin, monitor: conn } = meta);
    });
    after(async () => {
        await meta?.stop();
    });
    // Each case starts with a live scheduler (a SchedulerJob heartbeat just now, as Airflow writes it)
    // and no DAGs; cases about the scheduler or the dag table change that.
    beforeEach(async () => {
        await admin.query("TRUNCATE dag_run, dag, job CASCADE");
        await scheduler("running", 0);
    });

    async function scheduler(state: string, heartbeatSecondsAgo: number) {
        await admin.query(
            "INSERT INTO job (state, job_type, start_date, latest_heartbeat, executor_class, hostname, unixname) VALUES ($1, 'SchedulerJob', now() - interval '1 hour', now() - ($2 || ' seconds')::interval, 'KubernetesExecutor', 'airflow-scheduler-0', 'airflow')",
            [state, heartbeatSecondsAgo]);
    }
    /** A DAG as the DAG processor records it (DagModel's defaults), with the time its next run may be created. */
    async function dag(dagId: string, options: { paused?: boolean; stale?: boolean; importErrors?: boolean; nextCreateAfterSeconds?: number | null } = {}) {
        await admin.query(
            "INSERT INTO dag (dag_id, is_paused, is_stale, exceeds_max_non_backfill, bundle_name, max_active_tasks, max_active_runs, max_consecutive_failed_dag_runs, has_task_concurrency_limits, has_import_errors, fail_fast, next_dagrun_create_after) VALUES ($1, $2, $3, false, 'dags-folder', 16, 16, 0, false, $4, false, CASE WHEN $5::int IS NULL THEN NULL ELSE now() + ($5 || ' seconds')::interval END)",
            [dagId, options.paused ?? false, options.stale ?? false, options.importErrors ?? false, options.nextCreateAfterSeconds === undefined ? 86_400 : options.nextCreateAfterSeconds]);
    }
    /** The signal with a live scheduler: what most cases expect. */
    const signal = (activeRuns: number, unfinishedTasks: number, extra: { dueDags?: number; pausedRuns?: number } = {}) =>
        ({ ok: true, activeRuns, unfinishedTasks, dueDags: extra.dueDags ?? 0, pausedRuns: extra.pausedRuns ?? 0, schedulerHeartbeatAgeSeconds: 0 });

    async function run(dagId: string, runId: string, state: string | null) {
        await admin.query(
            "INSERT INTO dag_run (dag_id, run_id, run_type, state, run_after, logical_date, queued_at, clear_number, span_status) VALUES ($1, $2, 'scheduled', $3, now(), now() - ($4 || ' seconds')::interval, now(), 0, 'not_started')",
            [dagId, runId, state, Math.floor(Math.random() * 1e6)]);
    }
    async function task(dagId: string, runId: string, taskId: string, state: string | null, mapIndex = -1) {
        await admin.query(
            "INSERT INTO task_instance (id, task_id, dag_id, run_id, map_index, state, try_number, pool, pool_slots, dag_version_id) VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, 1, 'default_pool', 1, gen_random_uuid())",
            [taskId, dagId, runId, mapIndex, state]);
    }

    it("was written for the Airflow the platform runs: a version bump must re-check the statement (airflow/versions.ts)", () => {
        assert.equal(IDLE_SQL_AIRFLOW_VERSION, AIRFLOW_VERSION, "AIRFLOW_VERSION moved: re-read Airflow's models at the new version, update tests/metastore-fixture.ts and scheduler/airflow-db.ts, then IDLE_SQL_AIRFLOW_VERSION");
    });

    it("classifies exactly the states Airflow defines, finished and not", () => {
        assert.deepEqual([...DAG_RUN_FINISHED, ...DAG_RUN_UNFINISHED].sort(), [...AIRFLOW_DAG_RUN_STATES].sort());
        const tasks = [...TASK_FINISHED, ...TASK_UNFINISHED];
        assert.equal(tasks.length, AIRFLOW_TASK_STATES.length);
        assert.deepEqual(new Set(tasks), new Set(AIRFLOW_TASK_STATES));
        assert.match(IDLE_SQL, /FROM dag_run x WHERE \(x.state IS NULL OR x.state NOT IN/);
        assert.match(IDLE_SQL, /FROM task_instance x WHERE \(x.state IS NULL OR x.state NOT IN/);
    });

    it("the master cannot read Airflow's tables (PostgreSQL 16+: a role's creator has only ADMIN OPTION on it): the watcher must not log in as the master", async () => {
        const idle = await readIdleSignal(meta.master);
        assert.equal(idle.ok, false);
        assert.match((idle as { error: string }).error, /permission denied for table (dag_run|task_instance|dag|job)/);
        const owner = await admin.query("SELECT tableowner FROM pg_tables WHERE tablename IN ('dag_run', 'task_instance', 'dag', 'job')");
        assert.deepEqual(owner.rows.map((r) => r.tableowner), ["airflow", "airflow", "airflow", "airflow"]);
    });

    it("the monitoring login reads a table a later migration creates, and can change nothing", async () => {
        await admin.query("CREATE TABLE IF NOT EXISTS later_migration_probe (id int); INSERT INTO later_migration_probe VALUES (1)");
        const monitor = new Client({ host: conn.host, port: conn.port, database: conn.database, user: conn.username, password: conn.password });
        await monitor.connect();
        try {
            assert.equal((await monitor.query("SELECT count(*)::int AS n FROM later_migration_probe")).rows[0].n, 1);
            for (const sql of ["INSERT INTO dag_run (dag_id, run_id, run_type, run_after) VALUES ('x', 'y', 'manual', now())", "UPDATE task_instance SET state = 'failed'", "DELETE FROM dag_run", "CREATE TABLE intruder (id int)", "TRUNCATE dag_run"]) {
                await assert.rejects(monitor.query(sql), /permission denied/, sql);
            }
        } finally {
            await monitor.end();
            await admin.query("DROP TABLE later_migration_probe");
        }
    });

    it("empty tables and a live scheduler: idle", async () => {
        assert.deepEqual(await readIdleSignal(conn), signal(0, 0));
    });

    for (const state of AIRFLOW_DAG_RUN_STATES) {
        const active = (DAG_RUN_UNFINISHED as readonly string[]).includes(state);
        it(`a DAG run ${state}: ${active ? "busy" : "idle"}`, async () => {
            await run("etl", "scheduled__1", state);
            assert.deepEqual(await readIdleSignal(conn), signal(active ? 1 : 0, 0));
        });
    }

    for (const state of AIRFLOW_TASK_STATES) {
        const unfinished = (TASK_UNFINISHED as readonly (string | null)[]).includes(state);
        it(`a task instance ${state ?? "NULL (no state yet)"} in a finished run: ${unfinished ? "busy" : "idle"}`, async () => {
            await run("etl", "scheduled__1", "success");
            await task("etl", "scheduled__1", "extract", state);
            assert.deepEqual(await readIdleSignal(conn), signal(0, unfinished ? 1 : 0));
        });
    }

    it("a state Airflow may add later counts as busy, never idle", async () => {
        await run("etl", "scheduled__1", "some_future_state");
        await task("etl", "scheduled__1", "extract", "some_future_state");
        assert.deepEqual(await readIdleSignal(conn), signal(1, 1));
    });

    it("a finished run beside a queued one: busy", async () => {
        await run("etl", "scheduled__1", "success");
        await task("etl", "scheduled__1", "extract", "success");
        await run("report", "scheduled__1", "queued");
        assert.deepEqual(await readIdleSignal(conn), signal(1, 0));
    });

    it("a running run whose tasks are all done (the scheduler has not closed it yet): busy", async () => {
        await run("etl", "scheduled__1", "running");
        for (const [t, s] of [["extract", "success"], ["transform", "skipped"], ["load", "failed"], ["notify", "upstream_failed"]]) await task("etl", "scheduled__1", t, s);
        assert.deepEqual(await readIdleSignal(conn), signal(1, 0));
    });

    it("a deferred task (waiting on the triggerer) in a running run: busy", async () => {
        await run("etl", "scheduled__1", "running");
        await task("etl", "scheduled__1", "extract", "success");
        await task("etl", "scheduled__1", "wait_for_file", "deferred");
        assert.deepEqual(await readIdleSignal(conn), signal(1, 1));
    });

    it("mapped task instances are counted each", async () => {
        await run("etl", "scheduled__1", "running");
        for (let i = 0; i < 3; i++) await task("etl", "scheduled__1", "per_file", i === 0 ? "success" : "up_for_retry", i);
        assert.deepEqual(await readIdleSignal(conn), signal(1, 2));
    });

    describe("Airflow's own signals: runs due but not created, paused DAGs, the scheduler's heartbeat", () => {
        it("a DAG whose next run may be created now (next_dagrun_create_after passed) but has no run yet: due", async () => {
            await dag("etl", { nextCreateAfterSeconds: -60 });
            await dag("tomorrow", { nextCreateAfterSeconds: 3600 });
            await dag("manual_only", { nextCreateAfterSeconds: null });
            assert.deepEqual(await readIdleSignal(conn), signal(0, 0, { dueDags: 1 }));
        });

        it("a due DAG that is paused, stale (its file is gone) or has import errors is not due: the scheduler would not create its run either", async () => {
            await dag("paused", { paused: true, nextCreateAfterSeconds: -60 });
            await dag("stale", { stale: true, nextCreateAfterSeconds: -60 });
            await dag("broken", { importErrors: true, nextCreateAfterSeconds: -60 });
            assert.deepEqual(await readIdleSignal(conn), signal(0, 0));
        });

        it("a paused DAG's queued run and its unscheduled tasks are ignored (reported apart); its tasks in flight still count", async () => {
            await dag("paused", { paused: true });
            await run("paused", "scheduled__1", "queued");
            await run("paused", "scheduled__2", "running");
            await task("paused", "scheduled__2", "waiting", null);
            await task("paused", "scheduled__2", "later", "scheduled");
            await task("paused", "scheduled__2", "retry", "up_for_retry");
            assert.deepEqual(await readIdleSignal(conn), signal(0, 0, { pausedRuns: 2 }));
            for (const [t, state] of [["load", "running"], ["sense", "deferred"], ["copy", "queued"]]) await task("paused", "scheduled__2", t, state);
            assert.deepEqual(await readIdleSignal(conn), signal(0, 3, { pausedRuns: 2 }));
        });

        it("a run of a DAG the dag table does not know (deleted, not parsed yet) counts as unpaused", async () => {
            await run("ghost", "manual__1", "running");
            assert.deepEqual(await readIdleSignal(conn), signal(1, 0));
        });

        it("an unpaused DAG's queued run counts, beside a paused one's", async () => {
            await dag("paused", { paused: true });
            await dag("live");
            await run("paused", "scheduled__1", "queued");
            await run("live", "scheduled__1", "queued");
            assert.deepEqual(await readIdleSignal(conn), signal(1, 0, { pausedRuns: 1 }));
        });

        it("the scheduler's heartbeat age, on the database's clock; a finished scheduler job is no scheduler", async () => {
            await admin.query("TRUNCATE job");
            assert.equal(((await readIdleSignal(conn)) as { schedulerHeartbeatAgeSeconds: number | null }).schedulerHeartbeatAgeSeconds, null);
            await scheduler("success", 1);
            assert.equal(((await readIdleSignal(conn)) as { schedulerHeartbeatAgeSeconds: number | null }).schedulerHeartbeatAgeSeconds, null);
            await scheduler("running", 120);
            assert.equal(((await readIdleSignal(conn)) as { schedulerHeartbeatAgeSeconds: number | null }).schedulerHeartbeatAgeSeconds, 120);
            await scheduler("running", 3);
            assert.equal(((await readIdleSignal(conn)) as { schedulerHeartbeatAgeSeconds: number | null }).schedulerHeartbeatAgeSeconds, 3);
        });

        it("read from PostgreSQL and decided: the scheduler crash-looping keeps the platform up, with the scheduler-down metric; a run due keeps it up", async () => {
            const S = powerSettings("t");
            const decideWith = (idle: Awaited<ReturnType<typeof readIdleSignal>>) => decide(new Date("2026-01-15T08:40:00Z"), {
                event: { kind: "watch" }, nodes: { desired: 4, target: 4, status: "ACTIVE" }, db: { status: "available" },
                latestBackupAt: new Date("2026-01-15T08:20:00Z"), idle, state: { idleSince: "2026-01-15T08:30:00.000Z" },
            }, S);
            await admin.query("TRUNCATE job");
            await scheduler("running", 300);
            const dead = decideWith(await readIdleSignal(conn));
            assert.deepEqual([dead.action, dead.metrics.schedulerDown], ["none", 1]);
            await scheduler("running", 0);
            await dag("etl", { nextCreateAfterSeconds: -5 });
            const due = decideWith(await readIdleSignal(conn));
            assert.deepEqual([due.action, due.metrics.schedulerDown], ["none", 0]);
            assert.match(due.reason, /1 DAGs with a run due/);
        });
    });

    it("a night's end: every run and task finished: idle, and decide() sleeps on the second check", async () => {
        await run("etl", "scheduled__1", "success");
        await run("report", "scheduled__1", "failed");
        await task("etl", "scheduled__1", "extract", "success");
        await task("report", "scheduled__1", "render", "removed");
        const idle = await readIdleSignal(conn);
        assert.deepEqual(idle, signal(0, 0));
        const S = powerSettings("t");
        const d = decide(new Date("2026-01-15T08:40:00Z"), {
            event: { kind: "watch" }, nodes: { desired: 4, target: 4, status: "ACTIVE" }, db: { status: "available" },
            latestBackupAt: new Date("2026-01-15T08:20:00Z"), idle, state: { idleSince: "2026-01-15T08:30:00.000Z" },
        }, S);
        assert.equal(d.action, "sleep");
    });

    describe("any error reading the signal is busy", () => {
        const S = powerSettings("t");
        const decideWith = (idle: Awaited<ReturnType<typeof readIdleSignal>>) => decide(new Date("2026-01-15T08:40:00Z"), {
            event: { kind: "watch" }, nodes: { desired: 4, target: 4, status: "ACTIVE" }, db: { status: "available" },
            latestBackupAt: new Date("2026-01-15T08:20:00Z"), idle, state: { idleSince: "2026-01-15T08:30:00.000Z" },
        }, S);

        it("wrong password", async () => {
            const idle = await readIdleSignal({ ...conn, password: "wrong" });
            assert.equal(idle.ok, false);
            assert.match((idle as { error: string }).error, /password authentication failed/);
            assert.equal(decideWith(idle).action, "none");
        });

        it("Airflow's tables not there (a database Airflow has not migrated)", async () => {
            const idle = await readIdleSignal({ ...conn, database: "postgres", username: pg.user, password: pg.password });
            // (as the server's superuser, in a database without Airflow's tables)
            assert.equal(idle.ok, false);
            assert.match((idle as { error: string }).error, /relation "dag_run" does not exist/);
            assert.equal(decideWith(idle).action, "none");
        });

        it("nothing listening", async () => {
            const idle = await readIdleSignal({ ...conn, port: await freePort() }, { connectTimeoutMs: 2000 });
            assert.equal(idle.ok, false);
            assert.equal(decideWith(idle).action, "none");
        });

        it("TLS required but the server offers none", async () => {
            const idle = await readIdleSignal({ ...conn, ssl: "verify-full" });
            assert.equal(idle.ok, false);
            assert.match((idle as { error: string }).error, /SSL/i);
        });
    });
});
