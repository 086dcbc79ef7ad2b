// What a night did, read from Airflow's metadata database for the morning report (scheduler/report.ts),
// as the watcher's monitoring login, read-only. Tables and columns of Airflow 3.2.2, read from its
// models (as scheduler/airflow-db.ts):
//   models/dagrun.py                   dag_run: dag_id, run_id, run_type, state, queued_at, start_date, end_date, run_after
//   models/taskinstance.py             task_instance: the current try of each task (try_number, state)
//   models/taskinstancehistory.py      task_instance_history: the earlier tries; a task retried after a
//                                      failure has its failed try here and its new try in task_instance
// Any error is returned as { ok: false }: the report then says the database could not be read.

import type { DatabaseConnection } from "./aws-ssm";
import { withAirflowDb, type ReadOptions } from "./airflow-db";
import type { NightActivity, RunRow, TaskCount, TaskTry } from "./report";

/** A run belongs to the night if it was queued, started or ended since the given instant, or is still unfinished. */
const NIGHT_RUN = "(coalesce(r.end_date, r.start_date, r.queued_at, r.run_after) >= $1 OR r.state IS NULL OR r.state NOT IN ('success', 'failed'))";

export const NIGHT_RUNS_SQL = `
SELECT r.dag_id, r.run_id, r.run_type, r.state, r.queued_at, r.start_date, r.end_date
FROM dag_run r WHERE ${NIGHT_RUN}
ORDER BY coalesce(r.start_date, r.queued_at, r.run_after), r.dag_id, r.run_id`;

export const NIGHT_TASK_COUNTS_SQL = `
SELECT t.dag_id, t.run_id, coalesce(t.state, 'none') AS state, count(*) AS n
FROM task_instance t JOIN dag_run r ON r.dag_id = t.dag_id AND r.run_id = t.run_id
WHERE ${NIGHT_RUN}
GROUP BY 1, 2, 3`;

/**
 * Every try that went wrong since the instant: the current tries that failed, wait for a retry or were
 * never run for an upstream failure, and the earlier tries (history) that failed.
 */
export const NIGHT_PROBLEMS_SQL = `
SELECT dag_id, run_id, task_id, map_index, try_number, state, start_date, end_date FROM task_instance
WHERE state IN ('failed', 'up_for_retry', 'upstream_failed') AND coalesce(end_date, start_date, updated_at) >= $1
UNION ALL
SELECT dag_id, run_id, task_id, map_index, try_number, state, start_date, end_date FROM task_instance_history
WHERE state IN ('failed', 'up_for_retry') AND coalesce(end_date, start_date) >= $1`;

const date = (v: unknown) => (v === null || v === undefined ? undefined : new Date(v as string | Date));

/** Reads the night since `since` (the cycle's start); never throws. */
export async function readNight(conn: DatabaseConnection, since: Date, options: ReadOptions = {}): Promise<NightActivity> {
    try {
        return await withAirflowDb(conn, "nightly-scheduler-report", options, async (client): Promise<NightActivity> => {
            const runs = await client.query(NIGHT_RUNS_SQL, [since]);
            const counts = await client.query(NIGHT_TASK_COUNTS_SQL, [since]);
            const problems = await client.query(NIGHT_PROBLEMS_SQL, [since]);
            return {
                ok: true,
                runs: runs.rows.map((r): RunRow => ({ dagId: r.dag_id, runId: r.run_id, runType: r.run_type, state: r.state ?? undefined, queuedAt: date(r.queued_at), startDate: date(r.start_date), endDate: date(r.end_date) })),
                taskCounts: counts.rows.map((r): TaskCount => ({ dagId: r.dag_id, runId: r.run_id, state: r.state, count: Number(r.n) })),
                problems: problems.rows.map((r): TaskTry => ({ dagId: r.dag_id, runId: r.run_id, taskId: r.task_id, mapIndex: Number(r.map_index), tryNumber: Number(r.try_number ?? 0), state: r.state, startDate: date(r.start_date), endDate: date(r.end_date) })),
            };
        });
    } catch (err) {
        return { ok: false, error: `${(err as Error).name}: ${(err as Error).message}` };
    }
}
