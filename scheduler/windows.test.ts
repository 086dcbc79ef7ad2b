// Another window than midnight: a noon window (powerExtraWindows) beside the night's, as decide() sees
// the day, as the config checks it, as the program schedules it, and the operator's wake that needs
// only the AWS CLI. January: Los Angeles is UTC-8, so 00:00 is 08:00Z and 12:00 is 20:00Z.

import { strict as assert } from "assert";
import { currentWindow, decide, lastWakeAtOrBefore, nextWakeAfter, overlappingWindows, parseWakeWindow, powerSettings, type IdleSignal, type Observations } from "./power";
import { parseOperatorWake } from "./handlers";
import { parseConfig } from "../config/config";
import { readStackConfig } from "../offline/stack-config";
import { stackEvaluation } from "../tests/stacks";

const NOON = { wakeCron: "cron(0 12 * * ? *)", deadlineHours: 2 };
const S = powerSettings("data-platform-prod", { extraWindows: [NOON] });
const at = (iso: string) => new Date(iso);
const IDLE: IdleSignal = { ok: true, activeRuns: 0, unfinishedTasks: 0, dueDags: 0, pausedRuns: 0, schedulerHeartbeatAgeSeconds: 4 };
const BUSY: IdleSignal = { ...IDLE, activeRuns: 1, unfinishedTasks: 2 };
// The night's backup, taken in its window (08:15-08:45Z) on 2026-01-15.
const BACKUP = at("2026-01-15T08:20:00Z");
const obs = (over: Omit<Partial<Observations>, "db"> & { desired?: number; db?: string } = {}): Observations => {
    const { desired, db, ...rest } = over;
    return { event: { kind: "watch" }, nodes: { desired: desired ?? 4, target: 4, status: "ACTIVE" }, db: { status: db ?? "available" }, latestBackupAt: BACKUP, state: {}, idle: IDLE, ...rest };
};

