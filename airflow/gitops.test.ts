// The GitOps template (gitops/) as the cluster will really read it: each stack's folder built by the
// real kustomize, substituted by Flux's postBuild rules (airflow/flux-envsubst.ts, tested here against
// those rules), every Flux object validated against the CRDs of the Flux the cluster runs (the flux2
// chart's, rendered), and the Airflow HelmRelease's values rendered by the real Airflow chart with
// `helm template` (which applies the chart's values.schema.json). Then what a first install and a
// night need is asserted on the rendered objects. Also: every ${VARIABLE} is a platform setting, no
// manifest names an account, ARN, bucket or AWS host, and the generated files are current.

import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { airflowValues, AIRFLOW_SERVICE_ACCOUNTS, CREATE_ADMIN_ARGS, PROD_PARALLELISM, RDS_CA_PATH, STAGING_PARALLELISM, STOCK_AIRFLOW_IMAGE, UI_TLS_POLICY, uiIngressValues } from "./values";
import { envsubst, generatedGitopsFiles, isPlatformSettingKey, mergePatch, postBuild, variablesIn } from "./gitops";
import { SubstitutionError } from "./flux-envsubst";
import { applyImagePolicySetters } from "../registry/image-tags";
import { PLATFORM_SETTING_KEYS, platformSettings, schedulerReplicasFor, uiExposure, type PlatformSettings } from "./platform-settings";
import { parseConfig, type PlatformConfig } from "../config/config";
import { newestImageTimeline, nodeLeadProblem, type DeliveryPath } from "../scheduler/wake-timeline";
import { fluxValidator, prunedFields, validateKubernetes } from "../tests/schemas";
import { stackEvaluation } from "../tests/stacks";
import { byKind, chart, helmTemplate, kustomizeBuild, requireUpstream, type Obj } from "../tests/upstream";
import { admits, type Pod, type Source } from "../tests/network-policy";

const ROOT = path.join(__dirname, "..");
const GITOPS = path.join(ROOT, "gitops");
const STACKS = ["prod", "staging"] as const;
type Stack = (typeof STACKS)[number];

/**
 * Each stack's platform settings and root Kustomization as the evaluated program really produces
 * them (the ConfigMap flux-system/platform-settings and the Kustomization flux-system/platform it
 * registers under mocks).
 */
