// Airflow's own database user (metastore/bootstrap.ts), against a real PostgreSQL that plays RDS:
// the master user `airflow_admin` is not a superuser (on RDS it is a member of rds_superuser, and
// superuser() is false for it), has CREATEROLE and CREATEDB, and owns the database `airflow`, as the
// RDS master owns the database RDS creates. The SQL runs with the real psql, exactly as the Job's
// container runs it: the Job's own command and environment (from bootstrapJob), its secretKeyRefs
// filled with the passwords, over TLS verified against a CA (verify-full), as on RDS.
//
// Versions: the local server is PostgreSQL 15; the metastore runs 17. What changed in 16 matters here
// only in one place, and not against this SQL: since 16, CREATEROLE lets a role alter only roles it
// has ADMIN OPTION on. A CREATEROLE role that creates a role is granted it WITH ADMIN OPTION
// automatically, so on 17 the master may ALTER ROLE airflow ... PASSWORD on the role its own Job
// created (on 15, CREATEROLE may alter any non-superuser role, a superset). It would matter only if
// `airflow` had been created by someone else: then 16+ refuses the ALTER and the Job fails loudly
// (ON_ERROR_STOP) rather than leaving a stale password. Changing the SUPERUSER attribute (even to
// NOSUPERUSER) needs a real superuser on every version from 15 to 17, which is why the SQL must not
// name it: a role made by a non-superuser can never be a superuser anyway.

import { strict as assert } from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AIRFLOW_DB_USER, MONITOR_DB_USER, airflowConnectionUri, bootstrapSql, bootstrapJob, BOOTSTRAP_SECRET } from "./bootstrap";
import { clockEnv, startPostgres, testCertificates, type Postgres } from "../tests/services";
import { PSQL } from "../tests/metastore-fixture";

const PSQL_DIR = path.dirname(PSQL);
const MASTER = "airflow_admin";
const MASTER_PASSWORD = "master-Secret-1";

interface Run {
    readonly status: number | null;
    readonly stdout: string;
    readonly stderr: string;
}

/** testCertificates, readable by the postgres user, whose server refuses a key others can read. */
function certificates(dir: string) {
    const certs = testCertificates(dir);
    execFileSync("chown", ["-R", "postgres:postgres", dir]);
    fs.chmodSync(certs.key, 0o600);
    return certs;
}

