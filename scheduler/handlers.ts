// The bodies of the NightlyScheduler's Lambda functions (wake, watch) and of the operator's commands
// (status, wake, sleep, keep-awake): observe, decide (scheduler/power.ts), act through the adapters. The
// component's callbacks only call into this module; everything they need arrives in the event and in
// the POWER_CONTEXT environment variable (names and settings, never a secret).

import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { EKSClient } from "@aws-sdk/client-eks";
import type { RDSClient } from "@aws-sdk/client-rds";
import type { S3Client } from "@aws-sdk/client-s3";
import type { SNSClient } from "@aws-sdk/client-sns";
import type { SSMClient } from "@aws-sdk/client-ssm";
import { currentWindow, decide, lastNightWakeAtOrBefore, lastWakeAtOrBefore, metastoreAtSleep, nextWakeAfter, backupTakenForCycle, NO_ALARM_METRICS, zonedParts, type Decision, type EventKind, type Observations, type PowerEvent, type PowerSettings } from "./power";
import { describeNodes, scaleNodes, type RetryOptions } from "./aws-eks";
import { applyPendingChanges, describeDb, latestAutomatedBackup, startDb, stopDb } from "../metastore/aws-rds";
import { readDatabaseConnection, readKeepAwake, readState, writeKeepAwake, writeState, type StoredState } from "./aws-ssm";
import { readIdleSignal } from "./airflow-db";
import { readNight } from "./night-db";
import { buildReport, nightOf, reportHtml, reportText, sleepCause, type NightActivity, type NightReport } from "./report";
import { keepReport, mailReport, recentReports, reportSubject } from "./aws-report";
import { fluxStatus } from "./kubernetes";
import { withLease } from "./lease";
import { credentialsFromEnv } from "../cluster/eks-token";
import { WATCHED_FLUX_OBJECTS, unhealthy } from "../airflow/flux-status";

/** Names and settings a function needs; plain JSON in the POWER_CONTEXT environment variable. */
export interface PowerContext {
    readonly stack: string;
    /** The stack's region; the operator's script uses it (a Lambda function has it in AWS_REGION). */
    readonly region?: string;
    readonly clusterName: string;
    readonly nodeGroupName: string;
    /** Nodes a wake restores. */
    readonly nodeCount: number;
    readonly dbInstanceIdentifier: string;
    /** The SecureString with the database connection; only the watcher has it (and may decrypt it). */
    readonly databaseParameter?: string;
    /** Whether to read Flux's status from the cluster's API (the watcher only: its role has the access entry). */
    readonly readFlux?: boolean;
    readonly settings: PowerSettings;
    /** Whether the functions reserve concurrency (powerReservedConcurrency); `npm run power -- account` checks it fits. */
    readonly reservedConcurrency?: boolean;
    /** CloudWatch namespace of the watcher's metrics (dimension Stack). */
    readonly metricsNamespace: string;
    /**
     * The DynamoDB table whose item serialises every power invocation (scheduler/lease.ts), and how
     * long a lease lasts: longer than the holder's function timeout, so a crashed holder's lease runs out.
     */
    readonly lease?: { readonly table: string; readonly ttlSeconds: number };
    readonly retry?: Omit<RetryOptions, "sleep">;
    /** The morning report: where it is kept and mailed, and what a night costs (scheduler/report.ts). */
    readonly report?: ReportContext;
}

export interface ReportContext {
    /** The task-log bucket: reports go under reports/, beside the logs they point to. */
    readonly bucket: string;
    /** The alarm topic, which e-mails the operator. */
    readonly topicArn: string;
    /** The log-search domain's endpoint, where log search is on (the report links Dashboards). */
    readonly searchEndpoint?: string;
    /** From the stack's estimate (cost/budget.ts nightCostRates). */
    readonly cost?: { readonly perAwakeHour: number; readonly fixedPerDay: number };
    /** Earlier nights to compare durations with. */
    readonly historyNights?: number;
}

export const CONTEXT_ENV = "POWER_CONTEXT";

export function contextFromEnv(): PowerContext {
    const raw = process.env[CONTEXT_ENV];
    if (!raw) throw new Error(`${CONTEXT_ENV} is not set`);
    return JSON.parse(raw) as PowerContext;
}

