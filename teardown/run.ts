// The teardown's calls (`npm run teardown`; its steps and its verdict are teardown/steps.ts): wake the
// platform with the NightlyScheduler's own operator wake, have Pulumi delete the root Kustomization
// alone, wait for the load balancer controller's ALB to go, lift deletion protection, destroy the
// rest, and audit the account. Pulumi runs through an injected runner; the AWS clients are passed in.
// Every step is safe to repeat: a second run after a failure picks up where the first stopped.

import type { EC2Client } from "@aws-sdk/client-ec2";
import type { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import type { S3Client } from "@aws-sdk/client-s3";
import { audit, teardownSteps, LBC_CLUSTER_TAG, TEARDOWN_KEEP_AWAKE_HOURS, type Audit, type Found, type Step, type TeardownTarget } from "./steps";
import { operatorWake, type Clients, type PowerContext } from "../scheduler/handlers";
import { describeNodes } from "../scheduler/aws-eks";
import { describeDb, listSnapshots, startDb } from "../metastore/aws-rds";
import { waitUntil, type RetryOptions } from "../core/retry";

export interface TeardownClients extends Clients {
    readonly ec2: EC2Client;
    readonly elbv2: ElasticLoadBalancingV2Client;
    readonly s3: S3Client;
}

export function makeTeardownClients(base: Clients, region: string): TeardownClients {
    const { EC2Client } = require("@aws-sdk/client-ec2") as typeof import("@aws-sdk/client-ec2");
    const { ElasticLoadBalancingV2Client } = require("@aws-sdk/client-elastic-load-balancing-v2") as typeof import("@aws-sdk/client-elastic-load-balancing-v2");
    const { S3Client } = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
    return { ...base, ec2: new EC2Client({ region }), elbv2: new ElasticLoadBalancingV2Client({ region }), s3: new S3Client({ region }) };
}

/** Runs the Pulumi CLI with these arguments; `capture` returns its standard output instead of showing it. */
export type PulumiRunner = (args: readonly string[], options?: { capture?: boolean }) => Promise<{ code: number; stdout: string }>;

/** How long each wait may take, and how it paces itself (tests shorten them). */
export interface TeardownWaits {
    /** Metastore and nodes up after the wake: a stopped Multi-AZ instance can take many minutes to start. */
    readonly awake?: RetryOptions;
    /** The controller's ALB, target groups and security groups gone. */
    readonly loadBalancers?: RetryOptions;
    /** Deletion protection off (the metastore modifying, the cluster updating). */
    readonly protection?: RetryOptions;
}

export interface TeardownDeps {
    readonly clients: TeardownClients;
    readonly pulumi: PulumiRunner;
    readonly log: (line: string) => void;
    /** Who asks (the keep-awake flag records it). */
    readonly by: string;
    readonly now?: () => Date;
    readonly waits?: TeardownWaits;
}

export interface TeardownOptions {
    /** Pass --yes to Pulumi: no confirmation prompts. */
    readonly yes: boolean;
    /** Only print the steps this run would take. */
    readonly dryRun: boolean;
}

export interface TeardownResult {
    readonly steps: readonly Step[];
    /** Undefined on a dry run. */
    readonly audit?: Audit;
    /** Whether `pulumi destroy` itself succeeded. */
    readonly destroyed?: boolean;
}

const errName = (err: unknown) => (err as { name?: string }).name;

export async function clusterExists(c: TeardownClients, clusterName: string): Promise<boolean> {
    const { DescribeClusterCommand } = require("@aws-sdk/client-eks") as typeof import("@aws-sdk/client-eks");
    try {
        await c.eks.send(new DescribeClusterCommand({ name: clusterName }));
        return true;
    } catch (err) {
        if (errName(err) === "ResourceNotFoundException") return false;
        throw err;
    }
}

/** The load balancer controller's objects for this cluster, by its tag (it tags everything it creates). */
export async function controllerLeftovers(c: TeardownClients, clusterName: string): Promise<Pick<Found, "loadBalancers" | "targetGroups" | "securityGroups">> {
    const elb = require("@aws-sdk/client-elastic-load-balancing-v2") as typeof import("@aws-sdk/client-elastic-load-balancing-v2");
    const { DescribeSecurityGroupsCommand } = require("@aws-sdk/client-ec2") as typeof import("@aws-sdk/client-ec2");
    const tagged = async (arns: string[]): Promise<Set<string>> => {
        const out = new Set<string>();
        // DescribeTags takes at most 20 ARNs per call (ELBv2 API reference).
        for (let i = 0; i < arns.length; i += 20) {
            const r = await c.elbv2.send(new elb.DescribeTagsCommand({ ResourceArns: arns.slice(i, i + 20) }));
            for (const d of r.TagDescriptions ?? []) {
                if (d.Tags?.some((t) => t.Key === LBC_CLUSTER_TAG && t.Value === clusterName) && d.ResourceArn) out.add(d.ResourceArn);
            }
        }
        return out;
    };
    const lbs: { arn: string; name: string }[] = [];
    let marker: string | undefined;
    do {
        const r: import("@aws-sdk/client-elastic-load-balancing-v2").DescribeLoadBalancersCommandOutput = await c.elbv2.send(new elb.DescribeLoadBalancersCommand({ Marker: marker }));
        for (const lb of r.LoadBalancers ?? []) if (lb.LoadBalancerArn) lbs.push({ arn: lb.LoadBalancerArn, name: lb.LoadBalancerName ?? "" });
        marker = r.NextMarker;
    } while (marker);
    const tgs: { arn: string; name: string }[] = [];
    marker = undefined;
    do {
        const r: import("@aws-sdk/client-elastic-load-balancing-v2").DescribeTargetGroupsCommandOutput = await c.elbv2.send(new elb.DescribeTargetGroupsCommand({ Marker: marker }));
        for (const tg of r.TargetGroups ?? []) if (tg.TargetGroupArn) tgs.push({ arn: tg.TargetGroupArn, name: tg.TargetGroupName ?? "" });
        marker = r.NextMarker;
    } while (marker);
    const [lbTagged, tgTagged] = [await tagged(lbs.map((l) => l.arn)), await tagged(tgs.map((t) => t.arn))];
    const sgs = await c.ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: `tag:${LBC_CLUSTER_TAG}`, Values: [clusterName] }] }));
    return {
        loadBalancers: lbs.filter((l) => lbTagged.has(l.arn)),
        targetGroups: tgs.filter((t) => tgTagged.has(t.arn)),
        securityGroups: (sgs.SecurityGroups ?? []).map((g) => ({ id: g.GroupId ?? "", name: g.GroupName ?? "" })),
    };
}

