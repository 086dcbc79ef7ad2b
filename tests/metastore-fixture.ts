// The Airflow metastore as it really is on RDS, for every test that reads Airflow's state: PostgreSQL
// 17 (tests/services.ts), a master that is no superuser but may create roles and databases and owns
// the `airflow` database (what RDS's master user is), the platform's bootstrap SQL run by that master
// through psql exactly as the Job runs it (metastore/bootstrap.ts), and then Airflow's tables
// created by the `airflow` role, as its migrations create them. Nothing here has more privilege than
// RDS gives: reading as the master fails, as it does on RDS.

import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { Client } from "pg";
import { AIRFLOW_DB_USER, MONITOR_DB_USER, bootstrapSql } from "../metastore/bootstrap";
import type { DatabaseConnection } from "../scheduler/aws-ssm";
import { clockEnv, startPostgres, type Postgres, type PostgresOptions } from "./services";

export const MASTER = { user: "airflow_admin", password: "master-Secret-1" } as const;
export const AIRFLOW_PASSWORD = "airflow-Secret-1";
export const MONITOR_PASSWORD = "monitor-Secret-1";

/** Debian's psql (the bootstrap Job runs psql too): a client works with any newer server. */
export const PSQL = fs.existsSync("/usr/lib/postgresql/15/bin/psql") ? "/usr/lib/postgresql/15/bin/psql" : execFileSync("sh", ["-c", "command -v psql"]).toString().trim();

// The columns of DagRun (models/dagrun.py), TaskInstance (models/taskinstance.py),
// TaskInstanceHistory (models/taskinstancehistory.py: earlier tries, keyed by the try's own id), DagModel
// (models/dag.py, table dag) and Job (jobs/job.py) as SQLAlchemy
// creates them on PostgreSQL: StringID is VARCHAR(250), UtcDateTime TIMESTAMPTZ, ExtendedJSON JSON.
// Foreign keys to tables this test does not need (log_template, backfill, dag_version, trigger) are
// left as plain columns (dag.bundle_name -> dag_bundle too); the task_instance -> dag_run key the
// signal relies on is kept.
export const AIRFLOW_SCHEMA = `
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
CREATE INDEX ti_state ON task_instance (state);
CREATE TABLE task_instance_history (
    task_instance_id UUID NOT NULL,
    task_id VARCHAR(250) NOT NULL,
    dag_id VARCHAR(250) NOT NULL,
    run_id VARCHAR(250) NOT NULL,
    map_index INTEGER DEFAULT -1 NOT NULL,
    try_number INTEGER NOT NULL,
    start_date TIMESTAMP WITH TIME ZONE,
    end_date TIMESTAMP WITH TIME ZONE,
    duration FLOAT,
    state VARCHAR(20),
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
    pid INTEGER,
    executor VARCHAR(1000),
    executor_config BYTEA,
    updated_at TIMESTAMP WITH TIME ZONE,
    rendered_map_index VARCHAR(250),
    context_carrier JSON,
    span_status VARCHAR(250) DEFAULT 'not_started' NOT NULL,
    external_executor_id VARCHAR(250),
    trigger_id INTEGER,
    trigger_timeout TIMESTAMP WITHOUT TIME ZONE,
    next_method VARCHAR(1000),
    next_kwargs JSONB,
    task_display_name VARCHAR(2000),
    dag_version_id UUID,
    CONSTRAINT task_instance_history_pkey PRIMARY KEY (task_instance_id),
    CONSTRAINT task_instance_history_dtrt_uq UNIQUE (dag_id, task_id, run_id, map_index, try_number),
    CONSTRAINT task_instance_history_ti_fkey FOREIGN KEY (dag_id, task_id, run_id, map_index) REFERENCES task_instance (dag_id, task_id, run_id, map_index) ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX idx_tih_dag_run ON task_instance_history (dag_id, run_id);
CREATE TABLE dag (
    dag_id VARCHAR(250) NOT NULL,
    is_paused BOOLEAN,
    is_stale BOOLEAN NOT NULL,
    exceeds_max_non_backfill BOOLEAN NOT NULL,
    last_parsed_time TIMESTAMP WITH TIME ZONE,
    last_parse_duration FLOAT,
    last_expired TIMESTAMP WITH TIME ZONE,
    fileloc VARCHAR(2000),
    relative_fileloc VARCHAR(2000),
    bundle_name VARCHAR(250) NOT NULL,
    bundle_version VARCHAR(200),
    owners VARCHAR(2000),
    dag_display_name VARCHAR(2000),
    description TEXT,
    timetable_summary TEXT,
    timetable_description VARCHAR(1000),
    asset_expression JSON,
    deadline JSON,
    max_active_tasks INTEGER NOT NULL,
    max_active_runs INTEGER,
    max_consecutive_failed_dag_runs INTEGER NOT NULL,
    has_task_concurrency_limits BOOLEAN NOT NULL,
    has_import_errors BOOLEAN DEFAULT '0',
    fail_fast BOOLEAN DEFAULT '0' NOT NULL,
    next_dagrun TIMESTAMP WITH TIME ZONE,
    next_dagrun_data_interval_start TIMESTAMP WITH TIME ZONE,
    next_dagrun_data_interval_end TIMESTAMP WITH TIME ZONE,
    next_dagrun_create_after TIMESTAMP WITH TIME ZONE,
    CONSTRAINT dag_pkey PRIMARY KEY (dag_id)
);
CREATE INDEX idx_next_dagrun_create_after ON dag (next_dagrun_create_after);
CREATE TABLE job (
    id SERIAL NOT NULL,
    dag_id VARCHAR(250),
    state VARCHAR(20),
    job_type VARCHAR(30),
    start_date TIMESTAMP WITH TIME ZONE,
    end_date TIMESTAMP WITH TIME ZONE,
    latest_heartbeat TIMESTAMP WITH TIME ZONE,
    executor_class VARCHAR(500),
    hostname VARCHAR(500),
    unixname VARCHAR(1000),
    CONSTRAINT job_pkey PRIMARY KEY (id)
);
CREATE INDEX job_type_heart ON job (job_type, latest_heartbeat);
CREATE INDEX idx_job_state_heartbeat ON job (state, latest_heartbeat);`;

