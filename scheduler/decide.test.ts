// decide() and the time maths as time tables: the platform's day in winter and summer, each rule,
// the daylight-saving changes of 2026 and 2027 (the wake instant in UTC either side of each change
// and the nights of the changes themselves), and a simulated fortnight proving a backup a day.

import { strict as assert } from "assert";
import {
    backupWindowProblem, cronMinutesBefore, parseWakeWindow, cycleLeadMinutes, dbStartCron, decide, lastWakeAtOrBefore, nextWakeAfter, nodeWakeCron, parseDailyCron, powerSettings, requiredBackupWindowStart,
    wakeInstantOn, zonedTimeToUtc, maintenanceWindowFor, parseMaintenanceWindow, guaranteedUpInterval, type Decision, type IdleSignal, type Observations, type PowerSettings,
} from "./power";

const S: PowerSettings = powerSettings("data-platform-prod");
const at = (iso: string) => new Date(iso);
/** A live scheduler (heartbeat 4 s ago) and nothing to do. */
const IDLE: IdleSignal = { ok: true, activeRuns: 0, unfinishedTasks: 0, dueDags: 0, pausedRuns: 0, schedulerHeartbeatAgeSeconds: 4 };
const BUSY: IdleSignal = { ...IDLE, activeRuns: 1, unfinishedTasks: 3 };

/** Observations of an awake platform; override what a row is about. */
function obs(over: Omit<Partial<Observations>, "db"> & { desired?: number; db?: string } = {}): Observations {
    const { desired, db, ...rest } = over;
    return {
        event: { kind: "watch" },
        nodes: { desired: desired ?? 4, target: 4, status: "ACTIVE" },
        db: { status: db ?? "available" },
        latestBackupAt: undefined,
        state: {},
        idle: IDLE,
        ...rest,
    };
}

interface Row {
    readonly name: string;
    readonly now: string;
    readonly obs: Observations;
    readonly action: Decision["action"];
    readonly stopDatabase?: boolean;
    readonly reason?: RegExp;
    readonly metrics?: Partial<Decision["metrics"]>;
    readonly settings?: PowerSettings;
    /** What the watcher's state becomes ("keep" for a decision that leaves it as it is). */
    readonly nextState?: Decision["nextState"] | "keep";
    readonly applyDbChanges?: boolean;
}

function check(rows: readonly Row[]) {
    for (const row of rows) {
        it(`${row.now}  ${row.name} → ${row.action}${row.stopDatabase === undefined ? "" : row.stopDatabase ? " (and stop the metastore)" : " (metastore kept)"}`, () => {
            const d = decide(at(row.now), row.obs, row.settings ?? S);
            assert.equal(d.action, row.action, d.reason);
            if (row.stopDatabase !== undefined) assert.equal(d.stopDatabase, row.stopDatabase, d.reason);
            if (row.reason) assert.match(d.reason, row.reason);
            if (row.nextState !== undefined) assert.deepEqual(d.nextState, row.nextState === "keep" ? undefined : row.nextState, `nextState: ${d.reason}`);
            if (row.applyDbChanges !== undefined) assert.equal(d.applyDbChanges ?? false, row.applyDbChanges, `applyDbChanges: ${d.reason}`);
            for (const [k, v] of Object.entries(row.metrics ?? {})) assert.equal(d.metrics[k as keyof Decision["metrics"]], v, `${k}: ${d.reason}`);
        });
    }
}