/** Everything the audit looks at. */
export async function findLeftovers(c: TeardownClients, t: TeardownTarget): Promise<Found> {
    const ec2 = require("@aws-sdk/client-ec2") as typeof import("@aws-sdk/client-ec2");
    const { HeadBucketCommand } = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
    const controller = await controllerLeftovers(c, t.clusterName);
    let dbInstance: Found["dbInstance"];
    try {
        dbInstance = { status: (await describeDb(c.rds, t.dbInstanceIdentifier)).status };
    } catch (err) {
        if (errName(err) !== "DBInstanceNotFoundFault") throw err;
    }
    let vpcExists = true;
    try {
        await c.ec2.send(new ec2.DescribeVpcsCommand({ VpcIds: [t.vpcId] }));
    } catch (err) {
        if (!/NotFound/.test(errName(err) ?? "") && !/InvalidVpcID/.test(String((err as Error).message))) throw err;
        vpcExists = false;
    }
    const inVpc = [{ Name: "vpc-id", Values: [t.vpcId] }];
    // The VPC's default group goes with the VPC; any other group in it blocks the VPC's deletion.
    const vpcGroups = vpcExists ? (await c.ec2.send(new ec2.DescribeSecurityGroupsCommand({ Filters: inVpc }))).SecurityGroups ?? [] : [];
    const enis = vpcExists ? (await c.ec2.send(new ec2.DescribeNetworkInterfacesCommand({ Filters: inVpc }))).NetworkInterfaces ?? [] : [];
    const volumes = (await c.ec2.send(new ec2.DescribeVolumesCommand({ Filters: [{ Name: "tag-key", Values: [`kubernetes.io/cluster/${t.clusterName}`] }] }))).Volumes ?? [];
    const finalSnapshots = (await listSnapshots(c.rds, { type: "manual" }))
        .filter((s) => s.DBSnapshotIdentifier?.startsWith(`${t.dbInstanceIdentifier}-final-`))
        .map((s) => ({ id: s.DBSnapshotIdentifier!, status: s.Status ?? "unknown" }));
    let logBucketExists = true;
    try {
        await c.s3.send(new HeadBucketCommand({ Bucket: t.taskLogBucket }));
    } catch (err) {
        if (errName(err) !== "NotFound" && (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 404) throw err;
        logBucketExists = false;
    }
    const groups = new Map(controller.securityGroups.map((g) => [g.id, g]));
    for (const g of vpcGroups) if (g.GroupName !== "default" && g.GroupId) groups.set(g.GroupId, { id: g.GroupId, name: g.GroupName ?? "" });
    return {
        clusterExists: await clusterExists(c, t.clusterName),
        dbInstance,
        vpcExists,
        loadBalancers: controller.loadBalancers,
        targetGroups: controller.targetGroups,
        securityGroups: [...groups.values()],
        networkInterfaces: enis.map((e) => ({ id: e.NetworkInterfaceId ?? "", status: e.Status ?? "unknown" })),
        volumes: volumes.map((v) => ({ id: v.VolumeId ?? "", sizeGb: v.Size ?? 0 })),
        finalSnapshots,
        logBucketExists,
    };
}

/**
 * Deletion protection off on the metastore: ModifyDBInstance with ApplyImmediately (RDS modifies only
 * a running instance, so a stopped one is started first), then waited for. Returns whether it was on.
 */
export async function liftDbProtection(c: TeardownClients, identifier: string, wait: RetryOptions, log: (l: string) => void): Promise<boolean> {
    const { ModifyDBInstanceCommand } = require("@aws-sdk/client-rds") as typeof import("@aws-sdk/client-rds");
    if (!(await describeDb(c.rds, identifier)).deletionProtection) return false;
    if (await startDb(c.rds, identifier, { waitForStop: wait })) log(`  metastore ${identifier} started (RDS modifies only a running instance)`);
    const defaults = { retryDelayMs: 15_000, maxDelayMs: 60_000, maxWaitMs: 2_400_000 };
    await waitUntil(`metastore ${identifier}`, async () => {
        const { status } = await describeDb(c.rds, identifier);
        return status === "available" ? undefined : `metastore ${status}`;
    }, wait, defaults, log);
    await c.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: identifier, DeletionProtection: false, ApplyImmediately: true }));
    await waitUntil(`deletion protection of ${identifier}`, async () => {
        const db = await describeDb(c.rds, identifier);
        return !db.deletionProtection && db.status === "available" ? undefined : `metastore ${db.status}, deletion protection ${db.deletionProtection}`;
    }, wait, defaults, log);
    return true;
}

