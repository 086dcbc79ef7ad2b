// Whole nights, replayed in order on a virtual clock: every db-start, wake and watch the schedules
// deliver, through the real handlers (scheduler/handlers.ts), against moto (EKS, SSM, DynamoDB, and RDS
// behind tests/power-fixtures.ts' proxy, which gives RDS's starting and stopping their time and takes
// the automated backup in its window when the instance runs then) and a real PostgreSQL 17 set up as
// RDS sets it up, with Airflow 3.2.2's tables owned by `airflow`, read as the monitoring login, beside a
// scheduler that heartbeats. The clock is injected: a winter night (2027-01-15, wake 00:00 PST =
// 08:00Z) with the production settings. The handlers run in this process here; scheduler/lambda.test.ts
// runs the serialized functions in a fresh Node process.

import { strict as assert } from "assert";
import { DescribeDBInstancesCommand, StopDBInstanceCommand } from "@aws-sdk/client-rds";
import { DescribeNodegroupCommand } from "@aws-sdk/client-eks";
import { keepAwake, wake, watch, type Clients, type Outcome, type PowerContext } from "./handlers";
import { powerSettings, type PowerSettings } from "./power";
import { contextFor, createWorld, motoClients, putParameter, rdsTimingProxy, type World } from "../tests/power-fixtures";
import { liveScheduler, rdsLikeMetastore, type RdsLikeMetastore } from "../tests/metastore-fixture";
import { freePort, startMoto, type Moto } from "../tests/services";

const MIN = 60_000;
const WAKE = Date.parse("2027-01-15T08:00:00Z");
const at = (hhmm: string) => new Date(`2027-01-15T${hhmm}:00Z`);
const hhmm = (d: Date) => d.toISOString().slice(11, 16);

interface Step {
    readonly at: string;
    readonly kind: "db-start" | "wake" | "watch";
    readonly action: string;
    readonly effects: readonly string[];
    readonly reason: string;
    /** The watcher's metrics line (CloudWatch embedded metric format), when it wrote one. */
    readonly metrics?: Record<string, unknown>;
}

