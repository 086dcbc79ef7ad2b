// The harness itself: mocks that refuse what they do not know, remote components with outputs, and
// failures that cannot hide behind a green run.

import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as eks from "@pulumi/eks";
import { valueOf } from "./evaluate";
import { evaluateOnce, evaluationError } from "../tests/stacks";

const ROOT = path.join(__dirname, "..");

describe("harness", () => {
    it("fails an evaluation that makes an invoke the mocks do not know", async () => {
        const err = await evaluationError({
            stack: "staging",
            program: async () => {
                aws.ec2.getAmiOutput({ owners: ["amazon"], mostRecent: true, filters: [{ name: "name", values: ["al2023-*"] }] });
            },
        });
        assert.match(err.message, /evaluating stack staging failed:\n  - unmocked invoke aws:ec2\/getAmi:getAmi/);
    });

    it("answers kubernetes:yaml:decode by parsing every document", async () => {
        let decoded: unknown;
        await evaluateOnce({
            stack: "staging",
            program: async () => {
                decoded = await pulumi.runtime.invoke("kubernetes:yaml:decode", { text: "kind: Namespace\nmetadata: {name: a}\n---\nkind: Namespace\nmetadata: {name: b}\n" });
            },
        });
        assert.deepEqual(decoded, { result: [{ kind: "Namespace", metadata: { name: "a" } }, { kind: "Namespace", metadata: { name: "b" } }] });
    });

    it("gives remote components (awsx Vpc, eks Cluster and ManagedNodeGroup) their outputs", async () => {
        const seen: Record<string, unknown> = {};
        const e = await evaluateOnce({
            stack: "staging",
            program: async () => {
                const vpc = new awsx.ec2.Vpc("probe-vpc", { numberOfAvailabilityZones: 3 });
                const cluster = new eks.Cluster("probe-eks", { vpcId: vpc.vpcId, privateSubnetIds: vpc.privateSubnetIds, skipDefaultNodeGroup: true });
                const group = new eks.ManagedNodeGroup("probe-ng", { cluster, scalingConfig: { minSize: 0, desiredSize: 0, maxSize: 4 } });
                seen.vpcId = await valueOf(vpc.vpcId);
                seen.private = await valueOf(vpc.privateSubnetIds);
                seen.kubeconfig = await valueOf(cluster.kubeconfig);
                seen.clusterName = await valueOf(cluster.eksCluster.name);
                seen.nodeGroupName = await valueOf(group.nodeGroup.nodeGroupName);
            },
        });
        assert.match(String(seen.vpcId), /^vpc-[0-9a-f]{17}$/);
        assert.equal((seen.private as string[]).length, 3);
        assert.equal((seen.kubeconfig as { kind: string }).kind, "Config");
        assert.match(String(seen.clusterName), /^probe-eks/);
        assert.match(String(seen.nodeGroupName), /^probe-ng/);
        // Under mocks a remote component registers alone: no children to inspect.
        assert.deepEqual(e.resources.map((r) => r.type).sort(), ["awsx:ec2:Vpc", "eks:index:Cluster", "eks:index:ManagedNodeGroup", "pulumi:pulumi:Stack"]);
    });

    it("fails a remote component it has no outputs for", async () => {
        const err = await evaluationError({
            stack: "staging",
            program: async () => {
                new pulumi.ComponentResource("awsx:ecs:FargateService", "probe", {}, { remote: true } as pulumi.ComponentResourceOptions);
            },
        });
        assert.match(err.message, /remote component awsx:ecs:FargateService has no mocked outputs/);
    });

    it("turns a throwing apply into a failing test run (unhandled rejections are rethrown)", function () {
        this.timeout(60_000);
        const run = spawnSync(process.execPath, [
            require.resolve("mocha/bin/mocha.js"),
            // --no-config: the project's config lists the whole suite, which would include this test again.
            "--no-config", "--require", "ts-node/register", "--require", "tests/setup.ts", "--extension", "ts",
            "tests/fixtures/throwing-apply.fixture.ts",
        ], {
            cwd: ROOT,
            encoding: "utf8",
        });
        assert.notEqual(run.status, 0, `the fixture run passed:\n${run.stdout}`);
        assert.match(run.stdout + run.stderr, /boom in apply \(vpc-[0-9a-f]+\)/);
        assert.match(run.stdout, /0 passing/);
    });
});
