// The AirflowCluster's guarantees, proved on the inputs and options of the resources the
// real program registers under mocks, for each stack.

import { strict as assert } from "assert";
import { parseConfig, type PlatformConfig } from "../config/config";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { upstreamTools } from "../offline/upstream";
import { physicalNames } from "../core/naming";
import { CLUSTER_ADMIN_POLICY, NODE_MANAGED_POLICIES } from "./component";
import { DEFAULT_CONTROL_PLANE_LOG_TYPES } from "./config-keys";
import { EKS_ADDON_VERSIONS } from "./chart-versions";
import { FLUX_STATUS_GROUP, WATCHED_FLUX_OBJECTS, apiPath } from "../airflow/flux-status";
import type { Evaluation } from "../offline/evaluate";
import type { RecordedResource } from "../offline/mocks";
import { T, keyOf, only } from "../tests/resources";
import { STACKS, stackEvaluation } from "../tests/stacks";

const json = (text: string) => JSON.parse(text);
const EKS = "aws:eks/cluster:Cluster";
const NODE_GROUP = "aws:eks/nodeGroup:NodeGroup";
const ROLE = "aws:iam/role:Role";

/** Every statement of every policy document attached inline to a role. */
function inlineStatements(e: Evaluation, role: RecordedResource) {
    return e.ofType("aws:iam/rolePolicy:RolePolicy").filter((p) => p.inputs.role === role.state.name).flatMap((p) => json(p.inputs.policy).Statement);
}