/** Deletion protection off on the cluster (UpdateClusterConfig; EKS accepts it only on an ACTIVE cluster). */
export async function liftClusterProtection(c: TeardownClients, clusterName: string, wait: RetryOptions, log: (l: string) => void): Promise<boolean> {
    const { DescribeClusterCommand, UpdateClusterConfigCommand } = require("@aws-sdk/client-eks") as typeof import("@aws-sdk/client-eks");
    const read = async () => (await c.eks.send(new DescribeClusterCommand({ name: clusterName }))).cluster!;
    if ((await read()).deletionProtection !== true) return false;
    const defaults = { retryDelayMs: 10_000, maxDelayMs: 30_000, maxWaitMs: 900_000 };
    await waitUntil(`cluster ${clusterName}`, async () => {
        const s = (await read()).status;
        return s === "ACTIVE" ? undefined : `cluster ${s}`;
    }, wait, defaults, log);
    await c.eks.send(new UpdateClusterConfigCommand({ name: clusterName, deletionProtection: false }));
    await waitUntil(`deletion protection of ${clusterName}`, async () => {
        const cl = await read();
        return cl.deletionProtection === false && cl.status === "ACTIVE" ? undefined : `cluster ${cl.status}, deletion protection ${cl.deletionProtection}`;
    }, wait, defaults, log);
    return true;
}

/** Whether the stack's state still holds this URN (`pulumi stack export`). */
export function stateHolds(exported: string, urn: string): boolean {
    const state = JSON.parse(exported) as { deployment?: { resources?: { urn?: string }[] } };
    return (state.deployment?.resources ?? []).some((r) => r.urn === urn);
}

