// The monthly cost of a Pulumi resource graph: what `pulumi up` would bill in us-east-1, read from the
// registered resources and their inputs (types, counts, Multi-AZ, sizes, NAT layout), never from a
// second copy of the config. Pure: prices come in as data (data/prices.us-east-1.json), and every
// usage figure the graph cannot know (GB of logs, LCUs, requests) is a stated, overridable assumption.
// A type it does not know is listed as "not priced", never dropped; free types are listed as free.

import * as fs from "fs";
import * as path from "path";
import { asArray } from "../core/policies";

/** A resource as the offline harness records it (offline/mocks.ts RecordedResource fits this shape). */
export interface GraphResource {
    readonly type: string;
    readonly name: string;
    readonly inputs: Record<string, any>;
    /** A cloud object (custom resource) rather than a component. */
    readonly custom: boolean;
    /** Physical id, used to follow references between resources (a node group to its launch template). */
    readonly id?: string;
    /** Inputs plus what the provider computed (names, ARNs); references are matched against these. */
    readonly state?: Record<string, any>;
}

export interface PriceEntry {
    readonly usd: number;
    readonly unit: string;
    readonly date: string;
    readonly sources: readonly string[];
    /** "allowance" (a free quantity) or "factor" (a ratio); absent for a price. */
    readonly kind?: "allowance" | "factor";
    readonly note?: string;
    readonly query?: Record<string, unknown>;
}

export interface PriceFile {
    readonly region: string;
    readonly currency: string;
    readonly hoursPerMonth: number;
    readonly sources: Readonly<Record<string, string>>;
    readonly prices: Readonly<Record<string, PriceEntry>>;
}

export const PRICE_FILE = path.join(__dirname, "..", "data", "prices.us-east-1.json");

/** The price-file keys of the instance choices the config offers: what an accepted value must have. */
export const PRICE_KEYS = {
    ec2: (type: string) => `ec2.${type}`,
    rds: (instanceClass: string, multiAz: boolean) => `rds.postgres.${instanceClass}.${multiAz ? "multi-az" : "single-az"}`,
    openSearch: (type: string) => `opensearch.${type}`,
} as const;

/** Reads and checks the price file: every entry has a number, a unit, a date and known sources. */
export function readPriceFile(file: string = PRICE_FILE): PriceFile {
    const data = JSON.parse(fs.readFileSync(file, "utf8")) as PriceFile;
    const problems: string[] = [];
    for (const [key, p] of Object.entries(data.prices ?? {})) {
        if (typeof p.usd !== "number" || !Number.isFinite(p.usd) || p.usd < 0) problems.push(`${key}: usd must be a non-negative number`);
        if (!p.unit) problems.push(`${key}: no unit`);
        if (!/^\d{4}-\d{2}-\d{2}$/.test(p.date ?? "")) problems.push(`${key}: date must be YYYY-MM-DD`);
        if (!Array.isArray(p.sources) || p.sources.length === 0) problems.push(`${key}: no source`);
        for (const s of p.sources ?? []) if (!data.sources?.[s]) problems.push(`${key}: unknown source ${s}`);
    }
    if (problems.length > 0) throw new Error(`price file ${file} is invalid:\n  - ${problems.join("\n  - ")}`);
    return data;
}

/** Usage the graph cannot tell. Only awakeHoursPerDay is required; the rest have stated defaults. */
export interface CostAssumptions {
    /** Hours a day the platform is awake (nodes up, database started): the scheduler's setting. */
    readonly awakeHoursPerDay: number;
    /** GB a month through NAT (spread over the gateways). Image layers come from S3 through the free gateway endpoint. */
    readonly natGbPerMonth?: number;
    /** Average load balancer capacity units an hour: a UI used by a few people is well under one. */
    readonly albLcuPerHour?: number;
    /**
     * GB a day of EKS control-plane logs, per log type. They run all day, asleep or awake: the control
     * plane never sleeps. The audit log is the largest (it records every request, the controllers' own
     * included); the split is an assumption to correct with the log group's IncomingBytes.
     */
    readonly eksControlPlaneLogGbPerDay?: Readonly<Record<string, number>>;
    /** GB a month written to each other log group (database, functions). */
    readonly logGbPerMonthPerGroup?: number;
    /** GB kept in each S3 bucket (task logs expire by lifecycle). */
    readonly s3GbPerBucket?: number;
    /** GB of images kept in each ECR repository (the lifecycle policy bounds it). */
    readonly ecrGbPerRepository?: number;
    /** Invocations a month of a Lambda function no schedule in the graph targets, and the average duration of any. */
    readonly lambdaInvocationsPerMonth?: number;
    readonly lambdaAverageSeconds?: number;
    /** Requests a month to each SQS queue (dead-letter queues see almost none). */
    readonly sqsRequestsPerMonth?: number;
    /** Publishes and e-mails a month per SNS topic (alarm notifications). */
    readonly snsPublishesPerMonth?: number;
    /**
     * Write and read requests a month per on-demand DynamoDB table. The scheduler's lease table sees
     * two writes (take, give back) per power invocation: about 4,500 invocations a month.
     */
    readonly dynamodbWritesPerMonth?: number;
    readonly dynamodbReadsPerMonth?: number;
    /** API calls a month per Secrets Manager secret. */
    readonly secretApiCallsPerMonth?: number;
}

