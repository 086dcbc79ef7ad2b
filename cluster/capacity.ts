// The cluster's pod, memory and CPU budget: how many pods a node takes, what the kubelet leaves for
// pods, and whether everything this platform runs (the system pods and controllers,
// Airflow, and the task pods of a nightly run) fits on `nodeCount` nodes of a type. Pure: the config
// rule "node type too small for the pod budget" and the table in docs/architecture.md both come from here.
//
// Sources:
// - ENIs and IPv4 addresses per ENI: awslabs/amazon-eks-ami nodeadm/internal/kubelet/instance-info.jsonl
//   (commit 81fec2e8, 2026-07-23), the table the EKS AMI itself computes max pods from.
// - Max pods: nodeadm/internal/kubelet/eni_max_pods.go `ENIs * (IPv4 per ENI - 1) + 2`; with prefix
//   delegation the EKS max-pods calculator's `ENIs * ((IPv4 per ENI - 1) * 16) + 2`; both capped at 110
//   below 30 vCPUs and 250 above (templates/al2/runtime/max-pods-calculator.sh before its removal in
//   8e751826; the EKS user guide, "Amazon EKS recommended maximum Pods": managed node groups enforce
//   the same caps and compute max pods themselves when the launch template names no AMI).
// - Reserved memory: nodeadm/internal/kubelet/config.go `getMemoryMebibytesToReserve = 11 * maxPods + 255`
//   (kube-reserved) and `evictionHard memory.available: 100Mi`; reserved CPU: `getCPUMillicoresToReserve`
//   (6% of the first core, 1% of the second, 0.5% of cores 3-4, 0.25% above).

import { lookupInstanceType, type InstanceType } from "../core/instance-types";

/** [ENIs, IPv4 addresses per ENI] for every type core/instance-types.ts knows (EKS AMI instance-info.jsonl). */
export const ENI_LIMITS: Readonly<Record<string, readonly [number, number]>> = {
    "t3.nano": [2, 2], "t3.micro": [2, 2], "t3.small": [3, 4], "t3.medium": [3, 6], "t3.large": [3, 12], "t3.xlarge": [4, 15], "t3.2xlarge": [4, 15],
    "t3a.nano": [2, 2], "t3a.micro": [2, 2], "t3a.small": [2, 4], "t3a.medium": [3, 6], "t3a.large": [3, 12], "t3a.xlarge": [4, 15], "t3a.2xlarge": [4, 15],
    "t4g.nano": [2, 2], "t4g.micro": [2, 2], "t4g.small": [3, 4], "t4g.medium": [3, 6], "t4g.large": [3, 12], "t4g.xlarge": [4, 15], "t4g.2xlarge": [4, 15],
    "m5.large": [3, 10], "m5.xlarge": [4, 15], "m5.2xlarge": [4, 15], "m5.4xlarge": [8, 30], "m5.8xlarge": [8, 30],
    "m6i.large": [3, 10], "m6i.xlarge": [4, 15], "m6i.2xlarge": [4, 15], "m6i.4xlarge": [8, 30], "m6i.8xlarge": [8, 30],
    "m7i.large": [3, 10], "m7i.xlarge": [4, 15], "m7i.2xlarge": [4, 15], "m7i.4xlarge": [8, 30], "m7i.8xlarge": [8, 30],
    "m6g.medium": [2, 4], "m6g.large": [3, 10], "m6g.xlarge": [4, 15], "m6g.2xlarge": [4, 15], "m6g.4xlarge": [8, 30], "m6g.8xlarge": [8, 30],
    "m7g.medium": [2, 4], "m7g.large": [3, 10], "m7g.xlarge": [4, 15], "m7g.2xlarge": [4, 15], "m7g.4xlarge": [8, 30], "m7g.8xlarge": [8, 30],
};

/** IPv4 addresses in a /28 prefix, the unit prefix delegation assigns. */
const IPS_PER_PREFIX = 16;

/**
 * Share of an instance's nominal memory the kernel reports to the kubelet as capacity (firmware,
 * kernel and crash-kernel reservations take the rest). Not published by AWS; this is a conservative
 * floor from one observation: an AL2023 t4g.small (2 GiB nominal, 11 max pods) reports 1437 MiB
 * allocatable (bottlerocket-os/bottlerocket issue #4472), i.e. 1437 + 11*11+255 + 100 = 1913 MiB
 * capacity, 93.4% of 2048. 0.93 errs on the small side.
 */
