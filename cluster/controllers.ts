// The platform controllers the AirflowCluster installs with Helm, as pure data: release name,
// namespace, pinned chart and the values that matter. cluster/component.ts passes each to a
// `k8s.helm.v3.Release` (with the cluster's provider) and tests read the same objects directly.
// No Pulumi import: the builders take plain strings; the component resolves Outputs first.

import * as fs from "fs";
import * as path from "path";
import { AWS_LOAD_BALANCER_CONTROLLER_CHART, FLUENT_BIT_CHART, FLUX_CHART, LBC_IAM_POLICY, type ChartPin } from "./chart-versions";

/** What a `k8s.helm.v3.Release` needs, minus the provider. */
export interface HelmReleaseSpec {
    /** Helm release name. Pass it as the Release's `name`: without it Pulumi appends a random suffix. */
    readonly name: string;
    readonly namespace: string;
    readonly chart: string;
    readonly version: string;
    readonly repository: string;
    readonly values: Record<string, unknown>;
}

/** The annotation through which EKS's pod identity webhook gives a pod its IRSA role. */
export const IRSA_ANNOTATION = "eks.amazonaws.com/role-arn";

/**
 * Service accounts that call AWS, each trusted by exactly one IRSA role
 * (CONTRACTS.md: "Service accounts with IRSA roles").
 */
export const SERVICE_ACCOUNTS = {
    loadBalancerController: { namespace: "kube-system", name: "aws-load-balancer-controller" },
    fluentBit: { namespace: "logging", name: "fluent-bit" },
    imageReflector: { namespace: "flux-system", name: "image-reflector-controller" },
} as const;

const release = (pin: ChartPin, name: string, namespace: string, values: Record<string, unknown>): HelmReleaseSpec => ({
    name,
    namespace,
    chart: pin.chart,
    version: pin.version,
    repository: pin.repository,
    values,
});

/**
 * The upstream IAM policy of the pinned controller, as the exact text of the file (the role policy
 * must equal it; tests compare its sha256 with upstream's). Read at program start; no network.
 */
export function loadBalancerControllerPolicyDocument(): string {
    return fs.readFileSync(path.join(__dirname, "..", LBC_IAM_POLICY.path), "utf8");
}

// ---------------------------------------------------------------------------------------------
// AWS Load Balancer Controller
// ---------------------------------------------------------------------------------------------

export interface LoadBalancerControllerArgs {
    readonly clusterName: string;
    readonly region: string;
    readonly vpcId: string;
    /** The controller's IRSA role (trusted for kube-system/aws-load-balancer-controller only). */
    readonly roleArn: string;
    /**
     * The shared backend security group the ALBs carry, Pulumi's (AirflowCluster), not one the
     * controller makes: see below.
     */
    readonly backendSecurityGroupId: string;
    /** Default 1; see below. */
    readonly replicas?: number;
    /** Tags the controller puts on every AWS resource it creates (the ALB, its listeners, target groups, security groups). */
    readonly defaultTags?: Readonly<Record<string, string>>;
}

/**
 * Turns an Ingress of class `alb` into an ALB in the public subnets (the network tags them
 * kubernetes.io/role/elb=1).
 *
 * - Region and VPC are given, so the controller never asks the instance metadata service for them:
 *   it needs no IMDS hop limit of 2 (docs/deploy/installation.md at v3.5.0: "Instead of depending on
 *   IMDSv2, you can specify the AWS Region via the controller flag --aws-region, and the AWS VPC via
 *   --aws-vpc-id"), and the nodes keep hop limit 1.
 * - One replica, not the chart's two. The controller reconciles; it is not in the data path: an ALB
 *   keeps serving while its controller restarts. Two replicas would cost a pod slot and 128 MiB on
 *   every wake-up for a standby that only holds a leader-election lease. The cost of one: for the
 *   seconds a rollout or node drain replaces it, creating or changing an Ingress is refused by its
 *   validating webhook (failurePolicy Fail); Flux retries on its next interval.
 * - The Service mutating webhook is off: it only sets spec.loadBalancerClass on Services of type
 *   LoadBalancer, which this platform does not create (the UI is an Ingress), and with
 *   failurePolicy Fail it would refuse every Service creation while the controller is down, e.g. in
 *   the first minutes after the nodes come back in the evening.
 * - No PodDisruptionBudget (the chart's default {}), so the nightly scale to zero is never held up.
 * - The backend security group is given (--backend-security-group, docs/deploy/security_groups.md):
 *   left to itself the controller creates one (k8s-traffic-<cluster>-<hash>) that no Pulumi resource
 *   knows, which outlives the controller on destroy and then blocks the VPC's deletion
 *   (aws-load-balancer-controller #4526: the controller does not delete it). Given, it is Pulumi's,
 *   deleted in order after the ALB; the controller still adds and removes the rules that admit it
 *   on the nodes' security group (the Ingress's manage-backend-security-group-rules).
 */