export interface Clients {
    readonly dynamodb: DynamoDBClient;
    readonly eks: EKSClient;
    readonly rds: RDSClient;
    readonly ssm: SSMClient;
    readonly s3: S3Client;
    readonly sns: SNSClient;
}

/**
 * SDK clients for the given region, else the one in AWS_REGION (Lambda sets it). The SDK reads
 * AWS_ENDPOINT_URL too, which is how the tests point these clients at moto.
 */
export function makeClients(region?: string): Clients {
    const { DynamoDBClient } = require("@aws-sdk/client-dynamodb") as typeof import("@aws-sdk/client-dynamodb");
    const { EKSClient } = require("@aws-sdk/client-eks") as typeof import("@aws-sdk/client-eks");
    const { RDSClient } = require("@aws-sdk/client-rds") as typeof import("@aws-sdk/client-rds");
    const { SSMClient } = require("@aws-sdk/client-ssm") as typeof import("@aws-sdk/client-ssm");
    const { S3Client } = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
    const { SNSClient } = require("@aws-sdk/client-sns") as typeof import("@aws-sdk/client-sns");
    const config = region === undefined ? {} : { region };
    return {
        dynamodb: new DynamoDBClient(config), eks: new EKSClient(config), rds: new RDSClient(config), ssm: new SSMClient(config),
        s3: new S3Client(config), sns: new SNSClient(config),
    };
}

const KINDS: readonly EventKind[] = ["db-start", "wake", "watch"];

/**
 * The schedule's input: {"kind": ..., "scheduledAt": "<aws.scheduler.scheduled-time>"}, which
 * Scheduler fills with the time the invocation was scheduled for (so a retry knows how late it is).
 */
export function parseEvent(raw: unknown, allowed: readonly EventKind[]): PowerEvent {
    const e = (typeof raw === "string" ? JSON.parse(raw) : raw) as { kind?: unknown; scheduledAt?: unknown } | null;
    const kind = e?.kind;
    if (typeof kind !== "string" || !KINDS.includes(kind as EventKind) || !allowed.includes(kind as EventKind)) {
        throw new Error(`unexpected event ${JSON.stringify(raw)}: kind must be one of ${allowed.join(", ")}`);
    }
    if (e?.scheduledAt === undefined) return { kind: kind as EventKind };
    const at = new Date(String(e.scheduledAt));
    if (Number.isNaN(at.getTime())) throw new Error(`unexpected event ${JSON.stringify(raw)}: scheduledAt is not a time`);
    return { kind: kind as EventKind, scheduledAt: at };
}

const nodeRef = (ctx: PowerContext) => ({ clusterName: ctx.clusterName, nodeGroupName: ctx.nodeGroupName });

/** Reads everything decide() needs. Airflow's database is read only by a watch while nodes are up. */
export async function observe(ctx: PowerContext, c: Clients, event: PowerEvent, now = new Date()): Promise<Observations> {
    const [nodes, db, latestBackupAt, keepAwake, state] = await Promise.all([
        describeNodes(c.eks, nodeRef(ctx)),
        describeDb(c.rds, ctx.dbInstanceIdentifier),
        latestAutomatedBackup(c.rds, ctx.dbInstanceIdentifier),
        readKeepAwake(c.ssm, ctx.settings.keepAwakeParameter),
        readState(c.ssm, ctx.settings.stateParameter),
    ]);
    const awakeWatch = event.kind === "watch" && nodes.desired > 0;
    const readIdle = async (parameter: string): Promise<Observations["idle"]> => {
        try {
            return await readIdleSignal(await readDatabaseConnection(c.ssm, parameter));
        } catch (err) {
            return { ok: false, error: `reading the credential: ${(err as Error).message}` };
        }
    };
    const [idle, flux] = await Promise.all([
        awakeWatch && ctx.databaseParameter !== undefined ? readIdle(ctx.databaseParameter) : undefined,
        awakeWatch && ctx.readFlux === true
            ? fluxStatus(c.eks, ctx.clusterName, ctx.region ?? process.env.AWS_REGION ?? "", credentialsFromEnv(), WATCHED_FLUX_OBJECTS, now)
            : undefined,
    ]);
    return {
        event,
        nodes: { desired: nodes.desired, target: ctx.nodeCount, status: nodes.status },
        db: { status: db.status, pending: db.pending },
        latestBackupAt,
        keepAwakeUntil: keepAwake ? new Date(keepAwake.until) : undefined,
        idle,
        flux,
        state: { idleSince: state.idleSince },
    };
}

