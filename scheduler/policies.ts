// IAM documents of the NightlyScheduler, as data: each function may act on this stack's node group,
// DB instance, parameters and log group only. Pure; the component serialises these and the tests
// read them on the registered resources.

import type { PolicyDocument, PolicyStatement } from "../core/policies";

const doc = (...Statement: PolicyStatement[]): PolicyDocument => ({ Version: "2012-10-17", Statement });

/** Read-only actions; everything else counts as mutating (and may not use a wildcard resource). */
export function isReadOnly(action: string): boolean {
    return /^[a-z0-9-]+:(Describe|Get|List)[A-Za-z]*$/.test(action);
}

export function lambdaTrustPolicy(): PolicyDocument {
    return doc({ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" });
}

/** EventBridge Scheduler of this account only may assume the invoking role (confused-deputy guard). */
export function schedulerTrustPolicy(accountId: string): PolicyDocument {
    return doc({ Effect: "Allow", Principal: { Service: "scheduler.amazonaws.com" }, Action: "sts:AssumeRole", Condition: { StringEquals: { "aws:SourceAccount": accountId } } });
}

/** The schedules' role: invoke the two functions, and dead-letter undeliverable events. */
export function schedulerInvokePolicy(functionArns: readonly string[], deadLetterQueueArn: string): PolicyDocument {
    return doc(
        { Sid: "InvokePowerFunctions", Effect: "Allow", Action: "lambda:InvokeFunction", Resource: [...functionArns] },
        { Sid: "DeadLetter", Effect: "Allow", Action: "sqs:SendMessage", Resource: deadLetterQueueArn },
    );
}

/** ARN of an SSM parameter by name ("/a/b" -> parameter/a/b). */
export function parameterArn(region: string, accountId: string, name: string): string {
    return `arn:aws:ssm:${region}:${accountId}:parameter${name.startsWith("/") ? "" : "/"}${name}`;
}

export interface PowerPolicyInputs {
    readonly region: string;
    readonly accountId: string;
    readonly nodeGroupArn: string;
    readonly dbInstanceArn: string;
    readonly dbInstanceIdentifier: string;
    readonly keepAwakeParameterArn: string;
    readonly stateParameterArn: string;
    /** The function's own log group (arn:aws:logs:...:log-group:/aws/lambda/<name>). */
    readonly logGroupArn: string;
    /** Where Lambda puts an invocation that failed after its retries (the function's dead-letter queue). */
    readonly deadLetterQueueArn: string;
    /** The power lease's DynamoDB table (scheduler/lease.ts). */
    readonly leaseTableArn: string;
}

/** What every power path reads and acts on: the node group, the metastore and its backups, the flags, the lease. */
function powerStatements(p: Omit<PowerPolicyInputs, "logGroupArn" | "deadLetterQueueArn">, rdsActions: string[]): PolicyStatement[] {
    return [
        { Sid: "NodeGroup", Effect: "Allow", Action: ["eks:DescribeNodegroup", "eks:UpdateNodegroupConfig"], Resource: p.nodeGroupArn },
        { Sid: "Metastore", Effect: "Allow", Action: ["rds:DescribeDBInstances", ...rdsActions], Resource: p.dbInstanceArn },
        {
            // Automated backups are named rds:<instance>-<date>; listing them is read-only.
            Sid: "MetastoreBackups", Effect: "Allow", Action: "rds:DescribeDBSnapshots",
            Resource: [p.dbInstanceArn, `arn:aws:rds:${p.region}:${p.accountId}:snapshot:rds:${p.dbInstanceIdentifier}-*`],
        },
        { Sid: "ReadFlags", Effect: "Allow", Action: "ssm:GetParameter", Resource: [p.keepAwakeParameterArn, p.stateParameterArn] },
        // The lease: a conditional update to take or give it back, a consistent read to say who holds it.
        { Sid: "PowerLease", Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:UpdateItem"], Resource: p.leaseTableArn },
    ];
}

function common(p: PowerPolicyInputs, rdsActions: string[]): PolicyStatement[] {
    return [
        ...powerStatements(p, rdsActions),
        { Sid: "WriteState", Effect: "Allow", Action: "ssm:PutParameter", Resource: p.stateParameterArn },
        { Sid: "OwnLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `${p.logGroupArn}:*` },
        { Sid: "DeadLetters", Effect: "Allow", Action: "sqs:SendMessage", Resource: p.deadLetterQueueArn },
    ];
}

/**
 * The wake function: start the metastore and scale the nodes; no stop, no database credential. It also
 * takes an operator's wake (`aws lambda invoke`, docs/operations.md), which sets the keep-awake flag.
 */
export function wakeFunctionPolicy(p: PowerPolicyInputs): PolicyDocument {
    return doc(...common(p, ["rds:StartDBInstance"]), { Sid: "OperatorKeepAwake", Effect: "Allow", Action: "ssm:PutParameter", Resource: p.keepAwakeParameterArn });
}

export interface WatchPolicyInputs extends PowerPolicyInputs {
    /** The EKS cluster: the watcher reads its endpoint and CA to reach the Kubernetes API. */
    readonly clusterArn: string;
    readonly databaseParameterArn: string;
    readonly keyArn: string;
    readonly vpcId: string;
    /** The morning report: the task-log bucket (reports/ only), its key, and the alarm topic. */
    readonly report?: { readonly bucketArn: string; readonly keyArn: string; readonly topicArn: string };
}

/**
 * The watcher: also stops the metastore, reads (and alone may decrypt) the database credential, reads
 * the cluster's endpoint, and manages its network interfaces in the VPC. AWS's Lambda guide: DescribeNetworkInterfaces works only
 * on "*" (read-only); the mutating ENI actions are limited to this account and region, and, wherever
 * the request names a VPC, to this VPC.
 */
export function watchFunctionPolicy(p: WatchPolicyInputs): PolicyDocument {
    const vpcArn = `arn:aws:ec2:${p.region}:${p.accountId}:vpc/${p.vpcId}`;
    return doc(
        // ModifyDBInstance: only ever called with ApplyImmediately and no change of its own, to apply what
        // `pulumi up` left pending before the instance is stopped (metastore/aws-rds.ts, applyPendingChanges).
        // IAM has no condition key that narrows it further; the resource is this one instance.
        ...common(p, ["rds:StartDBInstance", "rds:StopDBInstance", "rds:ModifyDBInstance"]),
        { Sid: "DatabaseCredential", Effect: "Allow", Action: "ssm:GetParameter", Resource: p.databaseParameterArn },
        // Endpoint and CA of the Kubernetes API, where the watcher reads Flux's status. The API itself
        // authorises through the role's access entry, not IAM (no eks:* action is involved there).
        { Sid: "ClusterEndpoint", Effect: "Allow", Action: "eks:DescribeCluster", Resource: p.clusterArn },
        {
            Sid: "DecryptCredentialThroughSsm", Effect: "Allow", Action: "kms:Decrypt", Resource: p.keyArn,
            Condition: { StringEquals: { "kms:ViaService": `ssm.${p.region}.amazonaws.com`, "kms:EncryptionContext:PARAMETER_ARN": p.databaseParameterArn } },
        },
        { Sid: "VpcDescribe", Effect: "Allow", Action: ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"], Resource: "*" },
        {
            Sid: "VpcInterfaces", Effect: "Allow",
            Action: ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"],
            Resource: `arn:aws:ec2:${p.region}:${p.accountId}:*/*`,
            Condition: { ArnEqualsIfExists: { "ec2:Vpc": vpcArn } },
        },
        ...(p.report === undefined ? [] : reportStatements(p.region, p.report)),
    );
}

/**
 * The morning report: read the earlier nights and write tonight's under reports/ of the task-log bucket
 * (nothing else in it: the logs stay Airflow's), through S3 with the bucket's key, and mail it.
 */
export function reportStatements(region: string, r: NonNullable<WatchPolicyInputs["report"]>): PolicyStatement[] {
    return [
        { Sid: "KeepReports", Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: `${r.bucketArn}/reports/*` },
        { Sid: "ListReports", Effect: "Allow", Action: "s3:ListBucket", Resource: r.bucketArn, Condition: { StringLike: { "s3:prefix": "reports/*" } } },
        { Sid: "ReportEncryption", Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: r.keyArn, Condition: { StringEquals: { "kms:ViaService": `s3.${region}.amazonaws.com` } } },
        { Sid: "MailReports", Effect: "Allow", Action: "sns:Publish", Resource: r.topicArn },
    ];
}

export interface OperatorPolicyInputs extends Omit<PowerPolicyInputs, "logGroupArn" | "deadLetterQueueArn"> {
    /** The wake function: an operator's wake with the AWS CLI alone (docs/operations.md). */
    readonly wakeFunctionArn: string;
    /** The morning reports: the task-log bucket (reports/ only, read) and its key. */
    readonly report?: { readonly bucketArn: string; readonly keyArn: string };
}

/**
 * The operator's `npm run power` (every command) and `aws lambda invoke` of the wake function, and
 * nothing else: a policy to attach to the person or role that runs them, so that the override needs no
 * administrator. What the watcher may do and the operator may not: read or decrypt the database
 * credential, write reports, publish, reach the VPC.
 */
export function operatorPolicy(p: OperatorPolicyInputs): PolicyDocument {
    return doc(
        // ModifyDBInstance: the operator's sleep applies what `pulumi up` left pending, as the watcher does.
        ...powerStatements(p, ["rds:StartDBInstance", "rds:StopDBInstance", "rds:ModifyDBInstance"]),
        { Sid: "WriteFlags", Effect: "Allow", Action: "ssm:PutParameter", Resource: [p.keepAwakeParameterArn, p.stateParameterArn] },
        { Sid: "OperatorWake", Effect: "Allow", Action: "lambda:InvokeFunction", Resource: p.wakeFunctionArn },
        // `account`: Lambda's GetAccountSettings names no resource (Service Authorization Reference, AWS Lambda).
        { Sid: "LambdaAccount", Effect: "Allow", Action: "lambda:GetAccountSettings", Resource: "*" },
        ...(p.report === undefined ? [] : [
            { Sid: "ReadReports", Effect: "Allow" as const, Action: "s3:GetObject", Resource: `${p.report.bucketArn}/reports/*` },
            { Sid: "ListReports", Effect: "Allow" as const, Action: "s3:ListBucket", Resource: p.report.bucketArn, Condition: { StringLike: { "s3:prefix": "reports/*" } } },
            { Sid: "ReportDecryption", Effect: "Allow" as const, Action: "kms:Decrypt", Resource: p.report.keyArn, Condition: { StringEquals: { "kms:ViaService": `s3.${p.region}.amazonaws.com` } } },
        ]),
    );
}
