import { strict as assert } from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { contains, formatCidr, overlaps, parseCidr, type Cidr } from "./cidr";
import { parseConfig } from "../config/config";
import { NAT_STRATEGIES, type NatStrategy } from "./config-keys";
import { INSTALL_ATTEMPTS, INSTALL_RETRY_SECONDS, NAT_IMAGE_PARAMETER, natInstanceUserData } from "./nat-instance";
import { physicalNames } from "../core/naming";
import { planNetwork } from "./plan";
import type { Evaluation } from "../offline/evaluate";
import type { RecordedResource } from "../offline/mocks";
import { readStackConfig } from "../offline/stack-config";
import { ingressOf, T } from "../tests/resources";
import { STACKS, stackEvaluation } from "../tests/stacks";
import { buildTopology, NAT_PUBLIC, netnsUnavailable, type Topology } from "../tests/netns";
import { skipLoudly } from "../tests/upstream";

const cidr = (text: string) => parseCidr(text) as Cidr;

describe("cidr maths", () => {
    it("parses, formats and carves blocks", () => {
        assert.equal(formatCidr(cidr("10.20.0.0/16")), "10.20.0.0/16");
        assert.equal(typeof parseCidr("10.20.0.1/16"), "string");
        assert.ok(contains(cidr("10.0.0.0/8"), cidr("10.20.0.0/16")));
        assert.ok(!overlaps(cidr("10.0.0.0/18"), cidr("10.0.64.0/18")));
        assert.ok(overlaps(cidr("10.0.0.0/16"), cidr("10.0.64.0/18")));
    });
});

describe("network plan (pure)", () => {
    const zones = ["us-east-1a", "us-east-1b", "us-east-1c"];
    for (const vpcCidr of ["10.0.0.0/16", "172.16.0.0/20", "192.168.0.0/18"]) {
        it(`lays out non-overlapping subnets inside ${vpcCidr}`, () => {
            const plan = planNetwork({ vpcCidr, availabilityZones: zones, natStrategy: "single-gateway", clusterName: "c" });
            const all = [...plan.publicSubnets, ...plan.privateSubnets].map((s) => cidr(s.cidr));
            all.forEach((a, i) => {
                assert.ok(contains(cidr(vpcCidr), a), `${formatCidr(a)} outside ${vpcCidr}`);
                all.slice(i + 1).forEach((b) => assert.ok(!overlaps(a, b), `${formatCidr(a)} overlaps ${formatCidr(b)}`));
            });
            const vpcPrefix = cidr(vpcCidr).prefix;
            plan.privateSubnets.forEach((s) => assert.equal(cidr(s.cidr).prefix, vpcPrefix + 2));
            plan.publicSubnets.forEach((s) => assert.equal(cidr(s.cidr).prefix, vpcPrefix + 4));
        });
    }
    it("gives a /16 VPC private /18s (16,384 pod and node addresses per zone) and public /20s", () => {
        const plan = planNetwork({ vpcCidr: "10.0.0.0/16", availabilityZones: zones, natStrategy: "instance", clusterName: "c" });
        assert.deepEqual(plan.privateSubnets.map((s) => s.cidr), ["10.0.0.0/18", "10.0.64.0/18", "10.0.128.0/18"]);
        assert.deepEqual(plan.publicSubnets.map((s) => s.cidr), ["10.0.192.0/20", "10.0.208.0/20", "10.0.224.0/20"]);
    });
    it("decides egress per strategy, and says why", () => {
        const plan = (natStrategy: NatStrategy) => planNetwork({ vpcCidr: "10.0.0.0/16", availabilityZones: zones, natStrategy, clusterName: "c" });
        assert.deepEqual(plan("gateway-per-az").privateEgress, [0, 1, 2].map((gateway) => ({ kind: "nat-gateway", gateway })));
        assert.deepEqual(plan("single-gateway").privateEgress, [0, 0, 0].map((gateway) => ({ kind: "nat-gateway", gateway })));
        assert.deepEqual(plan("instance").privateEgress, [0, 1, 2].map(() => ({ kind: "nat-instance" })));
        assert.equal(plan("instance").natGateways.length, 0);
        for (const s of NAT_STRATEGIES) assert.ok(plan(s).reason.length > 20);
    });
});

