// The morning report, built from a real PostgreSQL 17 set up as RDS sets it up (tests/metastore-fixture.ts):
// Airflow 3.2.2's dag_run, task_instance and task_instance_history, written by the `airflow` role as
// Airflow writes them, read by the watcher's monitoring login. Four nights: all green, failures with
// retries, a stuck run ended by the deadline, nothing scheduled; then the rendering and the history.

import { strict as assert } from "assert";
import type { Client } from "pg";
import { readNight } from "./night-db";
import { buildReport, nightOf, reportHtml, reportKey, reportText, sleepCause, taskLogKey, type NightReport, type ReportInput } from "./report";
import { rdsLikeMetastore, type RdsLikeMetastore } from "../tests/metastore-fixture";

const TZ = "America/Los_Angeles";

describe("NightlyScheduler: the morning report from Airflow 3.2.2's tables on a real PostgreSQL", function () {
    this.timeout(30_000);
    let meta: RdsLikeMetastore;
    let airflow: Client;
    // The night: woken at 08:00 UTC (00:00 in Los Angeles in winter), asleep at 10:10.
    let wakeAt: Date;
    let sleptAt: Date;

    before(async () => {
        meta = await rdsLikeMetastore();
        airflow = meta.airflow;
        // Times relative to the database's clock, so that "since the wake" means what it does on RDS.
        const { rows } = await airflow.query<{ now: Date }>("SELECT now() AS now");
        sleptAt = rows[0].now;
        wakeAt = new Date(sleptAt.getTime() - 130 * 60_000);
    });
    after(async () => meta?.stop());
    beforeEach(async () => {
        await airflow.query("TRUNCATE dag_run CASCADE");
    });

    const minutesAgo = (m: number | null) => (m === null ? null : new Date(sleptAt.getTime() - m * 60_000));
    async function run(dagId: string, runId: string, state: string | null, startedMinutesAgo: number | null, endedMinutesAgo: number | null) {
        await airflow.query(
            "INSERT INTO dag_run (dag_id, run_id, run_type, state, run_after, logical_date, queued_at, start_date, end_date, clear_number, span_status) VALUES ($1, $2, 'scheduled', $3, $4, $4, $4, $5, $6, 0, 'not_started')",
            [dagId, runId, state, minutesAgo(startedMinutesAgo ?? 125), minutesAgo(startedMinutesAgo), minutesAgo(endedMinutesAgo)]);
    }
    /** The current try of a task, as task_instance holds it. */
    async function task(dagId: string, runId: string, taskId: string, state: string | null, tryNumber: number, endedMinutesAgo: number | null, mapIndex = -1) {
        await airflow.query(
            "INSERT INTO task_instance (id, task_id, dag_id, run_id, map_index, state, try_number, start_date, end_date, updated_at, pool, pool_slots, dag_version_id) VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, $7, $7, $7, 'default_pool', 1, gen_random_uuid())",
            [taskId, dagId, runId, mapIndex, state, tryNumber, minutesAgo(endedMinutesAgo)]);
    }
    /** An earlier try, as Airflow records it in task_instance_history when the task is retried. */
    async function earlierTry(dagId: string, runId: string, taskId: string, state: string, tryNumber: number, endedMinutesAgo: number, mapIndex = -1) {
        await airflow.query(
            "INSERT INTO task_instance_history (task_instance_id, task_id, dag_id, run_id, map_index, try_number, state, start_date, end_date, pool, pool_slots) VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, $7, $7, 'default_pool', 1)",
            [taskId, dagId, runId, mapIndex, tryNumber, state, minutesAgo(endedMinutesAgo)]);
    }
    const input = (activity: ReportInput["activity"], extra: Partial<ReportInput> = {}): ReportInput => ({
        stack: "prod", timeZone: TZ, wakeAt, nodesUpAt: new Date(wakeAt.getTime() - 30 * 60_000), sleptAt, cause: "idle",
        reason: "idle on two consecutive checks", activity, fluxProblems: [], history: [],
        logs: { bucket: "data-platform-prod-task-logs", searchEndpoint: "vpc-logs.us-east-1.es.amazonaws.com" },
        cost: { perAwakeHour: 0.103, fixedPerDay: 4.71 }, ...extra,
    });

    it("all green: every run of the night with its times and task counts; an old finished run is not the night's", async () => {
        await run("etl", "scheduled__a", "success", 120, 80);
        await task("etl", "scheduled__a", "extract", "success", 1, 100);
        await task("etl", "scheduled__a", "load", "success", 1, 80);
        await run("report", "scheduled__a", "success", 80, 70);
        await task("report", "scheduled__a", "render", "skipped", 0, 70);
        await run("etl", "scheduled__yesterday", "success", 1500, 1450);
        const night = await readNight(meta.monitor, wakeAt);
        assert.ok(night.ok, !night.ok ? night.error : "");
        const r = buildReport(input(night));
        assert.deepEqual(r.runs.map((x) => [x.dagId, x.runId, x.state, x.minutes, x.tasks]), [
            ["etl", "scheduled__a", "success", 40, { success: 2 }],
            ["report", "scheduled__a", "success", 10, { skipped: 1 }],
        ]);
        assert.deepEqual([r.alerts, r.problems, r.unfinished], [[], [], []]);
        assert.equal(r.awakeHours, 2.67, "from the nodes' start, 30 minutes before the wake, to the sleep");
        assert.deepEqual(r.cost, { awakeUsd: 0.28, fixedUsd: 4.71, totalUsd: 4.99 });
        assert.match(reportText(r, TZ), /^Night of \d{4}-\d\d-\d\d, prod: all green\n/);
    });

    it("failures with retries: the failed tries from history and the current one, each with its log key; the upstream casualty has none", async () => {
        await run("etl", "scheduled__b", "failed", 120, 20);
        // load failed on try 1, then succeeded on try 2 (its try 1 is in history, which refers to the task).
        await task("etl", "scheduled__b", "load", "success", 2, 70);
        await earlierTry("etl", "scheduled__b", "load", "failed", 1, 90);
        // transform failed twice: try 1 in history, try 2 the current one.
        await task("etl", "scheduled__b", "transform", "failed", 2, 25);
        await earlierTry("etl", "scheduled__b", "transform", "failed", 1, 60);
        await task("etl", "scheduled__b", "publish", "upstream_failed", 0, 20);
        // A mapped task waiting for its retry when the night ended.
        await run("fanout", "scheduled__b", "running", 100, null);
        await task("fanout", "scheduled__b", "shard", "up_for_retry", 1, 30, 3);
        const night = await readNight(meta.monitor, wakeAt);
        assert.ok(night.ok);
        const r = buildReport(input(night, { cause: "deadline", reason: "deadline passed" }));
        assert.deepEqual(r.problems.map((p) => [p.dagId, p.taskId, p.mapIndex, p.tryNumber, p.state, p.logKey]), [
            ["etl", "load", -1, 1, "failed", "s3://data-platform-prod-task-logs/dag_id=etl/run_id=scheduled__b/task_id=load/attempt=1.log"],
            ["etl", "publish", -1, 0, "upstream_failed", undefined],
            ["etl", "transform", -1, 1, "failed", "s3://data-platform-prod-task-logs/dag_id=etl/run_id=scheduled__b/task_id=transform/attempt=1.log"],
            ["etl", "transform", -1, 2, "failed", "s3://data-platform-prod-task-logs/dag_id=etl/run_id=scheduled__b/task_id=transform/attempt=2.log"],
            ["fanout", "shard", 3, 1, "up_for_retry", "s3://data-platform-prod-task-logs/dag_id=fanout/run_id=scheduled__b/task_id=shard/map_index=3/attempt=1.log"],
        ]);
        assert.match(r.problems[0].searchUrl!, /^https:\/\/vpc-logs\.us-east-1\.es\.amazonaws\.com\/_dashboards\/.*dag_id.*etl.*task_id.*load/);
        // The forced sleep first, then the failed run and the unfinished one.
        assert.deepEqual(r.alerts, [
            "Forced sleep at the deadline: Airflow still looked busy (deadline passed)",
            "1 DAG run failed: etl",
            "1 DAG run was not finished at sleep: fanout (running)",
        ]);
        const text = reportText(r, TZ);
        assert.match(text, /^Night of .*: 3 things to look at\n\n! Forced sleep at the deadline/);
        assert.match(text, /failed +etl\.transform +try 2 +scheduled__b\n +log: s3:\/\/data-platform-prod-task-logs\/dag_id=etl\/run_id=scheduled__b\/task_id=transform\/attempt=2\.log/);
        assert.match(text, /up_for_retry +fanout\.shard\[3\] +try 1/);
    });

    it("a stuck run: still running at the deadline, named at the top; a failed wake and Flux not Ready say so too", async () => {
        await run("stuck", "manual__c", "running", 110, null);
        await task("stuck", "manual__c", "wait", "running", 1, null);
        const night = await readNight(meta.monitor, wakeAt);
        assert.ok(night.ok);
        const r = buildReport(input(night, { cause: "deadline", reason: "deadline 12:00 passed", wakeError: "ResourceInUseException at UpdateNodegroupConfig", fluxProblems: ["HelmRelease airflow/airflow: InstallFailed"] }));
        assert.deepEqual(r.unfinished, [{ dagId: "stuck", runId: "manual__c", state: "running" }]);
        assert.deepEqual(r.alerts, [
            "The wake failed: ResourceInUseException at UpdateNodegroupConfig",
            "Forced sleep at the deadline: Airflow still looked busy (deadline 12:00 passed)",
            "Flux had not delivered Airflow: HelmRelease airflow/airflow: InstallFailed",
            "1 DAG run was not finished at sleep: stuck (running)",
        ]);
        assert.deepEqual(r.runs[0].tasks, { running: 1 });
    });

    it("nothing scheduled: an empty night says so", async () => {
        const night = await readNight(meta.monitor, wakeAt);
        assert.ok(night.ok);
        assert.deepEqual([night.runs, night.problems, night.taskCounts], [[], [], []]);
        const r = buildReport(input(night));
        assert.deepEqual(r.alerts, []);
        assert.match(reportText(r, TZ), /No DAG run was scheduled or started this night\./);
    });

    it("the master cannot read the night (RDS's master is no superuser); an unreachable database is reported, not thrown", async () => {
        const asMaster = await readNight(meta.master, wakeAt);
        assert.equal(asMaster.ok, false);
        assert.match(!asMaster.ok ? asMaster.error : "", /permission denied/);
        const r = buildReport(input({ ok: false, error: "Error: connect ETIMEDOUT" }));
        assert.deepEqual(r.alerts, ["Airflow's database could not be read: Error: connect ETIMEDOUT"]);
        assert.equal(r.databaseError, "Error: connect ETIMEDOUT");
    });
});