export interface Outcome {
    readonly action: Decision["action"];
    readonly reason: string;
    /** What was actually changed in AWS. */
    readonly effects: string[];
}

/**
 * Carries out a decision. Each step is idempotent, so a retried invocation repeats nothing harmful.
 * `waitForStop`: the wake function waits out a metastore stop in progress before starting it (and
 * fails if it cannot); the watcher does not wait (its next check starts it).
 */
export async function act(ctx: PowerContext, c: Clients, decision: Decision, now: Date, record: boolean, waitForStop = false): Promise<Outcome> {
    const effects: string[] = [];
    const retry = ctx.retry ?? {};
    const start = async () => {
        if (await startDb(c.rds, ctx.dbInstanceIdentifier, waitForStop ? { waitForStop: retry } : {})) effects.push("metastore start requested");
    };
    switch (decision.action) {
        case "start-db":
            await start();
            break;
        case "wake":
            // The metastore first (normally started ahead by the db-start schedule), then the nodes.
            await start();
            if ((await scaleNodes(c.eks, nodeRef(ctx), ctx.nodeCount, retry)).changed) effects.push(`nodes scaled to ${ctx.nodeCount}`);
            break;
        case "sleep":
        case "forced-sleep":
            // The nodes first: nothing may be left using the database when it stops.
            if ((await scaleNodes(c.eks, nodeRef(ctx), 0, retry)).changed) effects.push("nodes scaled to 0");
            if (decision.stopDatabase && (await stopDb(c.rds, ctx.dbInstanceIdentifier))) effects.push("metastore stop requested");
            if (decision.applyDbChanges && (await applyPendingChanges(c.rds, ctx.dbInstanceIdentifier))) effects.push("metastore's pending modifications applied");
            break;
        case "stop-db":
            if (await stopDb(c.rds, ctx.dbInstanceIdentifier)) effects.push("metastore stop requested");
            break;
        case "apply-db-changes":
            if (await applyPendingChanges(c.rds, ctx.dbInstanceIdentifier)) effects.push("metastore's pending modifications applied");
            break;
        case "ignore":
        case "none":
        case "record-idle":
            break;
    }
    if (record && decision.action !== "ignore") {
        const previous = await readState(c.ssm, ctx.settings.stateParameter);
        const next = decision.nextState ?? { idleSince: previous.idleSince };
        // The wake's failure and the last report's night outlive the decisions in between.
        await writeState(c.ssm, ctx.settings.stateParameter, { ...carried(previous), ...next, lastCheck: { at: now.toISOString(), action: decision.action, reason: decision.reason } });
    }
    return { action: decision.action, reason: decision.reason, effects };
}

/** The parts of the watcher's state that no decision replaces. */
function carried(s: StoredState): Partial<StoredState> {
    return {
        ...(s.lastWakeError ? { lastWakeError: s.lastWakeError } : {}),
        ...(s.lastReportNight ? { lastReportNight: s.lastReportNight } : {}),
    };
}

/**
 * Builds, keeps and mails the night's report. Never throws: a report that cannot be made must not
 * keep the platform awake; what went wrong is returned as an effect (and so in the function's log).
 */
