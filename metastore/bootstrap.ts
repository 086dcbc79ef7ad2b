// Airflow's own database user, and a read-only monitoring login. Airflow connects as `airflow`, which owns what it creates in the
// `airflow` database and can do nothing else: not create roles or databases, not read other
// databases' tables (PUBLIC's default CONNECT lets it open the empty `postgres` database, nothing
// more), not change the instance; the RDS master user (rds_superuser) stays with the platform.
//
// Creating a PostgreSQL role needs SQL from inside the VPC, so a Kubernetes Job runs it on the
// cluster at the next wake (the database is private and the nodes may be asleep during `pulumi up`).
// The SQL is idempotent: the Job may run again after every password change or re-creation. It is
// tested against a real PostgreSQL 17 set up as RDS sets it up (metastore/bootstrap.test.ts).
//
// The monitoring login `airflow_monitor` is what the NightlyScheduler's watcher reads Airflow's state
// with: SELECT on Airflow's tables and nothing else. Not the master: Airflow's migrations create their
// tables as `airflow`, and on RDS the master is no superuser; since PostgreSQL 16 a role's creator
// holds only ADMIN OPTION on it (createrole_self_grant is empty), not its privileges, so the master
// cannot read dag_run ("permission denied for table dag_run"). The master grants itself SET on
// `airflow` (ADMIN OPTION allows that; INHERIT stays off, so the master still reads nothing), acts as
// `airflow` to grant SELECT on the tables that exist, and sets `airflow`'s default privileges so that
// every table a later migration creates is readable too. (Airflow's connection passwords and
// variables are Fernet-encrypted in those tables; the key is not in the database.)

export const BOOTSTRAP_NAMESPACE = "metastore-bootstrap";
/** Master credentials and Airflow's password: only this namespace's Job reads them. */
export const BOOTSTRAP_SECRET = "metastore-credentials";
export const AIRFLOW_DB_USER = "airflow";
/** The watcher's read-only login (its credential is the NightlyScheduler's SSM parameter). */
export const MONITOR_DB_USER = "airflow_monitor";
/** psql from the official image on ECR Public (no Docker Hub rate limit), the client of the server's major. */
export const PSQL_IMAGE = "public.ecr.aws/docker/library/postgres:17.6-alpine";

/**
 * The SQL, as psql runs it with `-v airflow_password=... -v monitor_password=...`: psql interpolates
 * :'airflow_password' as a quoted literal, so a password is never part of a command line or a manifest.
 */
export function bootstrapSql(database: string): string {
    return [
        "\\set ON_ERROR_STOP on",
        // CREATE ROLE has no IF NOT EXISTS; \gexec runs it only when the role is missing.
        `SELECT 'CREATE ROLE ${AIRFLOW_DB_USER} LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${AIRFLOW_DB_USER}') \\gexec`,
        // No NOSUPERUSER: changing that attribute, even to NO, needs a real superuser, which the RDS master
        // is not; a role created by a non-superuser is never a superuser anyway.
        `ALTER ROLE ${AIRFLOW_DB_USER} WITH LOGIN NOCREATEDB NOCREATEROLE PASSWORD :'airflow_password';`,
        `GRANT CONNECT, TEMPORARY ON DATABASE ${database} TO ${AIRFLOW_DB_USER};`,
        // PostgreSQL 15+ no longer lets every role create in schema public: Airflow's migrations must.
        `GRANT USAGE, CREATE ON SCHEMA public TO ${AIRFLOW_DB_USER};`,
        // The monitoring login: read-only, two connections at most (the watcher uses one).
        `SELECT 'CREATE ROLE ${MONITOR_DB_USER} LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${MONITOR_DB_USER}') \\gexec`,
        `ALTER ROLE ${MONITOR_DB_USER} WITH LOGIN NOCREATEDB NOCREATEROLE CONNECTION LIMIT 2 PASSWORD :'monitor_password';`,
        `GRANT CONNECT ON DATABASE ${database} TO ${MONITOR_DB_USER};`,
        `GRANT USAGE ON SCHEMA public TO ${MONITOR_DB_USER};`,
        `GRANT ${AIRFLOW_DB_USER} TO CURRENT_USER WITH INHERIT FALSE, SET TRUE;`,
        `SET ROLE ${AIRFLOW_DB_USER};`,
        `GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${MONITOR_DB_USER};`,
        `ALTER DEFAULT PRIVILEGES FOR ROLE ${AIRFLOW_DB_USER} IN SCHEMA public GRANT SELECT ON TABLES TO ${MONITOR_DB_USER};`,
        "RESET ROLE;",
        "",
    ].join("\n");
}

