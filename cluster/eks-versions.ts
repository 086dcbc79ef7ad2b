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

/**
 * What the cluster does when its version leaves standard support (EKS User Guide, "Cluster upgrade
 * policy"): STANDARD, it "will be automatically upgraded"; EXTENDED, it "will enter extended support"
 * at the higher price. cluster/component.ts sets this on the cluster.
 */
export const CLUSTER_SUPPORT_TYPE: "STANDARD" | "EXTENDED" = "STANDARD";

/** The control plane's hourly price in us-east-1 (equal to data/prices.us-east-1.json, a test checks it). */
export const EKS_HOURLY_USD = { standard: 0.10, extended: 0.60 } as const;

/** Days ahead of the end of standard support from which the plan warns. */
export const SUPPORT_WARNING_DAYS = 90;

const DAY_MS = 86_400_000;
const endOf = (v: EksVersion) => new Date(`${v.standardSupportEnds}T23:59:59Z`);

/** A version's standing on a day: fine, worth a warning (with what to do), or refused (with why). */
export type SupportNotice =
    | { readonly level: "ok" }
    | { readonly level: "warn" | "error"; readonly message: string };

/**
 * The version's support on `today`, for the config check. Nothing here makes a deployed stack
 * undeployable overnight: under the STANDARD policy a version past standard support is upgraded by EKS
 * (no extended-support price), so it is a warning that says what to do; only a policy that would move
 * the cluster into extended support's price refuses it, with the price. An unknown version is refused.
 */
export function supportNotice(version: string, today: Date, supportType: "STANDARD" | "EXTENDED" = CLUSTER_SUPPORT_TYPE): SupportNotice {
    const known = EKS_VERSIONS.find((v) => v.version === version);
    const supported = EKS_VERSIONS.filter((v) => endOf(v) >= today).map((v) => v.version);
    const newer = EKS_VERSIONS.filter((v) => known !== undefined && Number(v.version.split(".")[1]) > Number(known.version.split(".")[1])).map((v) => v.version);
    if (!known) return { level: "error", message: `is not a Kubernetes version this program knows on EKS (${EKS_VERSIONS.map((v) => v.version).join(", ")})` };
    const upgrade = newer.length > 0 ? `upgrade to ${newer.join(" or ")} (README, "Upgrading Kubernetes")` : `upgrade to the next version once this program knows it (cluster/eks-versions.ts; README, "Upgrading Kubernetes")`;
    const end = endOf(known);
    if (end < today) {
        const extraMonthly = Math.round((EKS_HOURLY_USD.extended - EKS_HOURLY_USD.standard) * 730);
        if (supportType === "EXTENDED") {
            return { level: "error", message: `left EKS standard support on ${known.standardSupportEnds}: under the EXTENDED upgrade policy the cluster is in extended support, billed $${EKS_HOURLY_USD.extended.toFixed(2)} an hour instead of $${EKS_HOURLY_USD.standard.toFixed(2)} (about $${extraMonthly} a month more); ${upgrade}` };
        }
        return { level: "warn", message: `left EKS standard support on ${known.standardSupportEnds}: under the cluster's STANDARD upgrade policy EKS upgrades the control plane to the next version by itself (no extended-support charge, about $${extraMonthly} a month avoided), and then this stack's kubernetesVersion no longer says what runs; ${upgrade}, with the add-ons and the nodes${supported.length === 0 ? "; no version this program knows is in standard support any more: update cluster/eks-versions.ts" : ""}` };
    }
    const days = Math.floor((end.getTime() - today.getTime()) / DAY_MS);
    if (days < SUPPORT_WARNING_DAYS) {
        return { level: "warn", message: `leaves EKS standard support on ${known.standardSupportEnds} (in ${days} days); then EKS upgrades the cluster by itself (STANDARD policy) at a time of its choosing: ${upgrade} before then` };
    }
    return { level: "ok" };
}
