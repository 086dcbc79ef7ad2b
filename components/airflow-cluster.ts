import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import type { ClusterSettings } from "../lib/config";
import { kubeconfig } from "../lib/kubeconfig";
import {
    eksAddonPullPolicy,
    kmsKeyPolicyWithLogs,
    serviceAccountTrustPolicy,
    serviceTrustPolicy,
    type PolicyDocument,
    type ServiceAccountRef,
} from "../lib/policies";
import { rotatingKey } from "./common";

/** Control-plane log types shipped to CloudWatch: who called the API, what it did, who authenticated. */
export const CONTROL_PLANE_LOGS = ["api", "audit", "authenticator"];

/** AWS managed policies a managed node needs to join the cluster, run the VPC CNI, and be reached by SSM. */
export const NODE_MANAGED_POLICIES = [
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
    "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
];

export const CLUSTER_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";

export interface AirflowClusterArgs extends ClusterSettings {
    readonly region: string;
    readonly accountId: pulumi.Input<string>;
    /** Must equal the name in the subnets' kubernetes.io/cluster/<name> tags. */
    readonly clusterName: string;
    readonly vpcId: pulumi.Input<string>;
    readonly vpcCidr: string;
    /** One private subnet per zone: the control plane's interfaces and the nodes go here. */
    readonly privateSubnetIds: pulumi.Input<string>[];
    readonly logRetentionDays: number;
    /** prod: the cluster cannot be deleted until this is turned off. */
    readonly protectFromDeletion: boolean;
    /** Pinned EKS managed add-on versions, and their configuration (JSON, as EKS takes it). */
    readonly addons: {
        readonly vpcCni: string;
        readonly vpcCniConfiguration?: string;
        readonly kubeProxy: string;
        readonly coreDns: string;
        readonly coreDnsConfiguration?: string;
    };
}

/**
 * The EKS cluster Airflow runs on: control plane, one managed node group over the private subnets of
 * every zone, managed add-ons, access entries, the OIDC provider for IAM roles for service accounts,
 * and the Kubernetes provider built from the cluster's own outputs. Plain AWS resources (not
 * @pulumi/eks's remote components), so that the tests see every role, group and setting.
 */
export class AirflowCluster extends pulumi.ComponentResource {
    public readonly clusterName: pulumi.Output<string>;
    public readonly clusterArn: pulumi.Output<string>;
    public readonly nodeGroupName: pulumi.Output<string>;
    public readonly nodeGroupArn: pulumi.Output<string>;
    /** The size the NightlyScheduler restores at wake. */
    public readonly nodeCount: number;
    /** EKS's cluster security group, which the managed nodes carry: what data services grant access to. */
    public readonly nodeSecurityGroupId: pulumi.Output<string>;
    public readonly nodeRoleName: pulumi.Output<string>;
    public readonly oidcProviderArn: pulumi.Output<string>;
    /** The issuer without "https://": the prefix of IRSA trust conditions. */
    public readonly oidcIssuer: pulumi.Output<string>;
    /** For `aws eks update-kubeconfig`-equivalent access; contains no secret. */
    public readonly kubeconfig: pulumi.Output<string>;
    public readonly kubeProvider: k8s.Provider;
    private readonly name: string;

    constructor(name: string, args: AirflowClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("data-platform:index:AirflowCluster", name, {}, opts);
        this.name = name;
        const parent = { parent: this };

        // One key for Kubernetes secrets (envelope encryption) and the control-plane log group.
        const key = rotatingKey(`${name}-key`, `Encrypts the Kubernetes secrets and control-plane logs of ${args.clusterName}`, this,
            pulumi.output(args.accountId).apply((account) => JSON.stringify(kmsKeyPolicyWithLogs(account, args.region))));

        // EKS writes control-plane logs to this exact name; creating it first sets retention and KMS.
        const logGroup = new aws.cloudwatch.LogGroup(`${name}-control-plane-logs`, {
            name: `/aws/eks/${args.clusterName}/cluster`,
            retentionInDays: args.logRetentionDays,
            kmsKeyId: key.arn,
        }, parent);

        const clusterRole = new aws.iam.Role(`${name}-control-plane-role`, {
            description: `EKS control plane of ${args.clusterName}`,
            assumeRolePolicy: JSON.stringify(serviceTrustPolicy("eks.amazonaws.com")),
        }, parent);
        const clusterPolicy = new aws.iam.RolePolicyAttachment(`${name}-control-plane-policy`, {
            role: clusterRole.name,
            policyArn: "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",
        }, parent);

        const publicEndpoint = args.apiAllowedCidrs.length > 0;
        const cluster = new aws.eks.Cluster(`${name}-eks`, {
            name: args.clusterName,
            version: args.kubernetesVersion,
            roleArn: clusterRole.arn,
            vpcConfig: {
                subnetIds: args.privateSubnetIds,
                endpointPrivateAccess: true,
                endpointPublicAccess: publicEndpoint,
                publicAccessCidrs: publicEndpoint ? [...args.apiAllowedCidrs] : undefined,
            },
            encryptionConfig: { resources: ["secrets"], provider: { keyArn: key.arn } },
            enabledClusterLogTypes: CONTROL_PLANE_LOGS,
            // Access entries only, no aws-auth ConfigMap; and nobody is admin by having created the
            // cluster: admins are the configured ARNs, visible in code and in the plan.
            accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: false },
            // Through the API a cluster defaults to EXTENDED support ($0.60 an hour once its version ages,
            // instead of $0.10); STANDARD makes EKS upgrade it at the end of standard support instead.
            upgradePolicy: { supportType: "STANDARD" },
            // The add-ons below are EKS-managed and pinned; the unmanaged defaults would be a second copy.
            bootstrapSelfManagedAddons: false,
            deletionProtection: args.protectFromDeletion,
        }, { parent: this, dependsOn: [logGroup, clusterPolicy] });