export const DEFAULT_ASSUMPTIONS: Required<Omit<CostAssumptions, "awakeHoursPerDay">> = {
    natGbPerMonth: 10,
    albLcuPerHour: 0.2,
    // 0.25 GB a day for the default three (api, audit, authenticator), as the estimate assumed before
    // it priced each type; controllerManager and scheduler log little on a small cluster.
    eksControlPlaneLogGbPerDay: { api: 0.07, audit: 0.15, authenticator: 0.03, controllerManager: 0.03, scheduler: 0.02 },
    logGbPerMonthPerGroup: 0.05,
    s3GbPerBucket: 5,
    ecrGbPerRepository: 2,
    lambdaInvocationsPerMonth: 3000,
    lambdaAverageSeconds: 5,
    sqsRequestsPerMonth: 1000,
    snsPublishesPerMonth: 100,
    dynamodbWritesPerMonth: 10_000,
    dynamodbReadsPerMonth: 1_000,
    secretApiCallsPerMonth: 3000,
};

export interface CostLine {
    readonly item: string;
    readonly resources: readonly string[];
    readonly quantity: number;
    readonly unit: string;
    /** USD a month at the assumed awake hours. */
    readonly monthly: number;
    /** USD a month if the platform never slept. */
    readonly alwaysOnMonthly: number;
    readonly note: string;
}

export interface Unpriced {
    readonly resource: string;
    readonly type: string;
    readonly reason: string;
}

export interface Estimate {
    readonly lines: readonly CostLine[];
    readonly total: number;
    readonly alwaysOn: number;
    /** alwaysOn − total: what sleeping saves a month. */
    readonly saving: number;
    readonly notPriced: readonly Unpriced[];
    readonly free: readonly Unpriced[];
    /** Every usage figure used, each said in words, first the awake hours and where they came from. */
    readonly assumptions: readonly string[];
    /** Whether anything in the graph puts the platform to sleep (a schedule). */
    readonly sleeps: boolean;
    readonly awakeHoursPerMonth: number;
    readonly hoursPerMonth: number;
    readonly priceDate: string;
}

// Types that cost nothing themselves (or whose cost is priced on another line), with the reason.
const FREE: Readonly<Record<string, string>> = {
    "aws:ec2/vpc:Vpc": "VPCs are free",
    "aws:ec2/subnet:Subnet": "subnets are free",
    "aws:ec2/routeTable:RouteTable": "route tables are free",
    "aws:ec2/route:Route": "routes are free",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "free",
    "aws:ec2/internetGateway:InternetGateway": "internet gateways are free (data transfer out is not estimated)",
    "aws:ec2/securityGroup:SecurityGroup": "security groups are free",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "security groups are free",
    "aws:ec2/securityGroupRule:SecurityGroupRule": "free",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "free",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "free",
    "aws:ec2/networkInterface:NetworkInterface": "network interfaces are free (a public address on one is priced with its Elastic IP)",
    "aws:ec2/launchTemplate:LaunchTemplate": "free; its disks are priced with the node group that uses it",
    "aws:iam/role:Role": "IAM is free",
    "aws:iam/rolePolicy:RolePolicy": "IAM is free",
    "aws:iam/policy:Policy": "IAM is free",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "IAM is free",
    "aws:iam/instanceProfile:InstanceProfile": "IAM is free",
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": "IAM is free",
    "aws:iam/serviceLinkedRole:ServiceLinkedRole": "IAM is free",
    "aws:kms/alias:Alias": "aliases are free; the key is priced",
    "aws:rds/subnetGroup:SubnetGroup": "free",
    "aws:rds/parameterGroup:ParameterGroup": "free",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "bucket settings are free",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "bucket settings are free",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": "bucket settings are free (KMS requests are few with a bucket key)",
    "aws:s3/bucketVersioning:BucketVersioning": "bucket settings are free (old versions are within the bucket's assumed size)",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": "bucket settings are free",
    "aws:s3/bucketPolicy:BucketPolicy": "bucket settings are free",
    "aws:opensearch/domainPolicy:DomainPolicy": "free",
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": "free",
    "aws:ecr/repositoryPolicy:RepositoryPolicy": "free",
    "aws:eks/addon:Addon": "EKS add-ons are free; they run on the nodes",
    "aws:eks/accessEntry:AccessEntry": "free",
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": "free",
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": "free",
    "aws:lambda/permission:Permission": "free",
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": "free",
    "aws:sqs/queuePolicy:QueuePolicy": "free",
    "aws:sqs/redrivePolicy:RedrivePolicy": "free",
    "aws:sns/topicSubscription:TopicSubscription": "free; notifications are priced with the topic",
    "aws:sns/topicPolicy:TopicPolicy": "free",
    "aws:scheduler/scheduleGroup:ScheduleGroup": "free",
    "aws:cloudwatch/eventRule:EventRule": "rules on the default bus for AWS and scheduled events are free",
    "aws:cloudwatch/eventTarget:EventTarget": "free",
    "aws:budgets/budget:Budget": "a budget without actions costs nothing (AWS Budgets pricing; not in the price file: check it)",
};

const FREE_PREFIXES: ReadonlyArray<readonly [string, string]> = [
    ["random:", "not an AWS resource"],
    ["tls:", "not an AWS resource"],
    ["command:", "not an AWS resource"],
    ["kubernetes:", "runs on the nodes, priced there"],
];

const HOURS_PER_DAY = 24;

