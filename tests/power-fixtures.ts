// The NightlyScheduler's world in moto: an EKS cluster with its node group, the metastore's DB
// instance, the SSM parameters; SDK clients pointed at moto; settings placed around the real clock.

import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CreateClusterCommand, CreateNodegroupCommand, DescribeNodegroupCommand, EKSClient } from "@aws-sdk/client-eks";
import { CreateDBInstanceCommand, RDSClient } from "@aws-sdk/client-rds";
import { PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { S3Client } from "@aws-sdk/client-s3";
import { SNSClient } from "@aws-sdk/client-sns";
import { powerSettings, zonedParts, type PowerSettings } from "../scheduler/power";
import type { Clients, PowerContext } from "../scheduler/handlers";

export const REGION = "us-east-1";
export const CREDENTIALS = { accessKeyId: "testing", secretAccessKey: "testing" };

export function motoClients(endpoint: string): Clients {
    const config = { endpoint, region: REGION, credentials: CREDENTIALS };
    return {
        dynamodb: new DynamoDBClient(config), eks: new EKSClient(config), rds: new RDSClient(config), ssm: new SSMClient(config),
        // Path-style: moto serves every bucket on its one endpoint.
        s3: new S3Client({ ...config, forcePathStyle: true }), sns: new SNSClient(config),
    };
}

export interface World {
    readonly clusterName: string;
    readonly nodeGroupName: string;
    readonly dbInstanceIdentifier: string;
    readonly nodeGroupArn: string;
    readonly dbInstanceArn: string;
    /** The power lease's table (scheduler/lease.ts). */
    readonly leaseTable: string;
}

/** A platform at rest: node group at 0 (max 4), a Multi-AZ PostgreSQL instance (moto creates it available). */
/** The power lease's table as the component creates it (scheduler/lease.ts): on-demand, keyed by id. */
export async function createLeaseTable(c: Pick<Clients, "dynamodb">, name: string): Promise<void> {
    await c.dynamodb.send(new CreateTableCommand({ TableName: name, BillingMode: "PAY_PER_REQUEST", AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }], KeySchema: [{ AttributeName: "id", KeyType: "HASH" }] }));
}

export async function createWorld(c: Clients, id: string): Promise<World> {
    const clusterName = `dp-${id}-eks`;
    const nodeGroupName = `dp-${id}-nodes`;
    const dbInstanceIdentifier = `dp-${id}-metastore`;
    await c.eks.send(new CreateClusterCommand({
        name: clusterName,
        roleArn: "arn:aws:iam::123456789012:role/eks-cluster",
        resourcesVpcConfig: { subnetIds: ["subnet-a", "subnet-b", "subnet-c"] },
    }));
    await c.eks.send(new CreateNodegroupCommand({
        clusterName, nodegroupName: nodeGroupName, nodeRole: "arn:aws:iam::123456789012:role/eks-nodes",
        subnets: ["subnet-a", "subnet-b", "subnet-c"], instanceTypes: ["t3.medium"],
        scalingConfig: { minSize: 0, maxSize: 4, desiredSize: 0 },
    }));
    const ng = await c.eks.send(new DescribeNodegroupCommand({ clusterName, nodegroupName: nodeGroupName }));
    const db = await c.rds.send(new CreateDBInstanceCommand({
        DBInstanceIdentifier: dbInstanceIdentifier, Engine: "postgres", EngineVersion: "17", DBInstanceClass: "db.t3.micro",
        MultiAZ: true, AllocatedStorage: 20, MasterUsername: "airflow_admin", MasterUserPassword: "not-a-real-password-1",
        BackupRetentionPeriod: 7, PreferredBackupWindow: "08:15-08:45",
    }));
    // The lease table as scheduler/component.ts creates it.
    const leaseTable = `dp-${id}-lease`;
    await createLeaseTable(c, leaseTable);
    return { clusterName, nodeGroupName, dbInstanceIdentifier, nodeGroupArn: ng.nodegroup!.nodegroupArn!, dbInstanceArn: db.DBInstance!.DBInstanceArn!, leaseTable };
}

const two = (n: number) => String(n).padStart(2, "0");
const hhmm = (d: Date) => `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}`;

/**
 * Settings that put the real clock `minutesAwake` after a wake (Los Angeles time), with the backup
 * window either already open at the metastore's early start ("taken": moto's automated backup, made
 * when the instance was created, counts) or opening after now ("pending").
 */
