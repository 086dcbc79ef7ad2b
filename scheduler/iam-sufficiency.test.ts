// Permissions that suffice: a night of the NightlyScheduler against moto (early start, wake, a watch
// while awake, the forced sleep at the deadline with its morning report, an operator's wake), every
// AWS call recorded by SDK middleware, then each call judged against the wake or watch function's IAM
// document, built by the same functions the component uses (scheduler/policies.ts) with this world's
// ARNs. moto enforces no IAM, so without this a policy missing eks:DescribeNodegroup passes every
// other test. The calls IAM makes on the function's behalf (KMS through SSM and S3) are judged too,
// with the condition keys those services send.

import { strict as assert } from "assert";
import { execFile } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { CreateTopicCommand } from "@aws-sdk/client-sns";
import { wake, watch, type Clients, type PowerContext } from "./handlers";
import { wakeFunctionPolicy, watchFunctionPolicy, type PowerPolicyInputs } from "./policies";
import { contextFor, createLeaseTable, createWorld, motoClients, putParameter, settingsAround, type World } from "../tests/power-fixtures";
import { startMoto, freePort, type Moto } from "../tests/services";
import { decideIam, readRecordedCalls, recordCalls, refused, RECORDER, verdicts as judged, worldForIam, type CallWorld, type RecordedCall, type Request } from "../tests/iam-calls";
import { valueOf, type Evaluation } from "../offline/evaluate";
import { FAKE, schedulerProgram } from "../tests/power-program";
import { evaluateOnce } from "../tests/stacks";
import type { PolicyDocument } from "../core/policies";

const REGION = "us-east-1";
const ACCOUNT = "123456789012";
const SCHEDULER_KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/11111111-2222-3333-4444-555555555555`;
const LOG_KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/66666666-7777-8888-9999-000000000000`;
const BUCKET = "dp-iam-task-logs";

/** This world as IAM sees it: the two keys, the credential a SecureString under the scheduler's. */
const callWorld = (w: World, secure: ReadonlySet<string>): CallWorld =>
    worldForIam(w, { secureParameters: new Map([...secure].map((name) => [name, SCHEDULER_KEY])), bucketKeyArn: LOG_KEY });