const round2 = (n: number) => Math.round(n * 100) / 100;
const money = (n: number) => `$${n.toFixed(2)}`;
const num = (v: unknown): number | undefined => (typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" && !Number.isNaN(Number(v)) ? Number(v) : undefined);

/** The tag that marks the security group the lead creates for the Airflow UI's load balancer. */
export const ALB_ROLE_TAG = { key: "data-platform:role", value: "airflow-ui-alb" } as const;

/**
 * The Airflow UI's Application Load Balancer is created by the AWS Load Balancer Controller from the
 * Ingress, so it is not a Pulumi resource. Pulumi does create its security group (handed to the
 * Ingress as UI_SECURITY_GROUP_ID) and tags it `data-platform:role = airflow-ui-alb`: each such group
 * stands for one ALB. Returns those groups.
 */
export function findUiLoadBalancerSecurityGroups(resources: readonly GraphResource[]): GraphResource[] {
    return resources.filter((r) =>
        r.type === "aws:ec2/securityGroup:SecurityGroup" && (r.inputs.tags ?? {})[ALB_ROLE_TAG.key] === ALB_ROLE_TAG.value);
}

/** Whether `ref` (an id, a name or an ARN taken from another resource's inputs) names this resource. */
function refersTo(ref: unknown, r: GraphResource): boolean {
    if (typeof ref !== "string" || ref === "") return false;
    const s = r.state ?? r.inputs;
    return [r.id, s.id, s.name, s.arn, s.bucket, s.identifier, s.keyId].some((v) => typeof v === "string" && v === ref);
}

class Pricer {
    constructor(private readonly file: PriceFile) {}
    /** The price, or undefined when the file has none (the caller reports the resource as not priced). */
    get(key: string): number | undefined {
        return this.file.prices[key]?.usd;
    }
    must(key: string): number {
        const p = this.get(key);
        if (p === undefined) throw new Error(`the price file has no entry ${key}`);
        return p;
    }
}

/**
 * Estimates the monthly bill of a resource graph.
 *
 * Sleep: if the graph holds a schedule (aws:scheduler/schedule:Schedule), the platform is taken to
 * sleep outside `awakeHoursPerDay`: node groups scale to their minSize, the database is stopped.
 * Without a schedule nothing sleeps, and those lines are priced around the clock.
 */
export function estimate(resources: readonly GraphResource[], assumptions: CostAssumptions, prices: PriceFile): Estimate {
    const a = { ...DEFAULT_ASSUMPTIONS, ...assumptions };
    if (!(a.awakeHoursPerDay >= 0 && a.awakeHoursPerDay <= HOURS_PER_DAY)) throw new Error(`awakeHoursPerDay must be from 0 to 24, not ${a.awakeHoursPerDay}`);
    const p = new Pricer(prices);
    const H = prices.hoursPerMonth;
    const days = H / HOURS_PER_DAY;

    const real = resources.filter((r) => r.custom && r.type !== "pulumi:pulumi:Stack" && !r.type.startsWith("pulumi:providers:"));
    const ofType = (type: string) => real.filter((r) => r.type === type);
    const schedules = ofType("aws:scheduler/schedule:Schedule");
    const sleeps = schedules.length > 0;
    const awakeH = sleeps ? (a.awakeHoursPerDay * H) / HOURS_PER_DAY : H;

    const lines: CostLine[] = [];
    const notPriced: Unpriced[] = [];
    const free: Unpriced[] = [];
    const handled = new Set<GraphResource>();
    const line = (l: Omit<CostLine, "alwaysOnMonthly"> & { alwaysOnMonthly?: number }) =>
        lines.push({ ...l, alwaysOnMonthly: l.alwaysOnMonthly ?? l.monthly });
    const unpriced = (r: GraphResource, reason: string) => {
        notPriced.push({ resource: r.name, type: r.type, reason });
        handled.add(r);
    };

    const assumptionText: string[] = [
        sleeps
            ? `awake ${a.awakeHoursPerDay} h a day (${round2(awakeH)} h a month; from the scheduler settings), asleep the rest: node groups at their minSize, the database stopped`
            : "nothing in the graph puts the platform to sleep (no aws:scheduler/schedule:Schedule): every line is priced around the clock",
        `a month is ${H} hours; us-east-1 on-demand prices of data/prices.us-east-1.json`,
    ];

    // ---- EKS control plane and its logs ----
    for (const c of ofType("aws:eks/cluster:Cluster")) {
        handled.add(c);
        const support = c.inputs.upgradePolicy?.supportType;
        const extended = support === "EXTENDED";
        const price = p.must(extended ? "eks.cluster.extended" : "eks.cluster.standard");
        line({
            item: `EKS control plane (${extended ? "extended" : "standard"} support)`,
            resources: [c.name],
            quantity: H,
            unit: "cluster-hours",
            monthly: H * price,
            note: support === "STANDARD" || extended
                ? "runs all day; the scheduler cannot stop it"
                : `runs all day; upgradePolicy.supportType is unset, so an old Kubernetes version moves to extended support at ${money(p.must("eks.cluster.extended") * H)} a month: set STANDARD`,
        });
        const logTypes = asArray<string>(c.inputs.enabledClusterLogTypes);
        if (logTypes.length > 0) {
            const clusterName = (c.state ?? c.inputs).name ?? c.inputs.name;
            const group = ofType("aws:cloudwatch/logGroup:LogGroup").find((g) => typeof clusterName === "string" && (g.state ?? g.inputs).name === `/aws/eks/${clusterName}/cluster`);
            if (group) handled.add(group);
            const retention = num(group?.inputs.retentionInDays);
            const perDay = logTypes.reduce((sum, t) => sum + (a.eksControlPlaneLogGbPerDay[t] ?? 0), 0);
            const gbMonth = perDay * days;
            // Steady state: the group holds retention days of logs; never-expiring logs grow, priced at a year.
            const storedGb = perDay * (retention && retention > 0 ? retention : 365);
            const ia = group?.inputs.logGroupClass === "INFREQUENT_ACCESS";
            const cost = gbMonth * p.must(ia ? "logs.ingest.infrequentAccess" : "logs.ingest") + storedGb * p.must("logs.storage");
            line({
                item: `EKS control-plane logs (${logTypes.join(", ")})`,
                resources: [c.name, ...(group ? [group.name] : [])],
                quantity: round2(gbMonth),
                unit: "GB ingested",
                monthly: cost,
                note: `${ia ? "Infrequent Access class (half the ingestion price); " : ""}assumed ${logTypes.map((t) => `${t} ${a.eksControlPlaneLogGbPerDay[t] ?? 0}`).join(" + ")} = ${round2(perDay)} GB a day, all day (the control plane never sleeps); ${round2(storedGb)} GB kept (${retention ? `${retention} days retention` : "no retention set: priced at a year"}). Check the log group's IncomingBytes metric and adjust`,
            });
        }
    }

    // ---- Node groups: instances and their root disks, by the hours they are really up ----
    for (const g of ofType("aws:eks/nodeGroup:NodeGroup")) {
        handled.add(g);
        const scaling = g.inputs.scalingConfig ?? {};
        const desired = num(scaling.desiredSize) ?? 0;
        const max = num(scaling.maxSize) ?? desired;
        const min = num(scaling.minSize) ?? 0;
        // desiredSize is what the group wakes to; a group created asleep (desired 0) wakes to maxSize.
        const awakeCount = desired > 0 ? desired : max;
        const asleepCount = sleeps ? Math.min(min, awakeCount) : awakeCount;
        const ltRef = g.inputs.launchTemplate ?? {};
        const lt = ofType("aws:ec2/launchTemplate:LaunchTemplate").find((t) => refersTo(ltRef.id, t) || refersTo(ltRef.name, t));
        // A group of several types (Spot's alternatives) is priced at its dearest: EC2 may launch any.
        const types = asArray<string>(g.inputs.instanceTypes);
        const candidates = types.length > 0 ? types : [lt?.inputs.instanceType ?? "t3.medium"];
        const missing = candidates.filter((t) => p.get(`ec2.${t}`) === undefined);
        if (missing.length > 0) {
            unpriced(g, `no price for instance type ${missing.join(", ")} in the price file`);
            continue;
        }
        const instanceType = candidates.reduce((dearest, t) => (p.get(`ec2.${t}`)! > p.get(`ec2.${dearest}`)! ? t : dearest));
        const price = p.get(`ec2.${instanceType}`)!;
        const spot = g.inputs.capacityType === "SPOT";
        const hourly = spot ? price * (1 - p.must("ec2.spotDiscount")) : price;
        const nodeHours = awakeCount * awakeH + asleepCount * (H - awakeH);
        line({
            item: `EKS nodes: ${awakeCount} × ${instanceType}${spot ? " (Spot)" : ""}`,
            resources: [g.name],
            quantity: round2(nodeHours),
            unit: "instance-hours",
            monthly: nodeHours * hourly,
            alwaysOnMonthly: awakeCount * H * hourly,
            note: [
                `${awakeCount} awake (scalingConfig ${desired > 0 ? "desiredSize" : "maxSize, desiredSize being 0"})`,
                sleeps ? `${asleepCount} asleep (minSize)` : "",
                spot ? `Spot assumed ${p.must("ec2.spotDiscount") * 100}% below on-demand` : "",
                candidates.length > 1 ? `any of ${candidates.join(", ")}, priced at the dearest` : "",
            ].filter(Boolean).join("; "),
        });
        const ebs = asArray<any>(lt?.inputs.blockDeviceMappings).map((m) => m.ebs).find((e) => e);
        const diskGb = num(ebs?.volumeSize) ?? num(g.inputs.diskSize) ?? 20;
        const volumeType: string = ebs?.volumeType ?? "gp2";
        const diskPrice = p.get(`ebs.${volumeType}`);
        if (diskPrice === undefined) {
            notPriced.push({ resource: g.name, type: g.type, reason: `no price for EBS ${volumeType} root volumes` });
        } else {
            line({
                item: `EKS node root disks: ${diskGb} GB ${volumeType} each`,
                resources: [...new Set([g.name, ...(lt ? [lt.name] : [])])],
                quantity: round2((diskGb * nodeHours) / H),
                unit: "GB-months",
                monthly: (diskGb * nodeHours * diskPrice) / H,
                alwaysOnMonthly: diskGb * awakeCount * diskPrice,
                note: `${ebs ? "from the launch template" : "EKS default 20 GB gp2 (no launch template disk)"}; a node's disk is deleted with the node, so disks bill only while nodes are up`,
            });
        }
    }

    // ---- NAT: gateways (hours + data) and instances (hours + disk); public addresses below ----
    const gateways = ofType("aws:ec2/natGateway:NatGateway");
    for (const n of gateways) {
        handled.add(n);
        const gb = a.natGbPerMonth / gateways.length;
        line({
            item: "NAT gateway",
            resources: [n.name],
            quantity: H,
            unit: "gateway-hours",
            monthly: H * p.must("vpc.natGateway.hour") + gb * p.must("vpc.natGateway.gb"),
            note: `always on; plus ${round2(gb)} GB processed assumed (${money(gb * p.must("vpc.natGateway.gb"))})`,
        });
        if (!n.inputs.allocationId && n.inputs.connectivityType !== "private") {
            line({ item: "Public IPv4 address (NAT gateway, auto-assigned)", resources: [n.name], quantity: H, unit: "IP-hours", monthly: H * p.must("vpc.publicIpv4"), note: "billed since 1 Feb 2024" });
        }
    }
    for (const i of ofType("aws:ec2/instance:Instance")) {
        handled.add(i);
        const type: string = i.inputs.instanceType;
        const price = p.get(`ec2.${type}`);
        if (price === undefined) {
            unpriced(i, `no price for instance type ${type} in the price file`);
            continue;
        }
        const nat = i.inputs.sourceDestCheck === false || /nat/i.test(i.name);
        line({ item: `EC2 instance ${type}${nat ? " (NAT instance)" : ""}`, resources: [i.name], quantity: H, unit: "instance-hours", monthly: H * price, note: "always on: the scheduler does not stop it; no per-GB fee" });
        const root = i.inputs.rootBlockDevice ?? {};
        const gb = num(root.volumeSize) ?? 8;
        const vt: string = root.volumeType ?? "gp2";
        const diskPrice = p.get(`ebs.${vt}`);
        if (diskPrice !== undefined) line({ item: `EC2 root disk ${gb} GB ${vt}`, resources: [i.name], quantity: gb, unit: "GB-months", monthly: gb * diskPrice, note: root.volumeSize ? "" : "size not set: 8 GB assumed (the image's default)" });
        else notPriced.push({ resource: i.name, type: i.type, reason: `no price for EBS ${vt}` });
        if (i.inputs.associatePublicIpAddress === true) {
            line({ item: "Public IPv4 address (instance)", resources: [i.name], quantity: H, unit: "IP-hours", monthly: H * p.must("vpc.publicIpv4"), note: "" });
        }
    }
    for (const e of ofType("aws:ec2/eip:Eip")) {
        handled.add(e);
        const user = gateways.find((n) => refersTo(n.inputs.allocationId, e));
        line({
            item: "Public IPv4 address (Elastic IP)",
            resources: [e.name],
            quantity: H,
            unit: "IP-hours",
            monthly: H * p.must("vpc.publicIpv4"),
            note: user ? `the address of NAT gateway ${user.name}` : e.inputs.networkInterface ? "the address of the NAT instance's interface" : "in use or idle, every public IPv4 address bills",
        });
    }
    for (const v of ofType("aws:ec2/vpcEndpoint:VpcEndpoint")) {
        handled.add(v);
        if ((v.inputs.vpcEndpointType ?? "Gateway") === "Gateway") {
            free.push({ resource: v.name, type: v.type, reason: "gateway endpoints (S3, DynamoDB) are free" });
            continue;
        }
        const azs = Math.max(1, asArray(v.inputs.subnetIds).length);
        line({ item: `VPC interface endpoint (${v.inputs.serviceName ?? "?"})`, resources: [v.name], quantity: azs * H, unit: "endpoint-AZ-hours", monthly: azs * H * p.must("vpc.interfaceEndpoint.azHour"), note: `${azs} zone(s); data processed not estimated` });
    }

    // ---- The Airflow UI's load balancer: not a Pulumi resource, found by its security group ----
    for (const sg of findUiLoadBalancerSecurityGroups(real)) {
        const vpcId = sg.inputs.vpcId;
        const zones = new Set(ofType("aws:ec2/subnet:Subnet")
            .filter((s) => s.inputs.vpcId === vpcId && String((s.inputs.tags ?? {})["kubernetes.io/role/elb"]) === "1")
            .map((s) => s.inputs.availabilityZone ?? s.name));
        // An ALB needs at least two zones; the controller puts it in every tagged public subnet.
        const n = Math.max(2, zones.size);
        line({
            item: "Application Load Balancer (Airflow UI Ingress)",
            resources: [sg.name],
            quantity: H,
            unit: "ALB-hours",
            monthly: H * (p.must("elb.alb.hour") + a.albLcuPerHour * p.must("elb.alb.lcu")),
            note: `created by the AWS Load Balancer Controller, found by its security group (tag ${ALB_ROLE_TAG.key}=${ALB_ROLE_TAG.value}); always on; ${a.albLcuPerHour} LCU an hour assumed`,
        });
        line({
            item: `Public IPv4 addresses of the ALB (${n} zones)`,
            resources: [sg.name],
            quantity: n * H,
            unit: "IP-hours",
            monthly: n * H * p.must("vpc.publicIpv4"),
            note: zones.size >= 2 ? "one per public subnet tagged kubernetes.io/role/elb" : "no tagged public subnets found in its VPC: the minimum of two zones assumed",
        });
    }
    for (const lb of ofType("aws:lb/loadBalancer:LoadBalancer").concat(ofType("aws:alb/loadBalancer:LoadBalancer"))) {
        if ((lb.inputs.loadBalancerType ?? "application") !== "application") {
            unpriced(lb, `no price for ${lb.inputs.loadBalancerType} load balancers in the price file`);
            continue;
        }
        handled.add(lb);
        const n = Math.max(2, asArray(lb.inputs.subnets).length + asArray(lb.inputs.subnetMappings).length);
        line({ item: "Application Load Balancer", resources: [lb.name], quantity: H, unit: "ALB-hours", monthly: H * (p.must("elb.alb.hour") + a.albLcuPerHour * p.must("elb.alb.lcu")), note: `${a.albLcuPerHour} LCU an hour assumed` });
        if (lb.inputs.internal !== true) line({ item: `Public IPv4 addresses of the load balancer (${n} zones)`, resources: [lb.name], quantity: n * H, unit: "IP-hours", monthly: n * H * p.must("vpc.publicIpv4"), note: "" });
    }

    // ---- RDS: instance hours while started (Multi-AZ doubles), storage always ----
    for (const db of ofType("aws:rds/instance:Instance")) {
        const multi = db.inputs.multiAz === true;
        const cls: string = db.inputs.instanceClass;
        const engine: string = db.inputs.engine ?? "";
        const price = engine === "postgres" ? p.get(`rds.postgres.${cls}.${multi ? "multi-az" : "single-az"}`) : undefined;
        if (price === undefined) {
            unpriced(db, `no price for ${engine} ${cls} ${multi ? "Multi-AZ" : "Single-AZ"} in the price file`);
            continue;
        }
        handled.add(db);
        line({
            item: `RDS ${cls} ${multi ? "Multi-AZ" : "Single-AZ"} (${engine})`,
            resources: [db.name],
            quantity: round2(awakeH),
            unit: "instance-hours",
            monthly: awakeH * price,
            alwaysOnMonthly: H * price,
            note: sleeps ? "billed while started; the scheduler stops it outside the awake hours (a stopped instance restarts by itself after 7 days)" : "never stopped",
        });
        const gb = num(db.inputs.allocatedStorage) ?? 20;
        const storagePrice = p.must(`rds.storage.gp.${multi ? "multi-az" : "single-az"}`);
        line({
            item: `RDS storage ${gb} GB ${db.inputs.storageType ?? "gp2"}${multi ? " (Multi-AZ)" : ""}`,
            resources: [db.name],
            quantity: gb,
            unit: "GB-months",
            monthly: gb * storagePrice,
            note: `bills while stopped too${db.inputs.maxAllocatedStorage ? `; autoscaling up to ${db.inputs.maxAllocatedStorage} GB would raise it` : ""}; backups up to the database's size assumed free`,
        });
    }

    // ---- OpenSearch: cannot be paused ----
    for (const d of ofType("aws:opensearch/domain:Domain")) {
        const cc = d.inputs.clusterConfig ?? {};
        const type: string = cc.instanceType ?? "m5.large.search";
        const count = num(cc.instanceCount) ?? 1;
        const price = p.get(`opensearch.${type}`);
        if (price === undefined) {
            unpriced(d, `no price for OpenSearch ${type} in the price file`);
            continue;
        }
        handled.add(d);
        line({
            item: `OpenSearch data nodes: ${count} × ${type}${cc.zoneAwarenessEnabled ? " (zone-aware)" : ""}`,
            resources: [d.name],
            quantity: count * H,
            unit: "node-hours",
            monthly: count * H * price,
            note: "always on: a domain cannot be paused",
        });
        if (cc.dedicatedMasterEnabled === true) {
            const mType: string = cc.dedicatedMasterType ?? type;
            const mCount = num(cc.dedicatedMasterCount) ?? 3;
            const mPrice = p.get(`opensearch.${mType}`);
            if (mPrice === undefined) notPriced.push({ resource: d.name, type: d.type, reason: `no price for dedicated master ${mType}` });
            else line({ item: `OpenSearch dedicated masters: ${mCount} × ${mType}`, resources: [d.name], quantity: mCount * H, unit: "node-hours", monthly: mCount * H * mPrice, note: "always on" });
        }
        const ebs = d.inputs.ebsOptions ?? {};
        if (ebs.ebsEnabled !== false) {
            const gb = num(ebs.volumeSize) ?? 10;
            const vt: string = ebs.volumeType ?? "gp2";
            const vp = p.get(`opensearch.${vt}`);
            if (vp === undefined) notPriced.push({ resource: d.name, type: d.type, reason: `no price for OpenSearch ${vt} storage` });
            else line({ item: `OpenSearch storage: ${count} × ${gb} GB ${vt}`, resources: [d.name], quantity: count * gb, unit: "GB-months", monthly: count * gb * vp, note: "" });
        }
    }

    // ---- Keys, secrets, parameters ----
    for (const k of ofType("aws:kms/key:Key")) {
        handled.add(k);
        line({ item: "KMS key", resources: [k.name], quantity: 1, unit: "key-months", monthly: p.must("kms.key"), note: k.inputs.enableKeyRotation ? "rotation on: rotated key versions can add to this fee (see AWS KMS pricing; not in the price file)" : "" });
    }
    for (const s of ofType("aws:secretsmanager/secret:Secret")) {
        handled.add(s);
        const api = (a.secretApiCallsPerMonth / 10000) * p.must("secretsmanager.api10k");
        line({ item: "Secrets Manager secret", resources: [s.name], quantity: 1, unit: "secret-months", monthly: p.must("secretsmanager.secret") + api, note: `plus ${a.secretApiCallsPerMonth} API calls assumed (${money(api)})` });
    }
    for (const s of ofType("aws:secretsmanager/secretVersion:SecretVersion")) {
        handled.add(s);
        free.push({ resource: s.name, type: s.type, reason: "versions are priced with their secret" });
    }
    for (const s of ofType("aws:ssm/parameter:Parameter")) {
        handled.add(s);
        if ((s.inputs.tier ?? "Standard") === "Standard") free.push({ resource: s.name, type: s.type, reason: "standard-tier parameters are free" });
        else notPriced.push({ resource: s.name, type: s.type, reason: `no price for ${s.inputs.tier} parameters in the price file` });
    }

    // ---- CloudWatch: other log groups and alarms ----
    for (const g of ofType("aws:cloudwatch/logGroup:LogGroup")) {
        if (handled.has(g)) continue;
        handled.add(g);
        const retention = num(g.inputs.retentionInDays);
        const gb = a.logGbPerMonthPerGroup;
        const stored = (gb / days) * (retention && retention > 0 ? retention : 365);
        line({
            item: `CloudWatch log group ${(g.state ?? g.inputs).name ?? g.name}`,
            resources: [g.name],
            quantity: gb,
            unit: "GB ingested",
            monthly: gb * p.must(g.inputs.logGroupClass === "INFREQUENT_ACCESS" ? "logs.ingest.infrequentAccess" : "logs.ingest") + stored * p.must("logs.storage"),
            note: `${g.inputs.logGroupClass === "INFREQUENT_ACCESS" ? "Infrequent Access class; " : ""}${gb} GB a month assumed; ${retention ? `${retention} days retention` : "no retention: priced at a year kept"}`,
        });
    }
    for (const al of ofType("aws:cloudwatch/metricAlarm:MetricAlarm")) {
        handled.add(al);
        const queries = asArray<any>(al.inputs.metricQueries);
        const metrics = Math.max(1, queries.filter((q) => q.metric).length);
        const period = num(al.inputs.period) ?? num(queries.find((q) => q.metric)?.metric?.period) ?? 60;
        const high = period < 60;
        const price = p.must(high ? "cloudwatch.alarm.highResolution" : "cloudwatch.alarm.standard");
        line({ item: `CloudWatch alarm${high ? " (high resolution)" : ""}`, resources: [al.name], quantity: metrics, unit: "alarm-metric-months", monthly: metrics * price, note: metrics > 1 ? `${metrics} metrics in its expression` : "" });
    }

    // ---- Storage services ----
    for (const b of ofType("aws:s3/bucket:Bucket").concat(ofType("aws:s3/bucketV2:BucketV2"))) {
        handled.add(b);
        line({ item: "S3 Standard storage", resources: [b.name], quantity: a.s3GbPerBucket, unit: "GB-months", monthly: a.s3GbPerBucket * p.must("s3.standard"), note: `${a.s3GbPerBucket} GB assumed; requests not estimated (cents)` });
    }
    for (const r of ofType("aws:ecr/repository:Repository")) {
        handled.add(r);
        line({ item: "ECR image storage", resources: [r.name], quantity: a.ecrGbPerRepository, unit: "GB-months", monthly: a.ecrGbPerRepository * p.must("ecr.storage"), note: `${a.ecrGbPerRepository} GB assumed (the lifecycle policy bounds the images kept); pulls from inside the region are free` });
    }
    for (const v of ofType("aws:ebs/volume:Volume")) {
        handled.add(v);
        const vt: string = v.inputs.type ?? "gp3";
        const price = p.get(`ebs.${vt}`);
        if (price === undefined) unpriced(v, `no price for EBS ${vt}`);
        else line({ item: `EBS volume ${v.inputs.size} GB ${vt}`, resources: [v.name], quantity: num(v.inputs.size) ?? 0, unit: "GB-months", monthly: (num(v.inputs.size) ?? 0) * price, note: "" });
    }

    // ---- Serverless: Lambda (the always-free tier is account-wide), Scheduler, SQS, SNS ----
    const functions = ofType("aws:lambda/function:Function");
    if (functions.length > 0) {
        let requests = 0;
        let gbSeconds = 0;
        let computeCost = 0;
        const counted: string[] = [];
        for (const f of functions) {
            handled.add(f);
            // Invocations: from the schedules that target the function when there are any, else the assumption.
            const targeting = schedules.filter((s) => refersTo(s.inputs.target?.arn, f));
            const invocations = targeting.length > 0
                ? targeting.reduce((n, s) => n + schedulePerMonth(String(s.inputs.scheduleExpression ?? ""), H), 0)
                : a.lambdaInvocationsPerMonth;
            counted.push(`${f.name} ${Math.round(invocations)}${targeting.length > 0 ? " (from its schedules)" : " (assumed)"}`);
            const gbs = ((num(f.inputs.memorySize) ?? 128) / 1024) * a.lambdaAverageSeconds * invocations;
            const arch = asArray<string>(f.inputs.architectures)[0] === "arm64" ? "arm64" : "x86_64";
            requests += invocations;
            gbSeconds += gbs;
            computeCost += gbs * p.must(`lambda.gbSecond.${arch}`);
        }
        const billableRequests = Math.max(0, requests - p.must("lambda.freeRequests"));
        const billableShare = gbSeconds === 0 ? 0 : Math.max(0, gbSeconds - p.must("lambda.freeGbSeconds")) / gbSeconds;
        const cost = (billableRequests / 1e6) * p.must("lambda.requestMillion") + computeCost * billableShare;
        line({
            item: `Lambda functions (${functions.length})`,
            resources: functions.map((f) => f.name),
            quantity: requests,
            unit: "invocations",
            monthly: cost,
            note: `invocations a month: ${counted.join(", ")}; ${a.lambdaAverageSeconds} s each assumed: ${Math.round(gbSeconds)} GB-s${cost === 0 ? ", inside the always-free 1M requests and 400,000 GB-s" : ""}`,
        });
    }
    if (schedules.length > 0) {
        let invocations = 0;
        for (const s of schedules) {
            handled.add(s);
            invocations += schedulePerMonth(String(s.inputs.scheduleExpression ?? ""), H);
        }
        const cost = (Math.max(0, invocations - p.must("scheduler.freeInvocations")) / 1e6) * p.must("scheduler.invocationMillion");
        line({ item: `EventBridge Scheduler schedules (${schedules.length})`, resources: schedules.map((s) => s.name), quantity: Math.round(invocations), unit: "invocations", monthly: cost, note: "rate() counted exactly, cron() and at() taken as daily; the first 14M invocations a month are free" });
    }
    for (const q of ofType("aws:sqs/queue:Queue")) {
        handled.add(q);
        line({ item: "SQS queue", resources: [q.name], quantity: a.sqsRequestsPerMonth, unit: "requests", monthly: (a.sqsRequestsPerMonth / 1e6) * p.must("sqs.requestMillion"), note: `${a.sqsRequestsPerMonth} requests assumed` });
    }
    for (const table of ofType("aws:dynamodb/table:Table")) {
        handled.add(table);
        if (table.inputs.billingMode !== "PAY_PER_REQUEST") {
            unpriced(table, "provisioned capacity: only on-demand (PAY_PER_REQUEST) tables are in the model");
            continue;
        }
        const cost = (a.dynamodbWritesPerMonth / 1e6) * p.must("dynamodb.writeRequestMillion") + (a.dynamodbReadsPerMonth / 1e6) * p.must("dynamodb.readRequestMillion");
        line({ item: "DynamoDB table (on-demand)", resources: [table.name], quantity: a.dynamodbWritesPerMonth, unit: "write requests", monthly: cost, note: `${a.dynamodbWritesPerMonth} writes and ${a.dynamodbReadsPerMonth} reads a month assumed; its few items' storage rounds to nothing` });
    }
    for (const t of ofType("aws:sns/topic:Topic")) {
        handled.add(t);
        const emails = ofType("aws:sns/topicSubscription:TopicSubscription").filter((s) => s.inputs.protocol === "email" && refersTo(s.inputs.topic, t)).length;
        const publishes = a.snsPublishesPerMonth;
        const cost = (Math.max(0, publishes - p.must("sns.freeRequests")) / 1e6) * p.must("sns.requestMillion")
            + (Math.max(0, publishes * emails - p.must("sns.freeEmails")) / 1e5) * p.must("sns.email100k");
        line({ item: "SNS topic", resources: [t.name], quantity: publishes, unit: "publishes", monthly: cost, note: `${publishes} publishes to ${emails} e-mail subscription(s) assumed; inside the free 1M requests and 1,000 e-mails` });
    }

    // ---- Kubernetes objects that create AWS resources outside Pulumi ----
    for (const s of real.filter((r) => r.type === "kubernetes:core/v1:Service" && r.inputs.spec?.type === "LoadBalancer")) {
        unpriced(s, "a Service of type LoadBalancer makes the controller create a load balancer outside Pulumi; not priced");
    }

    // ---- Everything else: free, or not priced ----
    for (const r of real) {
        if (handled.has(r)) continue;
        const reason = FREE[r.type] ?? FREE_PREFIXES.find(([prefix]) => r.type.startsWith(prefix))?.[1];
        if (reason) free.push({ resource: r.name, type: r.type, reason });
        else notPriced.push({ resource: r.name, type: r.type, reason: "type unknown to the cost model" });
    }

    assumptionText.push(
        `NAT: ${a.natGbPerMonth} GB a month processed`,
        `ALB: ${a.albLcuPerHour} LCU an hour`,
        `EKS control-plane logs: ${Object.entries(a.eksControlPlaneLogGbPerDay).map(([t, gb]) => `${t} ${gb}`).join(", ")} GB a day; other log groups ${a.logGbPerMonthPerGroup} GB a month each`,
        `S3: ${a.s3GbPerBucket} GB a bucket; ECR: ${a.ecrGbPerRepository} GB a repository`,
        `Lambda: ${a.lambdaAverageSeconds} s an invocation; ${a.lambdaInvocationsPerMonth} invocations a month for a function no schedule targets; SQS ${a.sqsRequestsPerMonth} requests a queue; SNS ${a.snsPublishesPerMonth} publishes a topic; DynamoDB ${a.dynamodbWritesPerMonth} writes and ${a.dynamodbReadsPerMonth} reads a table; ${a.secretApiCallsPerMonth} API calls a secret`,
        "not estimated: data transfer out to the internet, S3 and KMS requests, backups beyond the database's size",
    );

    const total = lines.reduce((s, l) => s + l.monthly, 0);
    const alwaysOn = lines.reduce((s, l) => s + l.alwaysOnMonthly, 0);
    const dates = Object.values(prices.prices).map((e) => e.date).sort();
    return {
        lines,
        total,
        alwaysOn,
        saving: alwaysOn - total,
        notPriced,
        free,
        assumptions: assumptionText,
        sleeps,
        awakeHoursPerMonth: awakeH,
        hoursPerMonth: H,
        priceDate: dates.length === 0 ? "" : dates[0] === dates[dates.length - 1] ? dates[0] : `${dates[0]} to ${dates[dates.length - 1]}`,
    };
}

/** Invocations a month of a schedule expression: rate() exactly; cron() and at() taken as daily (the platform's are). */
export function schedulePerMonth(expression: string, hoursPerMonth: number): number {
    const rate = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
    if (rate) {
        const n = Number(rate[1]);
        const perHour = rate[2].startsWith("minute") ? 60 / n : rate[2].startsWith("hour") ? 1 / n : 1 / (24 * n);
        return perHour * hoursPerMonth;
    }
    if (expression.startsWith("at(")) return 1;
    return hoursPerMonth / HOURS_PER_DAY;
}