        const clusterSecurityGroupId = cluster.vpcConfig.apply((c) => c.clusterSecurityGroupId);
        if (!publicEndpoint) {
            // With the public endpoint off, the API is reached from inside the VPC: a deploy host or a
            // CloudShell VPC environment in a private subnet (README, "Reaching the cluster").
            new aws.vpc.SecurityGroupIngressRule(`${name}-api-from-vpc`, {
                securityGroupId: clusterSecurityGroupId,
                description: "Kubernetes API (private endpoint) from hosts inside the VPC",
                ipProtocol: "tcp",
                fromPort: 443,
                toPort: 443,
                cidrIpv4: args.vpcCidr,
            }, parent);
        }

        // IAM roles for service accounts: the cluster's OIDC issuer as an identity provider.
        const issuerUrl = cluster.identities.apply((ids) => ids[0].oidcs![0].issuer!);
        const oidc = new aws.iam.OpenIdConnectProvider(`${name}-oidc`, {
            url: issuerUrl,
            clientIdLists: ["sts.amazonaws.com"],
        }, parent);

        const admins = args.clusterAdminArns.map((principalArn, i) => {
            const entry = new aws.eks.AccessEntry(`${name}-admin-${i}`, { clusterName: cluster.name, principalArn, type: "STANDARD" }, parent);
            return new aws.eks.AccessPolicyAssociation(`${name}-admin-${i}-policy`, {
                clusterName: cluster.name,
                principalArn,
                policyArn: CLUSTER_ADMIN_POLICY,
                accessScope: { type: "cluster" },
            }, { parent: this, dependsOn: [entry] });
        });

        const nodes = this.nodeGroup(name, args, cluster);

        this.clusterName = cluster.name;
        this.clusterArn = cluster.arn;
        this.nodeGroupName = nodes.group.nodeGroupName;
        this.nodeGroupArn = nodes.group.arn;
        this.nodeCount = args.nodeCount;
        this.nodeSecurityGroupId = clusterSecurityGroupId;
        this.nodeRoleName = nodes.role.name;
        this.oidcProviderArn = oidc.arn;
        this.oidcIssuer = issuerUrl.apply((url) => url.replace(/^https:\/\//, ""));
        this.kubeconfig = pulumi.all([cluster.name, cluster.endpoint, cluster.certificateAuthority]).apply(([clusterName, endpoint, ca]) =>
            JSON.stringify(kubeconfig({ clusterName, endpoint, certificateAuthorityData: ca.data!, region: args.region })));
        // Every Kubernetes object goes through this provider; it is usable once an admin is mapped.
        this.kubeProvider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig, enableServerSideApply: true }, { parent: this, dependsOn: admins });

