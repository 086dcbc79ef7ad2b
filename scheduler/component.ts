import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as handlers from "./handlers";
import { dbStartCron, firstDeployKeepAwake, nodeWakeCron, wakeWindows, type PowerSettings } from "./power";
import { boundedName } from "../core/naming";
import {
    lambdaTrustPolicy, operatorPolicy, parameterArn, schedulerInvokePolicy, schedulerTrustPolicy, wakeFunctionPolicy, watchFunctionPolicy,
} from "./policies";
import { rotatingKey, type KeyRef } from "../core/common";
import { FLUX_STATUS_GROUP } from "../airflow/flux-status";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const packageJson = require("../package.json") as { dependencies?: Record<string, string> };

/** Where the watcher's metrics go (dimension Stack); the alarms read them. */
export const METRICS_NAMESPACE = "DataPlatform/NightlyScheduler";
/** The Lambda runtime, explicit: Node.js 22 (its runtime ships the AWS SDK v3 and the RDS CA bundle). */
export const LAMBDA_RUNTIME = aws.lambda.Runtime.NodeJS22dX;
/** Scheduler fills this in with the instant the invocation was scheduled for. */
export const SCHEDULED_TIME = "<aws.scheduler.scheduled-time>";

/**
 * The AWS SDK v3 clients the project depends on: left out of the bundle, the Node.js 22 runtime has
 * them. Only the rest of the runtime dependencies (pg and its own) are bundled.
 */
export const SDK_PACKAGES = Object.keys(packageJson.dependencies ?? {}).filter((p) => p.startsWith("@aws-sdk/"));

export interface DatabaseConnectionArgs {
    readonly host: pulumi.Input<string>;
    readonly port: number;
    readonly database: string;
    readonly username: string;
    /** A secret Output: it reaches only the encrypted parameter, never code or environment. */
    readonly password: pulumi.Output<string>;
}

export interface NightlySchedulerArgs {
    readonly region: string;
    readonly accountId: pulumi.Input<string>;
    /** Stack name: the metrics' Stack dimension. */
    readonly stack: string;
    /** The stack's one KMS key (sharedKmsKey); unset: the scheduler creates its own for its credential. */
    readonly kmsKey?: KeyRef;
    readonly clusterName: pulumi.Input<string>;
    /** The watcher reads the cluster's endpoint (eks:DescribeCluster) and, through an access entry, Flux's status. */
    readonly clusterArn: pulumi.Input<string>;
    readonly nodeGroupName: pulumi.Input<string>;
    readonly nodeGroupArn: pulumi.Input<string>;
    /** Nodes a wake restores (AirflowCluster.nodeCount). */
    readonly nodeCount: number;
    readonly dbInstanceIdentifier: pulumi.Input<string>;
    readonly dbInstanceArn: pulumi.Input<string>;
    /** The metastore's security group: the watcher's only egress besides HTTPS. */
    readonly dbSecurityGroupId: pulumi.Input<string>;
    readonly database: DatabaseConnectionArgs;
    readonly vpcId: pulumi.Input<string>;
    readonly privateSubnetIds: pulumi.Input<string>[];
    readonly settings: PowerSettings;
    /** Alarm notifications by e-mail (the address must confirm the subscription). */
    readonly alarmEmail?: string;
    readonly logRetentionDays: number;
    /**
     * Reserve one concurrent execution for each function (config powerReservedConcurrency). Off by
     * default: Lambda refuses a reservation that leaves the account fewer than 100 unreserved
     * executions, and new accounts often have a limit of 10 or 50. The lease serialises the functions
     * either way (scheduler/lease.ts). README, One-time account setup: how to check the account.
     */
    readonly reservedConcurrency?: boolean;
    /** When this deploy happens (the first deploy's keep-awake counts from it); the program passes its one clock reading. */
    readonly deployedAt: Date;
    /**
     * The morning report (scheduler/report.ts): kept in this bucket under reports/ (encrypted with its
     * key), mailed through the alarm topic. Unset: no report.
     */
    readonly report?: {
        readonly bucketName: pulumi.Input<string>;
        readonly bucketArn: pulumi.Input<string>;
        readonly keyArn: pulumi.Input<string>;
        /** The log-search domain's endpoint, where log search is on. */
        readonly searchEndpoint?: pulumi.Input<string>;
        /** What a night costs (cost/budget.ts nightCostRates); unset: the report leaves cost out. */
        readonly cost?: { readonly perAwakeHour: number; readonly fixedPerDay: number };
    };
}