async function sendReport(ctx: PowerContext, c: Clients, parts: { wakeAt: Date; now: Date; cause: NightReport["cause"]; reason: string; activity: NightActivity; fluxProblems: readonly string[] }): Promise<string[]> {
    const r = ctx.report;
    if (r === undefined) return [];
    try {
        const state = await readState(c.ssm, ctx.settings.stateParameter);
        const cycleStart = new Date(parts.wakeAt.getTime() - (ctx.settings.nodeLeadMinutes + ctx.settings.dbLeadMinutes) * 60_000);
        const wakeError = state.lastWakeError && Date.parse(state.lastWakeError.at) >= cycleStart.getTime() ? `${state.lastWakeError.error} (${state.lastWakeError.at})` : undefined;
        const history = await recentReports(c.s3, r.bucket, r.historyNights ?? 7);
        const report = buildReport({
            stack: ctx.stack, timeZone: ctx.settings.timeZone, wakeAt: parts.wakeAt, nodesUpAt: new Date(parts.wakeAt.getTime() - ctx.settings.nodeLeadMinutes * 60_000),
            sleptAt: parts.now, cause: parts.cause, reason: parts.reason, activity: parts.activity, fluxProblems: parts.fluxProblems, wakeError,
            history, logs: { bucket: r.bucket, searchEndpoint: r.searchEndpoint }, cost: r.cost,
        });
        const keys = await keepReport(c.s3, r.bucket, report, reportHtml(report, ctx.settings.timeZone));
        await mailReport(c.sns, r.topicArn, reportSubject(report), reportText(report, ctx.settings.timeZone));
        // The state read above is current: the lease is held and nothing in between writes it.
        await writeState(c.ssm, ctx.settings.stateParameter, { ...state, lastReportNight: report.night });
        return [`morning report mailed and kept as s3://${r.bucket}/${keys[0]}`];
    } catch (err) {
        return [`morning report failed: ${(err as Error).name}: ${(err as Error).message}`];
    }
}

async function readNightActivity(c: Clients, parameter: string, wakeAt: Date, settings: PowerSettings): Promise<NightActivity> {
    // Since the cycle's start: the metastore's early start, so that a run queued then counts.
    const since = new Date(wakeAt.getTime() - (settings.nodeLeadMinutes + settings.dbLeadMinutes) * 60_000);
    try {
        return await readNight(await readDatabaseConnection(c.ssm, parameter), since);
    } catch (err) {
        return { ok: false, error: `reading the credential: ${(err as Error).message}` };
    }
}

/**
 * A night the wake function failed on never reaches a sleep decision (the nodes never came up). Past
 * the deadline, once Scheduler's retries are spent, the watcher sends that night's report instead:
 * nothing ran, and why.
 */
async function failedWakeReport(ctx: PowerContext, c: Clients, obs: Observations, wakeAt: Date, now: Date): Promise<string[]> {
    if (ctx.report === undefined || obs.nodes.desired > 0 || now.getTime() < wakeAt.getTime() + currentWindow(now, ctx.settings).deadlineHours * 3_600_000) return [];
    const state = await readState(c.ssm, ctx.settings.stateParameter);
    const night = nightOf(wakeAt, ctx.settings.timeZone);
    if (state.lastWakeError === undefined || Date.parse(state.lastWakeError.at) < wakeAt.getTime() - 4 * 3_600_000 || state.lastReportNight === night) return [];
    return sendReport(ctx, c, {
        wakeAt, now, cause: "deadline", reason: "the platform never woke: the wake function failed",
        activity: { ok: false, error: "not read: the platform did not wake, so nothing ran" }, fluxProblems: [],
    });
}

/**
 * The watcher's metrics in CloudWatch's embedded metric format: a JSON log line that CloudWatch Logs
 * turns into metrics, so the function needs no cloudwatch:PutMetricData (an action that takes no
 * resource and would need "*"). Written straight to stdout, without the runtime's log prefix.
 */
export function metricsLine(ctx: PowerContext, decision: Decision, now: Date, flux?: Observations["flux"]): string {
    const m = decision.metrics;
    return JSON.stringify({
        _aws: {
            Timestamp: now.getTime(),
            CloudWatchMetrics: [{
                Namespace: ctx.metricsNamespace,
                Dimensions: [["Stack"]],
                Metrics: [
                    { Name: "ForcedSleep", Unit: "Count" },
                    { Name: "NodesUpAfterWindow", Unit: "Count" },
                    { Name: "DatabaseRunningWhileAsleep", Unit: "Count" },
                    { Name: "FluxNotReady", Unit: "Count" },
                    { Name: "SchedulerDown", Unit: "Count" },
                ],
            }],
        },
        Stack: ctx.stack,
        ForcedSleep: m.forcedSleep,
        NodesUpAfterWindow: m.nodesUpAfterWindow,
        DatabaseRunningWhileAsleep: m.databaseRunningWhileAsleep,
        FluxNotReady: m.fluxNotReady,
        SchedulerDown: m.schedulerDown,
        action: decision.action,
        reason: decision.reason,
        // What is not Ready, and why (the alarm's mail points here: the watcher's log group).
        ...(flux === undefined ? {} : { flux: flux.ok ? flux.objects : { error: flux.error }, fluxProblems: unhealthy(flux) }),
    });
}