        this.registerOutputs({
            clusterName: this.clusterName,
            clusterArn: this.clusterArn,
            nodeGroupName: this.nodeGroupName,
            nodeGroupArn: this.nodeGroupArn,
            nodeCount: this.nodeCount,
            nodeSecurityGroupId: this.nodeSecurityGroupId,
            oidcProviderArn: this.oidcProviderArn,
            oidcIssuer: this.oidcIssuer,
        });
    }

    /**
     * The node role, launch template, managed node group and the add-ons around it. The group is
     * scaled to zero and back by the NightlyScheduler; `pulumi up` must never undo that.
     */
    private nodeGroup(name: string, args: AirflowClusterArgs, cluster: aws.eks.Cluster) {
        const parent = { parent: this };
        const role = new aws.iam.Role(`${name}-node-role`, {
            description: `Managed nodes of ${args.clusterName}: join, CNI, SSM, image pulls. No application permission.`,
            assumeRolePolicy: JSON.stringify(serviceTrustPolicy("ec2.amazonaws.com")),
        }, parent);
        const attachments = NODE_MANAGED_POLICIES.map((policyArn) =>
            new aws.iam.RolePolicyAttachment(`${name}-node-${policyArn.split("/").pop()}`, { role: role.name, policyArn }, parent));
        // The add-on images (VPC CNI, CoreDNS, kube-proxy) come from AWS's regional EKS registry; the
        // Airflow image's pull is granted by the Registry (registry.allowPull).
        const addonPull = new aws.iam.RolePolicy(`${name}-node-addon-images`, {
            role: role.name,
            policy: JSON.stringify(eksAddonPullPolicy(args.region)),
        }, parent);

        const launchTemplate = new aws.ec2.LaunchTemplate(`${name}-nodes`, {
            description: `Managed nodes of ${args.clusterName}`,
            // AL2023's root device. Encrypted gp3: images and task scratch space at rest.
            blockDeviceMappings: [{
                deviceName: "/dev/xvda",
                ebs: { volumeSize: args.nodeDiskGb, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" },
            }],
            // IMDSv2 only, hop limit 1: pods cannot reach the node's credentials. Nothing here needs IMDS
            // from a pod: every AWS caller has its own IRSA role, and the load balancer controller is told
            // its region and VPC instead of reading them from IMDS. Host-network pods (VPC CNI) are one hop.
            metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
            tagSpecifications: [
                { resourceType: "instance", tags: { Name: `${args.clusterName}-node` } },
                { resourceType: "volume", tags: { Name: `${args.clusterName}-node` } },
            ],
        }, parent);

        const addon = (addonName: string, version: string, options: { configurationValues?: string; dependsOn?: pulumi.Resource[] } = {}) =>
            new aws.eks.Addon(`${name}-${addonName}`, {
                clusterName: cluster.name,
                addonName,
                addonVersion: version,
                configurationValues: options.configurationValues,
                // EKS owns these; a field changed by hand is put back at the next update.
                resolveConflictsOnCreate: "OVERWRITE",
                resolveConflictsOnUpdate: "OVERWRITE",
            }, { parent: this, dependsOn: options.dependsOn });
        // Networking first: a node without the CNI never becomes Ready.
        const networking = [
            addon("vpc-cni", args.addons.vpcCni, { configurationValues: args.addons.vpcCniConfiguration }),
            addon("kube-proxy", args.addons.kubeProxy),
        ];

        const group = new aws.eks.NodeGroup(`${name}-nodes`, {
            clusterName: cluster.name,
            nodeRoleArn: role.arn,
            subnetIds: args.privateSubnetIds,
            amiType: "AL2023_x86_64_STANDARD",
            capacityType: "ON_DEMAND",
            instanceTypes: [args.nodeInstanceType],
            launchTemplate: { id: launchTemplate.id, version: launchTemplate.latestVersion.apply(String) },
            // min 0 lets the scheduler put the nodes to sleep; EKS refuses a max of 0.
            scalingConfig: { desiredSize: args.nodeCount, minSize: 0, maxSize: Math.max(args.nodeCount, 1) },
            updateConfig: { maxUnavailable: 1 },
            labels: { "data-platform/pool": "airflow" },
        }, {
            parent: this,
            // The NightlyScheduler owns the size after creation: without this, a `pulumi up` at night would
            // wake the nodes, and one in the day would put them to sleep.
            ignoreChanges: ["scalingConfig.desiredSize"],
            dependsOn: [...attachments, addonPull, ...networking],
        });

        // CoreDNS runs on the nodes: created after them, and configured to come back by itself after a night.
        addon("coredns", args.addons.coreDns, { configurationValues: args.addons.coreDnsConfiguration, dependsOn: [group] });
        return { role, group };
    }

    /** An IAM role that one Kubernetes service account (and nothing else) may assume, with its policy. */
    serviceAccountRole(part: string, account: ServiceAccountRef, policy: pulumi.Input<PolicyDocument>, description: string): aws.iam.Role {
        const role = new aws.iam.Role(`${this.name}-${part}-role`, {
            description,
            assumeRolePolicy: pulumi.all([this.oidcProviderArn, this.oidcIssuer]).apply(([arn, issuer]) => JSON.stringify(serviceAccountTrustPolicy(arn, issuer, account))),
        }, { parent: this });
        new aws.iam.RolePolicy(`${this.name}-${part}-policy`, {
            role: role.name,
            policy: pulumi.output(policy).apply((p) => JSON.stringify(p)),
        }, { parent: this });
        return role;
    }
}
