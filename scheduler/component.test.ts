// The NightlyScheduler under mocks, built by a small program with each stack's config and fake
// inputs: schedules (expressions, time zone, retry policy, dead-letter queue), functions (runtime,
// concurrency, VPC placement, bundle), IAM on exact ARNs with no wildcard on a mutating action,
// alarms, and no secret in any function's code or plain environment.

import { strict as assert } from "assert";
import { builtinModules } from "module";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import type { Evaluation } from "../offline/evaluate";
import type { RecordedResource } from "../offline/mocks";
import { ACCOUNT_ID } from "../offline/mocks";
import { isReadOnly } from "./policies";
import { FIRST_DEPLOY_KEEP_AWAKE_HOURS, powerSettings } from "./power";
import type { PolicyDocument, PolicyStatement } from "../core/policies";
import { parseConfig } from "../config/config";
import { LAMBDA_RUNTIME, METRICS_NAMESPACE, SCHEDULED_TIME, SDK_PACKAGES } from "./component";
import { deploymentPackage, FAKE, schedulerProgram } from "../tests/power-program";
import { evaluateOnce, STACKS } from "../tests/stacks";

const T = {
    table: "aws:dynamodb/table:Table",
    fn: "aws:lambda/function:Function",
    schedule: "aws:scheduler/schedule:Schedule",
    role: "aws:iam/role:Role",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    attachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    queue: "aws:sqs/queue:Queue",
    topic: "aws:sns/topic:Topic",
    subscription: "aws:sns/topicSubscription:TopicSubscription",
    alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
    parameter: "aws:ssm/parameter:Parameter",
    sg: "aws:ec2/securityGroup:SecurityGroup",
    egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
    key: "aws:kms/key:Key",
} as const;

const statements = (policy: string): PolicyStatement[] => (JSON.parse(policy) as PolicyDocument).Statement as PolicyStatement[];
const list = <T>(x: T | readonly T[] | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? [...x] : [x as T]);
/** Every (action, resource) an allow-policy grants. */
const grants = (policy: string) => statements(policy).flatMap((s) => list(s.Action).flatMap((a) => list(s.Resource).map((r) => ({ action: a, resource: r, condition: s.Condition }))));

