// The GitOps template (gitops/) and its pure builders: the Airflow values validate against the chart's
// schema once each stack's platform settings are substituted, every Flux object against its CRD
// schema, every plain Kubernetes object against its published schema, every ${VARIABLE} is one the
// platform-settings ConfigMap provides, no manifest names an account, ARN, bucket or AWS host, and
// the HelmRelease file is exactly what the builder renders.

import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import * as YAML from "yaml";
import { airflowValues, AIRFLOW_SERVICE_ACCOUNTS, CREATE_ADMIN_ARGS, INITIAL_IMAGE_TAG, PROD_PARALLELISM, RDS_CA_PATH, STAGING_PARALLELISM, UI_TLS_POLICY } from "../lib/airflow-values";
import { airflowHelmRelease, isPlatformSettingKey, mergePatch, renderAirflowHelmRelease, substitute, variablesIn } from "../lib/gitops";
import { PLATFORM_SETTING_KEYS, platformSettings, schedulerReplicasFor, uiExposure, type PlatformSettings } from "../lib/platform-settings";
import { parseConfig, type PlatformConfig } from "../lib/config";
import { SHARED_SCHEMAS, fluxValidator, validateKubernetes } from "./schemas";
import { stackEvaluation } from "./stacks";

export { substitute };

const ROOT = path.join(__dirname, "..");
const GITOPS = path.join(ROOT, "gitops");
const STACKS = ["prod", "staging"] as const;
type Stack = (typeof STACKS)[number];

/**
 * Each stack's platform settings as the evaluated program really produces them: the data of the
 * ConfigMap flux-system/platform-settings it registers under mocks (filled in by loadStackSettings,
 * which every describe that reads them runs first).
 */
export const STACK_SETTINGS = {} as Record<Stack, PlatformSettings>;
const STACK_CONFIG = {} as Record<Stack, PlatformConfig>;
async function loadStackSettings(): Promise<void> {
    for (const stack of STACKS) {
        const e = await stackEvaluation(stack);
        const found = e.ofType("kubernetes:core/v1:ConfigMap").filter((c) => c.inputs.metadata.name === "platform-settings" && c.inputs.metadata.namespace === "flux-system");
        assert.equal(found.length, 1, `${stack}: one ConfigMap flux-system/platform-settings`);
        STACK_SETTINGS[stack] = found[0].inputs.data as PlatformSettings;
        STACK_CONFIG[stack] = parseConfig(e.config.values, e.config);
    }
}

// --- reading the tree -------------------------------------------------------------------------

function filesUnder(dir: string, ext: RegExp): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        return e.isDirectory() ? filesUnder(p, ext) : ext.test(e.name) ? [p] : [];
    });
}
const rel = (p: string) => path.relative(ROOT, p);
const yamlFiles = () => filesUnder(GITOPS, /\.ya?ml$/);

function parseDocs(text: string, file: string): Record<string, unknown>[] {
    return YAML.parseAllDocuments(text).map((d) => {
        assert.equal(d.errors.length, 0, `${file}: ${d.errors.map((e) => e.message).join("; ")}`);
        return d.toJS() as Record<string, unknown>;
    }).filter((o) => o !== null);
}

interface KustomizationFile {
    apiVersion: string;
    kind: string;
    resources?: string[];
    patches?: { path: string; target?: Record<string, string> }[];
}
const isKustomizationFile = (f: string) => path.basename(f) === "kustomization.yaml";
/** Files that are patches (partial objects), named in some kustomization.yaml's patches. */
function patchFiles(): Set<string> {
    const out = new Set<string>();
    for (const k of yamlFiles().filter(isKustomizationFile)) {
        const doc = YAML.parse(fs.readFileSync(k, "utf8")) as KustomizationFile;
        for (const p of doc.patches ?? []) out.add(path.resolve(path.dirname(k), p.path));
    }
    return out;
}

const IMAGE_AUTOMATION = path.join(GITOPS, "apps", "image-automation");

interface Built {
    readonly objects: Record<string, unknown>[];
    readonly missing: string[];
}
/**
 * What `kustomize build clusters/<stack>` yields, with Flux's substitution applied to each file's text
 * when vars are given: resources gathered recursively, then the stack's patches merged (JSON merge
 * patch, as kustomize does for custom resources). apps/image-automation belongs to another helper; until
 * it exists it is reported in `missing` instead of failing the build.
 */
