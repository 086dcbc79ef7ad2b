// The idle signal against a real PostgreSQL 17 set up as RDS sets it up (tests/metastore-fixture.ts):
// Airflow 3.2.2's dag_run and task_instance tables, with their real columns, owned by the `airflow`
// role that created them, read by the watcher's monitoring login. Every state Airflow defines, each
// classified; mixed cases; a table a later migration adds; errors = busy; the master cannot read.

import { strict as assert } from "assert";
import { Client } from "pg";
import { decide, powerSettings } from "../lib/power";
import { DAG_RUN_FINISHED, DAG_RUN_UNFINISHED, IDLE_SQL, TASK_FINISHED, TASK_UNFINISHED, readIdleSignal } from "../functions/airflow-db";
import type { DatabaseConnection } from "../functions/ssm";
import { freePort, type Postgres } from "./services";
import { rdsLikeMetastore, type RdsLikeMetastore } from "./metastore-fixture";
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
    beforeEach(async () => admin.query("TRUNCATE dag_run CASCADE"));

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

    it("classifies exactly the states Airflow defines, finished and not", () => {
        assert.deepEqual([...DAG_RUN_FINISHED, ...DAG_RUN_UNFINISHED].sort(), [...AIRFLOW_DAG_RUN_STATES].sort());
        const tasks = [...TASK_FINISHED, ...TASK_UNFINISHED];
        assert.equal(tasks.length, AIRFLOW_TASK_STATES.length);
        assert.deepEqual(new Set(tasks), new Set(AIRFLOW_TASK_STATES));
        assert.match(IDLE_SQL, /FROM dag_run WHERE state IS NULL OR state NOT IN/);
        assert.match(IDLE_SQL, /FROM task_instance WHERE state IS NULL OR state NOT IN/);
    });

    it("the master cannot read Airflow's tables (PostgreSQL 16+: a role's creator has only ADMIN OPTION on it): the watcher must not log in as the master", async () => {
        const idle = await readIdleSignal(meta.master);
        assert.equal(idle.ok, false);
        assert.match((idle as { error: string }).error, /permission denied for table (dag_run|task_instance)/);
        const owner = await admin.query("SELECT tableowner FROM pg_tables WHERE tablename IN ('dag_run', 'task_instance')");
        assert.deepEqual(owner.rows.map((r) => r.tableowner), ["airflow", "airflow"]);
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

    it("empty tables: idle", async () => {
        assert.deepEqual(await readIdleSignal(conn), { ok: true, activeRuns: 0, unfinishedTasks: 0 });
    });

    for (const state of AIRFLOW_DAG_RUN_STATES) {
        const active = (DAG_RUN_UNFINISHED as readonly string[]).includes(state);
        it(`a DAG run ${state}: ${active ? "busy" : "idle"}`, async () => {
            await run("etl", "scheduled__1", state);
            assert.deepEqual(await readIdleSignal(conn), { ok: true, activeRuns: active ? 1 : 0, unfinishedTasks: 0 });
        });
    }

    for (const state of AIRFLOW_TASK_STATES) {
        const unfinished = (TASK_UNFINISHED as readonly (string | null)[]).includes(state);
        it(`a task instance ${state ?? "NULL (no state yet)"} in a finished run: ${unfinished ? "busy" : "idle"}`, async () => {
            await run("etl", "scheduled__1", "success");
            await task("etl", "scheduled__1", "extract", state);
            assert.deepEqual(await readIdleSignal(conn), { ok: true, activeRuns: 0, unfinishedTasks: unfinished ? 1 : 0 });
        });
    }

    it("a state Airflow may add later counts as busy, never idle", async () => {
        await run("etl", "scheduled__1", "some_future_state");
        await task("etl", "scheduled__1", "extract", "some_future_state");
        assert.deepEqual(await readIdleSignal(conn), { ok: true, activeRuns: 1, unfinishedTasks: 1 });
    });

    it("a finished run beside a queued one: busy", async () => {
        await run("etl", "scheduled__1", "success");
        await task("etl", "scheduled__1", "extract", "success");
        await run("report", "scheduled__1", "queued");
        assert.deepEqual(await readIdleSignal(conn), { ok: true, activeRuns: 1, unfinishedTasks: 0 });
    });

    it("a running run whose tasks are all done (the scheduler has not closed it yet): busy", async () => {
        await run("etl", "scheduled__1", "running");
        for (const [t, s] of [["extract", "success"], ["transform", "skipped"], ["load", "failed"], ["notify", "upstream_failed"]]) await task("etl", "scheduled__1", t, s);
        assert.deepEqual(await readIdleSignal(conn), { ok: true, activeRuns: 1, unfinishedTasks: 0 });
    });

    it("a deferred task (waiting on the triggerer) in a running run: busy", async () => {
        await run("etl", "scheduled__1", "running");
        await task("etl", "scheduled__1", "extract", "success");
        await task("etl", "scheduled__1", "wait_for_file", "deferred");
        assert.deepEqual(await readIdleSignal(conn), { ok: true, activeRuns: 1, unfinishedTasks: 1 });
    });

    it("mapped task instances are counted each", async () => {
        await run("etl", "scheduled__1", "running");
        for (let i = 0; i < 3; i++) await task("etl", "scheduled__1", "per_file", i === 0 ? "success" : "up_for_retry", i);
        assert.deepEqual(await readIdleSignal(conn), { ok: true, activeRuns: 1, unfinishedTasks: 2 });
    });

    it("a night's end: every run and task finished: idle, and decide() sleeps on the second check", async () => {
        await run("etl", "scheduled__1", "success");
        await run("report", "scheduled__1", "failed");
        await task("etl", "scheduled__1", "extract", "success");
        await task("report", "scheduled__1", "render", "removed");
        const idle = await readIdleSignal(conn);
        assert.deepEqual(idle, { ok: true, activeRuns: 0, unfinishedTasks: 0 });
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
