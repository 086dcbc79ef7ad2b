// The Network's configuration keys and the settings the component takes.

import { oneOf, type ConfigKey } from "../core/config-spec";
import { familiesOf, lookupInstanceType } from "../core/instance-types";
import { formatCidr, isRfc1918, parseCidr } from "./cidr";

export const NAT_STRATEGIES = ["gateway-per-az", "single-gateway", "instance"] as const;
export type NatStrategy = (typeof NAT_STRATEGIES)[number];

export interface NetworkSettings {
    readonly vpcCidr: string;
    readonly availabilityZones: readonly string[];
    readonly natStrategy: NatStrategy;
    readonly natInstanceType: string;
}

export const NETWORK_KEYS: readonly ConfigKey[] = [
    {
        name: "availabilityZones",
        type: "array",
        group: "Network",
        description: "Availability zones to spread subnets over: one public and one private subnet in each.",
        allowed: "2 or 3 distinct zones of aws:region (exactly 3 in prod)",
    },
    {
        name: "vpcCidr",
        type: "string",
        group: "Network",
        description: "The VPC's IPv4 range. Private subnets get a quarter each, public ones a sixteenth.",
        default: "10.0.0.0/16",
        allowed: "an RFC 1918 network address from /16 to /20",
        check: (v: string) => {
            const c = parseCidr(v);
            if (typeof c === "string") return `is not a CIDR block: ${c}`;
            if (c.prefix < 16 || c.prefix > 20) return "the prefix must be from /16 (AWS's largest VPC) to /20 (smallest that leaves private subnets room for pods)";
            if (!isRfc1918(c)) return `${formatCidr(c)} is not inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16`;
            return undefined;
        },
    },
    {
        name: "natStrategy",
        type: "string",
        group: "Network",
        description: "How private subnets reach the internet. See \"Choosing a NAT strategy\" for cost and availability.",
        default: "single-gateway",
        allowed: NAT_STRATEGIES.join(" | "),
        check: oneOf(NAT_STRATEGIES),
    },
    {
        name: "natInstanceType",
        type: "string",
        group: "Network",
        description: "Instance type of the NAT instance (natStrategy instance). Arm (Graviton) only: the image is arm64.",
        default: "t4g.nano",
        allowed: `an arm64 type of family ${familiesOf("arm64").join(", ")}`,
        check: (v: string) => {
            const t = lookupInstanceType(v, familiesOf("arm64"));
            return typeof t === "string" ? t : undefined;
        },
    },
];