/**
 * Runs `work` under the power lease when the context names one (the deployed functions and the
 * operator's commands always do). `wait`: a wake or an operator's command waits for a holder to
 * finish (and fails if it never does); a watch does not: the next one comes in a few minutes.
 */
async function leased(ctx: PowerContext, c: Clients, who: string, wait: boolean, work: () => Promise<Outcome>): Promise<Outcome> {
    if (ctx.lease === undefined) return work();
    const holder = `${who}-${(require("crypto") as typeof import("crypto")).randomUUID()}`;
    const retry = ctx.retry ?? {};
    const r = await withLease(c.dynamodb, { table: ctx.lease.table, holder, ttlMs: ctx.lease.ttlSeconds * 1000, wait: wait ? { retryDelayMs: 1_000, maxDelayMs: 10_000, maxWaitMs: retry.maxWaitMs ?? 60_000 } : undefined }, work);
    if (r.ran) return r.value;
    return { action: "ignore", reason: `another power invocation (${r.heldBy}) holds the lease until ${r.until}: nothing done`, effects: [] };
}

/**
 * An operator's wake sent straight to the wake function, for a machine with the AWS CLI and no Pulumi:
 * {"kind": "operator-wake", "hours": 2, "by": "alice"}. Undefined when the event is not one.
 */
export function parseOperatorWake(raw: unknown): { hours: number; by: string } | undefined {
    const e = (typeof raw === "string" ? JSON.parse(raw) : raw) as { kind?: unknown; hours?: unknown; by?: unknown } | null;
    if (e?.kind !== "operator-wake") return undefined;
    const hours = Number(e.hours ?? 2);
    if (!Number.isFinite(hours) || hours <= 0 || hours > 24) throw new Error(`operator-wake: hours must be more than 0 and at most 24, got ${JSON.stringify(e.hours)}`);
    const by = typeof e.by === "string" && /^[\w.@+-]{1,64}$/.test(e.by) ? e.by : "aws-cli";
    return { hours, by };
}

/** The wake function: the metastore's early start (db-start), the wake itself, and an operator's wake. */
export async function wake(raw: unknown, ctx: PowerContext = contextFromEnv(), c: Clients = makeClients(ctx.region), now = new Date()): Promise<Outcome> {
    const operator = parseOperatorWake(raw);
    if (operator !== undefined) {
        const outcome = await operatorWake(ctx, operator.hours, `${operator.by} (lambda invoke)`, c, now);
        console.log(JSON.stringify({ event: raw, ...outcome }));
        return outcome;
    }
    const event = parseEvent(raw, ["db-start", "wake"]);
    let outcome: Outcome;
    try {
        outcome = await leased(ctx, c, event.kind, true, async () => {
            const decision = decide(now, await observe(ctx, c, event, now), ctx.settings);
            const done = await act(ctx, c, decision, now, event.kind === "wake", true);
            // A wake that got through clears an earlier failure: the report names only tonight's.
            if (event.kind === "wake" && decision.action !== "ignore") {
                const { lastWakeError: _cleared, ...rest } = await readState(c.ssm, ctx.settings.stateParameter);
                await writeState(c.ssm, ctx.settings.stateParameter, rest);
            }
            return done;
        });
    } catch (err) {
        // Scheduler retries the invocation; the failure is kept for the morning report either way.
        const state = await readState(c.ssm, ctx.settings.stateParameter).catch((): StoredState => ({}));
        await writeState(c.ssm, ctx.settings.stateParameter, { ...state, lastWakeError: { at: now.toISOString(), error: `${event.kind}: ${(err as Error).name}: ${(err as Error).message}` } }).catch(() => undefined);
        throw err;
    }
    console.log(JSON.stringify({ event: raw, ...outcome }));
    return outcome;
}

