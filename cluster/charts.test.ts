// Every Helm release the program registers (the load balancer controller, Fluent Bit, Flux), rendered
// by the real pinned chart with exactly the values the evaluated program passes to its
// k8s.helm.v3.Release: helm validates them against the chart's schema where it has one and fails on
// a template error; then what the platform relies on is asserted on the rendered objects.

import { strict as assert } from "assert";
import { FLUX_CONTROLLERS, SERVICE_ACCOUNTS, IRSA_ANNOTATION } from "./controllers";
import { CHARTS } from "./chart-versions";
import type { Evaluation } from "../offline/evaluate";
import { STACKS, stackEvaluation } from "../tests/stacks";
import { byKind, helmTemplate, requireUpstream, type Obj } from "../tests/upstream";

const RELEASE = "kubernetes:helm.sh/v3:Release";

const releaseOf = (e: Evaluation, chartName: string) => {
    const found = e.ofType(RELEASE).filter((r) => r.inputs.chart === chartName);
    assert.equal(found.length, 1, `one release of ${chartName}`);
    return found[0].inputs as Obj;
};
const mainContainer = (o: Obj) => o.spec.template.spec.containers[0] as Obj;

for (const stack of STACKS) {
    describe(`controller releases rendered by their real charts (${stack})`, function () {
        this.timeout(120_000);
        let e: Evaluation;
        const render = (chartName: string, key: "awsLoadBalancerController" | "fluentBit" | "flux") => {
            const r = releaseOf(e, chartName);
            assert.equal(r.version, CHARTS[key].version, "the release pins the chart the cache holds");
            return helmTemplate(key, r.values, { release: r.name, namespace: r.namespace });
        };
        before(async function () {
            requireUpstream(this);
            e = await stackEvaluation(stack);
        });

        it("the load balancer controller runs with the stack's cluster, VPC and region, and its IRSA role", () => {
            const objects = render("aws-load-balancer-controller", "awsLoadBalancerController");
            const deployment = byKind(objects, "Deployment")[0];
            const args = mainContainer(deployment).args as string[];
            const values = releaseOf(e, "aws-load-balancer-controller").values;
            assert.ok(args.includes(`--cluster-name=${values.clusterName}`), args.join(" "));
            assert.ok(args.includes(`--aws-region=${values.region}`), `${values.region}: ${args.join(" ")}`);
            assert.ok(args.includes(`--aws-vpc-id=${values.vpcId}`), args.join(" "));
            // The backend security group Pulumi owns (deleted in order on destroy), not one the controller makes.
            assert.ok(values.backendSecurityGroup, "no backend security group given");
            assert.ok(args.includes(`--backend-security-group=${values.backendSecurityGroup}`), args.join(" "));
            // The stack's standard tags, on every ALB, listener, target group and security group the
            // controller creates: the rendered flag, as the controller parses it (key=value, comma-separated).
            const tags = args.find((a) => a.startsWith("--default-tags="));
            assert.ok(tags, `no --default-tags: ${args.join(" ")}`);
            const parsed = Object.fromEntries(tags.slice("--default-tags=".length).split(",").map((kv) => kv.split("=")));
            assert.deepEqual(parsed, { Environment: stack === "prod" ? "prod" : "staging", ManagedBy: "pulumi", Project: "data-platform", Stack: stack });
            assert.equal(deployment.spec.replicas, 1);
            const sa = byKind(objects, "ServiceAccount").find((s) => s.metadata.name === SERVICE_ACCOUNTS.loadBalancerController.name);
            assert.equal(sa?.metadata.annotations[IRSA_ANNOTATION], values.serviceAccount.annotations[IRSA_ANNOTATION]);
            assert.ok(byKind(objects, "IngressClass").some((c) => c.metadata.name === "alb"));
            const hooks = byKind(objects, "MutatingWebhookConfiguration").flatMap((w) => w.webhooks.map((h: Obj) => h.name as string));
            assert.ok(!hooks.some((h) => /mservice/.test(h)), `the Service mutator is off: ${hooks.join(", ")}`);
        });

        it("Fluent Bit ships to the stack's search domain with SigV4, buffering on disk (where log search is on)", () => {
            const shipper = e.ofType(RELEASE).find((r) => r.inputs.chart === "fluent-bit");
            if (!shipper) {
                // Staging runs without log search (logSearch false): no shipper to render.
                assert.equal(stack, "staging", "only staging runs without log search");
                assert.equal(e.ofType("aws:opensearch/domain:Domain").length, 0);
                return;
            }
            const objects = render("fluent-bit", "fluentBit");
            const config = byKind(objects, "ConfigMap").map((c) => Object.values(c.data ?? {}).join("\n")).join("\n");
            assert.match(config, /Name\s+opensearch/);
            assert.match(config, new RegExp(`Host\\s+${shipper!.inputs.values.config.outputs.match(/Host\s+(\S+)/)[1].replace(/\./g, "\\.")}`));
            assert.match(config, /AWS_Auth\s+On/);
            assert.match(config, /storage\.type\s+filesystem/);
            const ds = byKind(objects, "DaemonSet")[0];
            assert.ok(ds.spec.template.spec.volumes.some((v: Obj) => v.hostPath?.path === "/var/fluent-bit/state"));
        });

        it("Flux runs its six controllers with their resources, the reflector on its IRSA role, and the CRDs kept on uninstall", () => {
            const objects = render("flux2", "flux");
            const deployments = byKind(objects, "Deployment").map((d) => d.metadata.name as string).sort();
            assert.deepEqual(deployments, Object.values(FLUX_CONTROLLERS).sort());
            for (const d of byKind(objects, "Deployment")) {
                const r = mainContainer(d).resources;
                assert.ok(r?.requests?.memory && r?.limits?.memory, `${d.metadata.name}: ${JSON.stringify(r)}`);
            }
            const reflector = byKind(objects, "ServiceAccount").find((s) => s.metadata.name === SERVICE_ACCOUNTS.imageReflector.name);
            assert.ok(reflector?.metadata.annotations?.[IRSA_ANNOTATION], "the image reflector's role");
            const crds = byKind(objects, "CustomResourceDefinition");
            assert.ok(crds.length >= 10, `${crds.length} CRDs`);
            for (const c of crds) assert.equal(c.metadata.annotations["helm.sh/resource-policy"], "keep", c.metadata.name);
        });
    });
}