export const OS_VISIBLE_MEMORY_FRACTION = 0.93;
/** kubelet's hard eviction threshold on the EKS AMI (evictionHard memory.available). */
export const EVICTION_HARD_MIB = 100;

function instance(instanceType: string): InstanceType {
    const t = lookupInstanceType(instanceType);
    if (typeof t === "string") throw new Error(`unknown instance type ${instanceType}: ${t}`);
    return t;
}

/** Pods one node of this type takes with the VPC CNI (what EKS sets as the kubelet's maxPods). */
export function maxPods(instanceType: string, prefixDelegation: boolean): number {
    const limits = ENI_LIMITS[instanceType];
    if (!limits) throw new Error(`no ENI limits known for ${instanceType}`);
    const [enis, ipsPerEni] = limits;
    const ceiling = instance(instanceType).vcpu > 30 ? 250 : 110;
    const byAddresses = prefixDelegation ? enis * ((ipsPerEni - 1) * IPS_PER_PREFIX) + 2 : enis * (ipsPerEni - 1) + 2;
    return Math.min(ceiling, byAddresses);
}

/** kube-reserved memory the EKS AMI sets for a node with this max pods. */
export function kubeReservedMemoryMiB(maxPodsPerNode: number): number {
    return 11 * maxPodsPerNode + 255;
}

/** kube-reserved CPU (millicores) the EKS AMI sets for this many vCPUs. */
export function kubeReservedCpuMillicores(vcpu: number): number {
    const total = vcpu * 1000;
    const ranges: readonly [number, number, number][] = [[0, 1000, 600], [1000, 2000, 100], [2000, 4000, 50], [4000, Infinity, 25]];
    let reserved = 0;
    for (const [start, end, basisPoints] of ranges) {
        if (total <= start) break;
        reserved += ((Math.min(total, end) - start) * basisPoints) / 10000;
    }
    return Math.floor(reserved);
}

export interface NodeAllocatable {
    readonly instanceType: string;
    readonly maxPods: number;
    /** What the kubelet reports as memory capacity (nominal x OS_VISIBLE_MEMORY_FRACTION). */
    readonly capacityMemoryMiB: number;
    readonly kubeReservedMemoryMiB: number;
    readonly evictionHardMiB: number;
    /** capacity - kube-reserved - eviction threshold: what pod memory requests may add up to. */
    readonly memoryMiB: number;
    readonly cpuMillicores: number;
}

/** What one node of this type offers to pods. */
export function nodeAllocatable(instanceType: string, prefixDelegation: boolean): NodeAllocatable {
    const t = instance(instanceType);
    const pods = maxPods(instanceType, prefixDelegation);
    const capacity = Math.floor(t.memoryGiB * 1024 * OS_VISIBLE_MEMORY_FRACTION);
    const reserved = kubeReservedMemoryMiB(pods);
    return {
        instanceType,
        maxPods: pods,
        capacityMemoryMiB: capacity,
        kubeReservedMemoryMiB: reserved,
        evictionHardMiB: EVICTION_HARD_MIB,
        memoryMiB: capacity - reserved - EVICTION_HARD_MIB,
        cpuMillicores: t.vcpu * 1000 - kubeReservedCpuMillicores(t.vcpu),
    };
}

/** One line of the budget: a workload, how many pods of it, and what each pod requests. */
export interface Workload {
    readonly name: string;
    /** Namespace/owner, for the README table. */
    readonly namespace: string;
    /** DaemonSet pods run once per node; the others are placed somewhere in the cluster. */
    readonly perNode: boolean;
    readonly replicas: number;
    /** Memory per pod the budget counts (the pod's request where one is set). */
    readonly memoryMiB: number;
    readonly cpuMillicores: number;
    /** Where the numbers come from: "request set in k8s/…", "add-on default", "estimate: …". */
    readonly basis: string;
    /** system: EKS add-ons and the controllers; airflow: Airflow's own pods. */
    readonly part: "system" | "airflow";
}

/** One Airflow pod kind: how many, and what each pod requests (all its containers together). */
export interface AirflowPod {
    readonly replicas: number;
    readonly memoryMiB: number;
    readonly cpuMillicores: number;
}