export interface RdsLikeMetastore {
    readonly pg: Postgres;
    /** A client logged in as `airflow` (what Airflow's own processes are): it writes the tables. */
    readonly airflow: Client;
    /** The watcher's credential: the monitoring login. */
    readonly monitor: DatabaseConnection;
    /** The master's credential, for showing what it cannot do. */
    readonly master: DatabaseConnection;
    /** Runs the bootstrap SQL again as the master (the Job after a password change). */
    bootstrap(): void;
    stop(): Promise<void>;
}

/** psql with a clean environment, as a client of the "RDS" endpoint; throws with psql's stderr. */
export function psql(pg: Postgres, user: string, password: string, database: string, args: string[], input?: string): string {
    const r = spawnSync(PSQL, ["-X", ...args], {
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: path.dirname(PSQL), PGHOST: pg.host, PGPORT: String(pg.port), PGUSER: user, PGPASSWORD: password, PGDATABASE: database, PGSSLMODE: "disable", ...clockEnv() },
        encoding: "utf8", input,
    });
    if (r.status !== 0) throw new Error(`psql as ${user}: ${r.stderr}`);
    return r.stdout;
}

export async function rdsLikeMetastore(options: { schema?: string; postgres?: PostgresOptions } = {}): Promise<RdsLikeMetastore> {
    const pg = await startPostgres(options.postgres);
    try {
        const root = new Client({ connectionString: pg.url });
        await root.connect();
        await root.query(`CREATE ROLE ${MASTER.user} LOGIN PASSWORD '${MASTER.password}' CREATEROLE CREATEDB`);
        await root.query(`CREATE DATABASE airflow OWNER ${MASTER.user}`);
        await root.end();
        const bootstrap = () => {
            psql(pg, MASTER.user, MASTER.password, "airflow", ["-v", `airflow_password=${AIRFLOW_PASSWORD}`, "-v", `monitor_password=${MONITOR_PASSWORD}`, "-f", "-"], bootstrapSql("airflow"));
        };
        bootstrap();
        const airflow = new Client({ host: pg.host, port: pg.port, database: "airflow", user: AIRFLOW_DB_USER, password: AIRFLOW_PASSWORD });
        await airflow.connect();
        await airflow.query(options.schema ?? AIRFLOW_SCHEMA);
        const conn = (username: string, password: string): DatabaseConnection => ({ host: pg.host, port: pg.port, database: "airflow", username, password, ssl: "disable" });
        return {
            pg, airflow, bootstrap,
            monitor: conn(MONITOR_DB_USER, MONITOR_PASSWORD),
            master: conn(MASTER.user, MASTER.password),
            stop: async () => {
                await airflow.end();
                await pg.stop();
            },
        };
    } catch (err) {
        await pg.stop();
        throw err;
    }
}

/**
 * Airflow's scheduler as the database sees it (jobs/job.py): a SchedulerJob row in state running whose
 * latest_heartbeat it refreshes every `everyMs` (scheduler_heartbeat_sec is 5 s), written as the
 * `airflow` role. stop() ends the heartbeats and the job (state success, end_date), as a clean
 * shutdown does; kill() only ends the heartbeats, as a crash does.
 */
export async function liveScheduler(airflow: Client, everyMs = 5_000): Promise<{ stop(): Promise<void>; kill(): void }> {
    const { rows } = await airflow.query<{ id: number }>(
        "INSERT INTO job (state, job_type, start_date, latest_heartbeat, executor_class, hostname, unixname) VALUES ('running', 'SchedulerJob', now(), now(), 'KubernetesExecutor', 'airflow-scheduler-0', 'airflow') RETURNING id");
    const id = rows[0].id;
    const timer = setInterval(() => void airflow.query("UPDATE job SET latest_heartbeat = now() WHERE id = $1", [id]).catch(() => undefined), everyMs);
    timer.unref();
    return {
        kill: () => clearInterval(timer),
        stop: async () => {
            clearInterval(timer);
            await airflow.query("UPDATE job SET state = 'success', end_date = now() WHERE id = $1", [id]);
        },
    };
}
