// The Kubernetes parts of the AirflowCluster, tested directly: pinned versions, the Helm values that
// matter, the upstream IAM policy's digest, the capacity maths, and the hand-written objects against
// the published Kubernetes schemas (kubernetes-models).

import { strict as assert } from "assert";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import {
    CHARTS,
    EKS_ADDON_VERSIONS,
    KUBERNETES_VERSION,
    LBC_IAM_POLICY,
} from "./chart-versions";
import { CLUSTER_SUPPORT_TYPE, EKS_HOURLY_USD, supportNotice } from "./eks-versions";
import { readPriceFile } from "../cost/cost";
import {
    FLUENT_BIT_STATE_DIR,
    FLUX_CONTROLLERS,
    IRSA_ANNOTATION,
    fluentBitConfig,
    fluentBitRelease,
    fluxRelease,
    loadBalancerControllerPolicyDocument,
    loadBalancerControllerRelease,
    renderClassicConfig,
    type HelmReleaseSpec,
} from "./controllers";
import { addonConfigurationValues, coreDnsConfiguration } from "./coredns";
import { configMap, platformNamespaces, platformSettingsConfigMap } from "./objects";
import { AIRFLOW_RESOURCES, PROD_PARALLELISM, STAGING_PARALLELISM, airflowValues } from "../airflow/values";
import { schedulerReplicasFor } from "../airflow/platform-settings";
import {
    airflowSizesFor,
    budgetTable,
    checkBudget,
    kubeReservedCpuMillicores,
    kubeReservedMemoryMiB,
    maxPods,
    nodeAllocatable,
    platformWorkloads,
} from "./capacity";
import { kubernetesModels } from "../tests/schemas";

const ROOT = path.join(__dirname, "..");
const ROLE = (n: string) => `arn:aws:iam::123456789012:role/${n}`;
const HOST = "vpc-data-platform-prod-logs-abc123.us-east-1.es.amazonaws.com";

/**
 * An independent reader of Fluent Bit's classic format (not the renderer run backwards): `[SECTION]`
 * headers, then `Key Value` lines indented under them; blank lines and `#` comments skipped. Anything
 * else (a key before any section, an indented line with no value, an unknown section) throws.
 */
function parseClassic(text: string): { name: string; entries: [string, string][] }[] {
    const sections: { name: string; entries: [string, string][] }[] = [];
    for (const [i, raw] of text.split("\n").entries()) {
        if (raw.trim() === "" || raw.trim().startsWith("#")) continue;
        const header = /^\[([A-Z_]+)\]$/.exec(raw);
        if (header) {
            if (!["SERVICE", "INPUT", "FILTER", "OUTPUT", "PARSER", "MULTILINE_PARSER"].includes(header[1])) throw new Error(`line ${i + 1}: unknown section ${header[1]}`);
            sections.push({ name: header[1], entries: [] });
            continue;
        }
        const kv = /^\s+(\S+)\s+(\S.*)$/.exec(raw);
        if (!kv || sections.length === 0) throw new Error(`line ${i + 1}: not a "Key Value" line inside a section: ${JSON.stringify(raw)}`);
        sections[sections.length - 1].entries.push([kv[1], kv[2].trimEnd()]);
    }
    return sections;
}

/** A section's entries as a case-insensitive lookup (Fluent Bit keys are case-insensitive). */
function keys(section: { entries: [string, string][] }): Map<string, string> {
    return new Map(section.entries.map(([k, v]) => [k.toLowerCase(), v]));
}

/** Memory quantity (Mi/Gi) to MiB, for comparing requests with the budget. */
function mib(quantity: string): number {
    const m = /^(\d+)(Mi|Gi)$/.exec(quantity);
    assert.ok(m, `unexpected quantity ${quantity}`);
    return Number(m[1]) * (m[2] === "Gi" ? 1024 : 1);
}

function values(spec: HelmReleaseSpec): any {
    return spec.values as any;
}