describe("NightlyScheduler: the morning report's rendering, history and names (pure)", () => {
    const wakeAt = new Date("2026-01-15T08:00:00Z"); // 00:00 in Los Angeles
    const base = (minutes: number, night: string): NightReport => ({
        version: 1, stack: "prod", night, wakeAt: "", sleptAt: "", awakeHours: 2, cause: "idle", reason: "", alerts: [], problems: [], unfinished: [],
        runs: [{ dagId: "etl", runId: "r", runType: "scheduled", state: "success", minutes, tasks: {} }],
    });
    const activity = (minutes: number) => ({
        ok: true as const, problems: [], taskCounts: [],
        runs: [{ dagId: "etl", runId: "scheduled__x", runType: "scheduled", state: "success", startDate: new Date(wakeAt.getTime() + 60_000), endDate: new Date(wakeAt.getTime() + (1 + minutes) * 60_000) }],
    });
    const input = (minutes: number, history: NightReport[]): ReportInput => ({
        stack: "prod", timeZone: TZ, wakeAt, nodesUpAt: wakeAt, sleptAt: new Date(wakeAt.getTime() + 2 * 3_600_000), cause: "idle", reason: "",
        activity: activity(minutes), fluxProblems: [], history, logs: { bucket: "b" },
    });

    it("compares each DAG's duration with the median of its successful runs on up to seven earlier nights", () => {
        const history = [base(30, "2026-01-14"), base(40, "2026-01-13"), base(35, "2026-01-12"), base(999, "2026-01-15")];
        const r = buildReport(input(80, history));
        assert.equal(r.runs[0].usualMinutes, 35, "the same night's own report is not history");
        assert.match(reportText(r, TZ), /80 min \(usually 35 min: slower than usual\)/);
        assert.match(reportText(buildReport(input(36, history)), TZ), /36 min \(usually 35 min: as usual\)/);
        assert.match(reportText(buildReport(input(36, [])), TZ), /36 min \(no earlier night to compare\)/);
    });

    it("names the night by the wake's local date, keeps it under reports/, and writes Airflow's log keys", () => {
        assert.equal(nightOf(wakeAt, TZ), "2026-01-15");
        assert.equal(nightOf(new Date("2026-07-15T07:00:00Z"), TZ), "2026-07-15", "summer: 00:00 PDT is 07:00 UTC");
        assert.equal(reportKey("2026-01-15", "json"), "reports/2026-01-15.json");
        assert.equal(taskLogKey({ dagId: "d", runId: "manual__2026-01-15T08:00:00+00:00", taskId: "t", mapIndex: -1, tryNumber: 2 }), "dag_id=d/run_id=manual__2026-01-15T08:00:00+00:00/task_id=t/attempt=2.log");
    });

    it("escapes every value in the HTML page", () => {
        const r = buildReport({ ...input(5, []), activity: { ok: true, problems: [], taskCounts: [], runs: [{ dagId: "<script>alert(1)</script>", runId: "x&y", runType: "manual", state: "success" }] } });
        const html = reportHtml(r, TZ);
        assert.ok(!html.includes("<script>"));
        assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
        assert.match(html, /x&amp;y/);
    });

    it("says why it slept: the deadline, a keep-awake that ran out this cycle, or idleness", () => {
        assert.equal(sleepCause("forced-sleep", undefined, wakeAt), "deadline");
        assert.equal(sleepCause("sleep", new Date(wakeAt.getTime() + 3_600_000), wakeAt), "keep-awake ended");
        assert.equal(sleepCause("sleep", new Date(wakeAt.getTime() - 86_400_000), wakeAt), "idle", "yesterday's keep-awake is not tonight's");
        assert.equal(sleepCause("sleep", undefined, wakeAt), "idle");
    });
});