function buildStack(stack: Stack, vars?: Readonly<Record<string, string>>): Built {
    const missing: string[] = [];
    const read = (file: string) => {
        const text = fs.readFileSync(file, "utf8");
        return parseDocs(vars === undefined ? text : substitute(text, vars), file);
    };
    const build = (dir: string): Record<string, unknown>[] => {
        const k = YAML.parse(fs.readFileSync(path.join(dir, "kustomization.yaml"), "utf8")) as KustomizationFile;
        let objects = (k.resources ?? []).flatMap((r) => {
            const p = path.resolve(dir, r);
            if (!fs.existsSync(p)) {
                if (p === IMAGE_AUTOMATION) {
                    missing.push(rel(p));
                    return [];
                }
                throw new Error(`${rel(dir)}/kustomization.yaml names ${r}, which does not exist`);
            }
            return fs.statSync(p).isDirectory() ? build(p) : read(p);
        });
        for (const patch of k.patches ?? []) {
            for (const doc of read(path.resolve(dir, patch.path))) {
                const meta = doc.metadata as { name: string; namespace?: string };
                let hit = 0;
                objects = objects.map((o) => {
                    const m = o.metadata as { name: string; namespace?: string };
                    if (o.kind !== doc.kind || m.name !== meta.name || m.namespace !== meta.namespace) return o;
                    hit++;
                    return mergePatch(o, doc) as Record<string, unknown>;
                });
                assert.equal(hit, 1, `${patch.path} must patch exactly one object`);
            }
        }
        return objects;
    };
    return { objects: build(path.join(GITOPS, "clusters", stack)), missing };
}

const helmRelease = (objects: Record<string, unknown>[]) => {
    const found = objects.filter((o) => o.kind === "HelmRelease" && (o.metadata as { name: string }).name === "airflow");
    assert.equal(found.length, 1, "exactly one HelmRelease airflow");
    return found[0] as { spec: { values: Record<string, any> } } & Record<string, unknown>;
};

// --- schemas ------------------------------------------------------------------------------------

const chartAjv = new Ajv({ strict: false, allErrors: true });
addFormats(chartAjv);
const chartSchema: ValidateFunction = chartAjv.compile(JSON.parse(fs.readFileSync(path.join(SHARED_SCHEMAS, "airflow-chart-values.schema.json"), "utf8")));

/**
 * Keys the values use that the stored schema (a chart 1.19 development state) refuses as
 * additionalProperties, with the reason each is right for chart 1.22.0. Only these are forgiven.
 */
const ALLOWED_NEWER_NESTED_KEYS: Readonly<Record<string, string>> = {
    "/createUserJob/enabled":
        "values.yaml on the 1.2x line has createUserJob.enabled (chart main at d6ba4817), and 1.20+ honours it when the deprecated " +
        "webserver.defaultUser is absent (#62143, Feb 2026); the stored schema predates it. It must be true: the job runs our own command",
};
/**
 * Keys newer than the stored schema that pass only because their section is open there, so the
 * schema does not check them: named here so that nobody mistakes "valid" for "checked".
 */
const UNCHECKED_NEWER_KEYS: Readonly<Record<string, string>> = {
    "/enableServiceLinks": "new in chart 1.22.0 (#67447); the old schema's top level is open",
    "/ingress/apiServer": "the API server's Ingress (Airflow 3); values.yaml on the 1.2x line has ingress.apiServer, the old schema's ingress section is open",
    "/securityContexts/containers": "values.yaml's spelling for the chart-wide container default; the old schema names it 'container' but leaves the section open",
};

function chartErrors(values: unknown): ErrorObject[] {
    if (chartSchema(values)) return [];
    return (chartSchema.errors ?? []).filter(
        (e) => !(e.keyword === "additionalProperties" && `${e.instancePath}/${(e.params as { additionalProperty: string }).additionalProperty}` in ALLOWED_NEWER_NESTED_KEYS),
    );
}

const isFlux = (o: Record<string, unknown>) => typeof o.apiVersion === "string" && /\.toolkit\.fluxcd\.io\//.test(o.apiVersion);

// --- tests ----------------------------------------------------------------------------------------