/** The watch function: every few minutes, day and night. */
export async function watch(raw: unknown, ctx: PowerContext = contextFromEnv(), c: Clients = makeClients(ctx.region), now = new Date()): Promise<Outcome> {
    const event = parseEvent(raw, ["watch"]);
    const outcome = await leased(ctx, c, "watch", false, async () => {
        const obs = await observe(ctx, c, event, now);
        const decision = decide(now, obs, ctx.settings);
        const wakeAt = lastWakeAtOrBefore(now, ctx.settings);
        const sleeping = decision.action === "sleep" || decision.action === "forced-sleep";
        // The night is read before the sleep: the metastore may be stopped by it.
        const activity = sleeping && ctx.report && ctx.databaseParameter !== undefined ? await readNightActivity(c, ctx.databaseParameter, wakeAt, ctx.settings) : undefined;
        const done = await act(ctx, c, decision, now, true);
        if (decision.action !== "ignore") process.stdout.write(`${metricsLine(ctx, decision, now, obs.flux)}\n`);
        if (sleeping && activity !== undefined) {
            const effects = await sendReport(ctx, c, {
                wakeAt, now, cause: sleepCause(decision.action as "sleep" | "forced-sleep", obs.keepAwakeUntil, wakeAt), reason: decision.reason, activity,
                fluxProblems: obs.flux === undefined ? [] : unhealthy(obs.flux),
            });
            return { ...done, effects: [...done.effects, ...effects] };
        }
        return { ...done, effects: [...done.effects, ...(await failedWakeReport(ctx, c, obs, wakeAt, now))] };
    });
    console.log(JSON.stringify({ event: raw, ...outcome }));
    return outcome;
}

// ---------------------------------------------------------------- the operator's commands

export interface StatusReport {
    readonly now: string;
    readonly nodes: string;
    readonly database: string;
    readonly keepAwake: string;
    readonly backup: string;
    readonly lastWake: string;
    readonly nextWake: string;
    readonly lastCheck: string;
    /** What the watcher would do now, Airflow's state aside (only the watcher, in the VPC, can read it). */
    readonly verdict: string;
    readonly text: string;
}

function local(d: Date, timeZone: string): string {
    const p = zonedParts(d, timeZone);
    const two = (n: number) => String(n).padStart(2, "0");
    return `${p.year}-${two(p.month)}-${two(p.day)} ${two(p.hour)}:${two(p.minute)} ${timeZone}`;
}

/** What the platform is doing and why. */
export async function status(ctx: PowerContext, c: Clients = makeClients(ctx.region), now = new Date()): Promise<StatusReport> {
    const obs = await observe({ ...ctx, databaseParameter: undefined }, c, { kind: "watch" });
    const stored = await readState(c.ssm, ctx.settings.stateParameter);
    const s = ctx.settings;
    const lastWake = lastWakeAtOrBefore(now, s);
    const nextWake = nextWakeAfter(now, s);
    // Airflow's state as the watcher last saw it: idle if its last check found it idle, else busy.
    const lastIdle = stored.lastCheck?.action === "record-idle";
    const verdict = decide(now, { ...obs, idle: lastIdle ? { ok: true, activeRuns: 0, unfinishedTasks: 0, dueDags: 0, pausedRuns: 0, schedulerHeartbeatAgeSeconds: 0 } : { ok: false, error: "not read by status" } }, s);
    const report = {
        now: `${now.toISOString()} (${local(now, s.timeZone)})`,
        nodes: `${obs.nodes.desired} desired of ${ctx.nodeCount} (${obs.nodes.status})`,
        database: obs.db.status,
        keepAwake: obs.keepAwakeUntil === undefined ? "none" : `${obs.keepAwakeUntil > now ? "until" : "expired at"} ${obs.keepAwakeUntil.toISOString()}`,
        backup: obs.latestBackupAt === undefined ? "no automated backup found"
            : `newest automated backup ${obs.latestBackupAt.toISOString()}; ${backupTakenForCycle(obs.latestBackupAt, lastNightWakeAtOrBefore(now, s), s) ? "this cycle's backup exists" : "this cycle's backup is not taken yet"}`,
        lastWake: `${lastWake.toISOString()} (${local(lastWake, s.timeZone)})`,
        nextWake: `${nextWake.toISOString()} (${local(nextWake, s.timeZone)})`,
        lastCheck: stored.lastCheck ? `${stored.lastCheck.at}: ${stored.lastCheck.action}: ${stored.lastCheck.reason}` : "none recorded",
        verdict: `${verdict.action}: ${verdict.reason}`,
    };
    const text = Object.entries(report).map(([k, v]) => `${k.padEnd(10)} ${v}`).join("\n");
    return { ...report, text };
}

