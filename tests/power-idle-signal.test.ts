// The idle signal against a real PostgreSQL holding Airflow 3.2.2's dag_run and task_instance tables
// with their real columns: every state Airflow defines, each classified; mixed cases; errors = busy.

import { strict as assert } from "assert";
import { Client } from "pg";
import { decide, powerSettings } from "../lib/power";
import { DAG_RUN_FINISHED, DAG_RUN_UNFINISHED, IDLE_SQL, TASK_FINISHED, TASK_UNFINISHED, readIdleSignal } from "../functions/airflow-db";
import type { DatabaseConnection } from "../functions/ssm";
import { freePort, startPostgres, type Postgres } from "./services";

// Airflow's own enums (airflow-core/src/airflow/utils/state.py): DagRunState and TaskInstanceState
// (None is a task state too: "created, not yet scheduled").
const AIRFLOW_DAG_RUN_STATES = ["queued", "running", "success", "failed"];
const AIRFLOW_TASK_STATES = [null, "removed", "scheduled", "queued", "running", "success", "restarting", "failed", "up_for_retry", "up_for_reschedule", "upstream_failed", "skipped", "deferred"];

// The columns of DagRun (models/dagrun.py) and TaskInstance (models/taskinstance.py) as SQLAlchemy
// creates them on PostgreSQL: StringID is VARCHAR(250), UtcDateTime TIMESTAMPTZ, ExtendedJSON JSON.
// Foreign keys to tables this test does not need (log_template, backfill, dag_version, trigger) are
// left as plain columns; the task_instance -> dag_run key the signal relies on is kept.
const AIRFLOW_SCHEMA = `
CREATE TABLE dag_run (
    id SERIAL NOT NULL,
    dag_id VARCHAR(250) NOT NULL,
    queued_at TIMESTAMP WITH TIME ZONE,
    logical_date TIMESTAMP WITH TIME ZONE,
    start_date TIMESTAMP WITH TIME ZONE,
    end_date TIMESTAMP WITH TIME ZONE,
    state VARCHAR(50),
    run_id VARCHAR(250) NOT NULL,
    creating_job_id INTEGER,
    run_type VARCHAR(50) NOT NULL,
    triggered_by VARCHAR(50),
    triggering_user_name VARCHAR(512),
    conf JSONB,
    data_interval_start TIMESTAMP WITH TIME ZONE,
    data_interval_end TIMESTAMP WITH TIME ZONE,
    run_after TIMESTAMP WITH TIME ZONE NOT NULL,
    last_scheduling_decision TIMESTAMP WITH TIME ZONE,
    log_template_id INTEGER,
    created_at TIMESTAMP WITH TIME ZONE,
    updated_at TIMESTAMP WITH TIME ZONE,
    clear_number INTEGER DEFAULT '0' NOT NULL,
    backfill_id INTEGER,
    bundle_version VARCHAR(250),
    scheduled_by_job_id INTEGER,
    context_carrier JSON,
    span_status VARCHAR(250) DEFAULT 'not_started' NOT NULL,
    created_dag_version_id UUID,
    partition_key VARCHAR(250),
    partition_date TIMESTAMP WITH TIME ZONE,
    CONSTRAINT dag_run_pkey PRIMARY KEY (id),
    CONSTRAINT dag_run_dag_id_run_id_key UNIQUE (dag_id, run_id),
    CONSTRAINT dag_run_dag_id_logical_date_key UNIQUE (dag_id, logical_date)
);
CREATE INDEX dag_id_state ON dag_run (dag_id, state);
CREATE INDEX idx_dag_run_running_dags ON dag_run (state, dag_id) WHERE state='running';
CREATE INDEX idx_dag_run_queued_dags ON dag_run (state, dag_id) WHERE state='queued';
CREATE TABLE task_instance (
    id UUID NOT NULL,
    task_id VARCHAR(250) NOT NULL,
    dag_id VARCHAR(250) NOT NULL,
    run_id VARCHAR(250) NOT NULL,
    map_index INTEGER DEFAULT -1 NOT NULL,
    start_date TIMESTAMP WITH TIME ZONE,
    end_date TIMESTAMP WITH TIME ZONE,
    duration FLOAT,
    state VARCHAR(20),
    try_number INTEGER,
    max_tries INTEGER DEFAULT -1,
    hostname VARCHAR(1000),
    unixname VARCHAR(1000),
    pool VARCHAR(256) NOT NULL,
    pool_slots INTEGER NOT NULL,
    queue VARCHAR(256),
    priority_weight INTEGER,
    operator VARCHAR(1000),
    custom_operator_name VARCHAR(1000),
    queued_dttm TIMESTAMP WITH TIME ZONE,
    scheduled_dttm TIMESTAMP WITH TIME ZONE,
    queued_by_job_id INTEGER,
    last_heartbeat_at TIMESTAMP WITH TIME ZONE,
    pid INTEGER,
    executor VARCHAR(1000),
    executor_config BYTEA,
    updated_at TIMESTAMP WITH TIME ZONE,
    rendered_map_index VARCHAR(250),
    context_carrier JSON,
    span_status VARCHAR(250) DEFAULT 'not_started' NOT NULL,
    external_executor_id VARCHAR(250),
    trigger_id INTEGER,
    trigger_timeout TIMESTAMP WITH TIME ZONE,
    next_method VARCHAR(1000),
    next_kwargs JSON,
    task_display_name VARCHAR(2000),
    dag_version_id UUID NOT NULL,
    CONSTRAINT task_instance_pkey PRIMARY KEY (id),
    CONSTRAINT task_instance_composite_key UNIQUE (dag_id, task_id, run_id, map_index),
    CONSTRAINT task_instance_dag_run_fkey FOREIGN KEY (dag_id, run_id) REFERENCES dag_run (dag_id, run_id) ON DELETE CASCADE
);
CREATE INDEX ti_dag_state ON task_instance (dag_id, state);
CREATE INDEX ti_state ON task_instance (state);`;

describe("NightlyScheduler: the idle signal on a real PostgreSQL with Airflow 3.2.2's tables", function () {
    this.timeout(30_000);
    let pg: Postgres;
    let admin: Client;
    let conn: DatabaseConnection;

    before(async () => {
        pg = await startPostgres();
        const root = new Client({ connectionString: pg.url });
        await root.connect();
        await root.query("CREATE ROLE airflow_admin LOGIN PASSWORD 'metastore-test-password'");
        await root.query("CREATE DATABASE airflow OWNER airflow_admin");
        await root.end();
        conn = { host: pg.host, port: pg.port, database: "airflow", username: "airflow_admin", password: "metastore-test-password", ssl: "disable" };
        admin = new Client({ host: pg.host, port: pg.port, database: "airflow", user: "airflow_admin", password: "metastore-test-password" });
        await admin.connect();
        await admin.query(AIRFLOW_SCHEMA);
    });
    after(async () => {
        await admin?.end();
        await pg?.stop();
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
