// What Kubernetes NetworkPolicies admit, as the API's semantics define it (Kubernetes docs, "Network
// Policies", and the networking.k8s.io/v1 API reference), asked of the objects the cluster would really
// get (kustomize-built, Flux-substituted, the chart rendered by helm):
// - a pod is isolated for ingress when some policy in its namespace selects it and has Ingress in its
//   policyTypes (policyTypes absent: Ingress);
// - an isolated pod admits a connection when some ingress rule of some policy selecting it admits it;
//   policies add up, none takes anything away;
// - a rule admits when its ports admit the port (absent or empty: every port; a named port is the
//   destination container's port of that name; protocol TCP unless given; endPort a range) and its
//   `from` admits the source (absent or empty: every source; else any peer: podSelector alone is the
//   policy's namespace, namespaceSelector alone every pod of those namespaces, both together both;
//   ipBlock a CIDR minus its excepts, for sources outside the cluster's pods).
// The enforcer here is the VPC CNI's network policy agent, which implements these semantics; it is
// not run here (no cluster), so this is the API's contract, not the agent's implementation.

export interface Selector {
    readonly matchLabels?: Readonly<Record<string, string>>;
    readonly matchExpressions?: readonly { key: string; operator: "In" | "NotIn" | "Exists" | "DoesNotExist"; values?: readonly string[] }[];
}

export interface Pod {
    /** A name to read in failures. */
    readonly name: string;
    readonly namespace: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly ports: readonly { readonly name?: string; readonly containerPort: number; readonly protocol?: string }[];
}

/** Where a connection comes from: a pod of the cluster, or an address outside it (an ALB's, in a subnet). */
export type Source = { readonly pod: Pod } | { readonly ip: string };

/** Namespaces' labels: every namespace carries kubernetes.io/metadata.name (set by the API server). */
export type Namespaces = Readonly<Record<string, Readonly<Record<string, string>>>>;

export function selects(selector: Selector | undefined, labels: Readonly<Record<string, string>>): boolean {
    if (selector === undefined) return false;
    for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
    for (const e of selector.matchExpressions ?? []) {
        const has = Object.prototype.hasOwnProperty.call(labels, e.key);
        const ok = e.operator === "In" ? has && (e.values ?? []).includes(labels[e.key])
            : e.operator === "NotIn" ? !has || !(e.values ?? []).includes(labels[e.key])
                : e.operator === "Exists" ? has
                    : e.operator === "DoesNotExist" ? !has
                        : false;
        if (!ok) return false;
    }
    return true;
}

const ipv4 = (ip: string) => ip.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
export function inCidr(ip: string, cidr: string): boolean {
    const [base, bits] = cidr.split("/");
    const size = 2 ** (32 - Number(bits));
    return Math.floor(ipv4(ip) / size) === Math.floor(ipv4(base) / size);
}

function portAdmits(rulePorts: readonly any[] | undefined, to: Pod, port: number, protocol: string): boolean {
    if (rulePorts === undefined || rulePorts.length === 0) return true;
    return rulePorts.some((p) => {
        if ((p.protocol ?? "TCP") !== protocol) return false;
        if (p.port === undefined) return true;
        if (typeof p.port === "string" && !/^\d+$/.test(p.port)) {
            return to.ports.some((c) => c.name === p.port && c.containerPort === port && (c.protocol ?? "TCP") === protocol);
        }
        const from = Number(p.port);
        return p.endPort === undefined ? port === from : port >= from && port <= p.endPort;
    });
}

function peerAdmits(peer: any, policyNamespace: string, source: Source, namespaces: Namespaces): boolean {
    if ("ip" in source) {
        if (peer.ipBlock === undefined) return false;
        return inCidr(source.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((c: string) => inCidr(source.ip, c));
    }
    if (peer.ipBlock !== undefined) return false;
    const pod = source.pod;
    const nsOk = peer.namespaceSelector === undefined ? pod.namespace === policyNamespace : selects(peer.namespaceSelector, namespaces[pod.namespace] ?? {});
    const podOk = peer.podSelector === undefined ? true : selects(peer.podSelector, pod.labels);
    return nsOk && podOk;
}

/** Whether the policies admit a connection from `source` to `to` on `port`, and which policy does. */
export function admits(policies: readonly any[], to: Pod, port: number, source: Source, namespaces: Namespaces, protocol = "TCP"): { admitted: boolean; why: string } {
    const selecting = policies.filter((p) => p.kind === "NetworkPolicy" && (p.metadata.namespace ?? "default") === to.namespace
        && selects(p.spec.podSelector, to.labels) && (p.spec.policyTypes ?? ["Ingress"]).includes("Ingress"));
    if (selecting.length === 0) return { admitted: true, why: "no policy isolates the pod" };
    for (const p of selecting) {
        for (const rule of p.spec.ingress ?? []) {
            const fromOk = rule.from === undefined || rule.from.length === 0 || rule.from.some((peer: any) => peerAdmits(peer, p.metadata.namespace, source, namespaces));
            if (fromOk && portAdmits(rule.ports, to, port, protocol)) return { admitted: true, why: `admitted by ${p.metadata.name}` };
        }
    }
    return { admitted: false, why: `isolated by ${selecting.map((p) => p.metadata.name).join(", ")}; no rule admits it` };
}
