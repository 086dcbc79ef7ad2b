// The morning report: what the night did, built when the watcher puts the platform to sleep. Pure:
// the watcher feeds it what it read from Airflow's database (scheduler/night-db.ts), its own decision
// and the previous nights' reports; it returns the JSON that is kept, the text that is e-mailed and a
// small HTML page. Nothing here reads a clock or the network.

import { zonedParts } from "./power";

/** A DAG run the night touched, as dag_run holds it. */
export interface RunRow {
    readonly dagId: string;
    readonly runId: string;
    readonly runType: string;
    /** NULL in the table reads as undefined: created, not yet queued. */
    readonly state?: string;
    readonly queuedAt?: Date;
    readonly startDate?: Date;
    readonly endDate?: Date;
}

/** One try of a task that went wrong: failed, up for retry, or never run because an upstream failed. */
export interface TaskTry {
    readonly dagId: string;
    readonly runId: string;
    readonly taskId: string;
    /** -1: not a mapped task. */
    readonly mapIndex: number;
    readonly tryNumber: number;
    readonly state: string;
    readonly startDate?: Date;
    readonly endDate?: Date;
}

export interface TaskCount {
    readonly dagId: string;
    readonly runId: string;
    /** "none" for NULL. */
    readonly state: string;
    readonly count: number;
}

/** What the night's tables say, or why they could not be read. */
export type NightActivity =
    | { readonly ok: true; readonly runs: readonly RunRow[]; readonly problems: readonly TaskTry[]; readonly taskCounts: readonly TaskCount[] }
    | { readonly ok: false; readonly error: string };

/** Why the platform went to sleep. */
export type SleepCause = "idle" | "deadline" | "keep-awake ended" | "operator";

export interface ReportInput {
    readonly stack: string;
    readonly timeZone: string;
    /** The night's wake instant (the runs are due then). */
    readonly wakeAt: Date;
    /** When the nodes were restored (the wake instant minus the node lead). */
    readonly nodesUpAt: Date;
    readonly sleptAt: Date;
    readonly cause: SleepCause;
    /** The watcher's reason, as it logged it. */
    readonly reason: string;
    readonly activity: NightActivity;
    /** Flux objects that deliver Airflow and were not Ready at the end (flux-status.ts unhealthy()). */
    readonly fluxProblems: readonly string[];
    /** The wake function's failure this night, if it failed (kept in the watcher's state). */
    readonly wakeError?: string;
    /** Earlier nights' reports, any order: the durations to compare with. */
    readonly history: readonly NightReport[];
    /** Where a try's log is: the task-log bucket, and the search domain's endpoint where log search is on. */
    readonly logs: { readonly bucket: string; readonly searchEndpoint?: string };
    /** From the stack's estimate (cost/budget.ts nightCostRates); undefined: not estimated. */
    readonly cost?: { readonly perAwakeHour: number; readonly fixedPerDay: number };
}

export interface ReportRun {
    readonly dagId: string;
    readonly runId: string;
    readonly runType: string;
    readonly state: string;
    readonly start?: string;
    readonly end?: string;
    readonly minutes?: number;
    /** The median of this DAG's finished runs on the previous nights (up to 7), in minutes. */
    readonly usualMinutes?: number;
    readonly tasks: Readonly<Record<string, number>>;
}

export interface ReportProblem extends Pick<TaskTry, "dagId" | "runId" | "taskId" | "mapIndex" | "tryNumber" | "state"> {
    readonly at?: string;
    /** The try's log in the task-log bucket; none for a task that never ran (upstream_failed). */
    readonly logKey?: string;
    /** OpenSearch Dashboards' Discover, filtered to the task's pods, where log search is on. */
    readonly searchUrl?: string;
}

export interface NightReport {
    readonly version: 1;
    readonly stack: string;
    /** The local date of the wake instant: the night's name, and its S3 key. */
    readonly night: string;
    readonly wakeAt: string;
    readonly sleptAt: string;
    readonly awakeHours: number;
    readonly cause: SleepCause;
    readonly reason: string;
    /** What needs a look first: a forced sleep, a failed wake, Flux not Ready, failures, an unreadable database. */
    readonly alerts: readonly string[];
    readonly runs: readonly ReportRun[];
    readonly problems: readonly ReportProblem[];
    /** Runs left queued or running when the platform slept. */
    readonly unfinished: readonly { readonly dagId: string; readonly runId: string; readonly state: string }[];
    readonly databaseError?: string;
    readonly cost?: { readonly awakeUsd: number; readonly fixedUsd: number; readonly totalUsd: number };
}

