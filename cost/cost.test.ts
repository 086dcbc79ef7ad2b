// The cost model (cost/cost.ts) on small synthetic graphs whose bills are computed by hand here, one
// test per pricing rule; the report's text; the price file; and the stacks as they are evaluated today.

import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { estimate, findUiLoadBalancerSecurityGroups, readPriceFile, schedulePerMonth, type CostAssumptions, type Estimate, type GraphResource } from "./cost";
import { benchLine, renderEstimate } from "./report";
import { pickOnDemandPrice, productsRequest, withPrice, type PriceQuery } from "./prices-cli";
import { STACKS, stackEvaluation } from "../tests/stacks";
import { estimateOf } from "../offline/plan";

const prices = readPriceFile();
const H = 730;
const near = (actual: number, expected: number, what = "") => assert.ok(Math.abs(actual - expected) < 1e-6, `${what}: ${actual} != ${expected}`);

const res = (type: string, name: string, inputs: Record<string, any> = {}, extra: Partial<GraphResource> = {}): GraphResource =>
    ({ type, name, inputs, custom: true, id: `${name}-id`, state: { ...inputs }, ...extra });
const schedule = (name = "wake", expression = "cron(0 0 * * ? *)") =>
    res("aws:scheduler/schedule:Schedule", name, { scheduleExpression: expression, scheduleExpressionTimezone: "America/Los_Angeles" });
const run = (resources: GraphResource[], assumptions: Partial<CostAssumptions> = {}): Estimate =>
    estimate(resources, { awakeHoursPerDay: 4, ...assumptions }, prices);
const only = (e: Estimate, item: RegExp) => {
    const found = e.lines.filter((l) => item.test(l.item));
    assert.equal(found.length, 1, `expected one line ${item}, got ${e.lines.map((l) => l.item).join(" | ")}`);
    return found[0];
};

// 4 awake hours a day: 4 × 730 / 24 hours a month.
const AWAKE = (4 * 730) / 24; // 121.6666…

describe("cost model: a small platform, computed by hand", () => {
    // One cluster, two t3.medium nodes (20 GB gp3 each) that sleep to zero, one NAT gateway and its
    // address, a Multi-AZ db.t3.micro with 20 GB, the schedule that puts it all to sleep, and free parts.
    const graph: GraphResource[] = [
        res("aws:eks/cluster:Cluster", "eks", { name: "c1", upgradePolicy: { supportType: "STANDARD" } }),
        res("aws:ec2/launchTemplate:LaunchTemplate", "lt", { blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { volumeSize: 20, volumeType: "gp3", encrypted: "true" } }] }),
        res("aws:eks/nodeGroup:NodeGroup", "nodes", { instanceTypes: ["t3.medium"], scalingConfig: { desiredSize: 2, minSize: 0, maxSize: 2 }, launchTemplate: { id: "lt-id", version: "$Latest" } }),
        res("aws:ec2/eip:Eip", "nat-eip", { domain: "vpc" }),
        res("aws:ec2/natGateway:NatGateway", "nat", { allocationId: "nat-eip-id", subnetId: "subnet-1" }),
        res("aws:rds/instance:Instance", "db", { engine: "postgres", instanceClass: "db.t3.micro", multiAz: true, allocatedStorage: 20, storageType: "gp3" }),
        schedule("wake", "rate(5 minutes)"),
        res("aws:ec2/vpc:Vpc", "vpc", { cidrBlock: "10.0.0.0/16" }),
        res("aws:iam/role:Role", "role", {}),
        { type: "data-platform:index:Network", name: "net", inputs: {}, custom: false },
        { type: "pulumi:providers:aws", name: "aws", inputs: {}, custom: true },
    ];

    it("prices each item and totals them, asleep and always on", () => {
        const e = run(graph, { natGbPerMonth: 0 });
        const expected = {
            eks: 730 * 0.10, //                                    73.00
            nodes: 2 * AWAKE * 0.0416, //                           10.1227
            disks: (20 * 2 * AWAKE * 0.08) / 730, //                 0.5333
            nat: 730 * 0.045, //                                   32.85
            ip: 730 * 0.005, //                                     3.65
            db: AWAKE * 0.036, //                                   4.38
            storage: 20 * 0.23, //                                  4.60
            scheduler: 0, // 8,760 invocations, inside the free 14M
        };
        near(only(e, /^EKS control plane/).monthly, expected.eks, "eks");
        near(only(e, /^EKS nodes: 2 × t3.medium/).monthly, expected.nodes, "nodes");
        near(only(e, /^EKS node root disks: 20 GB gp3/).monthly, expected.disks, "disks");
        near(only(e, /^NAT gateway/).monthly, expected.nat, "nat");
        near(only(e, /^Public IPv4 address \(Elastic IP\)/).monthly, expected.ip, "ip");
        near(only(e, /^RDS db.t3.micro Multi-AZ/).monthly, expected.db, "db");
        near(only(e, /^RDS storage 20 GB/).monthly, expected.storage, "storage");
        near(only(e, /^EventBridge Scheduler/).monthly, 0, "scheduler");
        near(e.total, Object.values(expected).reduce((a, b) => a + b, 0), "total"); // 129.1360
        near(e.total, 129.136, "total by hand");
        // Never asleep: nodes 2 × 730 × 0.0416 = 60.736, disks 2 × 20 × 0.08 = 3.20, database 730 × 0.036 = 26.28.
        near(e.alwaysOn, 73 + 60.736 + 3.2 + 32.85 + 3.65 + 26.28 + 4.6, "always on"); // 204.316
        near(e.saving, e.alwaysOn - e.total, "saving");
        assert.equal(e.sleeps, true);
        assert.equal(e.lines.length, 8);
    });

    it("lists free types as free, skips components and providers, and never drops a resource", () => {
        const e = run(graph);
        assert.deepEqual(e.free.map((f) => f.type).sort(), ["aws:ec2/launchTemplate:LaunchTemplate", "aws:ec2/vpc:Vpc", "aws:iam/role:Role"]);
        const accounted = new Set([...e.lines.flatMap((l) => l.resources), ...e.free.map((f) => f.resource), ...e.notPriced.map((u) => u.resource)]);
        assert.deepEqual(e.notPriced, []);
        for (const r of graph.filter((g) => g.custom && !g.type.startsWith("pulumi:providers:"))) assert.ok(accounted.has(r.name), `${r.name} is accounted for`);
        assert.ok(!accounted.has("net") && !accounted.has("aws"));
    });

    it("lists an unknown type as not priced, and leaves it out of the total", () => {
        const e = run([...graph, res("aws:glue/job:Job", "t", {})], { natGbPerMonth: 0 });
        assert.deepEqual(e.notPriced, [{ resource: "t", type: "aws:glue/job:Job", reason: "type unknown to the cost model" }]);
        near(e.total, 129.136, "total unchanged");
    });

    it("states every assumption, the awake hours first", () => {
        const e = run(graph);
        assert.match(e.assumptions[0], /^awake 4 h a day \(121\.67 h a month; from the scheduler settings\)/);
        assert.ok(e.assumptions.some((a) => /NAT: 10 GB a month/.test(a)));
        assert.ok(e.assumptions.some((a) => /not estimated: data transfer out/.test(a)));
    });

    it("refuses awake hours outside 0 to 24", () => {
        assert.throws(() => run(graph, { awakeHoursPerDay: 25 }), /awakeHoursPerDay must be from 0 to 24/);
    });
});