describe("platform settings", () => {
    before(loadStackSettings);
    it("lists exactly the contract's variables, and the builder fills every one with a string", () => {
        assert.deepEqual([...PLATFORM_SETTING_KEYS].sort(), [
            "AIRFLOW_IMAGE_REPOSITORY", "AIRFLOW_ROLE_ARN", "AIRFLOW_SCHEDULER_REPLICAS", "AWS_REGION", "CLUSTER_NAME", "ENVIRONMENT",
            "IMAGE_BRANCH", "TASK_LOG_BUCKET", "UI_ALLOWED_CIDRS", "UI_CERTIFICATE_ARN", "UI_INGRESS_ENABLED", "UI_SECURITY_GROUP_ID",
        ]);
        for (const stack of STACKS) {
            assert.deepEqual(Object.keys(STACK_SETTINGS[stack]).sort(), [...PLATFORM_SETTING_KEYS].sort());
            for (const v of Object.values(STACK_SETTINGS[stack])) assert.equal(typeof v, "string");
        }
    });
    it("runs two schedulers in prod and one in staging, and says why", () => {
        assert.equal(STACK_SETTINGS.prod.AIRFLOW_SCHEDULER_REPLICAS, "2");
        assert.equal(STACK_SETTINGS.staging.AIRFLOW_SCHEDULER_REPLICAS, "1");
        assert.match(schedulerReplicasFor("prod").reason, /row-level locks/);
    });
    it("puts the UI behind a load balancer only with a certificate and an allow-list", () => {
        assert.equal(STACK_SETTINGS.prod.UI_INGRESS_ENABLED, "true");
        assert.equal(STACK_SETTINGS.staging.UI_INGRESS_ENABLED, "false");
        assert.equal(STACK_SETTINGS.staging.UI_CERTIFICATE_ARN, "", "present though empty, so no variable is ever unset");
        assert.equal(uiExposure({ uiCertificateArn: "arn:aws:acm:us-east-1:1:certificate/x", uiAllowedCidrs: [] }).value, false);
        assert.match(uiExposure({ uiAllowedCidrs: ["10.0.0.0/8"] }).reason, /port-forward/);
        for (const stack of STACKS) assert.equal(STACK_SETTINGS[stack].UI_ALLOWED_CIDRS, STACK_CONFIG[stack].airflow.uiAllowedCidrs.join(","));
        const base = { environment: "prod" as const, region: "us-east-1", clusterName: "c", airflowImageRepository: "r", airflowRoleArn: "a", taskLogBucket: "b", imageBranch: "m", uiSecurityGroupId: "sg-1" };
        assert.equal(platformSettings({ ...base, uiAllowedCidrs: ["203.0.113.0/24", "198.51.100.7/32"] }).UI_ALLOWED_CIDRS, "203.0.113.0/24,198.51.100.7/32");
    });
    it("refuses a value that could break or inject YAML, and a bad replica count", () => {
        const base = { environment: "prod" as const, region: "us-east-1", clusterName: "c", airflowImageRepository: "r", airflowRoleArn: "a", taskLogBucket: "b", imageBranch: "m", uiAllowedCidrs: [], uiSecurityGroupId: "sg-1" };
        assert.throws(() => platformSettings({ ...base, taskLogBucket: 'b"\nx: y' }), /TASK_LOG_BUCKET/);
        assert.throws(() => platformSettings({ ...base, imageBranch: "${ENVIRONMENT}" }), /IMAGE_BRANCH/);
        assert.throws(() => platformSettings({ ...base, schedulerReplicas: 0 }), /AIRFLOW_SCHEDULER_REPLICAS/);
    });
});

describe("substitute (Flux postBuild)", () => {
    it("replaces ${VAR} and ${VAR:=default}, keeps $${VAR} literal and bare $VAR untouched", () => {
        assert.equal(substitute("a: ${X} b: ${Y:=dflt} c: ${X:=unused} d: $${X} e: \"$HOME\"", { X: "1" }), 'a: 1 b: dflt c: 1 d: ${X} e: "$HOME"');
        assert.equal(substitute("empty: '${X}'", { X: "" }), "empty: ''");
    });
    it("fails, naming them, on variables that are neither provided nor defaulted", () => {
        assert.throws(() => substitute("${A} ${B} ${A}", {}), /variables not provided: A, B/);
    });
});

describe("merge patch (kustomize on a custom resource)", () => {
    it("merges objects, replaces lists, deletes on null", () => {
        assert.deepEqual(mergePatch({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3] }, d: null, e: "x" }), { a: { b: 1, c: [3] }, e: "x" });
    });
});

