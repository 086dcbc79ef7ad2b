// `npm run teardown`: its steps against moto, day and night, with what AWS refuses (a protected
// metastore or cluster is not deleted), states that take time (a metastore still stopping, a cluster
// updating, the controller's target group and security group going after its ALB) and a run repeated
// after a failure or a success; its audit of what is left; its arguments.
//
// What stands in for what (and cannot be proved here): no Kubernetes API server or Pulumi CLI exists on
// this machine, so a recorded stand-in plays `pulumi` and, through it, the cluster. On the targeted
// destroy of the root Kustomization it does, in moto, what Flux and the load balancer controller do
// (teardown/destroy-order.test.ts proves Pulumi's side of that order on the real graph; the Flux objects'
// deletionPolicy is validated against Flux 2.8's CRDs): the ALB goes, its target group and security
// group a moment later; on the full destroy it makes the deletes Pulumi's provider makes, and moto (or,
// for EKS's deletion protection, which moto does not model, a stand-in that answers as the EKS API
// reference and user guide document) refuses what AWS would.

import { strict as assert } from "assert";
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CreateSecurityGroupCommand, CreateSubnetCommand, CreateVpcCommand, CreateNetworkInterfaceCommand, DeleteSecurityGroupCommand, DeleteSubnetCommand, DeleteVpcCommand, DescribeSecurityGroupsCommand, DescribeSubnetsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { DeleteClusterCommand, DeleteNodegroupCommand, DescribeNodegroupCommand } from "@aws-sdk/client-eks";
import { CreateLoadBalancerCommand, CreateTargetGroupCommand, DeleteLoadBalancerCommand, DeleteTargetGroupCommand, ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { DeleteDBInstanceCommand, DescribeDBInstancesCommand, ModifyDBInstanceCommand, StopDBInstanceCommand } from "@aws-sdk/client-rds";
import { CreateBucketCommand, DeleteBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { watch, type PowerContext } from "../scheduler/handlers";
import { teardown, type PulumiRunner, type TeardownClients, type TeardownWaits } from "./run";
import { audit, teardownSteps, LBC_CLUSTER_TAG, type Found, type TeardownTarget } from "./steps";
import { parseTeardownArgs, resolveTeardownContext } from "./cli";
import { readKeepAwake } from "../scheduler/aws-ssm";
import { contextFor, CREDENTIALS, createWorld, forward, motoClients, putParameter, rdsTimingProxy, REGION, settingsAround, standIn, type World } from "../tests/power-fixtures";
import { startMoto, type Moto } from "../tests/services";

const ROOT = path.resolve(__dirname, "..");
const FAST = { retryDelayMs: 50, maxDelayMs: 200, maxWaitMs: 15_000 };

/**
 * EKS's deletion protection, which moto 5 does not model (its UpdateClusterConfig ignores the field and
 * its DescribeCluster has none): DescribeCluster answers carry `deletionProtection`; an
 * UpdateClusterConfig that sets it is accepted only on an ACTIVE cluster and leaves it UPDATING for
 * `updateMs`; a DeleteCluster of an ACTIVE protected cluster is refused with InvalidRequestException
 * (EKS User Guide, "Protect EKS clusters from accidental deletion"). Everything else is moto's.
 */
async function eksProtection(target: string, updateMs: number) {
    const state = { protected: new Set<string>(), updatingUntil: new Map<string, number>(), refusedDeletes: 0 };
    const status = (name: string) => ((state.updatingUntil.get(name) ?? 0) > Date.now() ? "UPDATING" : "ACTIVE");
    const error = (code: number, type: string, message: string) => ({ status: code, headers: { "content-type": "application/json", "x-amzn-errortype": type }, body: Buffer.from(JSON.stringify({ message })) });
    const server = await standIn(async (req, body) => {
        const m = /^\/clusters\/([^/?]+)(?:\/update-config)?(?:\?.*)?$/.exec(req.url ?? "");
        const name = m ? decodeURIComponent(m[1]) : undefined;
        const isUpdate = /\/update-config/.test(req.url ?? "");
        if (name && isUpdate && req.method === "POST") {
            const asked = JSON.parse(body.toString("utf8") || "{}") as { deletionProtection?: boolean };
            if (asked.deletionProtection !== undefined) {
                if (status(name) !== "ACTIVE") return error(409, "ResourceInUseException", "An update is already in progress");
                if (asked.deletionProtection) state.protected.add(name);
                else state.protected.delete(name);
                state.updatingUntil.set(name, Date.now() + updateMs);
            }
        }
        if (name && !isUpdate && req.method === "DELETE" && state.protected.has(name) && status(name) === "ACTIVE") {
            state.refusedDeletes += 1;
            return error(400, "InvalidRequestException", `Cluster ${name} has deletion protection enabled; disable it before deleting the cluster`);
        }
        const r = await forward(target, req, body);
        if (name && req.method === "GET" && r.status === 200) {
            const out = JSON.parse(r.body.toString("utf8")) as { cluster: Record<string, unknown> };
            out.cluster.deletionProtection = state.protected.has(name);
            out.cluster.status = status(name);
            return { ...r, body: Buffer.from(JSON.stringify(out)) };
        }
        return r;
    });
    return Object.assign(state, server);
}

interface Scene {
    readonly moto: Moto;
    readonly rds: Awaited<ReturnType<typeof rdsTimingProxy>>;
    readonly eks: Awaited<ReturnType<typeof eksProtection>>;
    readonly c: TeardownClients;
    readonly w: World;
    readonly target: TeardownTarget;
    readonly power: PowerContext;
    readonly lb: { arn: string; tg: string; sg: string };
    close(): Promise<void>;
}

const ROOT_URN = "urn:pulumi:test::data-platform::data-platform:index:AirflowCluster$kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization::dp-test-cluster-gitops-root";

/** A deployed stack in moto, asleep (nodes 0, metastore stopped and still stopping) or awake. */
async function scene(id: string, options: { keepData: boolean; asleep: boolean }): Promise<Scene> {
    const moto = await startMoto();
    const rds = await rdsTimingProxy(moto.endpoint, { stopMs: 1_500, startMs: 400 });
    const eks = await eksProtection(rds.endpoint, 300);
    const config = { endpoint: eks.endpoint, region: REGION, credentials: CREDENTIALS };
    const base = motoClients(eks.endpoint);
    const c: TeardownClients = { ...base, ec2: new EC2Client(config), elbv2: new ElasticLoadBalancingV2Client(config), s3: new S3Client({ ...config, forcePathStyle: true }) };
    const w = await createWorld(c, id);
    const power: PowerContext = { ...contextFor(w, settingsAround(new Date(), `dp-${id}`, { minutesAwake: 600, backup: "taken" })), stack: "test", region: REGION };
    await putParameter(c, power.settings.keepAwakeParameter, "none");
    await putParameter(c, power.settings.stateParameter, "{}");
    // The network, the ALB the controller made for the UI's Ingress, with its target group and a security group, all tagged by it.
    const vpc = (await c.ec2.send(new CreateVpcCommand({ CidrBlock: "10.40.0.0/16" }))).Vpc!.VpcId!;
    const subnets = await Promise.all(["a", "b"].map(async (az, i) => (await c.ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: `10.40.${i}.0/24`, AvailabilityZone: `${REGION}${az}` }))).Subnet!.SubnetId!));
    const tags = [{ Key: LBC_CLUSTER_TAG, Value: w.clusterName }, { Key: "ingress.k8s.aws/stack", Value: "airflow/airflow-api-server" }];
    const sg = (await c.ec2.send(new CreateSecurityGroupCommand({ GroupName: "k8s-airflow-apiserver", Description: "[k8s] Managed SecurityGroup for LoadBalancer", VpcId: vpc, TagSpecifications: [{ ResourceType: "security-group", Tags: tags }] }))).GroupId!;
    await c.ec2.send(new CreateSecurityGroupCommand({ GroupName: `dp-${id}-ui-alb`, Description: "Pulumi's UI security group", VpcId: vpc }));
    const lbArn = (await c.elbv2.send(new CreateLoadBalancerCommand({ Name: `k8s-airflow-${id}`, Subnets: subnets, SecurityGroups: [sg], Tags: tags }))).LoadBalancers![0].LoadBalancerArn!;
    const tgArn = (await c.elbv2.send(new CreateTargetGroupCommand({ Name: `k8s-airflow-api-${id}`, Protocol: "HTTP", Port: 8080, VpcId: vpc, TargetType: "ip", Tags: tags }))).TargetGroups![0].TargetGroupArn!;
    const bucket = `dp-${id}-task-logs`;
    await c.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    if (options.keepData) {
        await c.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: w.dbInstanceIdentifier, DeletionProtection: true, ApplyImmediately: true }));
        eks.protected.add(w.clusterName);
    }
    if (options.asleep) await c.rds.send(new StopDBInstanceCommand({ DBInstanceIdentifier: w.dbInstanceIdentifier }));
    const target: TeardownTarget = {
        stack: "test", region: REGION, clusterName: w.clusterName, vpcId: vpc, dbInstanceIdentifier: w.dbInstanceIdentifier,
        taskLogBucket: bucket, keepDataOnDestroy: options.keepData, rootKustomizationUrn: ROOT_URN,
    };
    return {
        moto, rds, eks, c, w, target, power, lb: { arn: lbArn, tg: tgArn, sg },
        close: async () => { await eks.close(); await rds.close(); await moto.stop(); },
    };
}

