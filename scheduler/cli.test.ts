// `npm run power`: argument parsing, how it finds the stack's names (pulumi stack output), and against
// moto, that each command does what it says; once through npm itself, as an operator runs it.

import { strict as assert } from "assert";
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DescribeNodegroupCommand } from "@aws-sdk/client-eks";
import { DescribeDBInstancesCommand } from "@aws-sdk/client-rds";
import { DEFAULT_HOURS, MAX_HOURS, parseArgs, resolveContext, run, type PowerArgs } from "./cli";
import { readKeepAwake } from "./aws-ssm";
import type { Clients, PowerContext } from "./handlers";
import { contextFor, CREDENTIALS, createWorld, motoClients, putParameter, REGION, settingsAround, type World } from "../tests/power-fixtures";
import { startMoto, type Moto } from "../tests/services";

const ROOT = path.resolve(__dirname, "..");

describe("npm run power: arguments", () => {
    const env = { USER: "alice" };
    const ok = (argv: string[]) => {
        const a = parseArgs(argv, env);
        assert.equal(typeof a, "object", String(a));
        return a as PowerArgs;
    };
    it("parses each command with its defaults", () => {
        assert.deepEqual(ok(["status", "--stack", "prod"]), { command: "status", stack: "prod", hours: 0, contextFile: undefined, by: "alice", nights: 3 });
        assert.deepEqual(ok(["wake", "--stack", "prod"]), { command: "wake", stack: "prod", hours: DEFAULT_HOURS, contextFile: undefined, by: "alice", nights: 3 });
        assert.deepEqual(ok(["keep-awake", "--hours", "6", "--stack=staging", "--by", "bob"]), { command: "keep-awake", stack: "staging", hours: 6, contextFile: undefined, by: "bob", nights: 3 });
        assert.equal(ok(["keep-awake", "--hours", "0", "--stack", "prod"]).hours, 0);
        assert.equal(ok(["sleep", "--stack", "prod", "--context", "ctx.json"]).contextFile, "ctx.json");
        assert.equal(ok(["--stack", "prod", "wake", "--hours=1.5"]).hours, 1.5);
        assert.equal(ok(["report", "--stack", "prod", "--nights", "7"]).nights, 7);
    });
    it("refuses what it cannot do, saying why", () => {
        const cases: [string[], RegExp][] = [
            [[], /a command is required/],
            [["reboot", "--stack", "prod"], /unknown command reboot/],
            [["wake", "sleep", "--stack", "prod"], /one command only/],
            [["status"], /--stack <name> is required/],
            [["status", "--stack"], /--stack needs a value: --stack <name>/],
            [["status", "--stack", "prod", "--hours", "2"], /--hours applies to keep-awake, wake and start-db/],
            [["account", "--stack", "prod", "--hours", "2"], /--hours applies to keep-awake, wake and start-db, not account/],
            [["start-db", "--stack", "prod", "--hours", "0"], /start-db needs --hours > 0/],
            [["keep-awake", "--stack", "prod", "--hours", "-1"], /from 0 to 24/],
            [["keep-awake", "--stack", "prod", "--hours", String(MAX_HOURS + 1)], /from 0 to 24/],
            [["keep-awake", "--stack", "prod", "--hours", "soon"], /must be a number/],
            [["wake", "--stack", "prod", "--hours", "0"], /wake needs --hours > 0/],
            [["status", "--stack", "prod", "--force"], /unknown option --force/],
            [["status", "--stack", "prod", "--context"], /--context needs a value: --context <file>/],
            [["status", "--stack", "prod", "--nights", "2"], /--nights applies to report, not status/],
            [["report", "--stack", "prod", "--nights", "0"], /from 1 to 90/],
            [["report", "--stack", "prod", "--nights", "2.5"], /whole number/],
        ];
        for (const [argv, why] of cases) assert.match(String(parseArgs(argv, env)), why, argv.join(" "));
    });
});