const HOUR = 3_600_000;
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
const two = (n: number) => String(n).padStart(2, "0");

/** The night's name: the wake instant's local date (a night that wakes at 00:00 is that day's). */
export function nightOf(wakeAt: Date, timeZone: string): string {
    const p = zonedParts(wakeAt, timeZone);
    return `${p.year}-${two(p.month)}-${two(p.day)}`;
}

/** Where reports live in the task-log bucket. */
export const REPORT_PREFIX = "reports/";
export const reportKey = (night: string, ext: "json" | "html") => `${REPORT_PREFIX}${night}.${ext}`;

/**
 * The S3 key of one try's log, as Airflow 3 writes it with remote logging on (the default
 * [logging] log_filename_template, with remote_base_log_folder s3://<bucket>):
 * dag_id=<dag>/run_id=<run>/task_id=<task>/[map_index=<i>/]attempt=<try>.log
 */
export function taskLogKey(t: Pick<TaskTry, "dagId" | "runId" | "taskId" | "mapIndex" | "tryNumber">): string {
    return `dag_id=${t.dagId}/run_id=${t.runId}/task_id=${t.taskId}/${t.mapIndex >= 0 ? `map_index=${t.mapIndex}/` : ""}attempt=${t.tryNumber}.log`;
}

/**
 * Discover in OpenSearch Dashboards, searching the pods' logs (Fluent Bit's kube-* indices) for the
 * task's pod labels, which the KubernetesExecutor sets (dag_id, task_id; run_id sanitised).
 */
export function searchUrl(endpoint: string, t: Pick<TaskTry, "dagId" | "taskId">): string {
    const query = `kubernetes.labels.dag_id:"${t.dagId}" and kubernetes.labels.task_id:"${t.taskId}"`;
    return `https://${endpoint}/_dashboards/app/data-explorer/discover#?_q=(query:(language:kuery,query:'${encodeURIComponent(query).replace(/'/g, "%27")}'))`;
}

