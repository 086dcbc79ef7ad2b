// The adapters and handlers against moto: wake scales the node group up and starts the metastore,
// sleep scales it to zero (max untouched, >= 1) and stops the metastore, repeats are no-ops, the
// backup rule holds, and a wake during a node-group update in progress succeeds once the update ends.
//
// moto 5.2.1 applies UpdateNodegroupConfig at once and never answers ResourceInUseException, so the
// "update in progress" is a small fault-injecting HTTP proxy in front of moto: it refuses
// UpdateNodegroupConfig with EKS's own error (HTTP 409, x-amzn-ErrorType ResourceInUseException) for
// as long as the "update" lasts, then forwards to moto. The real SDK parses the error; the adapter retries.

import { strict as assert } from "assert";
import { DescribeNodegroupCommand } from "@aws-sdk/client-eks";
import { DescribeDBInstancesCommand, StopDBInstanceCommand } from "@aws-sdk/client-rds";
import { operatorSleep, operatorWake, status, wake, watch, keepAwake, type Clients } from "./handlers";
import { eksScalingProblem, scaleNodes, scalingFor } from "./aws-eks";
import { describeDb, startDb, stopDb } from "../metastore/aws-rds";
import { readKeepAwake, readState } from "./aws-ssm";
import { recentReports } from "./aws-report";
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import { CreateTopicCommand } from "@aws-sdk/client-sns";
import { acquireLease, releaseLease, withLease } from "./lease";
import { contextFor, createWorld, forward, motoClients, putParameter, rdsTimingProxy, serialisingProxy, settingsAround, standIn, type World } from "../tests/power-fixtures";
import { startMoto, type Moto } from "../tests/services";

async function nodeGroup(c: Clients, w: World) {
    const out = await c.eks.send(new DescribeNodegroupCommand({ clusterName: w.clusterName, nodegroupName: w.nodeGroupName }));
    return { ...out.nodegroup!.scalingConfig!, modifiedAt: out.nodegroup!.modifiedAt?.getTime() };
}
async function dbStatus(c: Clients, w: World) {
    const out = await c.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: w.dbInstanceIdentifier }));
    return out.DBInstances![0].DBInstanceStatus;
}

/** Forwards to moto; while `busyUntil` is in the future, refuses UpdateNodegroupConfig as EKS does. */
async function faultProxy(target: string) {
    const state = { refused: 0, forwardedUpdates: 0, busyUntil: 0 };
    const server = await standIn(async (req, body) => {
        const isUpdate = req.method === "POST" && /^\/clusters\/[^/]+\/node-groups\/[^/]+\/update-config$/.test(req.url ?? "");
        if (isUpdate && Date.now() < state.busyUntil) {
            state.refused += 1;
            return { status: 409, headers: { "content-type": "application/json", "x-amzn-errortype": "ResourceInUseException" }, body: Buffer.from(JSON.stringify({ message: "Nodegroup cannot be updated as it is currently in UPDATING state" })) };
        }
        if (isUpdate) state.forwardedUpdates += 1;
        return forward(target, req, body);
    });
    return Object.assign(state, server);
}