export function settingsAround(now: Date, stackPrefix: string, options: { minutesAwake: number; backup: "taken" | "pending" }): PowerSettings {
    const wake = new Date(Math.floor(now.getTime() / 60_000) * 60_000 - options.minutesAwake * 60_000);
    const local = zonedParts(wake, "America/Los_Angeles");
    const lead = 30;
    const windowStart = options.backup === "taken" ? new Date(wake.getTime() - lead * 60_000) : new Date(now.getTime() + 10 * 60_000);
    const windowEnd = new Date(windowStart.getTime() + 30 * 60_000);
    return powerSettings(stackPrefix, {
        wakeCron: `cron(${local.minute} ${local.hour} * * ? *)`,
        dbLeadMinutes: lead,
        backupWindow: `${hhmm(windowStart)}-${hhmm(windowEnd)}`,
    });
}

export function contextFor(world: World, settings: PowerSettings, extra: Partial<PowerContext> = {}): PowerContext {
    return {
        stack: "test",
        clusterName: world.clusterName,
        nodeGroupName: world.nodeGroupName,
        nodeCount: 4,
        dbInstanceIdentifier: world.dbInstanceIdentifier,
        settings,
        metricsNamespace: "DataPlatform/NightlyScheduler",
        retry: { retryDelayMs: 50, maxDelayMs: 200, maxWaitMs: 10_000 },
        lease: { table: world.leaseTable, ttlSeconds: 60 },
        ...extra,
    };
}

export async function putParameter(c: Clients, name: string, value: string, secure = false): Promise<void> {
    await c.ssm.send(new PutParameterCommand({ Name: name, Value: value, Type: secure ? "SecureString" : "String", Overwrite: true }));
}

/** An HTTP answer, whole. */
export interface Answer {
    readonly status: number;
    readonly headers: import("http").OutgoingHttpHeaders;
    readonly body: Buffer;
}

/** Sends a request (its body already read) on to `target`, moto, and returns moto's whole answer. */
export function forward(target: string, req: import("http").IncomingMessage, body: Buffer): Promise<Answer> {
    const http = require("http") as typeof import("http");
    return new Promise((resolve, reject) => {
        const up = http.request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (r) => {
            const out: Buffer[] = [];
            r.on("data", (c: Buffer) => out.push(c));
            r.on("end", () => resolve({ status: r.statusCode ?? 502, headers: r.headers, body: Buffer.concat(out) }));
        });
        up.on("error", reject);
        up.end(body);
    });
}

/**
 * A stand-in on 127.0.0.1 in front of moto for what moto does not model: `answer` gets each request with
 * its whole body and returns the answer (usually moto's, through forward(), changed or not).
 */
export async function standIn(answer: (req: import("http").IncomingMessage, body: Buffer) => Promise<Answer>): Promise<{ endpoint: string; close(): Promise<void> }> {
    const http = require("http") as typeof import("http");
    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            answer(req, Buffer.concat(chunks)).then(
                (a) => {
                    // The body is whole now: its length replaces any chunked encoding moto answered with.
                    const headers = { ...a.headers, "content-length": String(a.body.length) };
                    delete headers["transfer-encoding"];
                    res.writeHead(a.status, headers);
                    res.end(a.body);
                },
                (e: Error) => { res.writeHead(502); res.end(String(e)); });
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
        endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
        close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
}

/**
 * RDS's states that take time, which moto skips (its StopDBInstance is "stopped" at once and its
 * StartDBInstance "available" at once): an HTTP proxy in front of moto that, for `stopMs` after a
 * StopDBInstance it forwarded, reports the instance `stopping` and refuses StartDBInstance with RDS's
 * own error (HTTP 400, code InvalidDBInstanceState, as the RDS API reference lists for a start of an
 * instance that is not stopped), and for `startMs` after a StartDBInstance reports it `starting`.
 * It also keeps what moto does not model, a deferred change: while `pending` names fields, its
 * DescribeDBInstances answer carries them as PendingModifiedValues (as RDS does after a ModifyDBInstance
 * without ApplyImmediately); a ModifyDBInstance with ApplyImmediately=true clears them and reports the
 * instance `modifying` for `modifyMs`, as RDS applies them. `actions` lists every action forwarded.
 * And RDS's automated backups, which moto takes only at creation: when `backups` is set, the automated
 * snapshots DescribeDBSnapshots lists are exactly these (completed, at these times), so a replay on a
 * virtual clock can have RDS take the night's backup in its window, or not.
 * The real SDK parses all of it; everything else is moto's answer unchanged.
 */