describe("cost model: one rule at a time", () => {
    describe("sleep", () => {
        it("without a schedule in the graph nothing sleeps: nodes and database priced around the clock", () => {
            const e = run([
                res("aws:eks/nodeGroup:NodeGroup", "n", { instanceTypes: ["t3.medium"], scalingConfig: { desiredSize: 1, minSize: 0, maxSize: 1 } }),
                res("aws:rds/instance:Instance", "db", { engine: "postgres", instanceClass: "db.t3.micro", multiAz: false, allocatedStorage: 20 }),
            ]);
            assert.equal(e.sleeps, false);
            near(only(e, /^EKS nodes/).monthly, 730 * 0.0416, "node");
            near(only(e, /^RDS db.t3.micro Single-AZ/).monthly, 730 * 0.018, "db"); // 13.14
            near(e.saving, 0, "no saving");
            assert.match(e.assumptions[0], /nothing in the graph puts the platform to sleep/);
        });
    });

    describe("EKS control plane", () => {
        it("is $73 a month on standard support, $438 on extended, and warns when the support type is unset", () => {
            near(only(run([res("aws:eks/cluster:Cluster", "c", { upgradePolicy: { supportType: "STANDARD" } })]), /^EKS control plane/).monthly, 73, "standard");
            near(only(run([res("aws:eks/cluster:Cluster", "c", { upgradePolicy: { supportType: "EXTENDED" } })]), /^EKS control plane \(extended/).monthly, 438, "extended");
            const unset = only(run([res("aws:eks/cluster:Cluster", "c", {})]), /^EKS control plane/);
            near(unset.monthly, 73, "unset");
            assert.match(unset.note, /extended support at \$438\.00 a month: set STANDARD/);
        });

        it("prices control-plane logs all day, asleep or not, with the cluster's log group's retention", () => {
            const e = run([
                schedule(),
                res("aws:eks/cluster:Cluster", "c", { name: "c1", enabledClusterLogTypes: ["api", "audit", "authenticator"], upgradePolicy: { supportType: "STANDARD" } }),
                res("aws:cloudwatch/logGroup:LogGroup", "eks-logs", { name: "/aws/eks/c1/cluster", retentionInDays: 30 }),
            ], { eksControlPlaneLogGbPerDay: { api: 0.1, audit: 0.1, authenticator: 0.05, scheduler: 1 } });
            const logs = only(e, /^EKS control-plane logs \(api, audit, authenticator\)/);
            // 0.25 GB × 30.4167 days = 7.604 GB × $0.50 = 3.8021; kept 0.25 × 30 = 7.5 GB × $0.03 = 0.225.
            near(logs.monthly, 0.25 * (730 / 24) * 0.5 + 0.25 * 30 * 0.03, "logs");
            near(logs.monthly, logs.alwaysOnMonthly, "never sleeps");
            assert.deepEqual(logs.resources, ["c", "eks-logs"]);
            assert.equal(e.lines.filter((l) => /log group/.test(l.item)).length, 0, "the group is not priced twice");
        });

        it("prices only the enabled log types, and Infrequent Access ingestion at half ($0.25 a GB)", () => {
            const cluster = (types: string[]) => res("aws:eks/cluster:Cluster", "c", { name: "c1", enabledClusterLogTypes: types, upgradePolicy: { supportType: "STANDARD" } });
            const group = (cls?: string) => res("aws:cloudwatch/logGroup:LogGroup", "eks-logs", { name: "/aws/eks/c1/cluster", retentionInDays: 30, logGroupClass: cls });
            const split = { eksControlPlaneLogGbPerDay: { api: 0.07, audit: 0.15, authenticator: 0.03 } };
            const audit = only(run([schedule(), cluster(["audit"]), group()], split), /^EKS control-plane logs \(audit\)/);
            near(audit.monthly, 0.15 * (730 / 24) * 0.5 + 0.15 * 30 * 0.03, "audit alone");
            const ia = only(run([schedule(), cluster(["audit"]), group("INFREQUENT_ACCESS")], split), /^EKS control-plane logs \(audit\)/);
            near(ia.monthly, 0.15 * (730 / 24) * 0.25 + 0.15 * 30 * 0.03, "IA ingestion, same storage");
            assert.match(ia.note, /Infrequent Access/);
        });
    });

    describe("node groups", () => {
        const ng = (inputs: Record<string, any>) => res("aws:eks/nodeGroup:NodeGroup", "n", { instanceTypes: ["t3.medium"], ...inputs });

        it("wake to desiredSize, or to maxSize when created at zero", () => {
            near(only(run([schedule(), ng({ scalingConfig: { desiredSize: 3, minSize: 0, maxSize: 6 } })]), /^EKS nodes: 3 ×/).monthly, 3 * AWAKE * 0.0416, "desired");
            near(only(run([schedule(), ng({ scalingConfig: { desiredSize: 0, minSize: 0, maxSize: 4 } })]), /^EKS nodes: 4 ×/).monthly, 4 * AWAKE * 0.0416, "max");
        });

        it("keep minSize nodes through the night", () => {
            const line = only(run([schedule(), ng({ scalingConfig: { desiredSize: 3, minSize: 1, maxSize: 3 } })]), /^EKS nodes: 3 ×/);
            near(line.monthly, (3 * AWAKE + 1 * (730 - AWAKE)) * 0.0416, "min stays up");
            near(line.alwaysOnMonthly, 3 * 730 * 0.0416, "always on");
        });

        it("price a group of several Spot types at its dearest, since EC2 may launch any", () => {
            const e = run([schedule(), res("aws:eks/nodeGroup:NodeGroup", "n", { capacityType: "SPOT", instanceTypes: ["t3a.medium", "t3.medium"], scalingConfig: { desiredSize: 2, minSize: 0, maxSize: 2 } })]);
            const nodes = only(e, /^EKS nodes: 2 × t3.medium \(Spot\)/);
            near(nodes.monthly, 2 * AWAKE * 0.0416 * (1 - 0.65), "t3.medium's price, not t3a.medium's 0.0376");
            assert.match(nodes.note, /any of t3a.medium, t3.medium, priced at the dearest/);
            const unpriced = run([schedule(), res("aws:eks/nodeGroup:NodeGroup", "n", { capacityType: "SPOT", instanceTypes: ["t3.medium", "m5.large"], scalingConfig: { desiredSize: 1, minSize: 0, maxSize: 1 } })]);
            assert.match(unpriced.notPriced.map((u) => u.reason).join(), /m5.large/);
        });

        it("take the instance type from the launch template when the group names none, and price Spot at the assumed discount", () => {
            const lt = res("aws:ec2/launchTemplate:LaunchTemplate", "lt", { instanceType: "t3.large" });
            const e = run([schedule(), res("aws:eks/nodeGroup:NodeGroup", "n", { capacityType: "SPOT", scalingConfig: { desiredSize: 1, minSize: 0, maxSize: 1 }, launchTemplate: { name: "lt" } }), { ...lt, state: { name: "lt" } }]);
            near(only(e, /^EKS nodes: 1 × t3.large \(Spot\)/).monthly, AWAKE * 0.0832 * (1 - 0.65), "spot");
        });

        it("bill root disks only while nodes are up; EKS's default 20 GB gp2 without a launch template disk", () => {
            const e = run([schedule(), ng({ scalingConfig: { desiredSize: 2, minSize: 0, maxSize: 2 } })]);
            const disks = only(e, /^EKS node root disks: 20 GB gp2/);
            near(disks.monthly, (20 * 2 * AWAKE * 0.10) / 730, "gp2 awake"); // 0.6667
            near(disks.alwaysOnMonthly, 20 * 2 * 0.10, "always on"); // 4.00
        });

        it("list an instance type the price file lacks as not priced", () => {
            const e = run([ng({ instanceTypes: ["m7g.large"], scalingConfig: { desiredSize: 1, maxSize: 1 } })]);
            assert.equal(e.lines.length, 0);
            assert.match(e.notPriced[0].reason, /no price for instance type m7g.large/);
        });
    });

    describe("NAT and public addresses", () => {
        it("a NAT gateway bills its hours and the assumed data; its Elastic IP bills on its own line", () => {
            const e = run([res("aws:ec2/eip:Eip", "ip", {}), res("aws:ec2/natGateway:NatGateway", "gw", { allocationId: "ip-id" })], { natGbPerMonth: 20 });
            near(only(e, /^NAT gateway/).monthly, 730 * 0.045 + 20 * 0.045, "gw"); // 33.75
            const ip = only(e, /^Public IPv4 address \(Elastic IP\)/);
            near(ip.monthly, 3.65, "ip");
            assert.match(ip.note, /NAT gateway gw/);
        });

        it("three gateways, three addresses: the gateway-per-az layout", () => {
            const graph = [0, 1, 2].flatMap((k) => [res("aws:ec2/eip:Eip", `ip${k}`, {}), res("aws:ec2/natGateway:NatGateway", `gw${k}`, { allocationId: `ip${k}-id` })]);
            near(run(graph, { natGbPerMonth: 0 }).total, 3 * (32.85 + 3.65), "per-az"); // 109.50
        });

        it("a NAT instance bills its hours and its disk, all day", () => {
            const e = run([schedule("s", "rate(1 day)"), res("aws:ec2/instance:Instance", "nat", { instanceType: "t4g.nano", sourceDestCheck: false, rootBlockDevice: { volumeSize: 8, volumeType: "gp3" } })]);
            near(only(e, /^EC2 instance t4g.nano \(NAT instance\)/).monthly, 730 * 0.0042, "instance"); // 3.066
            near(only(e, /^EC2 root disk 8 GB gp3/).monthly, 0.64, "disk");
        });
    });

    describe("the Airflow UI's load balancer", () => {
        const sg = (tags: Record<string, string>) => res("aws:ec2/securityGroup:SecurityGroup", "alb-sg", { vpcId: "vpc-1", tags });
        const publicSubnet = (az: string) => res("aws:ec2/subnet:Subnet", `public-${az}`, { vpcId: "vpc-1", availabilityZone: az, tags: { "kubernetes.io/role/elb": "1" } });

        it("is found by its security group's tag, and nothing else is", () => {
            assert.deepEqual(findUiLoadBalancerSecurityGroups([sg({ "data-platform:role": "airflow-ui-alb" }), sg({ Name: "other" })]).map((r) => r.inputs.tags), [{ "data-platform:role": "airflow-ui-alb" }]);
            assert.deepEqual(run([sg({ Name: "nodes" })]).lines, []);
        });

        it("bills its hours, its assumed LCUs and one public address per zone it spans", () => {
            const e = run([sg({ "data-platform:role": "airflow-ui-alb" }), ...["us-east-1a", "us-east-1b", "us-east-1c"].map(publicSubnet)], { albLcuPerHour: 0.2 });
            near(only(e, /^Application Load Balancer \(Airflow UI Ingress\)/).monthly, 730 * (0.0225 + 0.2 * 0.008), "alb"); // 17.593
            near(only(e, /^Public IPv4 addresses of the ALB \(3 zones\)/).monthly, 3 * 3.65, "ips"); // 10.95
        });

        it("assumes the minimum of two zones when no public subnet is tagged", () => {
            near(only(run([sg({ "data-platform:role": "airflow-ui-alb" })]), /^Public IPv4 addresses of the ALB \(2 zones\)/).monthly, 7.3, "two");
        });
    });

    describe("RDS", () => {
        const db = (inputs: Record<string, any>) => res("aws:rds/instance:Instance", "db", { engine: "postgres", instanceClass: "db.t3.micro", allocatedStorage: 20, ...inputs });

        it("Single-AZ bills $0.018 an hour while started and $0.115 per GB-month always", () => {
            const e = run([schedule(), db({ multiAz: false })]);
            near(only(e, /^RDS db.t3.micro Single-AZ/).monthly, AWAKE * 0.018, "hours"); // 2.19
            near(only(e, /^RDS storage/).monthly, 20 * 0.115, "storage"); // 2.30
            near(only(e, /^RDS storage/).alwaysOnMonthly, 2.3, "storage bills stopped too");
        });

        it("Multi-AZ doubles both", () => {
            const e = run([schedule(), db({ multiAz: true })]);
            near(only(e, /^RDS db.t3.micro Multi-AZ/).alwaysOnMonthly, 26.28, "always on");
            near(only(e, /^RDS storage/).monthly, 4.6, "storage");
        });

        it("lists a class or engine without a price as not priced", () => {
            assert.match(run([db({ instanceClass: "db.t3.small" })]).notPriced[0].reason, /no price for postgres db.t3.small Single-AZ/);
            assert.match(run([db({ engine: "mysql" })]).notPriced[0].reason, /no price for mysql/);
        });
    });

    describe("OpenSearch", () => {
        const domain = (count: number, gb: number, zoneAware: boolean) => res("aws:opensearch/domain:Domain", "search", {
            clusterConfig: { instanceType: "t3.small.search", instanceCount: count, zoneAwarenessEnabled: zoneAware },
            ebsOptions: { ebsEnabled: true, volumeType: "gp3", volumeSize: gb },
        });

        it("bills every node all day, even when the platform sleeps: one node with 10 GB is $27.50", () => {
            const e = run([schedule(), domain(1, 10, false)]);
            near(e.total, 26.28 + 1.22, "one node");
            near(e.saving, 0, "cannot be paused");
        });

        it("two zone-aware nodes with 20 GB each are $57.44", () => {
            near(run([domain(2, 20, true)]).total, 52.56 + 4.88, "two nodes");
        });
    });

    describe("keys, secrets, parameters", () => {
        it("a KMS key is $1 a month; a secret $0.40 plus its API calls; a standard parameter is free", () => {
            const e = run([res("aws:kms/key:Key", "k", { enableKeyRotation: true }), res("aws:secretsmanager/secret:Secret", "s", {}), res("aws:ssm/parameter:Parameter", "p", { type: "String", value: "4" })], { secretApiCallsPerMonth: 10000 });
            near(only(e, /^KMS key/).monthly, 1, "key");
            near(only(e, /^Secrets Manager secret/).monthly, 0.40 + 0.05, "secret");
            assert.deepEqual(e.free.map((f) => f.type), ["aws:ssm/parameter:Parameter"]);
            assert.match(run([res("aws:ssm/parameter:Parameter", "p", { tier: "Advanced" })]).notPriced[0].reason, /Advanced/);
        });
    });

    describe("CloudWatch", () => {
        it("a log group bills its assumed ingestion and what its retention keeps", () => {
            const e = run([res("aws:cloudwatch/logGroup:LogGroup", "g", { name: "/aws/lambda/f", retentionInDays: 14 })], { logGbPerMonthPerGroup: 1 });
            near(only(e, /^CloudWatch log group \/aws\/lambda\/f/).monthly, 1 * 0.5 + (1 / (730 / 24)) * 14 * 0.03, "group");
        });

        it("an alarm is $0.10 per metric, $0.30 at high resolution", () => {
            near(only(run([res("aws:cloudwatch/metricAlarm:MetricAlarm", "a", { period: 300, metricName: "Errors" })]), /^CloudWatch alarm$/).monthly, 0.10, "standard");
            near(only(run([res("aws:cloudwatch/metricAlarm:MetricAlarm", "a", { period: 10 })]), /high resolution/).monthly, 0.30, "high");
            const expr = res("aws:cloudwatch/metricAlarm:MetricAlarm", "a", { metricQueries: [{ id: "m1", metric: { period: 60 } }, { id: "m2", metric: { period: 60 } }, { id: "e", expression: "m1+m2" }] });
            near(only(run([expr]), /^CloudWatch alarm$/).monthly, 0.20, "two metrics");
        });
    });

    describe("storage services", () => {
        it("S3 is $0.023 and ECR $0.10 per GB-month of the assumed sizes", () => {
            const e = run([res("aws:s3/bucket:Bucket", "b", {}), res("aws:ecr/repository:Repository", "r", {})], { s3GbPerBucket: 10, ecrGbPerRepository: 3 });
            near(only(e, /^S3/).monthly, 0.23, "s3");
            near(only(e, /^ECR/).monthly, 0.30, "ecr");
        });
    });

    describe("serverless", () => {
        it("Lambda inside the always-free tier costs nothing", () => {
            const e = run([res("aws:lambda/function:Function", "f1", { memorySize: 256 }), res("aws:lambda/function:Function", "f2", {})]);
            const l = only(e, /^Lambda functions \(2\)/);
            assert.equal(l.monthly, 0);
            assert.deepEqual(l.resources, ["f1", "f2"]);
        });

        it("Lambda beyond the free tier bills requests and GB-seconds over the allowance", () => {
            // 2M invocations × 1 s × 1 GB: 1M billable requests ($0.20) and 1.6M billable GB-s × $0.0000166667.
            const e = run([res("aws:lambda/function:Function", "f", { memorySize: 1024 })], { lambdaInvocationsPerMonth: 2_000_000, lambdaAverageSeconds: 1 });
            near(only(e, /^Lambda/).monthly, 0.2 + 1_600_000 * 0.0000166667, "lambda"); // 26.8667
        });

        it("Lambda counts a function's invocations from the schedules that target it", () => {
            // A watcher every 5 minutes (8,760 a month) and a daily wake (30.4): 8,790 invocations × 5 s × 0.25 GB.
            const fnArn = "arn:aws:lambda:us-east-1:1:function:watch";
            const e = run([
                res("aws:lambda/function:Function", "watch", { memorySize: 256 }, { state: { arn: fnArn } }),
                res("aws:scheduler/schedule:Schedule", "every-5", { scheduleExpression: "rate(5 minutes)", target: { arn: fnArn } }),
                res("aws:scheduler/schedule:Schedule", "daily", { scheduleExpression: "cron(0 0 * * ? *)", scheduleExpressionTimezone: "UTC", target: { arn: fnArn } }),
            ]);
            const l = only(e, /^Lambda functions \(1\)/);
            near(l.quantity, 8760 + 730 / 24, "invocations");
            assert.match(l.note, /watch 8790 \(from its schedules\)/);
            assert.equal(l.monthly, 0);
        });

        it("schedules are free up to 14M invocations; rate() counted exactly, cron() as daily", () => {
            near(schedulePerMonth("rate(5 minutes)", H), 8760, "rate");
            near(schedulePerMonth("rate(1 hour)", H), 730, "hourly");
            near(schedulePerMonth("cron(0 0 * * ? *)", H), 730 / 24, "cron");
            const e = run([schedule("a", "rate(1 minute)"), schedule("b")]);
            const l = only(e, /^EventBridge Scheduler schedules \(2\)/);
            near(l.quantity, Math.round(43800 + 730 / 24), "invocations");
            assert.equal(l.monthly, 0);
        });

        it("SQS bills $0.40 per million requests; SNS e-mail alarms stay inside the free tier", () => {
            const e = run([res("aws:sqs/queue:Queue", "dlq", {}), res("aws:sns/topic:Topic", "t", {}), res("aws:sns/topicSubscription:TopicSubscription", "sub", { protocol: "email", topic: "t-id", endpoint: "ops@example.com" })], { sqsRequestsPerMonth: 1_000_000 });
            near(only(e, /^SQS queue/).monthly, 0.40, "sqs");
            const sns = only(e, /^SNS topic/);
            assert.equal(sns.monthly, 0);
            assert.match(sns.note, /1 e-mail subscription/);
        });

        it("an on-demand DynamoDB table bills $0.625 per million writes and $0.125 per million reads; a provisioned one is not priced", () => {
            const e = run([res("aws:dynamodb/table:Table", "lease", { billingMode: "PAY_PER_REQUEST" }), res("aws:dynamodb/table:Table", "big", { billingMode: "PROVISIONED" })], { dynamodbWritesPerMonth: 2_000_000, dynamodbReadsPerMonth: 4_000_000 });
            near(only(e, /^DynamoDB table \(on-demand\)/).monthly, 2 * 0.625 + 4 * 0.125, "dynamodb");
            assert.deepEqual(e.notPriced.map((u) => u.resource), ["big"]);
        });
    });

    describe("outside Pulumi", () => {
        it("a Kubernetes Service of type LoadBalancer is flagged as not priced; other Kubernetes objects are free", () => {
            const e = run([res("kubernetes:core/v1:Service", "lb", { spec: { type: "LoadBalancer" } }), res("kubernetes:core/v1:Namespace", "ns", {})]);
            assert.match(e.notPriced[0].reason, /LoadBalancer/);
            assert.deepEqual(e.free.map((f) => f.resource), ["ns"]);
        });
    });
});

describe("cost report", () => {
    const e = run([schedule(), res("aws:eks/cluster:Cluster", "eks", { upgradePolicy: { supportType: "STANDARD" } }), res("aws:eks/nodeGroup:NodeGroup", "nodes", { instanceTypes: ["t3.medium"], scalingConfig: { desiredSize: 4, minSize: 0, maxSize: 4 } }), res("aws:glue/job:Job", "t", {}), res("aws:ec2/vpc:Vpc", "v", {})]);

    it("prints one line per item, dearest first, then the total, the always-on figure and the saving", () => {
        const text = renderEstimate(e, { stack: "prod" });
        assert.match(text[0], /^Monthly estimate for prod \(us-east-1 on-demand prices of 2026-11-25 to 2026-12-03; awake 121\.7 of 730 h\):$/);
        assert.match(text[1], /^\s+\$73\.00  EKS control plane \(standard support\)  \[eks\]/);
        assert.match(text[2], /^\s+\$20\.25  EKS nodes: 4 × t3\.medium \(always on \$121\.47\)  \[nodes\]/);
        const total = text.find((l) => /total a month$/.test(l))!;
        assert.match(total, new RegExp(`\\$${e.total.toFixed(2)}  total a month`));
        assert.ok(text.some((l) => new RegExp(`\\$${e.alwaysOn.toFixed(2)}  the same platform if it never slept`).test(l)));
        assert.ok(text.some((l) => /saved by sleeping \(\d+%\)/.test(l)));
        assert.ok(text.some((l) => /aws:glue\/job:Job  t: type unknown to the cost model/.test(l)));
        assert.ok(text.includes("Free (1 resources of 1 types, no charge of their own):"));
        assert.ok(text.includes("    1  aws:ec2/vpc:Vpc"), "one type a line");
        assert.ok(text.includes("Assumptions:"));
    });

    it("prints the bench line as `<stack> ... $N`", () => {
        assert.match(benchLine("staging", e, 1.234), /^staging \.\.\. \$\d+\.\d\d a month \(always on \$\d+\.\d\d; sleeping saves \$\d+\.\d\d; 1 not priced; planned in 1\.2 s\)$/);
    });
});

describe("price file", () => {
    it("gives every price a unit, a date and a known source; the reference's figures are there", () => {
        for (const [key, p] of Object.entries(prices.prices)) {
            assert.match(p.date, /^\d{4}-\d{2}-\d{2}$/, key);
            assert.ok(p.sources.every((s) => prices.sources[s]), key);
        }
        assert.equal(prices.prices["eks.cluster.standard"].usd, 0.10);
        assert.equal(prices.prices["ec2.t3.medium"].usd, 0.0416);
        assert.equal(prices.prices["vpc.publicIpv4"].usd, 0.005);
        assert.equal(prices.prices["opensearch.t3.small.search"].usd, 0.036);
        assert.match(prices.sources.S3, /infracost/);
    });

    it("refuses a file with an undated or unsourced price", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "prices-"));
        const file = path.join(dir, "p.json");
        fs.writeFileSync(file, JSON.stringify({ ...prices, prices: { x: { usd: 1, unit: "h", date: "late 2026", sources: ["NOPE"] } } }));
        assert.throws(() => readPriceFile(file), /x: date must be YYYY-MM-DD[\s\S]*x: unknown source NOPE/);
    });
});