for (const stack of STACKS) {
    describe(`NightlyScheduler under mocks: stack ${stack}`, () => {
        let e: Evaluation;
        let name: string;
        let logRetentionDays: number;
        let nodeCount: number;
        const one = (type: string, part: string): RecordedResource => e.get(type, `${name}-${part}`);

        before(async () => {
            e = await evaluateOnce({ stack, program: schedulerProgram() });
            const cfg = parseConfig(e.config.values, e.config);
            name = `data-platform-${stack}-scheduler`;
            logRetentionDays = cfg.logRetentionDays;
            nodeCount = cfg.cluster.nodeCount;
        });

        it("is one component whose every resource is its child, named after it", () => {
            const [component] = e.ofType("data-platform:index:NightlyScheduler");
            assert.equal(component.name, name);
            const children = e.childrenOf(component);
            assert.ok(children.length >= 25, `${children.length} children`);
            for (const r of children) assert.ok(r.name.startsWith(`${name}-`), r.name);
            assert.equal(e.resources.filter((r) => r.custom && !r.type.startsWith("pulumi:providers:")).length, children.length);
        });

        describe("schedules", () => {
            it("nodes at 23:30 for the runs due at 00:00, the metastore 30 minutes before them, in America/Los_Angeles; watch every 10 minutes", () => {
                const expected: Record<string, [string, string, string]> = {
                    "db-start": ["cron(0 23 * * ? *)", "db-start", "wake"],
                    wake: ["cron(30 23 * * ? *)", "wake", "wake"],
                    watch: ["rate(10 minutes)", "watch", "watch"],
                };
                assert.equal(e.ofType(T.schedule).length, 3);
                for (const [part, [expression, kind, fn]] of Object.entries(expected)) {
                    const s = one(T.schedule, part);
                    assert.equal(s.inputs.scheduleExpression, expression);
                    assert.equal(s.inputs.scheduleExpressionTimezone, "America/Los_Angeles");
                    assert.deepEqual(s.inputs.flexibleTimeWindow, { mode: "OFF" });
                    assert.equal(s.inputs.target.arn, one(T.fn, fn).state.arn);
                    // The exact input each invocation carries; Scheduler substitutes the scheduled time.
                    assert.deepEqual(JSON.parse(s.inputs.target.input), { kind, scheduledAt: SCHEDULED_TIME });
                    assert.equal(s.inputs.target.roleArn, one(T.role, "scheduler-role").state.arn);
                }
            });

            it("retry briefly and dead-letter what cannot be delivered", () => {
                const dlq = one(T.queue, "dlq");
                assert.equal(dlq.inputs.messageRetentionSeconds, 14 * 24 * 3600);
                assert.equal(dlq.inputs.sqsManagedSseEnabled, true);
                const retries: Record<string, [number, number]> = { "db-start": [3, 1800], wake: [3, 3600], watch: [1, 600] };
                for (const [part, [attempts, age]] of Object.entries(retries)) {
                    const target = one(T.schedule, part).inputs.target;
                    assert.deepEqual(target.retryPolicy, { maximumRetryAttempts: attempts, maximumEventAgeInSeconds: age });
                    assert.deepEqual(target.deadLetterConfig, { arn: dlq.state.arn });
                }
            });

            it("the scheduler's role is assumable by this account's Scheduler only and may invoke the two functions and dead-letter", () => {
                const role = one(T.role, "scheduler-role");
                const trust = statements(role.inputs.assumeRolePolicy);
                assert.deepEqual(trust[0].Principal, { Service: "scheduler.amazonaws.com" });
                assert.deepEqual(trust[0].Condition, { StringEquals: { "aws:SourceAccount": ACCOUNT_ID } });
                const policy = e.ofType(T.rolePolicy).find((p) => p.inputs.role === role.state.name)!;
                assert.deepEqual(grants(policy.inputs.policy).map((g) => `${g.action} ${g.resource}`).sort(), [
                    `lambda:InvokeFunction ${one(T.fn, "wake").state.arn}`,
                    `lambda:InvokeFunction ${one(T.fn, "watch").state.arn}`,
                    `sqs:SendMessage ${one(T.queue, "dlq").state.arn}`,
                ].sort());
            });
        });

        describe("functions", () => {
            it(`run on ${LAMBDA_RUNTIME}, unreserved (new accounts cannot spare a reservation), the handler of the serialized closure, and their own log groups`, () => {
                assert.equal(LAMBDA_RUNTIME, "nodejs22.x");
                assert.equal(e.ofType(T.fn).length, 2);
                for (const part of ["wake", "watch"]) {
                    const fn = one(T.fn, part);
                    assert.equal(fn.inputs.runtime, "nodejs22.x");
                    assert.equal(fn.inputs.reservedConcurrentExecutions, undefined);
                    // Scheduler invokes asynchronously: an error inside the function lands here, not in the schedule's DLQ.
                    assert.deepEqual(fn.inputs.deadLetterConfig, { targetArn: one(T.queue, "dlq").state.arn });
                    assert.equal(fn.inputs.handler, "__index.handler");
                    assert.equal(fn.inputs.role, one(T.role, `${part}-role`).state.arn);
                    const logs = one(T.logGroup, `${part}-logs`);
                    assert.equal(logs.inputs.name, `/aws/lambda/${fn.inputs.name}`);
                    assert.equal(logs.inputs.retentionInDays, logRetentionDays);
                    assert.deepEqual(fn.inputs.loggingConfig, { logFormat: "Text", logGroup: logs.inputs.name });
                }
                assert.ok(one(T.fn, "wake").inputs.timeout > one(T.fn, "watch").inputs.timeout);
            });

            it("only the watcher (the one that reads the database) runs in the VPC, in the private subnets, behind its own group", () => {
                assert.equal(one(T.fn, "wake").inputs.vpcConfig, undefined);
                const watch = one(T.fn, "watch");
                const sg = one(T.sg, "watch-sg");
                assert.deepEqual(watch.inputs.vpcConfig.subnetIds, [...FAKE.privateSubnetIds]);
                assert.deepEqual(watch.inputs.vpcConfig.securityGroupIds, [sg.id]);
                assert.equal(sg.inputs.vpcId, FAKE.vpcId);
                assert.equal(sg.inputs.ingress, undefined);
                assert.deepEqual(e.ofType(T.ingress).filter((r) => r.inputs.securityGroupId === sg.id), []);
                const egress = e.ofType(T.egress).filter((r) => r.inputs.securityGroupId === sg.id)
                    .map((r) => `${r.inputs.ipProtocol}/${r.inputs.fromPort}-${r.inputs.toPort} ${r.inputs.referencedSecurityGroupId ?? r.inputs.cidrIpv4}`).sort();
                // PostgreSQL to the metastore only; HTTPS to AWS's APIs through NAT.
                assert.deepEqual(egress, [`tcp/443-443 0.0.0.0/0`, `tcp/5432-5432 ${FAKE.dbSecurityGroupId}`]);
            });

            it("bundle pg and its dependencies, not the AWS SDK (the runtime provides it) and not Pulumi", async () => {
                // Every SDK client the project depends on is left out (the ELBv2 one serves the operator's teardown only).
                assert.deepEqual([...SDK_PACKAGES].sort(), ["@aws-sdk/client-cloudwatch", "@aws-sdk/client-dynamodb", "@aws-sdk/client-ec2", "@aws-sdk/client-eks",
                    "@aws-sdk/client-elastic-load-balancing-v2", "@aws-sdk/client-rds", "@aws-sdk/client-s3", "@aws-sdk/client-sns", "@aws-sdk/client-ssm"]);
                for (const part of ["wake", "watch"]) {
                    const pkg = await deploymentPackage(one(T.fn, part).inputs.code);
                    const modules = Object.keys(pkg.modules);
                    assert.ok(modules.includes("node_modules/pg"), modules.join(", "));
                    assert.ok(modules.includes("node_modules/pg-protocol"));
                    assert.deepEqual(modules.filter((m) => /@aws-sdk|@smithy|@aws-crypto|@pulumi|@grpc|protobuf/.test(m)), []);
                    // The SDK is required inside function bodies only: no top-level require in the closure file
                    // but of Node's own modules (https and crypto for the watcher's Kubernetes API calls).
                    assert.match(pkg.index, /require\("@aws-sdk\/client-eks"\)/);
                    const topLevel = pkg.index.split("\n").filter((l) => /^\S.*require\(/.test(l)).map((l) => /require\("([^"]+)"\)/.exec(l)?.[1]);
                    assert.deepEqual(topLevel.filter((m) => m === undefined || !builtinModules.includes(m)), []);
                    assert.match(pkg.index, /^exports\.handler = /m);
                }
            });

            it("carry names and settings in POWER_CONTEXT, and the database parameter's name only for the watcher", () => {
                const wake = JSON.parse(one(T.fn, "wake").inputs.environment.variables.POWER_CONTEXT);
                const watch = JSON.parse(one(T.fn, "watch").inputs.environment.variables.POWER_CONTEXT);
                const { retry: _w, lease: wakeLease, ...wakeRest } = wake;
                const { retry: _v, lease: watchLease, databaseParameter: _d, readFlux, ...watchRest } = watch;
                assert.deepEqual(wakeRest, watchRest);
                // One lease table; each function's lease outlives its timeout (wake 900 s, watch 300 s).
                assert.equal(wakeLease.table, one(T.table, "lease").state.name);
                assert.equal(watchLease.table, wakeLease.table);
                assert.deepEqual([wakeLease.ttlSeconds, watchLease.ttlSeconds], [one(T.fn, "wake").inputs.timeout + 60, one(T.fn, "watch").inputs.timeout + 60]);
                assert.equal(readFlux, true);
                assert.equal(wake.readFlux, undefined);
                assert.equal(wake.clusterName, FAKE.clusterName);
                assert.equal(wake.nodeGroupName, FAKE.nodeGroupName);
                assert.equal(wake.dbInstanceIdentifier, FAKE.dbInstanceIdentifier);
                assert.equal(wake.nodeCount, nodeCount);
                assert.equal(wake.metricsNamespace, METRICS_NAMESPACE);
                assert.equal(wake.settings.keepAwakeParameter, `/data-platform-${stack}/power/keep-awake`);
                assert.equal(wake.databaseParameter, undefined);
                assert.equal(watch.databaseParameter, `/data-platform-${stack}/power/database`);
                assert.equal(one(T.fn, "watch").inputs.environment.variables.NODE_EXTRA_CA_CERTS, "/var/runtime/ca-cert.pem");
                // The wake waits out a node-group update for at most 10 minutes, inside its 15-minute timeout.
                assert.ok(wake.retry.maxWaitMs / 1000 < one(T.fn, "wake").inputs.timeout);
                assert.ok(watch.retry.maxWaitMs / 1000 < one(T.fn, "watch").inputs.timeout);
            });
        });

        describe("first deploy", () => {
            it("starts with keep-awake set for six hours, which later updates leave to the operator", () => {
                const flag = one(T.parameter, "keep-awake");
                assert.equal(flag.inputs.name, `/data-platform-${stack}/power/keep-awake`);
                // The provider marks every parameter's value secret; this one holds no secret.
                const raw = flag.inputs.value[specialSigKey] === specialSecretSig ? flag.inputs.value.value : flag.inputs.value;
                const value = JSON.parse(raw) as { until: string; by: string; reason: string };
                assert.deepEqual([value.by, value.reason], ["pulumi up", "first deploy"]);
                // Counted from the deploy's own clock reading (the day the harness evaluates on), not the test's.
                assert.equal(Date.parse(value.until) - e.config.today.getTime(), FIRST_DEPLOY_KEEP_AWAKE_HOURS * 3_600_000);
                assert.deepEqual(flag.options!.ignoreChanges, ["value"]);
            });
        });

        describe("secrets", () => {
            it("the database credential is a SecureString under the component's rotating key, its value marked secret", () => {
                const param = one(T.parameter, "database");
                const key = one(T.key, "key");
                assert.equal(param.inputs.type, "SecureString");
                assert.equal(param.inputs.keyId, key.state.arn);
                assert.equal(key.inputs.enableKeyRotation, true);
                assert.equal(param.inputs.name, `/data-platform-${stack}/power/database`);
                assert.equal(param.inputs.value[specialSigKey], specialSecretSig);
                assert.deepEqual(JSON.parse(param.inputs.value.value), {
                    host: FAKE.dbHost, port: 5432, database: "airflow", username: "airflow_monitor", password: FAKE.password, ssl: "verify-full",
                });
            });

            it("no function's code or plain environment, and no other input anywhere, contains the password", async () => {
                for (const part of ["wake", "watch"]) {
                    const fn = one(T.fn, part);
                    const pkg = await deploymentPackage(fn.inputs.code);
                    assert.ok(!pkg.index.includes(FAKE.password), `${part}'s code holds the password`);
                    assert.ok(!JSON.stringify(fn.inputs.environment).includes(FAKE.password));
                }
                const database = one(T.parameter, "database");
                for (const r of e.resources) {
                    if (r === database) continue;
                    assert.ok(!JSON.stringify(r.inputs, (k, v) => (k === "code" ? undefined : v)).includes(FAKE.password), `${r.type} ${r.name}`);
                }
                assert.ok(!JSON.stringify(await new Promise((resolve) => (e.outputs.powerContext as { apply: (f: (v: unknown) => unknown) => void }).apply(resolve))).includes(FAKE.password));
            });
        });

        describe("least privilege", () => {
            const wakeGrants = () => grants(e.ofType(T.rolePolicy).find((p) => p.name === `${name}-wake-policy`)!.inputs.policy);
            const watchGrants = () => grants(e.ofType(T.rolePolicy).find((p) => p.name === `${name}-watch-policy`)!.inputs.policy);
            const param = (n: string) => `arn:aws:ssm:us-east-1:${ACCOUNT_ID}:parameter/data-platform-${stack}/power/${n}`;

            it("no managed policies: each role has exactly its inline policy", () => {
                assert.deepEqual(e.ofType(T.attachment), []);
                for (const part of ["wake", "watch"]) {
                    const role = one(T.role, `${part}-role`);
                    assert.deepEqual(statements(role.inputs.assumeRolePolicy)[0].Principal, { Service: "lambda.amazonaws.com" });
                    assert.deepEqual(e.ofType(T.rolePolicy).filter((p) => p.inputs.role === role.state.name).map((p) => p.name), [`${name}-${part}-policy`]);
                }
            });

            it("the wake function may scale this node group, start (not stop) this DB instance and set keep-awake (an operator's wake), nothing else", () => {
                const mutating = wakeGrants().filter((g) => !isReadOnly(g.action)).map((g) => `${g.action} ${g.resource}`).sort();
                assert.deepEqual(mutating, [
                    `dynamodb:UpdateItem ${one(T.table, "lease").state.arn}`,
                    `eks:UpdateNodegroupConfig ${FAKE.nodeGroupArn}`,
                    `logs:CreateLogStream ${one(T.logGroup, "wake-logs").state.arn}:*`,
                    `logs:PutLogEvents ${one(T.logGroup, "wake-logs").state.arn}:*`,
                    `rds:StartDBInstance ${FAKE.dbInstanceArn}`,
                    `sqs:SendMessage ${one("aws:sqs/queue:Queue", "dlq").state.arn}`,
                    `ssm:PutParameter ${param("watcher-state")}`,
                    `ssm:PutParameter ${param("keep-awake")}`,
                ].sort());
                assert.ok(!wakeGrants().some((g) => g.resource === param("database") || g.action.startsWith("kms:")));
            });

            it("the watcher may also stop this DB instance, read and decrypt (through SSM) only its credential, and manage its ENIs in this VPC", () => {
                const all = watchGrants();
                assert.ok(all.some((g) => g.action === "rds:StopDBInstance" && g.resource === FAKE.dbInstanceArn));
                // ModifyDBInstance (to apply what pulumi up left pending before a stop): this instance only, the watcher only.
                assert.deepEqual(all.filter((g) => g.action === "rds:ModifyDBInstance").map((g) => g.resource), [FAKE.dbInstanceArn]);
                assert.ok(!wakeGrants().some((g) => g.action === "rds:ModifyDBInstance"));
                // A failed invocation goes to the dead-letter queue, which only these two functions may write.
                assert.ok(all.some((g) => g.action === "sqs:SendMessage" && g.resource === one("aws:sqs/queue:Queue", "dlq").state.arn));
                assert.ok(all.some((g) => g.action === "ssm:GetParameter" && g.resource === param("database")));
                // The cluster's endpoint and CA, for reading Flux's status; only the watcher.
                assert.deepEqual(all.filter((g) => g.action === "eks:DescribeCluster").map((g) => g.resource), [FAKE.clusterArn]);
                assert.ok(!wakeGrants().some((g) => g.action === "eks:DescribeCluster"));
                // Decrypt: the credential through SSM with the scheduler's key; the reports through S3 with the bucket's.
                const decrypt = all.filter((g) => g.action === "kms:Decrypt");
                assert.deepEqual(decrypt.map((g) => [g.resource, g.condition]), [
                    [one(T.key, "key").state.arn, { StringEquals: { "kms:ViaService": "ssm.us-east-1.amazonaws.com", "kms:EncryptionContext:PARAMETER_ARN": param("database") } }],
                    [FAKE.taskLogKeyArn, { StringEquals: { "kms:ViaService": "s3.us-east-1.amazonaws.com" } }],
                ]);
                // Only the watcher's role can read the credential.
                const readers = e.ofType(T.rolePolicy).filter((p) => grants(p.inputs.policy).some((g) => g.resource === param("database")));
                assert.deepEqual(readers.map((p) => p.name), [`${name}-watch-policy`]);
            });

            it("the watcher may keep and read the morning reports under reports/ of the task-log bucket only, and mail them to its own topic", () => {
                const all = watchGrants();
                const bucketArn = `arn:aws:s3:::${FAKE.taskLogBucket}`;
                assert.deepEqual(all.filter((g) => g.action.startsWith("s3:")).map((g) => [g.action, g.resource, g.condition]), [
                    ["s3:GetObject", `${bucketArn}/reports/*`, undefined],
                    ["s3:PutObject", `${bucketArn}/reports/*`, undefined],
                    ["s3:ListBucket", bucketArn, { StringLike: { "s3:prefix": "reports/*" } }],
                ]);
                assert.deepEqual(all.filter((g) => g.action.startsWith("sns:")).map((g) => [g.action, g.resource]), [["sns:Publish", one("aws:sns/topic:Topic", "alarms").state.arn]]);
                assert.ok(!wakeGrants().some((g) => g.action.startsWith("s3:") || g.action.startsWith("sns:")), "the wake function sends no report");
            });

            it("no mutating action on \"*\"; a wildcard on a mutating action only inside this account and region and pinned to this VPC", () => {
                for (const policy of e.ofType(T.rolePolicy)) {
                    for (const g of grants(policy.inputs.policy)) {
                        if (isReadOnly(g.action)) continue;
                        assert.notEqual(g.resource, "*", `${policy.name}: ${g.action} on *`);
                        // The streams of the function's own log group.
                        if (/^arn:aws:logs:us-east-1:\d{12}:log-group:\/aws\/lambda\/[^*]+:\*$/.test(g.resource)) continue;
                        // The morning reports, under their one prefix of the task-log bucket.
                        if (g.resource === `arn:aws:s3:::${FAKE.taskLogBucket}/reports/*`) continue;
                        if (g.resource.includes("*")) {
                            assert.equal(g.resource, `arn:aws:ec2:us-east-1:${ACCOUNT_ID}:*/*`, `${policy.name}: ${g.action} on ${g.resource}`);
                            assert.deepEqual(g.condition, { ArnEqualsIfExists: { "ec2:Vpc": `arn:aws:ec2:us-east-1:${ACCOUNT_ID}:vpc/${FAKE.vpcId}` } });
                            assert.ok(/^ec2:(Create|Delete)NetworkInterface$|^ec2:(Assign|Unassign)PrivateIpAddresses$/.test(g.action), g.action);
                        }
                    }
                }
                // Read-only "*" is only what AWS documents as needing it.
                const readStar = e.ofType(T.rolePolicy).flatMap((p) => grants(p.inputs.policy)).filter((g) => g.resource === "*").map((g) => g.action).sort();
                assert.deepEqual(readStar, ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"]);
            });
        });

        describe("alarms", () => {
            it("function errors, forced sleeps, nodes up after the window, database running while asleep and dead letters go to the topic, and e-mail", () => {
                const topic = one(T.topic, "alarms");
                const expected: Record<string, [string, string, string]> = {
                    "wake-errors": ["AWS/Lambda", "Errors", "notBreaching"],
                    "watch-errors": ["AWS/Lambda", "Errors", "notBreaching"],
                    "forced-sleep": [METRICS_NAMESPACE, "ForcedSleep", "notBreaching"],
                    "nodes-up-after-window": [METRICS_NAMESPACE, "NodesUpAfterWindow", "breaching"],
                    "db-running-while-asleep": [METRICS_NAMESPACE, "DatabaseRunningWhileAsleep", "notBreaching"],
                    "dead-letters": ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "notBreaching"],
                    "flux-not-ready": [METRICS_NAMESPACE, "FluxNotReady", "notBreaching"],
                    "scheduler-down": [METRICS_NAMESPACE, "SchedulerDown", "notBreaching"],
                };
                assert.equal(e.ofType(T.alarm).length, Object.keys(expected).length);
                for (const [part, [namespace, metric, missing]] of Object.entries(expected)) {
                    const a = one(T.alarm, part);
                    assert.equal(a.inputs.namespace, namespace);
                    assert.equal(a.inputs.metricName, metric);
                    assert.equal(a.inputs.treatMissingData, missing);
                    assert.equal(a.inputs.comparisonOperator, "GreaterThanOrEqualToThreshold");
                    assert.equal(a.inputs.threshold, 1);
                    assert.deepEqual(a.inputs.alarmActions, [topic.state.arn]);
                    if (namespace === METRICS_NAMESPACE) assert.deepEqual(a.inputs.dimensions, { Stack: stack });
                }
                assert.deepEqual(one(T.alarm, "wake-errors").inputs.dimensions, { FunctionName: one(T.fn, "wake").state.name });
                assert.deepEqual(one(T.alarm, "dead-letters").inputs.dimensions, { QueueName: one(T.queue, "dlq").state.name });
                // Three 10-minute checks in a row: longer than one HelmRelease attempt (10 minutes).
                const flux = one(T.alarm, "flux-not-ready").inputs;
                assert.deepEqual([flux.statistic, flux.period, flux.evaluationPeriods, flux.datapointsToAlarm], ["Maximum", 600, 3, 3]);
                const down = one(T.alarm, "scheduler-down").inputs;
                assert.deepEqual([down.statistic, down.period, down.evaluationPeriods, down.datapointsToAlarm], ["Maximum", 600, 2, 2]);
                const sub = one(T.subscription, "alarms-email");
                assert.deepEqual([sub.inputs.topic, sub.inputs.protocol, sub.inputs.endpoint], [topic.state.arn, "email", FAKE.alarmEmail]);
            });
        });
    });
}

describe("NightlyScheduler under mocks: options", () => {
    it("without an alarm e-mail there is no subscription; the alarms still go to the topic", async () => {
        const e = await evaluateOnce({ stack: "staging", program: schedulerProgram({ alarmEmail: null }) });
        assert.deepEqual(e.ofType(T.subscription), []);
        assert.equal(e.ofType(T.topic).length, 1);
    });

    it("another wake time and leads move both schedules, in the configured time zone", async () => {
        const e = await evaluateOnce({ stack: "staging", program: schedulerProgram({ settings: (p) => powerSettings(p, { wakeCron: "cron(15 1 * * ? *)", dbLeadMinutes: 45, nodeLeadMinutes: 20, timeZone: "Europe/Paris" }) }) });
        const byName = (part: string) => e.get(T.schedule, `data-platform-staging-scheduler-${part}`).inputs;
        assert.equal(byName("wake").scheduleExpression, "cron(55 0 * * ? *)");
        assert.equal(byName("db-start").scheduleExpression, "cron(10 0 * * ? *)");
        assert.equal(byName("wake").scheduleExpressionTimezone, "Europe/Paris");
    });
});
