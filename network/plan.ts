// The network's layout as data: which subnets exist, with which ranges and tags, and where each
// private route table sends internet traffic. The Network component only turns this into resources,
// so the decisions are tested here directly and, on the registered resources, through the mocks.

import { formatCidr, parseCidr, subnetOf, type Cidr } from "./cidr";
import type { NatStrategy } from "./config-keys";

export interface SubnetPlan {
    readonly tier: "public" | "private";
    readonly az: string;
    /** Short zone suffix ("a", "b", ...), used in resource names. */
    readonly zoneId: string;
    readonly cidr: string;
    readonly tags: Readonly<Record<string, string>>;
}

/** Where a private route table's default route (0.0.0.0/0) points. */
export type EgressTarget = { readonly kind: "nat-gateway"; readonly gateway: number } | { readonly kind: "nat-instance" };

export interface NetworkPlan {
    readonly vpcCidr: string;
    readonly publicSubnets: readonly SubnetPlan[];
    readonly privateSubnets: readonly SubnetPlan[];
    /** NAT gateways to create, each in the public subnet of this zone index. */
    readonly natGateways: readonly { readonly zoneIndex: number }[];
    /** A NAT instance to create, in the public subnet of this zone index. */
    readonly natInstance?: { readonly zoneIndex: number };
    /** Per zone index: the default route of that zone's private route table. */
    readonly privateEgress: readonly EgressTarget[];
    /** Why the layout is what it is, for the plan's output. */
    readonly reason: string;
}

export interface NetworkPlanInput {
    readonly vpcCidr: string;
    readonly availabilityZones: readonly string[];
    readonly natStrategy: NatStrategy;
    readonly clusterName: string;
    /** The zones whose public subnets internet-facing load balancers may use; default: every zone. */
    readonly loadBalancerZones?: readonly string[];
}

// Private subnets hold the EKS nodes and, with the VPC CNI, one IP per pod: they get a quarter of the
// VPC each (a /18 of a /16). Public subnets hold only load balancers and NAT: a sixteenth each,
// carved from the last quarter. Four quarters leave room for a fourth zone later.
const MAX_ZONES = 4;

export function planNetwork(input: NetworkPlanInput): NetworkPlan {
    const vpc = parseCidr(input.vpcCidr);
    if (typeof vpc === "string") throw new Error(`vpcCidr ${input.vpcCidr}: ${vpc}`);
    const zones = input.availabilityZones;
    if (zones.length < 1 || zones.length > MAX_ZONES - 1) throw new Error(`planNetwork takes 1 to ${MAX_ZONES - 1} zones`);

    const quarter = vpc.prefix + 2;
    const publicBlock: Cidr = subnetOf(vpc, quarter, MAX_ZONES - 1);
    // The cluster tag lets the AWS Load Balancer Controller and EKS tell this cluster's subnets from
    // any other cluster's in the same VPC; the role tags tell the controller where internet-facing
    // and internal load balancers go (AWS Load Balancer Controller docs, "Subnet auto-discovery").
    const clusterTag = { [`kubernetes.io/cluster/${input.clusterName}`]: "shared" };
    const zoneId = (az: string) => az.slice(-1);

    const privateSubnets = zones.map((az, i) => ({
        tier: "private" as const,
        az,
        zoneId: zoneId(az),
        cidr: formatCidr(subnetOf(vpc, quarter, i)),
        tags: { ...clusterTag, "kubernetes.io/role/internal-elb": "1", Tier: "private" },
    }));
    // An internet-facing load balancer gets a public IPv4 address (billed all month) in each zone it
    // spans, and the controller spans every public subnet with the elb role tag: the tag goes only on
    // the chosen zones' subnets. The other public subnets stay for the NAT.
    const lbZones = input.loadBalancerZones ?? zones;
    const strange = lbZones.filter((z) => !zones.includes(z));
    if (strange.length > 0) throw new Error(`loadBalancerZones ${strange.join(", ")} not among the zones ${zones.join(", ")}`);
    const publicSubnets = zones.map((az, i) => ({
        tier: "public" as const,
        az,
        zoneId: zoneId(az),
        cidr: formatCidr(subnetOf(publicBlock, quarter + 2, i)),
        tags: { ...clusterTag, ...(lbZones.includes(az) ? { "kubernetes.io/role/elb": "1" } : {}), Tier: "public" },
    }));

    const base = { vpcCidr: formatCidr(vpc), publicSubnets, privateSubnets };
    switch (input.natStrategy) {
        case "gateway-per-az":
            return {
                ...base,
                natGateways: zones.map((_, i) => ({ zoneIndex: i })),
                privateEgress: zones.map((_, i) => ({ kind: "nat-gateway" as const, gateway: i })),
                reason: "one NAT gateway per zone: a zone's loss leaves the others' egress intact",
            };
        case "single-gateway":
            return {
                ...base,
                natGateways: [{ zoneIndex: 0 }],
                privateEgress: zones.map(() => ({ kind: "nat-gateway" as const, gateway: 0 })),
                reason: `one NAT gateway in ${zones[0]} shared by every zone: a third of the idle cost of three, but egress depends on that zone`,
            };
        case "instance":
            return {
                ...base,
                natGateways: [],
                natInstance: { zoneIndex: 0 },
                privateEgress: zones.map(() => ({ kind: "nat-instance" as const })),
                reason: `one Arm NAT instance in ${zones[0]}: the lowest cost, a single instance that EC2 auto-recovery restarts on host failure`,
            };
    }
}