describe("cost of the stacks as evaluated today", () => {
    for (const stack of STACKS) {
        it(`${stack}: every resource is priced or free, and the lines match the stack's choices`, async () => {
            const e = await stackEvaluation(stack);
            const est = estimate(e.resources, { awakeHoursPerDay: 4 }, prices);
            assert.deepEqual(est.notPriced, [], "every type is known");
            only(est, /^EC2 instance t4g\.nano \(NAT instance\)/);
            if (stack === "prod") {
                assert.match(only(est, /^OpenSearch data nodes/).item, /1 × t3\.small\.search$/);
                only(est, /^RDS db\.t3\.micro Multi-AZ/);
                only(est, /^Application Load Balancer/);
            } else {
                // Both convenience switches off: no search domain, no public load balancer.
                assert.equal(est.lines.filter((l) => /^OpenSearch|Application Load Balancer/.test(l.item)).length, 0);
                only(est, /^RDS db\.t3\.micro Single-AZ/);
            }
        });
    }
});

describe("cost: prod at most $150 a month, staging at most $120, at their expected awake hours", () => {
    const at = async (stack: string, overrides: Record<string, string | boolean | string[]> = {}) =>
        estimateOf(await stackEvaluation(stack, overrides));

    it("staging as configured is under $120, at its expected awake hours", async () => {
        const est = await at("staging");
        assert.ok(est.total <= 120, `staging $${est.total.toFixed(2)}`);
        assert.ok(est.sleeps);
    });

    it("prod as configured is at most $150, with every part of the design in it (search, the UI's load balancer, Multi-AZ)", async () => {
        const est = await at("prod");
        assert.ok(est.total <= 150, `prod $${est.total.toFixed(2)}`);
        assert.ok(est.sleeps);
        for (const part of [/^OpenSearch data nodes/, /^Application Load Balancer \(Airflow UI Ingress\)/, /^RDS .* Multi-AZ/, /^EKS control-plane logs \(api, audit, authenticator\)/]) {
            assert.ok(est.lines.some((l) => part.test(l.item)), `prod lacks ${part}`);
        }
        assert.ok(est.alwaysOn - est.total > 60, "sleeping saves more than $60 a month");
    });

    it("prod without its four levers is over $150: each lever is needed, none is decoration", async () => {
        const without = await at("prod", {
            "data-platform:uiLoadBalancerZones": ["us-east-1a", "us-east-1b", "us-east-1c"],
            "data-platform:sharedKmsKey": false,
            "data-platform:nodeCapacityType": "ON_DEMAND",
            "data-platform:nodeSpotAlternativeTypes": [],
            "data-platform:controlPlaneLogClass": "STANDARD",
        });
        const est = await at("prod");
        // 3.65 (an address) + 3 (three keys) + 6.58 (Spot) + 1.90 (Infrequent Access) = 15.13.
        assert.ok(Math.abs(without.total - est.total - 15.13) < 0.02, `levers worth $${(without.total - est.total).toFixed(2)}`);
        assert.ok(without.total > 150);
    });

    it("each staging switch shows its price: the search domain and the UI load balancer, both settings", async () => {
        const base = await at("staging");
        const withSearch = await at("staging", { "data-platform:logSearch": true });
        const withUi = await at("staging", {
            "data-platform:uiCertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000",
            "data-platform:uiAllowedCidrs": ["203.0.113.0/24"],
        });
        const search = withSearch.total - base.total;
        const ui = withUi.total - base.total;
        assert.ok(search > 25 && search < 35, `search domain $${search.toFixed(2)}`);
        assert.ok(ui > 25 && ui < 35, `UI load balancer $${ui.toFixed(2)}`);
        assert.ok(withSearch.lines.some((l) => /^OpenSearch data nodes/.test(l.item)));
        assert.ok(withUi.lines.some((l) => /^Application Load Balancer/.test(l.item)));
    });
});

