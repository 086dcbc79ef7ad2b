// The NightlyScheduler's decisions and time maths. Pure: no Pulumi and no AWS import, so the
// component, the Lambda handlers (scheduler/handlers.ts) and the operator's script all share it, and
// the tests read it as time tables.
//
// The day: the wake instant (00:00 America/Los_Angeles) is when the night's DAG runs are due. The
// nodes are restored `nodeLeadMinutes` before it, so that Flux has rolled out the newest DAG image by
// then (scheduler/wake-timeline.ts), and the metastore starts `dbLeadMinutes` before the nodes. A watcher
// checks every few minutes whether Airflow has anything left to do, and the platform sleeps when two
// consecutive checks find nothing, never before a grace period after the wake instant, never with the
// database stopped before the day's automated backup, and at the latest at a hard deadline (which
// raises an alarm).

import { unhealthy, type FluxSignal } from "../airflow/flux-status";

export interface PowerSettings {
    /** EventBridge Scheduler cron of the wake instant (when the night's DAG runs are due), daily: cron(<minute> <hour> * * ? *). */
    readonly wakeCron: string;
    /** IANA time zone the cron is read in (Scheduler's scheduleExpressionTimezone). */
    readonly timeZone: string;
    /** How often the watcher runs, day and night. */
    readonly watchIntervalMinutes: number;
    /** No sleep before this long after the wake instant: Airflow's scheduler must first create the day's runs. */
    readonly graceMinutes: number;
    /** Forced sleep (and an alarm) this long after the wake instant, even if Airflow still looks busy. */
    readonly deadlineHours: number;
    /**
     * Further daily windows besides the night's (a noon run): each wakes the platform the same way and
     * has its own deadline. The night's window (wakeCron) stays the one the backup and the maintenance
     * windows are placed in; the others never overlap it or each other (config/config.ts checks).
     */
    readonly extraWindows?: readonly WakeWindow[];
    /**
     * The metastore starts this long before the nodes. AWS's RDS User Guide ("Stopping an Amazon RDS
     * DB instance temporarily") warns that starting a stopped instance "requires instance recovery and
     * can take from minutes to hours", and that a Multi-AZ instance may take longer to stop and start
     * than a Single-AZ one; AWS publishes no upper bound. A db.t3.micro with a near-empty Airflow
     * metastore has nothing to recover, so its start is dominated by provisioning the instance (and,
     * Multi-AZ, its standby), which takes minutes. 30 minutes covers that several times over, and the
     * nodes themselves need a few minutes to join. If the start is slower still, nothing breaks: Airflow's
     * pods retry their database connection until it answers, and the grace period starts only at the
     * wake instant. The margin costs half an hour of a db.t3.micro a day (about $0.02 Multi-AZ).
     */
    readonly dbLeadMinutes: number;
    /**
     * The nodes are restored this long before the wake instant. A DAG image pushed in the daytime is
     * committed by Flux's image automation only once the cluster runs, and Airflow then restarts on it:
     * without the lead, the runs due at the wake instant would start on the previous image while
     * Airflow restarts under them. scheduler/wake-timeline.ts adds up the worst case of each step (nodes,
     * controllers, registry scan, commit, fetch, apply, Helm upgrade) from the real objects' intervals
     * and timeouts; scheduler/wake-timeline.test.ts proves the default covers it.
     */
    readonly nodeLeadMinutes: number;
    /**
     * While a Flux object that delivers Airflow is not Ready, the watcher counts the platform busy
     * until this long after the wake instant: a HelmRelease upgrade that Flux is still retrying may yet
     * succeed and the night's runs then start. Past it, a failure will not heal by itself: the platform
     * sleeps the ordinary way (the flux-not-ready alarm has fired by then) rather than bill the nodes
     * until the deadline.
     */
    readonly fluxWaitMinutes: number;
    /** The metastore's automated backup window, UTC "hh:mm-hh:mm", as metastore/component.ts sets it. */
    readonly backupWindow: string;
    /** SSM parameter holding the operator's keep-awake flag (JSON with an expiry). */
    readonly keepAwakeParameter: string;
    /** SSM parameter where the watcher keeps its state between runs (the previous idle check). */
    readonly stateParameter: string;
}

/** A daily wake instant and how long the platform may stay awake after it. */
export interface WakeWindow {
    readonly wakeCron: string;
    readonly deadlineHours: number;
}

export const DEFAULT_WAKE_CRON = "cron(0 0 * * ? *)";
export const DEFAULT_TIME_ZONE = "America/Los_Angeles";
/** The Metastore's backup window (metastore/component.ts): inside the nightly run in both seasons. */
export const METASTORE_BACKUP_WINDOW = "08:15-08:45";

/** Settings with the defaults filled in; parameter names live under /<stack prefix>/power/. */
/**
 * A first deploy keeps the platform awake this long. Deployed in the daytime, the platform is past the
 * night's deadline: without this, the watcher's first check would scale the new nodes to zero while
 * Flux's install (its pre-install check needs a node), the database-user Job and Airflow come up.
 */
export const FIRST_DEPLOY_KEEP_AWAKE_HOURS = 6;