export function loadBalancerControllerRelease(args: LoadBalancerControllerArgs): HelmReleaseSpec {
    const sa = SERVICE_ACCOUNTS.loadBalancerController;
    return release(AWS_LOAD_BALANCER_CONTROLLER_CHART, "aws-load-balancer-controller", sa.namespace, {
        clusterName: args.clusterName,
        region: args.region,
        vpcId: args.vpcId,
        replicaCount: args.replicas ?? 1,
        serviceAccount: {
            create: true,
            name: sa.name,
            annotations: { [IRSA_ANNOTATION]: args.roleArn },
        },
        ingressClass: "alb",
        createIngressClassResource: true,
        backendSecurityGroup: args.backendSecurityGroupId,
        enableServiceMutatorWebhook: false,
        // The stack's standard tags on the ALB and the security groups the controller creates (the chart
        // passes them as --default-tags): the budget filters on Stack, and teardown finds them by it.
        ...(args.defaultTags !== undefined && Object.keys(args.defaultTags).length > 0 ? { defaultTags: { ...args.defaultTags } } : {}),
        resources: {
            requests: { cpu: "50m", memory: "128Mi" },
            limits: { memory: "256Mi" },
        },
    });
}

// ---------------------------------------------------------------------------------------------
// Fluent Bit
// ---------------------------------------------------------------------------------------------

/** One section of Fluent Bit's classic configuration: `[NAME]` then `Key Value` lines, in order. */
export interface ClassicSection {
    readonly name: "SERVICE" | "INPUT" | "FILTER" | "OUTPUT";
    readonly entries: readonly (readonly [string, string])[];
}

/** Renders sections as Fluent Bit's classic format (4-space indented `Key Value` lines). */
export function renderClassicConfig(sections: readonly ClassicSection[]): string {
    return sections
        .map((s) => [`[${s.name}]`, ...s.entries.map(([k, v]) => `    ${k} ${v}`)].join("\n"))
        .join("\n\n")
        .concat("\n");
}

/** Where the tail offsets and the filesystem buffer live: a hostPath, so they outlive the pod. */
export const FLUENT_BIT_STATE_DIR = "/var/fluent-bit/state";

export interface FluentBitArgs {
    /** The OpenSearch domain's endpoint (host only, no scheme): the LogStore's domainEndpoint. */
    readonly opensearchHost: string;
    readonly region: string;
    /** The log writer's IRSA role (trusted for logging/fluent-bit only; admitted by the domain policy). */
    readonly roleArn: string;
    /** Disk the container-log queue may fill before the oldest chunks are dropped. Default 1G. */
    readonly bufferLimit?: string;
    /** Index prefix; indices are `<prefix>-YYYY.MM.DD`. Default "kube". */
    readonly indexPrefix?: string;
}

/**
 * The Fluent Bit configuration: tail every container log, enrich with Kubernetes metadata, ship to
 * OpenSearch signed with SigV4, buffer on disk.
 *
 * What happens when OpenSearch is unreachable, and when the buffer is full (Fluent Bit docs,
 * pipeline/buffering.md and administration/backpressure.md; src/flb_input_chunk.c):
 * - Every record is written to a chunk file under storage.path (storage.type filesystem) before it
 *   is sent. A failed flush is retried with exponential backoff capped at scheduler.cap (300 s here),
 *   with no retry limit (Retry_Limit False): a chunk leaves the disk only when OpenSearch has
 *   accepted it, or when it is dropped as below.
 * - The OpenSearch output's queue on disk is bounded by storage.total_limit_size. When a new chunk
 *   would take the queue over that size, Fluent Bit discards the OLDEST chunks queued for that
 *   output (never the new one, and never a chunk whose flush is in flight) until the new one fits.
 *   Logs are therefore lost oldest-first, and only after `bufferLimit` of them has piled up.
 * - That drop is not silent: each dropped chunk's records are added to the Prometheus counter
 *   fluentbit_output_dropped_records_total{name="opensearch-kube"}, and the gauge
 *   fluentbit_output_chunk_available_capacity_percent shows how full the queue is, both on
 *   :2020/api/v2/metrics/prometheus; /api/v1/storage reports chunks up/down (storage.metrics on).
 *   (The log line for it is at debug level, so the counter, not the log, is the signal.)
 * - Tail offsets are kept in a database on the same hostPath, so a restarted Fluent Bit resumes
 *   where it stopped; files that rotate away (kubelet keeps 5 x 10 MiB per container) before they
 *   are read are the other way to lose logs while the pod is down.
 * - The buffer lives on the node's root volume. When the NightlyScheduler scales the node group to
 *   zero, whatever is still queued on a node is lost with the node; on SIGTERM Fluent Bit flushes
 *   for up to `Grace` (20 s) first.
 */