/** Sets (hours > 0) or clears (0) the keep-awake flag. */
export async function keepAwake(ctx: PowerContext, hours: number, by: string, c: Clients = makeClients(ctx.region), now = new Date()): Promise<Outcome> {
    if (hours <= 0) {
        await writeKeepAwake(c.ssm, ctx.settings.keepAwakeParameter, undefined);
        return { action: "none", reason: "keep-awake cleared", effects: ["keep-awake cleared"] };
    }
    const until = new Date(now.getTime() + hours * 3_600_000);
    await writeKeepAwake(c.ssm, ctx.settings.keepAwakeParameter, { until: until.toISOString(), by });
    return { action: "none", reason: `keep-awake until ${until.toISOString()}`, effects: [`keep-awake until ${until.toISOString()}`] };
}

/**
 * An operator's wake (a backfill, a look at the UI): keep-awake for `hours` so that the watcher does
 * not put the platform straight back to sleep, then the metastore and the nodes.
 */
export async function operatorWake(ctx: PowerContext, hours: number, by: string, c: Clients = makeClients(ctx.region), now = new Date()): Promise<Outcome> {
    return leased(ctx, c, `operator-wake-${by}`, true, async () => {
        const flag = await keepAwake(ctx, hours, by, c, now);
        const decision = decide(now, await observe(ctx, c, { kind: "wake" }), ctx.settings);
        const outcome = await act(ctx, c, decision, now, false, true);
        return { ...outcome, effects: [...flag.effects, ...outcome.effects] };
    });
}

/**
 * Wakes the metastore alone, for a daytime `pulumi up` that changes it (RDS refuses any change to a
 * stopped instance): keep-awake for `hours`, so the watcher leaves it running, then a start. The
 * nodes stay asleep. When the keep-awake ends, the watcher applies what RDS deferred and stops it.
 */
export async function operatorStartDb(ctx: PowerContext, hours: number, by: string, c: Clients = makeClients(ctx.region), now = new Date()): Promise<Outcome> {
    return leased(ctx, c, `operator-start-db-${by}`, true, async () => {
        const flag = await keepAwake(ctx, hours, by, c, now);
        const decision: Decision = {
            action: "start-db", reason: `operator's start of the metastore for a change (keep-awake ${hours} h; the nodes stay asleep)`,
            metrics: NO_ALARM_METRICS,
        };
        const outcome = await act(ctx, c, decision, now, false, true);
        return { ...outcome, effects: [...flag.effects, ...outcome.effects] };
    });
}

/**
 * An operator's sleep: clears keep-awake, scales the nodes to zero and stops the metastore, unless the
 * cycle's backup is not taken yet; then the watcher stops it once the backup exists.
 */
export async function operatorSleep(ctx: PowerContext, c: Clients = makeClients(ctx.region), now = new Date()): Promise<Outcome> {
    return leased(ctx, c, "operator-sleep", true, () => sleepNow(ctx, c, now));
}

async function sleepNow(ctx: PowerContext, c: Clients, now: Date): Promise<Outcome> {
    await writeKeepAwake(c.ssm, ctx.settings.keepAwakeParameter, undefined);
    const obs = await observe(ctx, c, { kind: "watch" });
    const backupTaken = backupTakenForCycle(obs.latestBackupAt, lastNightWakeAtOrBefore(now, ctx.settings), ctx.settings);
    // The same rule as the watcher's sleep (scheduler/power.ts); the watcher's later checks do the rest.
    const atSleep = metastoreAtSleep(obs, backupTaken);
    const decision: Decision = {
        action: "sleep",
        reason: `operator's sleep${atSleep.note}`,
        stopDatabase: atSleep.stopDatabase,
        applyDbChanges: atSleep.applyDbChanges,
        nextState: {},
        metrics: NO_ALARM_METRICS,
    };
    const outcome = await act(ctx, c, decision, now, true);
    return { ...outcome, effects: ["keep-awake cleared", ...outcome.effects] };
}
