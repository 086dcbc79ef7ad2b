// Kubernetes objects this project writes by hand (the rest come from Helm charts): the namespaces the
// platform owns, with Pod Security Admission labels, and the ConfigMap shape Flux substitutes from.
// Pure builders returning plain manifests; the component creates them with `k8s.core.v1.Namespace` /
// `k8s.core.v1.ConfigMap` and the cluster's provider, and tests validate them against the published
// Kubernetes schemas (kubernetes-models).

import { FLUX_STATUS_GROUP, WATCHED_FLUX_OBJECTS, type FluxObjectRef } from "../airflow/flux-status";

export type PodSecurityLevel = "privileged" | "baseline" | "restricted";

export interface NamespaceManifest {
    readonly apiVersion: "v1";
    readonly kind: "Namespace";
    readonly metadata: { readonly name: string; readonly labels: Readonly<Record<string, string>> };
}

export interface ConfigMapManifest {
    readonly apiVersion: "v1";
    readonly kind: "ConfigMap";
    readonly metadata: { readonly name: string; readonly namespace: string; readonly labels?: Readonly<Record<string, string>> };
    readonly data: Readonly<Record<string, string>>;
}

const MANAGED_BY = { "app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "data-platform" };

/**
 * A namespace whose pods Pod Security Admission holds to `enforce`, and which warns and audits
 * against `warnAndAudit` (a stricter level shows what hardening remains without refusing pods).
 */
export function namespace(name: string, enforce: PodSecurityLevel, warnAndAudit: PodSecurityLevel = enforce): NamespaceManifest {
    return {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: {
            name,
            labels: {
                ...MANAGED_BY,
                "pod-security.kubernetes.io/enforce": enforce,
                "pod-security.kubernetes.io/enforce-version": "latest",
                "pod-security.kubernetes.io/warn": warnAndAudit,
                "pod-security.kubernetes.io/audit": warnAndAudit,
            },
        },
    };
}

/**
 * The namespaces Pulumi creates before the Helm releases (each release then uses its namespace
 * rather than creating it, so the labels are Pulumi's):
 * - `logging`: privileged. Fluent Bit mounts hostPath volumes (/var/log, its buffer), which baseline
 *   forbids; nothing else runs there.
 * - `flux-system`: restricted. Every Flux controller and the chart's pre-install check Job run
 *   non-root, read-only root filesystem, no privilege escalation, all capabilities dropped,
 *   seccomp RuntimeDefault (flux2 chart 2.18.3 templates).
 * - `airflow`: baseline enforced, restricted warned and audited. The Airflow chart's pods need no
 *   host access (baseline holds), but whether every container of chart 1.22.0 also sets seccomp
 *   RuntimeDefault and drops all capabilities depends on the values airflow/values.ts builds; enforcing
 *   restricted before that is proven would refuse Airflow's pods at night with nobody watching.
 *   Tighten to restricted once airflow/values.ts sets those security contexts.
 * kube-system exists already and is not managed here.
 */
export function platformNamespaces(): { readonly logging: NamespaceManifest; readonly fluxSystem: NamespaceManifest; readonly airflow: NamespaceManifest } {
    return {
        logging: namespace("logging", "privileged", "privileged"),
        fluxSystem: namespace("flux-system", "restricted"),
        airflow: namespace("airflow", "baseline", "restricted"),
    };
}

/** A ConfigMap of string data. Kubernetes requires string values; a key must be a valid ConfigMap key. */
export function configMap(args: { namespace: string; name: string; data: Readonly<Record<string, string>> }): ConfigMapManifest {
    for (const [key, value] of Object.entries(args.data)) {
        if (!/^[-._a-zA-Z0-9]+$/.test(key)) throw new Error(`ConfigMap ${args.namespace}/${args.name}: key "${key}" is not a valid ConfigMap key`);
        if (typeof value !== "string") throw new Error(`ConfigMap ${args.namespace}/${args.name}: value of "${key}" is not a string`);
    }
    return { apiVersion: "v1", kind: "ConfigMap", metadata: { name: args.name, namespace: args.namespace, labels: { ...MANAGED_BY } }, data: { ...args.data } };
}

/**
 * `flux-system/platform-settings`, whose keys are the ${VARIABLES} Flux substitutes into the GitOps
 * tree (postBuild.substituteFrom). The data come from airflow/platform-settings.ts (the list and its
 * builder live there); this only fixes the object's name, namespace and shape.
 */
export function platformSettingsConfigMap(data: Readonly<Record<string, string>>): ConfigMapManifest {
    for (const key of Object.keys(data)) {
        // Flux's substitution variables: letters, digits and underscores, not starting with a digit.
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new Error(`platform-settings: "${key}" is not a Flux substitution variable name`);
    }
    const cm = configMap({ namespace: "flux-system", name: "platform-settings", data });
    // kustomize-controller watches substituteFrom ConfigMaps that carry this label and reconciles the
    // Kustomizations that use them at once (Flux 2.5+, "postBuild" in the Kustomization docs), instead
    // of at the next 10-minute interval.
    return { ...cm, metadata: { ...cm.metadata, labels: { ...cm.metadata.labels, "reconcile.fluxcd.io/watch": "Enabled" } } };
}

export const FLUX_STATUS_ROLE = "data-platform-flux-status";

/**
 * The watcher's rights in the Kubernetes API: `get` on exactly the Flux objects it reads
 * (airflow/flux-status.ts WATCHED_FLUX_OBJECTS), by name, for the group its access entry maps it to.
 * Nothing to list, watch or change, and no Secret.
 */
export function fluxStatusReader(objects: readonly FluxObjectRef[] = WATCHED_FLUX_OBJECTS) {
    const groups = [...new Set(objects.map((o) => o.apiVersion.split("/")[0]))].sort();
    const rules = groups.flatMap((apiGroup) => {
        const ofGroup = objects.filter((o) => o.apiVersion.split("/")[0] === apiGroup);
        return [...new Set(ofGroup.map((o) => o.plural))].sort().map((resource) => ({
            apiGroups: [apiGroup],
            resources: [resource],
            resourceNames: [...new Set(ofGroup.filter((o) => o.plural === resource).map((o) => o.name))].sort(),
            verbs: ["get"],
        }));
    });
    return {
        clusterRole: {
            apiVersion: "rbac.authorization.k8s.io/v1" as const,
            kind: "ClusterRole" as const,
            metadata: { name: FLUX_STATUS_ROLE, labels: MANAGED_BY },
            rules,
        },
        clusterRoleBinding: {
            apiVersion: "rbac.authorization.k8s.io/v1" as const,
            kind: "ClusterRoleBinding" as const,
            metadata: { name: FLUX_STATUS_ROLE, labels: MANAGED_BY },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: FLUX_STATUS_ROLE },
            subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: FLUX_STATUS_GROUP }],
        },
    };
}
