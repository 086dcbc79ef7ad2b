// What `pulumi destroy` does, in order, on each stack's evaluated graph (offline/destroy-order.ts: the
// engine's rule, a resource goes only after everything that depends on it). The failures it must not
// have (README "Tearing down"; aws-load-balancer-controller #2014 and #921, fluxcd/flux2 #632 and
// #4872, pulumi-kubernetes #1920 and #2675):
// - the controller removed before the ALB it made: the ALB and its target group stay, billed, and the
//   UI's security group, the public subnets and the internet gateway then fail with DependencyViolation;
// - namespaces and Flux objects waiting on finalizers whose controllers are gone;
// - the controller cut off from AWS (NAT, routes, DNS, its own policy) or the deployer cut off from the
//   API while the ALB is being deleted.

import { strict as assert } from "assert";
import { DestroyOrder, keyOf } from "../offline/destroy-order";
import * as pulumi from "@pulumi/pulumi";
import { valueOf, type Evaluation } from "../offline/evaluate";
import type { TeardownTarget } from "./steps";
import type { RecordedResource } from "../offline/mocks";
import { T, only } from "../tests/resources";
import { STACKS, stackEvaluation } from "../tests/stacks";

const KUSTOMIZATION = "kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization";
const RELEASE = "kubernetes:helm.sh/v3:Release";

for (const stack of STACKS) {
    describe(`pulumi destroy, in order: stack ${stack}`, () => {
        let e: Evaluation;
        let order: DestroyOrder;
        let root: string;
        let cluster: RecordedResource;
        const key = (type: string, suffix: string) => keyOf(only(e, type, suffix));
        before(async () => {
            e = await stackEvaluation(stack);
            order = new DestroyOrder(e.resources);
            root = key(KUSTOMIZATION, "gitops-root");
            cluster = only(e, "aws:eks/cluster:Cluster", "cluster-eks");
        });

        it("deletes the root Kustomization for real, first of the cluster's objects, waiting up to 30 minutes", () => {
            const r = only(e, KUSTOMIZATION, "gitops-root");
            assert.equal(r.options!.deletedWith, undefined, "its deletion is what uninstalls Airflow: it must not be skipped");
            assert.equal(order.step(root).wave, 0, "nothing has to go before it");
            assert.equal(r.options!.deleteTimeout, "30m");
            // Waiting for what it applied is Flux's, not Pulumi's: the object says so.
            assert.equal(r.inputs.spec.deletionPolicy, "WaitForTermination");
            assert.equal(r.inputs.spec.prune, true);
        });

        it("keeps, until Airflow and its ALB are gone: the controller with its policy and the DNS it resolves AWS with, Flux, the nodes, the API access", () => {
            const kept = [
                key(RELEASE, "load-balancer-controller"),
                key("aws:iam/rolePolicy:RolePolicy", "load-balancer-controller-policy"),
                key("aws:iam/role:Role", "load-balancer-controller-role"),
                key("aws:eks/addon:Addon", "cluster-coredns"),
                key(RELEASE, "cluster-flux"),
                key("aws:eks/nodeGroup:NodeGroup", "cluster-nodes"),
                key("aws:eks/addon:Addon", "cluster-vpc-cni"),
                key("pulumi:providers:kubernetes", "cluster-k8s"),
                keyOf(cluster),
                ...e.ofType("aws:eks/accessPolicyAssociation:AccessPolicyAssociation").map(keyOf),
                ...e.ofType(T.ingress).filter((r) => r.name.endsWith("cluster-api-from-vpc")).map(keyOf),
            ];
            for (const k of kept) assert.ok(order.deletedBefore(root, k), `${k} could go while the root Kustomization is still being deleted`);
        });

        it("keeps the whole network until then: the NAT and routes the controller reaches AWS through, the public subnets and gateway the ALB lives on", () => {
            const network = e.resources.filter((r) => r.custom && r.parent === `data-platform:index:Network::data-platform-${stack}-network`);
            assert.ok(network.length > 20, `the network's resources: ${network.length}`);
            const publicSubnets = e.ofType(T.subnet).filter((s) => s.inputs.tags.Tier === "public");
            assert.equal(publicSubnets.length, 3);
            for (const r of [...network, ...publicSubnets, ...e.ofType(T.igw), ...e.ofType(T.route)]) {
                assert.ok(order.deletedBefore(root, keyOf(r)), `${keyOf(r)} could go while the ALB may still exist`);
            }
        });

        it("deletes the UI's security group only after the root Kustomization (the ALB it is attached to is gone by then)", function () {
            const sgs = e.ofType(T.sg).filter((r) => r.name.endsWith("ui-alb-sg"));
            if (sgs.length === 0) {
                // No UI load balancer on this stack: no Ingress, no ALB, nothing to order.
                assert.equal(only(e, KUSTOMIZATION, "gitops-root").inputs.spec.components, undefined);
                return;
            }
            assert.ok(order.deletedBefore(root, keyOf(sgs[0])));
        });

        it("deletes the ALBs' backend security group (Pulumi's, not one the controller makes and leaves) only after the root Kustomization", () => {
            const backend = only(e, T.sg, "cluster-lb-backend-sg");
            assert.ok(order.deletedBefore(root, keyOf(backend)), "the ALB carries it until the Ingress is gone");
            const values = only(e, RELEASE, "load-balancer-controller").inputs.values;
            assert.equal(values.backendSecurityGroup, backend.id, "the controller is given this group");
        });

        it("deletes every other Kubernetes object with the cluster: none is deleted one by one, so none waits on a finalizer", () => {
            const objects = e.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:") && r.type !== KUSTOMIZATION);
            assert.ok(objects.length > 15, `${objects.length} objects`);
            for (const r of objects) {
                assert.equal(r.options!.deletedWith, keyOf(cluster), `${keyOf(r)} is deleted on its own`);
                assert.ok(order.step(keyOf(r)).skipped);
            }
            // The root is the only Kustomization Pulumi owns; the others (tenants) are in Git, pruned by it.
            assert.deepEqual(e.ofType(KUSTOMIZATION).map((r) => r.name), [`data-platform-${stack}-cluster-gitops-root`]);
        });

        it("tells `npm run teardown` the root Kustomization's URN and the stack's names, in plain", async () => {
            const raw = await valueOf(e.outputs.teardownContext as pulumi.Output<string>);
            const ctx = JSON.parse(raw) as TeardownTarget & { power: { stack: string } };
            assert.equal(ctx.rootKustomizationUrn,
                `urn:pulumi:${stack}::data-platform::data-platform:index:AirflowCluster$${KUSTOMIZATION}::data-platform-${stack}-cluster-gitops-root`);
            assert.equal(ctx.clusterName, cluster.state.name);
            assert.equal(ctx.dbInstanceIdentifier, only(e, T.db, "metastore-db").state.identifier);
            assert.equal(ctx.keepDataOnDestroy, stack === "prod");
            assert.equal(ctx.power.stack, stack);
            // Plain, so `pulumi stack output` prints it; airflow/delivery.test.ts checks no plain output holds a generated secret.
            assert.equal(await pulumi.isSecret(e.outputs.teardownContext as pulumi.Output<string>), false);
        });

        it("stops the nightly schedules in the first wave: nothing wakes or puts the platform to sleep during the destroy", () => {
            for (const s of e.ofType("aws:scheduler/schedule:Schedule")) assert.equal(order.step(keyOf(s)).wave, 0, keyOf(s));
        });
    });
}

