// The watcher's database connection as it runs on AWS: the credential in the shape and TLS mode
// Pulumi writes to SSM, against a PostgreSQL that refuses the monitoring login without TLS (RDS's
// rds.force_ssl = 1) and presents a certificate from a test CA, the stand-in for the RDS bundle. The
// reader runs in a fresh Node process whose only trust in that CA is the variable the function sets
// (NODE_EXTRA_CA_CERTS), as Lambda's runtime reads it at start. A wrong CA, a wrong host name or
// plaintext must each fail; a reader that stopped verifying (rejectUnauthorized false) fails here.

import { strict as assert } from "assert";
import { execFile, execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { rdsLikeMetastore, MONITOR_PASSWORD, type RdsLikeMetastore } from "../tests/metastore-fixture";
import { MONITOR_DB_USER } from "../metastore/bootstrap";
import { clockEnv, testCertificates } from "../tests/services";
import { schedulerProgram } from "../tests/power-program";
import { evaluateOnce } from "../tests/stacks";
import { specialSigKey } from "@pulumi/pulumi/runtime/rpc";

const ROOT = path.resolve(__dirname, "..");

/** readIdleSignal in a fresh Node process: the credential in, the signal out. */
function readInFreshNode(credential: object, env: Record<string, string>): Promise<{ ok: boolean; error?: string }> {
    const script = `require(${JSON.stringify(path.join(ROOT, "scheduler/airflow-db.ts"))}).readIdleSignal(JSON.parse(process.argv[1]), { connectTimeoutMs: 5000 }).then((r) => process.stdout.write(JSON.stringify(r)))`;
    return new Promise((resolve, reject) => {
        execFile(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", script, JSON.stringify(credential)], { cwd: ROOT, env: { PATH: process.env.PATH ?? "", ...clockEnv(), ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
            if (err) return reject(new Error(`${err.message}\n${stderr}`));
            resolve(JSON.parse(stdout));
        });
    });
}

describe("NightlyScheduler: the watcher's TLS to the metastore, with the credential Pulumi writes", function () {
    this.timeout(90_000);
    let meta: RdsLikeMetastore;
    let dir: string;
    let certs: ReturnType<typeof testCertificates>;
    let written: { host: string; port: number; database: string; username: string; password: string; ssl: string };
    let caVariable: [string, string];

    before(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "watcher-tls-"));
        certs = testCertificates(dir, "localhost");
        execFileSync("chown", ["-R", "postgres:postgres", dir]);
        fs.chmodSync(certs.key, 0o600);
        meta = await rdsLikeMetastore({ postgres: { settings: { ssl: "on", ssl_cert_file: certs.cert, ssl_key_file: certs.key }, tlsOnlyFor: [MONITOR_DB_USER] } });
        // What the program writes: the SecureString's JSON, and the function's CA variable.
        const e = await evaluateOnce({ stack: "staging", program: schedulerProgram() });
        const value = e.get("aws:ssm/parameter:Parameter", "data-platform-staging-scheduler-database").inputs.value;
        written = JSON.parse(typeof value === "string" ? value : value.value);
        assert.ok(typeof value === "string" || value[specialSigKey] !== undefined, "the credential is marked secret");
        const variables = e.get("aws:lambda/function:Function", "data-platform-staging-scheduler-watch").inputs.environment.variables as Record<string, string>;
        caVariable = ["NODE_EXTRA_CA_CERTS", variables.NODE_EXTRA_CA_CERTS];
    });
    after(async () => {
        await meta?.stop();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    /** The credential as written, pointed at the test server: its host name, its port, the monitor's password. */
    const credential = (over: Partial<typeof written> = {}) => ({ ...written, host: "localhost", port: meta.pg.port, username: MONITOR_DB_USER, password: MONITOR_PASSWORD, ...over });
    const trusting = (caFile: string) => ({ [caVariable[0]]: caFile });

    it("Pulumi writes verify-full, and the function trusts the runtime's RDS bundle through NODE_EXTRA_CA_CERTS", () => {
        assert.equal(written.ssl, "verify-full");
        assert.equal(written.username, "airflow_monitor");
        assert.deepEqual(caVariable, ["NODE_EXTRA_CA_CERTS", "/var/runtime/ca-cert.pem"]);
    });

    it("reads Airflow's state over TLS when the server's certificate chains to the trusted CA and names the host", async () => {
        const r = await readInFreshNode(credential(), trusting(certs.ca));
        assert.equal(r.ok, true, r.error);
    });

    it("refuses a certificate from another CA", async () => {
        const r = await readInFreshNode(credential(), trusting(certs.otherCa));
        assert.equal(r.ok, false);
        assert.match(r.error ?? "", /self[- ]signed|unable to (get|verify)|certificate/i);
    });

    it("refuses a certificate that names another host", async () => {
        // The server's certificate is for localhost; the RDS endpoint name would be another: 127.0.0.1 stands in.
        const r = await readInFreshNode(credential({ host: "127.0.0.1" }), trusting(certs.ca));
        assert.equal(r.ok, false);
        assert.match(r.error ?? "", /altnames|does not match|Hostname\/IP/i);
    });

    it("is refused without TLS, as RDS with rds.force_ssl refuses it", async () => {
        const r = await readInFreshNode(credential({ ssl: "disable" }), trusting(certs.ca));
        assert.equal(r.ok, false);
        assert.match(r.error ?? "", /pg_hba\.conf (rejects connection|entry).*no encryption/i);
    });
});