/** The whole teardown; returns the audit (ok: nothing billable left). */
export async function teardown(t: TeardownTarget, power: PowerContext, deps: TeardownDeps, options: TeardownOptions): Promise<TeardownResult> {
    const { clients: c, log } = deps;
    const now = deps.now ?? (() => new Date());
    const waits = deps.waits ?? {};
    const yes = options.yes ? ["--yes"] : [];
    const steps = teardownSteps(t, { clusterExists: await clusterExists(c, t.clusterName) });
    if (options.dryRun) {
        log(`teardown of ${t.stack}, dry run: these steps, in order`);
        steps.forEach((s, i) => log(`${i + 1}. ${s.name}: ${s.what}\n   (${s.why})`));
        return { steps };
    }
    let destroyed: boolean | undefined;
    for (const step of steps) {
        log(`${step.name}: ${step.what}`);
        switch (step.name) {
            case "wake": {
                const out = await operatorWake(power, TEARDOWN_KEEP_AWAKE_HOURS, `teardown-${deps.by}`, c, now());
                for (const e of out.effects) log(`  ${e}`);
                await waitUntil("the wake", async () => {
                    const [nodes, db] = await Promise.all([describeNodes(c.eks, power), describeDb(c.rds, power.dbInstanceIdentifier)]);
                    const waiting = [
                        nodes.desired < power.nodeCount || nodes.status !== "ACTIVE" ? `nodes ${nodes.desired} of ${power.nodeCount} (${nodes.status})` : undefined,
                        // A metastore still starting (or stopping) cannot be modified or deleted: wait for it to settle.
                        db.status !== "available" ? `metastore ${db.status}` : undefined,
                    ].filter((w) => w !== undefined);
                    return waiting.length === 0 ? undefined : waiting.join(", ");
                }, waits.awake ?? {}, { retryDelayMs: 15_000, maxDelayMs: 60_000, maxWaitMs: 2_400_000 }, log);
                break;
            }
            case "remove-airflow": {
                const state = await deps.pulumi(["stack", "export", "--stack", t.stack], { capture: true });
                if (state.code !== 0) throw new Error(`pulumi stack export --stack ${t.stack} failed (exit ${state.code})`);
                if (!stateHolds(state.stdout, t.rootKustomizationUrn)) {
                    log("  the root Kustomization is no longer in the stack's state: already removed");
                    break;
                }
                const r = await deps.pulumi(["destroy", "--stack", t.stack, "--target", t.rootKustomizationUrn, ...yes]);
                if (r.code !== 0) {
                    throw new Error(`the root Kustomization's deletion failed (pulumi exit ${r.code}): see Pulumi's message above; \`flux get kustomizations\` and \`flux get helmreleases -n airflow\` show what Flux is waiting for. Run the teardown again once it is fixed`);
                }
                break;
            }
            case "wait-load-balancers":
                await waitUntil("the load balancer controller's cleanup", async () => {
                    const left = await controllerLeftovers(c, t.clusterName);
                    const names = [...left.loadBalancers.map((l) => `load balancer ${l.name}`), ...left.targetGroups.map((g) => `target group ${g.name}`), ...left.securityGroups.map((g) => `security group ${g.id}`)];
                    return names.length === 0 ? undefined : names.join(", ");
                }, waits.loadBalancers ?? {}, { retryDelayMs: 10_000, maxDelayMs: 30_000, maxWaitMs: 900_000 }, log);
                break;
            case "lift-protection": {
                const wait = waits.protection ?? {};
                try {
                    if (await liftDbProtection(c, t.dbInstanceIdentifier, wait, log)) log(`  metastore ${t.dbInstanceIdentifier}: deletion protection off`);
                } catch (err) {
                    if (errName(err) !== "DBInstanceNotFoundFault") throw err;
                }
                if (await clusterExists(c, t.clusterName) && await liftClusterProtection(c, t.clusterName, wait, log)) log(`  cluster ${t.clusterName}: deletion protection off`);
                break;
            }
            case "destroy": {
                const r = await deps.pulumi(["destroy", "--stack", t.stack, ...yes]);
                destroyed = r.code === 0;
                if (!destroyed) log(`  pulumi destroy failed (exit ${r.code}): the audit below lists what is left`);
                break;
            }
            case "audit": {
                const result = audit(t, await findLeftovers(c, t));
                log(result.text);
                return { steps, audit: result, destroyed };
            }
        }
    }
    throw new Error("the teardown's steps end with the audit");
}