export interface BootstrapJobInput {
    readonly host: string;
    readonly port: number;
    readonly database: string;
    readonly masterUser: string;
    /** ConfigMap (in the bootstrap namespace) holding the RDS CA bundle. */
    readonly caConfigMap: string;
    readonly caKey: string;
    /** A hash of the inputs, so that a changed password re-runs the Job (its name changes). */
    readonly revision: string;
}

/** The Job: psql over TLS verified against the RDS CA, run as the image's non-root user. */
export function bootstrapJob(input: BootstrapJobInput) {
    const fromSecret = (name: string, key: string) => ({ name, valueFrom: { secretKeyRef: { name: BOOTSTRAP_SECRET, key } } });
    return {
        apiVersion: "batch/v1",
        kind: "Job",
        metadata: {
            name: `airflow-db-user-${input.revision}`,
            namespace: BOOTSTRAP_NAMESPACE,
            annotations: {
                // The nodes may be asleep during `pulumi up`: do not wait for the Job; it runs at the next wake.
                "pulumi.com/skipAwait": "true",
            },
        },
        spec: {
            // Retries cover the minutes after a wake when the database is still starting.
            backoffLimit: 20,
            template: {
                spec: {
                    restartPolicy: "OnFailure",
                    automountServiceAccountToken: false,
                    securityContext: { runAsNonRoot: true, runAsUser: 70, runAsGroup: 70, seccompProfile: { type: "RuntimeDefault" } },
                    containers: [{
                        name: "psql",
                        image: PSQL_IMAGE,
                        command: ["sh", "-c", 'printf "%s" "$SQL" | psql -v airflow_password="$AIRFLOW_PASSWORD" -v monitor_password="$MONITOR_PASSWORD" -f -'],
                        env: [
                            { name: "PGHOST", value: input.host },
                            { name: "PGPORT", value: String(input.port) },
                            { name: "PGDATABASE", value: input.database },
                            { name: "PGUSER", value: input.masterUser },
                            fromSecret("PGPASSWORD", "master-password"),
                            fromSecret("AIRFLOW_PASSWORD", "airflow-password"),
                            fromSecret("MONITOR_PASSWORD", "monitor-password"),
                            { name: "PGSSLMODE", value: "verify-full" },
                            { name: "PGSSLROOTCERT", value: `/rds-ca/${input.caKey}` },
                            { name: "PGCONNECT_TIMEOUT", value: "10" },
                            { name: "SQL", value: bootstrapSql(input.database) },
                        ],
                        volumeMounts: [{ name: "rds-ca", mountPath: "/rds-ca", readOnly: true }],
                        securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
                        resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "64Mi" } },
                    }],
                    volumes: [{ name: "rds-ca", configMap: { name: input.caConfigMap } }],
                },
            },
        },
    };
}

/** Airflow's metadata connection: its own user, TLS verified against the RDS CA mounted at caPath. */
export function airflowConnectionUri(input: { password: string; host: string; port: number; database: string; caPath: string }): string {
    // Percent-encoded: the generated password is letters and digits, but a URI must not depend on that.
    return `postgresql://${AIRFLOW_DB_USER}:${encodeURIComponent(input.password)}@${input.host}:${input.port}/${input.database}?sslmode=verify-full&sslrootcert=${input.caPath}`;
}