const STACK_SETTINGS = {} as Record<Stack, PlatformSettings>;
const STACK_ROOT = {} as Record<Stack, Obj>;
const STACK_CONFIG = {} as Record<Stack, PlatformConfig>;
/** The GitRepository flux-system/gitops the root Kustomization reads (created by Pulumi). */
const STACK_SOURCE = {} as Record<Stack, Obj>;
async function loadStacks(): Promise<void> {
    for (const stack of STACKS) {
        const e = await stackEvaluation(stack);
        const cms = e.ofType("kubernetes:core/v1:ConfigMap").filter((c) => c.inputs.metadata.name === "platform-settings" && c.inputs.metadata.namespace === "flux-system");
        assert.equal(cms.length, 1, `${stack}: one ConfigMap flux-system/platform-settings`);
        STACK_SETTINGS[stack] = cms[0].inputs.data as PlatformSettings;
        const roots = e.ofType("kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization").filter((k) => k.inputs.metadata.name === "platform");
        assert.equal(roots.length, 1, `${stack}: one root Kustomization`);
        STACK_ROOT[stack] = roots[0].inputs as Obj;
        STACK_CONFIG[stack] = parseConfig(e.config.values, e.config);
        const sources = e.ofType("kubernetes:source.toolkit.fluxcd.io/v1:GitRepository").filter((g) => g.inputs.metadata.name === STACK_ROOT[stack].spec.sourceRef.name);
        assert.equal(sources.length, 1, `${stack}: the root Kustomization's GitRepository`);
        STACK_SOURCE[stack] = sources[0].inputs as Obj;
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
function parseDocs(text: string, file: string): Obj[] {
    return YAML.parseAllDocuments(text).map((d) => {
        assert.equal(d.errors.length, 0, `${file}: ${d.errors.map((e) => e.message).join("; ")}`);
        return d.toJS() as Obj;
    }).filter((o) => o !== null);
}

/**
 * What kustomize-controller does with the root Kustomization: copy the source, add spec.components
 * to the folder's kustomization.yaml (fluxcd/pkg kustomize_generator.go appends them to the
 * Kustomization's `components`), build with kustomize, then substitute each resource (postBuild).
 * `edit` may change the copied tree first (a setter run, a broken file).
 */
function fluxBuild(stack: Stack, vars: Readonly<Record<string, string>>, options: { strict?: boolean; edit?: (tree: string) => void; components?: readonly string[] } = {}): Obj[] {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "gitops-"));
    try {
        const tree = path.join(tmp, "gitops");
        fs.cpSync(GITOPS, tree, { recursive: true });
        options.edit?.(tree);
        const folder = path.join(tree, STACK_ROOT[stack].spec.path);
        const components = options.components ?? STACK_ROOT[stack].spec.components ?? [];
        if (components.length > 0) {
            const file = path.join(folder, "kustomization.yaml");
            const k = YAML.parse(fs.readFileSync(file, "utf8")) as Obj;
            k.components = [...(k.components ?? []), ...components];
            fs.writeFileSync(file, YAML.stringify(k));
        }
        return postBuild(kustomizeBuild(folder), vars, { strict: options.strict });
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}

const helmRelease = (objects: Obj[]) => {
    const found = byKind(objects, "HelmRelease", "airflow");
    assert.equal(found.length, 1, "exactly one HelmRelease airflow");
    return found[0];
};

/** Every path in an object whose value is null (or undefined). */
function nullPaths(value: unknown, where = ""): string[] {
    if (value === null || value === undefined) return [where || "/"];
    if (Array.isArray(value)) return value.flatMap((v, i) => nullPaths(v, `${where}/${i}`));
    if (typeof value === "object") return Object.entries(value as Obj).flatMap(([k, v]) => nullPaths(v, `${where}/${k}`));
    return [];
}

/** The objects the Airflow chart renders for these values (release airflow in namespace airflow). */
const renderAirflow = (values: unknown) => helmTemplate("airflow", values, { release: "airflow", namespace: "airflow" });

/**
 * Objects that are post-install or post-upgrade Helm hooks: helm-controller runs those only after the
 * release's resources are ready, so anything the release waits on must not be one. (Pre-install hooks
 * run before the resources and cannot deadlock that way.)
 */
const postHooks = (objects: Obj[]) => objects
    .filter((o) => /post-(install|upgrade)/.test(String(o.metadata?.annotations?.["helm.sh/hook"] ?? "")))
    .map((o) => `${o.kind} ${o.metadata.name}`);
const anyHooks = (objects: Obj[]) => objects.filter((o) => o.metadata?.annotations?.["helm.sh/hook"] !== undefined).map((o) => `${o.kind} ${o.metadata.name} (${o.metadata.annotations["helm.sh/hook"]})`);

/** Every container of every pod-bearing object (init containers included), with where it is. */
function containers(objects: Obj[]): { where: string; container: Obj }[] {
    return objects.flatMap((o) => {
        const spec = o.kind === "CronJob" ? o.spec?.jobTemplate?.spec?.template?.spec : o.kind === "Pod" ? o.spec : o.spec?.template?.spec;
        if (!spec) return [];
        return [...(spec.initContainers ?? []), ...(spec.containers ?? [])].map((c: Obj) => ({ where: `${o.kind} ${o.metadata?.name}/${c.name}`, container: c }));
    });
}
const envNames = (c: Obj) => (c.env ?? []).map((e: Obj) => e.name as string);

/** The KubernetesExecutor's pod template, from the chart's airflow-config ConfigMap. */
function podTemplate(objects: Obj[]): Obj {
    const cm = byKind(objects, "ConfigMap", "airflow-config")[0];
    assert.ok(cm?.data?.["pod_template_file.yaml"], "the chart renders the pod template into airflow-config");
    return YAML.parse(cm.data["pod_template_file.yaml"]) as Obj;
}
const airflowCfg = (objects: Obj[]): string => byKind(objects, "ConfigMap", "airflow-config")[0].data["airflow.cfg"] as string;
function cfgValue(cfg: string, section: string, key: string): string | undefined {
    const body = cfg.split(/^\[/m).find((s) => s.startsWith(`${section}]`));
    const m = body === undefined ? null : new RegExp(`^${key}\\s*=\\s*(.*)$`, "m").exec(body);
    return m?.[1].trim();
}

// --- tests ----------------------------------------------------------------------------------------

describe("Flux substitution (fluxcd/pkg envsubst, as kustomize-controller runs it)", () => {
    const vars = { A: "a", E: "", N: "Hello", P: "ns/prod/app" };
    it("replaces ${VAR}; every default operator means 'the value, or the default when empty'", () => {
        const cases: [string, string][] = [
            ["x${A}y", "xay"],
            ["${A:=d} ${E:=d} ${U:=d}", "a d d"],
            ["${A=d} ${E=d} ${U=d}", "a d d"],
            ["${A:-d} ${E:-d} ${U:-d}", "a d d"],
            // envsubst's quirk: :+ and :? are toDefault too, not bash's alternate value and error.
            ["${A:+d} ${E:+d} ${U:?d}", "a d d"],
            ["${U:=${A}-x}", "a-x"],
        ];
        for (const [text, want] of cases) assert.equal(envsubst(text, vars), want, text);
    });
    it("makes $$ a dollar, keeps $${VAR} literal, and never touches a bare $VAR or a regex anchor", () => {
        assert.equal(envsubst("$$ $${A} $A $ts x$ ^${A}$", vars), "$ ${A} $A $ts x$ ^a$");
        assert.equal(envsubst('"$AIRFLOW_ADMIN_USERNAME@airflow.invalid"', vars), '"$AIRFLOW_ADMIN_USERNAME@airflow.invalid"');
    });
    it("fails the whole text on a ${ not followed by a name or not closed", () => {
        for (const bad of ["${}", "${ A}", "${-x}", "a ${A", "${A-x}", "${A!}"]) assert.throws(() => envsubst(bad, vars), SubstitutionError, bad);
    });
    it("makes an unset variable empty, or an error in strict mode (defaults still apply)", () => {
        assert.equal(envsubst("[${U}]", vars), "[]");
        assert.throws(() => envsubst("${U}", vars, { strict: true }), /variable not set \(strict mode\): "U"/);
        assert.equal(envsubst("${U:=d}", vars, { strict: true }), "d");
    });
    it("has the string functions: length, case, substring, replace, trim", () => {
        const cases: [string, string][] = [
            ["${#N}", "5"], ["${N,}", "hello"], ["${N,,}", "hello"], ["${N^^}", "HELLO"], ["${A^}", "A"],
            ["${N:1}", "ello"], ["${N:1:3}", "ell"], ["${N:1:-1}", "ell"], ["${N:9}", ""],
            // ":-" is the default operator; " -3" is no number to Go's Atoi, so the whole value is kept.
            ["${N:-3}", "Hello"], ["${N: -3}", "Hello"],
            ["${N/l/L}", "HeLlo"], ["${N//l/L}", "HeLLo"], ["${N/#He/J}", "Jllo"], ["${N/%lo/p}", "Help"], ["${P//\\//-}", "ns-prod-app"],
            // Patterns are Go path.Match: "*" never crosses a "/", so ## and %% stop at the first slash too.
            ["${P#*/}", "prod/app"], ["${P##*/}", "prod/app"], ["${P%/*}", "ns/prod"], ["${P%%/*}", "ns/prod"],
        ];
        for (const [text, want] of cases) assert.equal(envsubst(text, { ...vars, d: "" }), want, text);
    });
    it("postBuild: per resource, skips resources that opt out, refuses bad variable names, drops newlines, parses YAML 1.1", () => {
        const stream = [
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  x: ${A}\n  on: ${E}\n",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  annotations:\n    kustomize.toolkit.fluxcd.io/substitute: disabled\ndata:\n  x: ${A}\n",
        ].join("---\n");
        const [a, b] = postBuild(stream, { A: "yes\n", E: "" });
        // YAML 1.1: "yes" is a boolean, an empty value is null, and the key "on" is true.
        assert.deepEqual(a.data, { x: true, true: null });
        assert.equal((b.data as Obj).x, "${A}");
        assert.throws(() => postBuild(stream, { "A-B": "x" }), /var name is invalid/);
        assert.throws(() => postBuild("apiVersion: v1\nkind: ConfigMap\ndata:\n  x: ${A\n", { A: "1" }), SubstitutionError);
    });
});

describe("platform settings", () => {
    before(loadStacks);
    const base = { environment: "prod" as const, region: "us-east-1", clusterName: "c", airflowImageRepository: "r", airflowRoleArn: "arn:aws:iam::1:role/a", airflowTaskRoleArn: "arn:aws:iam::1:role/t", secretsPrefix: "/data-platform-prod/airflow", dagAlertTopicArn: "arn:aws:sns:us-east-1:1:alerts", taskLogBucket: "b", imageBranch: "m", gitopsPath: "./clusters/prod", uiSecurityGroupId: "sg-1", uiZones: ["us-east-1a", "us-east-1b"] };
    it("lists exactly the contract's variables; the UI's three exist only where the UI is exposed", () => {
        assert.deepEqual([...PLATFORM_SETTING_KEYS].sort(), [
            "AIRFLOW_IMAGE_REPOSITORY", "AIRFLOW_ROLE_ARN", "AIRFLOW_SCHEDULER_REPLICAS", "AIRFLOW_SECRETS_PREFIX", "AIRFLOW_TASK_ROLE_ARN", "AWS_REGION", "CLUSTER_NAME", "DAG_ALERT_TOPIC_ARN", "ENVIRONMENT",
            "GITOPS_PATH", "IMAGE_BRANCH", "TASK_LOG_BUCKET", "UI_ALLOWED_CIDRS", "UI_CERTIFICATE_ARN", "UI_SECURITY_GROUP_ID", "UI_ZONES",
        ]);
        assert.deepEqual(Object.keys(STACK_SETTINGS.prod).sort(), [...PLATFORM_SETTING_KEYS].sort());
        assert.deepEqual(Object.keys(STACK_SETTINGS.staging).filter((k) => k.startsWith("UI_")), [], "staging exposes no UI: no UI settings");
        for (const stack of STACKS) {
            for (const [k, v] of Object.entries(STACK_SETTINGS[stack])) assert.ok(typeof v === "string" && v !== "", `${stack} ${k}`);
            assert.equal(STACK_SETTINGS[stack].GITOPS_PATH, STACK_CONFIG[stack].airflow.gitopsPath);
        }
    });
    it("runs two schedulers in prod and one in staging, and says why", () => {
        assert.equal(STACK_SETTINGS.prod.AIRFLOW_SCHEDULER_REPLICAS, "2");
        assert.equal(STACK_SETTINGS.staging.AIRFLOW_SCHEDULER_REPLICAS, "1");
        assert.match(schedulerReplicasFor("prod").reason, /row-level locks/);
    });
    it("puts the UI behind a load balancer only with a certificate and an allow-list", () => {
        assert.equal(uiExposure({ uiCertificateArn: "arn:aws:acm:us-east-1:1:certificate/x", uiAllowedCidrs: [] }).value, false);
        assert.match(uiExposure({ uiAllowedCidrs: ["10.0.0.0/8"] }).reason, /port-forward/);
        assert.equal(STACK_SETTINGS.prod.UI_ALLOWED_CIDRS, STACK_CONFIG.prod.airflow.uiAllowedCidrs.join(","));
        const on = platformSettings({ ...base, uiCertificateArn: "arn:aws:acm:us-east-1:1:certificate/x", uiAllowedCidrs: ["203.0.113.0/24", "198.51.100.7/32"] });
        assert.equal(on.UI_ALLOWED_CIDRS, "203.0.113.0/24,198.51.100.7/32");
        // prod's stack file puts the UI's load balancer in two of its three zones: a flow sequence.
        assert.equal(STACK_SETTINGS.prod.UI_ZONES, "[us-east-1a,us-east-1b]");
        assert.equal(on.UI_ZONES, "[us-east-1a,us-east-1b]");
        assert.equal(platformSettings({ ...base, uiAllowedCidrs: [] }).UI_CERTIFICATE_ARN, undefined);
    });
    it("refuses a value that could break or inject YAML, or that YAML would read as another type", () => {
        const off = { ...base, uiAllowedCidrs: [] };
        assert.throws(() => platformSettings({ ...off, taskLogBucket: 'b"\nx: y' }), /TASK_LOG_BUCKET/);
        assert.throws(() => platformSettings({ ...off, imageBranch: "${ENVIRONMENT}" }), /IMAGE_BRANCH/);
        assert.throws(() => platformSettings({ ...off, schedulerReplicas: 0 }), /AIRFLOW_SCHEDULER_REPLICAS/);
        assert.throws(() => platformSettings({ ...off, imageBranch: "on" }), /IMAGE_BRANCH: "on" would be read as a YAML boolean/);
        assert.throws(() => platformSettings({ ...off, taskLogBucket: "" }), /TASK_LOG_BUCKET: empty/);
        const ui = { ...base, uiCertificateArn: "arn:aws:acm:us-east-1:1:certificate/x", uiAllowedCidrs: ["10.0.0.0/8"] };
        assert.throws(() => platformSettings({ ...ui, uiZones: ["us-east-1a]\nx: [y"] }), /UI_ZONES/);
        assert.throws(() => platformSettings({ ...ui, uiZones: [] }), /UI_ZONES/);
        assert.throws(() => platformSettings({ ...ui, uiZones: ["on"] }), /UI_ZONES: .* list of strings/);
    });
});

describe("Airflow values (the builder)", () => {
    const values = airflowValues() as Obj;
    it("use the KubernetesExecutor, the external database over verified TLS, and the Pulumi secrets", () => {
        assert.equal(values.executor, "KubernetesExecutor");
        assert.equal(values.postgresql.enabled, false);
        assert.equal(values.pgbouncer.enabled, false);
        assert.equal(values.data.metadataSecretName, "airflow-metadata");
        assert.deepEqual([values.fernetKeySecretName, values.apiSecretKeySecretName, values.jwtSecretName], ["airflow-fernet-key", "airflow-api-secret-key", "airflow-jwt-secret"]);
        assert.equal(RDS_CA_PATH, "/opt/airflow/rds-ca/global-bundle.pem", "the path the connection URI names");
        assert.deepEqual(values.volumes[0].configMap.name, "airflow-rds-ca");
    });
    it("never create the chart's default admin; the admin comes from the Secret airflow-admin", () => {
        assert.equal(values.webserver, undefined, "the deprecated webserver.defaultUser would take precedence over createUserJob");
        assert.deepEqual(values.createUserJob.args, CREATE_ADMIN_ARGS);
        const command = CREATE_ADMIN_ARGS.join(" ");
        assert.doesNotMatch(command, /admin\/admin|--password admin|\{\{/, "no literal password, no chart template");
        assert.match(command, /--password "\$AIRFLOW_ADMIN_PASSWORD"/);
    });
    it("bound the database connections well under db.t3.micro's limit without PgBouncer", () => {
        const db = values.config.database;
        const perProcess = db.sql_alchemy_pool_size + db.sql_alchemy_max_overflow;
        const processes = 2 + values.config.api.workers + 1 + 1 + 2;
        const maxConnections = Math.floor((1024 ** 3) / 9531392);
        assert.ok(perProcess * processes <= 45 && perProcess * processes < maxConnections - 5, `${perProcess * processes} connections`);
    });
    it("expose the UI only through the ui-ingress Component, HTTPS only, with a modern policy and the allow-list", () => {
        assert.deepEqual(values.ingress, { apiServer: { enabled: false } });
        const ingress = (uiIngressValues() as Obj).ingress.apiServer;
        assert.equal(ingress.enabled, true);
        assert.equal(ingress.annotations["alb.ingress.kubernetes.io/ssl-policy"], UI_TLS_POLICY);
        assert.equal(ingress.annotations["alb.ingress.kubernetes.io/certificate-arn"], "${UI_CERTIFICATE_ARN}");
    });
});

describe("GitOps tree through the real kustomize, Flux's substitution and the real Airflow chart", function () {
    this.timeout(180_000);
    const built = {} as Record<Stack, Obj[]>;
    const rendered = {} as Record<Stack, Obj[]>;
    before(async function () {
        requireUpstream(this);
        await loadStacks();
        for (const stack of STACKS) {
            // Strict: every variable the stack's build names is one its settings provide. Flux itself runs
            // non-strict (an unset one would silently become empty); where strict mode succeeds, both
            // give the same objects, so one strict build serves for both.
            built[stack] = fluxBuild(stack, STACK_SETTINGS[stack], { strict: true });
            rendered[stack] = renderAirflow(helmRelease(built[stack]).spec.values);
        }
    });

    it("reports which Airflow chart it renders (the pin, or the nearest one to be had)", () => {
        const c = chart("airflow");
        assert.equal(c.pinned, "1.22.0");
        if (!c.exact) console.log(`      (Airflow chart: pinned ${c.pinned}, rendered with ${c.version} from ${c.source.slice(0, 80)}...)`);
        assert.equal(chart("flux").version, "2.18.3");
    });
    it("the nodes wake early enough for Flux to run the newest image before the night's runs are due (scheduler/wake-timeline.ts)", () => {
        for (const stack of STACKS) {
            const [imageRepository] = byKind(built[stack], "ImageRepository", "airflow");
            const [automation] = byKind(built[stack], "ImageUpdateAutomation", "airflow");
            const path: DeliveryPath = {
                imageScanInterval: imageRepository.spec.interval,
                imageUpdateInterval: automation.spec.interval,
                sourceInterval: STACK_SOURCE[stack].spec.interval,
                sourceTimeout: STACK_SOURCE[stack].spec.timeout,
                helmReleaseTimeout: helmRelease(built[stack]).spec.timeout,
            };
            const timeline = newestImageTimeline(path);
            const lead = STACK_CONFIG[stack].power.nodeLeadMinutes;
            assert.equal(nodeLeadProblem(lead, timeline), undefined, stack);
            assert.ok(timeline.totalMinutes >= 20, `${stack}: ${timeline.totalMinutes} minutes is implausibly short`);
            // The check bites: the 5-minute intervals this template had before would not fit the lead.
            assert.match(String(nodeLeadProblem(lead, newestImageTimeline({ ...path, imageScanInterval: "5m", imageUpdateInterval: "5m" }))), /may take 34 minutes to be running/);
        }
    });
    it("builds each stack with no null anywhere once substituted, and every ${ consumed", () => {
        for (const stack of STACKS) {
            assert.deepEqual(built[stack].flatMap((o) => nullPaths(o, `${o.kind}/${o.metadata?.name}`)), [], stack);
            assert.doesNotMatch(JSON.stringify(built[stack]), /\$\{/, stack);
        }
    });
    it("the null check catches the old staging mistake: UI settings empty with the Ingress values present", () => {
        const emptyUi = { ...STACK_SETTINGS.staging, UI_CERTIFICATE_ARN: "", UI_ALLOWED_CIDRS: "", UI_SECURITY_GROUP_ID: "" };
        const objects = fluxBuild("staging", emptyUi, { components: ["../../components/ui-ingress"] });
        const nulls = nullPaths(helmRelease(objects).spec.values);
        assert.ok(nulls.includes("/ingress/apiServer/annotations/alb.ingress.kubernetes.io~1certificate-arn".replace("~1", "/")), nulls.join(", "));
        assert.throws(() => renderAirflow(helmRelease(objects).spec.values), /certificate-arn|annotations|null|string/i, "the chart's schema refuses null annotations");
    });
    it("includes the UI Component only where the UI is exposed: an Ingress in prod with the stack's values, none in staging", () => {
        assert.deepEqual(STACK_ROOT.prod.spec.components, ["../../components/ui-ingress"]);
        assert.equal(STACK_ROOT.staging.spec.components, undefined);
        const ingress = byKind(rendered.prod, "Ingress");
        assert.equal(ingress.length, 1);
        const a = ingress[0].metadata.annotations;
        assert.equal(a["alb.ingress.kubernetes.io/certificate-arn"], STACK_SETTINGS.prod.UI_CERTIFICATE_ARN);
        assert.equal(a["alb.ingress.kubernetes.io/inbound-cidrs"], STACK_SETTINGS.prod.UI_ALLOWED_CIDRS);
        assert.equal(a["alb.ingress.kubernetes.io/security-groups"], STACK_SETTINGS.prod.UI_SECURITY_GROUP_ID);
        assert.equal(a["alb.ingress.kubernetes.io/ssl-policy"], UI_TLS_POLICY);
        assert.equal(ingress[0].spec.ingressClassName, "alb");
        assert.equal(byKind(rendered.staging, "Ingress").length, 0);
    });
    it("renders the migration and create-user Jobs as plain objects, not Helm hooks, deleted after they finish and kept out of drift detection", () => {
        for (const stack of STACKS) {
            assert.deepEqual(postHooks(rendered[stack]), [], `${stack}: no post-install/post-upgrade hooks`);
            // The one hook left is the chart's pre-install Secret for a Celery broker URL, rendered
            // whatever the executor ("defensively", its template says); nothing here reads it.
            assert.deepEqual(anyHooks(rendered[stack]), ["Secret airflow-broker-url (pre-install)"], stack);
            const jobs = byKind(rendered[stack], "Job");
            assert.deepEqual(jobs.map((j) => j.metadata.name).sort(), ["airflow-create-user", "airflow-run-airflow-migrations"]);
            for (const j of jobs) {
                assert.equal(j.spec.ttlSecondsAfterFinished, 300, j.metadata.name);
                assert.equal(j.metadata.annotations["helm.toolkit.fluxcd.io/driftDetection"], "disabled", j.metadata.name);
            }
        }
        // The check sees a hook when there is one: the chart's default.
        const values = mergePatch(helmRelease(built.prod).spec.values, { migrateDatabaseJob: { useHelmHooks: true } });
        assert.deepEqual(postHooks(renderAirflow(values)), ["Job airflow-run-airflow-migrations"]);
    });
    // The namespace's NetworkPolicies asked what they admit (tests/network-policy.ts, the API's
    // semantics), on the pods the chart really renders (labels and ports of its workloads and of the
    // executor's pod template), with the policies kustomize builds and the chart renders together.
    it("the network policies admit the paths Airflow needs and refuse the rest, on the pods the chart renders", () => {
        const namespaces = { airflow: { "kubernetes.io/metadata.name": "airflow" }, example: { "kubernetes.io/metadata.name": "example" } };
        for (const stack of STACKS) {
            const policies = [...built[stack], ...rendered[stack]].filter((o) => o.kind === "NetworkPolicy");
            const workload = (component: string): Pod => {
                const o = rendered[stack].find((x) => ["Deployment", "StatefulSet"].includes(x.kind) && x.spec.template.metadata.labels?.component === component);
                assert.ok(o, `${stack}: the chart renders no ${component}`);
                const t = o.spec.template;
                return { name: component, namespace: "airflow", labels: t.metadata.labels, ports: t.spec.containers.flatMap((c: Obj) => c.ports ?? []) };
            };
            const template = podTemplate(rendered[stack]);
            const task: Pod = { name: "task pod", namespace: "airflow", labels: template.metadata.labels, ports: template.spec.containers.flatMap((c: Obj) => c.ports ?? []) };
            const api = workload("api-server");
            const triggerer = workload("triggerer");
            const scheduler = workload("scheduler");
            const dagProcessor = workload("dag-processor");
            // The ALB sends from its own addresses in the public subnets (target type ip).
            const alb: Source = { ip: "10.0.0.37" };
            const other: Source = { pod: { name: "a pod of another namespace", namespace: "example", labels: { app: "x" }, ports: [] } };
            const need: [string, Pod, number, Source][] = [
                ["ALB → API server 8080 (the UI)", api, 8080, alb],
                ["task pod → API server 8080 (the Execution API)", api, 8080, { pod: task }],
                ["scheduler → API server 8080 (the Execution API)", api, 8080, { pod: scheduler }],
                ["API server → triggerer 8794 (a deferred task's live log)", triggerer, 8794, { pod: api }],
            ];
            const refuse: [string, Pod, number, Source][] = [
                ["task pod → triggerer 8794", triggerer, 8794, { pod: task }],
                ["ALB → triggerer 8794", triggerer, 8794, alb],
                ["task pod → scheduler 8793", scheduler, 8793, { pod: task }],
                ["another namespace → task pod 8793", task, 8793, other],
                ["task pod → DAG processor 8793", dagProcessor, 8793, { pod: task }],
                ["ALB → API server 9091 (not the UI's port)", api, 9091, alb],
            ];
            for (const [path_, to, port, from] of need) {
                const v = admits(policies, to, port, from, namespaces);
                assert.ok(v.admitted, `${stack}: ${path_}: ${v.why}`);
            }
            for (const [path_, to, port, from] of refuse) {
                const v = admits(policies, to, port, from, namespaces);
                assert.ok(!v.admitted, `${stack}: ${path_} is open (${v.why})`);
            }
            // The API server's container listens where the policy opens it.
            assert.ok(api.ports.some((p) => p.containerPort === 8080), `${stack}: ${JSON.stringify(api.ports)}`);
        }
    });
    it("gives task pods no database credential; the components that use the database get it by name", () => {
        for (const stack of STACKS) {
            const pod = podTemplate(rendered[stack]);
            for (const { where, container } of containers([pod])) {
                for (const banned of ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW_CONN_AIRFLOW_DB"]) assert.ok(!envNames(container).includes(banned), `${stack} ${where} has ${banned}`);
                assert.doesNotMatch(JSON.stringify(container.env ?? []), /airflow-metadata/, `${stack} ${where}`);
            }
            assert.equal(pod.spec.serviceAccountName, AIRFLOW_SERVICE_ACCOUNTS.worker);
            for (const d of ["airflow-scheduler", "airflow-api-server", "airflow-dag-processor", "airflow-triggerer"]) {
                const deployment = [...byKind(rendered[stack], "Deployment", d), ...byKind(rendered[stack], "StatefulSet", d)][0];
                assert.ok(deployment, `${stack}: ${d}`);
                const main = deployment.spec.template.spec.containers[0];
                const conn = (main.env as Obj[]).find((e) => e.name === "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN");
                assert.deepEqual(conn?.valueFrom.secretKeyRef, { name: "airflow-metadata", key: "connection" }, `${stack} ${d}`);
                const wait = (deployment.spec.template.spec.initContainers as Obj[]).find((c) => c.name === "wait-for-airflow-migrations");
                assert.ok(wait && envNames(wait).includes("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"), `${stack} ${d} wait-for-airflow-migrations`);
            }
            for (const j of byKind(rendered[stack], "Job")) assert.ok(envNames(j.spec.template.spec.containers[0]).includes("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"), j.metadata.name);
        }
    });
    it("keeps prod's API server in the UI load balancer's two zones: UI_ZONES arrives as a real list, through kustomize, Flux and the chart", () => {
        const apiServer = (stack: Stack) => byKind(rendered[stack], "Deployment", "airflow-api-server")[0].spec.template.spec;
        const terms = apiServer("prod").affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
        assert.deepEqual(terms, [{ matchExpressions: [{ key: "topology.kubernetes.io/zone", operator: "In", values: ["us-east-1a", "us-east-1b"] }] }]);
        // staging exposes no UI: no load balancer, no zone rule; the chart's own spreading applies.
        assert.equal(apiServer("staging").affinity?.nodeAffinity, undefined);
        assert.ok(apiServer("staging").affinity?.podAntiAffinity, "the chart's default anti-affinity");
    });
    it("puts requests and limits (CPU and memory) on every container, the task pod template's included", () => {
        for (const stack of STACKS) {
            const all = containers([...rendered[stack], podTemplate(rendered[stack])]);
            assert.ok(all.length >= 12, `${all.length} containers`);
            for (const { where, container } of all) {
                const r = container.resources ?? {};
                assert.ok(r.requests?.cpu && r.requests?.memory && r.limits?.cpu && r.limits?.memory, `${stack} ${where}: ${JSON.stringify(r)}`);
            }
        }
    });
    it("gives Airflow's four components the platform's IRSA role and task pods the task role", () => {
        for (const stack of STACKS) {
            const accounts = byKind(rendered[stack], "ServiceAccount");
            for (const name of Object.values(AIRFLOW_SERVICE_ACCOUNTS)) {
                const sa = accounts.find((a) => a.metadata.name === name);
                const role = name === AIRFLOW_SERVICE_ACCOUNTS.worker ? STACK_SETTINGS[stack].AIRFLOW_TASK_ROLE_ARN : STACK_SETTINGS[stack].AIRFLOW_ROLE_ARN;
                assert.equal(sa?.metadata.annotations?.["eks.amazonaws.com/role-arn"], role, `${stack} ${name}`);
            }
            assert.notEqual(STACK_SETTINGS[stack].AIRFLOW_TASK_ROLE_ARN, STACK_SETTINGS[stack].AIRFLOW_ROLE_ARN);
            // The task pods run as the worker account (the KubernetesExecutor's pod template).
            assert.equal(podTemplate(rendered[stack]).spec.serviceAccountName, AIRFLOW_SERVICE_ACCOUNTS.worker);
        }
    });
    it("reads connections and variables from Parameter Store under the stack's prefix, with no credentials, and names the alert topic to every container", () => {
        for (const stack of STACKS) {
            const cfg = airflowCfg(rendered[stack]);
            assert.equal(cfgValue(cfg, "secrets", "backend"), "airflow.providers.amazon.aws.secrets.systems_manager.SystemsManagerParameterStoreBackend");
            // After Flux's substitution: a JSON object Airflow parses, written out by hand.
            assert.deepEqual(JSON.parse(cfgValue(cfg, "secrets", "backend_kwargs")!), {
                connections_prefix: `/data-platform-${stack}/airflow/connections`,
                variables_prefix: `/data-platform-${stack}/airflow/variables`,
                config_prefix: null,
                region_name: "us-east-1",
            });
            const pod = podTemplate(rendered[stack]);
            const scheduler = byKind(rendered[stack], "Deployment", "airflow-scheduler")[0].spec.template.spec.containers[0];
            for (const [where, container] of [["task pod", pod.spec.containers[0]], ["scheduler", scheduler]] as const) {
                const topic = (container.env as Obj[]).find((e) => e.name === "DATA_PLATFORM_ALERT_TOPIC_ARN");
                assert.equal(topic?.value, STACK_SETTINGS[stack].DAG_ALERT_TOPIC_ARN, `${stack} ${where}`);
            }
        }
    });
    it("writes airflow.cfg with the executor, S3 remote logging, failed task pods deleted, and the stack's parallelism", () => {
        for (const stack of STACKS) {
            const cfg = airflowCfg(rendered[stack]);
            assert.equal(cfgValue(cfg, "core", "executor"), "KubernetesExecutor");
            assert.equal(cfgValue(cfg, "core", "parallelism"), String(stack === "prod" ? PROD_PARALLELISM : STAGING_PARALLELISM));
            assert.equal(cfgValue(cfg, "logging", "remote_logging"), "True");
            assert.equal(cfgValue(cfg, "logging", "remote_base_log_folder"), `s3://${STACK_SETTINGS[stack].TASK_LOG_BUCKET}`);
            assert.equal(cfgValue(cfg, "kubernetes_executor", "delete_worker_pods_on_failure"), "True");
            assert.doesNotMatch(cfg, /sql_alchemy_conn\s*=/, "the connection is in no ConfigMap");
            const scheduler = byKind(rendered[stack], "Deployment", "airflow-scheduler")[0];
            assert.equal(scheduler.spec.replicas, stack === "prod" ? 2 : 1, "the replica setting became a number");
        }
    });
    it("starts on the stock image, and switches to the ECR image when image automation rewrites the markers", () => {
        const image = `${STOCK_AIRFLOW_IMAGE.repository}:${STOCK_AIRFLOW_IMAGE.tag}`;
        for (const stack of STACKS) {
            assert.equal(byKind(rendered[stack], "Deployment", "airflow-scheduler")[0].spec.template.spec.containers[0].image, image, stack);
            const ecr = { name: STACK_SETTINGS[stack].AIRFLOW_IMAGE_REPOSITORY, tag: "master-20261201000000-abcdef0" };
            let changed = 0;
            const objects = fluxBuild(stack, STACK_SETTINGS[stack], {
                edit: (tree) => {
                    const file = path.join(tree, STACK_ROOT[stack].spec.path, "airflow-image.yaml");
                    const r = applyImagePolicySetters(fs.readFileSync(file, "utf8"), { "flux-system:airflow": ecr });
                    changed = r.changed;
                    fs.writeFileSync(file, r.text);
                },
            });
            assert.equal(changed, 2, `${stack}: both markers (name and tag) rewritten`);
            const rerendered = renderAirflow(helmRelease(objects).spec.values);
            assert.equal(byKind(rerendered, "Deployment", "airflow-scheduler")[0].spec.template.spec.containers[0].image, `${ecr.name}:${ecr.tag}`);
            assert.equal(podTemplate(rerendered).spec.containers[0].image, `${ecr.name}:${ecr.tag}`, "task pods follow");
        }
    });
    it("every Flux object validates against the CRDs of Flux 2.8.5 (the flux2 chart's), every other object against its published schema", async () => {
        for (const stack of STACKS) {
            let flux = 0;
            for (const o of built[stack]) {
                if (/\.toolkit\.fluxcd\.io\//.test(String(o.apiVersion))) {
                    const validate = fluxValidator(o);
                    assert.ok(validate, `${stack}: Flux 2.8.5 serves no ${o.apiVersion} ${o.kind}`);
                    assert.ok(validate(o), `${stack} ${o.kind} ${o.metadata.name}: ${JSON.stringify(validate.errors)}`);
                    assert.deepEqual(prunedFields(o), [], `${stack} ${o.kind} ${o.metadata.name}: fields the API server would drop`);
                    flux++;
                } else {
                    await validateKubernetes(o).catch((err: Error) => assert.fail(`${stack} ${o.kind} ${o.metadata?.name}: ${err.message}`));
                }
            }
            assert.ok(flux >= 5, `${stack}: ${flux} Flux objects`);
        }
        const bad = mergePatch(helmRelease(built.prod), { spec: { install: { strategy: { name: "Hope" } } } }) as Obj;
        assert.equal(fluxValidator(bad)!(bad), false, "the CRD refuses an unknown strategy");
    });
    it("fits Flux to a short night: retry in place, drift detection on, image automation writes the stack's folder", () => {
        const hr = helmRelease(built.prod).spec;
        assert.deepEqual([hr.install.strategy.name, hr.upgrade.strategy.name], ["RetryOnFailure", "RetryOnFailure"]);
        assert.equal(hr.timeout, "10m");
        assert.equal(hr.driftDetection.mode, "enabled");
        for (const stack of STACKS) {
            const automation = byKind(built[stack], "ImageUpdateAutomation", "airflow")[0];
            assert.equal(automation.spec.update.path, STACK_ROOT[stack].spec.path, `${stack}: update.path follows gitopsPath`);
        }
        assert.equal(STACK_ROOT.prod.spec.wait, true);
    });
    it("applies tenants' workloads by their own Kustomization as a service account with no cluster-wide grant", () => {
        for (const stack of STACKS) {
            const tenants = byKind(built[stack], "Kustomization", "tenants")[0];
            assert.equal(tenants?.spec.serviceAccountName, "tenants", stack);
            assert.equal(path.posix.normalize(tenants.spec.path), "tenants/workloads", `${stack}: ${tenants.spec.path}`);
            assert.ok(byKind(built[stack], "ServiceAccount", "tenants").some((a) => a.metadata.namespace === "flux-system"));
            const grants = built[stack].filter((o) => /^(Cluster)?RoleBinding$/.test(o.kind) && (o.subjects ?? []).some((x: Obj) => x.name === "tenants"));
            assert.ok(grants.every((g) => g.kind === "RoleBinding" && !["airflow", "flux-system", "kube-system"].includes(g.metadata.namespace)), JSON.stringify(grants));
        }
        // The example tenant, once listed, builds: its namespace and RoleBinding from access/, its workload from workloads/.
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tenants-"));
        try {
            fs.cpSync(path.join(GITOPS, "tenants"), tmp, { recursive: true });
            for (const [dir, entry] of [["access", "example-namespace.yaml"], ["workloads", "example"]]) {
                const file = path.join(tmp, dir, "kustomization.yaml");
                const k = YAML.parse(fs.readFileSync(file, "utf8")) as Obj;
                k.resources = [...(k.resources ?? []), entry];
                fs.writeFileSync(file, YAML.stringify(k));
            }
            const access = postBuild(kustomizeBuild(path.join(tmp, "access")), STACK_SETTINGS.prod) as Obj[];
            assert.deepEqual(access.map((o) => `${o.kind} ${o.metadata.namespace ?? ""}/${o.metadata.name}`).sort(),
                ["Namespace /example", "RoleBinding example/tenants-edit", "ServiceAccount flux-system/tenants"]);
            const workloads = kustomizeBuild(path.join(tmp, "workloads"));
            for (const o of postBuild(workloads, {}) as Obj[]) assert.equal(o.metadata.namespace, "example", `${o.kind} ${o.metadata.name}`);
        } finally {
            fs.rmSync(tmp, { recursive: true, force: true });
        }
    });
    it("the image rollback procedure names the real automation, and suspending it is a field Flux 2.8.5 serves", () => {
        // A `git revert` of the automation's commit is undone at its next run (the newer image is still
        // the newest in ECR), so the documented procedure suspends the automation first.
        const automation = byKind(built.prod, "ImageUpdateAutomation")[0];
        const readme = fs.readFileSync(path.join(ROOT, "docs", "operations.md"), "utf8");
        const command = `flux suspend image update ${automation.metadata.name} -n ${automation.metadata.namespace}`;
        assert.ok(readme.includes(command), `docs/operations.md names: ${command}`);
        assert.ok(readme.includes(`flux resume image update ${automation.metadata.name} -n ${automation.metadata.namespace}`));
        const suspended = mergePatch(automation, { spec: { suspend: true } }) as Obj;
        assert.equal(fluxValidator(suspended)!(suspended), true);
        assert.equal(fluxValidator(mergePatch(automation, { spec: { suspend: "yes" } }) as Obj)!(mergePatch(automation, { spec: { suspend: "yes" } })), false);
    });
});

describe("GitOps tree (gitops/) as files", () => {
    before(loadStacks);
    it("every kustomization.yaml names only paths that exist", () => {
        for (const file of yamlFiles().filter((f) => path.basename(f) === "kustomization.yaml")) {
            const k = YAML.parse(fs.readFileSync(file, "utf8")) as Obj;
            assert.match(String(k.apiVersion), /^kustomize\.config\.k8s\.io\/v1(beta1|alpha1)$/, rel(file));
            for (const r of [...(k.resources ?? []), ...(k.components ?? []), ...(k.patches ?? []).map((p: Obj) => p.path)]) {
                assert.ok(fs.existsSync(path.resolve(path.dirname(file), r)), `${rel(file)} names ${r}, which does not exist`);
            }
        }
    });
    it("every ${VARIABLE} in gitops/ is a platform setting; no other ${", () => {
        const used = new Set<string>();
        for (const file of yamlFiles()) {
            const text = fs.readFileSync(file, "utf8");
            for (const name of variablesIn(text)) {
                assert.ok(isPlatformSettingKey(name), `${rel(file)} uses \${${name}}, which is not in PLATFORM_SETTING_KEYS`);
                used.add(name);
            }
            assert.ok(!text.replace(/\$\{[A-Z_]+\}/g, "").includes("${"), `${rel(file)} has a \${ that is not a platform setting`);
        }
        assert.ok(used.size >= 10, [...used].join(", "));
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
    it("the generated files are exactly what the builders render (run `npm run gitops` after changing them)", () => {
        for (const [file, text] of Object.entries(generatedGitopsFiles())) {
            assert.equal(fs.readFileSync(path.join(GITOPS, file), "utf8"), text, `gitops/${file} is stale: run npm run gitops`);
        }
        assert.deepEqual((parseDocs(fs.readFileSync(path.join(GITOPS, "apps/airflow/helmrelease.yaml"), "utf8"), "helmrelease")[0]).spec.values, airflowValues());
    });
    it("carries both image-policy markers in each stack's folder, on the stock image", () => {
        for (const stack of STACKS) {
            const text = fs.readFileSync(path.join(GITOPS, "clusters", stack, "airflow-image.yaml"), "utf8");
            assert.match(text, new RegExp(`\\n\\s+repository: ${STOCK_AIRFLOW_IMAGE.repository} # \\{"\\$imagepolicy": "flux-system:airflow:name"\\}\\n`));
            assert.match(text, new RegExp(`\\n\\s+tag: ${STOCK_AIRFLOW_IMAGE.tag.replace(/\./g, "\\.")} # \\{"\\$imagepolicy": "flux-system:airflow:tag"\\}\\n`));
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
