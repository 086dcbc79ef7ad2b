// Airflow's delivery, its Pulumi side, proved on what the real program registers under mocks for each stack: the
// namespaces, the generated secrets (marked secret on the wire, and nowhere in plain text), the RDS CA,
// the UI's security group, the platform-settings ConfigMap, the Flux objects (against Flux's CRD
// schemas) and the plain Kubernetes objects (against the published Kubernetes schemas), and the
// metastore-bootstrap Job.

import { strict as assert } from "assert";
import { MONITOR_DB_USER } from "../metastore/bootstrap";
import { X509Certificate } from "crypto";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import { parseConfig, type PlatformConfig } from "../config/config";
import { PLATFORM_SETTING_KEYS } from "./platform-settings";
import { certificateNames, rootCaName } from "../metastore/rds-ca";
import { API_SERVER_PORT, UI_ALB_ROLE_TAG } from "../cluster/component";
import { valueOf, type Evaluation } from "../offline/evaluate";
import { T, only } from "../tests/resources";
import { fluxSchema, fluxValidator, prunedFields, validateKubernetes } from "../tests/schemas";
import { requireUpstream } from "../tests/upstream";
import { STACKS, stackEvaluation } from "../tests/stacks";

const NAMESPACE = "kubernetes:core/v1:Namespace";
const SECRET = "kubernetes:core/v1:Secret";
const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";
const JOB = "kubernetes:batch/v1:Job";
const PASSWORD = "random:index/randomPassword:RandomPassword";
const RANDOM_ID = "random:index/randomId:RandomId";
const PRIVATE_KEY = "tls:index/privateKey:PrivateKey";

// --- Pulumi's wire format for secrets ----------------------------------------------------------------

const isSecretValue = (v: unknown): v is { value: unknown } =>
    v !== null && typeof v === "object" && (v as Record<string, unknown>)[specialSigKey] === specialSecretSig;

/** The value as the provider would see it once decrypted: every secret wrapper replaced by its value. */
function unwrap(v: unknown): unknown {
    if (isSecretValue(v)) return unwrap(v.value);
    if (Array.isArray(v)) return v.map(unwrap);
    if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrap(x)]));
    return v;
}

/** What reaches state and the plan in plain text: secret-marked values left out. */
function plainPart(v: unknown): unknown {
    if (isSecretValue(v)) return "[secret]";
    if (Array.isArray(v)) return v.map(plainPart);
    if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plainPart(x)]));
    return v;
}

/**
 * Every generated secret value of the program: RandomPassword results, the Fernet RandomId (in every
 * encoding, and the URL-safe form the Secret holds), the deploy keys' private halves. The metastore's
 * final-snapshot suffix is a RandomId too, but by design a public name part (it is in the snapshot's
 * identifier), so it is not one of them.
 */