describe("NightlyScheduler: time maths", () => {
    it("defaults: 00:00 Los Angeles, the metastore's backup window, parameters under the stack prefix", () => {
        assert.equal(S.wakeCron, "cron(0 0 * * ? *)");
        assert.equal(S.timeZone, "America/Los_Angeles");
        assert.equal(S.backupWindow, "08:15-08:45");
        assert.equal(S.keepAwakeParameter, "/data-platform-prod/power/keep-awake");
        assert.equal(S.stateParameter, "/data-platform-prod/power/watcher-state");
        assert.ok(S.graceMinutes >= S.watchIntervalMinutes && S.deadlineHours * 60 > S.graceMinutes);
    });

    it("accepts only daily Scheduler crons, and computes the metastore's earlier start", () => {
        assert.deepEqual(parseDailyCron("cron(0 0 * * ? *)"), { hour: 0, minute: 0 });
        assert.deepEqual(parseDailyCron("cron(45 23 * * ? *)"), { hour: 23, minute: 45 });
        for (const bad of ["cron(0 0 * * MON *)", "rate(1 day)", "cron(60 0 * * ? *)", "cron(0 24 * * ? *)", "0 0 * * *"]) {
            assert.equal(typeof parseDailyCron(bad), "string", bad);
        }
        assert.equal(cronMinutesBefore("cron(0 0 * * ? *)", 30), "cron(30 23 * * ? *)");
        assert.equal(cronMinutesBefore("cron(15 6 * * ? *)", 30), "cron(45 5 * * ? *)");
    });

    // The wake instant in UTC on each side of every change, and on the night of the change (midnight
    // comes before the 02:00 change, so that night still has the old offset).
    const WAKES: [string, string, string][] = [
        ["2026-03-07", "2026-03-07T08:00:00.000Z", "winter (PST, UTC-8)"],
        ["2026-03-08", "2026-03-08T08:00:00.000Z", "night of the spring change: 00:00 is still PST"],
        ["2026-03-09", "2026-03-09T07:00:00.000Z", "summer (PDT, UTC-7)"],
        ["2026-10-31", "2026-10-31T07:00:00.000Z", "summer"],
        ["2026-11-01", "2026-11-01T07:00:00.000Z", "night of the autumn change: 00:00 is still PDT"],
        ["2026-11-02", "2026-11-02T08:00:00.000Z", "winter"],
        ["2027-03-13", "2027-03-13T08:00:00.000Z", "winter"],
        ["2027-03-14", "2027-03-14T08:00:00.000Z", "night of the spring change"],
        ["2027-03-15", "2027-03-15T07:00:00.000Z", "summer"],
        ["2027-11-06", "2027-11-06T07:00:00.000Z", "summer"],
        ["2027-11-07", "2027-11-07T07:00:00.000Z", "night of the autumn change"],
        ["2027-11-08", "2027-11-08T08:00:00.000Z", "winter"],
    ];
    for (const [date, utc, why] of WAKES) {
        it(`wakes on ${date} at ${utc} (${why})`, () => {
            const [year, month, day] = date.split("-").map(Number);
            assert.equal(wakeInstantOn({ year, month, day }, S).toISOString(), utc);
        });
    }

    it("the nodes' wake (23:30 local) and the metastore's early start (23:00) the evening before, across the changes", () => {
        assert.equal(nodeWakeCron(S), "cron(30 23 * * ? *)");
        assert.equal(dbStartCron(S), "cron(0 23 * * ? *)");
        assert.equal(cycleLeadMinutes(S), 60);
        const utc = (cron: string, y: number, m: number, d: number) => zonedTimeToUtc({ year: y, month: m, day: d }, parseDailyCron(cron) as { hour: number; minute: number }, S.timeZone).toISOString();
        const db = (y: number, m: number, d: number) => utc(dbStartCron(S), y, m, d);
        assert.equal(db(2026, 3, 7), "2026-03-08T07:00:00.000Z");  // an hour before the 08:00Z wake of the change night
        assert.equal(db(2026, 3, 8), "2026-03-09T06:00:00.000Z");  // PDT now: an hour before 07:00Z
        assert.equal(db(2026, 10, 31), "2026-11-01T06:00:00.000Z");
        assert.equal(db(2026, 11, 1), "2026-11-02T07:00:00.000Z");
        assert.equal(db(2027, 3, 13), "2027-03-14T07:00:00.000Z");
        assert.equal(db(2027, 11, 6), "2027-11-07T06:00:00.000Z");
        assert.equal(utc(nodeWakeCron(S), 2026, 3, 7), "2026-03-08T07:30:00.000Z");
        assert.equal(utc(nodeWakeCron(S), 2026, 10, 31), "2026-11-01T06:30:00.000Z");
    });

    it("the last and next wake, during the hour that is skipped and the hour that happens twice", () => {
        // 2026-03-08 10:30Z is 03:30 PDT, just after 02:00 PST jumped to 03:00 PDT.
        assert.equal(lastWakeAtOrBefore(at("2026-03-08T09:30:00Z"), S).toISOString(), "2026-03-08T08:00:00.000Z");
        assert.equal(lastWakeAtOrBefore(at("2026-03-08T10:30:00Z"), S).toISOString(), "2026-03-08T08:00:00.000Z");
        assert.equal(nextWakeAfter(at("2026-03-08T10:30:00Z"), S).toISOString(), "2026-03-09T07:00:00.000Z");
        // 2026-11-01 08:30Z and 09:30Z are both 01:30 local (PDT, then PST).
        assert.equal(lastWakeAtOrBefore(at("2026-11-01T08:30:00Z"), S).toISOString(), "2026-11-01T07:00:00.000Z");
        assert.equal(lastWakeAtOrBefore(at("2026-11-01T09:30:00Z"), S).toISOString(), "2026-11-01T07:00:00.000Z");
        assert.equal(nextWakeAfter(at("2026-11-01T09:30:00Z"), S).toISOString(), "2026-11-02T08:00:00.000Z");
        // Exactly at the wake instant, it is the last wake.
        assert.equal(lastWakeAtOrBefore(at("2026-01-15T08:00:00Z"), S).toISOString(), "2026-01-15T08:00:00.000Z");
        // A wall time inside the spring gap moves forward by the gap; the doubled hour resolves to its first time.
        assert.equal(zonedTimeToUtc({ year: 2026, month: 3, day: 8 }, { hour: 2, minute: 30 }, S.timeZone).toISOString(), "2026-03-08T10:30:00.000Z");
        assert.equal(zonedTimeToUtc({ year: 2026, month: 11, day: 1 }, { hour: 1, minute: 30 }, S.timeZone).toISOString(), "2026-11-01T08:30:00.000Z");
    });

    it("the backup window the night must keep is inside the run in winter (15 min after the wake) and summer (75 min after)", () => {
        assert.equal(requiredBackupWindowStart(at("2026-01-15T08:00:00Z"), S).toISOString(), "2026-01-15T08:15:00.000Z");
        assert.equal(requiredBackupWindowStart(at("2026-07-15T07:00:00Z"), S).toISOString(), "2026-07-15T08:15:00.000Z");
        assert.equal(requiredBackupWindowStart(at("2026-03-08T08:00:00Z"), S).toISOString(), "2026-03-08T08:15:00.000Z");
        assert.equal(requiredBackupWindowStart(at("2026-11-01T07:00:00Z"), S).toISOString(), "2026-11-01T08:15:00.000Z");
    });
});

describe("NightlyScheduler: the backup window fits the night (a config rule)", () => {
    it("the defaults fit: the window ends 45 min (winter) or 105 min (summer) after the wake, before the 4 h deadline", () => {
        assert.equal(backupWindowProblem(S), undefined);
    });
    it("a window outside the night, or a deadline before the window, is refused", () => {
        assert.match(String(backupWindowProblem({ ...S, backupWindow: "20:00-20:30" })), /after the 4 h deadline/);
        assert.match(String(backupWindowProblem({ ...S, deadlineHours: 1 })), /2027-07-15.*after the 1 h deadline/);
        assert.equal(backupWindowProblem({ ...S, deadlineHours: 2 }), undefined);
    });
});