for (const stack of STACKS) {
    const prod = stack === "prod";
    describe(`AirflowCluster under mocks: stack ${stack}`, () => {
        let e: Evaluation;
        let cfg: PlatformConfig;
        let cluster: RecordedResource;
        let privateSubnets: RecordedResource[];
        before(async () => {
            e = await stackEvaluation(stack);
            cfg = parseConfig(e.config.values, e.config);
            cluster = only(e, EKS, "cluster-eks");
            privateSubnets = e.ofType(T.subnet).filter((s) => s.inputs.tags.Tier === "private");
        });

        it("is named as the subnets' tags say, on a pinned version in standard support, upgraded by EKS rather than billed extended support", () => {
            assert.equal(cluster.inputs.name, physicalNames(cfg).clusterName);
            for (const s of privateSubnets) assert.equal(s.inputs.tags[`kubernetes.io/cluster/${cluster.inputs.name}`], "shared");
            assert.equal(cluster.inputs.version, "1.36");
            assert.deepEqual(cluster.inputs.upgradePolicy, { supportType: "STANDARD" });
            assert.equal(cluster.inputs.deletionProtection, prod);
        });

        it("keeps the API endpoint private (public access off by default), its interfaces in the private subnets", () => {
            const vpc = cluster.inputs.vpcConfig;
            assert.equal(vpc.endpointPrivateAccess, true);
            assert.equal(vpc.endpointPublicAccess, false);
            assert.equal(vpc.publicAccessCidrs, undefined);
            assert.deepEqual([...vpc.subnetIds].sort(), privateSubnets.map((s) => s.id).sort());
            // Reachable from inside the VPC only: 443 from the VPC's range on the cluster security group.
            const rule = only(e, T.ingress, "cluster-api-from-vpc");
            assert.deepEqual([rule.inputs.securityGroupId, rule.inputs.ipProtocol, rule.inputs.fromPort, rule.inputs.toPort, rule.inputs.cidrIpv4],
                [cluster.state.vpcConfig.clusterSecurityGroupId, "tcp", 443, 443, cfg.network.vpcCidr]);
        });

        it("encrypts Kubernetes secrets with a rotating KMS key", () => {
            const key = keyOf(e, cfg, "cluster");
            assert.deepEqual(cluster.inputs.encryptionConfig, { resources: ["secrets"], provider: { keyArn: key.state.arn } });
            assert.equal(key.inputs.enableKeyRotation, true);
        });

        it("sends api, audit and authenticator logs to an encrypted log group with the configured retention, created first", () => {
            assert.deepEqual(cluster.inputs.enabledClusterLogTypes, ["api", "audit", "authenticator"]);
            assert.deepEqual(cfg.cluster.controlPlaneLogTypes, DEFAULT_CONTROL_PLANE_LOG_TYPES, "both stacks keep the default (the policy pack's requirement)");
            const group = only(e, "aws:cloudwatch/logGroup:LogGroup", "cluster-control-plane-logs");
            assert.equal(group.inputs.name, `/aws/eks/${cluster.inputs.name}/cluster`);
            assert.equal(group.inputs.retentionInDays, cfg.logRetentionDays);
            assert.equal(group.inputs.kmsKeyId, keyOf(e, cfg, "cluster").state.arn);
            assert.ok(cluster.options!.dependsOn.includes(`aws:cloudwatch/logGroup:LogGroup::${group.name}`));
        });

        it("authenticates through access entries only: the configured admins, nobody by having created it", () => {
            assert.deepEqual(cluster.inputs.accessConfig, { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: false });
            const entries = e.ofType("aws:eks/accessEntry:AccessEntry").filter((a) => a.inputs.kubernetesGroups === undefined);
            assert.deepEqual(entries.map((a) => a.inputs.principalArn), cfg.cluster.clusterAdminArns);
            for (const entry of entries) {
                assert.equal(entry.inputs.clusterName, cluster.state.name);
                assert.equal(entry.inputs.type, "STANDARD");
                const [association] = e.ofType("aws:eks/accessPolicyAssociation:AccessPolicyAssociation").filter((a) => a.inputs.principalArn === entry.inputs.principalArn);
                assert.equal(association.inputs.policyArn, CLUSTER_ADMIN_POLICY);
                assert.deepEqual(association.inputs.accessScope, { type: "cluster" });
                assert.deepEqual(association.options!.dependsOn, [`aws:eks/accessEntry:AccessEntry::${entry.name}`]);
            }
            assert.deepEqual(e.ofType("kubernetes:core/v1:ConfigMap").filter((c) => c.inputs.metadata?.name === "aws-auth"), [], "no aws-auth ConfigMap");
        });

        it("maps the watcher's role to a group that may only get the Flux objects it reads, and opens the private API endpoint to it", () => {
            const groupEntries = e.ofType("aws:eks/accessEntry:AccessEntry").filter((a) => a.inputs.kubernetesGroups !== undefined);
            assert.equal(groupEntries.length, 1);
            const [entry] = groupEntries;
            const watchRole = only(e, ROLE, "scheduler-watch-role");
            assert.deepEqual([entry.inputs.clusterName, entry.inputs.principalArn, entry.inputs.type, entry.inputs.kubernetesGroups],
                [cluster.state.name, watchRole.state.arn, "STANDARD", [FLUX_STATUS_GROUP]]);
            // No EKS access policy for it: its rights are the RBAC binding alone.
            assert.deepEqual(e.ofType("aws:eks/accessPolicyAssociation:AccessPolicyAssociation").filter((a) => a.inputs.principalArn === watchRole.state.arn), []);
            const binding = only(e, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", "cluster-flux-status-binding").inputs;
            assert.deepEqual(binding.subjects, [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: FLUX_STATUS_GROUP }]);
            const role = only(e, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "cluster-flux-status-role").inputs;
            assert.equal(binding.roleRef.name, role.metadata.name);
            // What the RBAC authorizer would decide for each request the watcher makes, and for others.
            const allows = (apiGroup: string, resource: string, name: string, verb: string) => role.rules.some((r: { apiGroups: string[]; resources: string[]; resourceNames?: string[]; verbs: string[] }) =>
                r.apiGroups.includes(apiGroup) && r.resources.includes(resource) && r.verbs.includes(verb) && (r.resourceNames === undefined || r.resourceNames.includes(name)));
            for (const ref of WATCHED_FLUX_OBJECTS) {
                const m = /^\/apis\/([^/]+)\/[^/]+\/namespaces\/[^/]+\/([^/]+)\/([^/]+)$/.exec(apiPath(ref));
                assert.ok(m, apiPath(ref));
                assert.ok(allows(m[1], m[2], m[3], "get"), apiPath(ref));
                assert.ok(!allows(m[1], m[2], m[3], "list") && !allows(m[1], m[2], m[3], "patch") && !allows(m[1], m[2], "another", "get"), apiPath(ref));
            }
            assert.ok(!allows("", "secrets", "gitops-auth", "get"));
            const api = only(e, T.ingress, "cluster-api-from-scheduler").inputs;
            assert.deepEqual([api.securityGroupId, api.ipProtocol, api.fromPort, api.toPort, api.referencedSecurityGroupId],
                [cluster.state.vpcConfig.clusterSecurityGroupId, "tcp", 443, 443, only(e, T.sg, "scheduler-watch-sg").id]);
        });

        it("pins the managed add-ons, networking before the nodes and CoreDNS after them, and none of the unmanaged defaults", () => {
            assert.equal(cluster.inputs.bootstrapSelfManagedAddons, false);
            const addons: Record<string, RecordedResource> = Object.fromEntries(e.ofType("aws:eks/addon:Addon").map((a) => [a.inputs.addonName, a]));
            assert.deepEqual(Object.keys(addons).sort(), ["coredns", "kube-proxy", "vpc-cni"]);
            for (const [name, addon] of Object.entries(addons)) {
                assert.equal(addon.inputs.addonVersion, EKS_ADDON_VERSIONS[name as keyof typeof EKS_ADDON_VERSIONS]);
                assert.equal(addon.inputs.clusterName, cluster.state.name);
                assert.equal(addon.inputs.resolveConflictsOnUpdate, "OVERWRITE");
            }
            const group = only(e, NODE_GROUP, "cluster-nodes");
            for (const name of ["vpc-cni", "kube-proxy"]) assert.ok(group.options!.dependsOn.includes(`aws:eks/addon:Addon::${addons[name].name}`), name);
            assert.deepEqual(addons.coredns.options!.dependsOn, [`${NODE_GROUP}::${group.name}`]);
        });

        it(`runs ${prod ? 4 : 3} t3.medium nodes over the private subnets of all three zones`, () => {
            const group = only(e, NODE_GROUP, "cluster-nodes");
            assert.deepEqual([...group.inputs.subnetIds].sort(), privateSubnets.map((s) => s.id).sort());
            assert.deepEqual(new Set(privateSubnets.map((s) => s.inputs.availabilityZone)).size, 3);
            // Both stack files choose Spot over the primary type and its AMD twin (same vCPUs and memory).
            assert.deepEqual(group.inputs.instanceTypes, ["t3.medium", "t3a.medium"]);
            assert.equal(group.inputs.capacityType, "SPOT");
            assert.equal(group.inputs.amiType, "AL2023_x86_64_STANDARD");
            // The nodes follow the control plane's version (an upgrade moves both).
            assert.equal(group.inputs.version, cluster.state.version ?? cluster.inputs.version);
            assert.equal(group.inputs.scalingConfig.desiredSize, prod ? 4 : 3);
        });

        it("lets the scheduler own the size: created at nodeCount (min 0, max nodeCount), the whole scalingConfig ignored after creation", () => {
            const group = only(e, NODE_GROUP, "cluster-nodes");
            assert.deepEqual(group.inputs.scalingConfig, { desiredSize: cfg.cluster.nodeCount, minSize: 0, maxSize: Math.max(cfg.cluster.nodeCount, 1) });
            // Not just desiredSize: Pulumi would send the stored desired size with a new max (see nodeCount's test in power-moto).
            assert.deepEqual(group.options!.ignoreChanges, ["scalingConfig"]);
        });

        it("tags what the launch template launches (instances, volumes, network interfaces) with the standard tags: the budget sees the nodes", () => {
            const template = e.byId(only(e, NODE_GROUP, "cluster-nodes").inputs.launchTemplate.id);
            const specs = template.inputs.tagSpecifications as { resourceType: string; tags: Record<string, string> }[];
            assert.deepEqual(specs.map((t) => t.resourceType).sort(), ["instance", "network-interface", "volume"]);
            for (const spec of specs) {
                assert.deepEqual(spec.tags, { Project: "data-platform", Stack: stack, Environment: cfg.environment, ManagedBy: "pulumi", Name: `${cluster.inputs.name}-node` }, spec.resourceType);
            }
        });

        it("boots nodes with an encrypted gp3 root volume and IMDSv2 only, one hop: pods cannot reach node credentials", () => {
            const group = only(e, NODE_GROUP, "cluster-nodes");
            const template = e.byId(group.inputs.launchTemplate.id);
            assert.equal(template.type, "aws:ec2/launchTemplate:LaunchTemplate");
            assert.deepEqual(template.inputs.blockDeviceMappings, [{
                deviceName: "/dev/xvda",
                ebs: { volumeSize: cfg.cluster.nodeDiskGb, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" },
            }]);
            assert.deepEqual(template.inputs.metadataOptions, { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 });
            assert.equal(template.inputs.imageId, undefined, "EKS chooses the AMI of the node group's version");
            assert.equal(template.inputs.vpcSecurityGroupIds, undefined, "the nodes carry EKS's cluster security group");
        });

        it("gives the node role only what nodes need: join, CNI, SSM, add-on images and this stack's Airflow image", () => {
            const group = only(e, NODE_GROUP, "cluster-nodes");
            const role = e.ofType(ROLE).find((r) => r.state.arn === group.inputs.nodeRoleArn)!;
            assert.deepEqual(json(role.inputs.assumeRolePolicy).Statement, [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }]);
            const attached = e.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => a.inputs.role === role.state.name).map((a) => a.inputs.policyArn);
            assert.deepEqual(attached.sort(), [...NODE_MANAGED_POLICIES].sort());
            const statements = inlineStatements(e, role);
            const repo = only(e, "aws:ecr/repository:Repository", "registry-airflow");
            assert.deepEqual(statements.map((s) => s.Resource).sort(), ["*", "arn:aws:ecr:us-east-1:602401143452:repository/*", repo.state.arn].sort());
            for (const s of statements) {
                assert.equal(s.Effect, "Allow");
                for (const action of [s.Action].flat()) assert.match(action, /^ecr:(GetAuthorizationToken|BatchCheckLayerAvailability|BatchGetImage|GetDownloadUrlForLayer)$/);
            }
        });

        it("trusts the cluster's OIDC issuer for service-account roles, with the STS audience", () => {
            const oidc = e.ofType("aws:iam/openIdConnectProvider:OpenIdConnectProvider").find((p) => p.name.endsWith("cluster-oidc"))!;
            assert.equal(oidc.inputs.url, cluster.state.identities[0].oidcs[0].issuer);
            assert.deepEqual(oidc.inputs.clientIdLists, ["sts.amazonaws.com"]);
        });

        it("builds its Kubernetes provider from the cluster's name, endpoint and CA, after the admins are mapped and the API is reachable from the VPC", () => {
            const provider = only(e, "pulumi:providers:kubernetes", "cluster-k8s");
            // Read by the real consumer: kubectl (the Kubernetes provider uses the same client-go loader),
            // resolved to the current context, and checked against the evaluated cluster by hand.
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeconfig-"));
            try {
                const file = path.join(dir, "config");
                fs.writeFileSync(file, provider.inputs.kubeconfig);
                const view = JSON.parse(execFileSync(upstreamTools().kubectl, ["config", "view", "--kubeconfig", file, "--minify", "--raw", "-o", "json"], { encoding: "utf8" }));
                assert.equal(view["current-context"], cluster.state.name);
                assert.deepEqual(view.clusters.map((c: any) => [c.name, c.cluster.server, c.cluster["certificate-authority-data"]]), [[cluster.state.name, cluster.state.endpoint, cluster.state.certificateAuthority.data]]);
                assert.deepEqual(view.users[0].user.exec, {
                    apiVersion: "client.authentication.k8s.io/v1beta1",
                    command: "aws",
                    args: ["eks", "get-token", "--cluster-name", cluster.state.name, "--region", "us-east-1", "--output", "json"],
                    env: null,
                    interactiveMode: "Never",
                    provideClusterInfo: false,
                });
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
            const entries = e.ofType("aws:eks/accessPolicyAssociation:AccessPolicyAssociation").map((a) => `aws:eks/accessPolicyAssociation:AccessPolicyAssociation::${a.name}`);
            // The API rule too: on destroy the provider (and every object deleted through it) goes
            // before the rule that lets the deployer's in-VPC runner and the watcher reach the API.
            const apiRule = e.ofType(T.ingress).filter((r) => r.name.endsWith("cluster-api-from-vpc")).map((r) => `${r.type}::${r.name}`);
            assert.equal(apiRule.length, 1);
            assert.deepEqual(provider.options!.dependsOn, [...entries, ...apiRule]);
        });
    });
}

describe("AirflowCluster: a public endpoint limited to configured networks", () => {
    it("opens the public endpoint to exactly those CIDRs, and adds no VPC rule", async () => {
        const e = await stackEvaluation("prod", { "data-platform:apiAllowedCidrs": ["203.0.113.0/24"] });
        const cluster = only(e, EKS, "cluster-eks");
        assert.equal(cluster.inputs.vpcConfig.endpointPublicAccess, true);
        assert.equal(cluster.inputs.vpcConfig.endpointPrivateAccess, true);
        assert.deepEqual(cluster.inputs.vpcConfig.publicAccessCidrs, ["203.0.113.0/24"]);
        assert.deepEqual(e.ofType(T.ingress).filter((r) => r.name.endsWith("cluster-api-from-vpc")), []);
    });
});