interface Call {
    readonly args: readonly string[];
    readonly nodes?: number;
    readonly db?: string;
    readonly dbProtected?: boolean;
    readonly clusterProtected?: boolean;
}

/**
 * The recorded stand-in for `pulumi` (see the top of the file): what a real run would leave in the
 * account, made in moto. `controller: false` plays a controller that never deletes the ALB;
 * `leaveEni` a destroy that fails on a network interface the VPC CNI left in a subnet.
 */
function pulumiStandIn(s: Scene, options: { controller?: boolean; leaveEni?: boolean } = {}) {
    const calls: Call[] = [];
    const state = new Set([s.target.rootKustomizationUrn, "urn:pulumi:test::data-platform::pulumi:pulumi:Stack::data-platform-test"]);
    const watches: string[] = [];
    const c = s.c;
    const snapshot = async (args: readonly string[]): Promise<Call> => {
        const ng = await c.eks.send(new DescribeNodegroupCommand({ clusterName: s.w.clusterName, nodegroupName: s.w.nodeGroupName })).catch(() => undefined);
        const db = await c.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: s.w.dbInstanceIdentifier })).catch(() => undefined);
        return { args, nodes: ng?.nodegroup?.scalingConfig?.desiredSize, db: db?.DBInstances?.[0].DBInstanceStatus, dbProtected: db?.DBInstances?.[0].DeletionProtection, clusterProtected: s.eks.protected.has(s.w.clusterName) };
    };
    const run: PulumiRunner = async (args) => {
        calls.push(await snapshot(args));
        if (args[0] === "stack" && args[1] === "export") {
            return { code: 0, stdout: JSON.stringify({ version: 3, deployment: { resources: [...state].map((urn) => ({ urn })) } }) };
        }
        if (args[0] !== "destroy") throw new Error(`unexpected pulumi ${args.join(" ")}`);
        const targeted = args.indexOf("--target");
        if (targeted >= 0) {
            assert.equal(args[targeted + 1], s.target.rootKustomizationUrn);
            // A watch fires while Flux is removing Airflow: it must leave the platform awake.
            watches.push((await watch({ kind: "watch", scheduledAt: new Date().toISOString() }, s.power, c)).action);
            state.delete(s.target.rootKustomizationUrn);
            if (options.controller !== false) {
                // The controller deletes the ALB (the Ingress's finalizer clears, so Pulumi returns), then its target group and security group.
                await c.elbv2.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: s.lb.arn }));
                setTimeout(() => {
                    void c.elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: s.lb.tg })).then(() => c.ec2.send(new DeleteSecurityGroupCommand({ GroupId: s.lb.sg })));
                }, 400);
            }
            return { code: 0, stdout: "" };
        }
        // The full destroy: Pulumi's provider deletes the metastore (a final snapshot where kept), the
        // nodes and the cluster, the network, the bucket where not kept. AWS refuses a protected one.
        try {
            await c.rds.send(new DeleteDBInstanceCommand(s.target.keepDataOnDestroy
                ? { DBInstanceIdentifier: s.w.dbInstanceIdentifier, FinalDBSnapshotIdentifier: `${s.w.dbInstanceIdentifier}-final-1a2b3c4d` }
                : { DBInstanceIdentifier: s.w.dbInstanceIdentifier, SkipFinalSnapshot: true }));
            await c.eks.send(new DeleteNodegroupCommand({ clusterName: s.w.clusterName, nodegroupName: s.w.nodeGroupName }));
            await c.eks.send(new DeleteClusterCommand({ name: s.w.clusterName }));
        } catch (err) {
            return { code: 255, stdout: `error: ${(err as Error).message}` };
        }
        const subnets = (await c.ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: "vpc-id", Values: [s.target.vpcId] }] }))).Subnets ?? [];
        if (options.leaveEni) {
            await c.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnets[0].SubnetId!, Description: "aws-K8S-i-0123456789abcdef0" }));
            return { code: 255, stdout: "error: deleting subnet: DependencyViolation" };
        }
        for (const g of (await c.ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: "vpc-id", Values: [s.target.vpcId] }] }))).SecurityGroups ?? []) {
            if (g.GroupName !== "default") await c.ec2.send(new DeleteSecurityGroupCommand({ GroupId: g.GroupId! }));
        }
        for (const sn of subnets) await c.ec2.send(new DeleteSubnetCommand({ SubnetId: sn.SubnetId! }));
        await c.ec2.send(new DeleteVpcCommand({ VpcId: s.target.vpcId }));
        if (!s.target.keepDataOnDestroy) await c.s3.send(new DeleteBucketCommand({ Bucket: s.target.taskLogBucket }));
        return { code: 0, stdout: "" };
    };
    return { run, calls, state, watches };
}