/**
 * Airflow's pods as airflow/values.ts sizes them. These must equal airflow/values.ts (AIRFLOW_RESOURCES,
 * the log-groomer sidecars on the scheduler, DAG processor and triggerer, schedulerReplicasFor,
 * PROD_PARALLELISM / STAGING_PARALLELISM); cluster/k8s.test.ts checks that they do. Statsd and
 * PgBouncer are off there, so they are not counted. The migration job (512 MiB) runs at every
 * install and upgrade and is counted, so an upgrade during a nightly run still finds room.
 */
export interface AirflowSizes {
    readonly scheduler: AirflowPod;
    readonly apiServer: AirflowPod;
    readonly dagProcessor: AirflowPod;
    readonly triggerer: AirflowPod;
    readonly migrationJob: AirflowPod;
    /** Task pods of a nightly run at once: [core] parallelism, each at the default task size. */
    readonly taskPod: AirflowPod;
}

const GROOMER = { memoryMiB: 64, cpuMillicores: 10 };

/** Airflow's sizes for prod (2 schedulers, parallelism 12) or any other environment (1 and 4). */
export function airflowSizesFor(environment: "prod" | "staging"): AirflowSizes {
    const prod = environment === "prod";
    return {
        scheduler: { replicas: prod ? 2 : 1, memoryMiB: 768 + GROOMER.memoryMiB, cpuMillicores: 250 + GROOMER.cpuMillicores },
        apiServer: { replicas: 1, memoryMiB: 1024, cpuMillicores: 250 },
        dagProcessor: { replicas: 1, memoryMiB: 640 + GROOMER.memoryMiB, cpuMillicores: 200 + GROOMER.cpuMillicores },
        triggerer: { replicas: 1, memoryMiB: 512 + GROOMER.memoryMiB, cpuMillicores: 100 + GROOMER.cpuMillicores },
        migrationJob: { replicas: 1, memoryMiB: 512, cpuMillicores: 100 },
        taskPod: { replicas: prod ? 12 : 4, memoryMiB: 512, cpuMillicores: 250 },
    };
}

export const DEFAULT_AIRFLOW_SIZES: AirflowSizes = airflowSizesFor("prod");

const AIRFLOW_LINES: readonly [keyof AirflowSizes, string, string][] = [
    ["scheduler", "airflow scheduler", "airflow/values.ts (+ log groomer)"],
    ["apiServer", "airflow api-server", "airflow/values.ts"],
    ["dagProcessor", "airflow dag-processor", "airflow/values.ts (+ log groomer)"],
    ["triggerer", "airflow triggerer", "airflow/values.ts (+ log groomer)"],
    ["migrationJob", "airflow migration job (install/upgrade)", "airflow/values.ts"],
    ["taskPod", "airflow task pods (nightly run)", "airflow/values.ts: default task size x parallelism"],
];

/**
 * Everything the platform runs: system pods, controllers and Airflow. Requests set by this project come from cluster/controllers.ts and
 * cluster/coredns.ts (tests check the two agree); the VPC CNI and kube-proxy set no memory request, so
 * their lines are estimates of their working set, counted anyway so that the budget is not optimistic.
 */
export function platformWorkloads(airflow: AirflowSizes = DEFAULT_AIRFLOW_SIZES): Workload[] {
    const system: Workload[] = [
        { name: "aws-node (VPC CNI)", namespace: "kube-system", perNode: true, replicas: 1, memoryMiB: 64, cpuMillicores: 25, basis: "add-on default CPU request; memory: estimate (no request set)", part: "system" },
        { name: "kube-proxy", namespace: "kube-system", perNode: true, replicas: 1, memoryMiB: 48, cpuMillicores: 100, basis: "add-on default CPU request; memory: estimate (no request set)", part: "system" },
        { name: "fluent-bit", namespace: "logging", perNode: true, replicas: 1, memoryMiB: 96, cpuMillicores: 50, basis: "request set in cluster/controllers.ts", part: "system" },
        { name: "coredns", namespace: "kube-system", perNode: false, replicas: 2, memoryMiB: 70, cpuMillicores: 100, basis: "request set in cluster/coredns.ts", part: "system" },
        { name: "aws-load-balancer-controller", namespace: "kube-system", perNode: false, replicas: 1, memoryMiB: 128, cpuMillicores: 50, basis: "request set in cluster/controllers.ts", part: "system" },
        { name: "flux source-controller", namespace: "flux-system", perNode: false, replicas: 1, memoryMiB: 128, cpuMillicores: 50, basis: "request set in cluster/controllers.ts", part: "system" },
        { name: "flux kustomize-controller", namespace: "flux-system", perNode: false, replicas: 1, memoryMiB: 128, cpuMillicores: 50, basis: "request set in cluster/controllers.ts", part: "system" },
        { name: "flux helm-controller", namespace: "flux-system", perNode: false, replicas: 1, memoryMiB: 192, cpuMillicores: 50, basis: "request set in cluster/controllers.ts", part: "system" },
        { name: "flux notification-controller", namespace: "flux-system", perNode: false, replicas: 1, memoryMiB: 64, cpuMillicores: 20, basis: "request set in cluster/controllers.ts", part: "system" },
        { name: "flux image-reflector-controller", namespace: "flux-system", perNode: false, replicas: 1, memoryMiB: 64, cpuMillicores: 20, basis: "request set in cluster/controllers.ts", part: "system" },
        { name: "flux image-automation-controller", namespace: "flux-system", perNode: false, replicas: 1, memoryMiB: 64, cpuMillicores: 20, basis: "request set in cluster/controllers.ts", part: "system" },
    ];
    const airflowPods: Workload[] = AIRFLOW_LINES.map(([key, name, basis]) => ({
        name,
        namespace: "airflow",
        perNode: false,
        replicas: airflow[key].replicas,
        memoryMiB: airflow[key].memoryMiB,
        cpuMillicores: airflow[key].cpuMillicores,
        basis,
        part: "airflow",
    }));
    return [...system, ...airflowPods];
}