describe("DestroyOrder (the engine's rule on a small graph)", () => {
    const r = (name: string, options: Partial<RecordedResource["options"]> = {}, extra: Partial<RecordedResource> = {}): RecordedResource => ({
        type: "t:m:R", name, custom: true, inputs: {}, state: {}, id: name, parent: "stack",
        options: { ignoreChanges: [], dependsOn: [], retainOnDelete: false, deleteBeforeReplace: false, protect: false, dependencies: [], ...options },
        ...extra,
    });

    it("deletes dependents first, through dependencies, providers and parents, and counts waves", () => {
        const order = new DestroyOrder([
            r("vpc"),
            r("subnet", { dependencies: ["t:m:R::vpc"] }),
            { ...r("k8s"), type: "pulumi:providers:kubernetes" },
            r("app", {}, { provider: "urn:pulumi:s::p::pulumi:providers:kubernetes::k8s::k8s-id", parent: "t:m:R::subnet" }),
        ]);
        assert.ok(order.deletedBefore("t:m:R::app", "t:m:R::vpc"));
        assert.ok(order.deletedBefore("t:m:R::app", "pulumi:providers:kubernetes::k8s"));
        assert.ok(!order.deletedBefore("t:m:R::vpc", "t:m:R::app"));
        assert.deepEqual([...order.steps.values()].map((s) => [s.key, s.wave]), [
            ["t:m:R::vpc", 2], ["t:m:R::subnet", 1], ["pulumi:providers:kubernetes::k8s", 1], ["t:m:R::app", 0],
        ]);
    });

    it("refuses a dependency on something the program did not register, and a cycle", () => {
        assert.throws(() => new DestroyOrder([r("a", { dependencies: ["t:m:R::ghost"] })]), /ghost, which the program did not register/);
        assert.throws(() => new DestroyOrder([r("a", { dependencies: ["t:m:R::b"] }), r("b", { dependencies: ["t:m:R::a"] })]), /cycle/);
    });
});
