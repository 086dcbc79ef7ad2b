// The NetworkPolicy judge (tests/network-policy.ts) on the cases the Kubernetes docs spell out
// ("Network Policies": the default policies, "Behavior of to and from selectors", named ports, endPort).

import { strict as assert } from "assert";
import { admits, type Pod } from "./network-policy";

const ns = { a: { "kubernetes.io/metadata.name": "a", team: "x" }, b: { "kubernetes.io/metadata.name": "b" } };
const pod = (name: string, namespace: string, labels: Record<string, string>, ports: Pod["ports"] = []): Pod => ({ name, namespace, labels, ports });
const policy = (name: string, namespace: string, spec: object) => ({ kind: "NetworkPolicy", metadata: { name, namespace }, spec });
const web = pod("web", "a", { app: "web" }, [{ name: "http", containerPort: 8080 }]);
const client = pod("client", "a", { role: "client" });
const elsewhere = pod("client", "b", { role: "client" });

describe("the NetworkPolicy judge, on the semantics the Kubernetes docs give", () => {
    it("no policy selecting a pod: everything reaches it; a default deny: nothing", () => {
        assert.equal(admits([], web, 8080, { pod: client }, ns).admitted, true);
        const deny = policy("deny", "a", { podSelector: {}, policyTypes: ["Ingress"] });
        assert.equal(admits([deny], web, 8080, { pod: client }, ns).admitted, false);
        assert.equal(admits([deny], web, 8080, { pod: client }, { ...ns }).why, "isolated by deny; no rule admits it");
        // Another namespace's deny does not isolate this one's pods; an Egress-only policy isolates no ingress.
        assert.equal(admits([policy("deny", "b", { podSelector: {} })], web, 8080, { pod: client }, ns).admitted, true);
        assert.equal(admits([policy("egress", "a", { podSelector: {}, policyTypes: ["Egress"] })], web, 8080, { pod: client }, ns).admitted, true);
    });
    it("policies add up: a deny and an allow together admit what the allow names", () => {
        const deny = policy("deny", "a", { podSelector: {} });
        const allow = policy("allow", "a", { podSelector: { matchLabels: { app: "web" } }, ingress: [{ ports: [{ port: 8080 }] }] });
        assert.equal(admits([deny, allow], web, 8080, { pod: client }, ns).admitted, true);
        assert.equal(admits([deny, allow], web, 9090, { pod: client }, ns).admitted, false);
    });
    it("podSelector and namespaceSelector in one peer are AND; in two peers, OR", () => {
        const and = policy("and", "a", { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: "x" } }, podSelector: { matchLabels: { role: "client" } } }] }] });
        const or = policy("or", "a", { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "b" } } }, { podSelector: { matchLabels: { role: "client" } } }] }] });
        assert.equal(admits([and], web, 8080, { pod: client }, ns).admitted, true);
        assert.equal(admits([and], web, 8080, { pod: elsewhere }, ns).admitted, false, "namespace b has no team label");
        assert.equal(admits([or], web, 8080, { pod: elsewhere }, ns).admitted, true, "any pod of namespace b");
        assert.equal(admits([or], web, 8080, { pod: pod("other", "a", { role: "server" }) }, ns).admitted, false);
        // podSelector alone means the policy's own namespace.
        const same = policy("same", "a", { podSelector: {}, ingress: [{ from: [{ podSelector: {} }] }] });
        assert.equal(admits([same], web, 8080, { pod: elsewhere }, ns).admitted, false);
        assert.equal(admits([same], web, 8080, { pod: client }, ns).admitted, true);
    });
    it("ipBlock admits addresses in its CIDR but not in its excepts, and no pod peer", () => {
        const block = policy("block", "a", { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: "10.0.0.0/16", except: ["10.0.5.0/24"] } }] }] });
        assert.equal(admits([block], web, 8080, { ip: "10.0.1.9" }, ns).admitted, true);
        assert.equal(admits([block], web, 8080, { ip: "10.0.5.9" }, ns).admitted, false);
        assert.equal(admits([block], web, 8080, { ip: "10.1.0.1" }, ns).admitted, false);
    });
    it("named ports, endPort ranges and protocols", () => {
        const named = policy("named", "a", { podSelector: {}, ingress: [{ ports: [{ port: "http" }] }] });
        assert.equal(admits([named], web, 8080, { pod: client }, ns).admitted, true);
        assert.equal(admits([named], web, 8081, { pod: client }, ns).admitted, false);
        const range = policy("range", "a", { podSelector: {}, ingress: [{ ports: [{ port: 32000, endPort: 32768 }] }] });
        assert.equal(admits([range], web, 32500, { pod: client }, ns).admitted, true);
        assert.equal(admits([range], web, 32769, { pod: client }, ns).admitted, false);
        assert.equal(admits([range], web, 32500, { pod: client }, ns, "UDP").admitted, false, "TCP unless given");
    });
    it("matchExpressions: In, NotIn, Exists, DoesNotExist", () => {
        const expr = (operator: string, values?: string[]) => policy("e", "a", { podSelector: { matchExpressions: [{ key: "app", operator, values }] } });
        assert.equal(admits([expr("In", ["web"])], web, 8080, { pod: client }, ns).admitted, false, "selected: isolated");
        assert.equal(admits([expr("NotIn", ["web"])], web, 8080, { pod: client }, ns).admitted, true, "not selected");
        assert.equal(admits([expr("Exists")], web, 8080, { pod: client }, ns).admitted, false);
        assert.equal(admits([expr("DoesNotExist")], web, 8080, { pod: client }, ns).admitted, true);
    });
});