describe("metastore bootstrap: Airflow's database user, on a real PostgreSQL playing RDS", function () {
    this.timeout(30_000);
    let pg: Postgres;
    let dir: string;
    let tls: ReturnType<typeof certificates>;
    let home: string;

    /** psql with a clean environment (no ~/.psqlrc, no PG* variables from the test runner). */
    const psql = (env: Record<string, string>, args: string[]): Run => {
        const r = spawnSync(path.join(PSQL_DIR, "psql"), ["-X", "-At", ...args], { env: { PATH: process.env.PATH ?? "", HOME: home, ...clockEnv(), ...env }, encoding: "utf8" });
        return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    };
    /** As the cluster's superuser (the test's own setup and inspection; RDS never gives this to anyone). */
    const asSuperuser = (sql: string, database = "postgres"): string => {
        const r = psql({ PGHOST: "127.0.0.1", PGPORT: String(pg.port), PGUSER: "postgres", PGPASSWORD: pg.password, PGDATABASE: database, PGSSLMODE: "disable" }, ["-v", "ON_ERROR_STOP=1", "-c", sql]);
        assert.equal(r.status, 0, r.stderr);
        return r.stdout.trim();
    };
    /** As a client of the "RDS" endpoint: host name localhost, TLS verified against the test CA. */
    const as = (user: string, password: string, sql: string, database = "airflow"): Run =>
        psql({ PGHOST: "localhost", PGPORT: String(pg.port), PGUSER: user, PGPASSWORD: password, PGDATABASE: database, PGSSLMODE: "verify-full", PGSSLROOTCERT: tls.ca }, ["-v", "ON_ERROR_STOP=1", "-c", sql]);

    /**
     * The Job's container, run here: its command (`printf "%s" "$SQL" | psql -v airflow_password=... -f -`)
     * with its environment, the secretKeyRefs filled from the would-be Secret, and `psql` the real
     * client. Only the CA's path differs (the Job mounts the ConfigMap at /rds-ca).
     */
    const runJob = (input: { masterUser: string; masterPassword: string; airflowPassword: string; monitorPassword?: string; database: string }): Run => {
        const job = bootstrapJob({ host: "localhost", port: pg.port, database: input.database, masterUser: input.masterUser, caConfigMap: "airflow-rds-ca", caKey: "global-bundle.pem", revision: "test" });
        const [container] = job.spec.template.spec.containers;
        const secret: Record<string, string> = { "master-password": input.masterPassword, "airflow-password": input.airflowPassword, "monitor-password": input.monitorPassword ?? "monitor-Password-1" };
        const env: Record<string, string> = {};
        for (const v of container.env as { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }[]) {
            if (v.valueFrom !== undefined) {
                assert.equal(v.valueFrom.secretKeyRef.name, BOOTSTRAP_SECRET);
                env[v.name] = secret[v.valueFrom.secretKeyRef.key];
            } else env[v.name] = v.value!;
        }
        assert.equal(env.PGSSLROOTCERT, "/rds-ca/global-bundle.pem");
        assert.equal(env.PGSSLMODE, "verify-full");
        env.PGSSLROOTCERT = tls.ca;
        const [cmd, ...args] = container.command;
        const r = spawnSync(cmd, args, { env: { PATH: `${PSQL_DIR}:${process.env.PATH ?? ""}`, HOME: home, ...clockEnv(), ...env }, encoding: "utf8" });
        return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    };

    before(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "pg-tls-"));
        home = fs.mkdtempSync(path.join(os.tmpdir(), "psql-home-"));
        tls = certificates(dir);
        pg = await startPostgres({ settings: { ssl: "on", ssl_cert_file: tls.cert, ssl_key_file: tls.key } });
        // RDS: the master is no superuser, may create roles and databases, and owns the database it made.
        asSuperuser(`CREATE ROLE ${MASTER} LOGIN PASSWORD '${MASTER_PASSWORD}' CREATEROLE CREATEDB`);
        asSuperuser(`CREATE DATABASE airflow OWNER ${MASTER}`);
        // A master that lacks CREATEROLE, owning a database of its own.
        asSuperuser("CREATE ROLE weak_admin LOGIN PASSWORD 'weak-Secret-1' CREATEDB");
        asSuperuser("CREATE DATABASE weak OWNER weak_admin");
    });
    after(async () => {
        await pg?.stop();
        for (const d of [dir, home]) if (d) fs.rmSync(d, { recursive: true, force: true });
    });

    const roleFlags = () => asSuperuser(`SELECT rolsuper, rolcreatedb, rolcreaterole, rolcanlogin FROM pg_roles WHERE rolname = '${AIRFLOW_DB_USER}'`);

    it("the stand-in is what RDS gives: a non-superuser master with CREATEROLE and CREATEDB that owns airflow, over verified TLS", () => {
        assert.equal(asSuperuser(`SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = '${MASTER}'`), "f|t|t");
        assert.equal(asSuperuser("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'airflow'"), MASTER);
        const r = as(MASTER, MASTER_PASSWORD, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout.trim(), "t");
        assert.match(asSuperuser("SHOW server_version"), /^17\./, "the major RDS runs");
    });

    it("fails (non-zero exit, ON_ERROR_STOP) when the master may not create roles, and creates nothing", () => {
        const r = runJob({ masterUser: "weak_admin", masterPassword: "weak-Secret-1", airflowPassword: "first-Password-1", database: "weak" });
        assert.notEqual(r.status, 0, r.stdout);
        assert.match(r.stderr, /permission denied to create role/);
        assert.equal(roleFlags(), "", "no airflow role");
    });

    it("creates airflow with the generated password: it logs in over verified TLS, and creates and uses a table in public (Airflow's migrations)", () => {
        const r = runJob({ masterUser: MASTER, masterPassword: MASTER_PASSWORD, airflowPassword: "first-Password-1", database: "airflow" });
        assert.equal(r.status, 0, r.stderr);
        const use = as(AIRFLOW_DB_USER, "first-Password-1", "CREATE TABLE public.migration_probe (id int primary key, note text); INSERT INTO migration_probe VALUES (1, 'ok'); SELECT note FROM migration_probe");
        assert.equal(use.status, 0, use.stderr);
        assert.equal(use.stdout.trim().split("\n").at(-1), "ok");
        assert.equal(asSuperuser("SELECT tableowner FROM pg_tables WHERE tablename = 'migration_probe'", "airflow"), AIRFLOW_DB_USER, "Airflow owns what it creates");
    });

    it("creates the watcher's monitoring login: it reads airflow's tables, those made before the Job and after it, and changes nothing; the master still reads none", () => {
        // migration_probe exists (made by airflow above); the Job runs again, as after a password change.
        const r = runJob({ masterUser: MASTER, masterPassword: MASTER_PASSWORD, airflowPassword: "first-Password-1", monitorPassword: "monitor-Password-1", database: "airflow" });
        assert.equal(r.status, 0, r.stderr);
        const later = as(AIRFLOW_DB_USER, "first-Password-1", "CREATE TABLE public.later_probe (id int); INSERT INTO later_probe VALUES (7)");
        assert.equal(later.status, 0, later.stderr);
        const read = as(MONITOR_DB_USER, "monitor-Password-1", "SELECT (SELECT note FROM migration_probe) || (SELECT id FROM later_probe)::text");
        assert.equal(read.status, 0, read.stderr);
        assert.equal(read.stdout.trim().split("\n").at(-1), "ok7");
        for (const sql of ["INSERT INTO later_probe VALUES (8)", "DELETE FROM migration_probe", "CREATE TABLE intruder (id int)", "CREATE ROLE intruder"]) {
            const w = as(MONITOR_DB_USER, "monitor-Password-1", sql);
            assert.notEqual(w.status, 0, sql);
            assert.match(w.stderr, /permission denied/, sql);
        }
        assert.equal(asSuperuser(`SELECT rolsuper, rolcreatedb, rolcreaterole, rolcanlogin, rolconnlimit FROM pg_roles WHERE rolname = '${MONITOR_DB_USER}'`), "f|f|f|t|2");
        // The master was granted SET on airflow to make the grants, not INHERIT: it reads nothing of Airflow's.
        const master = as(MASTER, MASTER_PASSWORD, "SELECT count(*) FROM later_probe");
        assert.notEqual(master.status, 0);
        assert.match(master.stderr, /permission denied for table later_probe/);
        as(AIRFLOW_DB_USER, "first-Password-1", "DROP TABLE later_probe");
    });

    it("airflow is no superuser and cannot create databases or roles", () => {
        assert.equal(roleFlags(), "f|f|f|t");
        const db = as(AIRFLOW_DB_USER, "first-Password-1", "CREATE DATABASE airflow_other");
        assert.notEqual(db.status, 0);
        assert.match(db.stderr, /permission denied to create database/);
        const role = as(AIRFLOW_DB_USER, "first-Password-1", "CREATE ROLE intruder LOGIN");
        assert.notEqual(role.status, 0);
        assert.match(role.stderr, /permission denied to create role/);
        const superuser = as(AIRFLOW_DB_USER, "first-Password-1", "ALTER ROLE airflow SUPERUSER");
        assert.notEqual(superuser.status, 0);
    });

    it("runs again with a NEW password: succeeds, the new password works, the old one no longer does, the data stays", () => {
        const r = runJob({ masterUser: MASTER, masterPassword: MASTER_PASSWORD, airflowPassword: "second-Password-2", database: "airflow" });
        assert.equal(r.status, 0, r.stderr);
        const fresh = as(AIRFLOW_DB_USER, "second-Password-2", "SELECT note FROM migration_probe");
        assert.equal(fresh.status, 0, fresh.stderr);
        assert.equal(fresh.stdout.trim(), "ok");
        const stale = as(AIRFLOW_DB_USER, "first-Password-1", "SELECT 1");
        assert.notEqual(stale.status, 0);
        assert.match(stale.stderr, /password authentication failed/);
    });

    it("takes a password with quotes, spaces, a backslash and a semicolon literally (psql's :'var' quoting)", () => {
        const tricky = `it's a "pass word"; \\ DROP ROLE ${MASTER}; --`;
        const r = runJob({ masterUser: MASTER, masterPassword: MASTER_PASSWORD, airflowPassword: tricky, database: "airflow" });
        assert.equal(r.status, 0, r.stderr);
        const login = as(AIRFLOW_DB_USER, tricky, "SELECT current_user");
        assert.equal(login.status, 0, login.stderr);
        assert.equal(login.stdout.trim(), AIRFLOW_DB_USER);
        assert.equal(asSuperuser(`SELECT count(*) FROM pg_roles WHERE rolname = '${MASTER}'`), "1", "nothing in the password was run as SQL");
    });

    it("once airflow exists, a master without rights still fails loudly and leaves the password as it was", () => {
        const r = runJob({ masterUser: "weak_admin", masterPassword: "weak-Secret-1", airflowPassword: "third-Password-3", database: "weak" });
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, /permission denied/);
        assert.notEqual(as(AIRFLOW_DB_USER, "third-Password-3", "SELECT 1").status, 0);
    });

    it("the SQL names the role's attributes it may, and never SUPERUSER (only a superuser may change that, even to NO)", () => {
        const sql = bootstrapSql("airflow");
        assert.match(sql, /^\\set ON_ERROR_STOP on\n/);
        assert.match(sql, /PASSWORD :'airflow_password'/);
        assert.doesNotMatch(sql, /SUPERUSER/);
        // Why: a non-superuser master cannot even say NOSUPERUSER.
        const r = as(MASTER, MASTER_PASSWORD, "ALTER ROLE airflow NOSUPERUSER");
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, /Only roles with the SUPERUSER attribute may change the SUPERUSER attribute/);
    });

    describe("the metadata connection string", () => {
        const uri = (host: string, ca: string) => airflowConnectionUri({ password: "second-Password-2", host, port: pg.port, database: "airflow", caPath: ca });
        before(() => {
            const r = runJob({ masterUser: MASTER, masterPassword: MASTER_PASSWORD, airflowPassword: "second-Password-2", database: "airflow" });
            assert.equal(r.status, 0, r.stderr);
        });
        const connect = (connection: string) => psql({}, [connection, "-c", "SELECT current_user, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"]);

        it("airflowConnectionUri(...) connects as airflow with sslmode=verify-full against the CA it names", () => {
            const r = connect(uri("localhost", tls.ca));
            assert.equal(r.status, 0, r.stderr);
            assert.equal(r.stdout.trim(), "airflow|t");
            assert.match(uri("localhost", tls.ca), /\?sslmode=verify-full&sslrootcert=/);
        });
        it("fails with another CA: the server's certificate really is verified", () => {
            const r = connect(uri("localhost", tls.otherCa));
            assert.notEqual(r.status, 0);
            assert.match(r.stderr, /certificate verify failed/);
        });
        it("fails for a host name the certificate does not name: verify-full checks the host too", () => {
            const r = connect(uri("127.0.0.1", tls.ca));
            assert.notEqual(r.status, 0);
            assert.match(r.stderr, /does not match host name/);
        });
    });
});
