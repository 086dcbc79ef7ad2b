// Grants that connect: one table of every network path the platform needs, walked on each stack's
// evaluated graph. A path is open when the destination's security group admits the port from the
// source (a rule naming the source's group, or a CIDR that holds the source) and the source's group
// lets it out (security groups the program creates have no egress but their rules; the cluster's own
// group, made by EKS, allows all egress). Then the other way: every ingress rule the program creates
// is one of these paths, so nothing else is open. Not checked here: NACLs (the program creates none;
// the VPC's default NACL admits everything) and the ALB's backend rules, which the load balancer
// controller writes at run time (manage-backend-security-group-rules).

import { strict as assert } from "assert";
import type { Evaluation } from "../offline/evaluate";
import type { RecordedResource } from "../offline/mocks";
import { STACKS, stackEvaluation } from "./stacks";
import { only } from "./resources";

const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule";
const SG = "aws:ec2/securityGroup:SecurityGroup";

type Endpoint = { readonly sg: string } | { readonly cidr: string };
interface Path {
    readonly name: string;
    readonly from: (e: Evaluation) => Endpoint;
    readonly to: (e: Evaluation) => string;
    readonly port: number;
    /** Only where the stack has the part. */
    readonly when?: (e: Evaluation) => boolean;
    /**
     * The destination's rule is written at run time by the load balancer controller (the backend
     * security group it manages on the nodes), not by the program: only the source's side is checked.
     */
    readonly admittedByController?: boolean;
}

const sgOf = (e: Evaluation, suffix: string) => only(e, SG, suffix).id!;
const clusterSg = (e: Evaluation) => only(e, "aws:eks/cluster:Cluster", "cluster-eks").state.vpcConfig.clusterSecurityGroupId as string;
const vpcCidr = (e: Evaluation) => only(e, "aws:ec2/vpc:Vpc", "network-vpc").inputs.cidrBlock as string;
const privateCidrs = (e: Evaluation) => e.ofType("aws:ec2/subnet:Subnet").filter((s) => s.inputs.tags?.Tier === "private").map((s) => s.inputs.cidrBlock as string);

/** Every path the platform needs, and nothing more. */
export const REQUIRED_PATHS: readonly Path[] = [
    { name: "watcher → metastore (PostgreSQL)", from: (e) => ({ sg: sgOf(e, "scheduler-watch-sg") }), to: (e) => sgOf(e, "metastore-sg"), port: 5432 },
    { name: "pods → metastore (PostgreSQL)", from: (e) => ({ sg: clusterSg(e) }), to: (e) => sgOf(e, "metastore-sg"), port: 5432 },
    { name: "pods → search domain (HTTPS)", from: (e) => ({ sg: clusterSg(e) }), to: (e) => sgOf(e, "logstore-search-sg"), port: 443, when: (e) => e.ofType(SG).some((g) => g.name.endsWith("logstore-search-sg")) },
    { name: "watcher → Kubernetes API (HTTPS, Flux's status)", from: (e) => ({ sg: sgOf(e, "scheduler-watch-sg") }), to: clusterSg, port: 443 },
    { name: "the VPC (deploy host, task pods) → Kubernetes API", from: (e) => ({ cidr: vpcCidr(e) }), to: clusterSg, port: 443 },
    { name: "ALB → API server pods (8080)", from: (e) => ({ sg: sgOf(e, "cluster-ui-alb-sg") }), to: clusterSg, port: 8080, when: (e) => e.ofType(SG).some((g) => g.name.endsWith("cluster-ui-alb-sg")), admittedByController: true },
    ...[0, 1, 2].map((i): Path => ({
        name: `private subnet ${i + 1} → NAT instance (egress)`, from: (e) => ({ cidr: privateCidrs(e)[i] }), to: (e) => sgOf(e, "network-nat-sg"), port: 443,
        when: (e) => e.ofType(SG).some((g) => g.name.endsWith("network-nat-sg")),
    })),
];