export interface BudgetOptions {
    readonly prefixDelegation?: boolean;
    readonly airflow?: AirflowSizes;
    /** Override the workload list entirely (tests, what-ifs). */
    readonly workloads?: readonly Workload[];
}

export interface BudgetResult {
    readonly fits: boolean;
    readonly node: NodeAllocatable;
    readonly nodeCount: number;
    readonly pods: { readonly used: number; readonly capacity: number };
    readonly memory: { readonly usedMiB: number; readonly capacityMiB: number };
    readonly cpu: { readonly usedMillicores: number; readonly capacityMillicores: number };
    /** How many more task pods of the configured size would still be placed. */
    readonly spareTaskPods: number;
    /** Why it does not fit; empty when it fits. */
    readonly reasons: string[];
}

interface Bin { pods: number; memoryMiB: number; cpu: number }

/**
 * Places every cluster-wide pod on the nodes after the DaemonSets (first fit, largest memory first),
 * as the scheduler must: a 1 GiB pod needs 1 GiB free on ONE node, not in the sum. Returns the pods
 * that found no node.
 */
function place(bins: Bin[], pods: { name: string; memoryMiB: number; cpu: number }[]): string[] {
    const unplaced: string[] = [];
    for (const pod of [...pods].sort((a, b) => b.memoryMiB - a.memoryMiB || b.cpu - a.cpu)) {
        const bin = bins.find((b) => b.pods >= 1 && b.memoryMiB >= pod.memoryMiB && b.cpu >= pod.cpu);
        if (!bin) {
            unplaced.push(pod.name);
            continue;
        }
        bin.pods -= 1;
        bin.memoryMiB -= pod.memoryMiB;
        bin.cpu -= pod.cpu;
    }
    return unplaced;
}

/**
 * Whether everything fits on `nodeCount` nodes of `instanceType`: pods per node (max pods), memory
 * and CPU requests per node, with every cluster-wide pod placed on a real node.
 */