describe("npm run power: the stack's names", () => {
    const ctx = { stack: "prod", clusterName: "c", nodeGroupName: "n", dbInstanceIdentifier: "d", settings: {} };
    it("reads the stack output powerContext with the Pulumi CLI (a JSON string, printed as a JSON literal)", () => {
        const calls: string[][] = [];
        const got = resolveContext({ stack: "prod" }, (file, args) => {
            calls.push([file, ...args]);
            return JSON.stringify(JSON.stringify(ctx));
        });
        assert.deepEqual(calls, [["pulumi", "stack", "output", "powerContext", "--json", "--stack", "prod"]]);
        assert.equal(got.clusterName, "c");
    });
    it("says what went wrong when the CLI fails, and refuses another stack's context", () => {
        assert.throws(() => resolveContext({ stack: "prod" }, () => { throw new Error("no stack named prod"); }), /could not read the stack output powerContext of prod.*no stack named prod/);
        assert.throws(() => resolveContext({ stack: "staging" }, () => JSON.stringify(ctx)), /for stack prod, not staging/);
        assert.throws(() => resolveContext({ stack: "prod" }, () => JSON.stringify({ stack: "prod" })), /has no clusterName/);
    });
});

describe("npm run power: against moto", function () {
    this.timeout(60_000);
    let moto: Moto;
    let c: Clients;
    let w: World;
    let ctx: PowerContext;
    let dir: string;
    const saved = { ...process.env };
    const now = new Date();

    before(async () => {
        moto = await startMoto();
        c = motoClients(moto.endpoint);
        w = await createWorld(c, "ops");
        ctx = { ...contextFor(w, settingsAround(now, "dp-ops", { minutesAwake: 600, backup: "taken" })), stack: "ops", region: REGION };
        await putParameter(c, ctx.settings.keepAwakeParameter, "none");
        await putParameter(c, ctx.settings.stateParameter, "{}");
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "power-script-"));
        fs.writeFileSync(path.join(dir, "ctx.json"), JSON.stringify(JSON.stringify(ctx)));
        // The operator's credentials, here moto's.
        Object.assign(process.env, { AWS_ENDPOINT_URL: moto.endpoint, AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey });
    });
    after(async () => {
        for (const k of ["AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]) {
            if (saved[k] === undefined) delete process.env[k];
            else process.env[k] = saved[k];
        }
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
        await moto?.stop();
    });
    const nodes = async () => (await c.eks.send(new DescribeNodegroupCommand({ clusterName: w.clusterName, nodegroupName: w.nodeGroupName }))).nodegroup!.scalingConfig!.desiredSize;
    const db = async () => (await c.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: w.dbInstanceIdentifier }))).DBInstances![0].DBInstanceStatus;
    const args = (argv: string[]) => parseArgs([...argv, "--stack", "ops", "--context", path.join(dir, "ctx.json")], { USER: "alice" }) as PowerArgs;

    it("wake: keep-awake for the hours asked, nodes restored, metastore running", async () => {
        const a = args(["wake", "--hours", "3"]);
        const text = await run(a, resolveContext(a));
        assert.match(text, /keep-awake until/);
        assert.equal(await nodes(), 4);
        assert.equal(await db(), "available");
        const flag = await readKeepAwake(c.ssm, ctx.settings.keepAwakeParameter);
        assert.equal(flag?.by, "alice");
        assert.ok(Math.abs(Date.parse(flag!.until) - (Date.now() + 3 * 3_600_000)) < 60_000);
    });

    it("status says what the platform is doing and why", async () => {
        const a = args(["status"]);
        const text = await run(a, resolveContext(a));
        assert.match(text, /nodes +4 desired of 4/);
        assert.match(text, /database +available/);
        assert.match(text, /keepAwake +until /);
        assert.match(text, /nextWake +\S+Z \(\d{4}-\d\d-\d\d \d\d:\d\d America\/Los_Angeles\)/);
        assert.match(text, /verdict +none: keep-awake until/);
    });

    it("keep-awake --hours 0 clears the flag; sleep scales to zero and stops the metastore", async () => {
        const clear = args(["keep-awake", "--hours", "0"]);
        assert.match(await run(clear, resolveContext(clear)), /keep-awake cleared/);
        assert.equal(await readKeepAwake(c.ssm, ctx.settings.keepAwakeParameter), undefined);
        const a = args(["sleep"]);
        const text = await run(a, resolveContext(a));
        assert.match(text, /nodes scaled to 0/);
        assert.equal(await nodes(), 0);
        assert.equal(await db(), "stopped");
    });

    it("start-db: the metastore alone, for a daytime change (keep-awake so the watcher leaves it up; the nodes stay at zero)", async () => {
        const a = args(["start-db", "--hours", "1"]);
        const text = await run(a, resolveContext(a));
        assert.match(text, /metastore start requested/);
        assert.match(text, /run pulumi up once/);
        assert.equal(await nodes(), 0);
        assert.equal(await db(), "available");
        assert.ok(Math.abs(Date.parse((await readKeepAwake(c.ssm, ctx.settings.keepAwakeParameter))!.until) - (Date.now() + 3_600_000)) < 60_000);
        const again = args(["sleep"]);
        await run(again, resolveContext(again));
        assert.equal(await db(), "stopped");
    });

    it("through npm, as an operator types it: npm run power -- status --stack ops --context <file>", async () => {
        const out = await new Promise<string>((resolve, reject) => execFile("npm", ["run", "--silent", "power", "--", "status", "--stack", "ops", "--context", path.join(dir, "ctx.json")], {
            cwd: ROOT, env: { ...process.env, AWS_REGION: REGION }, timeout: 30_000,
        }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout))));
        assert.match(out, /nodes +0 desired of 4/);
        assert.match(out, /database +stopped/);
        const bad = await new Promise<{ code: number | null; stderr: string }>((resolve) => execFile("npm", ["run", "--silent", "power", "--", "status"], { cwd: ROOT, timeout: 30_000 }, (err, _o, stderr) => resolve({ code: (err as { code?: number } | null)?.code ?? 0, stderr })));
        assert.equal(bad.code, 2);
        assert.match(bad.stderr, /--stack <name> is required\nusage: npm run power/);
    });
});

