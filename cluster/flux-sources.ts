// The Flux objects Pulumi owns (the split in README, "Airflow: what lives in Pulumi and what in Git"): the Git
// sources the cluster reads and writes, and the root Kustomization that applies the stack's folder
// with the platform settings substituted. Pure builders; the AirflowCluster applies them, tests
// validate them against Flux's published CRD schemas (../shared/schemas/flux/).

import { FLUX_NAMESPACE, ROOT_KUSTOMIZATION } from "../airflow/flux-status";

export { FLUX_NAMESPACE, ROOT_KUSTOMIZATION };
/** Read-only source of everything Flux applies. */
export const GITOPS_SOURCE = "gitops";
/** The same repository and branch with a write key: used by ImageUpdateAutomation only. */
export const GITOPS_WRITE_SOURCE = "gitops-write";
export const GITOPS_SECRET = "gitops-auth";
export const GITOPS_WRITE_SECRET = "gitops-write-auth";
export const PLATFORM_SETTINGS = "platform-settings";

const metadata = (name: string) => ({
    name,
    namespace: FLUX_NAMESPACE,
    labels: { "app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "data-platform" },
});

export interface GitSource {
    readonly url: string;
    readonly branch: string;
}

/**
 * A GitRepository. The read source polls every minute: a merged change is applied within about a
 * minute while the nodes are up (the source controller runs on them; while they sleep nothing is
 * polled). The write source is only where ImageUpdateAutomation finds the URL and the write key (it
 * clones the repository itself), so its own artifact is fetched once an hour, not every minute.
 */
export function gitRepository(name: string, source: GitSource, secretName: string, interval = "1m0s") {
    return {
        apiVersion: "source.toolkit.fluxcd.io/v1",
        kind: "GitRepository",
        metadata: metadata(name),
        spec: {
            url: source.url,
            ref: { branch: source.branch },
            interval,
            timeout: "60s",
            secretRef: { name: secretName },
        },
    };
}

export interface RootKustomizationOptions {
    /** The stack's folder in the GitOps repository (config gitopsPath). */
    readonly path: string;
    /**
     * kustomize Components to include, as paths relative to the GitOps tree's root (for example
     * "components/ui-ingress"); they are written relative to `path`, as the controller reads them.
     */
    readonly components?: readonly string[];
}

/** A component path given from the tree's root, relative to a stack folder two levels below it. */
export function componentFromStackFolder(component: string): string {
    return `../../${component}`;
}

/**
 * The root Kustomization: applies `path` of the GitOps repository, substituting ${VARIABLES} from the
 * platform-settings ConfigMap. prune: what is removed from Git is removed from the cluster.
 * wait: it is Ready only when everything it applied is ready, the Airflow HelmRelease included
 * (kustomize-controller reads the HelmRelease's Ready condition), so a failing Airflow shows on
 * `flux get kustomizations` and in the controller's events instead of a green root. Its timeout is
 * longer than one HelmRelease attempt (10m) so that a first install has room to finish.
 *
 * deletionPolicy WaitForTermination (in the Kustomization CRD of Flux 2.8, which the cluster runs;
 * tests validate this object against it): deleting this Kustomization deletes what it applied and
 * keeps its finalizer until every such object has terminated. Pulumi's delete of it waits for the finalizer, so the Airflow
 * HelmRelease is uninstalled, the Ingress gone and the controller's ALB deleted before Pulumi moves on
 * to what the Kustomization depends on (the load balancer controller, Flux, the UI's security group).
 * The default (MirrorPrune) deletes the objects and lets go at once: the destroy would race the ALB.
 */
export function rootKustomization(options: RootKustomizationOptions) {
    return {
        apiVersion: "kustomize.toolkit.fluxcd.io/v1",
        kind: "Kustomization",
        metadata: metadata(ROOT_KUSTOMIZATION),
        spec: {
            interval: "10m0s",
            retryInterval: "2m0s",
            timeout: "15m0s",
            path: options.path,
            prune: true,
            wait: true,
            deletionPolicy: "WaitForTermination",
            ...(options.components && options.components.length > 0 ? { components: options.components.map(componentFromStackFolder) } : {}),
            sourceRef: { kind: "GitRepository", name: GITOPS_SOURCE },
            postBuild: { substituteFrom: [{ kind: "ConfigMap", name: PLATFORM_SETTINGS }] },
        },
    };
}

/**
 * An SSH deploy key as Flux's source controller reads it (Flux docs, GitRepository "SSH
 * authentication"): the private key, its public half, and the host keys it accepts.
 */
export function sshAuthData(key: { privateKeyOpenssh: string; publicKeyOpenssh: string }, knownHosts: string): Record<string, string> {
    return { identity: key.privateKeyOpenssh, "identity.pub": key.publicKeyOpenssh, known_hosts: knownHosts.endsWith("\n") ? knownHosts : `${knownHosts}\n` };
}
