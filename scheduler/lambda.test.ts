// The code Lambda would run: each CallbackFunction's serialized __index.js and bundled node_modules,
// taken from the mocked program, written to a temp dir and loaded in a FRESH Node process, with the
// AWS SDK provided beside it as the Node.js 22 runtime provides it (not from the bundle), the AWS
// endpoint pointed at moto, and the watcher's database credential pointing at a real PostgreSQL with
// Airflow's tables. Each handler is called with the exact input its schedule sends.

import { strict as assert } from "assert";
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Client } from "pg";
import { DescribeNodegroupCommand } from "@aws-sdk/client-eks";
import { DescribeDBInstancesCommand, StopDBInstanceCommand } from "@aws-sdk/client-rds";
import { GetParameterCommand } from "@aws-sdk/client-ssm";
import { CreateBucketCommand, GetObjectCommand } from "@aws-sdk/client-s3";
import { CreateTopicCommand, SubscribeCommand } from "@aws-sdk/client-sns";
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { Evaluation } from "../offline/evaluate";
import type { Clients } from "./handlers";
import { SCHEDULED_TIME } from "./component";
import { deploymentPackage, schedulerProgram } from "../tests/power-program";
import { CREDENTIALS, REGION, createLeaseTable, createWorld, motoClients, putParameter, settingsAround, type World } from "../tests/power-fixtures";
import { clockEnv, startMoto, type Moto } from "../tests/services";
import { liveScheduler, rdsLikeMetastore, type RdsLikeMetastore } from "../tests/metastore-fixture";
import { evaluateOnce } from "../tests/stacks";
import { FAKE } from "../tests/power-program";
import { readRecordedCalls, refused, RECORDER, verdicts, worldForIam } from "../tests/iam-calls";

const ROOT = path.resolve(__dirname, "..");

interface Deployed {
    readonly dir: string;
    readonly environment: Record<string, string>;
}

/** Writes a function's package as Lambda would unpack it: __index.js and node_modules/ side by side. */
async function unpack(e: Evaluation, resourceName: string, into: string): Promise<Deployed> {
    const fn = e.get("aws:lambda/function:Function", resourceName);
    const pkg = await deploymentPackage(fn.inputs.code);
    const dir = path.join(into, resourceName);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "__index.js"), pkg.index);
    for (const [target, source] of Object.entries(pkg.modules)) {
        fs.cpSync(path.resolve(ROOT, source), path.join(dir, target), { recursive: true, dereference: true });
    }
    return { dir, environment: fn.inputs.environment.variables };
}

/**
 * The runtime's own modules: Lambda's Node.js 22 runtime has the AWS SDK v3 on its module path
 * (/var/runtime/node_modules). Here, links to this project's @aws-sdk/client-* packages on NODE_PATH.
 */
function runtimeModules(into: string): string {
    const dir = path.join(into, "runtime", "node_modules", "@aws-sdk");
    fs.mkdirSync(dir, { recursive: true });
    for (const client of fs.readdirSync(path.join(ROOT, "node_modules", "@aws-sdk")).filter((n) => n.startsWith("client-"))) {
        fs.symlinkSync(path.join(ROOT, "node_modules", "@aws-sdk", client), path.join(dir, client));
    }
    return path.dirname(dir);
}

interface Invocation {
    readonly result: { action: string; reason: string; effects: string[] };
    readonly stdout: string;
}

/** Loads __index.js in a fresh node and calls exports.handler(event), as the runtime does. */
function invoke(fn: Deployed, event: unknown, env: Record<string, string>): Promise<Invocation> {
    const script = `
        const { handler } = require(${JSON.stringify(path.join(fn.dir, "__index.js"))});
        handler(JSON.parse(process.argv[1])).then(
            (r) => process.stdout.write("\\n@@RESULT@@" + JSON.stringify(r) + "\\n"),
            (e) => { console.error(e); process.exit(1); });`;
    return new Promise((resolve, reject) => {
        // The recorder (tests/record-aws-calls.js) writes each SDK call to RECORD_AWS_CALLS, for the IAM judge.
        execFile(process.execPath, ["-r", RECORDER, "-e", script, JSON.stringify(event)], { cwd: fn.dir, env, timeout: 30_000 }, (err, stdout, stderr) => {
            if (err) return reject(new Error(`${err.message}\n${stderr}\n${stdout}`));
            const line = stdout.split("\n").find((l) => l.startsWith("@@RESULT@@"));
            if (!line) return reject(new Error(`no result:\n${stdout}\n${stderr}`));
            resolve({ result: JSON.parse(line.slice("@@RESULT@@".length)), stdout });
        });
    });
}

