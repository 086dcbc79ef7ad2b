// Kubernetes versions on Amazon EKS and the end of their standard support. Pure data with its
// sources, so that config can refuse a version that has left (or is about to leave) standard
// support: after that date EKS moves a cluster to extended support, at $0.60 an hour instead of
// $0.10, unless the cluster's upgrade policy is STANDARD, in which case EKS upgrades it by itself.
//
// Sources (read 2026-11-23, see ../shared/schemas/README.md, "Kubernetes on EKS"):
// awsdocs/amazon-eks-user-guide latest/ug/versioning/kubernetes-versions.adoc (1.34),
// endoflife.date/amazon-eks (1.35, 1.34), "Kubernetes 1.36 on Amazon EKS" (2026-08-16, 1.36).

export interface EksVersion {
    readonly version: string;
    /** Released on EKS. */
    readonly released: string;
    /** Last day of standard support (ISO date). */
    readonly standardSupportEnds: string;
}

export const EKS_VERSIONS: readonly EksVersion[] = [
    { version: "1.34", released: "2025-10-02", standardSupportEnds: "2026-12-02" },
    { version: "1.35", released: "2026-01-28", standardSupportEnds: "2027-03-27" },
    { version: "1.36", released: "2026-06-02", standardSupportEnds: "2027-08-02" },
];

/**
 * The version new clusters get. 1.36 rather than 1.35: both are in standard support on 2026-11-23,
 * but 1.36's ends on 2027-08-02 and 1.35's on 2027-03-27, so 1.36 leaves four more months before the
 * cluster must be upgraded (or, under the STANDARD upgrade policy, is upgraded by EKS). 1.34 leaves
 * standard support on 2026-12-02, nine days after the pin was chosen.
 */
export const DEFAULT_KUBERNETES_VERSION = "1.36";

/** Why a version is not acceptable on `today`, or undefined when it is in standard support. */
export function standardSupportProblem(version: string, today: Date): string | undefined {
    const known = EKS_VERSIONS.find((v) => v.version === version);
    const supported = EKS_VERSIONS.filter((v) => new Date(`${v.standardSupportEnds}T23:59:59Z`) >= today).map((v) => v.version);
    if (!known) return `is not a Kubernetes version this program knows on EKS; in standard support: ${supported.join(", ")}`;
    if (!supported.includes(version)) return `left EKS standard support on ${known.standardSupportEnds}; in standard support: ${supported.join(", ")}`;
    return undefined;
}
