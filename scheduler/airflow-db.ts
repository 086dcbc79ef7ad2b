// Airflow's idle signal, read from its metadata database with Airflow's own signals: DAG runs queued
// or running and task instances not finished (of DAGs that are not paused), DAGs whose next run is
// due but not yet created, and the scheduler's heartbeat. Table, column and state names are those of
// Airflow 3.2.2 (the chart 1.22.0 pins it), read from Airflow's source:
//   airflow-core/src/airflow/models/dagrun.py       table dag_run, column state (String(50), nullable)
//   airflow-core/src/airflow/models/taskinstance.py table task_instance, column state (String(20), nullable)
//   airflow-core/src/airflow/models/dag.py          table dag: is_paused, is_stale, has_import_errors,
//                                                   exceeds_max_non_backfill, next_dagrun_create_after;
//                                                   DagModel.dags_needing_dagruns is the scheduler's own
//                                                   "due" query, mirrored by DUE_DAGS below
//   airflow-core/src/airflow/jobs/job.py            table job: job_type 'SchedulerJob', state 'running',
//                                                   latest_heartbeat; Job._is_alive
//   airflow-core/src/airflow/utils/state.py         DagRunState, TaskInstanceState, State.finished/unfinished
// Any error (no connection, no table, a timeout) is reported as an error, which decide() counts as busy.

import type { IdleSignal } from "./power";
import type { DatabaseConnection } from "./aws-ssm";

/**
 * The Airflow version whose tables and states the statement below was written against and tested on
 * (tests/metastore-fixture.ts holds that version's columns). A test fails when airflow/versions.ts moves
 * AIRFLOW_VERSION and this does not: re-read the models named above at the new version, update the
 * fixture's schema and the state lists, then this (README, "Upgrading Airflow").
 */
export const IDLE_SQL_AIRFLOW_VERSION = "3.2.2";

/** DagRunState: finished are success and failed (State.finished_dr_states); queued and running are not. */
export const DAG_RUN_FINISHED = ["success", "failed"] as const;
export const DAG_RUN_UNFINISHED = ["queued", "running"] as const;

/** TaskInstanceState values in State.finished: nothing more will happen to these. */
export const TASK_FINISHED = ["success", "failed", "skipped", "upstream_failed", "removed"] as const;
/**
 * State.unfinished: NULL (created, not yet scheduled) and these. Deferred counts: a trigger will
 * resume the task; up_for_retry and up_for_reschedule will run again.
 */
export const TASK_UNFINISHED = [null, "scheduled", "queued", "running", "restarting", "up_for_retry", "up_for_reschedule", "deferred"] as const;

/**
 * Task states of work already handed to a worker or the triggerer: pausing a DAG does not stop these
 * (Airflow only stops scheduling new ones), so they count even for a paused DAG; scaling the nodes to
 * zero would kill them.
 */
export const TASK_IN_FLIGHT = ["queued", "running", "restarting", "deferred"] as const;

const list = (values: readonly string[]) => values.map((v) => `'${v}'`).join(", ");

// A run or task of a DAG the `dag` table does not know (deleted, or not parsed yet) counts, as an
// unpaused one would: unknown is never idle.
const NOT_PAUSED = "NOT COALESCE((SELECT d.is_paused FROM dag d WHERE d.dag_id = x.dag_id), false)";
const RUN_UNFINISHED = `(x.state IS NULL OR x.state NOT IN (${list(DAG_RUN_FINISHED)}))`;
const TASK_NOT_FINISHED = `(x.state IS NULL OR x.state NOT IN (${list(TASK_FINISHED)}))`;
/** The scheduler's own condition for "create the next run now" (DagModel.dags_needing_dagruns), time-based part. */
const DUE_DAGS = "NOT d.is_paused AND NOT d.is_stale AND NOT d.has_import_errors AND NOT d.exceeds_max_non_backfill AND d.next_dagrun_create_after <= now()";

/**
 * One read-only statement. Anything not known to be finished counts as active, NULL included, so a
 * state added by a later Airflow keeps the platform awake rather than cutting a task. A paused DAG's
 * runs never progress, so they do not keep the platform up (they are counted apart, for the report);
 * its tasks already in flight do. The heartbeat age is measured on the database's clock, the one
 * Airflow writes it with, so the watcher's own clock cannot skew it.
 */
export const IDLE_SQL = `
SELECT
  (SELECT count(*) FROM dag_run x WHERE ${RUN_UNFINISHED} AND ${NOT_PAUSED}) AS active_runs,
  (SELECT count(*) FROM task_instance x WHERE ${TASK_NOT_FINISHED} AND (${NOT_PAUSED} OR x.state IN (${list(TASK_IN_FLIGHT)}))) AS unfinished_tasks,
  (SELECT count(*) FROM dag d WHERE ${DUE_DAGS}) AS due_dags,
  (SELECT count(*) FROM dag_run x WHERE ${RUN_UNFINISHED} AND NOT ${NOT_PAUSED}) AS paused_runs,
  (SELECT EXTRACT(EPOCH FROM now() - max(j.latest_heartbeat)) FROM job j WHERE j.job_type = 'SchedulerJob' AND j.state = 'running') AS scheduler_heartbeat_age`;

export interface ReadOptions {
    readonly connectTimeoutMs?: number;
    readonly statementTimeoutMs?: number;
}

/**
 * Connects as the watcher's monitoring login, runs `work`, and closes. Throws on any failure; the
 * readers below turn that into a result.
 */
export async function withAirflowDb<T>(conn: DatabaseConnection, applicationName: string, options: ReadOptions, work: (client: import("pg").Client) => Promise<T>): Promise<T> {
    const pg = require("pg") as typeof import("pg");
    const client = new pg.Client({
        host: conn.host,
        port: conn.port,
        database: conn.database,
        user: conn.username,
        password: conn.password,
        // RDS forces TLS (rds.force_ssl = 1). The certificate is verified against the RDS CA bundle the
        // Lambda runtime ships (NODE_EXTRA_CA_CERTS=/var/runtime/ca-cert.pem, set on the function).
        ssl: conn.ssl === "verify-full" ? { rejectUnauthorized: true } : false,
        connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
        statement_timeout: options.statementTimeoutMs ?? 10_000,
        application_name: applicationName,
    });
    try {
        await client.connect();
        return await work(client);
    } finally {
        await client.end().catch(() => undefined);
    }
}

/** Reads the signal; never throws: a failure is { ok: false, error }. */
export async function readIdleSignal(conn: DatabaseConnection, options: ReadOptions = {}): Promise<IdleSignal> {
    try {
        return await withAirflowDb(conn, "nightly-scheduler-watch", options, async (client) => {
            const result = await client.query<{ active_runs: string; unfinished_tasks: string; due_dags: string; paused_runs: string; scheduler_heartbeat_age: string | null }>(IDLE_SQL);
            const row = result.rows[0];
            return {
                ok: true,
                activeRuns: Number(row.active_runs),
                unfinishedTasks: Number(row.unfinished_tasks),
                dueDags: Number(row.due_dags),
                pausedRuns: Number(row.paused_runs),
                schedulerHeartbeatAgeSeconds: row.scheduler_heartbeat_age === null ? null : Math.round(Number(row.scheduler_heartbeat_age)),
            };
        });
    } catch (err) {
        return { ok: false, error: `${(err as Error).name}: ${(err as Error).message}` };
    }
}