const quiet = () => {
    const lines: string[] = [];
    return { lines, log: (l: string) => { lines.push(l); } };
};

/** The teardown on a scene, with the waits shortened; --yes, no dry run and alice unless told otherwise. */
const runTeardown = (s: Scene, pulumi: PulumiRunner, o: { log?: (l: string) => void; by?: string; yes?: boolean; dryRun?: boolean; waits?: TeardownWaits } = {}) =>
    teardown(s.target, s.power, { clients: s.c, pulumi, log: o.log ?? quiet().log, by: o.by ?? "alice", waits: o.waits ?? { awake: FAST, loadBalancers: FAST, protection: FAST } },
        { yes: o.yes ?? true, dryRun: o.dryRun ?? false });

/** A scene for one test, always closed. */
async function withScene(id: string, options: { keepData: boolean; asleep: boolean }, body: (s: Scene) => Promise<void>): Promise<void> {
    const s = await scene(id, options);
    try {
        await body(s);
    } finally {
        await s.close();
    }
}

describe("npm run teardown: against moto", function () {
    this.timeout(120_000);

    it("prod at night (nodes at zero, the metastore still stopping, both protected): wakes, removes Airflow, waits for the ALB's target group and security group, lifts protection, destroys; keeps the final snapshot and the log bucket", async () => {
        await withScene("night", { keepData: true, asleep: true }, async (s) => {
            const p = pulumiStandIn(s);
            const out = quiet();
            const result = await runTeardown(s, p.run, { log: out.log });
            assert.deepEqual(result.steps.map((x) => x.name), ["wake", "remove-airflow", "wait-load-balancers", "lift-protection", "destroy", "audit"]);
            assert.deepEqual(p.calls.map((x) => x.args.join(" ")), [
                "stack export --stack test",
                `destroy --stack test --target ${ROOT_URN} --yes`,
                "destroy --stack test --yes",
            ]);
            // The root's deletion ran with the platform awake and its data still protected.
            const [, root, destroy] = p.calls;
            assert.deepEqual([root.nodes, root.db, root.dbProtected, root.clusterProtected], [4, "available", true, true]);
            // The metastore could not be started while it was stopping: the wake waited it out.
            assert.ok(s.rds.refusedStarts === 0 && s.rds.actions.includes("StartDBInstance"));
            assert.deepEqual(p.watches, ["none"], "the watch during the teardown left the platform awake");
            assert.equal((await readKeepAwake(s.c.ssm, s.power.settings.keepAwakeParameter))?.by, "teardown-alice");
            // The full destroy only once the controller's objects were gone and protection was off.
            assert.deepEqual([destroy.dbProtected, destroy.clusterProtected], [false, false]);
            assert.ok(out.lines.some((l) => /waiting: target group k8s-airflow-api-night/.test(l)), out.lines.join("\n"));
            assert.equal(result.destroyed, true);
            assert.equal(result.audit!.ok, true, result.audit!.text);
            assert.deepEqual(result.audit!.kept.map((k) => k.kind), ["final snapshot", "task-log bucket"]);
            assert.match(result.audit!.text, /nothing billable is left of test/);
            assert.match(result.audit!.text, /final snapshot dp-night-metastore-final-1a2b3c4d/);
            assert.equal(s.eks.refusedDeletes, 0);

            // Run again: nothing left to wake or remove; the metastore is gone, so nothing to unprotect.
            const again = pulumiStandIn(s);
            const second = await runTeardown(s, again.run);
            assert.deepEqual(second.steps.map((x) => x.name), ["lift-protection", "destroy", "audit"]);
            assert.equal(second.audit!.ok, true, second.audit!.text);
        });
    });

    it("staging by day (awake, nothing protected): no protection to lift; the log bucket goes, nothing is kept", async () => {
        await withScene("day", { keepData: false, asleep: false }, async (s) => {
            const p = pulumiStandIn(s);
            const result = await runTeardown(s, p.run, { by: "bob", yes: false });
            assert.deepEqual(result.steps.map((x) => x.name), ["wake", "remove-airflow", "wait-load-balancers", "destroy", "audit"]);
            // Without --yes, Pulumi asks before each destroy.
            assert.ok(p.calls.filter((x) => x.args[0] === "destroy").every((x) => !x.args.includes("--yes")));
            assert.equal(result.audit!.ok, true, result.audit!.text);
            assert.deepEqual(result.audit!.kept, []);
        });
    });

    it("a controller that never deletes the ALB: the teardown stops before the full destroy, naming what is left; without the wait, a protected metastore would not have been deleted either", async () => {
        await withScene("stuck", { keepData: true, asleep: false }, async (s) => {
            const p = pulumiStandIn(s, { controller: false });
            const out = quiet();
            await assert.rejects(
                runTeardown(s, p.run, { log: out.log, waits: { awake: FAST, loadBalancers: { ...FAST, maxWaitMs: 1_000 }, protection: FAST } }),
                /the load balancer controller's cleanup: still load balancer k8s-airflow-stuck, target group k8s-airflow-api-stuck, security group sg-/);
            assert.equal(p.calls.filter((x) => x.args[0] === "destroy").length, 1, "only the targeted destroy ran");
            // Nothing was unprotected: the stack is as safe as before, and a second run resumes.
            const db = (await s.c.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: s.w.dbInstanceIdentifier }))).DBInstances![0];
            assert.equal(db.DeletionProtection, true);
            // What moto (AWS) does to a destroy that skips the lift: the protected metastore is refused.
            await assert.rejects(s.c.rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: s.w.dbInstanceIdentifier, SkipFinalSnapshot: true })), /deletion protection/);
        });
    });

    it("a destroy that fails on a network interface left in a subnet: the audit lists it, with the command to remove it, and the VPC; exit not ok", async () => {
        await withScene("eni", { keepData: false, asleep: false }, async (s) => {
            const p = pulumiStandIn(s, { leaveEni: true });
            const result = await runTeardown(s, p.run);
            assert.equal(result.destroyed, false);
            assert.equal(result.audit!.ok, false);
            const kinds = result.audit!.billable.map((b) => b.kind);
            assert.ok(kinds.includes("network interface") && kinds.includes("VPC") && kinds.includes("security group"), kinds.join(", "));
            assert.match(result.audit!.text, /aws ec2 delete-network-interface --region us-east-1 --network-interface-id eni-/);
            // The destroy stopped before the bucket: keepDataOnDestroy is false, so it is listed as billable too.
            assert.ok(kinds.includes("task-log bucket"), kinds.join(", "));
            assert.deepEqual(result.audit!.kept, []);
        });
    });

    it("a dry run changes nothing: no wake, no pulumi", async () => {
        await withScene("dry", { keepData: true, asleep: true }, async (s) => {
            const p = pulumiStandIn(s);
            const out = quiet();
            const result = await runTeardown(s, p.run, { log: out.log, dryRun: true });
            assert.equal(result.audit, undefined);
            assert.deepEqual(p.calls, []);
            const ng = await s.c.eks.send(new DescribeNodegroupCommand({ clusterName: s.w.clusterName, nodegroupName: s.w.nodeGroupName }));
            assert.equal(ng.nodegroup!.scalingConfig!.desiredSize, 0);
            assert.match(out.lines.join("\n"), /1\. wake:[\s\S]*6\. audit:/);
        });
    });
});