function median(values: readonly number[]): number | undefined {
    if (values.length === 0) return undefined;
    const s = [...values].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const minutesBetween = (a?: Date, b?: Date) => (a && b ? round((b.getTime() - a.getTime()) / 60_000, 1) : undefined);

/** The report of one night. */
export function buildReport(input: ReportInput): NightReport {
    const awakeHours = round(Math.max(0, input.sleptAt.getTime() - input.nodesUpAt.getTime()) / HOUR);
    const night = nightOf(input.wakeAt, input.timeZone);
    // Durations to compare with: each DAG's successful runs on up to seven earlier nights.
    const earlier = [...input.history].filter((h) => h.night < night).sort((a, b) => b.night.localeCompare(a.night)).slice(0, 7);
    const usual = (dagId: string) => median(earlier.flatMap((h) => h.runs.filter((r) => r.dagId === dagId && r.state === "success" && r.minutes !== undefined).map((r) => r.minutes!)));

    const alerts: string[] = [];
    if (input.wakeError) alerts.push(`The wake failed: ${input.wakeError}`);
    if (input.cause === "deadline") alerts.push(`Forced sleep at the deadline: Airflow still looked busy (${input.reason})`);
    if (input.fluxProblems.length > 0) alerts.push(`Flux had not delivered Airflow: ${input.fluxProblems.join("; ")}`);

    if (!input.activity.ok) {
        alerts.push(`Airflow's database could not be read: ${input.activity.error}`);
        return {
            version: 1, stack: input.stack, night, wakeAt: input.wakeAt.toISOString(), sleptAt: input.sleptAt.toISOString(), awakeHours,
            cause: input.cause, reason: input.reason, alerts, runs: [], problems: [], unfinished: [], databaseError: input.activity.error, cost: costOf(input, awakeHours),
        };
    }
    const { runs, problems, taskCounts } = input.activity;
    const reportRuns: ReportRun[] = runs.map((r) => {
        const tasks: Record<string, number> = {};
        for (const c of taskCounts.filter((c) => c.dagId === r.dagId && c.runId === r.runId)) tasks[c.state] = (tasks[c.state] ?? 0) + c.count;
        return {
            dagId: r.dagId, runId: r.runId, runType: r.runType, state: r.state ?? "none",
            start: r.startDate?.toISOString(), end: r.endDate?.toISOString(), minutes: minutesBetween(r.startDate, r.endDate),
            usualMinutes: usual(r.dagId), tasks,
        };
    });
    const reportProblems: ReportProblem[] = [...problems]
        .sort((a, b) => a.dagId.localeCompare(b.dagId) || a.runId.localeCompare(b.runId) || a.taskId.localeCompare(b.taskId) || a.mapIndex - b.mapIndex || a.tryNumber - b.tryNumber)
        .map((t) => ({
            dagId: t.dagId, runId: t.runId, taskId: t.taskId, mapIndex: t.mapIndex, tryNumber: t.tryNumber, state: t.state,
            at: (t.endDate ?? t.startDate)?.toISOString(),
            // A task that never ran has no log.
            logKey: t.state === "upstream_failed" ? undefined : `s3://${input.logs.bucket}/${taskLogKey(t)}`,
            searchUrl: t.state === "upstream_failed" || input.logs.searchEndpoint === undefined ? undefined : searchUrl(input.logs.searchEndpoint, t),
        }));
    const unfinished = reportRuns.filter((r) => r.state !== "success" && r.state !== "failed").map((r) => ({ dagId: r.dagId, runId: r.runId, state: r.state }));
    const failedRuns = reportRuns.filter((r) => r.state === "failed");
    if (failedRuns.length > 0) alerts.push(`${failedRuns.length} DAG run${failedRuns.length === 1 ? "" : "s"} failed: ${failedRuns.map((r) => r.dagId).join(", ")}`);
    if (unfinished.length > 0) alerts.push(`${unfinished.length} DAG run${unfinished.length === 1 ? " was" : "s were"} not finished at sleep: ${unfinished.map((r) => `${r.dagId} (${r.state})`).join(", ")}`);
    return {
        version: 1, stack: input.stack, night, wakeAt: input.wakeAt.toISOString(), sleptAt: input.sleptAt.toISOString(), awakeHours,
        cause: input.cause, reason: input.reason, alerts, runs: reportRuns, problems: reportProblems, unfinished, cost: costOf(input, awakeHours),
    };
}

function costOf(input: ReportInput, awakeHours: number): NightReport["cost"] {
    if (input.cost === undefined) return undefined;
    const awakeUsd = round(awakeHours * input.cost.perAwakeHour);
    const fixedUsd = round(input.cost.fixedPerDay);
    return { awakeUsd, fixedUsd, totalUsd: round(awakeUsd + fixedUsd) };
}

const CAUSES: Record<SleepCause, string> = {
    idle: "Airflow was idle on two consecutive checks",
    deadline: "the deadline forced it",
    "keep-awake ended": "an operator's keep-awake ended and Airflow was idle",
    operator: "an operator put it to sleep",
};

function local(iso: string | undefined, timeZone: string): string {
    if (iso === undefined) return "-";
    const p = zonedParts(new Date(iso), timeZone);
    return `${two(p.hour)}:${two(p.minute)}`;
}

function trend(r: ReportRun): string {
    if (r.minutes === undefined) return "";
    if (r.usualMinutes === undefined) return " (no earlier night to compare)";
    const ratio = r.usualMinutes === 0 ? 1 : r.minutes / r.usualMinutes;
    const word = ratio >= 1.5 ? "slower than usual" : ratio <= 0.67 ? "faster than usual" : "as usual";
    return ` (usually ${r.usualMinutes} min: ${word})`;
}

/** The e-mail: plain text, what needs a look first. */
export function reportText(r: NightReport, timeZone: string): string {
    const lines: string[] = [];
    lines.push(`Night of ${r.night}, ${r.stack}: ${r.alerts.length === 0 ? "all green" : `${r.alerts.length} thing${r.alerts.length === 1 ? "" : "s"} to look at`}`);
    lines.push("");
    for (const a of r.alerts) lines.push(`! ${a}`);
    if (r.alerts.length > 0) lines.push("");
    lines.push(`Awake ${r.awakeHours} h (nodes up before the ${local(r.wakeAt, timeZone)} wake, asleep at ${local(r.sleptAt, timeZone)} ${timeZone}); slept because ${CAUSES[r.cause]}.`);
    if (r.cost) lines.push(`The night cost about $${r.cost.totalUsd.toFixed(2)}: $${r.cost.awakeUsd.toFixed(2)} awake, $${r.cost.fixedUsd.toFixed(2)} for the parts that never sleep.`);
    lines.push("");
    if (r.databaseError === undefined) {
        lines.push(r.runs.length === 0 ? "No DAG run was scheduled or started this night." : `DAG runs (${r.runs.length}):`);
        for (const run of r.runs) {
            const counts = Object.entries(run.tasks).map(([s, n]) => `${n} ${s}`).join(", ");
            lines.push(`  ${run.state.padEnd(8)} ${run.dagId}  ${run.runId}  ${local(run.start, timeZone)}-${local(run.end, timeZone)}${run.minutes === undefined ? "" : `  ${run.minutes} min${trend(run)}`}${counts ? `  [${counts}]` : ""}`);
        }
        if (r.problems.length > 0) {
            lines.push("");
            lines.push(`Tasks that failed or are up for retry (${r.problems.length}):`);
            for (const p of r.problems) {
                lines.push(`  ${p.state.padEnd(15)} ${p.dagId}.${p.taskId}${p.mapIndex >= 0 ? `[${p.mapIndex}]` : ""}  try ${p.tryNumber}  ${p.runId}`);
                if (p.logKey) lines.push(`      log: ${p.logKey}`);
                if (p.searchUrl) lines.push(`      search: ${p.searchUrl}`);
            }
        }
    }
    lines.push("");
    lines.push(`Kept in the task-log bucket as ${reportKey(r.night, "json")} and .html; npm run power -- report --stack ${r.stack} prints the last nights.`);
    return lines.join("\n");
}

const escapeHtml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");

/** A small page for the record: the same content, every value escaped. */
export function reportHtml(r: NightReport, timeZone: string): string {
    const e = escapeHtml;
    const rows = r.runs.map((run) => `<tr><td>${e(run.state)}</td><td>${e(run.dagId)}</td><td>${e(run.runId)}</td><td>${e(local(run.start, timeZone))}</td><td>${e(local(run.end, timeZone))}</td><td>${run.minutes ?? ""}</td><td>${run.usualMinutes ?? ""}</td><td>${e(Object.entries(run.tasks).map(([s, n]) => `${n} ${s}`).join(", "))}</td></tr>`).join("\n");
    const problems = r.problems.map((p) => `<tr><td>${e(p.state)}</td><td>${e(p.dagId)}</td><td>${e(p.taskId)}${p.mapIndex >= 0 ? `[${p.mapIndex}]` : ""}</td><td>${p.tryNumber}</td><td>${e(p.runId)}</td><td>${p.logKey ? e(p.logKey) : ""}</td><td>${p.searchUrl ? `<a href="${e(p.searchUrl)}">search</a>` : ""}</td></tr>`).join("\n");
    return [
        "<!doctype html>",
        `<html><head><meta charset="utf-8"><title>${e(`${r.stack}: night of ${r.night}`)}</title></head><body>`,
        `<h1>${e(`${r.stack}: night of ${r.night}`)}</h1>`,
        r.alerts.length === 0 ? "<p>All green.</p>" : `<ul>${r.alerts.map((a) => `<li><strong>${e(a)}</strong></li>`).join("")}</ul>`,
        `<p>Awake ${r.awakeHours} h; slept because ${e(CAUSES[r.cause])}.${r.cost ? ` About $${r.cost.totalUsd.toFixed(2)}.` : ""}</p>`,
        `<table><tr><th>State</th><th>DAG</th><th>Run</th><th>Start</th><th>End</th><th>Minutes</th><th>Usual</th><th>Tasks</th></tr>\n${rows}</table>`,
        r.problems.length === 0 ? "" : `<h2>Failed or up for retry</h2><table><tr><th>State</th><th>DAG</th><th>Task</th><th>Try</th><th>Run</th><th>Log</th><th></th></tr>\n${problems}</table>`,
        "</body></html>",
        "",
    ].join("\n");
}

/** Why the watcher's sleep decision slept: from its action and whether a keep-awake ran out this cycle. */
export function sleepCause(action: "sleep" | "forced-sleep", keepAwakeUntil: Date | undefined, wakeAt: Date): SleepCause {
    if (action === "forced-sleep") return "deadline";
    return keepAwakeUntil !== undefined && keepAwakeUntil.getTime() > wakeAt.getTime() ? "keep-awake ended" : "idle";
}
