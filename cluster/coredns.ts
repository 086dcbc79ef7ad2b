// Configuration of the EKS managed add-ons that need any (aws.eks.Addon `configurationValues`, a JSON
// string validated by EKS against the add-on version's schema). Pure data.
//
// CoreDNS and the nightly sleep. Every evening the NightlyScheduler scales the node group from
// nodeCount to zero and, 22 hours later, back. What that does to CoreDNS, step by step:
// 1. Scale-in: EKS drains each node through the eviction API. The EKS user guide (managed node
//    groups): "Pod disruption budgets aren't respected when terminating a node with AZRebalance or
//    reducing the desired node count. These actions try to evict Pods on the node. But if it takes
//    more than 15 minutes, the node is terminated regardless". Evictions do honour a PDB, so with the
//    add-on's default PDB (maxUnavailable 1) the first CoreDNS replica is evicted, its replacement
//    stays Pending (every node is cordoned), the second eviction is refused, and that node is held
//    for 15 minutes before EC2 terminates it anyway: a quarter-hour of a node billed every night and a
//    "sleep" that is not finished when the scheduler looks. Hence no PDB.
// 2. Asleep: the Deployment keeps wanting 2 replicas; its pods stay Pending. No node, no DNS, and
//    nothing that needs DNS runs. Nothing needs to "tolerate" 22 hours: pods are not bound to the
//    terminated nodes (their Node objects are deleted), so no NoExecute toleration is involved, and
//    CoreDNS's default tolerations (CriticalAddonsOnly, control-plane NoSchedule) are kept.
// 3. Wake-up: nodes join, become Ready once the VPC CNI is up, and the scheduler places the Pending
//    replicas at once (priority system-cluster-critical, the add-on's default, puts them ahead of
//    Airflow's pods on the fresh nodes). The add-on's default topology spread (zone, ScheduleAnyway)
//    spreads them over the three zones' nodes. Pods that start before CoreDNS answers fail their
//    first lookups and retry (crash-loop back-off); nothing needs a manual step.
// Autoscaling (the add-on's `autoScaling`) stays off: two replicas carry a four-node cluster, and an
// autoscaler adds nothing while there are no nodes.
//
// Without a PDB, a rolling node-group update (which drains one node at a time, maxUnavailable 1)
// still never takes both replicas at once, because they run on different nodes.
//
// The PDB is never created in the first place only if CoreDNS is installed by the managed add-on
// alone: create the cluster with `bootstrapSelfManagedAddons: false`, because a self-managed CoreDNS
// bootstrapped by EKS brings its own PDB, and the EKS docs say setting `enabled: false` later "isn't
// removed" an existing PDB (managing-coredns, "Important CoreDNS upgrade considerations").

/** The keys of the CoreDNS add-on's configuration schema this project sets. */
export interface CoreDnsConfiguration {
    readonly replicaCount: number;
    readonly podDisruptionBudget: { readonly enabled: boolean };
    readonly resources: {
        readonly requests: { readonly cpu: string; readonly memory: string };
        readonly limits: { readonly memory: string };
    };
}

/** CoreDNS add-on configuration (see the header for why each key). */
export function coreDnsConfiguration(): CoreDnsConfiguration {
    return {
        replicaCount: 2,
        podDisruptionBudget: { enabled: false },
        // The add-on's own defaults, stated so the pod budget (cluster/capacity.ts) counts what is set.
        resources: { requests: { cpu: "100m", memory: "70Mi" }, limits: { memory: "170Mi" } },
    };
}

/**
 * VPC CNI configuration. Prefix delegation stays OFF, decided against the budget (cluster/capacity.ts):
 * a t3.medium takes 17 pods with one IP address per pod, and prod's four hold 39 of this platform's
 * pods out of 68 slots, while memory runs out first (12,364 of 13,068 MiB requested). Prefix
 * delegation (110 pods per node) would raise a limit that is not the binding one and cost memory:
 * the EKS AMI reserves 255 + 11 MiB per max pod, 1465 MiB at 110 instead of 442 MiB at 17, so every
 * node would lose 1 GiB of allocatable memory and prod would no longer fit. It would also need
 * contiguous /28 blocks in the subnets. Written explicitly so the decision is visible on the add-on
 * and cannot drift with an add-on default.
 */
export function vpcCniConfiguration(): { readonly env: Readonly<Record<string, string>>; readonly enableNetworkPolicy: "true" } {
    // enableNetworkPolicy: the VPC CNI's network policy agent enforces Kubernetes NetworkPolicies
    // (EKS User Guide, "Limit pod traffic with Kubernetes policies"); without it the policies of the
    // GitOps tree (gitops/apps/airflow) would be accepted and do nothing.
    return { env: { ENABLE_PREFIX_DELEGATION: "false" }, enableNetworkPolicy: "true" };
}

/** JSON for `aws.eks.Addon.configurationValues`, per add-on (kube-proxy needs none). */
export function addonConfigurationValues(): { readonly coredns: string; readonly "vpc-cni": string } {
    return {
        coredns: JSON.stringify(coreDnsConfiguration()),
        "vpc-cni": JSON.stringify(vpcCniConfiguration()),
    };
}