describe("teardown: the audit's verdict", () => {
    const t: TeardownTarget = { stack: "prod", region: "us-east-1", clusterName: "c", vpcId: "vpc-1", dbInstanceIdentifier: "db", taskLogBucket: "logs", keepDataOnDestroy: true, rootKustomizationUrn: "urn" };
    const none: Found = { clusterExists: false, vpcExists: false, loadBalancers: [], targetGroups: [], securityGroups: [], networkInterfaces: [], volumes: [], finalSnapshots: [], logBucketExists: false };
    it("keepDataOnDestroy without a final snapshot is a loss, said as one", () => {
        const a = audit(t, none);
        assert.equal(a.ok, false);
        assert.match(a.text, /no final snapshot exists: the metastore's data is gone/);
    });
    it("a final snapshot or log bucket where the stack keeps nothing is billable, not kept", () => {
        const a = audit({ ...t, keepDataOnDestroy: false }, { ...none, finalSnapshots: [{ id: "db-final-1", status: "available" }], logBucketExists: true });
        assert.deepEqual(a.billable.map((b) => b.kind), ["final snapshot", "task-log bucket"]);
        assert.deepEqual(a.kept, []);
    });
    it("an EBS volume a pod claimed is found by the cluster's tag and billed", () => {
        const a = audit({ ...t, keepDataOnDestroy: false }, { ...none, volumes: [{ id: "vol-1", sizeGb: 8 }] });
        assert.match(a.text, /EBS volume vol-1 \(8 GB\)[\s\S]*aws ec2 delete-volume --region us-east-1 --volume-id vol-1/);
    });
    it("with the cluster gone, only what is left to destroy is planned", () => {
        assert.deepEqual(teardownSteps({ ...t, keepDataOnDestroy: false }, { clusterExists: false }).map((s) => s.name), ["destroy", "audit"]);
    });
});

describe("npm run teardown: arguments and the stack's names", () => {
    it("parses its options and refuses what it does not know, before anything runs", () => {
        assert.deepEqual(parseTeardownArgs(["--stack", "prod", "--yes"], { USER: "alice" }), { stack: "prod", contextFile: undefined, yes: true, dryRun: false, by: "alice" });
        assert.equal(parseTeardownArgs(["--help"]), "help");
        assert.match(String(parseTeardownArgs(["--stack", "prod", "--force"])), /unknown option --force/);
        assert.match(String(parseTeardownArgs(["--yes"])), /--stack <name> is required/);
        assert.match(String(parseTeardownArgs(["--stack"])), /--stack needs a value/);
        assert.match(String(parseTeardownArgs(["--stack", "prod", "now"])), /no positional argument/);
        assert.match(String(parseTeardownArgs(["--stack", "prod", "--yes=no"])), /--yes takes no value/);
    });

    it("reads the stack output teardownContext, and refuses another stack's or an incomplete one", () => {
        const power = { stack: "prod", clusterName: "c", nodeGroupName: "n", dbInstanceIdentifier: "d", settings: {} };
        const ctx = { stack: "prod", region: "us-east-1", clusterName: "c", vpcId: "v", dbInstanceIdentifier: "d", taskLogBucket: "b", keepDataOnDestroy: true, rootKustomizationUrn: "u", power };
        const calls: string[][] = [];
        const got = resolveTeardownContext({ stack: "prod" }, (file, args) => { calls.push([file, ...args]); return JSON.stringify(JSON.stringify(ctx)); });
        assert.deepEqual(calls, [["pulumi", "stack", "output", "teardownContext", "--json", "--stack", "prod"]]);
        assert.equal(got.power.clusterName, "c");
        assert.throws(() => resolveTeardownContext({ stack: "staging" }, () => JSON.stringify(ctx)), /for stack prod, not staging/);
        assert.throws(() => resolveTeardownContext({ stack: "prod" }, () => JSON.stringify({ ...ctx, vpcId: undefined })), /has no vpcId/);
        assert.throws(() => resolveTeardownContext({ stack: "prod" }, () => JSON.stringify({ ...ctx, power: { ...power, stack: "staging" } })), /power context is for stack staging/);
    });

    it("through npm: --help answers, an unknown option is refused with exit 2, and neither touches AWS or Pulumi", async function () {
        this.timeout(60_000);
        const npm = (argv: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => execFile("npm", ["run", "--silent", "teardown", "--", ...argv], {
            cwd: ROOT, timeout: 30_000, env: { ...process.env, PATH: `${fs.mkdtempSync(path.join(os.tmpdir(), "no-pulumi-"))}:${process.env.PATH}`, AWS_ENDPOINT_URL: "http://127.0.0.1:9" },
        }, (err, stdout, stderr) => resolve({ code: (err as { code?: number } | null)?.code ?? 0, stdout, stderr })));
        const help = await npm(["--help"]);
        assert.equal(help.code, 0, help.stderr);
        assert.match(help.stdout, /usage: npm run teardown -- --stack <name>[\s\S]*--dry-run[\s\S]*--help +this text/);
        const bad = await npm(["--stack", "prod", "--force"]);
        assert.equal(bad.code, 2);
        assert.match(bad.stderr, /unknown option --force\nusage: npm run teardown/);
    });
});
