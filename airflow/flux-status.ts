// Whether the Flux objects that deliver Airflow are healthy, as the watcher reads them from the
// Kubernetes API while the nodes are up. A cluster that sleeps 22 hours a day has nobody looking at
// `flux get`: a failed upgrade or a broken Kustomization must reach the operator by itself. The watcher
// publishes the count of unhealthy objects as a metric and an alarm mails the operator
// (scheduler/component.ts). Pure: which objects, their API paths, and what their status says.

import { AIRFLOW_NAMESPACE, AIRFLOW_RELEASE_NAME } from "./values";
import { IMAGE_AUTOMATION } from "../registry/image-tags";

export const FLUX_NAMESPACE = "flux-system";
/** The root Kustomization (Pulumi creates it: cluster/flux-sources.ts). */
export const ROOT_KUSTOMIZATION = "platform";
/** The tenants' Kustomization (gitops/clusters/<stack>/tenants.yaml). */
export const TENANTS_KUSTOMIZATION = "tenants";
/** The Kubernetes group the watcher's IAM role is mapped to (its EKS access entry); RBAC grants it read. */
export const FLUX_STATUS_GROUP = "data-platform:flux-status";

export interface FluxObjectRef {
    readonly apiVersion: string;
    readonly kind: string;
    /** The resource's plural, as in the API path and in RBAC rules. */
    readonly plural: string;
    readonly namespace: string;
    readonly name: string;
}

/** What delivers Airflow: the root, the tenants, the Airflow release, and the image automation. */
export const WATCHED_FLUX_OBJECTS: readonly FluxObjectRef[] = [
    { apiVersion: "kustomize.toolkit.fluxcd.io/v1", kind: "Kustomization", plural: "kustomizations", namespace: FLUX_NAMESPACE, name: ROOT_KUSTOMIZATION },
    { apiVersion: "kustomize.toolkit.fluxcd.io/v1", kind: "Kustomization", plural: "kustomizations", namespace: FLUX_NAMESPACE, name: TENANTS_KUSTOMIZATION },
    { apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", plural: "helmreleases", namespace: AIRFLOW_NAMESPACE, name: AIRFLOW_RELEASE_NAME },
    { apiVersion: "image.toolkit.fluxcd.io/v1", kind: "ImageUpdateAutomation", plural: "imageupdateautomations", namespace: IMAGE_AUTOMATION.namespace, name: IMAGE_AUTOMATION.automation },
];

export const refName = (r: FluxObjectRef) => `${r.kind} ${r.namespace}/${r.name}`;

/** The object's path on the Kubernetes API server. */
export const apiPath = (r: FluxObjectRef) => `/apis/${r.apiVersion}/namespaces/${r.namespace}/${r.plural}/${r.name}`;

export interface Readiness {
    readonly object: string;
    /** suspended: deliberately stopped (`flux suspend`, as the image rollback procedure does): reported, not alarmed. */
    readonly state: "ready" | "not-ready" | "suspended";
    readonly reason: string;
    readonly message: string;
}

interface Condition {
    readonly type?: string;
    readonly status?: string;
    readonly reason?: string;
    readonly message?: string;
    readonly observedGeneration?: number;
}

interface FluxObject {
    readonly metadata?: { readonly generation?: number };
    readonly spec?: { readonly suspend?: boolean };
    readonly status?: { readonly observedGeneration?: number; readonly conditions?: readonly Condition[] };
}

/**
 * What an object's status says (Flux's kstatus conventions): Ready=True for the current generation is
 * ready; Ready=False (failed), Ready=Unknown (reconciling) or a status for an older generation (the
 * change not yet reconciled) is not; a missing object (undefined: the API answered 404) is not.
 */
export function readinessOf(ref: FluxObjectRef, object: FluxObject | undefined): Readiness {
    const name = refName(ref);
    if (object === undefined) return { object: name, state: "not-ready", reason: "NotFound", message: "the object does not exist" };
    if (object.spec?.suspend === true) return { object: name, state: "suspended", reason: "Suspended", message: "reconciliation is suspended (flux resume to restart it)" };
    const ready = object.status?.conditions?.find((c) => c.type === "Ready");
    if (ready === undefined) return { object: name, state: "not-ready", reason: "NoStatus", message: "not reconciled yet (no Ready condition)" };
    const generation = object.metadata?.generation;
    const observed = ready.observedGeneration ?? object.status?.observedGeneration;
    if (generation !== undefined && observed !== undefined && observed < generation) {
        return { object: name, state: "not-ready", reason: "Stale", message: `generation ${generation} not reconciled yet (status is for ${observed})` };
    }
    return {
        object: name,
        state: ready.status === "True" ? "ready" : "not-ready",
        reason: ready.reason ?? (ready.status === "True" ? "Ready" : "Unknown"),
        message: ready.message ?? "",
    };
}

/** The Flux health as the watcher saw it; any failure to read it is reported as such (and alarms). */
export type FluxSignal =
    | { readonly ok: true; readonly objects: readonly Readiness[] }
    | { readonly ok: false; readonly error: string };

/** The objects that count against the alarm: not ready (suspended ones do not). */
export function unhealthy(signal: FluxSignal): string[] {
    if (!signal.ok) return [`cannot read Flux's status: ${signal.error}`];
    return signal.objects.filter((o) => o.state === "not-ready").map((o) => `${o.object}: ${o.reason}${o.message ? `: ${o.message}` : ""}`);
}
