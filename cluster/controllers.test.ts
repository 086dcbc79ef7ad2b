// The platform controllers, proved on what the real program registers under mocks for each
// stack: the Helm releases (pinned chart, repository, the values that matter), the IRSA roles' trust
// (one exact service account each) and permissions (least privilege, the LB controller's upstream
// policy unchanged), and that every Kubernetes object goes through the cluster's own provider.

import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { parseConfig, type PlatformConfig } from "../config/config";
import { AIRFLOW_NAMESPACE, AIRFLOW_SERVICE_ACCOUNTS } from "../airflow/values";
import { FLUX_CONTROLLERS, IRSA_ANNOTATION, SERVICE_ACCOUNTS } from "./controllers";
import { CHARTS, LBC_IAM_POLICY, type ChartPin } from "./chart-versions";
import type { Evaluation } from "../offline/evaluate";
import type { RecordedResource } from "../offline/mocks";
import { T, only } from "../tests/resources";
import { STACKS, stackEvaluation } from "../tests/stacks";

const ROOT = path.join(__dirname, "..");
const json = (text: string) => JSON.parse(text);
const list = <X>(x: X | readonly X[] | undefined): X[] => (x === undefined ? [] : Array.isArray(x) ? [...x] : [x as X]);

const RELEASE = "kubernetes:helm.sh/v3:Release";
const ROLE = "aws:iam/role:Role";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment";
const K8S_PROVIDER = "pulumi:providers:kubernetes";

interface Statement {
    Sid?: string;
    Effect: string;
    Action?: string | string[];
    NotAction?: unknown;
    Resource?: string | string[];
    NotResource?: unknown;
    Condition?: Record<string, Record<string, unknown>>;
}

/** Every inline policy document of a role: RolePolicy resources and the role's own inlinePolicies. */
function inlinePolicies(e: Evaluation, role: RecordedResource): { Statement: Statement[] }[] {
    const attached = e.ofType(ROLE_POLICY).filter((p) => p.inputs.role === role.state.name).map((p) => json(p.inputs.policy));
    const own = list<{ policy: string }>(role.inputs.inlinePolicies).map((p) => json(p.policy));
    return [...attached, ...own];
}
const statementsOf = (e: Evaluation, role: RecordedResource): Statement[] => inlinePolicies(e, role).flatMap((d) => d.Statement);

/**
 * Fluent Bit's classic configuration read back independently of its renderer: `[SECTION]` headers
 * and indented `Key Value` lines; anything else throws.
 */
function classicSections(text: string): { name: string; entries: Map<string, string> }[] {
    const sections: { name: string; entries: Map<string, string> }[] = [];
    for (const line of text.split("\n")) {
        if (line.trim() === "") continue;
        const header = /^\[([A-Z]+)\]$/.exec(line);
        if (header) {
            sections.push({ name: header[1], entries: new Map() });
            continue;
        }
        const entry = /^\s+(\S+)\s+(.+)$/.exec(line);
        assert.ok(entry && sections.length > 0, `not a classic-config line: ${JSON.stringify(line)}`);
        sections.at(-1)!.entries.set(entry[1], entry[2]);
    }
    return sections;
}