// moto does not implement Lambda's GetAccountSettings (no /2016-08-19/account-settings/ route in moto
// 5.2): a stand-in answers exactly the response the Lambda API reference documents for it, and the
// test checks the request the real SDK sends (method, path, SigV4 for the lambda service).
describe("npm run power -- account: the account's Lambda concurrency", () => {
    let server: import("http").Server;
    let endpoint = "";
    let answer = { ConcurrentExecutions: 10, UnreservedConcurrentExecutions: 10 };
    const requests: { method?: string; url?: string; auth?: string }[] = [];
    before(async () => {
        const http = require("http") as typeof import("http");
        server = http.createServer((req, res) => {
            requests.push({ method: req.method, url: req.url, auth: req.headers.authorization });
            res.writeHead(200, { "content-type": "application/json" });
            res.end(JSON.stringify({ AccountLimit: { TotalCodeSize: 80530636800, CodeSizeUnzipped: 262144000, CodeSizeZipped: 52428800, ...answer }, AccountUsage: { TotalCodeSize: 0, FunctionCount: 0 } }));
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    });
    after(() => new Promise<void>((r) => server.close(() => r())));
    const lambda = () => new (require("@aws-sdk/client-lambda") as typeof import("@aws-sdk/client-lambda")).LambdaClient({ endpoint, region: REGION, credentials: CREDENTIALS });
    const ctx = (reserved: boolean) => ({ stack: "ops", region: REGION, reservedConcurrency: reserved } as unknown as PowerContext);
    const a = { command: "account", stack: "ops", hours: 0, by: "alice" } as PowerArgs;

    it("a new account (limit 10): fits without reservation; says a reservation is impossible and how to raise the quota", async () => {
        answer = { ConcurrentExecutions: 10, UnreservedConcurrentExecutions: 10 };
        const text = await run(a, ctx(false), { lambda: lambda() });
        assert.match(text, /limit 10, unreserved 10/);
        assert.match(text, /needs 2 at most: it fits/);
        assert.match(text, /powerReservedConcurrency true is not possible: reserving 2 would leave 8 unreserved, under the 100/);
        assert.match(text, /request-service-quota-increase --service-code lambda --quota-code L-B99A9384/);
        assert.deepEqual([requests.at(-1)!.method, requests.at(-1)!.url], ["GET", "/2016-08-19/account-settings"]);
        assert.match(String(requests.at(-1)!.auth), /^AWS4-HMAC-SHA256 Credential=testing\/\d{8}\/us-east-1\/lambda\/aws4_request/);
    });

    it("a stack that reserves concurrency in such an account fails the check, with the fix", async () => {
        await assert.rejects(run(a, ctx(true), { lambda: lambda() }), /does not fit this stack's settings[\s\S]*set it to false, or to raise it/);
    });

    it("an account with 1000: the reservation is possible", async () => {
        answer = { ConcurrentExecutions: 1000, UnreservedConcurrentExecutions: 1000 };
        assert.match(await run(a, ctx(true), { lambda: lambda() }), /powerReservedConcurrency true is possible: reserving 2 leaves 998 unreserved/);
        // 101 unreserved: reserving 2 would leave 99.
        answer = { ConcurrentExecutions: 1000, UnreservedConcurrentExecutions: 101 };
        await assert.rejects(run(a, ctx(true), { lambda: lambda() }), /would leave 99 unreserved/);
    });
});

