// Airflow's idle signal, read from its metadata database: are there DAG runs queued or running, or
// task instances in a state that is not final? Table, column and state names are those of Airflow
// 3.2.2 (the chart 1.22.0 pins it), read from Airflow's source:
//   airflow-core/src/airflow/models/dagrun.py       table dag_run, column state (String(50), nullable)
//   airflow-core/src/airflow/models/taskinstance.py table task_instance, column state (String(20), nullable)
//   airflow-core/src/airflow/utils/state.py         DagRunState, TaskInstanceState, State.finished/unfinished
// Any error (no connection, no table, a timeout) is reported as an error, which decide() counts as busy.

import type { IdleSignal } from "../lib/power";
import type { DatabaseConnection } from "./ssm";

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

const list = (values: readonly string[]) => values.map((v) => `'${v}'`).join(", ");

/**
 * One read-only statement. Anything not known to be finished counts as active, NULL included, so a
 * state added by a later Airflow keeps the platform awake rather than cutting a task.
 */
export const IDLE_SQL = `
SELECT
  (SELECT count(*) FROM dag_run WHERE state IS NULL OR state NOT IN (${list(DAG_RUN_FINISHED)})) AS active_runs,
  (SELECT count(*) FROM task_instance WHERE state IS NULL OR state NOT IN (${list(TASK_FINISHED)})) AS unfinished_tasks`;

export interface ReadOptions {
    readonly connectTimeoutMs?: number;
    readonly statementTimeoutMs?: number;
}

/** Reads the signal; never throws: a failure is { ok: false, error }. */
export async function readIdleSignal(conn: DatabaseConnection, options: ReadOptions = {}): Promise<IdleSignal> {
    let client: import("pg").Client | undefined;
    try {
        const pg = require("pg") as typeof import("pg");
        client = new pg.Client({
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
            application_name: "nightly-scheduler-watch",
        });
        await client.connect();
        const result = await client.query<{ active_runs: string; unfinished_tasks: string }>(IDLE_SQL);
        const row = result.rows[0];
        return { ok: true, activeRuns: Number(row.active_runs), unfinishedTasks: Number(row.unfinished_tasks) };
    } catch (err) {
        return { ok: false, error: `${(err as Error).name}: ${(err as Error).message}` };
    } finally {
        await client?.end().catch(() => undefined);
    }
}