const verdicts = (calls: readonly RecordedCall[], documents: readonly PolicyDocument[], w: World, secure: ReadonlySet<string>) =>
    judged(calls, documents, callWorld(w, secure));

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
        assert.deepEqual(refused(wakeCalls, [policies.wake], callWorld(w, secure)), []);
    });

    it("the watch function's policy allows every call it made, and what SSM and S3 ask KMS for on its behalf", () => {
        const all = verdicts(watchCalls, [policies.watch], w, secure);
        assert.ok(all.some((v) => v.action === "kms:Decrypt" && v.resource === SCHEDULER_KEY), "the credential's decryption was judged");
        assert.ok(all.some((v) => v.action === "kms:GenerateDataKey" && v.resource === LOG_KEY), "the report's encryption was judged");
        assert.deepEqual(refused(watchCalls, [policies.watch], callWorld(w, secure)), []);
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

// The operator's side: `npm run power`, each command once, as a real process (through npm, as an
// operator types it) with the recorder preloaded, against moto; each recorded call judged against
// the operator policy the evaluated program creates (stack output powerOperatorPolicyArn).
describe("npm run power: every AWS call of every command is one the program's operator policy allows", function () {
    this.timeout(180_000);
    const ROOT = path.resolve(__dirname, "..");
    const now = new Date();
    const name = "data-platform-staging-scheduler";
    let moto: Moto;
    let w: World;
    let e: Evaluation;
    let operator: PolicyDocument;
    let world: CallWorld;
    let dir: string;
    let lambdaStandIn: http.Server;
    let calls: RecordedCall[];
    const outputs: Record<string, string> = {};

    before(async () => {
        moto = await startMoto();
        const setup = motoClients(moto.endpoint);
        w = await createWorld(setup, "opiam");
        e = await evaluateOnce({
            stack: "staging",
            program: schedulerProgram({
                names: { clusterName: w.clusterName, nodeGroupName: w.nodeGroupName, nodeGroupArn: w.nodeGroupArn, dbInstanceIdentifier: w.dbInstanceIdentifier, dbInstanceArn: w.dbInstanceArn },
                settings: (p) => settingsAround(now, p, { minutesAwake: 600, backup: "taken" }),
            }),
        });
        operator = JSON.parse(e.get("aws:iam/policy:Policy", `${name}-operator-policy`).inputs.policy);
        const context = JSON.parse(await valueOf(e.outputs.powerContext as never) as string);
        // What Pulumi creates, under the program's names; one earlier night's report under reports/.
        await putParameter(setup, context.settings.keepAwakeParameter, "none");
        await putParameter(setup, context.settings.stateParameter, "{}");
        await createLeaseTable(setup, context.lease.table);
        await setup.s3.send(new CreateBucketCommand({ Bucket: context.report.bucket }));
        await setup.s3.send(new PutObjectCommand({ Bucket: context.report.bucket, Key: "reports/2026-01-01.json", Body: JSON.stringify({ version: 0 }) }));
        // moto has no Lambda GetAccountSettings (cli.test.ts): a stand-in with the documented answer.
        lambdaStandIn = http.createServer((_req, res) => {
            res.writeHead(200, { "content-type": "application/json" });
            res.end(JSON.stringify({ AccountLimit: { ConcurrentExecutions: 1000, UnreservedConcurrentExecutions: 1000 }, AccountUsage: { FunctionCount: 2 } }));
        });
        await new Promise<void>((r) => lambdaStandIn.listen(0, "127.0.0.1", r));
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "power-iam-"));
        fs.writeFileSync(path.join(dir, "ctx.json"), JSON.stringify(JSON.stringify(context)));
        const log = path.join(dir, "calls.jsonl");
        const env = {
            ...process.env, AWS_REGION: REGION, AWS_ENDPOINT_URL: moto.endpoint, AWS_ACCESS_KEY_ID: "testing", AWS_SECRET_ACCESS_KEY: "testing",
            AWS_ENDPOINT_URL_LAMBDA: `http://127.0.0.1:${(lambdaStandIn.address() as { port: number }).port}`,
            NODE_OPTIONS: `--require ${RECORDER}`, RECORD_AWS_CALLS: log, TS_NODE_TRANSPILE_ONLY: "true", USER: "alice",
        };
        const commands = [["status"], ["keep-awake", "--hours", "1"], ["keep-awake", "--hours", "0"], ["wake", "--hours", "1"], ["sleep"], ["start-db", "--hours", "1"], ["report", "--nights", "2"], ["account"]];
        for (const command of commands) {
            outputs[command[0]] = await new Promise<string>((resolve, reject) => execFile("npm", ["run", "--silent", "power", "--", ...command, "--stack", "staging", "--context", path.join(dir, "ctx.json")],
                { cwd: ROOT, env, timeout: 60_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${command.join(" ")}: ${err.message}\n${stderr}`)) : resolve(stdout))));
        }
        calls = readRecordedCalls(log);
        world = worldForIam(w, { secureParameters: new Map(), bucketKeyArn: FAKE.taskLogKeyArn });
    });
    after(async () => {
        await moto?.stop();
        await new Promise<void>((r) => (lambdaStandIn ? lambdaStandIn.close(() => r()) : r()));
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("each command did its work, and its calls were recorded in the CLI's own process", () => {
        assert.match(outputs.status, /verdict/);
        assert.match(outputs.wake, /nodes scaled to/);
        assert.match(outputs.sleep, /nodes scaled to 0/);
        assert.match(outputs["start-db"], /metastore start requested/);
        assert.match(outputs.report, /no morning report yet/);
        assert.match(outputs.account, /unreserved 1000/);
        const actions = new Set(calls.map((c) => c.action));
        for (const a of ["eks:DescribeNodegroup", "eks:UpdateNodegroupConfig", "rds:DescribeDBInstances", "rds:StartDBInstance", "rds:StopDBInstance", "rds:DescribeDBSnapshots",
            "ssm:GetParameter", "ssm:PutParameter", "dynamodb:UpdateItem", "s3:ListBucket", "s3:GetObject", "lambda:GetAccountSettings"]) assert.ok(actions.has(a), `no ${a}: ${[...actions].join(", ")}`);
    });

    it("the operator policy allows every call, and what S3 asks KMS for on the operator's behalf", () => {
        assert.deepEqual(refused(calls, [operator], world), []);
        assert.ok(judged(calls, [operator], world).some((v) => v.action === "kms:Decrypt" && v.resource === FAKE.taskLogKeyArn && v.verdict === "allowed"));
    });

    it("enough and no more: the operator may invoke the wake function, not the watcher; may not read the credential, write reports or touch task logs", () => {
        const wakeArn = e.get("aws:lambda/function:Function", `${name}-wake`).state.arn as string;
        const watchArn = e.get("aws:lambda/function:Function", `${name}-watch`).state.arn as string;
        const ask = (action: string, resource: string, context: Record<string, string> = {}) => decideIam([operator], { action, resource, context });
        assert.equal(ask("lambda:InvokeFunction", wakeArn), "allowed");
        assert.equal(ask("lambda:InvokeFunction", watchArn), "implicitly denied");
        assert.equal(ask("ssm:GetParameter", `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/data-platform-staging/power/database`), "implicitly denied");
        assert.equal(ask("kms:Decrypt", FAKE.taskLogKeyArn), "implicitly denied", "only through S3");
        assert.equal(ask("s3:PutObject", `arn:aws:s3:::${FAKE.taskLogBucket}/reports/x.json`), "implicitly denied");
        assert.equal(ask("s3:GetObject", `arn:aws:s3:::${FAKE.taskLogBucket}/dag_id=etl/attempt=1.log`), "implicitly denied");
        assert.equal(ask("rds:StopDBInstance", `arn:aws:rds:${REGION}:${ACCOUNT}:db:another-db`), "implicitly denied");
        assert.equal(ask("eks:UpdateNodegroupConfig", `arn:aws:eks:${REGION}:${ACCOUNT}:nodegroup/other/ng/1`), "implicitly denied");
        // The audit's break on the operator's side: without rds:DescribeDBInstances every command fails at its first look.
        const broken = { ...operator, Statement: operator.Statement.map((st) => ({ ...st, Action: [st.Action].flat().filter((a) => a !== "rds:DescribeDBInstances") })) };
        assert.ok(refused(calls, [broken], world).some((line) => line.startsWith("rds:DescribeDBInstances")));
    });
});