describe("NightlyScheduler: a second window (noon) beside the night's", () => {
    it("the current window is the one whose wake came last; the next wake is the nearer of the two", () => {
        assert.deepEqual(currentWindow(at("2026-01-15T09:00:00Z"), S), { wakeAt: at("2026-01-15T08:00:00Z"), deadlineHours: 4, primary: true });
        assert.deepEqual(currentWindow(at("2026-01-15T20:30:00Z"), S), { wakeAt: at("2026-01-15T20:00:00Z"), deadlineHours: 2, primary: false });
        assert.deepEqual(lastWakeAtOrBefore(at("2026-01-16T07:59:00Z"), S), at("2026-01-15T20:00:00Z"));
        assert.deepEqual(nextWakeAfter(at("2026-01-15T09:00:00Z"), S), at("2026-01-15T20:00:00Z"));
        assert.deepEqual(nextWakeAfter(at("2026-01-15T21:00:00Z"), S), at("2026-01-16T08:00:00Z"));
        // Summer (UTC-7): noon is 19:00Z.
        assert.deepEqual(currentWindow(at("2026-07-15T19:30:00Z"), S).wakeAt, at("2026-07-15T19:00:00Z"));
    });

    const rows: [string, string, Observations, string, RegExp?][] = [
        ["the noon wake's schedule restores the nodes", "2026-01-15T19:30:00Z", obs({ event: { kind: "wake", scheduledAt: at("2026-01-15T19:30:00Z") }, desired: 0, db: "stopped" }), "wake"],
        ["grace period after the noon wake", "2026-01-15T20:10:00Z", obs(), "none", /grace period after the wake at 2026-01-15T20:00:00.000Z/],
        ["idle twice at noon: sleep, and the night's backup lets the metastore stop", "2026-01-15T20:40:00Z", obs({ state: { idleSince: "2026-01-15T20:30:00.000Z" } }), "sleep"],
        ["busy past the noon window's own deadline (2 h): forced sleep", "2026-01-15T22:05:00Z", obs({ idle: BUSY }), "forced-sleep", /deadline 2026-01-15T22:00:00.000Z/],
        ["the night keeps its 4 h: busy at 01:00 is awake", "2026-01-15T09:00:00Z", obs({ idle: BUSY }), "none", /busy/],
        ["the night's deadline is unchanged: busy at 05:00 is forced to sleep", "2026-01-15T13:00:00Z", obs({ idle: BUSY }), "forced-sleep", /deadline 2026-01-15T12:00:00.000Z/],
        ["between the windows, asleep, the metastore stopped: nothing to do", "2026-01-15T16:00:00Z", obs({ desired: 0, db: "stopped" }), "none", /asleep/],
    ];
    for (const [name, now, o, action, reason] of rows) {
        it(`${now}  ${name} → ${action}`, () => {
            const d = decide(at(now), o, S);
            assert.equal(d.action, action, d.reason);
            if (reason) assert.match(d.reason, reason);
            if (action === "sleep") assert.equal(d.stopDatabase, true, d.reason);
        });
    }

    it("reads a window as a daily cron and a deadline, and refuses windows that share time, leads included", () => {
        assert.deepEqual(parseWakeWindow("cron(0 12 * * ? *) 2h"), NOON);
        assert.match(String(parseWakeWindow("cron(0 12 * * ? *)")), /is not "cron\(<minute> <hour> \* \* \? \*\) <N>h"/);
        assert.match(String(parseWakeWindow("cron(0 12 * * ? *) 13h")), /1 to 12 hours/);
        assert.match(String(parseWakeWindow("cron(0 25 * * ? *) 2h")), /hour 0-23/);
        const base = { wakeCron: "cron(0 0 * * ? *)", deadlineHours: 4, dbLeadMinutes: 30, nodeLeadMinutes: 30 };
        assert.equal(overlappingWindows({ ...base, extraWindows: [NOON] }), undefined);
        // 04:30 falls inside the night (00:00 to 04:00, plus 05:00 - 60 minutes of leads for the second).
        assert.match(String(overlappingWindows({ ...base, extraWindows: [{ wakeCron: "cron(30 4 * * ? *)", deadlineHours: 2 }] })), /overlap, counting the 60 minutes of leads/);
        // Around midnight: a window at 22:00 for 3 h runs into the night's leads.
        assert.match(String(overlappingWindows({ ...base, extraWindows: [{ wakeCron: "cron(0 22 * * ? *)", deadlineHours: 2 }] })), /overlap/);
        assert.match(String(overlappingWindows({ ...base, extraWindows: [{ wakeCron: "cron(0 12 * * ? *)", deadlineHours: 12 }, { wakeCron: "cron(0 6 * * ? *)", deadlineHours: 5 }] })), /hours of the day's 24|overlap/);
    });

    it("the config takes a noon window, refuses an overlapping or malformed one, and lets expectedAwakeHours count both deadlines", () => {
        const raw = readStackConfig("prod").values;
        const ctx = { project: "data-platform", stack: "prod", today: at("2026-06-01T00:00:00Z") };
        const problems = (changes: Record<string, string>) => {
            try {
                parseConfig({ ...raw, ...changes }, ctx);
                return [] as { key: string; allowed: string }[];
            } catch (err) {
                return (err as { problems: { key: string; allowed: string }[] }).problems;
            }
        };
        const noon = JSON.stringify(["cron(0 12 * * ? *) 2h"]);
        assert.deepEqual(parseConfig({ ...raw, "data-platform:powerExtraWindows": noon }, ctx).power.extraWindows, [NOON]);
        assert.deepEqual(problems({ "data-platform:powerExtraWindows": noon, "data-platform:expectedAwakeHours": "5" }), []);
        assert.match(problems({ "data-platform:expectedAwakeHours": "5" }).map((p) => p.allowed).join(), /cannot exceed powerDeadlineHours \(4\)/);
        assert.match(problems({ "data-platform:powerExtraWindows": noon, "data-platform:expectedAwakeHours": "7" }).map((p) => p.allowed).join(), /windows' deadlines together \(6 h\)/);
        const overlapping = problems({ "data-platform:powerExtraWindows": JSON.stringify(["cron(0 2 * * ? *) 2h"]) });
        assert.deepEqual(overlapping.map((p) => p.key), ["data-platform:powerExtraWindows"]);
        assert.match(overlapping[0].allowed, /overlap/);
        assert.match(problems({ "data-platform:powerExtraWindows": JSON.stringify(["noon"]) }).map((p) => p.allowed).join(), /is not "cron/);
    });

    it("the program schedules each window's metastore start and wake, the night's under the names it always had", async function () {
        this.timeout(60_000);
        const e = await stackEvaluation("prod", { "data-platform:powerExtraWindows": ["cron(0 12 * * ? *) 2h"], "data-platform:expectedAwakeHours": 3 });
        const schedules = Object.fromEntries(e.ofType("aws:scheduler/schedule:Schedule").map((s) => [s.name.replace("data-platform-prod-scheduler-", ""), s.inputs.scheduleExpression]));
        assert.deepEqual(schedules, {
            "db-start": "cron(0 23 * * ? *)", wake: "cron(30 23 * * ? *)",
            "db-start-2": "cron(0 11 * * ? *)", "wake-2": "cron(30 11 * * ? *)",
            watch: "rate(10 minutes)",
        });
        const context = JSON.parse(e.get("aws:lambda/function:Function", "data-platform-prod-scheduler-watch").inputs.environment.variables.POWER_CONTEXT);
        assert.deepEqual(context.settings.extraWindows, [NOON]);
    });

    it("an operator's wake through `aws lambda invoke` is read with its hours and who asked; anything else is the schedules' business", () => {
        assert.deepEqual(parseOperatorWake({ kind: "operator-wake", hours: 3, by: "alice" }), { hours: 3, by: "alice" });
        assert.deepEqual(parseOperatorWake('{"kind": "operator-wake"}'), { hours: 2, by: "aws-cli" });
        assert.deepEqual(parseOperatorWake({ kind: "operator-wake", hours: 1, by: "a b; rm -rf" }), { hours: 1, by: "aws-cli" });
        assert.throws(() => parseOperatorWake({ kind: "operator-wake", hours: 48 }), /at most 24/);
        assert.equal(parseOperatorWake({ kind: "wake", scheduledAt: "2026-01-15T07:30:00Z" }), undefined);
    });
});