describe("Airflow values", () => {
    const values = airflowValues() as Record<string, any>;

    it("use the KubernetesExecutor, the external database over verified TLS, and the Pulumi secrets", () => {
        assert.equal(values.executor, "KubernetesExecutor");
        assert.equal(values.postgresql.enabled, false);
        assert.equal(values.pgbouncer.enabled, false);
        assert.equal(values.data.metadataSecretName, "airflow-metadata");
        assert.deepEqual([values.fernetKeySecretName, values.apiSecretKeySecretName, values.jwtSecretName], ["airflow-fernet-key", "airflow-api-secret-key", "airflow-jwt-secret"]);
        assert.equal(RDS_CA_PATH, "/opt/airflow/rds-ca/global-bundle.pem", "the path CONTRACTS.md's connection URI names");
        // The CA reaches every Airflow container through the chart-wide volumes, which the chart also
        // puts into the KubernetesExecutor's pod template.
        assert.deepEqual(values.volumes[0].configMap.name, "airflow-rds-ca");
        assert.ok(values.volumeMounts.some((m: any) => m.name === "rds-ca" && m.mountPath === "/opt/airflow/rds-ca" && m.readOnly === true));
    });
    it("never create the chart's default admin; the admin comes from the Secret airflow-admin", () => {
        assert.equal(values.webserver, undefined, "the deprecated webserver.defaultUser would take precedence over createUserJob");
        assert.deepEqual(values.createUserJob.args, CREATE_ADMIN_ARGS);
        const command = CREATE_ADMIN_ARGS.join(" ");
        assert.doesNotMatch(command, /admin\/admin|--password admin|\{\{/, "no literal password, no chart template");
        assert.match(command, /--password "\$AIRFLOW_ADMIN_PASSWORD"/);
        assert.deepEqual(values.createUserJob.env.map((e: any) => [e.name, e.valueFrom.secretKeyRef.name, e.valueFrom.secretKeyRef.key]), [
            ["AIRFLOW_ADMIN_USERNAME", "airflow-admin", "username"],
            ["AIRFLOW_ADMIN_PASSWORD", "airflow-admin", "password"],
        ]);
    });
    it("log to S3 through IRSA on the five service accounts, with no log volume", () => {
        assert.equal(values.config.logging.remote_logging, "True");
        assert.equal(values.config.logging.remote_base_log_folder, "s3://${TASK_LOG_BUCKET}");
        assert.equal(values.logs.persistence.enabled, false);
        assert.equal(values.triggerer.persistence.enabled, false);
        assert.equal(values.workers.persistence.enabled, false);
        const accounts = { scheduler: values.scheduler, worker: values.workers, apiServer: values.apiServer, triggerer: values.triggerer, dagProcessor: values.dagProcessor };
        for (const [key, section] of Object.entries(accounts)) {
            assert.equal(section.serviceAccount.name, AIRFLOW_SERVICE_ACCOUNTS[key as keyof typeof AIRFLOW_SERVICE_ACCOUNTS]);
            assert.deepEqual(section.serviceAccount.annotations, { "eks.amazonaws.com/role-arn": "${AIRFLOW_ROLE_ARN}" });
        }
        assert.equal(values.apiServer.allowPodLogReading, true, "a running task's log is read from its pod through the Kubernetes API");
    });
    it("put resources and the restricted security context on every component and job", () => {
        const sections = ["scheduler", "apiServer", "dagProcessor", "triggerer", "workers", "migrateDatabaseJob", "createUserJob"];
        for (const s of sections) {
            const section = values[s];
            assert.ok(section.resources.requests.cpu && section.resources.requests.memory && section.resources.limits.cpu && section.resources.limits.memory, `${s} resources`);
            const c = section.securityContexts.container;
            assert.deepEqual([c.runAsNonRoot, c.allowPrivilegeEscalation, c.readOnlyRootFilesystem, c.capabilities.drop], [true, false, true, ["ALL"]], s);
            assert.equal(section.securityContexts.pod.runAsNonRoot, true, s);
            assert.equal(section.securityContexts.pod.seccompProfile.type, "RuntimeDefault", s);
        }
        for (const s of ["scheduler", "dagProcessor", "triggerer"]) {
            assert.ok(values[s].logGroomerSidecar.resources.limits.memory, `${s} log groomer`);
            assert.equal(values[s].logGroomerSidecar.securityContexts.container.allowPrivilegeEscalation, false);
        }
        assert.equal(values.networkPolicies.enabled, true);
        assert.ok(values.limits[0].default.memory, "a LimitRange backs up anything missed");
    });
    it("expose the UI only over HTTPS, redirected, with a modern policy and the allow-list", () => {
        const ingress = values.ingress.apiServer;
        assert.equal(ingress.enabled, "${UI_INGRESS_ENABLED}");
        assert.equal(ingress.ingressClassName, "alb");
        assert.deepEqual(ingress.annotations, {
            "alb.ingress.kubernetes.io/scheme": "internet-facing",
            "alb.ingress.kubernetes.io/target-type": "ip",
            "alb.ingress.kubernetes.io/listen-ports": '[{"HTTP": 80}, {"HTTPS": 443}]',
            "alb.ingress.kubernetes.io/ssl-redirect": "443",
            "alb.ingress.kubernetes.io/certificate-arn": "${UI_CERTIFICATE_ARN}",
            "alb.ingress.kubernetes.io/ssl-policy": UI_TLS_POLICY,
            "alb.ingress.kubernetes.io/inbound-cidrs": "${UI_ALLOWED_CIDRS}",
            "alb.ingress.kubernetes.io/security-groups": "${UI_SECURITY_GROUP_ID}",
            "alb.ingress.kubernetes.io/manage-backend-security-group-rules": "true",
            "alb.ingress.kubernetes.io/healthcheck-path": "/api/v2/monitor/health",
            "alb.ingress.kubernetes.io/load-balancer-attributes": "routing.http.drop_invalid_header_fields.enabled=true",
        });
        assert.equal(UI_TLS_POLICY, "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09");
    });
    it("bound the database connections well under db.t3.micro's limit without PgBouncer", () => {
        const db = values.config.database;
        const perProcess = db.sql_alchemy_pool_size + db.sql_alchemy_max_overflow;
        // schedulers (prod 2) + API server workers + DAG processor + triggerer + two jobs
        const processes = 2 + values.config.api.workers + 1 + 1 + 2;
        const maxConnections = Math.floor((1024 ** 3) / 9531392); // RDS default, an upper bound for 1 GiB
        assert.ok(perProcess * processes <= 45 && perProcess * processes < maxConnections - 5, `${perProcess * processes} connections`);
    });
});

describe("GitOps tree (gitops/)", () => {
    before(loadStackSettings);
    it("(1) the HelmRelease's values, substituted for each stack, validate against the chart's values schema", () => {
        for (const stack of STACKS) {
            const { objects } = buildStack(stack, STACK_SETTINGS[stack]);
            const values = helmRelease(objects).spec.values;
            assert.deepEqual(chartErrors(values), [], `${stack}: ${JSON.stringify(chartErrors(values), null, 1)}`);
            // The typed placeholders became a number and a boolean, the rest stayed strings.
            assert.equal(values.scheduler.replicas, stack === "prod" ? 2 : 1);
            assert.equal(values.ingress.apiServer.enabled, stack === "prod");
            assert.equal(values.config.core.parallelism, stack === "prod" ? PROD_PARALLELISM : STAGING_PARALLELISM);
            assert.equal(values.images.airflow.repository, STACK_SETTINGS[stack].AIRFLOW_IMAGE_REPOSITORY);
            assert.equal(values.ingress.apiServer.annotations["alb.ingress.kubernetes.io/certificate-arn"], STACK_SETTINGS[stack].UI_CERTIFICATE_ARN);
            assert.equal(values.config.logging.remote_base_log_folder, `s3://${STACK_SETTINGS[stack].TASK_LOG_BUCKET}`);
            assert.deepEqual(JSON.parse(values.env[0].value), { conn_type: "aws", extra: { region_name: "us-east-1" } });
            for (const key of Object.keys(UNCHECKED_NEWER_KEYS)) {
                const [, first, second] = key.split("/");
                assert.ok(second === undefined ? first in values : second in values[first], `${key} is still used (else drop it from the list)`);
            }
        }
    });
    it("(1) a broken value is caught by the schema", () => {
        const values = helmRelease(buildStack("prod", STACK_SETTINGS.prod).objects).spec.values;
        const broken = mergePatch(values, { scheduler: { replicas: "two" }, postgresql: { enabled: "no" }, workers: { resources: { limitz: {} } } });
        const errors = chartErrors(broken).map((e) => `${e.instancePath} ${e.message}`);
        assert.ok(errors.some((e) => e.startsWith("/scheduler/replicas")), errors.join("\n"));
        assert.ok(errors.some((e) => e.startsWith("/postgresql/enabled")), errors.join("\n"));
        assert.ok(errors.some((e) => e.startsWith("/workers/resources")), errors.join("\n"));
        // An unquoted placeholder left unsubstituted is a string where the chart wants a number.
        const raw = helmRelease(buildStack("prod").objects).spec.values;
        assert.ok(chartErrors(raw).some((e) => e.instancePath === "/scheduler/replicas"));
    });
    it("(2) every Flux object validates against its CRD schema (the stacks' merged HelmRelease included)", () => {
        const patches = patchFiles();
        let checked = 0;
        for (const file of yamlFiles().filter((f) => !isKustomizationFile(f) && !patches.has(f))) {
            for (const o of parseDocs(fs.readFileSync(file, "utf8"), file).filter(isFlux)) {
                const validate = fluxValidator(o);
                assert.ok(validate, `${rel(file)}: no schema for ${o.apiVersion} ${o.kind} (Flux 2.9 serves only the versions in ../shared/schemas/README.md)`);
                assert.ok(validate(o), `${rel(file)} ${o.kind}: ${JSON.stringify(validate.errors)}`);
                checked++;
            }
        }
        for (const stack of STACKS) {
            const hr = helmRelease(buildStack(stack, STACK_SETTINGS[stack]).objects);
            const validate = fluxValidator(hr)!;
            assert.ok(validate(hr), `${stack} HelmRelease: ${JSON.stringify(validate.errors)}`);
            checked++;
        }
        assert.ok(checked >= 4);
        // The schema catches a wrong kind of source.
        const bad = mergePatch(airflowHelmRelease(), { spec: { chart: { spec: { sourceRef: { kind: "GitHub" } } } } }) as Record<string, unknown>;
        assert.equal(fluxValidator(bad)!(bad), false);
    });
    it("(2) every plain Kubernetes object validates against its published schema", async () => {
        let checked = 0;
        for (const file of yamlFiles().filter((f) => !isKustomizationFile(f))) {
            for (const o of parseDocs(fs.readFileSync(file, "utf8"), file).filter((x) => !isFlux(x))) {
                try {
                    await validateKubernetes(o);
                } catch (err) {
                    assert.fail(`${rel(file)} ${o.kind}: ${(err as Error).message}`);
                }
                checked++;
            }
        }
        assert.ok(checked >= 7, `${checked} objects`);
        await assert.rejects(validateKubernetes({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "x" }, spec: { podSelector: {}, policyTypes: ["Sideways"] } }));
    });
    it("(2) every kustomization.yaml parses and names only paths that exist", () => {
        const files = yamlFiles().filter(isKustomizationFile);
        assert.ok(files.length >= 6);
        for (const file of files) {
            const k = YAML.parse(fs.readFileSync(file, "utf8")) as KustomizationFile;
            assert.equal(k.apiVersion, "kustomize.config.k8s.io/v1beta1", rel(file));
            assert.equal(k.kind, "Kustomization", rel(file));
            for (const r of [...(k.resources ?? []), ...(k.patches ?? []).map((p) => p.path)]) {
                const p = path.resolve(path.dirname(file), r);
                if (p === IMAGE_AUTOMATION && !fs.existsSync(p)) continue; // checked by the next test
                assert.ok(fs.existsSync(p), `${rel(file)} names ${r}, which does not exist`);
                if (fs.statSync(p).isDirectory()) assert.ok(fs.existsSync(path.join(p, "kustomization.yaml")), `${r} has no kustomization.yaml`);
            }
        }
        for (const stack of STACKS) {
            const k = YAML.parse(fs.readFileSync(path.join(GITOPS, "clusters", stack, "kustomization.yaml"), "utf8")) as KustomizationFile;
            assert.deepEqual(k.resources, ["../../apps/airflow", "../../apps/image-automation", "../../tenants"]);
        }
    });
    it("(2) apps/image-automation (issue 8) exists and builds into both stacks", function () {
        if (!fs.existsSync(IMAGE_AUTOMATION)) this.skip(); // not written yet by its helper; shows as pending
        for (const stack of STACKS) assert.deepEqual(buildStack(stack, STACK_SETTINGS[stack]).missing, []);
    });
    it("(3) every ${VARIABLE} in gitops/ is a platform setting, provided for both stacks; no stray $", () => {
        const used = new Set<string>();
        for (const file of filesUnder(GITOPS, /\.(ya?ml)$/)) {
            const text = fs.readFileSync(file, "utf8");
            for (const name of variablesIn(text)) {
                assert.ok(isPlatformSettingKey(name), `${rel(file)} uses \${${name}}, which is not in PLATFORM_SETTING_KEYS`);
                used.add(name);
            }
            // Flux reads every "${" as the start of a substitution: none may be left once the known
            // placeholders are taken out (a bare "$name", as in shell commands or regexes, is safe).
            const stray = text.replace(/\$\{[A-Z_]+\}/g, "");
            assert.ok(!stray.includes("${"), `${rel(file)} has a \${ that is not a platform setting`);
            for (const stack of STACKS) substitute(text, STACK_SETTINGS[stack]); // throws on a missing one
        }
        assert.ok(used.size >= 8, [...used].join(", "));
    });
    it("(3) no value in gitops/ names an account id, an ARN, a bucket or an AWS host", () => {
        const checks: [RegExp, string][] = [
            [/(^|[^0-9])\d{12}([^0-9]|$)/, "an account id"],
            [/arn:aws/, "an ARN"],
            [/s3:\/\/(?!\$\{TASK_LOG_BUCKET\})/, "a bucket"],
            [/amazonaws\.com|\.aws(\/|$)|amazonaws\.com\.cn/, "an AWS host"],
        ];
        const visit = (value: unknown, where: string) => {
            if (typeof value === "string") {
                for (const [re, what] of checks) assert.doesNotMatch(value, re, `${where} names ${what}: ${value}`);
            } else if (Array.isArray(value)) value.forEach((v, i) => visit(v, `${where}[${i}]`));
            else if (value !== null && typeof value === "object") for (const [k, v] of Object.entries(value)) visit(v, `${where}.${k}`);
        };
        for (const file of yamlFiles()) parseDocs(fs.readFileSync(file, "utf8"), file).forEach((o, i) => visit(o, `${rel(file)}#${i}`));
        // The check itself works.
        assert.throws(() => visit({ a: "123456789012.dkr.ecr.us-east-1.amazonaws.com/x" }, "probe"));
    });
    it("(4) the HelmRelease file is exactly what the builder renders (run `npm run gitops` after changing it)", () => {
        const file = path.join(GITOPS, "apps", "airflow", "helmrelease.yaml");
        const text = fs.readFileSync(file, "utf8");
        assert.deepEqual((parseDocs(text, file)[0] as any).spec.values, airflowValues());
        assert.equal(text, renderAirflowHelmRelease(), "helmrelease.yaml is stale: run npm run gitops");
    });
    it("carries the image-policy setter marker in each stack's folder, with the initial tag", () => {
        for (const stack of STACKS) {
            const text = fs.readFileSync(path.join(GITOPS, "clusters", stack, "airflow-image.yaml"), "utf8");
            assert.match(text, new RegExp(`\\n\\s+tag: ${INITIAL_IMAGE_TAG} # \\{"\\$imagepolicy": "flux-system:airflow:tag"\\}\\n`));
            const hr = helmRelease(buildStack(stack, STACK_SETTINGS[stack]).objects);
            assert.equal(hr.spec.values.images.airflow.tag, INITIAL_IMAGE_TAG);
        }
        assert.ok(!fs.readFileSync(path.join(GITOPS, "apps", "airflow", "helmrelease.yaml"), "utf8").includes("$imagepolicy"), "shared by both stacks: no marker there");
    });
    it("keeps the namespace's network policies: default deny, the API server's port, the triggerer's log port from the API server only", () => {
        const file = path.join(GITOPS, "apps", "airflow", "networkpolicies.yaml");
        const policies = parseDocs(fs.readFileSync(file, "utf8"), file) as any[];
        const byName = Object.fromEntries(policies.map((p) => [p.metadata.name, p.spec]));
        assert.deepEqual(byName["default-deny-ingress"], { podSelector: {}, policyTypes: ["Ingress"] });
        assert.deepEqual(byName["api-server-ingress"].ingress, [{ ports: [{ protocol: "TCP", port: 8080 }] }]);
        assert.equal(byName["triggerer-logs-from-api-server"].ingress[0].from[0].podSelector.matchLabels.component, "api-server");
        for (const p of policies) assert.equal(p.metadata.namespace, "airflow");
    });
});