/** Runs `fn` with the handlers' stdout (outcome lines, metric lines) captured instead of printed. */
async function captured(fn: () => Promise<Outcome>): Promise<{ outcome: Outcome; metrics?: Record<string, unknown> }> {
    const write = process.stdout.write.bind(process.stdout);
    let metrics: Record<string, unknown> | undefined;
    process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => {
        const text = String(chunk);
        if (text.startsWith('{"_aws"')) { metrics = JSON.parse(text); return true; }
        if (text.startsWith('{"event"')) return true;
        return (write as (c: unknown, ...r: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stdout.write;
    try {
        return { outcome: await fn(), metrics };
    } finally {
        process.stdout.write = write;
    }
}

describe("NightlyScheduler: whole nights replayed against moto and a real PostgreSQL", function () {
    this.timeout(180_000);
    let moto: Moto;
    let proxy: Awaited<ReturnType<typeof rdsTimingProxy>>;
    let c: Clients;
    let through: Clients;
    let meta: RdsLikeMetastore;
    let scheduler: Awaited<ReturnType<typeof liveScheduler>>;
    let worlds = 0;

    before(async () => {
        moto = await startMoto();
        proxy = await rdsTimingProxy(moto.endpoint, { stopMs: 300, startMs: 300 });
        c = motoClients(moto.endpoint);
        through = motoClients(proxy.endpoint);
        meta = await rdsLikeMetastore();
        scheduler = await liveScheduler(meta.airflow, 1_000);
    });
    after(async () => {
        scheduler?.kill();
        await Promise.all([proxy?.close(), moto?.stop(), meta?.stop()]);
    });

    interface Night {
        readonly world: World;
        readonly ctx: PowerContext;
        readonly settings: PowerSettings;
        readonly dbStatus: () => Promise<string>;
        readonly nodes: () => Promise<number>;
    }

    /** A platform asleep at dusk: nodes at 0, metastore stopped, yesterday's backup, Airflow's tables empty. */
    async function dusk(credential?: object): Promise<Night> {
        const id = `night${++worlds}`;
        const world = await createWorld(c, id);
        await c.rds.send(new StopDBInstanceCommand({ DBInstanceIdentifier: world.dbInstanceIdentifier }));
        const settings = powerSettings(`dp-${id}`);
        const databaseParameter = `/dp-${id}/power/database`;
        const ctx = contextFor(world, settings, { databaseParameter, retry: { retryDelayMs: 50, maxDelayMs: 200, maxWaitMs: 10_000 } });
        await putParameter(c, settings.keepAwakeParameter, "none");
        await putParameter(c, settings.stateParameter, "{}");
        await putParameter(c, databaseParameter, JSON.stringify(credential ?? meta.monitor), true);
        proxy.backups = [new Date(WAKE - 24 * 60 * MIN + 20 * MIN)];
        proxy.stoppingUntil = proxy.startingUntil = proxy.modifyingUntil = 0;
        await meta.airflow.query("TRUNCATE dag_run, dag CASCADE");
        const dbStatus = async () => (await through.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: world.dbInstanceIdentifier }))).DBInstances![0].DBInstanceStatus!;
        const nodes = async () => (await c.eks.send(new DescribeNodegroupCommand({ clusterName: world.clusterName, nodegroupName: world.nodeGroupName }))).nodegroup!.scalingConfig!.desiredSize!;
        return { world, ctx, settings, dbStatus, nodes };
    }

    /**
     * Airflow's night: the scheduler creates the etl run at the wake instant and it runs until `endsAt`
     * (never, when undefined). Its next run is due a day later on the database's clock, which is the one
     * the watcher's query compares it with (the replay's clock is virtual; PostgreSQL's is not).
     */
    async function airflowAt(t: Date, endsAt: Date | undefined) {
        if (t.getTime() === WAKE) {
            await meta.airflow.query(`INSERT INTO dag (dag_id, is_paused, is_stale, exceeds_max_non_backfill, bundle_name, max_active_tasks, max_active_runs, max_consecutive_failed_dag_runs, has_task_concurrency_limits, has_import_errors, fail_fast, next_dagrun_create_after)
                VALUES ('etl', false, false, false, 'dags-folder', 16, 1, 0, false, false, false, now() + interval '1 day')`);
            await meta.airflow.query("INSERT INTO dag_run (dag_id, run_id, run_type, state, run_after, logical_date) VALUES ('etl', 'scheduled__2027-01-15', 'scheduled', 'running', now(), '2027-01-15T08:00:00Z')");
            await meta.airflow.query("INSERT INTO task_instance (id, task_id, dag_id, run_id, state, try_number, pool, pool_slots, dag_version_id) VALUES (gen_random_uuid(), 'load', 'etl', 'scheduled__2027-01-15', 'running', 1, 'default_pool', 1, gen_random_uuid())");
        }
        if (endsAt !== undefined && t.getTime() === endsAt.getTime()) {
            await meta.airflow.query("UPDATE task_instance SET state = 'success'; UPDATE dag_run SET state = 'success'");
        }
    }

    interface ReplayOptions {
        readonly from?: string;
        readonly to?: string;
        /** When the night's run finishes; undefined: it never does. */
        readonly runEndsAt?: string | null;
        /** Whether the scheduler creates the night's run at all (default true). */
        readonly run?: boolean;
        /** Whether RDS takes the 08:20Z automated backup when the instance is available then. */
        readonly backup?: boolean;
        /** Deliveries to repeat (Scheduler's at-least-once delivery): "07:30 wake". */
        readonly twice?: readonly string[];
        /** Deliveries that never arrive. */
        readonly dropped?: readonly string[];
        /** Something that happens at a step, before its deliveries. */
        readonly before?: (t: Date, n: Night) => Promise<void>;
        /** Wait for RDS's transitions to end between steps (default true). */
        readonly settle?: boolean;
    }

    async function replay(n: Night, o: ReplayOptions = {}): Promise<Step[]> {
        const steps: Step[] = [];
        const from = at(o.from ?? "06:50").getTime();
        const to = at(o.to ?? "12:10").getTime();
        const runEnd = o.runEndsAt === null ? undefined : at(o.runEndsAt ?? "08:50");
        for (let t = from; t <= to; t += 10 * MIN) {
            const now = new Date(t);
            // RDS: the automated backup in its window (08:15-08:45Z), taken only if the instance runs.
            if (hhmm(now) === "08:20" && (o.backup ?? true) && (await n.dbStatus()) === "available") proxy.backups = [...(proxy.backups ?? []), new Date(t)];
            if (o.run ?? true) await airflowAt(now, runEnd);
            await o.before?.(now, n);
            const deliveries: Step["kind"][] = [];
            if (t === WAKE - 60 * MIN) deliveries.push("db-start");
            if (t === WAKE - 30 * MIN) deliveries.push("wake");
            deliveries.push("watch");
            for (const kind of deliveries) {
                const label = `${hhmm(now)} ${kind}`;
                if (o.dropped?.includes(label)) continue;
                for (let i = 0; i < (o.twice?.includes(label) ? 2 : 1); i++) {
                    const event = { kind, scheduledAt: now.toISOString() };
                    const { outcome, metrics } = await captured(() => (kind === "watch" ? watch(event, n.ctx, through, now) : wake(event, n.ctx, through, now)));
                    steps.push({ at: hhmm(now), kind, action: outcome.action, effects: outcome.effects, reason: outcome.reason, metrics });
                }
            }
            if (o.settle ?? true) while (["starting", "stopping", "modifying"].includes(await n.dbStatus())) await new Promise((r) => setTimeout(r, 50));
        }
        return steps;
    }

    const table = (steps: Step[]) => steps.map((s) => `${s.at} ${s.kind} ${s.action}${s.effects.length ? ` [${s.effects.join("; ")}]` : ""}`);
        /** The steps that did or decided something: everything but "none". */
    const withEffects = (steps: Step[]) => table(steps.filter((s) => s.effects.length > 0 || s.action !== "none"));

    it("an ordinary night, with the wake and the sleep each delivered twice: asleep → db-start → wake → busy while the run runs → idle twice → sleep after the day's backup; nothing done twice", async () => {
        const n = await dusk();
        const steps = await replay(n, { twice: ["07:30 wake", "09:00 watch"] });
        assert.deepEqual(withEffects(steps), [
            "07:00 db-start start-db [metastore start requested]",
            "07:30 wake wake [nodes scaled to 4]",
            "08:50 watch record-idle",
            "09:00 watch sleep [nodes scaled to 0; metastore stop requested]",
        ]);
        // The duplicates did nothing: the second wake found both up, the second sleep found it asleep.
        assert.deepEqual(table(steps.filter((s) => s.at === "07:30" && s.kind === "wake")), ["07:30 wake wake [nodes scaled to 4]", "07:30 wake none"]);
        assert.deepEqual(table(steps.filter((s) => s.at === "09:00")), ["09:00 watch sleep [nodes scaled to 0; metastore stop requested]", "09:00 watch none"]);
        const reasons = (time: string) => steps.filter((s) => s.at === time && s.kind === "watch").map((s) => s.reason);
        assert.match(reasons("06:50")[0], /asleep: no nodes, metastore stopped/);
        assert.match(reasons("07:10")[0], /waking: the metastore runs ahead/);
        assert.match(reasons("07:40")[0], /next wake .* is due: stay up/);
        assert.match(reasons("08:10")[0], /grace period/);
        assert.match(reasons("08:30")[0], /busy: 1 DAG runs queued or running, 1 task instances not finished/);
        assert.match(reasons("08:40")[0], /busy/);
        assert.match(reasons("09:00")[1], /asleep: no nodes, metastore (stopping|stopped)/, "the duplicate sleep finds it done");
        assert.ok(steps.filter((s) => s.at >= "09:10").every((s) => s.action === "none" && s.effects.length === 0));
        assert.deepEqual([await n.nodes(), await n.dbStatus()], [0, "stopped"]);
        // No alarm metric all night.
        for (const s of steps.filter((x) => x.metrics)) {
            assert.deepEqual([s.metrics!.ForcedSleep, s.metrics!.NodesUpAfterWindow, s.metrics!.DatabaseRunningWhileAsleep, s.metrics!.FluxNotReady, s.metrics!.SchedulerDown], [0, 0, 0, 0, 0], s.at);
        }
    });

    it("the backup missing (RDS took none in its window): the nodes sleep, the metastore keeps running, and past the deadline the running-while-asleep metric says so", async () => {
        const n = await dusk();
        const steps = await replay(n, { backup: false });
        assert.deepEqual(withEffects(steps).slice(-2), ["08:50 watch record-idle", "09:00 watch sleep [nodes scaled to 0]"]);
        assert.match(steps.find((s) => s.at === "09:00" && s.kind === "watch")!.reason, /keeps running until the day's backup exists/);
        assert.equal(await n.dbStatus(), "available");
        const late = steps.filter((s) => s.at >= "12:10" && s.metrics);
        assert.ok(late.length > 0 && late.every((s) => s.metrics!.DatabaseRunningWhileAsleep === 1));
        assert.ok(steps.filter((s) => s.at < "12:00" && s.metrics).every((s) => s.metrics!.DatabaseRunningWhileAsleep === 0));
    });

    it("a stuck run: busy all night, forced sleep at the deadline (12:00Z) with the forced-sleep metric", async () => {
        const n = await dusk();
        const steps = await replay(n, { runEndsAt: null });
        assert.deepEqual(withEffects(steps).slice(2), ["12:00 watch forced-sleep [nodes scaled to 0; metastore stop requested]"]);
        assert.equal(steps.find((s) => s.at === "12:00" && s.kind === "watch")!.metrics!.ForcedSleep, 1);
        assert.ok(steps.filter((s) => s.at >= "08:30" && s.at < "12:00").every((s) => /busy/.test(s.reason)));
    });

    it("the database unreachable (nothing listens where the credential points): counted busy at every check, never an idle sleep; the deadline bounds it", async () => {
        const n = await dusk({ ...meta.monitor, port: await freePort() });
        const steps = await replay(n);
        assert.ok(!steps.some((s) => s.action === "record-idle" || s.action === "sleep"));
        assert.ok(steps.filter((s) => s.at >= "08:30" && s.at < "12:00" && s.kind === "watch").every((s) => /cannot read Airflow's state.*counted as busy/.test(s.reason)));
        assert.equal(steps.find((s) => s.at === "12:00" && s.kind === "watch")!.action, "forced-sleep");
    });

    it("keep-awake set in the night: no sleep until it ends, then the ordinary rules (idle twice) put it to sleep", async () => {
        const n = await dusk();
        const steps = await replay(n, {
            before: async (t, night) => { if (hhmm(t) === "08:40") await keepAwake(night.ctx, 1.25, "analyst", c, t); },
        });
        // keep-awake until 09:55Z: the watcher's checks leave it up, then idle twice.
        assert.ok(steps.filter((s) => s.at >= "08:50" && s.at <= "09:50" && s.kind === "watch").every((s) => s.action === "none" && /keep-awake until 2027-01-15T09:55/.test(s.reason)));
        assert.deepEqual(withEffects(steps).slice(2), ["10:00 watch record-idle", "10:10 watch sleep [nodes scaled to 0; metastore stop requested]"]);
    });

    it("Airflow's scheduler never comes up (its job row's heartbeat stale): busy, not idle, with the scheduler-down metric after the grace; forced sleep at the deadline", async () => {
        const n = await dusk();
        scheduler.kill();
        await meta.airflow.query("UPDATE job SET latest_heartbeat = now() - interval '10 minutes' WHERE state = 'running'");
        try {
            // A dead scheduler creates no run: the tables alone would say idle.
            const steps = await replay(n, { run: false });
            assert.ok(!steps.some((s) => s.action === "record-idle" || s.action === "sleep"));
            const afterGrace = steps.filter((s) => s.kind === "watch" && s.at >= "08:30" && s.at < "12:00");
            assert.ok(afterGrace.every((s) => /last heartbeat \d+ s ago.*counted as busy/.test(s.reason) && s.metrics!.SchedulerDown === 1), afterGrace.map((s) => s.reason).join("\n"));
            assert.ok(steps.filter((s) => s.at < "08:30" && s.metrics).every((s) => s.metrics!.SchedulerDown === 0), "no alarm while it may still be starting");
            assert.equal(steps.find((s) => s.at === "12:00" && s.kind === "watch")!.action, "forced-sleep");
        } finally {
            await meta.airflow.query("TRUNCATE job");
            scheduler = await liveScheduler(meta.airflow, 1_000);
        }
    });

    it("the early start lost and the metastore still stopping when the wake comes (the previous sleep's stop): the wake waits, starts it and restores the nodes; a db-start delivered twice while it starts does nothing more", async () => {
        const stopping = await dusk();
        await c.rds.send(new (require("@aws-sdk/client-rds").StartDBInstanceCommand)({ DBInstanceIdentifier: stopping.world.dbInstanceIdentifier }));
        proxy.timing.stopMs = 800;
        const steps = await replay(stopping, {
            from: "07:00", to: "08:00", dropped: ["07:00 db-start"], settle: false,
            before: async (t, night) => { if (hhmm(t) === "07:30") await through.rds.send(new StopDBInstanceCommand({ DBInstanceIdentifier: night.world.dbInstanceIdentifier })); },
        });
        proxy.timing.stopMs = 300;
        assert.deepEqual(withEffects(steps), ["07:30 wake wake [metastore start requested; nodes scaled to 4]"]);
        assert.match(steps.find((s) => s.kind === "wake")!.reason, /stopping: once its stop ends/);

        const starting = await dusk();
        const again = await replay(starting, { from: "07:00", to: "07:00", twice: ["07:00 db-start"], settle: false });
        assert.deepEqual(table(again.filter((s) => s.kind === "db-start")), ["07:00 db-start start-db [metastore start requested]", "07:00 db-start none"]);
        assert.match(again[1].reason, /already starting/);
    });
});