export async function rdsTimingProxy(target: string, timing: { stopMs: number; startMs: number; modifyMs?: number }) {
    const state = {
        stoppingUntil: 0, startingUntil: 0, modifyingUntil: 0, refusedStarts: 0, timing,
        pending: {} as Record<string, string>, actions: [] as string[], backups: undefined as Date[] | undefined,
    };
    const server = await standIn(async (req, body) => {
        const query = body.toString("utf8");
        const action = /(?:^|&)Action=([A-Za-z]+)/.exec(query)?.[1];
        if (action !== undefined) state.actions.push(action);
        const now = Date.now();
        if (action === "ModifyDBInstance" && /(?:^|&)ApplyImmediately=true(?:&|$)/.test(query)) {
            // Applied now: moto has nothing to change (it never held them), so answer as RDS does.
            if (Object.keys(state.pending).length > 0) state.modifyingUntil = now + (state.timing.modifyMs ?? 1_000);
            state.pending = {};
        }
        if (action === "StartDBInstance" && now < state.stoppingUntil) {
            state.refusedStarts += 1;
            return { status: 400, headers: { "content-type": "text/xml" }, body: Buffer.from(`<ErrorResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><Error><Type>Sender</Type><Code>InvalidDBInstanceState</Code><Message>Instance is not in stopped state.</Message></Error><RequestId>0</RequestId></ErrorResponse>`) };
        }
        const r = await forward(target, req, body);
        let text = r.body.toString("utf8");
        if (action === "StopDBInstance" && r.status === 200) state.stoppingUntil = Date.now() + state.timing.stopMs;
        if (action === "StartDBInstance" && r.status === 200) state.startingUntil = Date.now() + state.timing.startMs;
        if (action === "DescribeDBSnapshots" && state.backups !== undefined && /SnapshotType=automated/.test(query)) {
            const id = /DBInstanceIdentifier=([^&]+)/.exec(query)?.[1] ?? "";
            const snapshots = state.backups.map((at) => `<DBSnapshot><DBSnapshotIdentifier>rds:${id}-${at.toISOString().slice(0, 16).replace(/[T:]/g, "-")}</DBSnapshotIdentifier><DBInstanceIdentifier>${id}</DBInstanceIdentifier><SnapshotCreateTime>${at.toISOString()}</SnapshotCreateTime><Engine>postgres</Engine><Status>available</Status><SnapshotType>automated</SnapshotType></DBSnapshot>`).join("");
            text = text.replace(/<DBSnapshots\s*\/>|<DBSnapshots>[\s\S]*<\/DBSnapshots>/, `<DBSnapshots>${snapshots}</DBSnapshots>`);
        }
        if (action === "DescribeDBInstances") {
            if (Date.now() < state.stoppingUntil) text = text.replace(/<DBInstanceStatus>stopped<\/DBInstanceStatus>/g, "<DBInstanceStatus>stopping</DBInstanceStatus>");
            if (Date.now() < state.startingUntil) text = text.replace(/<DBInstanceStatus>available<\/DBInstanceStatus>/g, "<DBInstanceStatus>starting</DBInstanceStatus>");
            if (Date.now() < state.modifyingUntil) text = text.replace(/<DBInstanceStatus>available<\/DBInstanceStatus>/g, "<DBInstanceStatus>modifying</DBInstanceStatus>");
            const fields = Object.entries(state.pending).map(([k, v]) => `<${k}>${v}</${k}>`).join("");
            text = text.replace(/<PendingModifiedValues\s*\/>|<PendingModifiedValues>[\s\S]*?<\/PendingModifiedValues>/g, "");
            if (fields) text = text.replace(/(<DBInstanceStatus>[a-z-]+<\/DBInstanceStatus>)/g, `$1<PendingModifiedValues>${fields}</PendingModifiedValues>`);
        }
        return { ...r, body: Buffer.from(text) };
    });
    return Object.assign(state, server);
}

/**
 * DynamoDB's guarantee that moto's server does not keep: writes to one item are serialised, so a
 * conditional write is evaluated against the item as the previous write left it (DynamoDB Developer
 * Guide, "Condition expressions": a conditional write succeeds only if the condition holds at the
 * moment of the write). moto 5's server handles requests on threads, and once, in a CI run on a loaded
 * machine, two of four concurrent conditional UpdateItems both succeeded (none in 100 rounds on an idle
 * one): moto's race, not the lease's. This proxy forwards one request at a time, in the order they
 * arrived, as DynamoDB applies writes to one item; the takers still race each other over HTTP.
 */
export async function serialisingProxy(target: string) {
    let queue: Promise<unknown> = Promise.resolve();
    const state = { forwarded: 0 };
    const server = await standIn((req, body) => {
        const answer = queue.then(() => forward(target, req, body)).then((r) => { state.forwarded += 1; return r; });
        queue = answer.catch(() => undefined);
        return answer;
    });
    return Object.assign(state, server);
}