/** The schedule's target input, as Scheduler delivers it: the context attribute filled in. */
function scheduledInput(e: Evaluation, schedule: string, at: Date): unknown {
    const input = e.get("aws:scheduler/schedule:Schedule", schedule).inputs.target.input as string;
    assert.ok(input.includes(SCHEDULED_TIME));
    return JSON.parse(input.replace(SCHEDULED_TIME, at.toISOString()));
}

describe("NightlyScheduler: the shipped Lambda code in a fresh Node process against moto and PostgreSQL", function () {
    this.timeout(60_000);
    const now = new Date();
    const prefix = "data-platform-staging";
    const name = `${prefix}-scheduler`;
    const ids = { clusterName: "dp-lambda-eks", nodeGroupName: "dp-lambda-nodes", dbInstanceIdentifier: "dp-lambda-metastore" };
    let moto: Moto;
    let meta: RdsLikeMetastore;
    let c: Clients;
    let w: World;
    let e: Evaluation;
    let tmp: string;
    let wake: Deployed;
    let watch: Deployed;
    let env: (fn: Deployed) => Record<string, string>;
    const callLog = (fn: Deployed) => `${fn.dir}.aws-calls.jsonl`;
    let airflow: Client;
    let scheduler: Awaited<ReturnType<typeof liveScheduler>> | undefined;
    let sqs: SQSClient;
    let queueUrl: string;

    before(async () => {
        // The metastore as on RDS: Airflow's tables owned by airflow, the watcher's monitoring login.
        [moto, meta] = await Promise.all([startMoto(), rdsLikeMetastore()]);
        c = motoClients(moto.endpoint);
        w = await createWorld(c, "lambda");
        assert.equal(w.clusterName, ids.clusterName);
        // The program, with the wake an hour before the real clock so that the watch's grace is over.
        e = await evaluateOnce({
            stack: "staging",
            program: schedulerProgram({ names: { ...ids, nodeGroupArn: w.nodeGroupArn, dbInstanceArn: w.dbInstanceArn }, settings: (p) => settingsAround(now, p, { minutesAwake: 60, backup: "taken" }) }),
        });
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "power-lambda-"));
        wake = await unpack(e, `${name}-wake`, tmp);
        watch = await unpack(e, `${name}-watch`, tmp);
        const nodePath = runtimeModules(tmp);
        env = (fn) => ({
            PATH: process.env.PATH ?? "/usr/bin:/bin",
            NODE_PATH: nodePath,
            AWS_REGION: REGION,
            AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
            AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
            AWS_ENDPOINT_URL: moto.endpoint,
            POWER_CONTEXT: fn.environment.POWER_CONTEXT,
            RECORD_AWS_CALLS: callLog(fn),
            ...clockEnv(),
        });
        // What Pulumi creates: the flag, the state, and the credential (here: the test PostgreSQL).
        const context = JSON.parse(watch.environment.POWER_CONTEXT);
        await putParameter(c, context.settings.keepAwakeParameter, "none");
        // The lease table, under the name the program gives the functions.
        await createLeaseTable(c, context.lease.table);
        await putParameter(c, context.settings.stateParameter, "{}");
        // The morning report's bucket and the alarm topic, under the names the program gives the watcher;
        // a queue subscribed to the topic receives what the operator's e-mail would.
        await c.s3.send(new CreateBucketCommand({ Bucket: context.report.bucket }));
        const topic = await c.sns.send(new CreateTopicCommand({ Name: context.report.topicArn.split(":").pop() }));
        assert.equal(topic.TopicArn, context.report.topicArn);
        sqs = new SQSClient({ endpoint: moto.endpoint, region: REGION, credentials: CREDENTIALS });
        queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: "operator-inbox" }))).QueueUrl!;
        const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }))).Attributes!.QueueArn;
        await c.sns.send(new SubscribeCommand({ TopicArn: topic.TopicArn, Protocol: "sqs", Endpoint: queueArn }));
        airflow = meta.airflow;
        await airflow.query(`INSERT INTO dag_run (dag_id, run_id, state, run_type, run_after, clear_number, span_status) VALUES ('etl', 'scheduled__1', 'success', 'scheduled', now(), 0, 'not_started');
            INSERT INTO task_instance (id, task_id, dag_id, run_id, state, pool, pool_slots, dag_version_id) VALUES (gen_random_uuid(), 'extract', 'etl', 'scheduled__1', 'success', 'default_pool', 1, gen_random_uuid());`);
        scheduler = await liveScheduler(airflow);
        await putParameter(c, context.databaseParameter, JSON.stringify(meta.monitor), true);
        // By day: the metastore is stopped and the nodes are at zero.
        await c.rds.send(new StopDBInstanceCommand({ DBInstanceIdentifier: w.dbInstanceIdentifier }));
    });
    after(async () => {
        scheduler?.kill();
        await Promise.all([moto?.stop(), meta?.stop()]);
        if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    const nodes = async () => (await c.eks.send(new DescribeNodegroupCommand({ clusterName: w.clusterName, nodegroupName: w.nodeGroupName }))).nodegroup!.scalingConfig!;
    const db = async () => (await c.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: w.dbInstanceIdentifier }))).DBInstances![0].DBInstanceStatus;
    const state = async () => JSON.parse((await c.ssm.send(new GetParameterCommand({ Name: JSON.parse(watch.environment.POWER_CONTEXT).settings.stateParameter }))).Parameter!.Value!);

    it("the package holds the closure and pg, not the SDK: the SDK comes from the runtime's path", () => {
        assert.ok(fs.existsSync(path.join(watch.dir, "node_modules", "pg", "package.json")));
        assert.ok(!fs.existsSync(path.join(watch.dir, "node_modules", "@aws-sdk")));
    });

    it("db-start schedule → wake function: starts the metastore, leaves the nodes", async () => {
        const { result } = await invoke(wake, scheduledInput(e, `${name}-db-start`, new Date()), env(wake));
        assert.equal(result.action, "start-db");
        assert.deepEqual(result.effects, ["metastore start requested"]);
        assert.equal(await db(), "available");
        assert.equal((await nodes()).desiredSize, 0);
    });

    it("wake schedule → wake function: restores the node group to nodeCount (min 0, max nodeCount: a lowered count lowers it); again: no-op", async () => {
        const input = scheduledInput(e, `${name}-wake`, new Date());
        const first = await invoke(wake, input, env(wake));
        assert.equal(first.result.action, "wake");
        const ng = await nodes();
        // The stack's nodeCount (staging's config), never above the group's max of 4 here.
        const nodeCount = JSON.parse(wake.environment.POWER_CONTEXT).nodeCount as number;
        assert.deepEqual([ng.desiredSize, ng.minSize, ng.maxSize], [nodeCount, 0, Math.max(1, nodeCount)]);
        const again = await invoke(wake, input, env(wake));
        assert.equal(again.result.action, "none");
        assert.deepEqual(again.result.effects, []);
    });

    it("watch schedule → watch function, Airflow busy: reads the credential from SSM, queries PostgreSQL, stays awake", async () => {
        await airflow.query("INSERT INTO dag_run (dag_id, run_id, state, run_type, run_after) VALUES ('report', 'scheduled__1', 'running', 'scheduled', now())");
        const { result, stdout } = await invoke(watch, scheduledInput(e, `${name}-watch`, new Date()), env(watch));
        assert.equal(result.action, "none");
        assert.match(result.reason, /busy: 1 DAG runs/);
        assert.equal((await nodes()).desiredSize, JSON.parse(wake.environment.POWER_CONTEXT).nodeCount);
        // The metrics line (CloudWatch embedded metric format), straight on stdout.
        const emf = JSON.parse(stdout.split("\n").find((l) => l.startsWith("{\"_aws\""))!);
        assert.equal(emf._aws.CloudWatchMetrics[0].Namespace, "DataPlatform/NightlyScheduler");
        assert.deepEqual([emf.Stack, emf.ForcedSleep, emf.NodesUpAfterWindow, emf.DatabaseRunningWhileAsleep], ["staging", 0, 0, 0]);
        // Flux's status: moto's cluster has an endpoint nobody serves, so the watcher cannot read it,
        // says so, and counts it against the flux-not-ready alarm, without failing the watch.
        assert.ok(emf._aws.CloudWatchMetrics[0].Metrics.some((m: { Name: string }) => m.Name === "FluxNotReady"));
        assert.equal(emf.FluxNotReady, 1);
        assert.match(emf.fluxProblems[0], /^cannot read Flux's status: /);
        await airflow.query("UPDATE dag_run SET state = 'success' WHERE dag_id = 'report'");
    });

    it("watch, Airflow idle: the first check is remembered, the second consecutive one puts the platform to sleep", async () => {
        const first = await invoke(watch, scheduledInput(e, `${name}-watch`, new Date()), env(watch));
        assert.equal(first.result.action, "record-idle");
        const remembered = await state();
        assert.ok(remembered.idleSince);
        assert.equal(remembered.lastCheck.action, "record-idle");
        // Ten minutes pass: the next scheduled watch finds the previous check's idle mark that old.
        const tenMinutesAgo = new Date(Date.now() - 10 * 60_000).toISOString();
        await putParameter(c, JSON.parse(watch.environment.POWER_CONTEXT).settings.stateParameter, JSON.stringify({ ...remembered, idleSince: tenMinutesAgo }));
        const second = await invoke(watch, scheduledInput(e, `${name}-watch`, new Date()), env(watch));
        assert.equal(second.result.action, "sleep");
        const context = JSON.parse(watch.environment.POWER_CONTEXT);
        const reportEffect = second.result.effects.find((x) => x.startsWith("morning report"));
        assert.match(reportEffect ?? "", new RegExp(`^morning report mailed and kept as s3://${context.report.bucket}/reports/\\d{4}-\\d\\d-\\d\\d\\.json$`));
        assert.deepEqual(second.result.effects.filter((x) => x !== reportEffect), ["nodes scaled to 0", "metastore stop requested"]);
        // Kept: the JSON the next nights compare with, read from moto's S3 (encrypted there by the bucket's default).
        const key = reportEffect!.replace(`morning report mailed and kept as s3://${context.report.bucket}/`, "");
        const kept = JSON.parse(await (await c.s3.send(new GetObjectCommand({ Bucket: context.report.bucket, Key: key }))).Body!.transformToString());
        assert.equal(kept.cause, "idle");
        assert.deepEqual(kept.runs.map((r: { dagId: string; state: string }) => [r.dagId, r.state]).sort(), [["etl", "success"], ["report", "success"]]);
        // moto's cluster has an endpoint nobody serves: the report says Flux could not be read, at the top.
        assert.equal(kept.alerts.length, 1);
        assert.match(kept.alerts[0], /^Flux had not delivered Airflow: cannot read Flux's status: /);
        const html = await (await c.s3.send(new GetObjectCommand({ Bucket: context.report.bucket, Key: key.replace(/json$/, "html") }))).Body!.transformToString();
        assert.match(html, /^<!doctype html>/);
        // Mailed: what the topic delivered to its subscriber.
        const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 2 }));
        assert.equal(received.Messages?.length, 1);
        const envelope = JSON.parse(received.Messages![0].Body!);
        assert.match(envelope.Subject, /^staging, night of \d{4}-\d\d-\d\d: Flux had not delivered Airflow/);
        assert.ok(envelope.Subject.length <= 100);
        assert.match(envelope.Message, /DAG runs \(2\):/);
        assert.match(envelope.Message, /about \$\d+\.\d\d/);
        const ng = await nodes();
        // The sleep keeps the maximum the wake set (EKS refuses 0).
        assert.deepEqual([ng.desiredSize, ng.minSize, ng.maxSize], [0, 0, Math.max(1, JSON.parse(wake.environment.POWER_CONTEXT).nodeCount)]);
        assert.equal(await db(), "stopped");
        // Once more: asleep, nothing to do.
        const third = await invoke(watch, scheduledInput(e, `${name}-watch`, new Date()), env(watch));
        assert.equal(third.result.action, "none");
        assert.deepEqual(third.result.effects, []);
    });

    it("a watch delivered long after its schedule is ignored", async () => {
        const { result } = await invoke(watch, scheduledInput(e, `${name}-watch`, new Date(Date.now() - 20 * 60_000)), env(watch));
        assert.equal(result.action, "ignore");
    });

    it("an operator's wake with the AWS CLI alone (aws lambda invoke): keep-awake set, the metastore started, the nodes restored", async () => {
        const context = JSON.parse(wake.environment.POWER_CONTEXT);
        const { result } = await invoke(wake, { kind: "operator-wake", hours: 2, by: "alice" }, env(wake));
        assert.equal(result.action, "wake");
        assert.match(result.effects[0], /^keep-awake until \d{4}-/);
        assert.ok(result.effects.includes(`nodes scaled to ${context.nodeCount}`), result.effects.join("; "));
        assert.equal((await nodes()).desiredSize, context.nodeCount);
        assert.equal(await db(), "available");
        const flag = JSON.parse((await c.ssm.send(new GetParameterCommand({ Name: context.settings.keepAwakeParameter }))).Parameter!.Value!);
        assert.equal(flag.by, "alice (lambda invoke)");
        assert.ok(Date.parse(flag.until) > Date.now() + 3_500_000);
    });

    it("the wake function refuses a watch event (each function only takes its own schedule's input)", async () => {
        await assert.rejects(invoke(wake, scheduledInput(e, `${name}-watch`, new Date()), env(wake)), /kind must be one of db-start, wake/);
    });

    // Last: every AWS call the shipped code made in this file's invocations, recorded in the child
    // process, judged against the policy the evaluated program attaches to that function's role.
    it("every AWS call the shipped code made is one its role's policy in the evaluated program allows", () => {
        const parameters = e.resources.filter((r) => r.type === "aws:ssm/parameter:Parameter" && r.inputs.type === "SecureString");
        const world = worldForIam(w, { secureParameters: new Map(parameters.map((p) => [p.inputs.name as string, p.inputs.keyId as string])), bucketKeyArn: FAKE.taskLogKeyArn });
        const judged = { wake: { fn: wake, expected: ["eks:UpdateNodegroupConfig", "rds:StartDBInstance", "ssm:PutParameter", "dynamodb:UpdateItem"] }, watch: { fn: watch, expected: ["ssm:GetParameter", "eks:DescribeCluster", "rds:StopDBInstance", "s3:PutObject", "sns:Publish"] } };
        const verdictsOf: Record<string, ReturnType<typeof verdicts>> = {};
        for (const [part, { fn, expected }] of Object.entries(judged)) {
            const calls = readRecordedCalls(callLog(fn));
            const actions = new Set(calls.map((x) => x.action));
            for (const a of expected) assert.ok(actions.has(a), `${part} made no ${a}: ${[...actions].join(", ")}`);
            const policy = JSON.parse(e.get("aws:iam/rolePolicy:RolePolicy", `${name}-${part}-policy`).inputs.policy);
            verdictsOf[part] = verdicts(calls, [policy], world);
            assert.deepEqual(refused(calls, [policy], world), [], `${part}: calls its role may not make`);
        }
        // The judge saw the KMS call SSM makes for the credential, on the key the program gave it.
        const kms = verdictsOf.watch.filter((v) => v.action === "kms:Decrypt" && v.resource === parameters[0].inputs.keyId);
        assert.ok(kms.length > 0 && kms.every((v) => v.verdict === "allowed"));
    });
});