describe("NightlyScheduler: decide, a winter night (wake 00:00 PST = 08:00Z)", () => {
    const yesterdaysBackup = at("2026-01-14T08:20:00Z");
    const todaysBackup = at("2026-01-15T08:20:00Z");
    check([
        { name: "early start, metastore stopped", now: "2026-01-15T07:00:05Z", obs: obs({ event: { kind: "db-start", scheduledAt: at("2026-01-15T07:00:00Z") }, desired: 0, db: "stopped" }), action: "start-db" },
        { name: "early start delivered again, metastore starting", now: "2026-01-15T07:01:00Z", obs: obs({ event: { kind: "db-start", scheduledAt: at("2026-01-15T07:00:00Z") }, desired: 0, db: "starting" }), action: "none" },
        { name: "watch while the metastore starts ahead of the wake", now: "2026-01-15T07:10:00Z", obs: obs({ desired: 0, db: "available", latestBackupAt: yesterdaysBackup }), action: "none", reason: /waking/ },
        { name: "wake, nodes at 0 (30 min before the runs are due)", now: "2026-01-15T07:30:02Z", obs: obs({ event: { kind: "wake", scheduledAt: at("2026-01-15T07:30:00Z") }, desired: 0 }), action: "wake" },
        { name: "wake, metastore still stopped (early start lost)", now: "2026-01-15T07:30:02Z", obs: obs({ event: { kind: "wake", scheduledAt: at("2026-01-15T07:30:00Z") }, desired: 0, db: "stopped" }), action: "wake", reason: /start the metastore/ },
        { name: "wake finds the metastore still stopping (a sleep of a moment ago)", now: "2026-01-15T07:30:02Z", obs: obs({ event: { kind: "wake", scheduledAt: at("2026-01-15T07:30:00Z") }, desired: 0, db: "stopping" }), action: "wake", reason: /start the metastore \(stopping: once its stop ends\)/ },
        { name: "wake delivered again, nodes up but the metastore stopping: not done", now: "2026-01-15T07:31:00Z", obs: obs({ event: { kind: "wake", scheduledAt: at("2026-01-15T07:30:00Z") }, db: "stopping" }), action: "wake" },
        { name: "nodes up, metastore stopped (a late wake after the watcher stopped it): start it", now: "2026-01-15T09:10:00Z", obs: obs({ db: "stopped", idle: BUSY }), action: "start-db", reason: /nodes are up but the metastore is stopped/ },
        { name: "nodes up, metastore stopping: start it once stopped", now: "2026-01-15T08:40:00Z", obs: obs({ db: "stopping", state: { idleSince: "2026-01-15T08:30:00.000Z" } }), action: "start-db", reason: /once its stop ends/ },
        { name: "nodes up in the lead, metastore stopped: start it", now: "2026-01-15T07:40:00Z", obs: obs({ db: "stopped" }), action: "start-db" },
        { name: "nodes up, metastore stopped, past the deadline: forced sleep, no start", now: "2026-01-15T12:10:00Z", obs: obs({ db: "stopped", idle: BUSY }), action: "forced-sleep" },
        { name: "wake delivered again", now: "2026-01-15T07:31:00Z", obs: obs({ event: { kind: "wake", scheduledAt: at("2026-01-15T07:30:00Z") } }), action: "none", reason: /already awake/ },
        { name: "watch as the nodes are due, not yet scaled (wake runs in parallel)", now: "2026-01-15T07:30:00Z", obs: obs({ desired: 0, db: "available" }), action: "none", reason: /waking/ },
        { name: "nodes up and Airflow idle before the runs are due (Flux rolls out the new image)", now: "2026-01-15T07:40:00Z", obs: obs(), action: "none", reason: /next wake \(2026-01-15T08:00:00.000Z\) is due/ },
        { name: "idle twice before the runs are due: still no sleep", now: "2026-01-15T07:50:00Z", obs: obs({ state: { idleSince: "2026-01-15T07:40:00.000Z" } }), action: "none", reason: /is due/ },
        { name: "idle inside the grace period", now: "2026-01-15T08:10:00Z", obs: obs(), action: "none", reason: /grace/ },
        { name: "idle, one minute before grace ends", now: "2026-01-15T08:29:00Z", obs: obs(), action: "none", reason: /grace/ },
        { name: "first idle check after grace", now: "2026-01-15T08:30:00Z", obs: obs(), action: "record-idle" },
        { name: "busy", now: "2026-01-15T08:40:00Z", obs: obs({ idle: BUSY, state: { idleSince: "2026-01-15T08:30:00.000Z" } }), action: "none", reason: /busy: 1 DAG runs/ },
        { name: "read error is busy, even after an idle check", now: "2026-01-15T08:40:00Z", obs: obs({ idle: { ok: false, error: "ECONNREFUSED" }, state: { idleSince: "2026-01-15T08:30:00.000Z" } }), action: "none", reason: /ECONNREFUSED.*counted as busy/ },
        { name: "signal not read at all is busy", now: "2026-01-15T08:40:00Z", obs: obs({ idle: undefined }), action: "none", reason: /counted as busy/ },
        { name: "only one idle check so far", now: "2026-01-15T08:40:00Z", obs: obs(), action: "record-idle" },
        { name: "second consecutive idle check, today's backup taken", now: "2026-01-15T08:40:00Z", obs: obs({ state: { idleSince: "2026-01-15T08:30:00.000Z" }, latestBackupAt: todaysBackup }), action: "sleep", stopDatabase: true },
        { name: "second consecutive idle check, backup not yet taken", now: "2026-01-15T08:40:00Z", obs: obs({ state: { idleSince: "2026-01-15T08:30:00.000Z" }, latestBackupAt: yesterdaysBackup }), action: "sleep", stopDatabase: false, reason: /until the day's backup/ },
        { name: "backup in progress (RDS lists it only once available)", now: "2026-01-15T08:40:00Z", obs: obs({ state: { idleSince: "2026-01-15T08:30:00.000Z" }, latestBackupAt: undefined }), action: "sleep", stopDatabase: false },
        { name: "idle check remembered from yesterday's cycle", now: "2026-01-15T08:40:00Z", obs: obs({ state: { idleSince: "2026-01-14T09:00:00.000Z" } }), action: "record-idle" },
        { name: "previous idle check too long ago (checks were missed)", now: "2026-01-15T09:10:00Z", obs: obs({ state: { idleSince: "2026-01-15T08:30:00.000Z" } }), action: "record-idle" },
        { name: "duplicate delivery of the same check", now: "2026-01-15T08:31:00Z", obs: obs({ state: { idleSince: "2026-01-15T08:30:00.000Z" } }), action: "record-idle" },
        { name: "busy one minute before the deadline", now: "2026-01-15T11:59:00Z", obs: obs({ idle: BUSY }), action: "none", metrics: { forcedSleep: 0 } },
        { name: "busy at the deadline (4 h after the wake)", now: "2026-01-15T12:00:00Z", obs: obs({ idle: BUSY, latestBackupAt: todaysBackup }), action: "forced-sleep", stopDatabase: true, metrics: { forcedSleep: 1, nodesUpAfterWindow: 0 } },
        { name: "read error at the deadline", now: "2026-01-15T12:10:00Z", obs: obs({ idle: { ok: false, error: "timeout" }, latestBackupAt: todaysBackup }), action: "forced-sleep", metrics: { forcedSleep: 1, nodesUpAfterWindow: 1 } },
        { name: "nodes up in the afternoon with no keep-awake", now: "2026-01-15T22:00:00Z", obs: obs({ idle: BUSY, latestBackupAt: todaysBackup }), action: "forced-sleep", metrics: { nodesUpAfterWindow: 1 } },
        { name: "nodes up when the next wake is due", now: "2026-01-16T07:45:00Z", obs: obs({ idle: BUSY, latestBackupAt: todaysBackup }), action: "none", reason: /next wake/, metrics: { nodesUpAfterWindow: 0 } },
        { name: "asleep, metastore stopped", now: "2026-01-15T15:00:00Z", obs: obs({ desired: 0, db: "stopped", latestBackupAt: todaysBackup }), action: "none", reason: /asleep/ },
        { name: "asleep, metastore stopping", now: "2026-01-15T15:00:00Z", obs: obs({ desired: 0, db: "stopping", latestBackupAt: todaysBackup }), action: "none", metrics: { databaseRunningWhileAsleep: 0 } },
        { name: "asleep, RDS restarted the metastore after 7 days", now: "2026-01-15T20:00:00Z", obs: obs({ desired: 0, db: "available", latestBackupAt: todaysBackup }), action: "stop-db", metrics: { databaseRunningWhileAsleep: 1 } },
        { name: "asleep, the metastore waits for the backup (inside the window)", now: "2026-01-15T08:50:00Z", obs: obs({ desired: 0, db: "backing-up", latestBackupAt: yesterdaysBackup }), action: "none", reason: /until the day's automated backup/, metrics: { databaseRunningWhileAsleep: 0 } },
        { name: "asleep, still no backup after the deadline", now: "2026-01-15T13:00:00Z", obs: obs({ desired: 0, db: "available", latestBackupAt: yesterdaysBackup }), action: "none", metrics: { databaseRunningWhileAsleep: 1 } },
        { name: "asleep, the backup now exists", now: "2026-01-15T09:00:00Z", obs: obs({ desired: 0, db: "available", latestBackupAt: todaysBackup }), action: "stop-db" },
    ]);
});

// The edges of each rule, found by mutation testing (docs/testing.md, "Mutation score"): each row fails
// when one comparison, one condition or the state a decision leaves behind changes.
describe("NightlyScheduler: decide at the edges of its rules, with the state each decision leaves", () => {
    const todaysBackup = at("2026-01-15T08:20:00Z");
    const second = { state: { idleSince: "2026-01-15T08:30:00.000Z" }, latestBackupAt: todaysBackup };
    const ZERO: Decision["metrics"] = { forcedSleep: 0, nodesUpAfterWindow: 0, databaseRunningWhileAsleep: 0, fluxNotReady: 0, schedulerDown: 0 };
    const until = at("2026-01-15T13:00:00Z");
    check([
        // Any one sign of work is busy, and busy forgets an earlier idle check.
        { name: "unfinished task instances alone are busy", now: "2026-01-15T08:40:00Z", obs: obs({ ...second, idle: { ...IDLE, unfinishedTasks: 2 } }), action: "none", reason: /busy: 0 DAG runs.*2 task instances/, nextState: {}, metrics: ZERO },
        { name: "a queued run alone is busy", now: "2026-01-15T08:40:00Z", obs: obs({ ...second, idle: { ...IDLE, activeRuns: 1 } }), action: "none", reason: /busy: 1 DAG runs/, nextState: {} },
        { name: "a run due alone is busy, and forgets the idle check", now: "2026-01-15T08:40:00Z", obs: obs({ ...second, idle: { ...IDLE, dueDags: 1 } }), action: "none", nextState: {} },
        { name: "an unreadable signal forgets the idle check", now: "2026-01-15T08:40:00Z", obs: obs({ ...second, idle: { ok: false, error: "timeout" } }), action: "none", nextState: {} },
        { name: "no scheduler forgets the idle check", now: "2026-01-15T08:40:00Z", obs: obs({ ...second, idle: { ...IDLE, schedulerHeartbeatAgeSeconds: null } }), action: "none", nextState: {} },
        { name: "the grace period keeps no idle check", now: "2026-01-15T08:20:00Z", obs: obs({ state: { idleSince: "2026-01-15T08:10:00.000Z" } }), action: "none", reason: /grace/, nextState: {} },
        { name: "an idle check remembers when", now: "2026-01-15T08:30:00Z", obs: obs(), action: "record-idle", nextState: { idleSince: "2026-01-15T08:30:00.000Z" }, metrics: ZERO },
        // Consecutive: at least half an interval (5 min) and at most 2.5 intervals (25 min) apart.
        { name: "a second idle check exactly half an interval later counts", now: "2026-01-15T08:35:00Z", obs: obs(second), action: "sleep" },
        { name: "a second idle check just under half an interval later is a duplicate", now: "2026-01-15T08:34:59Z", obs: obs(second), action: "record-idle" },
        { name: "a second idle check 2.5 intervals later counts", now: "2026-01-15T08:55:00Z", obs: obs(second), action: "sleep" },
        { name: "a second idle check just over 2.5 intervals later does not (a check was missed)", now: "2026-01-15T08:55:01Z", obs: obs(second), action: "record-idle" },
        { name: "an ordinary sleep with nothing pending applies nothing", now: "2026-01-15T08:40:00Z", obs: obs(second), action: "sleep", stopDatabase: true, applyDbChanges: false, metrics: ZERO },
        // Keep-awake ends at its instant; the deadline moves to a grace period after it.
        { name: "keep-awake ending this instant no longer holds", now: "2026-01-15T13:00:00Z", obs: obs({ keepAwakeUntil: until, latestBackupAt: todaysBackup }), action: "record-idle" },
        { name: "keep-awake a second longer still holds, and leaves no idle check", now: "2026-01-15T13:00:00Z", obs: obs({ keepAwakeUntil: at("2026-01-15T13:00:01Z"), state: { idleSince: "2026-01-15T12:50:00.000Z" } }), action: "none", reason: /keep-awake until/, nextState: {} },
        { name: "the forced sleep comes a grace period after keep-awake ends, not before", now: "2026-01-15T13:29:59Z", obs: obs({ keepAwakeUntil: until, idle: BUSY }), action: "none", metrics: { forcedSleep: 0, nodesUpAfterWindow: 0 } },
        { name: "the forced sleep at exactly a grace period after keep-awake", now: "2026-01-15T13:30:00Z", obs: obs({ keepAwakeUntil: until, idle: BUSY, latestBackupAt: todaysBackup }), action: "forced-sleep", nextState: {} },
        { name: "a keep-awake that ended before the wake does not move tonight's deadline", now: "2026-01-15T12:00:00Z", obs: obs({ keepAwakeUntil: at("2026-01-15T07:59:00Z"), idle: BUSY }), action: "forced-sleep" },
        // Events: a watch exactly its window late still counts; the wake's reset of the state.
        { name: "a watch exactly 10 minutes late is still taken", now: "2026-01-15T08:50:00Z", obs: obs({ event: { kind: "watch", scheduledAt: at("2026-01-15T08:40:00Z") } }), action: "record-idle" },
        { name: "a wake clears the watcher's state", now: "2026-01-15T07:30:02Z", obs: obs({ event: { kind: "wake", scheduledAt: at("2026-01-15T07:30:00Z") }, desired: 0, state: { idleSince: "2026-01-14T09:00:00.000Z" } }), action: "wake", nextState: {} },
        // The metrics' zeros: an ordinary busy check of the night raises no alarm.
        { name: "a busy check in the night raises no metric", now: "2026-01-15T09:00:00Z", obs: obs({ idle: BUSY, latestBackupAt: todaysBackup }), action: "none", metrics: ZERO },
        { name: "the waking window's nodes are not 'up after the window'", now: "2026-01-16T07:00:00Z", obs: obs({ idle: BUSY, latestBackupAt: todaysBackup }), action: "none", metrics: ZERO },
        { name: "asleep and stopped: no metric", now: "2026-01-15T15:00:00Z", obs: obs({ desired: 0, db: "stopped", latestBackupAt: todaysBackup }), action: "none", metrics: ZERO },
        { name: "asleep, waiting for the backup up to the deadline: not yet the alarm", now: "2026-01-15T12:00:00Z", obs: obs({ desired: 0, db: "available", latestBackupAt: at("2026-01-14T08:20:00Z") }), action: "none", metrics: { databaseRunningWhileAsleep: 0 } },
        { name: "asleep, still waiting a second after the deadline: the alarm's metric", now: "2026-01-15T12:00:01Z", obs: obs({ desired: 0, db: "available", latestBackupAt: at("2026-01-14T08:20:00Z") }), action: "none", metrics: { databaseRunningWhileAsleep: 1 } },
        // The backup counts from the start of the window the night keeps.
        { name: "a backup at the window's start counts", now: "2026-01-15T09:00:00Z", obs: obs({ desired: 0, db: "available", latestBackupAt: at("2026-01-15T08:15:00Z") }), action: "stop-db" },
        { name: "a backup a second before the window's start is yesterday's", now: "2026-01-15T09:00:00Z", obs: obs({ desired: 0, db: "available", latestBackupAt: at("2026-01-15T08:14:59Z") }), action: "none", reason: /until the day's automated backup/ },
        // Nodes up without the metastore: started until the deadline, and from the next cycle's start.
        { name: "nodes up, metastore stopped, a second before the deadline: start it", now: "2026-01-15T11:59:59Z", obs: obs({ db: "stopped", idle: BUSY }), action: "start-db", nextState: {} },
        { name: "nodes up, metastore stopped, at the next cycle's start (23:00 PST): start it", now: "2026-01-16T07:00:00Z", obs: obs({ db: "stopped", idle: BUSY }), action: "start-db" },
        { name: "nodes up, metastore stopped, a second before the next cycle: forced sleep", now: "2026-01-16T06:59:59Z", obs: obs({ db: "stopped", idle: BUSY }), action: "forced-sleep" },
        { name: "the next cycle's start keeps the nodes up, clearing the state", now: "2026-01-16T07:00:00Z", obs: obs({ idle: BUSY, state: { idleSince: "2026-01-15T08:30:00.000Z" } }), action: "none", reason: /is due/, nextState: {} },
        { name: "nodes up, metastore stopped, at the deadline itself: forced sleep, no start", now: "2026-01-15T12:00:00Z", obs: obs({ db: "stopped", idle: BUSY }), action: "forced-sleep" },
        { name: "a scheduler heartbeat exactly 30 s old is dead (Airflow's threshold)", now: "2026-01-15T08:40:00Z", obs: obs({ ...second, idle: { ...IDLE, schedulerHeartbeatAgeSeconds: 30 } }), action: "none", metrics: { schedulerDown: 1 } },
        { name: "no scheduler at the end of the grace period itself: counted", now: "2026-01-15T08:30:00Z", obs: obs({ idle: { ...IDLE, schedulerHeartbeatAgeSeconds: null } }), action: "none", metrics: { schedulerDown: 1 } },
        { name: "Flux failing at the end of its wait itself: the ordinary rules", now: "2026-01-15T09:00:00Z", obs: obs({ flux: { ok: false, error: "HTTP 403" } }), action: "record-idle", metrics: { fluxNotReady: 1 } },
        { name: "pending changes applied before the deadline: no alarm yet", now: "2026-01-15T09:00:00Z", obs: { ...obs({ desired: 0, latestBackupAt: todaysBackup }), db: { status: "available", pending: ["DBInstanceClass"] } }, action: "apply-db-changes", metrics: { databaseRunningWhileAsleep: 0 } },
        { name: "the metastore waking ahead of tonight's wake names tonight's wake", now: "2026-01-16T07:10:00Z", obs: obs({ desired: 0, db: "available", latestBackupAt: todaysBackup }), action: "none", reason: /waking: the metastore runs ahead of the wake at 2026-01-16T08:00:00.000Z/ },
        { name: "the metastore up in the grace period names the wake just past", now: "2026-01-15T08:29:59Z", obs: obs({ desired: 0, db: "available", latestBackupAt: todaysBackup }), action: "none", reason: /waking: the metastore runs ahead of the wake at 2026-01-15T08:00:00.000Z/ },
    ]);
    it("windows and crons at their bounds: minute 59 and hour 23 are a time; a deadline of 1 or 12 hours, not 0 or 13", () => {
        assert.deepEqual(parseDailyCron("cron(59 23 * * ? *)"), { hour: 23, minute: 59 });
        assert.deepEqual(parseWakeWindow("cron(0 12 * * ? *) 1h"), { wakeCron: "cron(0 12 * * ? *)", deadlineHours: 1 });
        assert.deepEqual(parseWakeWindow("  cron(0 12 * * ? *) 12h "), { wakeCron: "cron(0 12 * * ? *)", deadlineHours: 12 });
        for (const bad of ["cron(0 12 * * ? *) 0h", "cron(0 12 * * ? *) 13h"]) assert.match(String(parseWakeWindow(bad)), /the deadline must be 1 to 12 hours/, bad);
        assert.match(String(parseWakeWindow("cron(0 25 * * ? *) 2h")), /^cron\(0 25 \* \* \? \*\): minute must be 0-59 and hour 0-23$/);
    });
});

describe("NightlyScheduler: decide with Airflow's own signals (runs due, paused DAGs, the scheduler's heartbeat) and Flux", () => {
    const todaysBackup = at("2026-01-15T08:20:00Z");
    const second = { state: { idleSince: "2026-01-15T08:30:00.000Z" }, latestBackupAt: todaysBackup };
    const failing = { ok: true as const, objects: [{ object: "HelmRelease airflow/airflow", state: "not-ready" as const, reason: "UpgradeFailed", message: "context deadline exceeded" }] };
    check([
        { name: "no run yet, but a DAG's run is due (the scheduler is slow to create it): busy", now: "2026-01-15T08:40:00Z", obs: obs({ ...second, idle: { ...IDLE, dueDags: 1 } }), action: "none", reason: /1 DAGs with a run due/ },
        { name: "a paused DAG's queued run does not keep the platform up", now: "2026-01-15T08:40:00Z", obs: obs({ ...second, idle: { ...IDLE, pausedRuns: 2 } }), action: "sleep", stopDatabase: true, reason: /2 runs of paused DAGs ignored/ },
        { name: "the scheduler never came up (no heartbeat at all): busy, scheduler-down counted", now: "2026-01-15T08:40:00Z", obs: obs({ ...second, idle: { ...IDLE, schedulerHeartbeatAgeSeconds: null } }), action: "none", reason: /no running Airflow scheduler.*counted as busy/, metrics: { schedulerDown: 1 } },
        { name: "the scheduler's heartbeat is 90 s old (crash-looping): busy", now: "2026-01-15T08:40:00Z", obs: obs({ ...second, idle: { ...IDLE, schedulerHeartbeatAgeSeconds: 90 } }), action: "none", reason: /90 s ago/, metrics: { schedulerDown: 1 } },
        { name: "a heartbeat 29 s old is alive (Airflow's threshold is 30 s)", now: "2026-01-15T08:40:00Z", obs: obs({ ...second, idle: { ...IDLE, schedulerHeartbeatAgeSeconds: 29 } }), action: "sleep", metrics: { schedulerDown: 0 } },
        { name: "no scheduler yet inside the grace period: no alarm (it is starting)", now: "2026-01-15T08:10:00Z", obs: obs({ idle: { ...IDLE, schedulerHeartbeatAgeSeconds: null } }), action: "none", reason: /grace/, metrics: { schedulerDown: 0 } },
        { name: "no scheduler at the deadline: forced sleep, and the alarm's metric", now: "2026-01-15T12:00:00Z", obs: obs({ latestBackupAt: todaysBackup, idle: { ...IDLE, schedulerHeartbeatAgeSeconds: null } }), action: "forced-sleep", metrics: { forcedSleep: 1, schedulerDown: 1 } },
        { name: "Flux's HelmRelease failing 40 minutes after the wake: busy until the bound", now: "2026-01-15T08:40:00Z", obs: obs({ ...second, flux: failing }), action: "none", reason: /Flux has not delivered Airflow.*UpgradeFailed.*until 2026-01-15T09:00:00.000Z/, metrics: { fluxNotReady: 1 } },
        { name: "Flux's status unreadable: busy until the bound too", now: "2026-01-15T08:50:00Z", obs: obs({ ...second, state: { idleSince: "2026-01-15T08:40:00.000Z" }, flux: { ok: false, error: "HTTP 403" } }), action: "none", reason: /Flux has not delivered/ },
        { name: "Flux still failing past the bound: the ordinary rules (the alarm has fired), said in the reason", now: "2026-01-15T09:10:00Z", obs: obs({ latestBackupAt: todaysBackup, state: { idleSince: "2026-01-15T09:00:00.000Z" }, flux: failing }), action: "sleep", reason: /Flux still not Ready past 60 minutes/, metrics: { fluxNotReady: 1 } },
        { name: "Flux failing but a run is going: busy for the run", now: "2026-01-15T09:10:00Z", obs: obs({ idle: BUSY, flux: failing }), action: "none", reason: /busy: 1 DAG runs/ },
    ]);
});

describe("NightlyScheduler: decide, a metastore with modifications pending (a pulumi up that RDS deferred)", () => {
    const todaysBackup = at("2026-01-15T08:20:00Z");
    const pending = (status: string) => ({ status, pending: ["DBInstanceClass", "AllocatedStorage"] });
    check([
        { name: "asleep, backup taken, changes pending: apply them, do not stop", now: "2026-01-15T09:00:00Z", obs: { ...obs({ desired: 0, latestBackupAt: todaysBackup }), db: pending("available") }, action: "apply-db-changes", reason: /DBInstanceClass, AllocatedStorage.*apply them now/ },
        { name: "asleep, the changes being applied (modifying): wait, do not stop", now: "2026-01-15T09:10:00Z", obs: { ...obs({ desired: 0, latestBackupAt: todaysBackup }), db: pending("modifying") }, action: "none", reason: /it is modifying/ },
        { name: "asleep, applied (none pending): stop", now: "2026-01-15T09:30:00Z", obs: { ...obs({ desired: 0, latestBackupAt: todaysBackup }), db: { status: "available", pending: [] } }, action: "stop-db" },
        { name: "idle twice with changes pending: nodes sleep, the changes are applied instead of the stop", now: "2026-01-15T08:40:00Z", obs: { ...obs({ state: { idleSince: "2026-01-15T08:30:00.000Z" }, latestBackupAt: todaysBackup }), db: pending("available") }, action: "sleep", stopDatabase: false, reason: /pending modifications .* are applied now/ },
        { name: "forced sleep with changes pending: no stop either", now: "2026-01-15T12:00:00Z", obs: { ...obs({ idle: BUSY, latestBackupAt: todaysBackup }), db: pending("available") }, action: "forced-sleep", stopDatabase: false },
        { name: "changes still pending past the deadline (RDS has not applied them): counted on the running-while-asleep alarm", now: "2026-01-15T13:00:00Z", obs: { ...obs({ desired: 0, latestBackupAt: todaysBackup }), db: pending("available") }, action: "apply-db-changes", metrics: { databaseRunningWhileAsleep: 1 } },
    ]);
    it("a sleep with changes pending asks act() to apply them", () => {
        const d = decide(at("2026-01-15T08:40:00Z"), { ...obs({ state: { idleSince: "2026-01-15T08:30:00.000Z" }, latestBackupAt: todaysBackup }), db: pending("available") }, S);
        assert.deepEqual([d.stopDatabase, d.applyDbChanges], [false, true]);
        const before = decide(at("2026-01-15T08:40:00Z"), { ...obs({ state: { idleSince: "2026-01-15T08:30:00.000Z" } }), db: pending("available") }, S);
        assert.deepEqual([before.stopDatabase, before.applyDbChanges], [false, false], "before the backup: neither");
    });
});

describe("NightlyScheduler: decide, keep-awake and stale events", () => {
    const todaysBackup = at("2026-01-15T08:20:00Z");
    const until = at("2026-01-15T13:00:00Z");
    check([
        { name: "keep-awake, idle twice", now: "2026-01-15T09:00:00Z", obs: obs({ keepAwakeUntil: until, state: { idleSince: "2026-01-15T08:50:00.000Z" } }), action: "none", reason: /keep-awake until 2026-01-15T13:00/ },
        { name: "keep-awake past the usual deadline", now: "2026-01-15T12:30:00Z", obs: obs({ keepAwakeUntil: until, idle: BUSY }), action: "none", metrics: { nodesUpAfterWindow: 0, forcedSleep: 0 } },
        { name: "keep-awake expired, idle: ordinary sleep rules again", now: "2026-01-15T13:10:00Z", obs: obs({ keepAwakeUntil: until, latestBackupAt: todaysBackup }), action: "record-idle" },
        { name: "keep-awake expired, idle twice", now: "2026-01-15T13:20:00Z", obs: obs({ keepAwakeUntil: until, latestBackupAt: todaysBackup, state: { idleSince: "2026-01-15T13:10:00.000Z" } }), action: "sleep", stopDatabase: true },
        { name: "keep-awake expired, still busy a grace period later", now: "2026-01-15T13:30:00Z", obs: obs({ keepAwakeUntil: until, idle: BUSY, latestBackupAt: todaysBackup }), action: "forced-sleep", metrics: { forcedSleep: 1 } },
        { name: "keep-awake while asleep keeps a running metastore", now: "2026-01-15T10:00:00Z", obs: obs({ desired: 0, keepAwakeUntil: until, latestBackupAt: todaysBackup }), action: "none", reason: /keep-awake/ },
        { name: "watch delivered 9 minutes late", now: "2026-01-15T08:49:00Z", obs: obs({ event: { kind: "watch", scheduledAt: at("2026-01-15T08:40:00Z") } }), action: "record-idle" },
        { name: "watch delivered 15 minutes late (the next one is due)", now: "2026-01-15T08:55:00Z", obs: obs({ event: { kind: "watch", scheduledAt: at("2026-01-15T08:40:00Z") }, state: { idleSince: "2026-01-15T08:45:00.000Z" } }), action: "ignore", reason: /stale watch/ },
        { name: "wake retried an hour late", now: "2026-01-15T08:30:00Z", obs: obs({ event: { kind: "wake", scheduledAt: at("2026-01-15T07:30:00Z") }, desired: 0 }), action: "wake" },
        { name: "wake delivered after its deadline", now: "2026-01-15T11:45:00Z", obs: obs({ event: { kind: "wake", scheduledAt: at("2026-01-15T07:30:00Z") }, desired: 0 }), action: "ignore", reason: /stale wake/ },
        { name: "early start delivered after its window", now: "2026-01-15T11:15:00Z", obs: obs({ event: { kind: "db-start", scheduledAt: at("2026-01-15T07:00:00Z") }, desired: 0, db: "stopped" }), action: "ignore" },
    ]);
});

describe("NightlyScheduler: decide, a summer night (wake 00:00 PDT = 07:00Z; backup window 75 min later)", () => {
    const yesterdaysBackup = at("2026-07-14T08:20:00Z");
    const todaysBackup = at("2026-07-15T08:20:00Z");
    check([
        { name: "wake (06:30Z, 30 min before the runs)", now: "2026-07-15T06:30:01Z", obs: obs({ event: { kind: "wake", scheduledAt: at("2026-07-15T06:30:00Z") }, desired: 0 }), action: "wake" },
        { name: "grace", now: "2026-07-15T07:20:00Z", obs: obs(), action: "none", reason: /grace/ },
        { name: "first idle check", now: "2026-07-15T07:30:00Z", obs: obs({ latestBackupAt: yesterdaysBackup }), action: "record-idle" },
        { name: "idle twice before the backup window: nodes sleep, metastore stays", now: "2026-07-15T07:40:00Z", obs: obs({ latestBackupAt: yesterdaysBackup, state: { idleSince: "2026-07-15T07:30:00.000Z" } }), action: "sleep", stopDatabase: false },
        { name: "asleep, waiting for the backup", now: "2026-07-15T08:10:00Z", obs: obs({ desired: 0, latestBackupAt: yesterdaysBackup }), action: "none", reason: /08:15-08:45/ },
        { name: "asleep, the backup exists", now: "2026-07-15T08:50:00Z", obs: obs({ desired: 0, latestBackupAt: todaysBackup }), action: "stop-db" },
        { name: "deadline (11:00Z)", now: "2026-07-15T11:00:00Z", obs: obs({ idle: BUSY, latestBackupAt: todaysBackup }), action: "forced-sleep" },
    ]);
});

describe("NightlyScheduler: decide on the nights of the changes", () => {
    check([
        // Spring 2026: wake 08:00Z (00:00 PST); at 10:00Z the clocks jump to 03:00 PDT. Four real hours still.
        { name: "spring 2026, 03:50 PDT local, busy", now: "2026-03-08T10:50:00Z", obs: obs({ idle: BUSY }), action: "none" },
        { name: "spring 2026, 11:59Z busy", now: "2026-03-08T11:59:00Z", obs: obs({ idle: BUSY }), action: "none" },
        { name: "spring 2026, deadline at 12:00Z (05:00 PDT: four real hours, not four wall-clock hours)", now: "2026-03-08T12:00:00Z", obs: obs({ idle: BUSY }), action: "forced-sleep" },
        { name: "spring 2026, next night's early start (23:00 PDT = 06:00Z)", now: "2026-03-09T06:00:00Z", obs: obs({ event: { kind: "db-start", scheduledAt: at("2026-03-09T06:00:00Z") }, desired: 0, db: "stopped" }), action: "start-db" },
        { name: "spring 2026, next night's nodes at 06:30Z", now: "2026-03-09T06:30:00Z", obs: obs({ event: { kind: "wake", scheduledAt: at("2026-03-09T06:30:00Z") }, desired: 0 }), action: "wake" },
        // Autumn 2026: wake 07:00Z (00:00 PDT); at 09:00Z the clocks fall back to 01:00 PST.
        { name: "autumn 2026, 01:30 PST (second 01:30), in the run", now: "2026-11-01T09:30:00Z", obs: obs({ idle: BUSY }), action: "none" },
        { name: "autumn 2026, deadline at 11:00Z (03:00 PST)", now: "2026-11-01T11:00:00Z", obs: obs({ idle: BUSY }), action: "forced-sleep" },
        { name: "autumn 2026, no wake at 06:30Z the day after: it is 22:30 PST, asleep", now: "2026-11-02T06:30:00Z", obs: obs({ desired: 0, db: "stopped" }), action: "none", reason: /asleep/ },
        { name: "autumn 2026, nodes at 07:30Z (23:30 PST)", now: "2026-11-02T07:30:00Z", obs: obs({ event: { kind: "wake", scheduledAt: at("2026-11-02T07:30:00Z") }, desired: 0 }), action: "wake" },
        { name: "spring 2027, deadline at 12:00Z", now: "2027-03-14T12:00:00Z", obs: obs({ idle: BUSY }), action: "forced-sleep" },
        { name: "spring 2027, 11:50Z still inside", now: "2027-03-14T11:50:00Z", obs: obs({ idle: BUSY }), action: "none" },
        { name: "autumn 2027, deadline at 11:00Z", now: "2027-11-07T11:00:00Z", obs: obs({ idle: BUSY }), action: "forced-sleep" },
        { name: "autumn 2027, 10:50Z still inside", now: "2027-11-07T10:50:00Z", obs: obs({ idle: BUSY }), action: "none" },
    ]);
});

/**
 * The whole fortnight simulated in 10-minute steps: Scheduler's events at their instants, a watch on
 * every step, Airflow busy for `runMinutes` after the wake, RDS taking its automated backup at 08:20Z
 * only if the instance runs then, and the decisions applied to this world.
 */
function simulate(fromIso: string, days: number, runMinutes: number) {
    const world = { desired: 0, db: "stopped", backups: [] as Date[], state: {} as { idleSince?: string } };
    const log: { at: Date; action: string; stopDb: boolean; db: string }[] = [];
    const dbStart = parseDailyCron(dbStartCron(S)) as { hour: number; minute: number };
    const nodeWake = parseDailyCron(nodeWakeCron(S)) as { hour: number; minute: number };
    const start = at(fromIso).getTime();
    let wakeAt = lastWakeAtOrBefore(at(fromIso), S);
    for (let t = start; t < start + days * 86_400_000; t += 600_000) {
        const now = new Date(t);
        const p = { year: now.getUTCFullYear(), month: now.getUTCMonth() + 1, day: now.getUTCDate() };
        // RDS: the automated backup, at 08:20Z if the instance is running then.
        if (now.getUTCHours() === 8 && now.getUTCMinutes() === 20 && world.db === "available") world.backups.push(now);
        const events: ("db-start" | "wake" | "watch")[] = [];
        for (const offset of [-1, 0, 1]) {
            const d = new Date(Date.UTC(p.year, p.month - 1, p.day + offset));
            const local = { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
            if (zonedTimeToUtc(local, dbStart, S.timeZone).getTime() === t) events.push("db-start");
            if (zonedTimeToUtc(local, nodeWake, S.timeZone).getTime() === t) events.push("wake");
        }
        events.push("watch");
        if (lastWakeAtOrBefore(now, S).getTime() !== wakeAt.getTime()) wakeAt = lastWakeAtOrBefore(now, S);
        const busy = t < wakeAt.getTime() + runMinutes * 60_000;
        for (const kind of events) {
            const latest = world.backups.at(-1);
            const o: Observations = {
                event: { kind, scheduledAt: now },
                nodes: { desired: world.desired, target: 4, status: "ACTIVE" },
                db: { status: world.db },
                latestBackupAt: latest,
                state: world.state,
                idle: world.desired > 0 ? (busy ? BUSY : IDLE) : undefined,
            };
            const d = decide(now, o, S);
            if (d.nextState) world.state = d.nextState;
            switch (d.action) {
                case "start-db": world.db = "available"; break;
                case "wake": world.db = "available"; world.desired = 4; break;
                case "sleep": case "forced-sleep": world.desired = 0; if (d.stopDatabase) world.db = "stopped"; break;
                case "stop-db": world.db = "stopped"; break;
                default: break;
            }
            log.push({ at: now, action: d.action, stopDb: d.action === "stop-db" || d.stopDatabase === true, db: world.db });
        }
    }
    return { world, log };
}

describe("NightlyScheduler: a backup a day, simulated over both 2026 changes", () => {
    for (const [from, runMinutes, what] of [
        ["2026-03-04T12:00:00Z", 50, "spring 2026, a 50-minute run"],
        ["2026-10-28T12:00:00Z", 50, "autumn 2026, a 50-minute run"],
        ["2026-07-01T12:00:00Z", 20, "summer, runs done before the backup window"],
        ["2027-03-11T12:00:00Z", 300, "spring 2027, runs that hang past the deadline"],
    ] as const) {
        it(`${what}: every night wakes, sleeps by the deadline, and keeps its backup before the metastore stops`, () => {
            const { world, log } = simulate(from, 7, runMinutes);
            const wakes = log.filter((l) => l.action === "wake").map((l) => l.at);
            assert.equal(wakes.length, 7);
            const lead = cycleLeadMinutes(S) * 60_000;
            for (const nodesAt of wakes) {
                // The nodes wake 30 minutes before 00:00 in Los Angeles, the wake instant w.
                const w = nextWakeAfter(nodesAt, S);
                assert.equal(w.getTime() - nodesAt.getTime(), S.nodeLeadMinutes * 60_000);
                // Airflow is idle until its runs are due, and the nodes stay up through the lead and the grace period.
                assert.ok(!log.some((l) => (l.action === "sleep" || l.action === "forced-sleep") && l.at >= nodesAt && l.at.getTime() < w.getTime() + S.graceMinutes * 60_000),
                    `slept before ${w.toISOString()} plus the grace period`);
                const cycleEnd = nextWakeAfter(w, S).getTime() - lead;
                const backup = world.backups.find((b) => b.getTime() >= w.getTime() - lead && b.getTime() < cycleEnd);
                assert.ok(backup, `no backup in the cycle of ${w.toISOString()}`);
                // The metastore was never stopped in this cycle before its backup had completed (RDS lists
                // an automated backup only once it is available, so the stop may follow on the same step).
                const stops = log.filter((l) => l.stopDb && l.at.getTime() >= w.getTime() && l.at.getTime() < cycleEnd);
                assert.ok(stops.length >= 1, `the metastore never stopped after ${w.toISOString()}`);
                for (const s of stops) assert.ok(s.at.getTime() >= backup!.getTime(), `stopped at ${s.at.toISOString()} before the backup ${backup!.toISOString()}`);
                // Asleep by the deadline; forced only when the run hung.
                const sleep = log.find((l) => (l.action === "sleep" || l.action === "forced-sleep") && l.at.getTime() > w.getTime());
                assert.ok(sleep && sleep.at.getTime() <= w.getTime() + S.deadlineHours * 3_600_000);
                assert.equal(sleep!.action, runMinutes >= S.deadlineHours * 60 ? "forced-sleep" : "sleep");
            }
            // The weekly maintenance window falls in each of these weeks: the metastore runs at every
            // check inside it, whatever the season, so RDS can apply maintenance and deferred changes.
            const { start, end } = parseMaintenanceWindow((maintenanceWindowFor(S) as { window: string }).window);
            const weekMinute = (d: Date) => d.getUTCDay() * 1440 + d.getUTCHours() * 60 + d.getUTCMinutes();
            const inside = log.filter((l) => weekMinute(l.at) >= start && weekMinute(l.at) < end);
            assert.ok(inside.length >= 3, `the simulated week has checks in the window (${inside.length})`);
            for (const l of inside) assert.equal(l.db, "available", `metastore ${l.db} at ${l.at.toISOString()}, inside the maintenance window`);
        });
    }
});

describe("NightlyScheduler: the metastore's maintenance window lies where the night keeps it up (both changes of 2026 and 2027)", () => {
    const found = maintenanceWindowFor(S);

    it("prod's settings give Sunday 07:30-08:00 UTC (Saturday 23:30 PST / 00:30 PDT): as the nodes wake, before the backup window", () => {
        assert.deepEqual(found, { window: "sun:07:30-sun:08:00", startMinute: 450 });
        // RDS refuses a maintenance window that overlaps the backup window.
        const backup = S.backupWindow.split("-").map((t) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3)));
        const { start, end } = parseMaintenanceWindow((found as { window: string }).window);
        assert.ok(end - start >= 30 && end <= backup[0], `${(found as { window: string }).window} must end before ${S.backupWindow}`);
    });

    it("every Sunday of 2026 and 2027: the window opens at or after the nodes' wake and closes before that night's backup window", () => {
        const { start, end } = parseMaintenanceWindow((found as { window: string }).window);
        let sundays = 0;
        for (let d = Date.UTC(2026, 0, 4); d < Date.UTC(2028, 0, 1); d += 7 * 86_400_000) {
            const opens = new Date(d + start * 60_000);
            const closes = new Date(d + end * 60_000);
            // The night it belongs to: the latest wake instant whose nodes' wake is at or before the opening.
            const night = guaranteedUpInterval(lastWakeAtOrBefore(new Date(opens.getTime() + S.nodeLeadMinutes * 60_000), S), S);
            assert.ok(opens >= night.from && closes <= night.to, `${opens.toISOString()}-${closes.toISOString()} outside ${night.from.toISOString()}-${night.to.toISOString()}`);
            sundays++;
        }
        assert.equal(sundays, 104);
    });

    it("settings that leave no 30 minutes say why (a wake so early that the backup window comes too soon)", () => {
        const tight = powerSettings("t", { wakeCron: "cron(0 1 * * ? *)", dbLeadMinutes: 10, nodeLeadMinutes: 10 });
        assert.match(String((maintenanceWindowFor(tight) as { problem: string }).problem), /no 30-minute maintenance window fits/);
        assert.deepEqual(maintenanceWindowFor(powerSettings("t", { wakeCron: "cron(30 23 * * ? *)" })), { window: "sun:07:00-sun:07:30", startMinute: 420 });
    });
});