function generatedSecrets(e: Evaluation): Map<string, string> {
    const out = new Map<string, string>();
    for (const p of e.ofType(PASSWORD)) out.set(`${p.name}.result`, p.state.result);
    for (const r of e.ofType(RANDOM_ID).filter((x) => !x.name.endsWith("final-snapshot-suffix"))) {
        for (const k of ["hex", "b64Url", "b64Std", "dec"]) out.set(`${r.name}.${k}`, r.state[k]);
        out.set(`${r.name}.fernet`, fernetForm(r.state.b64Std));
    }
    for (const k of e.ofType(PRIVATE_KEY)) {
        // The key's body, without the armour lines every key shares.
        const body = String(k.state.privateKeyOpenssh).split("\n").filter((l) => l !== "" && !l.startsWith("-----")).join("\n");
        out.set(`${k.name}.privateKeyOpenssh`, body);
    }
    for (const [name, v] of out) assert.ok(typeof v === "string" && v.length >= 16, `${name} is too short to scan for: ${v}`);
    return out;
}
const fernetForm = (b64: string) => b64.replace(/\+/g, "-").replace(/\//g, "_");

/** The names of the generated secrets found in a JSON text (a value inside JSON is escaped like this). */
function leaks(text: string | undefined, secrets: Map<string, string>): string[] {
    return [...secrets].filter(([, v]) => (text ?? "").includes(JSON.stringify(v).slice(1, -1))).map(([name]) => name);
}

for (const stack of STACKS) {
    const prod = stack === "prod";
    describe(`Airflow's delivery under mocks: stack ${stack}`, () => {
        let e: Evaluation;
        let cfg: PlatformConfig;
        let secrets: Map<string, string>;
        before(async () => {
            e = await stackEvaluation(stack);
            cfg = parseConfig(e.config.values, e.config);
            secrets = generatedSecrets(e);
        });
        const k8sNamed = (type: string, namespace: string, name: string) => {
            const found = e.ofType(type).filter((r) => {
                const m = unwrap(r.inputs.metadata) as { name: string; namespace?: string };
                return m.name === name && (m.namespace ?? "") === namespace;
            });
            assert.equal(found.length, 1, `expected one ${type} ${namespace}/${name}, found ${found.length}`);
            return found[0];
        };
        const password = (suffix: string) => only(e, PASSWORD, suffix).state.result as string;
        const settings = () => k8sNamed(CONFIG_MAP, "flux-system", "platform-settings").inputs.data as Record<string, string>;

        describe("namespaces", () => {
            it("creates airflow, logging, flux-system and metastore-bootstrap with their pod-security levels", () => {
                const levels = (enforce: string, warn = enforce) => ({
                    "app.kubernetes.io/managed-by": "pulumi",
                    "app.kubernetes.io/part-of": "data-platform",
                    "pod-security.kubernetes.io/enforce": enforce,
                    "pod-security.kubernetes.io/enforce-version": "latest",
                    "pod-security.kubernetes.io/warn": warn,
                    "pod-security.kubernetes.io/audit": warn,
                });
                const byName = Object.fromEntries(e.ofType(NAMESPACE).map((n) => [n.inputs.metadata.name, n.inputs.metadata.labels]));
                // logging holds the log shipper, which exists only where there is a search domain to ship to.
                const searching = e.ofType("aws:opensearch/domain:Domain").length > 0;
                assert.deepEqual(byName, {
                    airflow: levels("baseline", "restricted"),
                    ...(searching ? { logging: levels("privileged") } : {}),
                    "flux-system": levels("restricted"),
                    "metastore-bootstrap": levels("restricted"),
                });
            });
        });

        describe("generated secrets", () => {
            const SECRETS: [string, string, string[]][] = [
                ["airflow", "airflow-metadata", ["connection"]],
                ["airflow", "airflow-fernet-key", ["fernet-key"]],
                ["airflow", "airflow-api-secret-key", ["api-secret-key"]],
                ["airflow", "airflow-jwt-secret", ["jwt-secret"]],
                ["airflow", "airflow-admin", ["password", "username"]],
                ["metastore-bootstrap", "metastore-credentials", ["airflow-password", "master-password", "monitor-password"]],
                ["flux-system", "gitops-auth", ["identity", "identity.pub", "known_hosts"]],
                ["flux-system", "gitops-write-auth", ["identity", "identity.pub", "known_hosts"]],
            ];
            const data = (namespace: string, name: string) => (unwrap(k8sNamed(SECRET, namespace, name).inputs.stringData) as Record<string, string>);

            it("creates exactly the contract's Secrets, each one's stringData reaching the provider marked secret", () => {
                assert.equal(e.ofType(SECRET).length, SECRETS.length);
                for (const [namespace, name, keys] of SECRETS) {
                    const s = k8sNamed(SECRET, namespace, name);
                    assert.ok(isSecretValue(s.inputs.stringData), `${namespace}/${name}: stringData is not marked secret`);
                    assert.deepEqual(Object.keys(s.inputs.stringData).sort(), [specialSigKey, "value"].sort());
                    assert.deepEqual(Object.keys(data(namespace, name)).sort(), keys);
                    assert.equal(s.inputs.data, undefined, "no plain data beside stringData");
                    assert.equal(s.inputs.type, "Opaque");
                }
            });
            it("the NightlyScheduler's database credential is the monitoring login the Job creates, never the master", () => {
                const param = e.ofType("aws:ssm/parameter:Parameter").find((p) => String(p.inputs.name).endsWith("/power/database"))!;
                assert.ok(isSecretValue(param.inputs.value));
                const credential = JSON.parse(unwrap(param.inputs.value) as string);
                assert.equal(credential.username, MONITOR_DB_USER);
                assert.equal(credential.password, password("cluster-monitor-db-password"));
                assert.notEqual(credential.password, password("metastore-password"));
                assert.equal(credential.ssl, "verify-full");
            });
            it("fills them with generated values: API secret key, JWT secret, admin password, Airflow's and the master's DB passwords", () => {
                assert.equal(data("airflow", "airflow-api-secret-key")["api-secret-key"], password("cluster-api-secret-key"));
                assert.equal(data("airflow", "airflow-jwt-secret")["jwt-secret"], password("cluster-jwt-secret"));
                assert.deepEqual(data("airflow", "airflow-admin"), { username: "admin", password: password("cluster-admin-password") });
                assert.deepEqual(data("metastore-bootstrap", "metastore-credentials"), {
                    "airflow-password": password("cluster-airflow-db-password"),
                    "master-password": password("metastore-password"),
                    "monitor-password": password("cluster-monitor-db-password"),
                });
                assert.ok(only(e, PASSWORD, "cluster-monitor-db-password").inputs.length >= 32);
                for (const suffix of ["cluster-api-secret-key", "cluster-jwt-secret"]) assert.ok(only(e, PASSWORD, suffix).inputs.length >= 32, suffix);
                assert.ok(only(e, PASSWORD, "cluster-admin-password").inputs.length >= 20);
                assert.ok(only(e, PASSWORD, "cluster-airflow-db-password").inputs.length >= 32);
                // Distinct draws: no secret doubles as another.
                const values = ["cluster-api-secret-key", "cluster-jwt-secret", "cluster-admin-password", "cluster-airflow-db-password", "cluster-monitor-db-password", "metastore-password"].map(password);
                assert.equal(new Set(values).size, values.length);
            });
            it("the Fernet key is 32 generated bytes in URL-safe base64 with padding", () => {
                const key = data("airflow", "airflow-fernet-key")["fernet-key"];
                const id = only(e, RANDOM_ID, "cluster-fernet-key");
                assert.equal(id.inputs.byteLength, 32);
                assert.match(key, /^[A-Za-z0-9_-]{43}=$/);
                const bytes = Buffer.from(key.replace(/-/g, "+").replace(/_/g, "/"), "base64");
                assert.equal(bytes.length, 32);
                assert.equal(bytes.toString("hex"), id.state.hex);
                assert.equal(key, Buffer.from(id.state.hex, "hex").toString("base64url") + "=");
            });
            it("the metadata connection is Airflow's own user with TLS verified against the mounted RDS CA", () => {
                const db = only(e, T.db, "metastore-db");
                const uri = data("airflow", "airflow-metadata").connection;
                assert.equal(uri, `postgresql://airflow:${password("cluster-airflow-db-password")}@${db.state.address}:5432/airflow?sslmode=verify-full&sslrootcert=/opt/airflow/rds-ca/global-bundle.pem`);
                const parsed = new URL(uri);
                assert.deepEqual([parsed.username, parsed.hostname, parsed.port, parsed.pathname], ["airflow", db.state.address, "5432", "/airflow"]);
                assert.notEqual(parsed.username, db.inputs.username, "not the master user");
            });
            it("the GitOps secrets hold generated ed25519 deploy keys, one to read and another to write, and the known hosts", () => {
                const read = only(e, PRIVATE_KEY, "cluster-gitops-deploy-key");
                const write = only(e, PRIVATE_KEY, "cluster-gitops-write-key");
                for (const k of [read, write]) assert.equal(k.inputs.algorithm, "ED25519");
                const knownHosts = cfg.airflow.gitopsKnownHosts.endsWith("\n") ? cfg.airflow.gitopsKnownHosts : `${cfg.airflow.gitopsKnownHosts}\n`;
                assert.deepEqual(data("flux-system", "gitops-auth"), { identity: read.state.privateKeyOpenssh, "identity.pub": read.state.publicKeyOpenssh, known_hosts: knownHosts });
                assert.deepEqual(data("flux-system", "gitops-write-auth"), { identity: write.state.privateKeyOpenssh, "identity.pub": write.state.publicKeyOpenssh, known_hosts: knownHosts });
                assert.notEqual(read.state.privateKeyOpenssh, write.state.privateKeyOpenssh);
            });
            it("no generated secret appears in any plain stack output, any ConfigMap, or any non-secret input of any resource", async () => {
                assert.ok(secrets.size >= 10, [...secrets.keys()].join(", "));
                // The scan finds them where they are: in the Secrets, once unwrapped.
                assert.ok(leaks(JSON.stringify(unwrap(k8sNamed(SECRET, "airflow", "airflow-admin").inputs)), secrets).length > 0, "the scan itself works");
                for (const r of e.resources) {
                    assert.deepEqual(leaks(JSON.stringify(plainPart(r.inputs)), secrets), [], `${r.type} ${r.name} has a generated secret in a plain input`);
                }
                for (const cm of e.ofType(CONFIG_MAP)) {
                    assert.ok(!isSecretValue(cm.inputs.data), `${cm.name}: a ConfigMap's data is never secret`);
                    assert.deepEqual(leaks(JSON.stringify(unwrap(cm.inputs)), secrets), [], `${cm.name} holds a generated secret`);
                }
                let plain = 0;
                for (const [name, value] of Object.entries(e.outputs)) {
                    const out = pulumi.output(value);
                    if (await pulumi.isSecret(out)) continue;
                    plain++;
                    assert.deepEqual(leaks(JSON.stringify(await valueOf(out)), secrets), [], `stack output ${name} leaks`);
                }
                assert.ok(plain >= 20, `${plain} plain outputs`);
            });
            it("exports the admin password as a secret output, and the deploy keys' public halves in plain", async () => {
                const admin = e.outputs.airflowAdminPassword as pulumi.Output<string>;
                assert.equal(await pulumi.isSecret(admin), true);
                assert.equal(await valueOf(admin), password("cluster-admin-password"));
                assert.equal(await valueOf(e.outputs.gitopsDeployKey as pulumi.Output<string>), only(e, PRIVATE_KEY, "cluster-gitops-deploy-key").state.publicKeyOpenssh);
                assert.equal(await valueOf(e.outputs.gitopsWriteDeployKey as pulumi.Output<string>), only(e, PRIVATE_KEY, "cluster-gitops-write-key").state.publicKeyOpenssh);
            });
        });

        describe("RDS CA", () => {
            it("both namespaces' airflow-rds-ca holds the CA that signs the metastore's certificate, and every certificate parses", () => {
                const db = only(e, T.db, "metastore-db");
                const root = rootCaName(db.inputs.caCertIdentifier, cfg.region);
                assert.equal(db.inputs.caCertIdentifier, "rds-ca-rsa2048-g1");
                assert.equal(root, "Amazon RDS us-east-1 Root CA RSA2048 G1");
                for (const namespace of ["airflow", "metastore-bootstrap"]) {
                    const cm = k8sNamed(CONFIG_MAP, namespace, "airflow-rds-ca");
                    assert.deepEqual(Object.keys(cm.inputs.data), ["global-bundle.pem"]);
                    const bundle: string = cm.inputs.data["global-bundle.pem"];
                    const pems = bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
                    assert.equal(pems.length, (bundle.match(/BEGIN CERTIFICATE/g) ?? []).length);
                    assert.ok(pems.length >= 10, `${pems.length} certificates`);
                    const certs = pems.map((pem) => new X509Certificate(pem));
                    assert.ok(certificateNames(bundle).includes(root), `${root} is not in the bundle`);
                    // The root itself: self-signed, a CA, and valid for years to come.
                    const ca: X509Certificate = certs.find((c: X509Certificate) => c.subject.split("\n").includes(`CN=${root}`))!;
                    assert.equal(ca.ca, true);
                    assert.ok(ca.verify(ca.publicKey), "self-signed");
                    assert.ok(new Date(ca.validTo).getFullYear() >= 2060, ca.validTo);
                }
            });

            // A certificate a real RDS instance sent (tests/fixtures/rds/SOURCE.md), checked by openssl as
            // a client checks it: the shipped bundle must verify its chain; a bundle without its root, or
            // the certificate with one byte of its signature changed, must not. At a fixed instant inside
            // its validity, so that the result does not depend on today's date.
            it("the bundle verifies a certificate chain a real RDS instance presented (openssl verify), and only through its root", () => {
                const real = fs.readFileSync(path.join(__dirname, "..", "tests", "fixtures", "rds", "ap-northeast-2-subordinate-rsa2048-g1-a5.pem"), "utf8");
                const bundle: string = k8sNamed(CONFIG_MAP, "airflow", "airflow-rds-ca").inputs.data["global-bundle.pem"];
                const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rds-ca-"));
                try {
                    const verify = (caFile: string, cert: string) => {
                        fs.writeFileSync(path.join(dir, "ca.pem"), caFile);
                        fs.writeFileSync(path.join(dir, "cert.pem"), cert);
                        try {
                            return { ok: true, out: execFileSync("openssl", ["verify", "-attime", String(Date.UTC(2026, 9, 8) / 1000), "-CAfile", "ca.pem", "cert.pem"], { cwd: dir, stdio: "pipe" }).toString() };
                        } catch (err) {
                            return { ok: false, out: String((err as { stderr?: Buffer }).stderr ?? err) };
                        }
                    };
                    assert.ok(!certificateNames(bundle).includes("Amazon RDS ap-northeast-2 Subordinate CA RSA2048 G1.A.5"), "the certificate itself is not in the bundle");
                    assert.deepEqual(verify(bundle, real), { ok: true, out: "cert.pem: OK\n" });
                    // rootCaName names the issuer the real certificate carries.
                    assert.match(new X509Certificate(real).issuer, new RegExp(`CN=${rootCaName("rds-ca-rsa2048-g1", "ap-northeast-2")}`));
                    const pems = bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)!;
                    const others = pems.filter((pem) => !new X509Certificate(pem).subject.includes("CN=Amazon RDS ap-northeast-2 Root CA RSA2048 G1"));
                    assert.equal(pems.length - others.length, 1, "exactly that root removed");
                    assert.match(verify(others.join("\n"), real).out, /unable to get local issuer certificate/);
                    const der = new X509Certificate(real).raw;
                    der[der.length - 10] ^= 0x01;
                    const tampered = `-----BEGIN CERTIFICATE-----\n${der.toString("base64").replace(/.{64}/g, "$&\n")}\n-----END CERTIFICATE-----\n`;
                    assert.match(verify(bundle, tampered).out, /certificate signature failure/);
                } finally {
                    fs.rmSync(dir, { recursive: true, force: true });
                }
            });
        });

        describe("UI load balancer's security group", () => {
            it(prod ? "prod (certificate set): 443 and 80 from each allowed CIDR, out only to the API server's port in the VPC, tagged, and named in the settings"
                : "staging (no certificate): no security group, no ingress, and the settings say so", () => {
                const groups = e.ofType(T.sg).filter((g) => g.name.includes("ui-alb"));
                if (!prod) {
                    assert.equal(cfg.airflow.uiCertificateArn, undefined);
                    assert.deepEqual(groups, []);
                    assert.deepEqual(e.resources.filter((r) => r.name.includes("ui-alb")), []);
                    assert.equal(settings().UI_SECURITY_GROUP_ID, undefined, "no UI setting at all, so none can be substituted as an empty value");
                    const root = only(e, "kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization", "cluster-gitops-root").inputs;
                    assert.equal(root.spec.components, undefined, "the UI's Component is not included");
                    return;
                }
                assert.ok(cfg.airflow.uiCertificateArn);
                const sg = only(e, T.sg, "cluster-ui-alb-sg");
                assert.equal(sg.inputs.vpcId, only(e, T.vpc, "vpc").id);
                assert.equal(sg.inputs.tags["data-platform:role"], "airflow-ui-alb");
                assert.deepEqual(UI_ALB_ROLE_TAG, { "data-platform:role": "airflow-ui-alb" });
                assert.equal(sg.inputs.ingress, undefined);
                assert.equal(sg.inputs.egress, undefined);
                const ingress = e.ofType(T.ingress).filter((r) => r.inputs.securityGroupId === sg.id)
                    .map((r) => `${r.inputs.ipProtocol} ${r.inputs.fromPort}-${r.inputs.toPort} ${r.inputs.cidrIpv4 ?? r.inputs.referencedSecurityGroupId ?? r.inputs.prefixListId}`).sort();
                assert.ok(cfg.airflow.uiAllowedCidrs.length >= 1);
                assert.deepEqual(ingress, cfg.airflow.uiAllowedCidrs.flatMap((c) => [`tcp 443-443 ${c}`, `tcp 80-80 ${c}`]).sort());
                const egress = e.ofType(T.egress).filter((r) => r.inputs.securityGroupId === sg.id).map((r) => [r.inputs.ipProtocol, r.inputs.fromPort, r.inputs.toPort, r.inputs.cidrIpv4]);
                assert.deepEqual(egress, [["tcp", API_SERVER_PORT, API_SERVER_PORT, cfg.network.vpcCidr]]);
                assert.equal(API_SERVER_PORT, 8080);
                assert.equal(settings().UI_SECURITY_GROUP_ID, sg.id);
                const root = only(e, "kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization", "cluster-gitops-root").inputs;
                assert.deepEqual(root.spec.components, ["../../components/ui-ingress"], "the UI's Component is included where the UI is exposed");
            });
        });

        describe("platform settings", () => {
            it("the ConfigMap's data names the evaluated bucket, roles, repository, topic and cluster, written out here", () => {
                const sg = e.ofType(T.sg).find((g) => g.name.endsWith("cluster-ui-alb-sg"));
                // Expected values spelled out per stack, not rebuilt with platformSettings(): the names come
                // from the stack file and core/naming.ts's rules, the ids and ARNs from the evaluated resources.
                const expected: Record<string, string> = {
                    ENVIRONMENT: stack,
                    AWS_REGION: "us-east-1",
                    CLUSTER_NAME: `data-platform-${stack}-eks`,
                    AIRFLOW_IMAGE_REPOSITORY: only(e, "aws:ecr/repository:Repository", "registry-airflow").state.repositoryUrl,
                    AIRFLOW_ROLE_ARN: only(e, "aws:iam/role:Role", "cluster-airflow-role").state.arn,
                    AIRFLOW_TASK_ROLE_ARN: only(e, "aws:iam/role:Role", "cluster-airflow-tasks-role").state.arn,
                    AIRFLOW_SECRETS_PREFIX: `/data-platform-${stack}/airflow`,
                    DAG_ALERT_TOPIC_ARN: only(e, "aws:sns/topic:Topic", "cluster-dag-alerts").state.arn,
                    TASK_LOG_BUCKET: only(e, "aws:s3/bucket:Bucket", "task-logs").state.bucket,
                    IMAGE_BRANCH: prod ? "master" : "staging",
                    GITOPS_PATH: `./clusters/${stack}`,
                    AIRFLOW_SCHEDULER_REPLICAS: prod ? "2" : "1",
                    ...(prod ? {
                        UI_CERTIFICATE_ARN: "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000",
                        UI_ALLOWED_CIDRS: "203.0.113.0/24",
                        UI_SECURITY_GROUP_ID: sg!.id!,
                        UI_ZONES: "[us-east-1a,us-east-1b]",
                    } : {}),
                };
                assert.deepEqual(settings(), expected);
                assert.deepEqual(Object.keys(settings()).sort(), [...PLATFORM_SETTING_KEYS].filter((k) => prod || !k.startsWith("UI_")).sort());
                assert.equal(settings().GITOPS_PATH, cfg.airflow.gitopsPath);
                assert.equal(settings().ENVIRONMENT, stack);
                assert.equal(settings().AIRFLOW_SCHEDULER_REPLICAS, prod ? "2" : "1");
                assert.equal(settings().IMAGE_BRANCH, prod ? "master" : "staging");
            });
            it("holds no secret", () => {
                const cm = k8sNamed(CONFIG_MAP, "flux-system", "platform-settings");
                assert.deepEqual(unwrap(cm.inputs), cm.inputs, "nothing in it is secret-marked");
                assert.deepEqual(leaks(JSON.stringify(cm.inputs), secrets), []);
                for (const [key, value] of Object.entries(settings())) assert.doesNotMatch(value, /postgresql:|PRIVATE KEY|password/i, key);
            });
        });

        describe("Flux objects", () => {
            const fluxObjects = () => e.resources.filter((r) => /\.toolkit\.fluxcd\.io\//.test(r.type));
            it("creates two GitRepositories and the root Kustomization, each valid against Flux's CRD schema", function () {
                requireUpstream(this);
                const objects = fluxObjects();
                assert.deepEqual(objects.map((o) => `${o.inputs.kind} ${o.inputs.metadata.namespace}/${o.inputs.metadata.name}`).sort(),
                    ["GitRepository flux-system/gitops", "GitRepository flux-system/gitops-write", "Kustomization flux-system/platform"]);
                for (const o of objects) {
                    const validate = fluxValidator(o.inputs);
                    assert.ok(validate, `no schema for ${o.inputs.apiVersion} ${o.inputs.kind}`);
                    assert.equal(o.type, `kubernetes:${o.inputs.apiVersion}:${o.inputs.kind}`);
                    assert.ok(validate(o.inputs), `${o.name}: ${JSON.stringify(validate.errors)}`);
                    assert.deepEqual(prunedFields(o.inputs), [], `${o.name}: fields the API server would drop`);
                }
                // The pruning check does check: a field Flux 2.8 does not have would be dropped.
                const root = only(e, "kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization", "cluster-gitops-root").inputs;
                assert.deepEqual(prunedFields({ ...root, spec: { ...root.spec, deletionPolicyy: "WaitForTermination" } }), ["spec.deletionPolicyy"]);
                // The schemas do check: a Kustomization without prune, a GitRepository with a bad interval.
                const kustomization = only(e, "kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization", "cluster-gitops-root").inputs;
                const { prune: _prune, ...noPrune } = kustomization.spec;
                assert.equal(fluxSchema({ apiVersion: "kustomize.toolkit.fluxcd.io/v1", kind: "Kustomization" })({ ...kustomization, spec: noPrune }), false);
                const repo = only(e, "kubernetes:source.toolkit.fluxcd.io/v1:GitRepository", "cluster-gitops-source").inputs;
                assert.equal(fluxSchema({ apiVersion: "source.toolkit.fluxcd.io/v1", kind: "GitRepository" })({ ...repo, spec: { ...repo.spec, interval: "1 minute" } }), false);
            });
            it("the GitRepositories follow the configured URL and branch, each with its own credentials Secret", () => {
                const spec = (suffix: string) => only(e, "kubernetes:source.toolkit.fluxcd.io/v1:GitRepository", suffix).inputs.spec;
                for (const [suffix, secret] of [["cluster-gitops-source", "gitops-auth"], ["cluster-gitops-write-source", "gitops-write-auth"]]) {
                    assert.equal(spec(suffix).url, cfg.airflow.gitopsRepositoryUrl);
                    assert.deepEqual(spec(suffix).ref, { branch: cfg.airflow.gitopsBranch });
                    assert.deepEqual(spec(suffix).secretRef, { name: secret });
                }
            });
            it(`the root Kustomization applies ./clusters/${stack} of the read-only source, pruning, with the platform settings substituted`, () => {
                const k = only(e, "kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization", "cluster-gitops-root");
                assert.equal(k.inputs.spec.path, cfg.airflow.gitopsPath);
                assert.equal(k.inputs.spec.path, `./clusters/${stack}`);
                assert.equal(k.inputs.spec.prune, true);
                assert.deepEqual(k.inputs.spec.sourceRef, { kind: "GitRepository", name: "gitops" });
                assert.deepEqual(k.inputs.spec.postBuild, { substituteFrom: [{ kind: "ConfigMap", name: "platform-settings" }] });
                // Applied once what the folder refers to exists: the source, the settings, the airflow namespace.
                const deps = k.options!.dependsOn;
                for (const needed of [
                    `kubernetes:source.toolkit.fluxcd.io/v1:GitRepository::${only(e, "kubernetes:source.toolkit.fluxcd.io/v1:GitRepository", "cluster-gitops-source").name}`,
                    `${CONFIG_MAP}::${k8sNamed(CONFIG_MAP, "flux-system", "platform-settings").name}`,
                    `${NAMESPACE}::${e.ofType(NAMESPACE).find((n) => n.inputs.metadata.name === "airflow")!.name}`,
                    `kubernetes:helm.sh/v3:Release::${only(e, "kubernetes:helm.sh/v3:Release", "cluster-flux").name}`,
                ]) assert.ok(deps.includes(needed), `${needed} not in ${deps.join(", ")}`);
            });
        });

        describe("plain Kubernetes objects", () => {
            it("every Namespace, Secret, ConfigMap and Job Pulumi creates validates against the published Kubernetes schema", async () => {
                const plain = e.resources.filter((r) => /^kubernetes:(core\/v1|batch\/v1):/.test(r.type));
                assert.deepEqual([...new Set(plain.map((r) => r.type))].sort(), [JOB, CONFIG_MAP, NAMESPACE, SECRET].sort());
                for (const r of plain) {
                    const object = unwrap(r.inputs) as Record<string, any>;
                    try {
                        await validateKubernetes(object);
                    } catch (err) {
                        assert.fail(`${r.name}: ${(err as Error).message}`);
                    }
                }
                assert.ok(plain.length >= 15, `${plain.length} objects`);
                // The validation does check: a Job whose restartPolicy is not an allowed value.
                const job = unwrap(only(e, JOB, "cluster-airflow-db-user").inputs) as Record<string, any>;
                const broken = JSON.parse(JSON.stringify(job));
                broken.spec.template.spec.containers[0].env[0].valueFrom = "nope";
                await assert.rejects(validateKubernetes(broken));
            });
        });

        describe("metastore-bootstrap Job", () => {
            const job = () => unwrap(only(e, JOB, "cluster-airflow-db-user").inputs) as Record<string, any>;
            it("is not awaited (the nodes may sleep), runs non-root with a read-only root filesystem, in its own restricted namespace", () => {
                const j = job();
                assert.equal(j.metadata.namespace, "metastore-bootstrap");
                assert.equal(j.metadata.annotations["pulumi.com/skipAwait"], "true");
                const pod = j.spec.template.spec;
                assert.equal(pod.securityContext.runAsNonRoot, true);
                assert.ok(pod.securityContext.runAsUser > 0);
                assert.equal(pod.securityContext.seccompProfile.type, "RuntimeDefault");
                assert.equal(pod.automountServiceAccountToken, false);
                assert.equal(pod.containers.length, 1);
                for (const c of pod.containers) {
                    assert.equal(c.securityContext.readOnlyRootFilesystem, true);
                    assert.equal(c.securityContext.allowPrivilegeEscalation, false);
                    assert.deepEqual(c.securityContext.capabilities.drop, ["ALL"]);
                    assert.ok(c.resources.limits.memory);
                }
            });
            it("gets its passwords only through secretKeyRef; none is in the Job, whose whole definition is secret-marked anyway", () => {
                const j = job();
                const env: { name: string; value?: string; valueFrom?: any }[] = j.spec.template.spec.containers[0].env;
                const fromSecrets = env.filter((v) => v.valueFrom !== undefined).map((v) => [v.name, v.valueFrom.secretKeyRef.name, v.valueFrom.secretKeyRef.key]);
                assert.deepEqual(fromSecrets, [["PGPASSWORD", "metastore-credentials", "master-password"], ["AIRFLOW_PASSWORD", "metastore-credentials", "airflow-password"], ["MONITOR_PASSWORD", "metastore-credentials", "monitor-password"]]);
                assert.deepEqual(leaks(JSON.stringify(j), secrets), [], "no generated secret in the Job's definition");
                const vars = Object.fromEntries(env.map((v) => [v.name, v.value]));
                assert.equal(vars.PGSSLMODE, "verify-full");
                assert.equal(vars.PGSSLROOTCERT, "/rds-ca/global-bundle.pem");
                assert.equal(vars.PGUSER, only(e, T.db, "metastore-db").inputs.username);
                assert.equal(vars.PGHOST, only(e, T.db, "metastore-db").state.address);
                assert.deepEqual(j.spec.template.spec.volumes, [{ name: "rds-ca", configMap: { name: "airflow-rds-ca" } }]);
                const job_ = only(e, JOB, "cluster-airflow-db-user");
                assert.ok(job_.options!.dependsOn.includes(`${SECRET}::${k8sNamed(SECRET, "metastore-bootstrap", "metastore-credentials").name}`));
                assert.ok(job_.options!.dependsOn.includes(`${CONFIG_MAP}::${k8sNamed(CONFIG_MAP, "metastore-bootstrap", "airflow-rds-ca").name}`), "after its CA bundle");
                // Only a hash of the password names the Job, so the plan shows it in the clear.
                assert.equal(JSON.stringify(job_.inputs).includes(specialSigKey), false, "the Job is not secret-marked");
                assert.match(j.metadata.name, /^airflow-db-user-[0-9a-f]{8}$/);
            });
        });
    });
}

describe("Airflow's delivery: a UI allow-list of several networks", () => {
    it("opens 443 and 80 to each of them, and nothing else", async () => {
        const cidrs = ["203.0.113.0/24", "198.51.100.7/32"];
        const e = await stackEvaluation("prod", { "data-platform:uiAllowedCidrs": cidrs });
        const sg = only(e, T.sg, "cluster-ui-alb-sg");
        const ingress = e.ofType(T.ingress).filter((r) => r.inputs.securityGroupId === sg.id).map((r) => `${r.inputs.fromPort}-${r.inputs.toPort} ${r.inputs.cidrIpv4}`).sort();
        assert.deepEqual(ingress, ["443-443 198.51.100.7/32", "443-443 203.0.113.0/24", "80-80 198.51.100.7/32", "80-80 203.0.113.0/24"]);
        const cm = e.ofType(CONFIG_MAP).find((c) => c.inputs.metadata.name === "platform-settings")!;
        assert.equal(cm.inputs.data.UI_ALLOWED_CIDRS, cidrs.join(","));
    });
});