/** The keep-awake flag a new stack starts with (the parameter's first value; later ones are the operator's). */
export function firstDeployKeepAwake(now: Date): string {
    return JSON.stringify({ until: new Date(now.getTime() + FIRST_DEPLOY_KEEP_AWAKE_HOURS * 3_600_000).toISOString(), by: "pulumi up", reason: "first deploy" });
}

export function powerSettings(stackPrefix: string, given: Partial<PowerSettings> = {}): PowerSettings {
    return {
        wakeCron: given.wakeCron ?? DEFAULT_WAKE_CRON,
        timeZone: given.timeZone ?? DEFAULT_TIME_ZONE,
        watchIntervalMinutes: given.watchIntervalMinutes ?? 10,
        graceMinutes: given.graceMinutes ?? 30,
        deadlineHours: given.deadlineHours ?? 4,
        ...(given.extraWindows !== undefined && given.extraWindows.length > 0 ? { extraWindows: given.extraWindows } : {}),
        dbLeadMinutes: given.dbLeadMinutes ?? 30,
        nodeLeadMinutes: given.nodeLeadMinutes ?? 30,
        fluxWaitMinutes: given.fluxWaitMinutes ?? 60,
        backupWindow: given.backupWindow ?? METASTORE_BACKUP_WINDOW,
        keepAwakeParameter: given.keepAwakeParameter ?? `/${stackPrefix}/power/keep-awake`,
        stateParameter: given.stateParameter ?? `/${stackPrefix}/power/watcher-state`,
    };
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

// ---------------------------------------------------------------- schedules and time zones

export interface TimeOfDay {
    readonly hour: number;
    readonly minute: number;
}

const DAILY_CRON_RE = /^cron\((\d{1,2}) (\d{1,2}) \* \* \? \*\)$/;

/** The time of day of a daily Scheduler cron, or why the cron is not one the scheduler supports. */
export function parseDailyCron(cron: string): TimeOfDay | string {
    const m = DAILY_CRON_RE.exec(cron);
    if (!m) return `must be a daily EventBridge Scheduler cron "cron(<minute> <hour> * * ? *)"`;
    const minute = Number(m[1]);
    const hour = Number(m[2]);
    if (minute > 59 || hour > 23) return "minute must be 0-59 and hour 0-23";
    return { hour, minute };
}

function dailyCron(cron: string): TimeOfDay {
    const t = parseDailyCron(cron);
    if (typeof t === "string") throw new Error(`wake cron ${cron}: ${t}`);
    return t;
}

/** The daily cron `minutes` earlier than the given one (wrapping to the previous day). */
export function cronMinutesBefore(cron: string, minutes: number): string {
    const t = dailyCron(cron);
    const total = (((t.hour * 60 + t.minute - minutes) % 1440) + 1440) % 1440;
    return `cron(${total % 60} ${Math.floor(total / 60)} * * ? *)`;
}

type Leads = Pick<PowerSettings, "wakeCron" | "dbLeadMinutes" | "nodeLeadMinutes">;

/** Minutes from the metastore's early start to the wake instant. */
export const cycleLeadMinutes = (s: Pick<PowerSettings, "dbLeadMinutes" | "nodeLeadMinutes">) => s.dbLeadMinutes + s.nodeLeadMinutes;
/** The daily cron that restores the nodes (the wake schedule). */
export const nodeWakeCron = (s: Leads) => cronMinutesBefore(s.wakeCron, s.nodeLeadMinutes);
/** The daily cron that starts the metastore (the db-start schedule). */
export const dbStartCron = (s: Leads) => cronMinutesBefore(s.wakeCron, cycleLeadMinutes(s));

export interface LocalDate {
    readonly year: number;
    /** 1-12 */
    readonly month: number;
    readonly day: number;
}

// Building an Intl.DateTimeFormat is slow, so each zone's is built once. The cache hangs off
// globalThis rather than a module-level Map: the Lambda closure serializer copies module values, and a
// Map's entries (or a formatter) do not survive the copy; a property looked up at run time does.
function formatter(timeZone: string): Intl.DateTimeFormat {
    const g = globalThis as { __powerZoneFormatters?: Record<string, Intl.DateTimeFormat> };
    const cache = (g.__powerZoneFormatters ??= {});
    return (cache[timeZone] ??= new Intl.DateTimeFormat("en-US", {
        timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
    }));
}

/** Wall-clock fields of an instant in a time zone. */
export function zonedParts(instant: Date, timeZone: string) {
    const parts = Object.fromEntries(formatter(timeZone).formatToParts(instant).map((p) => [p.type, p.value]));
    return {
        year: Number(parts.year), month: Number(parts.month), day: Number(parts.day),
        hour: Number(parts.hour), minute: Number(parts.minute), second: Number(parts.second),
    };
}

/** The zone's offset from UTC at an instant, in milliseconds (Los Angeles: -8 h in winter, -7 h in summer). */
export function zoneOffsetMs(instant: Date, timeZone: string): number {
    const p = zonedParts(instant, timeZone);
    const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
    return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

/**
 * The UTC instant of a wall-clock time in a zone. A wall time that does not exist (inside the spring
 * gap) is moved forward by the gap, which is what a clock does; an ambiguous one (the autumn hour that
 * happens twice) resolves to its first occurrence. Midnight in Los Angeles is never either: the
 * changes happen at 02:00.
 */
export function zonedTimeToUtc(date: LocalDate, time: TimeOfDay, timeZone: string): Date {
    const wall = Date.UTC(date.year, date.month - 1, date.day, time.hour, time.minute);
    // Try the offsets in effect a day either side: one of them is the offset at the answer.
    const candidates = [zoneOffsetMs(new Date(wall - DAY), timeZone), zoneOffsetMs(new Date(wall + DAY), timeZone)]
        .map((offset) => wall - offset)
        .filter((t) => zoneOffsetMs(new Date(t), timeZone) === wall - t)
        .sort((a, b) => a - b);
    if (candidates.length > 0) return new Date(candidates[0]);
    // In the gap: no offset matches; the wall time read with the earlier (pre-change) offset lands after it.
    return new Date(wall - zoneOffsetMs(new Date(wall - DAY), timeZone));
}

function addDays(date: LocalDate, days: number): LocalDate {
    const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
    return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** The wake instant (UTC) on a local calendar date of the settings' time zone. */
export function wakeInstantOn(date: LocalDate, settings: Pick<PowerSettings, "wakeCron" | "timeZone">): Date {
    return zonedTimeToUtc(date, dailyCron(settings.wakeCron), settings.timeZone);
}

const WINDOW_TEXT_RE = /^(cron\(\d{1,2} \d{1,2} \* \* \? \*\)) (\d{1,2})h$/;

/** "cron(0 12 * * ? *) 2h": a daily wake instant and its deadline; or why the text is not one. */
export function parseWakeWindow(text: string): WakeWindow | string {
    const m = WINDOW_TEXT_RE.exec(text.trim());
    if (!m) return `${JSON.stringify(text)} is not "cron(<minute> <hour> * * ? *) <N>h"`;
    const t = parseDailyCron(m[1]);
    if (typeof t === "string") return `${m[1]}: ${t}`;
    const hours = Number(m[2]);
    if (hours < 1 || hours > 12) return `${text}: the deadline must be 1 to 12 hours`;
    return { wakeCron: m[1], deadlineHours: hours };
}

/**
 * Whether two windows share time: each occupies, on the 24-hour clock of the settings' zone, from
 * its metastore's early start (the leads before the wake) to its deadline. Overlapping windows would
 * have one window's watcher judge the other's runs by the wrong deadline.
 */
export function overlappingWindows(settings: Pick<PowerSettings, "wakeCron" | "deadlineHours" | "dbLeadMinutes" | "nodeLeadMinutes"> & Partial<Pick<PowerSettings, "extraWindows">>): string | undefined {
    const lead = cycleLeadMinutes(settings);
    const spans = [{ wakeCron: settings.wakeCron, deadlineHours: settings.deadlineHours }, ...(settings.extraWindows ?? [])].map((w) => {
        const t = dailyCron(w.wakeCron);
        const start = (((t.hour * 60 + t.minute - lead) % 1440) + 1440) % 1440;
        return { w, start, length: lead + w.deadlineHours * 60 };
    });
    const total = spans.reduce((sum, s) => sum + s.length, 0);
    if (total > 1440) return `the windows with their leads take ${Math.round(total / 60)} hours of the day's 24`;
    for (let i = 0; i < spans.length; i++) {
        for (let j = i + 1; j < spans.length; j++) {
            const a = spans[i];
            const b = spans[j];
            // On a circle: b starts inside a, or a starts inside b.
            const inside = (x: typeof a, y: typeof a) => ((y.start - x.start + 1440) % 1440) < x.length;
            if (inside(a, b) || inside(b, a)) return `${a.w.wakeCron} (${a.w.deadlineHours} h) and ${b.w.wakeCron} (${b.w.deadlineHours} h) overlap, counting the ${lead} minutes of leads before each wake`;
        }
    }
    return undefined;
}

type WindowSettings = Pick<PowerSettings, "wakeCron" | "timeZone"> & Partial<Pick<PowerSettings, "deadlineHours" | "extraWindows">>;

/** Every daily window, the night's first. */
export function wakeWindows(settings: WindowSettings): WakeWindow[] {
    return [{ wakeCron: settings.wakeCron, deadlineHours: settings.deadlineHours ?? 0 }, ...(settings.extraWindows ?? [])];
}

function lastWakeOf(now: Date, wakeCron: string, timeZone: string): Date {
    const p = zonedParts(now, timeZone);
    const today = { year: p.year, month: p.month, day: p.day };
    const w = wakeInstantOn(today, { wakeCron, timeZone });
    return w.getTime() <= now.getTime() ? w : wakeInstantOn(addDays(today, -1), { wakeCron, timeZone });
}

function nextWakeOf(now: Date, wakeCron: string, timeZone: string): Date {
    const p = zonedParts(now, timeZone);
    const today = { year: p.year, month: p.month, day: p.day };
    const w = wakeInstantOn(today, { wakeCron, timeZone });
    return w.getTime() > now.getTime() ? w : wakeInstantOn(addDays(today, 1), { wakeCron, timeZone });
}

/** The window now belongs to: the one whose wake came last, with that wake and its deadline. */
export function currentWindow(now: Date, settings: WindowSettings): { wakeAt: Date; deadlineHours: number; primary: boolean } {
    const candidates = wakeWindows(settings).map((w, i) => ({ wakeAt: lastWakeOf(now, w.wakeCron, settings.timeZone), deadlineHours: w.deadlineHours, primary: i === 0 }));
    return candidates.reduce((a, b) => (b.wakeAt.getTime() > a.wakeAt.getTime() ? b : a));
}

/** The latest wake instant at or before `now`, of any window. */
export function lastWakeAtOrBefore(now: Date, settings: WindowSettings): Date {
    return currentWindow(now, settings).wakeAt;
}

/** The night's own latest wake (the window the day's backup belongs to). */
export function lastNightWakeAtOrBefore(now: Date, settings: Pick<PowerSettings, "wakeCron" | "timeZone">): Date {
    return lastWakeOf(now, settings.wakeCron, settings.timeZone);
}

/** The first wake instant after `now`, of any window. */
export function nextWakeAfter(now: Date, settings: WindowSettings): Date {
    return new Date(Math.min(...wakeWindows(settings).map((w) => nextWakeOf(now, w.wakeCron, settings.timeZone).getTime())));
}

const WINDOW_RE = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$/;

/** Start and end (minutes after 00:00 UTC) of an RDS backup window "hh:mm-hh:mm". */
export function parseBackupWindow(window: string): { start: number; end: number } {
    const m = WINDOW_RE.exec(window);
    if (!m) throw new Error(`backup window ${window}: must be hh:mm-hh:mm (UTC)`);
    return { start: Number(m[1]) * 60 + Number(m[2]), end: Number(m[3]) * 60 + Number(m[4]) };
}

/**
 * The backup window the night's cycle must keep: the first one that starts at or after the metastore
 * is started (wake instant minus the lead). RDS takes an automated backup only in its window and only
 * while the instance runs, so the database stays up until a backup newer than this start exists.
 */
export function requiredBackupWindowStart(wakeAt: Date, settings: Pick<PowerSettings, "backupWindow" | "dbLeadMinutes" | "nodeLeadMinutes">): Date {
    const { start } = parseBackupWindow(settings.backupWindow);
    const from = wakeAt.getTime() - cycleLeadMinutes(settings) * MINUTE;
    const d = new Date(from);
    let candidate = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) + start * MINUTE;
    if (candidate < from) candidate += DAY;
    return new Date(candidate);
}

/** Whether the cycle's backup exists: a completed automated backup taken in or after its window. */
export function backupTakenForCycle(latestBackupAt: Date | undefined, wakeAt: Date, settings: Pick<PowerSettings, "backupWindow" | "dbLeadMinutes" | "nodeLeadMinutes">): boolean {
    return latestBackupAt !== undefined && latestBackupAt.getTime() >= requiredBackupWindowStart(wakeAt, settings).getTime();
}

// ---------------------------------------------------------------- observations and decisions

/** What invoked the decision: a schedule (with the time it was scheduled for) or an operator. */
export type EventKind = "db-start" | "wake" | "watch";

export interface PowerEvent {
    readonly kind: EventKind;
    /** The schedule's <aws.scheduler.scheduled-time>; absent for an operator's call. */
    readonly scheduledAt?: Date;
}

/** Airflow's idle signal as read from its metadata database (scheduler/airflow-db.ts). Any failure to read it is "busy". */
export type IdleSignal =
    | {
        readonly ok: true;
        /** DAG runs queued or running, of DAGs that are not paused. */
        readonly activeRuns: number;
        /** Task instances not finished, of DAGs that are not paused, plus any task in flight. */
        readonly unfinishedTasks: number;
        /** DAGs not paused whose next run is due (next_dagrun_create_after has passed) but not created yet. */
        readonly dueDags: number;
        /** Queued or running runs of paused DAGs: they never progress, so they are only reported. */
        readonly pausedRuns: number;
        /** Seconds since the newest heartbeat of a running SchedulerJob, on the database's clock; null: none. */
        readonly schedulerHeartbeatAgeSeconds: number | null;
    }
    | { readonly ok: false; readonly error: string };

/**
 * Airflow's own threshold for a live scheduler: [scheduler] scheduler_health_check_threshold, 30 s by
 * default (jobs/job.py, Job._is_alive), against a heartbeat every 5 s (scheduler_heartbeat_sec).
 */
export const SCHEDULER_HEALTH_SECONDS = 30;

/** Why the scheduler is not alive, or undefined when it is. */
export function schedulerProblem(idle: IdleSignal | undefined): string | undefined {
    if (idle === undefined || !idle.ok) return undefined;
    const age = idle.schedulerHeartbeatAgeSeconds;
    if (age === null) return "no running Airflow scheduler has ever sent a heartbeat";
    if (age >= SCHEDULER_HEALTH_SECONDS) return `Airflow's scheduler sent its last heartbeat ${age} s ago (alive means under ${SCHEDULER_HEALTH_SECONDS} s)`;
    return undefined;
}

/** What the watcher remembers between runs (kept in an SSM parameter, see stateParameter). */
export interface WatcherState {
    /** When the previous check found Airflow idle; absent when it found it busy (or there was none). */
    readonly idleSince?: string;
}

export interface Observations {
    readonly event: PowerEvent;
    /** The node group's desired size, the size a wake restores, and its status (ACTIVE, UPDATING, ...). */
    readonly nodes: { readonly desired: number; readonly target: number; readonly status: string };
    /**
     * The DB instance's status (available, stopped, starting, stopping, backing-up, ...) and the names of
     * its PendingModifiedValues: changes `pulumi up` made that RDS defers to the maintenance window.
     */
    readonly db: { readonly status: string; readonly pending?: readonly string[] };
    /** Creation time of the newest completed automated backup of the instance. */
    readonly latestBackupAt?: Date;
    /** The operator's keep-awake expiry, if one was ever set (expired ones included). */
    readonly keepAwakeUntil?: Date;
    /** Read only while the nodes are up; absent otherwise. */
    readonly idle?: IdleSignal;
    /** The Flux objects that deliver Airflow, read by the watcher while the nodes are up; absent otherwise. */
    readonly flux?: FluxSignal;
    readonly state: WatcherState;
}

export type Action =
    /** An event too late for its window: do nothing at all. */
    | "ignore"
    /** Nothing to change. */
    | "none"
    /** Start the metastore: ahead of the nodes, or because the nodes are up without it. */
    | "start-db"
    /** Start the metastore if stopped and restore the node group. */
    | "wake"
    /** First idle check: remember it, sleep only if the next check agrees. */
    | "record-idle"
    /**
     * Scale the nodes to zero, then stop the metastore if `stopDatabase`, or apply its pending
     * modifications now if `applyDbChanges` (it is stopped by a later check, once they are applied).
     */
    | "sleep"
    /** As sleep, past the deadline: raises the forced-sleep alarm. */
    | "forced-sleep"
    /** The nodes are asleep but the database runs (RDS restarted it after 7 days, or the backup is now taken). */
    | "stop-db"
    /** Asleep, the metastore would be stopped but has modifications pending: apply them now (ApplyImmediately). */
    | "apply-db-changes";

/** Values the watcher publishes as CloudWatch metrics; the alarms read them. */
export interface PowerMetrics {
    readonly forcedSleep: 0 | 1;
    readonly nodesUpAfterWindow: 0 | 1;
    readonly databaseRunningWhileAsleep: 0 | 1;
    /** Nodes up and a Flux object that delivers Airflow not Ready, or its status unreadable. */
    readonly fluxNotReady: 0 | 1;
    /** Nodes up past the grace period, Airflow's database readable, and no live scheduler in it. */
    readonly schedulerDown: 0 | 1;
}

export interface Decision {
    readonly action: Action;
    readonly reason: string;
    /** For sleep and forced-sleep: whether the metastore may be stopped now (the backup rule). */
    readonly stopDatabase?: boolean;
    /** For sleep and forced-sleep: apply the metastore's pending modifications instead of stopping it. */
    readonly applyDbChanges?: boolean;
    /** The watcher's state after this decision; absent: leave it as it is. */
    readonly nextState?: WatcherState;
    readonly metrics: PowerMetrics;
}

/** Statuses in which the instance is running (billed, and RDS may back it up). */
export const DB_RUNNING_STATUSES: readonly string[] = ["available", "backing-up", "modifying", "configuring-enhanced-monitoring", "configuring-log-exports", "upgrading", "rebooting", "maintenance", "storage-optimization"];
export const dbIsRunning = (status: string) => DB_RUNNING_STATUSES.includes(status);
/** Stopped, or on its way there: a start must come (after the stop ends). */
export const dbIsDown = (status: string) => status === "stopped" || status === "stopping";

const iso = (d: Date) => d.toISOString();

/**
 * The watcher never stops a metastore with modifications pending. RDS defers a change that `pulumi up`
 * makes (applyImmediately: false) to the maintenance window; a stopped instance is not modified there,
 * so a change made by day would wait for a window the instance happens to be up in and `pulumi preview`
 * would keep showing it. Instead, at the moment the platform would stop the database (asleep, backup
 * taken, nothing using it) it applies them (ModifyDBInstance ApplyImmediately, which "applies the
 * modifications in this request and any pending modifications as soon as possible", RDS API
 * reference), and stops it on a later check, once RDS reports none pending.
 */
function pendingDbChanges(obs: Pick<Observations, "db">): string | undefined {
    const pending = obs.db.pending ?? [];
    return pending.length === 0 ? undefined : pending.join(", ");
}

/**
 * What a sleep (the watcher's or an operator's) does with the metastore: stop it once the day's backup
 * exists, apply its pending modifications instead when there are any, and the reason's note saying so.
 */
export function metastoreAtSleep(obs: Pick<Observations, "db">, backupTaken: boolean): { stopDatabase: boolean; applyDbChanges: boolean; note: string } {
    const pending = pendingDbChanges(obs);
    return {
        stopDatabase: backupTaken && pending === undefined,
        applyDbChanges: backupTaken && pending !== undefined,
        note: !backupTaken ? "; the metastore keeps running until the day's backup exists"
            : pending !== undefined ? `; the metastore's pending modifications (${pending}) are applied now, and it is stopped once they are` : "",
    };
}

/** The metrics of a decision that raises no alarm (an operator's command). */
export const NO_ALARM_METRICS: PowerMetrics = { forcedSleep: 0, nodesUpAfterWindow: 0, databaseRunningWhileAsleep: 0, fluxNotReady: 0, schedulerDown: 0 };

/** How late an event may arrive and still be acted on. */
export function eventWindowMinutes(kind: EventKind, settings: PowerSettings): number {
    // A watch is superseded by the next one; a wake or early start still matters until the deadline.
    return kind === "watch" ? settings.watchIntervalMinutes : Math.max(...wakeWindows(settings).map((w) => w.deadlineHours)) * 60;
}

/**
 * What to do now. Pure: the same observations at the same instant always give the same decision, and
 * every decision says why.
 */
export function decide(now: Date, obs: Observations, settings: PowerSettings): Decision {
    const t = now.getTime();
    const window = currentWindow(now, settings);
    const wakeAt = window.wakeAt;
    const nextWake = nextWakeAfter(now, settings);
    const keepAwake = obs.keepAwakeUntil !== undefined && obs.keepAwakeUntil.getTime() > t;
    // An operator's keep-awake moves the deadline: after it expires, the watcher gets one grace period
    // to put the platform to sleep the ordinary way before it forces it.
    const keepAwakeEnd = obs.keepAwakeUntil && obs.keepAwakeUntil.getTime() >= wakeAt.getTime()
        ? obs.keepAwakeUntil.getTime() + settings.graceMinutes * MINUTE : -Infinity;
    const deadlineAt = Math.max(wakeAt.getTime() + window.deadlineHours * HOUR, keepAwakeEnd);
    const nodesUp = obs.nodes.desired > 0;
    const dbRunning = dbIsRunning(obs.db.status);
    // The day's backup belongs to the night's window; a daytime window finds it taken already.
    const backupTaken = backupTakenForCycle(obs.latestBackupAt, lastNightWakeAtOrBefore(now, settings), settings);
    // From the metastore's early start until the grace period after the wake: the platform is waking.
    const cycleStart = nextWake.getTime() - cycleLeadMinutes(settings) * MINUTE;
    const waking = t >= cycleStart || t < wakeAt.getTime() + settings.graceMinutes * MINUTE;
    const fluxProblems = nodesUp && obs.flux !== undefined ? unhealthy(obs.flux) : [];
    const noScheduler = nodesUp && !waking ? schedulerProblem(obs.idle) : undefined;
    const metrics: PowerMetrics = {
        forcedSleep: 0,
        nodesUpAfterWindow: nodesUp && !keepAwake && t > deadlineAt && !waking ? 1 : 0,
        databaseRunningWhileAsleep: 0,
        fluxNotReady: fluxProblems.length > 0 ? 1 : 0,
        schedulerDown: noScheduler !== undefined ? 1 : 0,
    };
    const decision = (action: Action, reason: string, extra: Partial<Decision> = {}): Decision => ({ action, reason, metrics, ...extra });
    const pending = pendingDbChanges(obs);
    const atSleep = metastoreAtSleep(obs, backupTaken);

    const { event } = obs;
    if (event.scheduledAt !== undefined) {
        const lateMinutes = (t - event.scheduledAt.getTime()) / MINUTE;
        if (lateMinutes > eventWindowMinutes(event.kind, settings)) {
            return decision("ignore", `stale ${event.kind} event scheduled for ${iso(event.scheduledAt)}: ${Math.round(lateMinutes)} minutes late, its window is ${eventWindowMinutes(event.kind, settings)}`);
        }
    }

    if (event.kind === "db-start") {
        if (obs.db.status === "stopped") return decision("start-db", `the metastore starts ${settings.dbLeadMinutes} minutes before the nodes, which start ${settings.nodeLeadMinutes} minutes before the wake at ${iso(nextWake)}`);
        return decision("none", `the metastore is already ${obs.db.status}`);
    }

    // A metastore that is stopped or still stopping is not up: a wake is done only when nodes and
    // metastore both are (a stop in progress is waited out by the wake function, lib's act()).
    const dbUp = !dbIsDown(obs.db.status);
    if (event.kind === "wake") {
        if (obs.nodes.desired === obs.nodes.target && dbUp) return decision("none", `already awake: ${obs.nodes.desired} nodes desired, metastore ${obs.db.status}`);
        return decision("wake", `nodes due ${iso(event.scheduledAt ?? now)}, ${settings.nodeLeadMinutes} minutes before the wake instant: restore the nodes${dbUp ? "" : ` and start the metastore (${obs.db.status}${obs.db.status === "stopping" ? ": once its stop ends" : ""})`}`, { nextState: {} });
    }

    // ---- watch ----
    if (!nodesUp) {
        if (!dbRunning) return decision("none", `asleep: no nodes, metastore ${obs.db.status}`);
        if (waking) return decision("none", `waking: the metastore runs ahead of the wake at ${iso(t < wakeAt.getTime() + settings.graceMinutes * MINUTE ? wakeAt : nextWake)}`);
        if (keepAwake) return decision("none", `asleep, but keep-awake until ${iso(obs.keepAwakeUntil!)} leaves the metastore running`);
        if (!backupTaken) {
            const late = t > deadlineAt;
            return decision("none", `asleep; the metastore keeps running until the day's automated backup (window ${settings.backupWindow} UTC from ${iso(requiredBackupWindowStart(lastNightWakeAtOrBefore(now, settings), settings))}) exists`,
                { metrics: { ...metrics, databaseRunningWhileAsleep: late ? 1 : 0 } });
        }
        if (pending !== undefined) {
            return decision(obs.db.status === "available" ? "apply-db-changes" : "none", `asleep, the day's backup exists, but the metastore has modifications pending (${pending}): ${obs.db.status === "available" ? "apply them now; it is stopped once they are applied" : `it is ${obs.db.status}; they are applied when it is available`}`,
                { metrics: { ...metrics, databaseRunningWhileAsleep: t > deadlineAt ? 1 : 0 } });
        }
        return decision("stop-db", `asleep, the day's backup exists, and the metastore is ${obs.db.status} (RDS restarts a stopped instance after 7 days): stop it`,
            { metrics: { ...metrics, databaseRunningWhileAsleep: 1 } });
    }

    // Nodes up without the metastore (a wake that found it stopping, or arrived after the watcher had
    // stopped it): start it, so that the night converges whatever order the events came in.
    if (!dbUp && (keepAwake || t < deadlineAt || t >= cycleStart)) {
        return decision("start-db", `the nodes are up but the metastore is ${obs.db.status}: start it${obs.db.status === "stopping" ? " once its stop ends (a later check)" : ""}`, { nextState: {} });
    }
    if (keepAwake) return decision("none", `keep-awake until ${iso(obs.keepAwakeUntil!)}`, { nextState: {} });
    if (t >= cycleStart) {
        return decision("none", `the next wake (${iso(nextWake)}) is due: stay up`, { nextState: {} });
    }
    if (t >= deadlineAt) {
        return decision("forced-sleep", `deadline ${iso(new Date(deadlineAt))} passed with the platform still awake: forced sleep${atSleep.note}`,
            { stopDatabase: atSleep.stopDatabase, applyDbChanges: atSleep.applyDbChanges, nextState: {}, metrics: { ...metrics, forcedSleep: 1 } });
    }
    if (t < wakeAt.getTime() + settings.graceMinutes * MINUTE) {
        return decision("none", `grace period after the wake at ${iso(wakeAt)}: Airflow creates the day's runs`, { nextState: {} });
    }
    const idle = obs.idle;
    if (idle === undefined || !idle.ok) {
        return decision("none", `cannot read Airflow's state (${idle === undefined ? "not read" : idle.error}): counted as busy`, { nextState: {} });
    }
    // A scheduler that never came up (or crash-loops) creates no runs: the tables look idle while the
    // night's work has not started. Busy, with the scheduler-down alarm; the deadline bounds it.
    if (noScheduler !== undefined) {
        return decision("none", `${noScheduler}: no run can be created or finish, counted as busy`, { nextState: {} });
    }
    if (fluxProblems.length > 0 && t < wakeAt.getTime() + settings.fluxWaitMinutes * MINUTE) {
        return decision("none", `Flux has not delivered Airflow (${fluxProblems.join("; ")}): counted as busy until ${iso(new Date(wakeAt.getTime() + settings.fluxWaitMinutes * MINUTE))}`, { nextState: {} });
    }
    const paused = idle.pausedRuns > 0 ? `; ${idle.pausedRuns} runs of paused DAGs ignored` : "";
    if (idle.activeRuns > 0 || idle.unfinishedTasks > 0 || idle.dueDags > 0) {
        return decision("none", `busy: ${idle.activeRuns} DAG runs queued or running, ${idle.unfinishedTasks} task instances not finished, ${idle.dueDags} DAGs with a run due${paused}`, { nextState: {} });
    }
    const fluxNote = fluxProblems.length > 0 ? `; Flux still not Ready past ${settings.fluxWaitMinutes} minutes after the wake (${fluxProblems.join("; ")})` : "";
    const previous = obs.state.idleSince !== undefined ? Date.parse(obs.state.idleSince) : NaN;
    const interval = settings.watchIntervalMinutes * MINUTE;
    // Consecutive: the previous check found it idle in this cycle, at least half an interval ago (not
    // a duplicate delivery of this same check) and at most 2.5 intervals ago (no check in between was missed).
    const consecutive = Number.isFinite(previous) && previous >= wakeAt.getTime() && t - previous >= interval / 2 && t - previous <= 2.5 * interval;
    if (!consecutive) {
        return decision("record-idle", `idle: no DAG run queued or running, no run due, every task instance finished${paused}${fluxNote}; sleep if the next check agrees`, { nextState: { idleSince: iso(now) } });
    }
    return decision("sleep", `idle on two consecutive checks (${obs.state.idleSince} and ${iso(now)})${paused}${fluxNote}${atSleep.note}`,
        { stopDatabase: atSleep.stopDatabase, applyDbChanges: atSleep.applyDbChanges, nextState: {} });
}

/**
 * For config validation: the metastore's backup window must end before the deadline in every season,
 * or the database would run (and bill) past the night waiting for its backup. Checks a winter and a
 * summer night of the settings' zone; returns why not, or undefined.
 */
export function backupWindowProblem(settings: PowerSettings): string | undefined {
    const { start, end } = parseBackupWindow(settings.backupWindow);
    const length = ((end - start + 1440) % 1440) * MINUTE;
    for (const date of [{ year: 2027, month: 1, day: 15 }, { year: 2027, month: 7, day: 15 }]) {
        const wakeAt = wakeInstantOn(date, settings);
        const windowEnd = requiredBackupWindowStart(wakeAt, settings).getTime() + length;
        const deadline = wakeAt.getTime() + settings.deadlineHours * HOUR;
        if (windowEnd > deadline) {
            return `the backup window ${settings.backupWindow} UTC ends ${Math.round((windowEnd - wakeAt.getTime()) / MINUTE)} minutes after the wake of ${date.year}-${String(date.month).padStart(2, "0")}-${date.day} (${wakeAt.toISOString()}), after the ${settings.deadlineHours} h deadline`;
        }
    }
    return undefined;
}

/** RDS's shortest maintenance window (RDS User Guide, "Maintaining a DB instance": at least 30 minutes). */
export const MAINTENANCE_WINDOW_MINUTES = 30;
/** The night of the week the weekly window falls in: the UTC day the wake of Saturday night lands on. */
const MAINTENANCE_DAY = 0; // Sunday, UTC
const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/** The stretch of a night in which the metastore is certainly up: from the nodes' wake to the backup window's start. */
export function guaranteedUpInterval(wakeAt: Date, settings: Pick<PowerSettings, "backupWindow" | "dbLeadMinutes" | "nodeLeadMinutes">): { from: Date; to: Date } {
    // From the nodes' wake (the metastore started dbLeadMinutes before: the margin for its start) to the
    // start of the backup window the cycle keeps it up for (RDS refuses a maintenance window that
    // overlaps the backup window, and after the backup the watcher may stop it).
    return { from: new Date(wakeAt.getTime() - settings.nodeLeadMinutes * MINUTE), to: requiredBackupWindowStart(wakeAt, settings) };
}

const SEASONS: readonly LocalDate[] = [{ year: 2027, month: 1, day: 15 }, { year: 2027, month: 7, day: 15 }];

/**
 * The metastore's weekly maintenance window, "ddd:hh:mm-ddd:hh:mm" UTC, inside the hours the watcher
 * guarantees it is up in every season: RDS applies maintenance (minor version upgrades, OS patches,
 * deferred changes) only to a running instance, so a window at an hour the platform sleeps would never
 * be used. It opens as the nodes wake, before the night's runs: a restart then costs Airflow's pods a
 * reconnect, not a running task. Returns why none fits, when the settings leave no 30 minutes.
 */
export function maintenanceWindowFor(settings: PowerSettings): { window: string; startMinute: number } | { problem: string } {
    const nights = SEASONS.map((date) => guaranteedUpInterval(wakeInstantOn(date, settings), settings));
    const minuteOfDay = (d: Date) => d.getUTCHours() * 60 + d.getUTCMinutes();
    // Candidates: each season's opening; the first that fits every season's interval (as a time of day).
    const fits = (start: number) => nights.every(({ from, to }) => {
        const offset = (((start - minuteOfDay(from)) % 1440) + 1440) % 1440;
        return from.getTime() + (offset + MAINTENANCE_WINDOW_MINUTES) * MINUTE <= to.getTime();
    });
    const start = nights.map(({ from }) => minuteOfDay(from)).sort((a, b) => b - a).find(fits);
    if (start === undefined) {
        return { problem: `no ${MAINTENANCE_WINDOW_MINUTES}-minute maintenance window fits between the nodes' wake and the backup window ${settings.backupWindow} UTC in both seasons (${nights.map(({ from, to }) => `${iso(from)} to ${iso(to)}`).join("; ")})` };
    }
    const end = start + MAINTENANCE_WINDOW_MINUTES;
    const hhmm = (m: number) => `${String(Math.floor((m % 1440) / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
    const day = (m: number) => DAYS[(MAINTENANCE_DAY + Math.floor(m / 1440)) % 7];
    return { window: `${day(start)}:${hhmm(start)}-${day(end)}:${hhmm(end)}`, startMinute: start };
}

/** Start and end of an RDS maintenance window "ddd:hh:mm-ddd:hh:mm" as minutes of the UTC week (Sunday 00:00 = 0). */
export function parseMaintenanceWindow(window: string): { start: number; end: number } {
    const m = /^(sun|mon|tue|wed|thu|fri|sat):(\d\d):(\d\d)-(sun|mon|tue|wed|thu|fri|sat):(\d\d):(\d\d)$/.exec(window);
    if (!m) throw new Error(`maintenance window ${window}: must be ddd:hh:mm-ddd:hh:mm (UTC)`);
    const at = (d: string, h: string, mi: string) => DAYS.indexOf(d) * 1440 + Number(h) * 60 + Number(mi);
    return { start: at(m[1], m[2], m[3]), end: at(m[4], m[5], m[6]) };
}