describe("NAT instance boot script", () => {
    const script = natInstanceUserData();
    it("is valid bash", () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "nat-")), "user-data.sh");
        fs.writeFileSync(file, script);
        execFileSync("bash", ["-n", file]); // throws on a syntax error
    });
    // What the script does to packets: run for real in the NAT instance's network namespace, between a
    // host of a private subnet and a server with no route back to it (tests/netns.ts). Amazon Linux's
    // dnf, systemctl and service are stand-ins: the install succeeds, `systemctl enable --now iptables`
    // loads what iptables-services ships in /etc/sysconfig/iptables (its FORWARD chain rejects
    // everything), `service iptables save` writes iptables-save's output where that file would be.
    describe("on real packets, in network namespaces (ip netns, iptables)", function () {
        this.timeout(60_000);
        const ALINUX_DEFAULT_RULES = [
            "*filter", ":INPUT ACCEPT [0:0]", ":FORWARD ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]",
            "-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT", "-A INPUT -p icmp -j ACCEPT", "-A INPUT -i lo -j ACCEPT",
            "-A INPUT -p tcp -m state --state NEW -m tcp --dport 22 -j ACCEPT", "-A INPUT -j REJECT --reject-with icmp-host-prohibited",
            "-A FORWARD -j REJECT --reject-with icmp-host-prohibited", "COMMIT", "",
        ].join("\n");
        const stubs = {
            dnf: "exit 0",
            systemctl: `[ "$*" = "enable --now iptables" ] && iptables-restore <<'RULES'\n${ALINUX_DEFAULT_RULES}RULES`,
            service: `[ "$*" = "iptables save" ] && iptables-save > "$STATE/sysconfig-iptables"`,
        };
        before(function () {
            const why = netnsUnavailable();
            if (why !== undefined) skipLoudly(this, `NAT BEHAVIOUR NOT TESTED: ${why} (needs root or passwordless sudo, iproute2, iptables, unshare): the NAT script's packet tests are SKIPPED.`);
        });
        const withTopology = async <T>(tag: string, body: (t: Topology) => Promise<T>): Promise<T> => {
            const t = buildTopology(tag);
            try {
                return await body(t);
            } finally {
                t.destroy();
            }
        };

        it("the private host reaches the internet through it, seen from the NAT's public address; the rules are saved", async () => {
            await withTopology("dpnat", async (t) => {
                assert.equal((await t.connect()).ok, false, "before the script: nothing forwards");
                const r = t.runOnNat(script, stubs);
                assert.equal(r.status, 0, r.output);
                assert.deepEqual(await t.connect(), { ok: true, seenFrom: NAT_PUBLIC });
                const saved = fs.readFileSync(path.join(r.state, "sysconfig-iptables"), "utf8");
                assert.match(saved, /-A POSTROUTING -o ens5 -j MASQUERADE/, "kept for the next boot");
                assert.match(fs.readFileSync(path.join(r.state, "sysctl.d", "90-nat.conf"), "utf8"), /^net\.ipv4\.ip_forward = 1$/m, "forwarding kept for the next boot");
                assert.doesNotMatch(saved.slice(saved.indexOf("*filter")), /-A FORWARD -j REJECT/);
            });
        });
        it("each step matters: without the masquerade the server's answer has no way back; without the FORWARD flush Amazon Linux's default rejects", async () => {
            for (const [tag, line] of [["dpnm", "iptables -t nat -A POSTROUTING"], ["dpnf", "iptables -F FORWARD"]] as const) {
                const broken = script.split("\n").filter((l) => !l.startsWith(line)).join("\n");
                assert.notEqual(broken, script, `the script has a line starting ${line}`);
                await withTopology(tag, async (t) => {
                    assert.equal(t.runOnNat(broken, stubs).status, 0);
                    const c = await t.connect();
                    assert.equal(c.ok, false, `without ${line}: ${JSON.stringify(c)}`);
                });
            }
        });
    });
    it("retries the package install until it has egress, a bounded number of times, before anything else", () => {
        // The loop as the script has it, run with a dnf that fails until its third call and a sleep that
        // only counts: proves it waits out a late Elastic IP, and gives up (exit 1) when egress never comes.
        const loop = script.slice(script.indexOf("for attempt"), script.indexOf("done\n") + 5);
        assert.ok(script.indexOf(loop) < script.indexOf("systemctl"), "the install loop runs first");
        const run = (failures: number) => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nat-retry-"));
            fs.writeFileSync(path.join(dir, "dnf"), `#!/bin/bash\nn=$(cat ${dir}/calls 2>/dev/null || echo 0); echo $((n+1)) > ${dir}/calls; [ $n -ge ${failures} ]\n`, { mode: 0o755 });
            fs.writeFileSync(path.join(dir, "sleep"), `#!/bin/bash\necho "$1" >> ${dir}/slept\n`, { mode: 0o755 });
            const result = spawnSync("bash", ["-c", `set -euo pipefail\n${loop}\necho installed`], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` }, encoding: "utf8" });
            const slept = fs.existsSync(path.join(dir, "slept")) ? fs.readFileSync(path.join(dir, "slept"), "utf8").trim().split("\n") : [];
            return { status: result.status, stdout: result.stdout, calls: Number(fs.readFileSync(path.join(dir, "calls"), "utf8")), slept };
        };
        const late = run(2);
        assert.equal(late.status, 0);
        assert.match(late.stdout, /installed/);
        assert.equal(late.calls, 3);
        assert.deepEqual(late.slept, [String(INSTALL_RETRY_SECONDS), String(INSTALL_RETRY_SECONDS)]);
        const never = run(1000);
        assert.equal(never.status, 1);
        assert.equal(never.calls, INSTALL_ATTEMPTS);
        assert.equal(never.slept.length, INSTALL_ATTEMPTS - 1);
    });
});

/** Resources of a type whose name starts with the Network component's name. */
function network(e: Evaluation) {
    const names = physicalNames(parseConfig(e.config.values, e.config));
    const component = e.get("data-platform:index:Network", `${names.prefix}-network`);
    const children = e.childrenOf(component);
    const of = (type: string) => children.filter((r) => r.type === type);
    return { names, component, children, of };
}

function defaultRoute(e: Evaluation, table: RecordedResource): RecordedResource {
    const routes = e.ofType(T.route).filter((r) => r.inputs.routeTableId === table.id && r.inputs.destinationCidrBlock === "0.0.0.0/0");
    assert.equal(routes.length, 1, `${table.name} has ${routes.length} default routes`);
    return routes[0];
}

function tableOf(e: Evaluation, subnet: RecordedResource): RecordedResource {
    const assoc = e.ofType(T.association).filter((a) => a.inputs.subnetId === subnet.id);
    assert.equal(assoc.length, 1, `${subnet.name} has ${assoc.length} route table associations`);
    return e.byId(assoc[0].inputs.routeTableId);
}

for (const stack of STACKS) {
    describe(`Network under mocks: stack ${stack}`, () => {
        let e: Evaluation;
        before(async () => {
            e = await stackEvaluation(stack);
        });
        const zones = () => JSON.parse(e.config.values["data-platform:availabilityZones"]) as string[];

        it("spans the configured zones with one public and one private subnet in each", () => {
            const { of } = network(e);
            const subnets = of(T.subnet);
            assert.equal(zones().length, 3);
            for (const tier of ["public", "private"]) {
                const inTier = subnets.filter((s) => s.inputs.tags.Tier === tier);
                assert.deepEqual(inTier.map((s) => s.inputs.availabilityZone).sort(), [...zones()].sort(), `${tier} subnets per zone`);
            }
            assert.equal(subnets.length, 2 * zones().length);
            const vpc = of(T.vpc);
            assert.equal(vpc.length, 1);
            assert.equal(vpc[0].inputs.cidrBlock, e.config.values["data-platform:vpcCidr"]);
            for (const s of subnets) {
                assert.equal(s.inputs.vpcId, vpc[0].id);
                assert.ok(contains(cidr(vpc[0].inputs.cidrBlock), cidr(s.inputs.cidrBlock)));
                assert.equal(s.inputs.mapPublicIpOnLaunch, false, `${s.name} must not hand out public IPs`);
            }
        });

        it("tags subnets for EKS and the AWS Load Balancer Controller: public ones only in the UI's load balancer zones", () => {
            const { of, names } = network(e);
            // Written out rather than read back from the config: prod's ALB spans a and b, staging's every zone.
            const lbZones = stack === "prod" ? ["us-east-1a", "us-east-1b"] : ["us-east-1a", "us-east-1b", "us-east-1c"];
            for (const s of of(T.subnet)) {
                assert.equal(s.inputs.tags[`kubernetes.io/cluster/${names.clusterName}`], "shared", s.name);
                const publicTier = s.inputs.tags.Tier === "public";
                const role = publicTier ? "kubernetes.io/role/elb" : "kubernetes.io/role/internal-elb";
                const other = publicTier ? "kubernetes.io/role/internal-elb" : "kubernetes.io/role/elb";
                const tagged = !publicTier || lbZones.includes(s.inputs.availabilityZone);
                assert.equal(s.inputs.tags[role], tagged ? "1" : undefined, `${s.name} ${tagged ? "lacks" : "must not carry"} ${role}`);
                assert.equal(s.inputs.tags[other], undefined, `${s.name} must not carry ${other}`);
            }
        });

        it("routes public subnets to the internet gateway", () => {
            const { of } = network(e);
            const igw = of(T.igw);
            assert.equal(igw.length, 1);
            for (const s of of(T.subnet).filter((x) => x.inputs.tags.Tier === "public")) {
                assert.equal(defaultRoute(e, tableOf(e, s)).inputs.gatewayId, igw[0].id);
            }
        });

        it("gives the private subnets the free S3 gateway endpoint", () => {
            const { of } = network(e);
            const [endpoint] = of(T.endpoint);
            assert.equal(endpoint.inputs.vpcEndpointType, "Gateway");
            assert.equal(endpoint.inputs.serviceName, "com.amazonaws.us-east-1.s3");
            const privateTables = of(T.subnet).filter((s) => s.inputs.tags.Tier === "private").map((s) => tableOf(e, s).id);
            assert.deepEqual([...endpoint.inputs.routeTableIds].sort(), privateTables.sort());
        });

        it("empties the VPC's default security group", () => {
            const [sg] = e.ofType("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup");
            assert.equal(sg.inputs.ingress, undefined);
            assert.equal(sg.inputs.egress, undefined);
        });

        it("parents every resource to a component and names it after its component", () => {
            for (const r of e.resources.filter((x) => x.type.startsWith("aws:"))) {
                assert.ok(r.parent?.startsWith("data-platform:index:"), `${r.type} ${r.name} has parent ${r.parent}`);
                const parentName = r.parent!.split("::")[1];
                assert.ok(r.name.startsWith(`${parentName}-`), `${r.name} is not named ${parentName}-<part>`);
            }
        });

        it("creates every AWS resource through the stack's explicit provider, with the standard tags", () => {
            const providers = e.ofType("pulumi:providers:aws");
            assert.equal(providers.length, 1);
            assert.equal(providers[0].inputs.region, "us-east-1");
            assert.deepEqual(JSON.parse(providers[0].inputs.defaultTags).tags, { Project: "data-platform", Stack: stack, Environment: stack, ManagedBy: "pulumi" });
            for (const r of e.resources.filter((x) => x.type.startsWith("aws:"))) {
                assert.match(r.provider ?? "", /pulumi:providers:aws::aws::aws-provider$/, `${r.name} uses ${r.provider}`);
            }
        });
    });
}

for (const strategy of NAT_STRATEGIES) {
    describe(`NAT strategy ${strategy} (prod, under mocks)`, () => {
        let e: Evaluation;
        before(async () => {
            e = await stackEvaluation("prod", { "data-platform:natStrategy": strategy });
        });

        it("builds the gateways or instance the strategy calls for, in public subnets", () => {
            const { of } = network(e);
            const expected = { "gateway-per-az": [3, 0], "single-gateway": [1, 0], instance: [0, 1] }[strategy];
            assert.equal(of(T.natGateway).length, expected[0], "NAT gateways");
            assert.equal(of(T.instance).length, expected[1], "NAT instances");
            for (const gw of of(T.natGateway)) {
                assert.equal(e.byId(gw.inputs.subnetId).inputs.tags.Tier, "public");
                assert.equal(e.byId(gw.inputs.allocationId).type, T.eip);
            }
        });

        it("sends every private route table's default route to the right NAT", () => {
            const { of } = network(e);
            const privateSubnets = of(T.subnet).filter((s) => s.inputs.tags.Tier === "private");
            assert.equal(privateSubnets.length, 3);
            for (const s of privateSubnets) {
                const table = tableOf(e, s);
                const route = defaultRoute(e, table);
                if (strategy === "instance") {
                    const eni = e.byId(route.inputs.networkInterfaceId);
                    assert.equal(eni.type, T.eni);
                    assert.equal(route.inputs.natGatewayId, undefined);
                } else {
                    const gw = e.byId(route.inputs.natGatewayId);
                    assert.equal(gw.type, T.natGateway);
                    const gwZone = e.byId(gw.inputs.subnetId).inputs.availabilityZone;
                    if (strategy === "gateway-per-az") assert.equal(gwZone, s.inputs.availabilityZone, `${s.name} must use its own zone's gateway`);
                    else assert.equal(gwZone, "us-east-1a");
                }
            }
            // One private route table per zone, none shared, none left without a subnet.
            const tables = privateSubnets.map((s) => tableOf(e, s).id);
            assert.equal(new Set(tables).size, 3);
        });
    });
}