export function checkBudget(instanceType: string, nodeCount: number, options: BudgetOptions = {}): BudgetResult {
    const prefixDelegation = options.prefixDelegation ?? false;
    const airflow = options.airflow ?? DEFAULT_AIRFLOW_SIZES;
    const workloads = options.workloads ?? platformWorkloads(airflow);
    const node = nodeAllocatable(instanceType, prefixDelegation);
    const reasons: string[] = [];

    const daemons = workloads.filter((w) => w.perNode);
    const cluster = workloads.filter((w) => !w.perNode);
    const perNode = {
        pods: daemons.reduce((s, w) => s + w.replicas, 0),
        memoryMiB: daemons.reduce((s, w) => s + w.replicas * w.memoryMiB, 0),
        cpu: daemons.reduce((s, w) => s + w.replicas * w.cpuMillicores, 0),
    };
    const clusterPods = cluster.flatMap((w) => Array.from({ length: w.replicas }, () => ({ name: w.name, memoryMiB: w.memoryMiB, cpu: w.cpuMillicores })));

    const used = {
        pods: perNode.pods * nodeCount + clusterPods.length,
        memoryMiB: perNode.memoryMiB * nodeCount + clusterPods.reduce((s, p) => s + p.memoryMiB, 0),
        cpu: perNode.cpu * nodeCount + clusterPods.reduce((s, p) => s + p.cpu, 0),
    };
    const capacity = { pods: node.maxPods * nodeCount, memoryMiB: node.memoryMiB * nodeCount, cpu: node.cpuMillicores * nodeCount };

    if (perNode.pods > node.maxPods || perNode.memoryMiB > node.memoryMiB || perNode.cpu > node.cpuMillicores) {
        reasons.push(`the DaemonSets alone (${perNode.pods} pods, ${perNode.memoryMiB} MiB, ${perNode.cpu}m) exceed one ${instanceType} (${node.maxPods} pods, ${node.memoryMiB} MiB, ${node.cpuMillicores}m)`);
    }
    const bins: Bin[] = Array.from({ length: nodeCount }, () => ({
        pods: node.maxPods - perNode.pods,
        memoryMiB: node.memoryMiB - perNode.memoryMiB,
        cpu: node.cpuMillicores - perNode.cpu,
    }));
    const unplaced = reasons.length > 0 ? clusterPods.map((p) => p.name) : place(bins, clusterPods);
    if (reasons.length === 0 && unplaced.length > 0) {
        const counts = new Map<string, number>();
        for (const n of unplaced) counts.set(n, (counts.get(n) ?? 0) + 1);
        const list = [...counts].map(([n, c]) => (c > 1 ? `${c} x ${n}` : n)).join(", ");
        reasons.push(`${unplaced.length} pod(s) find no ${instanceType} with room among ${nodeCount} (${node.maxPods} pods, ${node.memoryMiB} MiB, ${node.cpuMillicores}m allocatable each): ${list}`);
    }
    if (used.pods > capacity.pods) reasons.push(`${used.pods} pods exceed ${nodeCount} x ${node.maxPods} max pods`);
    if (used.memoryMiB > capacity.memoryMiB) reasons.push(`${used.memoryMiB} MiB of requests exceed ${nodeCount} x ${node.memoryMiB} MiB allocatable`);

    // Spare task pods: keep placing task-pod-sized pods into what is left.
    const taskPod = { name: "task", memoryMiB: airflow.taskPod.memoryMiB, cpu: airflow.taskPod.cpuMillicores };
    let spare = 0;
    if (reasons.length === 0) {
        while (spare < 10_000 && place(bins, [taskPod]).length === 0) spare += 1;
    }
    return {
        fits: reasons.length === 0,
        node,
        nodeCount,
        pods: { used: used.pods, capacity: capacity.pods },
        memory: { usedMiB: used.memoryMiB, capacityMiB: capacity.memoryMiB },
        cpu: { usedMillicores: used.cpu, capacityMillicores: capacity.cpu },
        spareTaskPods: spare,
        reasons,
    };
}

/** The budget as a Markdown table for the README (one row per workload, then the totals). */
export function budgetTable(instanceType: string, nodeCount: number, options: BudgetOptions = {}): string {
    const airflow = options.airflow ?? DEFAULT_AIRFLOW_SIZES;
    const workloads = options.workloads ?? platformWorkloads(airflow);
    const r = checkBudget(instanceType, nodeCount, options);
    const rows = workloads.map((w) => {
        const pods = w.perNode ? w.replicas * nodeCount : w.replicas;
        const where = w.perNode ? `${w.replicas} per node x ${nodeCount}` : `${w.replicas}`;
        return `| ${w.name} | ${w.namespace} | ${w.part} | ${where} | ${pods} | ${w.memoryMiB} | ${pods * w.memoryMiB} | ${pods * w.cpuMillicores}m | ${w.basis} |`;
    });
    return [
        "| Workload | Namespace | Part | Pods | Pods total | MiB per pod | MiB total | CPU total | Basis |",
        "|---|---|---|---|---|---|---|---|---|",
        ...rows,
        `| **Total** | | | | **${r.pods.used} of ${r.pods.capacity}** | | **${r.memory.usedMiB} of ${r.memory.capacityMiB}** | **${r.cpu.usedMillicores}m of ${r.cpu.capacityMillicores}m** | ${nodeCount} x ${instanceType}: ${r.node.maxPods} pods, ${r.node.memoryMiB} MiB, ${r.node.cpuMillicores}m allocatable each |`,
    ].join("\n");
}