describe("NightlyScheduler against moto", function () {
    this.timeout(30_000);
    let moto: Moto;
    let c: Clients;
    before(async () => {
        moto = await startMoto();
        c = motoClients(moto.endpoint);
    });
    after(async () => moto?.stop());

    describe("wake and sleep", () => {
        let w: World;
        const now = new Date();
        before(async () => {
            w = await createWorld(c, "ws");
            // The metastore sleeps, as it does by day.
            await c.rds.send(new StopDBInstanceCommand({ DBInstanceIdentifier: w.dbInstanceIdentifier }));
        });
        const ctx = () => contextFor(w, settingsAround(now, "dp-ws", { minutesAwake: 60, backup: "taken" }));

        it("the scheduled wake starts the metastore and scales the node group to nodeCount, min 0, max untouched", async () => {
            assert.equal(await dbStatus(c, w), "stopped");
            const out = await wake({ kind: "wake", scheduledAt: now.toISOString() }, ctx(), c, now);
            assert.equal(out.action, "wake");
            assert.deepEqual(out.effects, ["metastore start requested", "nodes scaled to 4"]);
            assert.equal(await dbStatus(c, w), "available");
            const ng = await nodeGroup(c, w);
            assert.deepEqual([ng.desiredSize, ng.minSize, ng.maxSize], [4, 0, 4]);
        });

        it("a repeated wake changes nothing (no UpdateNodegroupConfig, no start)", async () => {
            const before = await nodeGroup(c, w);
            const out = await wake({ kind: "wake", scheduledAt: now.toISOString() }, ctx(), c, now);
            assert.equal(out.action, "none");
            assert.deepEqual(out.effects, []);
            assert.equal((await nodeGroup(c, w)).modifiedAt, before.modifiedAt);
            assert.equal(await dbStatus(c, w), "available");
        });

        it("sleep scales to zero with max still >= 1, then stops the metastore (the day's backup exists)", async () => {
            const out = await operatorSleep(ctx(), c, now);
            assert.deepEqual(out.effects, ["keep-awake cleared", "nodes scaled to 0", "metastore stop requested"]);
            const ng = await nodeGroup(c, w);
            assert.deepEqual([ng.desiredSize, ng.minSize, ng.maxSize], [0, 0, 4]);
            assert.equal(await dbStatus(c, w), "stopped");
        });

        it("a repeated sleep changes nothing", async () => {
            const before = await nodeGroup(c, w);
            const out = await operatorSleep(ctx(), c, now);
            assert.deepEqual(out.effects, ["keep-awake cleared"]);
            assert.equal((await nodeGroup(c, w)).modifiedAt, before.modifiedAt);
            assert.equal(await dbStatus(c, w), "stopped");
        });

        it("start and stop are idempotent one by one", async () => {
            assert.equal(await stopDb(c.rds, w.dbInstanceIdentifier), false);
            assert.equal(await startDb(c.rds, w.dbInstanceIdentifier), true);
            assert.equal(await startDb(c.rds, w.dbInstanceIdentifier), false);
            assert.equal(await stopDb(c.rds, w.dbInstanceIdentifier), true);
            assert.equal(await dbStatus(c, w), "stopped");
        });

        it("a max of 0 is raised to the target on wake and kept at >= 1 on sleep", async () => {
            const ref = { clusterName: w.clusterName, nodeGroupName: w.nodeGroupName };
            await c.eks.send(new (require("@aws-sdk/client-eks").UpdateNodegroupConfigCommand)({ clusterName: w.clusterName, nodegroupName: w.nodeGroupName, scalingConfig: { minSize: 0, maxSize: 1, desiredSize: 0 } }));
            await scaleNodes(c.eks, ref, 4);
            assert.deepEqual(Object.values(await nodeGroup(c, w)).slice(0, 3).sort(), [0, 4, 4]);
            await scaleNodes(c.eks, ref, 0);
            const ng = await nodeGroup(c, w);
            assert.deepEqual([ng.desiredSize, ng.minSize, ng.maxSize], [0, 0, 4]);
        });
    });

    describe("the backup rule", () => {
        let w: World;
        const now = new Date();
        before(async () => { w = await createWorld(c, "bk"); });

        it("an operator's sleep before the day's backup leaves the metastore running, and the watcher stops it once the backup exists", async () => {
            const pending = contextFor(w, settingsAround(now, "dp-bk", { minutesAwake: 60, backup: "pending" }));
            await wake({ kind: "wake" }, pending, c, now);
            const out = await operatorSleep(pending, c, now);
            assert.deepEqual(out.effects, ["keep-awake cleared", "nodes scaled to 0"]);
            assert.match(out.reason, /keeps running until the day's backup exists/);
            assert.equal(await dbStatus(c, w), "available");
            // The next watch, still before the backup: nothing.
            const waiting = await watch({ kind: "watch", scheduledAt: now.toISOString() }, pending, c, now);
            assert.equal(waiting.action, "none");
            assert.equal(await dbStatus(c, w), "available");
            // The same instance once its backup window has passed (moto's automated backup is in it): stop.
            const taken = contextFor(w, settingsAround(now, "dp-bk", { minutesAwake: 60, backup: "taken" }));
            const stopped = await watch({ kind: "watch", scheduledAt: now.toISOString() }, taken, c, now);
            assert.equal(stopped.action, "stop-db");
            assert.equal(await dbStatus(c, w), "stopped");
        });
    });

    describe("keep-awake and status", () => {
        let w: World;
        const now = new Date();
        before(async () => { w = await createWorld(c, "ka"); });

        it("an operator's wake sets keep-awake, which the watcher honours; status says so", async () => {
            const ctx = contextFor(w, settingsAround(now, "dp-ka", { minutesAwake: 600, backup: "taken" }));
            const out = await operatorWake(ctx, 2, "alice", c, now);
            assert.match(out.effects[0], /^keep-awake until /);
            assert.equal((await nodeGroup(c, w)).desiredSize, 4);
            const flag = await readKeepAwake(c.ssm, ctx.settings.keepAwakeParameter);
            assert.equal(flag?.by, "alice");
            assert.equal(Date.parse(flag!.until), now.getTime() + 2 * 3_600_000);
            // 10 hours after the wake: without keep-awake this would be a forced sleep.
            const check = await watch({ kind: "watch", scheduledAt: now.toISOString() }, ctx, c, now);
            assert.equal(check.action, "none");
            assert.match(check.reason, /keep-awake until/);
            const report = await status(ctx, c, now);
            assert.match(report.keepAwake, /^until /);
            assert.equal(report.nodes, "4 desired of 4 (ACTIVE)");
            assert.match(report.lastCheck, /none: keep-awake until/);
            // Expired (now + 3 h): the watcher forces sleep once the grace after the expiry is over.
            const later = new Date(now.getTime() + 3 * 3_600_000);
            const forced = await watch({ kind: "watch", scheduledAt: later.toISOString() }, ctx, c, later);
            assert.equal(forced.action, "forced-sleep");
            assert.equal((await nodeGroup(c, w)).desiredSize, 0);
            await keepAwake(ctx, 0, "alice", c, now);
            assert.equal(await readKeepAwake(c.ssm, ctx.settings.keepAwakeParameter), undefined);
        });
    });

    describe("one power invocation at a time, without reserved concurrency: the lease (DynamoDB conditional writes)", () => {
        let w: World;
        const now = new Date();
        // DynamoDB serialises writes to an item; moto's threaded server does not (tests/power-fixtures.ts).
        let serial: Awaited<ReturnType<typeof serialisingProxy>>;
        let c: Clients;
        before(async () => {
            w = await createWorld(motoClients(moto.endpoint), "lease");
            serial = await serialisingProxy(moto.endpoint);
            c = motoClients(serial.endpoint);
        });
        after(async () => serial?.close());

        it("of two takers at the same instant exactly one wins; the loser learns who holds it and until when", async () => {
            const results = await Promise.all(["a", "b", "c", "d"].map((h) => acquireLease(c.dynamodb, w.leaseTable, h, now, 60_000)));
            assert.equal(results.filter((r) => r.acquired).length, 1);
            const losers = results.filter((r) => !r.acquired) as { heldBy: string; until: string }[];
            assert.equal(losers.length, 3);
            const winner = ["a", "b", "c", "d"][results.findIndex((r) => r.acquired)];
            for (const l of losers) assert.deepEqual([l.heldBy, l.until], [winner, new Date(now.getTime() + 60_000).toISOString()]);
            // Only the holder gives it back.
            await releaseLease(c.dynamodb, w.leaseTable, winner === "a" ? "b" : "a");
            assert.equal((await acquireLease(c.dynamodb, w.leaseTable, "e", now, 60_000)).acquired, false);
            await releaseLease(c.dynamodb, w.leaseTable, winner);
            assert.equal((await acquireLease(c.dynamodb, w.leaseTable, "e", now, 60_000)).acquired, true);
            await releaseLease(c.dynamodb, w.leaseTable, "e");
        });

        it("a crashed holder's lease runs out: after its time, another takes it", async () => {
            assert.equal((await acquireLease(c.dynamodb, w.leaseTable, "crashed", now, 1_000)).acquired, true);
            assert.equal((await acquireLease(c.dynamodb, w.leaseTable, "next", new Date(now.getTime() + 500), 1_000)).acquired, false);
            assert.equal((await acquireLease(c.dynamodb, w.leaseTable, "next", new Date(now.getTime() + 1_500), 1_000)).acquired, true);
            await releaseLease(c.dynamodb, w.leaseTable, "next");
        });

        it("the work runs under the lease and gives it back, also when it throws", async () => {
            await assert.rejects(withLease(c.dynamodb, { table: w.leaseTable, holder: "thrower", ttlMs: 60_000 }, async () => { throw new Error("boom"); }), /boom/);
            const r = await withLease(c.dynamodb, { table: w.leaseTable, holder: "after", ttlMs: 60_000 }, async () => 42);
            assert.deepEqual(r, { ran: true, value: 42 });
        });

        it("two watches delivered at once: one decides and acts, the other does nothing (no double action)", async () => {
            const settings = settingsAround(now, "dp-lease", { minutesAwake: 60, backup: "taken" });
            const ctx = contextFor(w, settings);
            const [a, b] = await Promise.all([watch({ kind: "watch", scheduledAt: now.toISOString() }, ctx, c, now), watch({ kind: "watch", scheduledAt: now.toISOString() }, ctx, c, now)]);
            const ignored = [a, b].filter((o) => o.action === "ignore");
            assert.equal(ignored.length, 1, JSON.stringify([a, b]));
            assert.match(ignored[0].reason, /holds the lease until/);
        });

        it("a wake that finds the lease held waits for it, then wakes; one that never gets it fails (Scheduler retries)", async () => {
            const ctx = contextFor(w, settingsAround(now, "dp-lease", { minutesAwake: 60, backup: "taken" }));
            assert.equal((await acquireLease(c.dynamodb, w.leaseTable, "slow-watch", new Date(), 60_000)).acquired, true);
            setTimeout(() => void releaseLease(c.dynamodb, w.leaseTable, "slow-watch"), 1_500);
            const started = Date.now();
            const out = await wake({ kind: "wake", scheduledAt: now.toISOString() }, ctx, c, now);
            assert.ok(Date.now() - started >= 1_000, "it waited");
            assert.equal(out.action, "wake");
            assert.equal((await acquireLease(c.dynamodb, w.leaseTable, "stuck", new Date(), 60_000)).acquired, true);
            await assert.rejects(wake({ kind: "wake", scheduledAt: now.toISOString() }, { ...ctx, retry: { maxWaitMs: 500 } }, c, now), /the power lease is held by stuck/);
            await releaseLease(c.dynamodb, w.leaseTable, "stuck");
        });
    });

    describe("a metastore that takes time to stop and start (RDS's stopping and starting)", () => {
        let w: World;
        let proxy: Awaited<ReturnType<typeof rdsTimingProxy>>;
        let through: Clients;
        const now = new Date();
        const ctx = () => contextFor(w, settingsAround(now, "dp-slow", { minutesAwake: 60, backup: "taken" }), { retry: { retryDelayMs: 100, maxDelayMs: 400, maxWaitMs: 10_000 } });
        const status = async () => (await through.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: w.dbInstanceIdentifier }))).DBInstances![0].DBInstanceStatus;
        before(async () => {
            w = await createWorld(c, "slow");
            proxy = await rdsTimingProxy(moto.endpoint, { stopMs: 1_500, startMs: 1_000 });
            through = motoClients(proxy.endpoint);
        });
        after(async () => proxy?.close());
        // Each case starts from moto's settled state (no stop or start still "in progress").
        beforeEach(() => { proxy.stoppingUntil = 0; proxy.startingUntil = 0; proxy.modifyingUntil = 0; proxy.pending = {}; });

        it("a pulumi up that RDS deferred (modifications pending): the watcher applies them instead of stopping the metastore, and stops it once RDS has", async () => {
            // Asleep by day, the day's backup taken, the metastore up (woken for the change) with a change pending.
            await operatorSleep(ctx(), c, now);
            await startDb(c.rds, w.dbInstanceIdentifier);
            proxy.startingUntil = 0;
            proxy.pending = { DBInstanceClass: "db.t4g.small", AllocatedStorage: "30" };
            assert.deepEqual((await describeDb(through.rds, w.dbInstanceIdentifier)).pending, ["AllocatedStorage", "DBInstanceClass"], "the SDK reads RDS's PendingModifiedValues");
            proxy.actions.length = 0;
            const first = await watch({ kind: "watch", scheduledAt: now.toISOString() }, ctx(), through, now);
            assert.equal(first.action, "apply-db-changes");
            assert.deepEqual(first.effects, ["metastore's pending modifications applied"]);
            assert.ok(!proxy.actions.includes("StopDBInstance"), `no stop while changes were pending: ${proxy.actions.join(", ")}`);
            assert.equal(await status(), "modifying");
            // While RDS applies them: the watcher waits (a stop of a modifying instance is not even sent).
            const later = new Date(now.getTime() + 60_000);
            const second = await watch({ kind: "watch", scheduledAt: later.toISOString() }, ctx(), through, later);
            assert.deepEqual([second.action, second.effects], ["stop-db", []]);
            assert.ok(!proxy.actions.includes("StopDBInstance"));
            while ((await status()) === "modifying") await new Promise((r) => setTimeout(r, 100));
            const third = await watch({ kind: "watch", scheduledAt: later.toISOString() }, ctx(), through, later);
            assert.deepEqual([third.action, third.effects], ["stop-db", ["metastore stop requested"]]);
        });

        it("an idle sleep with changes pending: the nodes go to zero, the changes are applied, the metastore is not stopped", async () => {
            await scaleNodes(c.eks, { clusterName: w.clusterName, nodeGroupName: w.nodeGroupName }, 4);
            await startDb(c.rds, w.dbInstanceIdentifier);
            proxy.startingUntil = 0;
            proxy.pending = { EngineVersion: "17.7" };
            proxy.actions.length = 0;
            const out = await operatorSleep(ctx(), through, now);
            assert.deepEqual(out.effects, ["keep-awake cleared", "nodes scaled to 0", "metastore's pending modifications applied"]);
            assert.ok(!proxy.actions.includes("StopDBInstance"));
            assert.equal(await status(), "modifying");
        });

        it("the stand-in behaves as RDS: stopping for a while, a start refused meanwhile with InvalidDBInstanceStateFault", async () => {
            assert.equal(await stopDb(through.rds, w.dbInstanceIdentifier), true);
            assert.equal(await status(), "stopping");
            await assert.rejects(through.rds.send(new (require("@aws-sdk/client-rds").StartDBInstanceCommand)({ DBInstanceIdentifier: w.dbInstanceIdentifier })),
                (err: Error) => err.name === "InvalidDBInstanceStateFault");
            // Without waiting, a start of a stopping instance requests nothing (the watcher's next check does it).
            assert.equal(await startDb(through.rds, w.dbInstanceIdentifier), false);
            while ((await status()) === "stopping") await new Promise((r) => setTimeout(r, 100));
            assert.equal(await status(), "stopped");
        });

        it("a wake that finds the metastore still stopping waits for the stop, then starts it and restores the nodes", async () => {
            await startDb(c.rds, w.dbInstanceIdentifier);
            assert.equal(await stopDb(through.rds, w.dbInstanceIdentifier), true);
            assert.equal(await status(), "stopping");
            const refusedBefore = proxy.refusedStarts;
            const out = await wake({ kind: "wake", scheduledAt: now.toISOString() }, ctx(), through, now);
            assert.equal(out.action, "wake");
            assert.deepEqual(out.effects, ["metastore start requested", "nodes scaled to 4"]);
            assert.equal(proxy.refusedStarts, refusedBefore, "no start was sent while it was stopping");
            assert.equal(await status(), "starting");
            // A repeat while it starts: both are up (starting counts), nothing more to do.
            assert.equal((await wake({ kind: "wake", scheduledAt: now.toISOString() }, ctx(), through, now)).action, "none");
        });

        it("a wake whose stop outlasts its patience fails (Scheduler retries, the wake-errors alarm fires) instead of reporting a night that never came", async () => {
            await operatorSleep(ctx(), c, now);
            await startDb(c.rds, w.dbInstanceIdentifier);
            proxy.startingUntil = 0;
            proxy.timing.stopMs = 5_000;
            assert.equal(await stopDb(through.rds, w.dbInstanceIdentifier), true);
            const impatient = { ...ctx(), retry: { retryDelayMs: 50, maxDelayMs: 100, maxWaitMs: 300 } };
            await assert.rejects(wake({ kind: "wake", scheduledAt: now.toISOString() }, impatient, through, now), /still stopping/);
            proxy.timing.stopMs = 1_500;
            proxy.stoppingUntil = 0;
        });

        it("a watch with the nodes up and the metastore stopping asks for nothing yet; the next watch, after the stop, starts it", async () => {
            await scaleNodes(c.eks, { clusterName: w.clusterName, nodeGroupName: w.nodeGroupName }, 4);
            await startDb(c.rds, w.dbInstanceIdentifier);
            proxy.stoppingUntil = 0;
            assert.equal(await stopDb(through.rds, w.dbInstanceIdentifier), true);
            const first = await watch({ kind: "watch", scheduledAt: now.toISOString() }, ctx(), through, now);
            assert.equal(first.action, "start-db");
            assert.deepEqual(first.effects, []);
            while ((await status()) === "stopping") await new Promise((r) => setTimeout(r, 100));
            const second = await watch({ kind: "watch", scheduledAt: new Date(now.getTime() + 60_000).toISOString() }, ctx(), through, new Date(now.getTime() + 60_000));
            assert.equal(second.action, "start-db");
            assert.deepEqual(second.effects, ["metastore start requested"]);
            assert.equal(await status(), "starting");
        });
    });

    describe("changing nodeCount (a pulumi up changes only the scheduler's context; the node group follows at the next wake)", () => {
        let w: World;
        const now = new Date();
        const size = async () => (await c.eks.send(new DescribeNodegroupCommand({ clusterName: w.clusterName, nodegroupName: w.nodeGroupName }))).nodegroup!.scalingConfig!;
        before(async () => { w = await createWorld(c, "resize"); });

        it("what the old ignoreChanges [scalingConfig.desiredSize] made Pulumi send, EKS refuses: the stored desired 4 with the new max 3", () => {
            assert.match(String(eksScalingProblem({ desiredSize: 4, minSize: 0, maxSize: 3 })), /desiredSize 4 must lie between minSize 0 and maxSize 3/);
        });

        it("lowered 4 → 3 by day: the next wake sends desired 3, max 3; the sleep after keeps max 3; every configuration valid for EKS", async () => {
            const settings = settingsAround(now, "dp-resize", { minutesAwake: 60, backup: "taken" });
            await scaleNodes(c.eks, { clusterName: w.clusterName, nodeGroupName: w.nodeGroupName }, 4);
            await operatorSleep(contextFor(w, settings), c, now);
            assert.deepEqual(await size(), { desiredSize: 0, minSize: 0, maxSize: 4 });
            const three = contextFor(w, settings, { nodeCount: 3 });
            await operatorWake(three, 1, "test", c, now);
            assert.deepEqual(await size(), { desiredSize: 3, minSize: 0, maxSize: 3 });
            assert.equal(eksScalingProblem((await size()) as { desiredSize: number; minSize: number; maxSize: number }), undefined);
            await operatorSleep(three, c, now);
            assert.deepEqual(await size(), { desiredSize: 0, minSize: 0, maxSize: 3 });
        });

        it("raised 3 → 5 at night while asleep: nothing wakes (the node group is untouched) until the next wake, which sends 5", async () => {
            const settings = settingsAround(now, "dp-resize", { minutesAwake: 60, backup: "taken" });
            const five = contextFor(w, settings, { nodeCount: 5 });
            // The watcher's checks with the new context: asleep stays asleep.
            for (let i = 0; i < 2; i++) {
                const out = await watch({ kind: "watch", scheduledAt: now.toISOString() }, five, c, now);
                assert.ok(!out.effects.some((e) => /nodes scaled/.test(e)), out.effects.join(", "));
            }
            assert.deepEqual(await size(), { desiredSize: 0, minSize: 0, maxSize: 3 });
            const woke = await wake({ kind: "wake", scheduledAt: now.toISOString() }, five, c, now);
            assert.ok(woke.effects.includes("nodes scaled to 5"), woke.effects.join(", "));
            assert.deepEqual(await size(), { desiredSize: 5, minSize: 0, maxSize: 5 });
        });

        it("every size the scheduler can send is valid for EKS, from any configuration it may find", () => {
            for (const max of [1, 3, 4, 10]) for (const current of [0, 1, max]) for (const desired of [0, 1, 3, 4, 7]) {
                const sent = scalingFor({ desired: current, min: 0, max, status: "ACTIVE" }, desired);
                assert.equal(eksScalingProblem(sent), undefined, `${JSON.stringify({ current, max, desired })} → ${JSON.stringify(sent)}`);
                assert.equal(sent.desiredSize, desired);
            }
        });
    });

    describe("an update already in progress", () => {
        let w: World;
        let proxy: Awaited<ReturnType<typeof faultProxy>>;
        const now = new Date();
        before(async () => {
            w = await createWorld(c, "busy");
            proxy = await faultProxy(moto.endpoint);
        });
        after(async () => proxy?.close());

        it("a wake during a node-group update is refused with ResourceInUseException, waits, and succeeds after it ends", async () => {
            const through = motoClients(proxy.endpoint);
            proxy.busyUntil = Date.now() + 400;
            const ctx = contextFor(w, settingsAround(now, "dp-busy", { minutesAwake: 60, backup: "taken" }));
            const out = await wake({ kind: "wake", scheduledAt: now.toISOString() }, ctx, through, now);
            assert.equal(out.action, "wake");
            assert.ok(proxy.refused >= 2, `the proxy refused ${proxy.refused} updates`);
            assert.equal(proxy.forwardedUpdates, 1);
            assert.equal((await nodeGroup(c, w)).desiredSize, 4);
        });

        it("gives up with the error when the update outlasts the wait budget", async () => {
            const through = motoClients(proxy.endpoint);
            proxy.busyUntil = Date.now() + 60_000;
            const ref = { clusterName: w.clusterName, nodeGroupName: w.nodeGroupName };
            await assert.rejects(scaleNodes(through.eks, ref, 0, { retryDelayMs: 20, maxWaitMs: 100 }), (err: Error) => err.name === "ResourceInUseException");
            proxy.busyUntil = 0;
            assert.equal((await nodeGroup(c, w)).desiredSize, 4);
        });
    });

    describe("the morning report of a night whose wake failed", () => {
        let w: World;
        const bucket = "dp-report-task-logs";
        let topicArn: string;
        before(async () => {
            w = await createWorld(c, "report");
            await c.s3.send(new CreateBucketCommand({ Bucket: bucket }));
            topicArn = (await c.sns.send(new CreateTopicCommand({ Name: "dp-report-alarms" }))).TopicArn!;
        });
        // Five hours after the wake: past the four-hour deadline, Scheduler's retries spent.
        const now = new Date();
        const ctx = (nodeGroupName = w.nodeGroupName) => contextFor({ ...w, nodeGroupName }, settingsAround(now, "dp-report", { minutesAwake: 300, backup: "taken" }),
            { report: { bucket, topicArn, cost: { perAwakeHour: 0.1, fixedPerDay: 3 } } });

        it("the wake's failure is kept in the watcher's state; past the deadline the watcher sends that night's report once", async () => {
            await putParameter(c, ctx().settings.keepAwakeParameter, "none");
            await putParameter(c, ctx().settings.stateParameter, "{}");
            // The wake fails for real: EKS answers that the node group does not exist.
            const wakeAt = new Date(now.getTime() - 300 * 60_000);
            await assert.rejects(wake({ kind: "wake", scheduledAt: wakeAt.toISOString() }, ctx("no-such-nodes"), c, wakeAt), /ResourceNotFoundException|No node group found|not found/i);
            const stored = await readState(c.ssm, ctx().settings.stateParameter);
            assert.match(stored.lastWakeError?.error ?? "", /^wake: /);
            // The night goes by with the nodes at zero; the first watch past the deadline reports it.
            const out = await watch({ kind: "watch", scheduledAt: now.toISOString() }, ctx(), c, now);
            // The failed wake had started the metastore before the node group refused: it is stopped again.
            assert.equal(out.action, "stop-db");
            const reported = out.effects.find((e) => e.startsWith("morning report mailed and kept as s3://dp-report-task-logs/reports/"));
            assert.ok(reported, out.effects.join("; "));
            const [report] = await recentReports(c.s3, bucket, 1);
            assert.match(report.alerts[0], /^The wake failed: wake: /);
            assert.equal(report.cause, "deadline");
            assert.equal(report.databaseError, "not read: the platform did not wake, so nothing ran");
            // Once a night: the next watch sends nothing.
            const again = await watch({ kind: "watch", scheduledAt: new Date(now.getTime() + 60_000).toISOString() }, ctx(), c, new Date(now.getTime() + 60_000));
            assert.deepEqual(again.effects.filter((e) => e.startsWith("morning report")), []);
        });

        it("a wake that gets through clears the failure: the next night's report names none", async () => {
            const wakeAt = new Date(now.getTime() - 300 * 60_000);
            await wake({ kind: "wake", scheduledAt: wakeAt.toISOString() }, ctx(), c, wakeAt);
            assert.equal((await readState(c.ssm, ctx().settings.stateParameter)).lastWakeError, undefined);
        });
    });
});
