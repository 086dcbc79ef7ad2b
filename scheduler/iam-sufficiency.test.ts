// Permissions that suffice: a night of the NightlyScheduler against moto (early start, wake, a watch
// while awake, the forced sleep at the deadline with its morning report, an operator's wake), every
// AWS call recorded by SDK middleware, then each call judged against the wake or watch function's IAM
// document, built by the same functions the component uses (scheduler/policies.ts) with this world's
// ARNs. moto enforces no IAM, so without this a policy missing eks:DescribeNodegroup passes every
// other test. The calls IAM makes on the function's behalf (KMS through SSM and S3) are judged too,
// with the condition keys those services send.

import { strict as assert } from "assert";
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import { CreateTopicCommand } from "@aws-sdk/client-sns";
import { wake, watch, type Clients, type PowerContext } from "./handlers";
import { wakeFunctionPolicy, watchFunctionPolicy, type PowerPolicyInputs } from "./policies";
import { contextFor, createWorld, motoClients, putParameter, settingsAround, type World } from "../tests/power-fixtures";
import { startMoto, freePort, type Moto } from "../tests/services";
import { decideIam, recordCalls, type RecordedCall, type Request } from "../tests/iam-calls";
import type { PolicyDocument } from "../core/policies";

const REGION = "us-east-1";
const ACCOUNT = "123456789012";
const SCHEDULER_KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/11111111-2222-3333-4444-555555555555`;
const LOG_KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/66666666-7777-8888-9999-000000000000`;
const BUCKET = "dp-iam-task-logs";

/** The requests IAM sees for one recorded call: the call itself, and what the service asks KMS for. */
function requestsOf(call: RecordedCall, w: World, secureParameters: ReadonlySet<string>): Request[] {
    const i = call.input;
    const parameter = (name: string) => `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${name}`;
    const plain = (resource: string, context: Record<string, string> = {}): Request => ({ action: call.action, resource, context });
    const [service] = call.action.split(":");
    switch (service) {
        case "eks":
            if (call.action === "eks:DescribeCluster") return [plain(`arn:aws:eks:${REGION}:${ACCOUNT}:cluster/${i.name}`)];
            assert.equal(i.nodegroupName, w.nodeGroupName, `${call.action} names another node group`);
            return [plain(w.nodeGroupArn)];
        case "rds":
            assert.equal(i.DBInstanceIdentifier, w.dbInstanceIdentifier, `${call.action} names another instance`);
            return [plain(w.dbInstanceArn)];
        case "ssm": {
            const arn = parameter(i.Name);
            const viaSsm = { "kms:ViaService": `ssm.${REGION}.amazonaws.com`, "kms:EncryptionContext:PARAMETER_ARN": arn };
            return [plain(arn), ...(call.action === "ssm:GetParameter" && i.WithDecryption && secureParameters.has(i.Name) ? [{ action: "kms:Decrypt", resource: SCHEDULER_KEY, context: viaSsm }] : [])];
        }
        case "dynamodb":
            return [plain(`arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${i.TableName}`)];
        case "s3": {
            const viaS3 = { "kms:ViaService": `s3.${REGION}.amazonaws.com` };
            if (call.action === "s3:ListBucket") return [plain(`arn:aws:s3:::${i.Bucket}`, { "s3:prefix": i.Prefix ?? "" })];
            const kms = call.action === "s3:PutObject" ? "kms:GenerateDataKey" : "kms:Decrypt";
            return [plain(`arn:aws:s3:::${i.Bucket}/${i.Key}`), { action: kms, resource: LOG_KEY, context: viaS3 }];
        }
        case "sns":
            return [plain(i.TopicArn)];
        default:
            throw new Error(`no resource rule for ${call.action}: add one, so that its permission is judged`);
    }
}

function verdicts(calls: readonly RecordedCall[], documents: readonly PolicyDocument[], w: World, secure: ReadonlySet<string>) {
    return calls.flatMap((c) => requestsOf(c, w, secure)).map((r) => ({ ...r, verdict: decideIam(documents, r) }));
}

