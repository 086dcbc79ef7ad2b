// The instance types this project knows, so that config can be checked before anything is created
// ("t3.huge" fails here, not twenty minutes into `pulumi up`), and so that sizing and cost can read
// vCPU, memory and architecture from one place. Sizes per family are AWS's published lists
// (EC2 User Guide, "Instance type specifications"); families the platform has no use for are left out.

export type Architecture = "x86_64" | "arm64";

export interface InstanceFamily {
    readonly architecture: Architecture;
    /** size -> [vCPU, memory GiB] */
    readonly sizes: Readonly<Record<string, readonly [number, number]>>;
}

const BURSTABLE: Record<string, readonly [number, number]> = {
    nano: [2, 0.5],
    micro: [2, 1],
    small: [2, 2],
    medium: [2, 4],
    large: [2, 8],
    xlarge: [4, 16],
    "2xlarge": [8, 32],
};

const GENERAL_PURPOSE: Record<string, readonly [number, number]> = {
    large: [2, 8],
    xlarge: [4, 16],
    "2xlarge": [8, 32],
    "4xlarge": [16, 64],
    "8xlarge": [32, 128],
};

export const EC2_FAMILIES: Readonly<Record<string, InstanceFamily>> = {
    t3: { architecture: "x86_64", sizes: BURSTABLE },
    t3a: { architecture: "x86_64", sizes: BURSTABLE },
    t4g: { architecture: "arm64", sizes: BURSTABLE },
    m5: { architecture: "x86_64", sizes: GENERAL_PURPOSE },
    m6i: { architecture: "x86_64", sizes: GENERAL_PURPOSE },
    m7i: { architecture: "x86_64", sizes: GENERAL_PURPOSE },
    m6g: { architecture: "arm64", sizes: { medium: [1, 4], ...GENERAL_PURPOSE } },
    m7g: { architecture: "arm64", sizes: { medium: [1, 4], ...GENERAL_PURPOSE } },
};

export interface InstanceType {
    readonly name: string;
    readonly family: string;
    readonly size: string;
    readonly architecture: Architecture;
    readonly vcpu: number;
    readonly memoryGiB: number;
}

/** Looks an EC2 type up; returns a reason naming what is allowed when it is unknown. */
export function lookupInstanceType(name: string, families: readonly string[] = Object.keys(EC2_FAMILIES)): InstanceType | string {
    const dot = name.indexOf(".");
    const family = dot > 0 ? name.slice(0, dot) : name;
    const size = dot > 0 ? name.slice(dot + 1) : "";
    const spec = families.includes(family) ? EC2_FAMILIES[family] : undefined;
    if (!spec) return `family "${family}" is not one of ${families.join(", ")}`;
    const dims = spec.sizes[size];
    if (!dims) return `${family} has no size "${size}"; its sizes are ${Object.keys(spec.sizes).join(", ")}`;
    return { name, family, size, architecture: spec.architecture, vcpu: dims[0], memoryGiB: dims[1] };
}

export function familiesOf(architecture: Architecture): string[] {
    return Object.keys(EC2_FAMILIES).filter((f) => EC2_FAMILIES[f].architecture === architecture);
}

/** RDS classes the Metastore supports: small burstable classes, priced in ../shared/reference/aws-prices.md. */
export const RDS_INSTANCE_CLASSES = ["db.t3.micro", "db.t3.small", "db.t3.medium", "db.t4g.micro", "db.t4g.small", "db.t4g.medium"] as const;

/**
 * OpenSearch data-node types the LogStore supports, with the largest gp3 volume each takes
 * (OpenSearch Service developer guide, "EBS volume size quotas").
 */
export const OPENSEARCH_INSTANCE_TYPES: Readonly<Record<string, { maxVolumeGiB: number }>> = {
    "t3.small.search": { maxVolumeGiB: 100 },
    "t3.medium.search": { maxVolumeGiB: 200 },
};