export function fluentBitConfig(args: FluentBitArgs): ClassicSection[] {
    const bufferLimit = args.bufferLimit ?? "1G";
    const indexPrefix = args.indexPrefix ?? "kube";
    const opensearch = (alias: string, match: string, prefix: string, limit: string): ClassicSection => ({
        name: "OUTPUT",
        entries: [
            ["Name", "opensearch"],
            ["Alias", alias],
            ["Match", match],
            ["Host", args.opensearchHost],
            ["Port", "443"],
            ["tls", "On"],
            ["tls.verify", "On"],
            // SigV4 with the credentials of the pod's web identity (IRSA): no role chaining needed.
            ["AWS_Auth", "On"],
            ["AWS_Region", args.region],
            // OpenSearch 2.x has no mapping types.
            ["Suppress_Type_Name", "On"],
            ["Logstash_Format", "On"],
            ["Logstash_Prefix", prefix],
            ["Logstash_DateFormat", "%Y.%m.%d"],
            // Label keys like app.kubernetes.io/name would otherwise clash with an "app" field.
            ["Replace_Dots", "On"],
            // A retried bulk request must not index a record twice: ids are hashes, writes are "create".
            ["Generate_ID", "On"],
            ["Trace_Error", "On"],
            ["Retry_Limit", "False"],
            ["storage.total_limit_size", limit],
        ],
    });
    return [
        {
            name: "SERVICE",
            entries: [
                ["Daemon", "Off"],
                ["Flush", "1"],
                ["Grace", "20"],
                ["Log_Level", "info"],
                ["Parsers_File", "/fluent-bit/etc/parsers.conf"],
                ["HTTP_Server", "On"],
                ["HTTP_Listen", "0.0.0.0"],
                ["HTTP_Port", "2020"],
                ["Health_Check", "On"],
                ["storage.path", `${FLUENT_BIT_STATE_DIR}/buffer/`],
                ["storage.sync", "normal"],
                ["storage.checksum", "off"],
                // 32 chunks of ~2 MB up in memory at most: bounds memory to well under the 256Mi limit.
                ["storage.max_chunks_up", "32"],
                ["storage.backlog.mem_limit", "16M"],
                ["storage.metrics", "On"],
                ["scheduler.cap", "300"],
            ],
        },
        {
            name: "INPUT",
            entries: [
                ["Name", "tail"],
                ["Alias", "containers"],
                ["Tag", "kube.*"],
                ["Path", "/var/log/containers/*.log"],
                ["multiline.parser", "docker, cri"],
                ["DB", `${FLUENT_BIT_STATE_DIR}/tail-containers.db`],
                ["DB.locking", "true"],
                // Nodes are new every evening: read files that have no saved offset from the start.
                ["Read_from_Head", "On"],
                ["Skip_Long_Lines", "On"],
                ["Refresh_Interval", "10"],
                ["Rotate_Wait", "30"],
                ["storage.type", "filesystem"],
                ["storage.pause_on_chunks_overlimit", "off"],
            ],
        },
        {
            name: "INPUT",
            entries: [
                ["Name", "systemd"],
                ["Alias", "kubelet"],
                ["Tag", "host.*"],
                ["Systemd_Filter", "_SYSTEMD_UNIT=kubelet.service"],
                ["DB", `${FLUENT_BIT_STATE_DIR}/systemd.db`],
                ["Read_From_Tail", "On"],
                ["storage.type", "filesystem"],
            ],
        },
        {
            name: "FILTER",
            entries: [
                ["Name", "kubernetes"],
                ["Match", "kube.*"],
                ["Merge_Log", "On"],
                ["Keep_Log", "Off"],
                ["K8S-Logging.Parser", "On"],
                ["K8S-Logging.Exclude", "On"],
            ],
        },
        opensearch("opensearch-kube", "kube.*", indexPrefix, bufferLimit),
        opensearch("opensearch-host", "host.*", `${indexPrefix}-node`, "256M"),
    ];
}

/**
 * Fluent Bit as a DaemonSet on every node. The pod runs as root (the image's default) because it
 * reads root-owned container logs and writes its buffer to a hostPath; that is why the `logging`
 * namespace is labelled pod-security "privileged" (cluster/objects.ts).
 */