describe("NAT instance design (staging, under mocks)", () => {
    let e: Evaluation;
    before(async () => {
        e = await stackEvaluation("staging");
    });

    it("turns the source/destination check off on the interface the routes target", () => {
        const [eni] = e.ofType(T.eni);
        assert.equal(eni.inputs.sourceDestCheck, false);
        assert.equal(e.byId(eni.inputs.subnetId).inputs.tags.Tier, "public");
        const [instance] = e.ofType(T.instance);
        assert.equal(instance.inputs.primaryNetworkInterface.networkInterfaceId, eni.id);
        const eip = e.ofType(T.eip).filter((x) => x.inputs.networkInterface === eni.id);
        assert.equal(eip.length, 1, "one Elastic IP on the NAT interface");
    });

    it("leaves the source/destination check to the interface: the instance ignores the attribute (provider issue 44768)", () => {
        const [instance] = e.ofType(T.instance);
        assert.equal(instance.inputs.sourceDestCheck, undefined, "the provider refuses the attribute beside primaryNetworkInterface");
        assert.deepEqual([...instance.options!.ignoreChanges].sort(), ["ami", "sourceDestCheck"]);
        assert.equal(instance.options!.deleteBeforeReplace, true);
    });

    it("boots only after its Elastic IP is on the interface", () => {
        const [instance] = e.ofType(T.instance);
        const [eip] = e.ofType(T.eip).filter((x) => x.inputs.networkInterface === instance.inputs.primaryNetworkInterface.networkInterfaceId);
        assert.deepEqual(instance.options!.dependsOn, [`${T.eip}::${eip.name}`]);
    });

    it("requires IMDSv2 with a hop limit of 1, encrypts its disk, and has no key pair", () => {
        const [instance] = e.ofType(T.instance);
        assert.deepEqual(instance.inputs.metadataOptions, { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 });
        assert.equal(instance.inputs.rootBlockDevice.encrypted, true);
        assert.equal(instance.inputs.keyName, undefined);
        assert.equal(instance.inputs.instanceType, "t4g.nano");
        assert.equal(instance.inputs.userData, natInstanceUserData());
        assert.equal(instance.inputs.creditSpecification.cpuCredits, "standard");
    });

    it("takes its image from AWS's public Amazon Linux 2023 arm64 parameter", () => {
        const lookups = e.invokes.filter((i) => i.token === "aws:ssm/getParameter:getParameter");
        assert.deepEqual(lookups.map((i) => i.inputs.name), [NAT_IMAGE_PARAMETER]);
        const [instance] = e.ofType(T.instance);
        assert.equal(instance.inputs.ami, "ami-0123456789abcdef0");
    });

    it("admits traffic from the private subnets only: no SSH, nothing from the internet", () => {
        const [sg] = e.ofType(T.sg).filter((s) => s.name.endsWith("nat-sg"));
        const rules = ingressOf(e, sg);
        const privateCidrs = e.ofType(T.subnet).filter((s) => s.inputs.tags.Tier === "private").map((s) => s.inputs.cidrBlock).sort();
        assert.deepEqual(rules.map((r) => r.inputs.cidrIpv4).sort(), privateCidrs);
        for (const r of rules) assert.ok(r.inputs.description.length > 0);
        assert.equal(sg.inputs.ingress, undefined, "no inline rules beside the rule resources");
    });

    it("is reached through SSM Session Manager, not SSH", () => {
        const attachments = e.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => a.name.includes("nat"));
        assert.deepEqual(attachments.map((a) => a.inputs.policyArn), ["arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"]);
    });
});

describe("stack files load as the CLI would load them", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stackfiles-"));
    fs.copyFileSync(path.join(__dirname, "..", "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));

    it("applies Pulumi.yaml defaults to keys the stack leaves unset, and keeps secure values secret", () => {
        fs.writeFileSync(path.join(dir, "Pulumi.lean.yaml"), "config:\n  aws:region: us-east-1\n  data-platform:ciRepository:\n    secure: AAABAJx\n");
        const cfg = readStackConfig("lean", {}, dir);
        assert.equal(cfg.values["data-platform:vpcCidr"], "10.0.0.0/16");
        assert.equal(cfg.values["data-platform:nodeCount"], "4");
        assert.deepEqual(cfg.secretKeys, ["data-platform:ciRepository"]);
        assert.doesNotMatch(cfg.values["data-platform:ciRepository"], /AAABAJx/);
    });
    it("rejects project keys that Pulumi.yaml does not declare", () => {
        fs.writeFileSync(path.join(dir, "Pulumi.typo.yaml"), "config:\n  data-platform:natStrategyy: instance\n");
        assert.throws(() => readStackConfig("typo", {}, dir), /sets data-platform:natStrategyy, which Pulumi.yaml does not declare/);
    });
});
