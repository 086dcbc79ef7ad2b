// The Kubernetes side of the AirflowCluster, pinned in one place: the EKS Kubernetes version, the
// managed add-ons for it, and the Helm charts the cluster installs. Pure data (no Pulumi import):
// components read it, tests assert it, the README quotes it.
//
// Evidence for every chart row: ../shared/schemas/README.md, "Versions to pin", and the chart
// repositories at the tags named below (read in the stored snapshots on 2026-11-23).

/** A Helm chart pinned to one version, with where it comes from. */
export interface ChartPin {
    /** Chart name inside its repository. */
    readonly chart: string;
    readonly version: string;
    /** The chart repository URL, as `helm repo add` takes it. */
    readonly repository: string;
    /** The app the chart deploys by default (its Chart.yaml appVersion). */
    readonly appVersion: string;
    /** Repository, tag and file the pin was read from. */
    readonly evidence: string;
}

/**
 * The Kubernetes version of a new cluster, and the standard-support calendar behind the config rule,
 * live in cluster/eks-versions.ts (config reads them); re-exported here beside the add-ons built for it.
 * Flux 2.8.5's pre-install check (`flux check --pre`) requires Kubernetes >= 1.33.0 with no upper
 * bound (fluxcd/flux2 v2.8.5 cmd/flux/check.go `kubernetesConstraints`), so 1.36 passes it.
 */
export { DEFAULT_KUBERNETES_VERSION as KUBERNETES_VERSION } from "./eks-versions";

/**
 * EKS managed add-on versions for Kubernetes 1.36.
 *
 * Where they come from, honestly: the stored AWS documentation (awsdocs/amazon-eks-user-guide) lists
 * add-on versions only up to Kubernetes 1.33, so no AWS page here names a 1.36 build. These three were
 * recorded together as what a real 1.36 cluster resolved to (EKS's defaults) in us-west-2 on
 * 2026-09-16 — a third-party "Compatibility matrix" page in the stored code index — and the same
 * minor lines (vpc-cni v1.22.x, kube-proxy v1.36.0, coredns v1.14.3) appear in several other public
 * configurations for 1.36. They were not checked against `aws eks describe-addon-versions` here (no
 * AWS account). If AWS has withdrawn a build, `pulumi up` fails on that add-on with EKS's
 * "addon version not supported" error; then run
 *   aws eks describe-addon-versions --kubernetes-version 1.36 --addon-name <name> \
 *     --query 'addons[].addonVersions[].addonVersion'
 * and update the string. Pinned (not resolved at deploy time with aws.eks.getAddonVersion) so that a
 * routine `pulumi up` never upgrades a cluster component nobody chose to upgrade.
 */
export const EKS_ADDON_VERSIONS = {
    "vpc-cni": "v1.22.4-eksbuild.3",
    "kube-proxy": "v1.36.0-eksbuild.21",
    coredns: "v1.14.3-eksbuild.16",
} as const;

export type ManagedAddonName = keyof typeof EKS_ADDON_VERSIONS;

/**
 * AWS Load Balancer Controller chart 3.5.0 (controller v3.5.0). Its IAM policy is the upstream file
 * at the same tag, kept in cluster/iam/ (see LBC_IAM_POLICY).
 */
export const AWS_LOAD_BALANCER_CONTROLLER_CHART: ChartPin = {
    chart: "aws-load-balancer-controller",
    version: "3.5.0",
    repository: "https://aws.github.io/eks-charts",
    appVersion: "v3.5.0",
    evidence: "aws/eks-charts tag v0.0.242 (commit 5239609242f3430be50fb0b714a24d3ef2b47983): stable/aws-load-balancer-controller/Chart.yaml, values.yaml",
};

/**
 * Fluent Bit's own chart rather than aws-for-fluent-bit 0.2.0: the log shipper must buffer to disk
 * (storage.path, storage.type filesystem, storage.total_limit_size, storage.max_chunks_up), and the
 * fluent-bit chart takes the whole classic configuration as text, while aws-for-fluent-bit 0.2.0's
 * templates/configmap.yaml renders fixed blocks with no storage.* settings for its inputs and
 * outputs. It also ships the current Fluent Bit (5.1.1) instead of AWS's 3.2.1 distribution. Both
 * sign requests with SigV4 from the IRSA web identity token; nothing AWS-specific is lost.
 */
export const FLUENT_BIT_CHART: ChartPin = {
    chart: "fluent-bit",
    version: "0.58.1",
    repository: "https://fluent.github.io/helm-charts",
    appVersion: "5.1.1",
    evidence: "fluent/helm-charts tag fluent-bit-0.58.1 (commit 22a564dc85600c67d97e01a5b4cdf3b829292529): charts/fluent-bit/Chart.yaml, values.yaml, templates/configmap.yaml",
};

/**
 * Flux through the community chart flux2 2.18.3, which installs Flux 2.8.5 (source v1.8.2,
 * kustomize v1.8.3, helm v1.5.3, notification v1.8.3, image-reflector v1.1.1, image-automation
 * v1.1.1), not the newest Flux 2.9.4. Why: the community chart's newest release carries 2.8.5 and
 * does not carry 2.9; the only Helm route to 2.9.4 is the flux-operator chart plus a FluxInstance,
 * and the newest flux-operator chart in the stored material is 0.49.0, whose operator embeds Flux
 * only up to 2.8.7 (2.9.4 needs operator v0.58.0+, whose chart is not in the stored material and
 * is AGPL-3.0). Flux 2.8.5 serves every API the GitOps tree uses at the version it uses:
 * source.toolkit.fluxcd.io/v1, kustomize.toolkit.fluxcd.io/v1, helm.toolkit.fluxcd.io/v2 and
 * image.toolkit.fluxcd.io/v1 (served and storage in the chart's CRDs; v1beta2 still served,
 * deprecated). Differences from 2.9.4 that matter: ImageUpdateAutomation's refspec pattern (2.9.4
 * rejects `+` refspecs) is not enforced by 2.8.5's CRD, so the GitOps objects must not rely on it.
 */
export const FLUX_CHART: ChartPin = {
    chart: "flux2",
    version: "2.18.3",
    repository: "https://fluxcd-community.github.io/helm-charts",
    appVersion: "2.8.5",
    evidence: "fluxcd-community/helm-charts tag flux2-2.18.3 (commit 82a385b005eb07cdac34a8cfe8fcbce7539ca0da): charts/flux2/Chart.yaml, values.yaml, templates/*.crds.yaml",
};

/** Every chart the cluster installs, by release. */
export const CHARTS = {
    awsLoadBalancerController: AWS_LOAD_BALANCER_CONTROLLER_CHART,
    fluentBit: FLUENT_BIT_CHART,
    flux: FLUX_CHART,
} as const;

/**
 * The upstream IAM policy of the pinned controller, byte-identical in cluster/iam/ (source and digest in
 * cluster/iam/README.md). Path relative to the project root.
 */
export const LBC_IAM_POLICY = {
    path: "cluster/iam/aws-load-balancer-controller-v3.5.0.json",
    bytes: 8955,
    sha256: "16f232c9d9f79366fe949c4550ad517a202380058a9e48d45a4e215044a20a6a",
    source: "kubernetes-sigs/aws-load-balancer-controller tag v3.5.0 (commit 11eb202c97e4ae2ee45e0658c4cde9a4b59f33d4) docs/install/iam_policy.json",
} as const;