export function fluentBitRelease(args: FluentBitArgs): HelmReleaseSpec {
    const sa = SERVICE_ACCOUNTS.fluentBit;
    const [service, ...pipeline] = fluentBitConfig(args);
    const inputs = pipeline.filter((s) => s.name === "INPUT");
    const filters = pipeline.filter((s) => s.name === "FILTER");
    const outputs = pipeline.filter((s) => s.name === "OUTPUT");
    return release(FLUENT_BIT_CHART, "fluent-bit", sa.namespace, {
        kind: "DaemonSet",
        serviceAccount: {
            create: true,
            name: sa.name,
            annotations: { [IRSA_ANNOTATION]: args.roleArn },
        },
        // Every node, whatever its taints: a node whose logs are not shipped is a blind spot.
        tolerations: [{ operator: "Exists" }],
        // Scheduled onto a full node ahead of ordinary pods and evicted last under memory pressure.
        priorityClassName: "system-node-critical",
        terminationGracePeriodSeconds: 30,
        resources: {
            requests: { cpu: "50m", memory: "96Mi" },
            limits: { memory: "256Mi" },
        },
        // The chart's test hook pulls busybox:latest from Docker Hub; not wanted in production.
        testFramework: { enabled: false },
        config: {
            service: renderClassicConfig([service]),
            inputs: renderClassicConfig(inputs),
            filters: renderClassicConfig(filters),
            outputs: renderClassicConfig(outputs),
            customParsers: "",
        },
        // Replaces the chart's defaults (which also mount /var/lib/docker/containers, absent on
        // containerd nodes): the logs read-only, the state directory read-write.
        daemonSetVolumes: [
            { name: "varlog", hostPath: { path: "/var/log" } },
            { name: "state", hostPath: { path: FLUENT_BIT_STATE_DIR, type: "DirectoryOrCreate" } },
            { name: "etcmachineid", hostPath: { path: "/etc/machine-id", type: "File" } },
        ],
        daemonSetVolumeMounts: [
            { name: "varlog", mountPath: "/var/log", readOnly: true },
            { name: "state", mountPath: FLUENT_BIT_STATE_DIR },
            { name: "etcmachineid", mountPath: "/etc/machine-id", readOnly: true },
        ],
    });
}

// ---------------------------------------------------------------------------------------------
// Flux
// ---------------------------------------------------------------------------------------------

export interface FluxArgs {
    /** The image reflector's IRSA role (ECR read of the Airflow repository). */
    readonly imageReflectorRoleArn: string;
}

/** The six Flux controllers this platform uses, by their flux2 chart values key. */
export const FLUX_CONTROLLERS = {
    sourceController: "source-controller",
    kustomizeController: "kustomize-controller",
    helmController: "helm-controller",
    notificationController: "notification-controller",
    imageReflectionController: "image-reflector-controller",
    imageAutomationController: "image-automation-controller",
} as const;

const fluxResources = (cpu: string, memory: string, limit: string) => ({ requests: { cpu, memory }, limits: { memory: limit } });

/**
 * Flux 2.8.5 with all six controllers.
 *
 * CRDs: the chart ships them as templates (installCRDs: true), so `helm upgrade` also upgrades them,
 * which a crds/ directory would not. The price: uninstalling the release would delete the CRDs and
 * with them every GitRepository, Kustomization and HelmRelease (Kubernetes deletes custom resources
 * with their CRD), taking Airflow down through the HelmRelease's uninstall. So the CRDs carry
 * `helm.sh/resource-policy: keep`: Helm leaves them on uninstall. The chart's optional pre-upgrade
 * migration job (crds.migration) stays off: every object this platform writes already uses the v1/v2
 * APIs.
 *
 * The chart's pre-install hook runs `flux check --pre` in a Job (Kubernetes >= 1.33.0); it needs a
 * node, so the release must be created after the node group.
 */
export function fluxRelease(args: FluxArgs): HelmReleaseSpec {
    return release(FLUX_CHART, "flux2", "flux-system", {
        installCRDs: true,
        crds: { annotations: { "helm.sh/resource-policy": "keep" } },
        watchAllNamespaces: true,
        sourceController: { create: true, resources: fluxResources("50m", "128Mi", "512Mi") },
        kustomizeController: { create: true, resources: fluxResources("50m", "128Mi", "512Mi") },
        // Renders the Airflow chart: the largest of them.
        helmController: { create: true, resources: fluxResources("50m", "192Mi", "1Gi") },
        notificationController: { create: true, resources: fluxResources("20m", "64Mi", "256Mi") },
        imageReflectionController: {
            create: true,
            resources: fluxResources("20m", "64Mi", "256Mi"),
            serviceAccount: {
                create: true,
                annotations: { [IRSA_ANNOTATION]: args.imageReflectorRoleArn },
            },
        },
        imageAutomationController: { create: true, resources: fluxResources("20m", "64Mi", "256Mi") },
        // Flux 2.8's optional source-watcher is not used by this platform.
        sourceWatcher: { create: false },
    });
}