describe("NightlyScheduler: every AWS call of a night is one its function's IAM policy allows", function () {
    this.timeout(60_000);
    let moto: Moto;
    let w: World;
    let topicArn: string;
    const now = new Date();
    let wakeCalls: RecordedCall[];
    let watchCalls: RecordedCall[];
    let policies: { wake: PolicyDocument; watch: PolicyDocument };
    let secure: Set<string>;

    before(async () => {
        moto = await startMoto();
        const setup = motoClients(moto.endpoint);
        w = await createWorld(setup, "iam");
        await setup.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
        topicArn = (await setup.sns.send(new CreateTopicCommand({ Name: "dp-iam-alarms" }))).TopicArn!;
        // Five hours after the wake: the forced sleep at the four-hour deadline ends the night.
        const settings = settingsAround(now, "dp-iam", { minutesAwake: 300, backup: "taken" });
        const databaseParameter = "/dp-iam/power/database";
        const ctx: PowerContext = contextFor(w, settings, { region: REGION, databaseParameter, report: { bucket: BUCKET, topicArn } });
        await putParameter(setup, settings.keepAwakeParameter, "none");
        await putParameter(setup, settings.stateParameter, "{}");
        // The credential, pointing at a port nobody serves: the watcher counts Airflow busy, as on a broken night.
        await putParameter(setup, databaseParameter, JSON.stringify({ host: "127.0.0.1", port: await freePort(), database: "airflow", username: "airflow_monitor", password: "x", ssl: "disable" }), true);
        secure = new Set([databaseParameter]);

        // Each function's own clients, each recorded.
        const wakeClients: Clients = motoClients(moto.endpoint);
        const watchClients: Clients = motoClients(moto.endpoint);
        wakeCalls = recordCalls(wakeClients as unknown as Record<string, any>);
        watchCalls = recordCalls(watchClients as unknown as Record<string, any>);
        const wakeAt = new Date(now.getTime() - 300 * 60_000);
        const minutes = (m: number) => new Date(wakeAt.getTime() + m * 60_000);
        await wake({ kind: "db-start", scheduledAt: minutes(-60).toISOString() }, ctx, wakeClients, minutes(-60));
        await wake({ kind: "wake", scheduledAt: minutes(-30).toISOString() }, ctx, wakeClients, minutes(-30));
        const busy = await watch({ kind: "watch", scheduledAt: minutes(60).toISOString() }, ctx, watchClients, minutes(60));
        assert.match(busy.reason, /cannot read Airflow's state/);
        const forced = await watch({ kind: "watch", scheduledAt: now.toISOString() }, ctx, watchClients, now);
        assert.equal(forced.action, "forced-sleep");
        assert.ok(forced.effects.some((e) => e.startsWith("morning report mailed")), forced.effects.join("; "));
        await wake({ kind: "operator-wake", hours: 1, by: "alice" }, ctx, wakeClients, now);

        // The documents the component attaches, from the same builders, with this world's ARNs.
        const inputs: PowerPolicyInputs = {
            region: REGION, accountId: ACCOUNT, nodeGroupArn: w.nodeGroupArn, dbInstanceArn: w.dbInstanceArn, dbInstanceIdentifier: w.dbInstanceIdentifier,
            keepAwakeParameterArn: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${settings.keepAwakeParameter}`,
            stateParameterArn: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${settings.stateParameter}`,
            logGroupArn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/dp-iam`, deadLetterQueueArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:dp-iam-dlq`,
            leaseTableArn: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${w.leaseTable}`,
        };
        policies = {
            wake: wakeFunctionPolicy(inputs),
            watch: watchFunctionPolicy({
                ...inputs, clusterArn: `arn:aws:eks:${REGION}:${ACCOUNT}:cluster/${w.clusterName}`, keyArn: SCHEDULER_KEY, vpcId: "vpc-0iam",
                databaseParameterArn: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${databaseParameter}`,
                report: { bucketArn: `arn:aws:s3:::${BUCKET}`, keyArn: LOG_KEY, topicArn },
            }),
        };
    });
    after(async () => moto?.stop());

    it("the night made the calls worth judging (each function's reads and writes of EKS, RDS, SSM, DynamoDB; the watcher's S3 and SNS)", () => {
        const actions = (calls: RecordedCall[]) => [...new Set(calls.map((c) => c.action))].sort();
        for (const a of ["eks:DescribeNodegroup", "eks:UpdateNodegroupConfig", "rds:DescribeDBInstances", "rds:StartDBInstance", "ssm:PutParameter", "dynamodb:UpdateItem"]) assert.ok(actions(wakeCalls).includes(a), `wake: ${a}`);
        for (const a of ["eks:DescribeNodegroup", "eks:UpdateNodegroupConfig", "rds:DescribeDBInstances", "rds:StopDBInstance", "ssm:GetParameter", "s3:ListBucket", "s3:PutObject", "sns:Publish"]) assert.ok(actions(watchCalls).includes(a), `watch: ${a}`);
    });

    it("the wake function's policy allows every call it made, the operator's keep-awake included", () => {
        const denied = verdicts(wakeCalls, [policies.wake], w, secure).filter((v) => v.verdict !== "allowed").map((v) => `${v.action} ${v.resource}: ${v.verdict}`);
        assert.deepEqual(denied, []);
    });

    it("the watch function's policy allows every call it made, and what SSM and S3 ask KMS for on its behalf", () => {
        const all = verdicts(watchCalls, [policies.watch], w, secure);
        assert.ok(all.some((v) => v.action === "kms:Decrypt" && v.resource === SCHEDULER_KEY), "the credential's decryption was judged");
        assert.ok(all.some((v) => v.action === "kms:GenerateDataKey" && v.resource === LOG_KEY), "the report's encryption was judged");
        assert.deepEqual(all.filter((v) => v.verdict !== "allowed").map((v) => `${v.action} ${v.resource}: ${v.verdict}`), []);
    });

    it("enough and no more: the wake function may not stop the metastore or read the credential; the judge refuses what is not granted", () => {
        const stop: Request = { action: "rds:StopDBInstance", resource: w.dbInstanceArn, context: {} };
        assert.equal(decideIam([policies.wake], stop), "implicitly denied");
        assert.equal(decideIam([policies.watch], stop), "allowed");
        assert.equal(decideIam([policies.wake], { action: "ssm:GetParameter", resource: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/dp-iam/power/database`, context: {} }), "implicitly denied");
        // The KMS grant holds only through SSM and only for that parameter.
        assert.equal(decideIam([policies.watch], { action: "kms:Decrypt", resource: SCHEDULER_KEY, context: {} }), "implicitly denied");
        assert.equal(decideIam([policies.watch], { action: "s3:PutObject", resource: `arn:aws:s3:::${BUCKET}/dag_id=x/attempt=1.log`, context: {} }), "implicitly denied", "task logs are Airflow's, not the watcher's");
        // A policy without DescribeNodegroup (the audit's break) fails the first call of every wake.
        const broken = { ...policies.wake, Statement: policies.wake.Statement.map((s) => ({ ...s, Action: [s.Action].flat().filter((a) => a !== "eks:DescribeNodegroup") })) };
        assert.ok(verdicts(wakeCalls, [broken], w, secure).some((v) => v.action === "eks:DescribeNodegroup" && v.verdict === "implicitly denied"));
    });
});