for (const stack of STACKS) {
    describe(`AirflowCluster's platform controllers under mocks: stack ${stack}`, () => {
        let e: Evaluation;
        let cfg: PlatformConfig;
        let cluster: RecordedResource;
        let oidc: RecordedResource;
        let issuer: string;
        let roles: Record<"lbc" | "reflector" | "airflow" | "airflowTasks", RecordedResource> & { shipper?: RecordedResource };
        /** Whether the stack runs the log-search domain: the log shipper exists exactly when it does. */
        let searching: boolean;
        before(async () => {
            e = await stackEvaluation(stack);
            cfg = parseConfig(e.config.values, e.config);
            cluster = only(e, "aws:eks/cluster:Cluster", "cluster-eks");
            oidc = only(e, "aws:iam/openIdConnectProvider:OpenIdConnectProvider", "cluster-oidc");
            issuer = String(oidc.inputs.url).replace(/^https:\/\//, "");
            searching = e.ofType("aws:opensearch/domain:Domain").length > 0;
            roles = {
                lbc: only(e, ROLE, "cluster-load-balancer-controller-role"),
                reflector: only(e, ROLE, "cluster-image-reflector-role"),
                airflow: only(e, ROLE, "cluster-airflow-role"),
                airflowTasks: only(e, ROLE, "cluster-airflow-tasks-role"),
                ...(searching ? { shipper: only(e, ROLE, "cluster-log-shipper-role") } : {}),
            };
        });
        const release = (suffix: string) => only(e, RELEASE, `cluster-${suffix}`);

        describe("Helm releases", () => {
            const pins: [string, keyof typeof CHARTS, string, string][] = [
                ["load-balancer-controller", "awsLoadBalancerController", "aws-load-balancer-controller", "kube-system"],
                ["fluent-bit", "fluentBit", "fluent-bit", "logging"],
                ["flux", "flux", "flux2", "flux-system"],
            ];
            it("installs exactly the three controllers (Fluent Bit only where there is a search domain to ship to)", () => {
                assert.deepEqual(e.ofType(RELEASE).map((r) => r.inputs.name).sort(), ["aws-load-balancer-controller", ...(searching ? ["fluent-bit"] : []), "flux2"]);
            });
            for (const [suffix, key, name, namespace] of pins) {
                it(`${name}: pinned chart from its repository (cluster/chart-versions.ts), fixed release name, ${namespace}, not awaited`, () => {
                    if (suffix === "fluent-bit" && !searching) {
                        assert.deepEqual(e.ofType(RELEASE).filter((r) => r.name.endsWith(`cluster-${suffix}`)), []);
                        return;
                    }
                    const r = release(suffix);
                    const pin: ChartPin = CHARTS[key];
                    assert.equal(r.inputs.chart, pin.chart);
                    assert.deepEqual(r.inputs.repositoryOpts, { repo: pin.repository });
                    assert.equal(r.inputs.version, pin.version);
                    assert.match(r.inputs.version, /^\d+\.\d+\.\d+$/, "an exact version, not a range");
                    assert.equal(r.inputs.name, name, "without a name Pulumi appends a random suffix");
                    assert.equal(r.inputs.namespace, namespace);
                    // A `pulumi up` while the nodes sleep must not wait for pods that cannot be scheduled.
                    assert.equal(r.inputs.skipAwait, true);
                });
            }

            it("AWS Load Balancer Controller: this cluster, this VPC, this region, its own role", () => {
                const values = release("load-balancer-controller").inputs.values;
                const vpc = only(e, T.vpc, "vpc");
                assert.equal(values.clusterName, cluster.state.name);
                assert.equal(values.clusterName, cluster.inputs.name);
                assert.equal(values.vpcId, vpc.id);
                assert.equal(values.region, cfg.region);
                assert.deepEqual(values.serviceAccount, {
                    create: true,
                    name: SERVICE_ACCOUNTS.loadBalancerController.name,
                    annotations: { [IRSA_ANNOTATION]: roles.lbc.state.arn },
                });
            });

            it("Fluent Bit: ships to the log domain's endpoint, SigV4-signed in the region, as its own role (none without a domain)", () => {
                if (!searching) {
                    assert.deepEqual(e.ofType(RELEASE).filter((r) => r.inputs.chart === CHARTS.fluentBit.chart), []);
                    assert.deepEqual(e.ofType(ROLE).filter((r) => r.name.endsWith("log-shipper-role")), []);
                    assert.deepEqual(e.ofType("kubernetes:core/v1:Namespace").filter((n) => n.inputs.metadata.name === "logging"), []);
                    return;
                }
                const values = release("fluent-bit").inputs.values;
                const domain = only(e, "aws:opensearch/domain:Domain", "logstore-search");
                const outputs = classicSections(values.config.outputs);
                assert.ok(outputs.length >= 1);
                for (const o of outputs) {
                    assert.equal(o.name, "OUTPUT");
                    assert.equal(o.entries.get("Name"), "opensearch");
                    assert.equal(o.entries.get("Host"), domain.state.endpoint);
                    assert.equal(o.entries.get("Port"), "443");
                    assert.equal(o.entries.get("tls"), "On");
                    assert.equal(o.entries.get("AWS_Auth"), "On");
                    assert.equal(o.entries.get("AWS_Region"), cfg.region);
                }
                assert.deepEqual(values.serviceAccount, {
                    create: true,
                    name: SERVICE_ACCOUNTS.fluentBit.name,
                    annotations: { [IRSA_ANNOTATION]: roles.shipper!.state.arn },
                });
                assert.equal(values.kind, "DaemonSet");
            });

            it("Flux: the six controllers, the image reflector (and nothing else) annotated with its role", () => {
                const values = release("flux").inputs.values;
                assert.equal(Object.keys(FLUX_CONTROLLERS).length, 6);
                for (const key of Object.keys(FLUX_CONTROLLERS)) assert.equal(values[key].create, true, key);
                assert.deepEqual(values.imageReflectionController.serviceAccount.annotations, { [IRSA_ANNOTATION]: roles.reflector.state.arn });
                const annotated = Object.keys(FLUX_CONTROLLERS).filter((k) => values[k].serviceAccount?.annotations !== undefined);
                assert.deepEqual(annotated, ["imageReflectionController"]);
                assert.equal(values.installCRDs, true);
            });

            it("Flux waits for the node group (its pre-install Job needs a node) and its namespace; Fluent Bit for its namespace", () => {
                const flux = release("flux");
                const nodes = only(e, "aws:eks/nodeGroup:NodeGroup", "cluster-nodes");
                const fluxNs = e.ofType("kubernetes:core/v1:Namespace").find((n) => n.inputs.metadata.name === "flux-system")!;
                assert.ok(flux.options!.dependsOn.includes(`aws:eks/nodeGroup:NodeGroup::${nodes.name}`), flux.options!.dependsOn.join(", "));
                assert.ok(flux.options!.dependsOn.includes(`kubernetes:core/v1:Namespace::${fluxNs.name}`), flux.options!.dependsOn.join(", "));
                if (!searching) return;
                const logging = e.ofType("kubernetes:core/v1:Namespace").find((n) => n.inputs.metadata.name === "logging")!;
                assert.ok(release("fluent-bit").options!.dependsOn.includes(`kubernetes:core/v1:Namespace::${logging.name}`));
            });
        });

        describe("IRSA roles: trust", () => {
            const expected = (): [keyof typeof roles, string[]][] => [
                ["lbc", ["system:serviceaccount:kube-system:aws-load-balancer-controller"]],
                ...(searching ? [["shipper", ["system:serviceaccount:logging:fluent-bit"]] as [keyof typeof roles, string[]]] : []),
                ["reflector", ["system:serviceaccount:flux-system:image-reflector-controller"]],
                ["airflow", Object.values(AIRFLOW_SERVICE_ACCOUNTS).filter((sa) => sa !== AIRFLOW_SERVICE_ACCOUNTS.worker).map((sa) => `system:serviceaccount:${AIRFLOW_NAMESPACE}:${sa}`)],
                ["airflowTasks", [`system:serviceaccount:${AIRFLOW_NAMESPACE}:${AIRFLOW_SERVICE_ACCOUNTS.worker}`]],
            ];
            it("the contract's service accounts are the ones trusted below", () => {
                assert.deepEqual(Object.values(SERVICE_ACCOUNTS).map((s) => `${s.namespace}/${s.name}`),
                    ["kube-system/aws-load-balancer-controller", "logging/fluent-bit", "flux-system/image-reflector-controller"]);
                assert.deepEqual(Object.values(AIRFLOW_SERVICE_ACCOUNTS).sort(),
                    ["airflow-api-server", "airflow-dag-processor", "airflow-scheduler", "airflow-triggerer", "airflow-worker"]);
            });
            it("each role trusts exactly its service account(s), through the cluster's OIDC provider, for the STS audience", () => {
                assert.equal(oidc.inputs.url, cluster.state.identities[0].oidcs[0].issuer);
                for (const [key, subjects] of expected()) {
                    const statements = json(roles[key]!.inputs.assumeRolePolicy).Statement;
                    assert.equal(statements.length, 1, key);
                    const [s] = statements;
                    assert.equal(s.Effect, "Allow");
                    assert.deepEqual(s.Principal, { Federated: oidc.state.arn }, key);
                    assert.equal(s.Action, "sts:AssumeRoleWithWebIdentity");
                    // StringEquals only: no StringLike, no wildcard subject.
                    assert.deepEqual(Object.keys(s.Condition), ["StringEquals"], key);
                    assert.deepEqual(Object.keys(s.Condition.StringEquals).sort(), [`${issuer}:aud`, `${issuer}:sub`], key);
                    assert.equal(s.Condition.StringEquals[`${issuer}:aud`], "sts.amazonaws.com");
                    assert.deepEqual(list(s.Condition.StringEquals[`${issuer}:sub`]).sort(), [...subjects].sort(), key);
                    for (const sub of list<string>(s.Condition.StringEquals[`${issuer}:sub`])) assert.doesNotMatch(sub, /[*?]/);
                }
            });
            it("no other role trusts the cluster's OIDC provider", () => {
                const trusting = e.ofType(ROLE).filter((r) => r.inputs.assumeRolePolicy.includes(oidc.state.arn)).map((r) => r.name).sort();
                assert.deepEqual(trusting, Object.values(roles).map((r) => r!.name).sort());
            });
        });

        describe("IRSA roles: permissions", () => {
            it("no inline role policy anywhere in the program allows '*' or 'service:*' on Resource '*'", () => {
                let checked = 0;
                const docs = [
                    ...e.ofType(ROLE).flatMap((r) => inlinePolicies(e, r)),
                    ...e.ofType(ROLE_POLICY).filter((p) => !e.ofType(ROLE).some((r) => r.state.name === p.inputs.role)).map((p) => json(p.inputs.policy)),
                ];
                for (const doc of docs) {
                    for (const s of doc.Statement) {
                        checked++;
                        assert.equal(s.NotAction, undefined, JSON.stringify(s));
                        assert.equal(s.NotResource, undefined, JSON.stringify(s));
                        if (s.Effect !== "Allow" || !list(s.Resource).includes("*")) continue;
                        for (const action of list(s.Action)) assert.doesNotMatch(action, /^(\*|[a-z0-9-]+:\*)$/, JSON.stringify(s));
                    }
                }
                assert.ok(checked >= 20, `${checked} statements`);
            });
            it("no managed policy is attached to a workload role", () => {
                for (const role of Object.values(roles).filter((r): r is RecordedResource => r !== undefined)) {
                    assert.deepEqual(e.ofType(ATTACHMENT).filter((a) => a.inputs.role === role.state.name), [], role.name);
                    assert.equal(role.inputs.managedPolicyArns, undefined);
                }
            });
            it("the LB controller's policy is the upstream file of the pinned version, unchanged", () => {
                const docs = inlinePolicies(e, roles.lbc);
                assert.equal(docs.length, 1);
                assert.equal(LBC_IAM_POLICY.path, "cluster/iam/aws-load-balancer-controller-v3.5.0.json");
                assert.equal(CHARTS.awsLoadBalancerController.appVersion, "v3.5.0");
                assert.deepEqual(docs[0], JSON.parse(fs.readFileSync(path.join(ROOT, LBC_IAM_POLICY.path), "utf8")));
            });
            it("the log shipper may only es:ESHttp* on the log domain's paths, and the domain admits exactly that role (without a domain: no es: grant at all)", () => {
                if (!searching) {
                    const es = e.ofType(ROLE).flatMap((r) => statementsOf(e, r)).filter((s) => list(s.Action).some((a) => a.startsWith("es:")));
                    assert.deepEqual(es, []);
                    return;
                }
                const shipper = roles.shipper!;
                const domain = only(e, "aws:opensearch/domain:Domain", "logstore-search");
                const statements = statementsOf(e, shipper);
                assert.ok(statements.length >= 1);
                for (const s of statements) {
                    assert.equal(s.Effect, "Allow");
                    assert.deepEqual(list(s.Resource), [`${domain.state.arn}/*`]);
                    for (const a of list(s.Action)) assert.match(a, /^es:ESHttp(Get|Head|Post|Put)$/);
                    assert.equal(s.Condition, undefined);
                }
                const access = json(only(e, "aws:opensearch/domainPolicy:DomainPolicy", "logstore-search-access").inputs.accessPolicies).Statement;
                const allows = access.filter((s: { Effect: string }) => s.Effect === "Allow");
                assert.equal(allows.length, 1);
                assert.deepEqual(allows[0].Principal, { AWS: [shipper.state.arn] });
                const [deny] = access.filter((s: { Effect: string }) => s.Effect === "Deny");
                assert.deepEqual(deny.Condition, { ArnNotEquals: { "aws:PrincipalArn": [shipper.state.arn] } });
            });
            it("the image reflector may list, describe and pull the Airflow repository only (plus the account-wide registry login)", () => {
                const repo = only(e, "aws:ecr/repository:Repository", "registry-airflow");
                const statements = statementsOf(e, roles.reflector);
                const login = statements.filter((s) => list(s.Resource).includes("*"));
                assert.deepEqual(login.map((s) => list(s.Action)), [["ecr:GetAuthorizationToken"]], "GetAuthorizationToken grants no image access");
                const rest = statements.filter((s) => !login.includes(s));
                assert.ok(rest.length >= 1);
                const actions = new Set<string>();
                for (const s of rest) {
                    assert.equal(s.Effect, "Allow");
                    assert.deepEqual(list(s.Resource), [repo.state.arn]);
                    for (const a of list(s.Action)) actions.add(a);
                }
                for (const a of actions) assert.match(a, /^ecr:(List\w+|Describe\w+|BatchGetImage|GetDownloadUrlForLayer|BatchCheckLayerAvailability)$/);
                assert.ok(actions.has("ecr:ListImages") && actions.has("ecr:DescribeImages"));
            });
            it("Airflow (both roles) may read and write its task-log bucket, use the bucket's key only through S3, read its secrets and publish its alerts", () => {
                const bucket = only(e, "aws:s3/bucket:Bucket", "task-logs");
                const sse = only(e, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "task-logs-encryption");
                const keyArn = sse.inputs.rules[0].applyServerSideEncryptionByDefault.kmsMasterKeyId;
                const parameters = `arn:aws:ssm:${cfg.region}:123456789012:parameter/data-platform-${cfg.stack}/airflow/*`;
                for (const role of [roles.airflow, roles.airflowTasks]) {
                    const statements = statementsOf(e, role).map(({ Sid: _sid, ...s }) => ({ ...s, Action: list(s.Action).sort() }));
                    assert.deepEqual(statements, [
                        { Effect: "Allow", Action: ["s3:ListBucket"], Resource: bucket.state.arn },
                        { Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: `${bucket.state.arn}/*` },
                        { Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: keyArn, Condition: { StringEquals: { "kms:ViaService": `s3.${cfg.region}.amazonaws.com` } } },
                        { Effect: "Allow", Action: ["ssm:GetParameter", "ssm:GetParameters"], Resource: parameters },
                        {
                            Effect: "Allow", Action: ["kms:Decrypt"], Resource: `arn:aws:kms:${cfg.region}:123456789012:key/*`,
                            Condition: { StringEquals: { "kms:ViaService": `ssm.${cfg.region}.amazonaws.com` }, StringLike: { "kms:EncryptionContext:PARAMETER_ARN": parameters } },
                        },
                        { Effect: "Allow", Action: ["sns:Publish"], Resource: only(e, "aws:sns/topic:Topic", "cluster-dag-alerts").state.arn },
                    ], role.name);
                }
            });
        });

        describe("the cluster's Kubernetes provider", () => {
            it("registers every Kubernetes object and Helm release with it; none falls back to a default provider", () => {
                const providers = e.ofType(K8S_PROVIDER);
                assert.equal(providers.length, 1, "one Kubernetes provider: the cluster's");
                const provider = only(e, K8S_PROVIDER, "cluster-k8s");
                const ref = `${K8S_PROVIDER}::${provider.name}::${provider.id}`;
                const objects = e.resources.filter((r) => r.type.startsWith("kubernetes:"));
                // 3 or 4 namespaces, 8 secrets, 3 config maps, a Job, 2 or 3 releases, 3 Flux objects.
                assert.ok(objects.length >= (searching ? 22 : 20), `${objects.length} Kubernetes resources`);
                for (const r of objects) {
                    assert.ok(r.provider !== undefined && r.provider.endsWith(`$${ref}`), `${r.type} ${r.name} uses ${r.provider || "the default provider"}`);
                    assert.doesNotMatch(r.provider!, /::default(_|::)/);
                }
                for (const r of e.ofType(RELEASE)) assert.ok(r.provider!.endsWith(ref));
            });
        });
    });
}