const inRange = (r: RecordedResource, port: number) => r.inputs.ipProtocol === "-1" || (r.inputs.ipProtocol === "tcp" && r.inputs.fromPort <= port && port <= r.inputs.toPort);
/** a.b.c.d/n contains the network x (or equals it). */
function cidrContains(outer: string, inner: string): boolean {
    const parse = (c: string) => { const [ip, bits] = c.split("/"); return { n: ip.split(".").reduce((acc, o) => acc * 256 + Number(o), 0), bits: Number(bits) }; };
    const o = parse(outer);
    const i = parse(inner);
    if (i.bits < o.bits) return false;
    const size = 2 ** (32 - o.bits);
    return Math.floor(o.n / size) === Math.floor(i.n / size);
}

/** The ingress rules of `to` that let `from` in on `port`. */
function admitting(e: Evaluation, from: Endpoint, to: string, port: number): RecordedResource[] {
    return e.ofType(INGRESS).filter((r) => r.inputs.securityGroupId === to && inRange(r, port)
        && ("sg" in from ? r.inputs.referencedSecurityGroupId === from.sg : r.inputs.cidrIpv4 !== undefined && cidrContains(r.inputs.cidrIpv4, from.cidr)));
}

/** Whether the source's group lets the packet out: its egress rules if the program made it, else EKS's allow-all. */
function letsOut(e: Evaluation, from: Endpoint, to: string, port: number): boolean {
    if (!("sg" in from)) return true;
    if (!e.ofType(SG).some((g) => g.id === from.sg)) return true; // the cluster's group: EKS's allow-all egress
    return e.ofType(EGRESS).some((r) => r.inputs.securityGroupId === from.sg && inRange(r, port)
        && (r.inputs.referencedSecurityGroupId === to || r.inputs.cidrIpv4 === "0.0.0.0/0" || (r.inputs.cidrIpv4 !== undefined && cidrContains(r.inputs.cidrIpv4, vpcCidr(e)))));
}

for (const stack of STACKS) {
    describe(`required network paths, on the ${stack} stack as evaluated`, function () {
        this.timeout(120_000);
        let e: Evaluation;
        before(async () => {
            e = await stackEvaluation(stack);
        });

        it("every required path is admitted by its destination and let out by its source", () => {
            const open = REQUIRED_PATHS.filter((p) => p.when?.(e) ?? true);
            assert.ok(open.length >= 6, `${open.length} paths apply`);
            const closed = open.filter((p) => (!p.admittedByController && admitting(e, p.from(e), p.to(e), p.port).length === 0) || !letsOut(e, p.from(e), p.to(e), p.port)).map((p) => p.name);
            assert.deepEqual(closed, []);
        });

        it("nothing else is open: every ingress rule the program creates serves a required path (the UI's allow-list aside)", () => {
            const open = REQUIRED_PATHS.filter((p) => p.when?.(e) ?? true);
            const used = new Set(open.flatMap((p) => admitting(e, p.from(e), p.to(e), p.port).map((r) => r.name)));
            // The UI's load balancer admits 80 and 443 from uiAllowedCidrs only: config/config.ts checks the list, policy no-world-ingress the rule.
            const others = e.ofType(INGRESS).filter((r) => !used.has(r.name) && !/cluster-ui-alb-https?-\d+$/.test(r.name)).map((r) => r.name);
            assert.deepEqual(others, []);
        });

        it("sees a break: without the metastore's rule for the watcher, its path is closed (and the watcher would count a timeout as busy)", () => {
            const rule = only(e, INGRESS, "metastore-from-scheduler");
            const without = { ofType: (t: string) => e.ofType(t).filter((r) => r !== rule) } as unknown as Evaluation;
            const watcherPath = REQUIRED_PATHS[0];
            assert.equal(admitting(without, watcherPath.from(e), watcherPath.to(e), 5432).length, 0);
            assert.ok(admitting(e, watcherPath.from(e), watcherPath.to(e), 5432).length === 1);
        });
    });
}