const json = (value: unknown) => JSON.stringify(value);

/**
 * Wakes the platform ahead of the configured instant (00:00 Los Angeles by default, when the night's
 * DAG runs are due) with EventBridge Scheduler, the metastore first, and puts it to sleep when Airflow is done: two Lambda functions
 * whose bodies are scheduler/handlers.ts, deciding with scheduler/power.ts. Only the watcher reads the
 * database, so only it runs in the VPC.
 */
export class NightlyScheduler extends pulumi.ComponentResource {
    /** The watcher's security group: grant it with metastore.allowFrom. */
    public readonly watcherSecurityGroupId: pulumi.Output<string>;
    public readonly alarmTopicArn: pulumi.Output<string>;
    public readonly wakeFunctionName: pulumi.Output<string>;
    public readonly watchFunctionName: pulumi.Output<string>;
    /**
     * What `npm run power` needs (names and settings, no secret), as JSON; exported by the program as
     * the stack output `powerContext`.
     */
    public readonly operatorContext: pulumi.Output<string>;
    /** The managed policy for whoever runs `npm run power` (attach it to their user or role). */
    public readonly operatorPolicyArn: pulumi.Output<string>;

    constructor(name: string, args: NightlySchedulerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("data-platform:index:NightlyScheduler", name, {}, opts);
        const parent = { parent: this };
        const s = args.settings;
        const fnNames = { wake: boundedName(name, "wake", 64), watch: boundedName(name, "watch", 64) };
        const databaseParameter = s.keepAwakeParameter.replace(/keep-awake$/, "database");
        if (databaseParameter === s.keepAwakeParameter) throw new Error(`keepAwakeParameter must end in /keep-awake: ${s.keepAwakeParameter}`);

        // ---- parameters: the operator's flag, the watcher's state, the database credential ----
        // The flag and the state are written at run time; Pulumi only creates them. The flag starts set,
        // so that a first deploy comes up before the watcher may put it to sleep (scheduler/power.ts).
        new aws.ssm.Parameter(`${name}-keep-awake`, {
            name: s.keepAwakeParameter, type: "String", value: firstDeployKeepAwake(args.deployedAt),
            description: "NightlyScheduler keep-awake flag: none, or JSON {until, by}; set with npm run power -- keep-awake",
        }, { parent: this, ignoreChanges: ["value"] });
        new aws.ssm.Parameter(`${name}-watcher-state`, {
            name: s.stateParameter, type: "String", value: "{}",
            description: "NightlyScheduler watcher state: the previous idle check and the last decision",
        }, { parent: this, ignoreChanges: ["value"] });
        const key = args.kmsKey ?? rotatingKey(`${name}-key`, "Encrypts the NightlyScheduler's database credential", this);
        const credential = new aws.ssm.Parameter(`${name}-database`, {
            name: databaseParameter,
            type: "SecureString",
            keyId: key.arn,
            description: "Airflow metastore connection for the NightlyScheduler watcher (read-only use)",
            value: pulumi.secret(pulumi.jsonStringify({
                host: args.database.host, port: args.database.port, database: args.database.database,
                username: args.database.username, password: args.database.password, ssl: "verify-full",
            })),
        }, parent);

        // The alarm topic: alarms, and the watcher's morning report, e-mailed to the operator.
        const topic = new aws.sns.Topic(`${name}-alarms`, { displayName: "Data platform power alarms" }, parent);
        if (args.alarmEmail !== undefined) {
            new aws.sns.TopicSubscription(`${name}-alarms-email`, { topic: topic.arn, protocol: "email", endpoint: args.alarmEmail }, parent);
        }

        // ---- the functions' roles, log groups and the watcher's network ----
        const logGroups = {
            wake: new aws.cloudwatch.LogGroup(`${name}-wake-logs`, { name: `/aws/lambda/${fnNames.wake}`, retentionInDays: args.logRetentionDays }, parent),
            watch: new aws.cloudwatch.LogGroup(`${name}-watch-logs`, { name: `/aws/lambda/${fnNames.watch}`, retentionInDays: args.logRetentionDays }, parent),
        };
        const role = (fn: "wake" | "watch") => new aws.iam.Role(`${name}-${fn}-role`, {
            description: `NightlyScheduler ${fn} function`,
            assumeRolePolicy: json(lambdaTrustPolicy()),
        }, parent);
        const roles = { wake: role("wake"), watch: role("watch") };
        // One dead-letter queue for both paths: events the Scheduler could not deliver (the schedules'
        // DLQ), and invocations that failed inside a function after Lambda's own retries (the
        // functions' DLQ: Scheduler invokes asynchronously, so those never reach the schedule's).
        const dlq = new aws.sqs.Queue(`${name}-dlq`, {
            messageRetentionSeconds: 14 * 24 * 3600,
            sqsManagedSseEnabled: true,
        }, parent);
        // One item in this table is the lease every power invocation takes (scheduler/lease.ts).
        const leaseTable = new aws.dynamodb.Table(`${name}-lease`, {
            billingMode: "PAY_PER_REQUEST",
            hashKey: "id",
            attributes: [{ name: "id", type: "S" }],
        }, parent);
        const policyInputs = pulumi.all([args.accountId, args.nodeGroupArn, args.dbInstanceArn, args.dbInstanceIdentifier, dlq.arn, leaseTable.arn]);
        const wakePolicy = new aws.iam.RolePolicy(`${name}-wake-policy`, {
            role: roles.wake.name,
            policy: pulumi.all([policyInputs, logGroups.wake.arn]).apply(([[accountId, nodeGroupArn, dbInstanceArn, dbInstanceIdentifier, deadLetterQueueArn, leaseTableArn], logGroupArn]) => json(wakeFunctionPolicy({
                region: args.region, accountId, nodeGroupArn, dbInstanceArn, dbInstanceIdentifier, logGroupArn, deadLetterQueueArn, leaseTableArn,
                keepAwakeParameterArn: parameterArn(args.region, accountId, s.keepAwakeParameter),
                stateParameterArn: parameterArn(args.region, accountId, s.stateParameter),
            }))),
        }, parent);
        const watchPolicy = new aws.iam.RolePolicy(`${name}-watch-policy`, {
            role: roles.watch.name,
            policy: pulumi.all([policyInputs, logGroups.watch.arn, key.arn, args.vpcId, args.clusterArn, topic.arn, args.report?.bucketArn, args.report?.keyArn]).apply(([[accountId, nodeGroupArn, dbInstanceArn, dbInstanceIdentifier, deadLetterQueueArn, leaseTableArn], logGroupArn, keyArn, vpcId, clusterArn, topicArn, reportBucketArn, reportKeyArn]) => json(watchFunctionPolicy({
                region: args.region, accountId, nodeGroupArn, dbInstanceArn, dbInstanceIdentifier, logGroupArn, keyArn, vpcId, deadLetterQueueArn, clusterArn, leaseTableArn,
                report: reportBucketArn === undefined || reportKeyArn === undefined ? undefined : { bucketArn: reportBucketArn, keyArn: reportKeyArn, topicArn },
                keepAwakeParameterArn: parameterArn(args.region, accountId, s.keepAwakeParameter),
                stateParameterArn: parameterArn(args.region, accountId, s.stateParameter),
                databaseParameterArn: parameterArn(args.region, accountId, databaseParameter),
            }))),
        }, parent);
        // The watcher's role in the Kubernetes API: only the group that may read Flux's delivery objects
        // (the AirflowCluster binds it: cluster/objects.ts fluxStatusReader). No access policy, so nothing else.
        const watchAccess = new aws.eks.AccessEntry(`${name}-watch-access`, {
            clusterName: args.clusterName, principalArn: roles.watch.arn, type: "STANDARD", kubernetesGroups: [FLUX_STATUS_GROUP],
        }, parent);

        // The watcher reaches the metastore on 5432 and AWS's APIs (EKS, RDS, SSM, KMS) on 443 through
        // the private subnets' NAT; no VPC endpoints are needed. DNS to the VPC resolver is not
        // filtered by security groups.
        const sg = new aws.ec2.SecurityGroup(`${name}-watch-sg`, {
            vpcId: args.vpcId,
            description: "NightlyScheduler watcher: PostgreSQL to the metastore, HTTPS to AWS and Kubernetes APIs",
            tags: { Name: `${name}-watch-sg` },
        }, parent);
        new aws.vpc.SecurityGroupEgressRule(`${name}-watch-to-db`, {
            securityGroupId: sg.id, description: "Airflow metastore", ipProtocol: "tcp", fromPort: 5432, toPort: 5432,
            referencedSecurityGroupId: args.dbSecurityGroupId,
        }, parent);
        new aws.vpc.SecurityGroupEgressRule(`${name}-watch-to-aws`, {
            securityGroupId: sg.id, description: "AWS APIs over HTTPS (through NAT), and the cluster's private API endpoint", ipProtocol: "tcp", fromPort: 443, toPort: 443,
            cidrIpv4: "0.0.0.0/0",
        }, parent);

        // ---- the functions ----
        // Everything a function needs at run time is in POWER_CONTEXT: names and settings, no secret.
        const context = (withDatabase: boolean) => pulumi.jsonStringify({
            stack: args.stack,
            region: args.region,
            clusterName: args.clusterName,
            nodeGroupName: args.nodeGroupName,
            nodeCount: args.nodeCount,
            dbInstanceIdentifier: args.dbInstanceIdentifier,
            ...(withDatabase ? { databaseParameter, readFlux: true } : {}),
            settings: s,
            // For `npm run power -- account`: whether this stack reserves concurrency.
            reservedConcurrency: args.reservedConcurrency === true,
            metricsNamespace: METRICS_NAMESPACE,
            // The lease outlives the holder's function timeout (watch 300 s, wake 900 s) by a minute.
            lease: { table: leaseTable.name, ttlSeconds: (withDatabase ? 300 : 900) + 60 },
            // A node-group update in progress is waited out within the function's timeout.
            retry: { retryDelayMs: 5_000, maxDelayMs: 60_000, maxWaitMs: withDatabase ? 240_000 : 600_000 },
            // The morning report: the watcher writes it; `npm run power -- report` reads it (the bucket).
            ...(args.report === undefined ? {} : {
                report: { bucket: args.report.bucketName, topicArn: topic.arn, searchEndpoint: args.report.searchEndpoint, cost: args.report.cost },
            }),
        });
        // A fresh object per function: CallbackFunction appends to codePathOptions' lists.
        const common = () => ({
            deadLetterConfig: { targetArn: dlq.arn },
            runtime: LAMBDA_RUNTIME,
            memorySize: 256,
            // One at a time is the lease's job; a reservation only where the account can spare it.
            ...(args.reservedConcurrency === true ? { reservedConcurrentExecutions: 1 } : {}),
            codePathOptions: { extraExcludePackages: [...SDK_PACKAGES] },
        });
        // The callbacks only call into scheduler/handlers.ts; Pulumi serialises that module (and what it
        // uses of lib/ and functions/) into __index.js. The SDK is require()d inside those bodies.
        const wakeFn = new aws.lambda.CallbackFunction(`${name}-wake`, {
            ...common(),
            name: fnNames.wake,
            description: "NightlyScheduler: start the metastore ahead of the wake, restore the nodes at the wake",
            role: roles.wake,
            timeout: 900,
            environment: { variables: { [handlers.CONTEXT_ENV]: context(false) } },
            loggingConfig: { logFormat: "Text", logGroup: logGroups.wake.name },
            callback: async (event: unknown) => handlers.wake(event),
        }, { parent: this, dependsOn: [wakePolicy, logGroups.wake] });
        const watchFn = new aws.lambda.CallbackFunction(`${name}-watch`, {
            ...common(),
            name: fnNames.watch,
            description: "NightlyScheduler: put the platform to sleep when Airflow is done; keep it asleep",
            role: roles.watch,
            timeout: 300,
            vpcConfig: { subnetIds: args.privateSubnetIds, securityGroupIds: [sg.id] },
            // The runtime's bundle of RDS CA certificates, so that the TLS connection is verified.
            environment: { variables: { [handlers.CONTEXT_ENV]: context(true), NODE_EXTRA_CA_CERTS: "/var/runtime/ca-cert.pem" } },
            loggingConfig: { logFormat: "Text", logGroup: logGroups.watch.name },
            callback: async (event: unknown) => handlers.watch(event),
        }, { parent: this, dependsOn: [watchPolicy, logGroups.watch, credential, watchAccess] });

        // ---- the operator: what `npm run power` and an `aws lambda invoke` of the wake function need ----
        // Not attached to anyone: the stack output powerOperatorPolicyArn, for the person or role that
        // runs the override (docs/operations.md), so that it needs no administrator.
        const operatorPolicyDoc = pulumi.all([policyInputs, wakeFn.arn, args.report?.bucketArn, args.report?.keyArn])
            .apply(([[accountId, nodeGroupArn, dbInstanceArn, dbInstanceIdentifier, , leaseTableArn], wakeFunctionArn, reportBucketArn, reportKeyArn]) => json(operatorPolicy({
                region: args.region, accountId, nodeGroupArn, dbInstanceArn, dbInstanceIdentifier, leaseTableArn, wakeFunctionArn,
                report: reportBucketArn === undefined || reportKeyArn === undefined ? undefined : { bucketArn: reportBucketArn, keyArn: reportKeyArn },
                keepAwakeParameterArn: parameterArn(args.region, accountId, s.keepAwakeParameter),
                stateParameterArn: parameterArn(args.region, accountId, s.stateParameter),
            })));
        const operator = new aws.iam.Policy(`${name}-operator-policy`, {
            description: "The NightlyScheduler's operator override: npm run power (every command) and aws lambda invoke of the wake function",
            policy: operatorPolicyDoc,
        }, parent);

        // ---- schedules, with retries and the dead-letter queue ----
        const schedulerRole = new aws.iam.Role(`${name}-scheduler-role`, {
            description: "EventBridge Scheduler invokes the NightlyScheduler functions",
            assumeRolePolicy: pulumi.output(args.accountId).apply((a) => json(schedulerTrustPolicy(a))),
        }, parent);
        const schedulerPolicy = new aws.iam.RolePolicy(`${name}-scheduler-policy`, {
            role: schedulerRole.name,
            policy: pulumi.all([wakeFn.arn, watchFn.arn, dlq.arn]).apply(([w, v, q]) => json(schedulerInvokePolicy([w, v], q))),
        }, parent);
        const schedule = (part: string, expression: string, kind: string, fn: aws.lambda.Function, retry: { attempts: number; maxAgeSeconds: number }, description: string) =>
            new aws.scheduler.Schedule(`${name}-${part}`, {
                description,
                scheduleExpression: expression,
                scheduleExpressionTimezone: s.timeZone,
                flexibleTimeWindow: { mode: "OFF" },
                target: {
                    arn: fn.arn,
                    roleArn: schedulerRole.arn,
                    input: json({ kind, scheduledAt: SCHEDULED_TIME }),
                    retryPolicy: { maximumRetryAttempts: retry.attempts, maximumEventAgeInSeconds: retry.maxAgeSeconds },
                    deadLetterConfig: { arn: dlq.arn },
                },
            }, { parent: this, dependsOn: [schedulerPolicy] });
        // One pair of schedules per window: the night's (db-start, wake), then each further one (-2, -3, ...).
        wakeWindows(s).forEach((w, i) => {
            const suffix = i === 0 ? "" : `-${i + 1}`;
            const ws = { ...s, wakeCron: w.wakeCron };
            schedule(`db-start${suffix}`, dbStartCron(ws), "db-start", wakeFn, { attempts: 3, maxAgeSeconds: 1800 },
                `Start the Airflow metastore ${s.dbLeadMinutes} minutes before the nodes`);
            schedule(`wake${suffix}`, nodeWakeCron(ws), "wake", wakeFn, { attempts: 3, maxAgeSeconds: 3600 },
                `Restore the nodes ${s.nodeLeadMinutes} minutes before the ${i === 0 ? "night's" : "window's"} runs (${w.wakeCron} ${s.timeZone}), so Flux rolls out the newest image first`);
        });
        schedule("watch", `rate(${s.watchIntervalMinutes} minutes)`, "watch", watchFn, { attempts: 1, maxAgeSeconds: Math.max(60, s.watchIntervalMinutes * 60) },
            "Watch Airflow; sleep when done; keep the metastore asleep");

        // ---- alarms ----
        const alarm = (part: string, description: string, metric: Omit<aws.cloudwatch.MetricAlarmArgs, "alarmDescription" | "alarmActions" | "okActions" | "comparisonOperator" | "threshold">) =>
            new aws.cloudwatch.MetricAlarm(`${name}-${part}`, {
                alarmDescription: description,
                comparisonOperator: "GreaterThanOrEqualToThreshold",
                threshold: 1,
                alarmActions: [topic.arn],
                okActions: [topic.arn],
                ...metric,
            }, parent);
        const stackDimension = { Stack: args.stack };
        alarm("wake-errors", "The wake function failed: tonight's run may not start. See README, NightlyScheduler alarms.", {
            namespace: "AWS/Lambda", metricName: "Errors", dimensions: { FunctionName: wakeFn.name }, statistic: "Sum",
            period: 300, evaluationPeriods: 1, treatMissingData: "notBreaching",
        });
        alarm("watch-errors", "The watch function failed twice in 30 minutes: sleep and stay-asleep checks are not running.", {
            namespace: "AWS/Lambda", metricName: "Errors", dimensions: { FunctionName: watchFn.name }, statistic: "Sum",
            period: 600, evaluationPeriods: 3, datapointsToAlarm: 2, treatMissingData: "notBreaching",
        });
        alarm("forced-sleep", "The deadline forced the platform to sleep while Airflow still looked busy.", {
            namespace: METRICS_NAMESPACE, metricName: "ForcedSleep", dimensions: stackDimension, statistic: "Sum",
            period: 600, evaluationPeriods: 1, treatMissingData: "notBreaching",
        });
        // Missing data breaches: a silent watcher cannot vouch that the nodes are down.
        alarm("nodes-up-after-window", "Nodes have been up for 30 minutes past the deadline without keep-awake, or the watcher is silent.", {
            namespace: METRICS_NAMESPACE, metricName: "NodesUpAfterWindow", dimensions: stackDimension, statistic: "Maximum",
            period: 600, evaluationPeriods: 3, treatMissingData: "breaching",
        });
        alarm("db-running-while-asleep", "The metastore has been running for 30 minutes while the platform sleeps.", {
            namespace: METRICS_NAMESPACE, metricName: "DatabaseRunningWhileAsleep", dimensions: stackDimension, statistic: "Maximum",
            period: 600, evaluationPeriods: 3, treatMissingData: "notBreaching",
        });
        // Not Ready for three checks in a row (30 minutes): longer than an ordinary upgrade, which the
        // HelmRelease bounds at 10 minutes an attempt. Missing data (asleep) is not an alarm.
        alarm("flux-not-ready", "Airflow's delivery is failing: a Flux object (root or tenants Kustomization, the Airflow HelmRelease, the image automation) has not been Ready for 30 minutes, or the watcher cannot read it. The watcher's log (fluxProblems) says which and why; see gitops/README.md.", {
            namespace: METRICS_NAMESPACE, metricName: "FluxNotReady", dimensions: stackDimension, statistic: "Maximum",
            period: 600, evaluationPeriods: 3, datapointsToAlarm: 3, treatMissingData: "notBreaching",
        });
        // Two checks in a row past the grace period with no live scheduler in Airflow's database: the
        // night's runs cannot be created. The watcher counts it busy (so the deadline bounds the cost).
        alarm("scheduler-down", "Airflow's scheduler is not running: the awake platform has had no live scheduler heartbeat in Airflow's database for two checks after the grace period, so no DAG run can be created or finish. The watcher's log (reason) gives the heartbeat's age. Wake the platform and see kubectl -n airflow get pods, logs of the scheduler.", {
            namespace: METRICS_NAMESPACE, metricName: "SchedulerDown", dimensions: stackDimension, statistic: "Maximum",
            period: 600, evaluationPeriods: 2, datapointsToAlarm: 2, treatMissingData: "notBreaching",
        });
        alarm("dead-letters", "A scheduled wake or watch could not be delivered after its retries (see the dead-letter queue).", {
            namespace: "AWS/SQS", metricName: "ApproximateNumberOfMessagesVisible", dimensions: { QueueName: dlq.name }, statistic: "Maximum",
            period: 300, evaluationPeriods: 1, treatMissingData: "notBreaching",
        });

        this.watcherSecurityGroupId = sg.id;
        this.alarmTopicArn = topic.arn;
        this.wakeFunctionName = wakeFn.name;
        this.watchFunctionName = watchFn.name;
        this.operatorContext = context(false);
        this.operatorPolicyArn = operator.arn;
        this.registerOutputs({
            watcherSecurityGroupId: this.watcherSecurityGroupId,
            alarmTopicArn: this.alarmTopicArn,
            wakeFunctionName: this.wakeFunctionName,
            watchFunctionName: this.watchFunctionName,
            operatorContext: this.operatorContext,
            operatorPolicyArn: this.operatorPolicyArn,
        });
    }
}