describe("k8s: pinned versions", () => {
    it("pins each chart to the version and repository the schema README names", () => {
        assert.deepEqual(
            Object.fromEntries(Object.entries(CHARTS).map(([k, c]) => [k, [c.chart, c.version, c.repository, c.appVersion]])),
            {
                awsLoadBalancerController: ["aws-load-balancer-controller", "3.5.0", "https://aws.github.io/eks-charts", "v3.5.0"],
                fluentBit: ["fluent-bit", "0.58.1", "https://fluent.github.io/helm-charts", "5.1.1"],
                flux: ["flux2", "2.18.3", "https://fluxcd-community.github.io/helm-charts", "2.8.5"],
            },
        );
    });
    it("every release builder uses its pinned chart, exactly", () => {
        const releases = [
            [loadBalancerControllerRelease({ clusterName: "c", region: "us-east-1", vpcId: "vpc-1", roleArn: ROLE("lbc"), backendSecurityGroupId: "sg-0backend" }), CHARTS.awsLoadBalancerController],
            [fluentBitRelease({ opensearchHost: HOST, region: "us-east-1", roleArn: ROLE("logs") }), CHARTS.fluentBit],
            [fluxRelease({ imageReflectorRoleArn: ROLE("reflector") }), CHARTS.flux],
        ] as const;
        for (const [spec, pin] of releases) {
            assert.deepEqual([spec.chart, spec.version, spec.repository], [pin.chart, pin.version, pin.repository]);
            assert.match(spec.version, /^\d+\.\d+\.\d+$/, "an exact version, not a range");
        }
        assert.deepEqual(releases.map(([s]) => `${s.namespace}/${s.name}`), ["kube-system/aws-load-balancer-controller", "logging/fluent-bit", "flux-system/flux2"]);
    });
    it("runs Kubernetes 1.36; a version's end of standard support warns 90 days ahead and after, and refuses only under a policy that bills extended support", () => {
        const on = (version: string, day: string, policy?: "STANDARD" | "EXTENDED") => supportNotice(version, new Date(`${day}T12:00:00Z`), policy);
        assert.equal(KUBERNETES_VERSION, "1.36");
        assert.equal(CLUSTER_SUPPORT_TYPE, "STANDARD");
        assert.deepEqual(on(KUBERNETES_VERSION, "2026-11-23"), { level: "ok" });
        assert.deepEqual(on(KUBERNETES_VERSION, "2027-05-04"), { level: "ok" }, "90 days before");
        const ahead = on(KUBERNETES_VERSION, "2027-05-05");
        assert.equal(ahead.level, "warn");
        assert.match((ahead as { message: string }).message, /leaves EKS standard support on 2027-08-02 \(in 89 days\).*upgrade to the next version once this program knows it/);
        assert.match((on("1.35", "2027-03-01") as { message: string }).message, /in 26 days.*upgrade to 1\.36/);
        // Past it: EKS upgrades the cluster by itself under STANDARD; a warning that says what to do, never a refusal.
        const past = on(KUBERNETES_VERSION, "2027-08-03");
        assert.equal(past.level, "warn");
        assert.match((past as { message: string }).message, /left EKS standard support on 2027-08-02: under the cluster's STANDARD upgrade policy EKS upgrades the control plane.*\$365 a month avoided.*no version this program knows is in standard support any more/);
        const billed = on(KUBERNETES_VERSION, "2027-08-03", "EXTENDED");
        assert.equal(billed.level, "error");
        assert.match((billed as { message: string }).message, /extended support, billed \$0\.60 an hour instead of \$0\.10 \(about \$365 a month more\)/);
        assert.equal(on("1.33", "2026-11-23").level, "error");
        // The prices named are the price file's.
        const prices = readPriceFile();
        assert.deepEqual([EKS_HOURLY_USD.standard, EKS_HOURLY_USD.extended], [prices.prices["eks.cluster.standard"].usd, prices.prices["eks.cluster.extended"].usd]);
    });
    it("pins managed add-on builds of the form EKS uses, kube-proxy matching the cluster's minor version", () => {
        for (const [name, version] of Object.entries(EKS_ADDON_VERSIONS)) assert.match(version, /^v\d+\.\d+\.\d+-eksbuild\.\d+$/, name);
        assert.ok(EKS_ADDON_VERSIONS["kube-proxy"].startsWith(`v${KUBERNETES_VERSION}.`), "kube-proxy follows the Kubernetes minor");
    });
});

describe("k8s: AWS Load Balancer Controller", () => {
    const spec = loadBalancerControllerRelease({ clusterName: "data-platform-prod", region: "us-east-1", vpcId: "vpc-0abc", roleArn: ROLE("lbc"), backendSecurityGroupId: "sg-0backend" });
    const v = values(spec);

    it("keeps the upstream IAM policy byte-identical: size and sha256 of tag v3.5.0", () => {
        const bytes = fs.readFileSync(path.join(ROOT, LBC_IAM_POLICY.path));
        assert.equal(bytes.length, 8955);
        assert.equal(createHash("sha256").update(bytes).digest("hex"), "16f232c9d9f79366fe949c4550ad517a202380058a9e48d45a4e215044a20a6a");
        // What the component attaches is that text, unchanged.
        assert.equal(createHash("sha256").update(loadBalancerControllerPolicyDocument(), "utf8").digest("hex"), LBC_IAM_POLICY.sha256);
    });
    it("the policy is a valid document with no '*' action", () => {
        const doc = JSON.parse(loadBalancerControllerPolicyDocument());
        assert.equal(doc.Version, "2012-10-17");
        const actions = doc.Statement.flatMap((s: { Action: string | string[] }) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
        assert.ok(actions.length > 50);
        assert.deepEqual(actions.filter((a: string) => a === "*" || a.endsWith(":*")), []);
    });
    it("uses the backend security group it is given and creates none of its own", () => {
        assert.equal(v.backendSecurityGroup, "sg-0backend");
        assert.notEqual(v.enableBackendSecurityGroup, false, "the shared backend group stays on: it is what the nodes admit");
    });
    it("is told its cluster, region and VPC, so it needs no instance metadata", () => {
        assert.equal(v.clusterName, "data-platform-prod");
        assert.equal(v.region, "us-east-1");
        assert.equal(v.vpcId, "vpc-0abc");
    });
    it("runs as kube-system/aws-load-balancer-controller with its IRSA role", () => {
        assert.deepEqual(v.serviceAccount, { create: true, name: "aws-load-balancer-controller", annotations: { [IRSA_ANNOTATION]: ROLE("lbc") } });
    });
    it("one replica with requests, class alb, no Service webhook and no PDB to hold up the nightly drain", () => {
        assert.equal(v.replicaCount, 1);
        assert.equal(v.ingressClass, "alb");
        assert.equal(v.enableServiceMutatorWebhook, false);
        assert.equal(v.podDisruptionBudget, undefined);
        assert.deepEqual(v.resources.requests, { cpu: "50m", memory: "128Mi" });
        assert.equal(loadBalancerControllerRelease({ clusterName: "c", region: "r", vpcId: "v", roleArn: "a", backendSecurityGroupId: "sg-0backend", replicas: 2 }).values.replicaCount, 2);
    });
});

describe("k8s: Fluent Bit", () => {
    const spec = fluentBitRelease({ opensearchHost: HOST, region: "us-east-1", roleArn: ROLE("log-writer") });
    const v = values(spec);
    // What the chart writes into fluent-bit.conf: service, inputs, filters, outputs, in that order
    // (fluent/helm-charts fluent-bit-0.58.1 templates/configmap.yaml), each through `tpl`.
    const conf = [v.config.service, v.config.inputs, v.config.filters, v.config.outputs].join("\n");
    const sections = parseClassic(conf);
    const byName = (n: string) => sections.filter((s) => s.name === n).map(keys);
    const [service] = byName("SERVICE");
    const outputs = byName("OUTPUT");
    const kube = outputs.find((o) => o.get("match") === "kube.*") ?? new Map<string, string>();

    it("the rendered configuration parses as sections of Key Value lines, and Helm's tpl leaves it alone", () => {
        assert.deepEqual(sections.map((s) => s.name), ["SERVICE", "INPUT", "INPUT", "FILTER", "OUTPUT", "OUTPUT"]);
        assert.ok(!conf.includes("{{"), "no Go template markers: the chart passes the config through tpl");
        // The renderer is lossless: parsing what it wrote gives back every section and entry.
        const structured = fluentBitConfig({ opensearchHost: HOST, region: "us-east-1", roleArn: ROLE("log-writer") });
        assert.deepEqual(parseClassic(renderClassicConfig(structured)), structured.map((s) => ({ name: s.name, entries: s.entries.map(([k, val]) => [k, val]) })));
        assert.throws(() => parseClassic("Name tail\n"), /not a "Key Value" line/);
    });
    it("ships container logs to the domain over TLS on 443, signed with SigV4 in the right region", () => {
        assert.ok(kube.size > 0, "an output for kube.*");
        assert.equal(kube.get("name"), "opensearch");
        assert.equal(kube.get("host"), HOST);
        assert.equal(kube.get("port"), "443");
        assert.equal(kube.get("tls"), "On");
        assert.equal(kube.get("tls.verify"), "On");
        assert.equal(kube.get("aws_auth"), "On");
        assert.equal(kube.get("aws_region"), "us-east-1");
        assert.equal(kube.get("suppress_type_name"), "On", "OpenSearch 2.x has no mapping types");
        assert.equal(kube.get("logstash_format"), "On");
        assert.equal(kube.get("logstash_prefix"), "kube");
        assert.ok(!kube.has("aws_role_arn"), "the pod's own IRSA credentials sign; no second role to assume");
        for (const o of outputs) assert.equal(o.get("aws_auth"), "On");
    });
    it("buffers every input to disk on a hostPath and bounds each output's queue; retries without limit", () => {
        assert.equal(service.get("storage.path"), `${FLUENT_BIT_STATE_DIR}/buffer/`);
        assert.equal(service.get("storage.metrics"), "On");
        for (const input of byName("INPUT")) {
            assert.equal(input.get("storage.type"), "filesystem", input.get("name"));
            assert.ok(input.get("db")?.startsWith(`${FLUENT_BIT_STATE_DIR}/`), "offsets survive a restart");
        }
        for (const o of outputs) {
            assert.match(o.get("storage.total_limit_size") ?? "", /^\d+[MG]$/);
            assert.equal(o.get("retry_limit"), "False");
        }
        assert.equal(kube.get("storage.total_limit_size"), "1G");
        const volume = v.daemonSetVolumes.find((x: any) => x.hostPath.path === FLUENT_BIT_STATE_DIR);
        assert.equal(volume.hostPath.type, "DirectoryOrCreate");
        const mount = v.daemonSetVolumeMounts.find((m: any) => m.name === volume.name);
        assert.equal(mount.mountPath, FLUENT_BIT_STATE_DIR);
        assert.notEqual(mount.readOnly, true);
        assert.equal(v.daemonSetVolumeMounts.find((m: any) => m.mountPath === "/var/log").readOnly, true);
    });
    it("enriches container logs with Kubernetes metadata", () => {
        const [filter] = byName("FILTER");
        assert.equal(filter.get("name"), "kubernetes");
        assert.equal(filter.get("match"), "kube.*");
        const [tail] = byName("INPUT");
        assert.equal(tail.get("path"), "/var/log/containers/*.log");
    });
    it("a DaemonSet on every node as logging/fluent-bit with the log writer's role, sized", () => {
        assert.equal(v.kind, "DaemonSet");
        assert.deepEqual(v.serviceAccount, { create: true, name: "fluent-bit", annotations: { [IRSA_ANNOTATION]: ROLE("log-writer") } });
        assert.deepEqual(v.tolerations, [{ operator: "Exists" }]);
        assert.deepEqual(v.resources, { requests: { cpu: "50m", memory: "96Mi" }, limits: { memory: "256Mi" } });
        assert.equal(spec.namespace, "logging");
    });
});

describe("k8s: Flux", () => {
    const v = values(fluxRelease({ imageReflectorRoleArn: ROLE("image-reflector") }));

    it("enables the six controllers, each with requests and a memory limit", () => {
        for (const key of Object.keys(FLUX_CONTROLLERS)) {
            assert.equal(v[key].create, true, key);
            assert.match(v[key].resources.requests.memory, /^\d+Mi$/, key);
            assert.ok(v[key].resources.limits.memory, key);
        }
        assert.deepEqual(Object.values(FLUX_CONTROLLERS).sort(), [
            "helm-controller", "image-automation-controller", "image-reflector-controller",
            "kustomize-controller", "notification-controller", "source-controller",
        ]);
        assert.equal(v.sourceWatcher.create, false);
    });
    it("annotates the image reflector's service account with its IRSA role, and no other", () => {
        assert.deepEqual(v.imageReflectionController.serviceAccount.annotations, { [IRSA_ANNOTATION]: ROLE("image-reflector") });
        for (const key of Object.keys(FLUX_CONTROLLERS).filter((k) => k !== "imageReflectionController")) {
            assert.equal(v[key].serviceAccount, undefined, `${key} calls no AWS API`);
        }
    });
    it("installs the CRDs and keeps them if the release is ever uninstalled", () => {
        assert.equal(v.installCRDs, true);
        assert.deepEqual(v.crds.annotations, { "helm.sh/resource-policy": "keep" });
    });
});

describe("k8s: managed add-on configuration", () => {
    it("CoreDNS: two replicas, no PodDisruptionBudget to hold up the nightly scale to zero", () => {
        const json = JSON.parse(addonConfigurationValues().coredns) as Record<string, any>;
        assert.equal(json.tolerations, undefined, "the add-on's default tolerations are kept");
        assert.equal(json.autoScaling, undefined);
        assert.equal(json.replicaCount, 2);
        assert.deepEqual(json.podDisruptionBudget, { enabled: false });
        assert.deepEqual(json, coreDnsConfiguration());
    });
    it("VPC CNI: prefix delegation explicitly off, network policies enforced", () => {
        assert.deepEqual(JSON.parse(addonConfigurationValues()["vpc-cni"]), { env: { ENABLE_PREFIX_DELEGATION: "false" }, enableNetworkPolicy: "true" });
    });
});

describe("capacity: pods, memory and CPU per node", () => {
    it("t3.medium takes 17 pods: 3 ENIs x (6 - 1) + 2; 110 with prefix delegation (capped)", () => {
        assert.equal(maxPods("t3.medium", false), 3 * (6 - 1) + 2);
        assert.equal(maxPods("t3.medium", true), 110, "3 x 5 x 16 + 2 = 242, capped at 110 below 30 vCPUs");
        assert.equal(maxPods("t3.small", false), 3 * (4 - 1) + 2);
        assert.equal(maxPods("m5.large", false), 29, "the EKS user guide's example: m5.large -> 29");
        assert.equal(maxPods("m5.8xlarge", true), 250, "above 30 vCPUs the cap is 250");
        assert.throws(() => maxPods("t3.huge", false), /no ENI limits/);
    });
    it("reserves what the EKS AMI reserves: 255 + 11 MiB per max pod, 100 MiB eviction, CPU by core", () => {
        assert.equal(kubeReservedMemoryMiB(17), 442);
        assert.equal(kubeReservedMemoryMiB(110), 1465);
        assert.equal(kubeReservedCpuMillicores(2), 70, "6% of core 1 + 1% of core 2");
        assert.equal(kubeReservedCpuMillicores(4), 80, "+ 0.5% of cores 3 and 4");
        assert.equal(kubeReservedCpuMillicores(8), 90, "+ 0.25% above 4");
        const n = nodeAllocatable("t3.medium", false);
        // 4 GiB x 0.93 visible = 3809 MiB; - 442 kube-reserved - 100 eviction = 3267 MiB for pods.
        assert.deepEqual([n.capacityMemoryMiB, n.memoryMiB, n.cpuMillicores, n.maxPods], [3809, 3267, 1930, 17]);
    });
});

describe("capacity: the platform's budget", () => {
    it("prod fits on four t3.medium: 39 pods of 68, memory binds long before the pod limit", () => {
        const r = checkBudget("t3.medium", 4, { airflow: airflowSizesFor("prod") });
        assert.deepEqual(r.reasons, []);
        assert.equal(r.fits, true);
        assert.deepEqual(r.pods, { used: 39, capacity: 68 });
        // 1740 MiB system + 3968 MiB Airflow + 512 MiB migration job + 12 x 512 MiB tasks.
        assert.deepEqual(r.memory, { usedMiB: 12364, capacityMiB: 13068 });
        assert.deepEqual(checkBudget("t3.medium", 4), r, "prod is the default");
    });
    it("does not fit on one t3.small, and says why", () => {
        const r = checkBudget("t3.small", 1);
        assert.equal(r.fits, false);
        assert.ok(r.reasons.some((x) => /pods exceed 1 x 11 max pods/.test(x)), r.reasons.join("; "));
        assert.ok(r.reasons.some((x) => /MiB of requests exceed/.test(x)), r.reasons.join("; "));
    });
    it("staging's sizes (1 scheduler, 4 tasks) do not fit on two t3.medium; three do", () => {
        const two = checkBudget("t3.medium", 2, { airflow: airflowSizesFor("staging") });
        assert.equal(two.fits, false);
        assert.deepEqual(two.memory, { usedMiB: 7020, capacityMiB: 6534 });
        assert.equal(checkBudget("t3.medium", 3, { airflow: airflowSizesFor("staging") }).fits, true);
        const fewerTasks = airflowSizesFor("staging");
        assert.equal(checkBudget("t3.medium", 2, { airflow: { ...fewerTasks, taskPod: { ...fewerTasks.taskPod, replicas: 0 } } }).spareTaskPods, 2, "two nodes leave room for 2 tasks");
    });
    it("packs pods onto real nodes: memory that fits in the sum can still not fit on any one node", () => {
        // Two t3.medium have 6534 MiB; one pod of 3300 MiB fits in the sum but on neither node.
        const r = checkBudget("t3.medium", 2, {
            workloads: [{ name: "big", namespace: "x", perNode: false, replicas: 1, memoryMiB: 3300, cpuMillicores: 10, basis: "test", part: "airflow" }],
        });
        assert.equal(r.fits, false);
        assert.match(r.reasons[0], /find no t3.medium with room among 2.*big/);
    });
    it("prefix delegation would not help: 110 max pods reserve 1 GiB more per node, and prod no longer fits", () => {
        const withPd = checkBudget("t3.medium", 4, { prefixDelegation: true });
        assert.equal(withPd.node.maxPods, 110);
        assert.equal(withPd.node.memoryMiB, 3809 - 1465 - 100);
        assert.equal(withPd.fits, false);
    });
    it("counts the requests the builders set, so the budget cannot drift from the values", () => {
        const byName = new Map(platformWorkloads().map((w) => [w.name, w]));
        const fb = values(fluentBitRelease({ opensearchHost: HOST, region: "r", roleArn: "a" }));
        assert.equal(byName.get("fluent-bit")?.memoryMiB, mib(fb.resources.requests.memory));
        const lbc = values(loadBalancerControllerRelease({ clusterName: "c", region: "r", vpcId: "v", roleArn: "a", backendSecurityGroupId: "sg-0backend" }));
        assert.equal(byName.get("aws-load-balancer-controller")?.memoryMiB, mib(lbc.resources.requests.memory));
        assert.equal(byName.get("aws-load-balancer-controller")?.replicas, lbc.replicaCount);
        const dns = coreDnsConfiguration();
        assert.equal(byName.get("coredns")?.memoryMiB, mib(dns.resources.requests.memory));
        assert.equal(byName.get("coredns")?.replicas, dns.replicaCount);
        const flux = values(fluxRelease({ imageReflectorRoleArn: "a" }));
        for (const [key, controller] of Object.entries(FLUX_CONTROLLERS)) {
            assert.equal(byName.get(`flux ${controller}`)?.memoryMiB, mib(flux[key].resources.requests.memory), controller);
        }
    });
    it("counts Airflow's pods exactly as airflow/values.ts sizes them", () => {
        const r = AIRFLOW_RESOURCES;
        const groomer = mib(r.logGroomer.requests.memory);
        for (const env of ["prod", "staging"] as const) {
            const a = airflowSizesFor(env);
            assert.equal(a.scheduler.memoryMiB, mib(r.scheduler.requests.memory) + groomer);
            assert.equal(a.scheduler.replicas, schedulerReplicasFor(env).value);
            assert.equal(a.apiServer.memoryMiB, mib(r.apiServer.requests.memory));
            assert.equal(a.dagProcessor.memoryMiB, mib(r.dagProcessor.requests.memory) + groomer);
            assert.equal(a.triggerer.memoryMiB, mib(r.triggerer.requests.memory) + groomer);
            assert.equal(a.migrationJob.memoryMiB, mib(r.migrateJob.requests.memory));
            assert.equal(a.taskPod.memoryMiB, mib(r.worker.requests.memory));
            assert.equal(a.taskPod.replicas, env === "prod" ? PROD_PARALLELISM : STAGING_PARALLELISM);
        }
        const values = airflowValues() as any;
        assert.notEqual(values.statsd?.enabled, true, "statsd is not in the budget");
        assert.notEqual(values.pgbouncer?.enabled, true, "PgBouncer is not in the budget");
    });
    it("renders the README table with a totals row", () => {
        const table = budgetTable("t3.medium", 4);
        assert.match(table, /\| \*\*Total\*\* .*\*\*39 of 68\*\*.*\*\*12364 of 13068\*\*/);
        assert.equal(table.split("\n").length, 2 + platformWorkloads().length + 1);
    });
});

describe("k8s: hand-written objects against the Kubernetes schemas", () => {
    let models: Record<string, new (o: unknown) => { validate(): void }>;
    before(async () => {
        models = await kubernetesModels("v1");
    });

    it("the platform's namespaces validate and carry their pod-security levels", () => {
        const ns = platformNamespaces();
        for (const manifest of Object.values(ns)) new models.Namespace(manifest).validate();
        const enforce = (m: { metadata: { labels: Readonly<Record<string, string>> } }) => m.metadata.labels["pod-security.kubernetes.io/enforce"];
        assert.deepEqual([ns.logging, ns.fluxSystem, ns.airflow].map((m) => [m.metadata.name, enforce(m)]), [
            ["logging", "privileged"],
            ["flux-system", "restricted"],
            ["airflow", "baseline"],
        ]);
        assert.equal(ns.airflow.metadata.labels["pod-security.kubernetes.io/warn"], "restricted");
    });
    it("the namespaces match where the releases install and the service accounts live", () => {
        const names = Object.values(platformNamespaces()).map((n) => n.metadata.name);
        assert.ok(names.includes(fluentBitRelease({ opensearchHost: HOST, region: "r", roleArn: "a" }).namespace));
        assert.ok(names.includes(fluxRelease({ imageReflectorRoleArn: "a" }).namespace));
    });
    it("platform-settings is a valid ConfigMap in flux-system; bad keys and values are refused", () => {
        const cm = platformSettingsConfigMap({ ENVIRONMENT: "prod", AWS_REGION: "us-east-1", UI_INGRESS_ENABLED: "true" });
        new models.ConfigMap(cm).validate();
        assert.deepEqual([cm.metadata.namespace, cm.metadata.name], ["flux-system", "platform-settings"]);
        assert.throws(() => platformSettingsConfigMap({ "not-a-var": "x" }), /not a Flux substitution variable/);
        assert.throws(() => configMap({ namespace: "a", name: "b", data: { k: 1 as unknown as string } }), /not a string/);
        // The schema check itself bites: a number where Kubernetes wants a string is rejected.
        assert.throws(() => new models.ConfigMap({ metadata: { name: "x" }, data: { k: 1 } }).validate(), /must be string/);
    });
});