describe("npm run prices: reading the Price List API's answer", () => {
    // GetProducts answers in the documented shape, written by hand (no credentials here to record real ones).
    const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "tests", "fixtures", "pricing-get-products.json"), "utf8"));

    it("asks for on-demand Linux shared-tenancy capacity for an EC2 type, and passes explicit filters through", () => {
        const ec2 = productsRequest({ ec2InstanceType: "t3.medium" });
        assert.equal(ec2.ServiceCode, "AmazonEC2");
        assert.equal(ec2.unit, "Hrs");
        assert.deepEqual(ec2.Filters.find((f) => f.Field === "instanceType"), { Type: "TERM_MATCH", Field: "instanceType", Value: "t3.medium" });
        assert.ok(ec2.Filters.some((f) => f.Field === "capacitystatus" && f.Value === "Used"));
        const nat = productsRequest(prices.prices["vpc.natGateway.hour"].query as PriceQuery);
        assert.deepEqual(nat.Filters.find((f) => f.Field === "usagetype"), { Type: "CONTAINS", Field: "usagetype", Value: "NatGateway-Hours" });
        assert.equal(nat.FormatVersion, "aws_v1");
    });

    it("builds a request for every price the file can refresh", () => {
        const refreshable = Object.entries(prices.prices).filter(([, p]) => p.query);
        assert.ok(refreshable.length >= 30, `${refreshable.length} refreshable`);
        for (const [key, p] of refreshable) assert.ok(productsRequest(p.query as PriceQuery).ServiceCode, key);
        for (const [key, p] of Object.entries(prices.prices).filter(([, e]) => e.kind)) assert.equal(p.query, undefined, `${key} is not a price`);
    });

    it("takes the on-demand price, not a reservation's, from a PriceList of JSON strings", () => {
        const found = pickOnDemandPrice(fixture["ec2-t3-medium"].PriceList, { unit: "Hrs" });
        assert.equal(found.usd, 0.0416);
        assert.equal(found.sku, "ABCDEFGHJKLMNPQR");
        assert.equal(found.publicationDate, "2026-11-15T00:00:00Z");
    });

    it("takes the first tier of a tiered price", () => {
        assert.equal(pickOnDemandPrice(fixture["s3-standard-tiered"].PriceList, { unit: "GB-Mo" }).usd, 0.023);
    });

    it("refuses to guess: no product, the wrong unit, or products that disagree", () => {
        assert.throws(() => pickOnDemandPrice(fixture.empty.PriceList), /no on-demand price among 0 product/);
        assert.throws(() => pickOnDemandPrice(fixture["ec2-t3-medium"].PriceList, { unit: "GB-Mo" }), /no on-demand price in GB-Mo/);
        assert.throws(() => pickOnDemandPrice(fixture["ambiguous-two-products"].PriceList, { unit: "Hrs" }), /2 different prices matched[\s\S]*NATHOURSSKU00001 \$0\.045[\s\S]*NATREGIONAL00001 \$0\.06/);
    });

    it("writes the refreshed price scaled to the file's unit, dated and sourced, and the file stays valid", () => {
        const request = productsRequest(prices.prices["lambda.requestMillion"].query as PriceQuery);
        const found = pickOnDemandPrice(fixture["lambda-requests"].PriceList, { unit: request.unit });
        const updated = withPrice(prices, "lambda.requestMillion", found, request.scale, "2027-01-02");
        assert.equal(updated.prices["lambda.requestMillion"].usd, 0.2);
        assert.equal(updated.prices["lambda.requestMillion"].date, "2027-01-02");
        assert.deepEqual(updated.prices["lambda.requestMillion"].sources, ["PL"]);
        assert.match(updated.sources.PL, /GetProducts/);
        assert.equal(updated.prices["ec2.t3.medium"], prices.prices["ec2.t3.medium"], "other entries untouched");
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "prices-")), "p.json");
        fs.writeFileSync(file, JSON.stringify(updated));
        assert.equal(readPriceFile(file).prices["lambda.requestMillion"].usd, 0.2);
    });
});
