import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import { createHash } from "crypto";
import type { Environment } from "../core/config-spec";
import type { AirflowSettings, ClusterSettings } from "./config-keys";
import { kubeconfig } from "./kubeconfig";
import {
    eksAddonPullPolicy,
    kmsKeyPolicyWithLogs,
    openSearchWriterPolicy,
    serviceAccountTrustPolicy,
    serviceTrustPolicy,
    taskLogPolicy,
    airflowSecretsStatements,
    publishStatement,
    type PolicyDocument,
    type ServiceAccountRef,
} from "../core/policies";
import { platformSettings, UI_INGRESS_COMPONENT, uiExposure } from "../airflow/platform-settings";
import { AIRFLOW_NAMESPACE, AIRFLOW_RDS_CA, AIRFLOW_SECRETS, AIRFLOW_SERVICE_ACCOUNTS, RDS_CA_PATH } from "../airflow/values";
import { rdsCaBundle } from "../metastore/rds-ca";
import { CLUSTER_SUPPORT_TYPE } from "./eks-versions";
import {
    fluentBitRelease,
    fluxRelease,
    loadBalancerControllerPolicyDocument,
    loadBalancerControllerRelease,
    SERVICE_ACCOUNTS,
    type HelmReleaseSpec,
} from "./controllers";
import { fluxStatusReader, namespace, platformNamespaces, platformSettingsConfigMap } from "./objects";
import {
    FLUX_NAMESPACE,
    gitRepository,
    GITOPS_SECRET,
    GITOPS_SOURCE,
    GITOPS_WRITE_SECRET,
    GITOPS_WRITE_SOURCE,
    rootKustomization,
    sshAuthData,
} from "./flux-sources";
import { airflowConnectionUri, BOOTSTRAP_NAMESPACE, BOOTSTRAP_SECRET, bootstrapJob, MONITOR_DB_USER } from "../metastore/bootstrap";
import { allowPortFrom, rotatingKey, type ClientGrant, type KeyRef } from "../core/common";

/** The Airflow API server's port, where the UI's load balancer sends traffic (target type ip). */
export const API_SERVER_PORT = 8080;
/** Tag on the UI load balancer's security group: the cost estimate and the policy pack find the ALB by it. */
export const UI_ALB_ROLE_TAG = { "data-platform:role": "airflow-ui-alb" };

/** Control-plane log types shipped to CloudWatch: who called the API, what it did, who authenticated. */

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
    /**
     * The standard tags (core/naming.ts). The provider's defaultTags put them on every resource Pulumi
     * creates, but not on what others create from it: the launch template's instances, volumes and
     * network interfaces (EC2 takes their tags from its tag specifications only), and the load balancer
     * and security groups the controller creates. The budget filters on Stack, so each gets them here.
     */
    readonly tags: Readonly<Record<string, string>>;
    readonly vpcId: pulumi.Input<string>;
    readonly vpcCidr: string;
    /**
     * The network (the Network component): the public subnets the UI's ALB lives in, and the NAT and
     * routes through which the controllers reach AWS. A destroy keeps all of it until Airflow's
     * delivery is gone (the root Kustomization depends on it), so the controller can still delete the
     * ALB and the subnets are free of it when their turn comes.
     */
    readonly network: pulumi.Resource;
    /** The stack's one KMS key (sharedKmsKey); unset: the cluster creates its own. */
    readonly kmsKey?: KeyRef;
    /** One private subnet per zone: the control plane's interfaces and the nodes go here. */
    readonly privateSubnetIds: pulumi.Input<string>[];
    readonly logRetentionDays: number;
    /** prod: the cluster cannot be deleted until this is turned off. */
    readonly protectFromDeletion: boolean;
    readonly environment: Environment;
    /** The GitOps repository, the UI's certificate and allow-list. */
    readonly airflow: AirflowSettings;
    /** The ciBranch: the image tags this stack's image automation follows. */
    readonly imageBranch: string;
    /** Parameter Store prefix of Airflow's connections and variables, e.g. /data-platform-prod/airflow. */
    readonly secretsPrefix: string;
    /** Where DAG failure alerts are e-mailed (operatorEmail); unset: the topic has no subscriber yet. */
    readonly alertEmail?: string;
    /** The log-search domain the log shipper writes to; undefined: no log shipper (task logs stay in S3). */
    readonly logSearch?: { readonly endpoint: pulumi.Input<string>; readonly domainArn: pulumi.Input<string> };
    /** Airflow's remote task logs. */
    readonly taskLogs: { readonly bucketName: pulumi.Input<string>; readonly bucketArn: pulumi.Input<string>; readonly keyArn: pulumi.Input<string> };
    readonly airflowImageRepository: pulumi.Input<string>;
    /** The metastore, and the master credentials with which Airflow's own user is created. */
    readonly metastore: {
        readonly address: pulumi.Input<string>;
        readonly port: number;
        readonly database: string;
        readonly masterUsername: string;
        readonly masterPassword: pulumi.Input<string>;
    };
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
    /** The log shipper's role: the search domain admits it (LogStore's logWriterRoleArns). None without a domain. */
    public readonly logShipperRoleArn?: pulumi.Output<string>;
    /** Flux's image reflector: the Registry lets it list the Airflow image's tags. */
    public readonly imageReflectorRoleName: pulumi.Output<string>;
    /** Public halves of the GitOps deploy keys: add them to the GitOps repository (read-only / write). */
    public readonly gitopsDeployKey: pulumi.Output<string>;
    public readonly gitopsWriteDeployKey: pulumi.Output<string>;
    /** The UI's generated admin login. Secret. */
    public readonly adminPassword: pulumi.Output<string>;
    /**
     * The metastore's read-only monitoring login that the bootstrap Job creates (the password a secret):
     * what the NightlyScheduler's watcher reads Airflow's state with, never the master.
     */
    public readonly monitorLogin: { readonly username: string; readonly password: pulumi.Output<string> };
    /** Whether the UI gets a load balancer, and why. */
    public readonly uiExposure: { readonly value: boolean; readonly reason: string };
    /** The root Kustomization's URN: `npm run teardown` deletes it alone first (teardown/steps.ts). */
    public readonly rootKustomizationUrn: pulumi.Output<string>;
    /** The IRSA role of task pods: the platform's grants and the stack's own (taskRolePolicy, taskRoleManagedPolicyArns). */
    public readonly taskRoleArn: pulumi.Output<string>;
    /** DAG failure alerts (the DAG template's SnsNotifier) go here. */
    public readonly dagAlertTopicArn: pulumi.Output<string>;
    private readonly name: string;
    /** What every Kubernetes object is deleted with (k8sOptions). */
    private readonly cluster: aws.eks.Cluster;

    constructor(name: string, args: AirflowClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("data-platform:index:AirflowCluster", name, {}, opts);
        this.name = name;
        const parent = { parent: this };

        // One key for Kubernetes secrets (envelope encryption) and the control-plane log group: the
        // stack's shared key (sharedKmsKey), or the cluster's own.
        const key = args.kmsKey ?? rotatingKey(`${name}-key`, `Encrypts the Kubernetes secrets and control-plane logs of ${args.clusterName}`, this,
            pulumi.output(args.accountId).apply((account) => JSON.stringify(kmsKeyPolicyWithLogs(account, args.region))));

        // EKS writes control-plane logs to this exact name; creating it first sets retention, KMS and
        // the class (Infrequent Access works for EKS's vended logs: cloudposse/terraform-aws-eks-cluster#229
        // sets it on this group the same way; a class cannot change, so a change replaces the group).
        const logGroup = new aws.cloudwatch.LogGroup(`${name}-control-plane-logs`, {
            name: `/aws/eks/${args.clusterName}/cluster`,
            retentionInDays: args.logRetentionDays,
            kmsKeyId: key.arn,
            logGroupClass: args.controlPlaneLogClass,
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
            enabledClusterLogTypes: [...args.controlPlaneLogTypes],
            // Access entries only, no aws-auth ConfigMap; and nobody is admin by having created the
            // cluster: admins are the configured ARNs, visible in code and in the plan.
            accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: false },
            // Through the API a cluster defaults to EXTENDED support ($0.60 an hour once its version ages,
            // instead of $0.10); STANDARD makes EKS upgrade it at the end of standard support instead.
            upgradePolicy: { supportType: CLUSTER_SUPPORT_TYPE },
            // The add-ons below are EKS-managed and pinned; the unmanaged defaults would be a second copy.
            bootstrapSelfManagedAddons: false,
            deletionProtection: args.protectFromDeletion,
        }, { parent: this, dependsOn: [logGroup, clusterPolicy] });
        this.cluster = cluster;

        const clusterSecurityGroupId = cluster.vpcConfig.apply((c) => c.clusterSecurityGroupId);
        // With the public endpoint off, the API is reached from inside the VPC: a deploy host or a
        // CloudShell VPC environment in a private subnet (README, "Reaching the cluster").
        const apiFromVpc = publicEndpoint ? undefined : new aws.vpc.SecurityGroupIngressRule(`${name}-api-from-vpc`, {
            securityGroupId: clusterSecurityGroupId,
            description: "Kubernetes API (private endpoint) from hosts inside the VPC",
            ipProtocol: "tcp",
            fromPort: 443,
            toPort: 443,
            cidrIpv4: args.vpcCidr,
        }, parent);

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
        this.oidcProviderArn = oidc.arn;
        this.oidcIssuer = issuerUrl.apply((url) => url.replace(/^https:\/\//, ""));

        this.clusterName = cluster.name;
        this.clusterArn = cluster.arn;
        this.nodeGroupName = nodes.group.nodeGroupName;
        this.nodeGroupArn = nodes.group.arn;
        this.nodeCount = args.nodeCount;
        this.nodeSecurityGroupId = clusterSecurityGroupId;
        this.nodeRoleName = nodes.role.name;
        this.kubeconfig = pulumi.all([cluster.name, cluster.endpoint, cluster.certificateAuthority]).apply(([clusterName, endpoint, ca]) =>
            JSON.stringify(kubeconfig({ clusterName, endpoint, certificateAuthorityData: ca.data!, region: args.region })));
        // Every Kubernetes object goes through this provider; it is usable once an admin is mapped and
        // the API is open to the deploy host, and a destroy keeps both until the last object is gone.
        this.kubeProvider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig, enableServerSideApply: true },
            { parent: this, dependsOn: [...admins, ...(apiFromVpc ? [apiFromVpc] : [])] });

        // The NightlyScheduler's watcher reads Flux's delivery objects (its access entry maps it to this group).
        const reader = fluxStatusReader();
        new k8s.rbac.v1.ClusterRole(`${name}-flux-status-role`, reader.clusterRole, this.k8sOptions);
        new k8s.rbac.v1.ClusterRoleBinding(`${name}-flux-status-binding`, reader.clusterRoleBinding, this.k8sOptions);

        const controllers = this.controllers(args, cluster, nodes);
        this.logShipperRoleArn = controllers.logShipperRoleArn;
        this.imageReflectorRoleName = controllers.imageReflectorRoleName;
        const delivery = this.airflowDelivery(name, args, controllers);
        this.gitopsDeployKey = delivery.deployKey;
        this.gitopsWriteDeployKey = delivery.writeDeployKey;
        this.adminPassword = delivery.adminPassword;
        this.monitorLogin = delivery.monitorLogin;
        this.uiExposure = delivery.uiExposure;
        this.rootKustomizationUrn = delivery.rootKustomizationUrn;
        this.taskRoleArn = delivery.taskRoleArn;
        this.dagAlertTopicArn = delivery.dagAlertTopicArn;

        this.registerOutputs({
            clusterName: this.clusterName,
            clusterArn: this.clusterArn,
            nodeGroupName: this.nodeGroupName,
            nodeGroupArn: this.nodeGroupArn,
            nodeCount: this.nodeCount,
            nodeSecurityGroupId: this.nodeSecurityGroupId,
            oidcProviderArn: this.oidcProviderArn,
            oidcIssuer: this.oidcIssuer,
            logShipperRoleArn: this.logShipperRoleArn,
            gitopsDeployKey: this.gitopsDeployKey,
            gitopsWriteDeployKey: this.gitopsWriteDeployKey,
            rootKustomizationUrn: this.rootKustomizationUrn,
            taskRoleArn: this.taskRoleArn,
            dagAlertTopicArn: this.dagAlertTopicArn,
        });
    }

    /** Grants a client the Kubernetes API's private endpoint (443 on the cluster security group). */
    allowApiFrom(client: string, grant: ClientGrant): aws.vpc.SecurityGroupIngressRule {
        return allowPortFrom(`${this.name}-api-from-${client}`, this.nodeSecurityGroupId, 443, grant, this);
    }

    /**
     * Kubernetes objects and Helm releases, all through the cluster's provider, and deleted with the
     * cluster: a destroy does not delete them one by one (the cluster's deletion takes them all), so no
     * namespace waits on a finalizer whose controller Pulumi has already removed (fluxcd/flux2 #632,
     * pulumi-kubernetes #1920 and #2675), and nothing needs the nodes awake except the one object that
     * must be deleted first, the root Kustomization (airflowDelivery). A `pulumi up` that removes one of
     * them still deletes it.
     */
    private get k8sOptions() {
        return { parent: this, provider: this.kubeProvider, deletedWith: this.cluster };
    }

    private namespace(part: string, manifest: ReturnType<typeof namespace>): k8s.core.v1.Namespace {
        return new k8s.core.v1.Namespace(`${this.name}-ns-${part}`, { metadata: manifest.metadata }, this.k8sOptions);
    }

    /**
     * A pinned chart. skipAwait: a `pulumi up` while the nodes sleep must not wait for pods that cannot
     * be scheduled; the controllers start at the next wake. The release name is fixed (no suffix).
     */
    private helmRelease(part: string, spec: pulumi.Output<HelmReleaseSpec>, dependsOn: pulumi.Resource[]): k8s.helm.v3.Release {
        return new k8s.helm.v3.Release(`${this.name}-${part}`, {
            name: spec.name,
            namespace: spec.namespace,
            chart: spec.chart,
            version: spec.version,
            repositoryOpts: { repo: spec.repository },
            values: spec.values,
            skipAwait: true,
            maxHistory: 5,
        }, { ...this.k8sOptions, dependsOn });
    }

    /**
     * The platform controllers: the AWS Load Balancer Controller, Fluent Bit and Flux, each calling AWS
     * through its own IRSA role; no application permission on the node role.
     */
    private controllers(args: AirflowClusterArgs, cluster: aws.eks.Cluster, { group: nodes, dns }: { group: aws.eks.NodeGroup; dns: aws.eks.Addon }) {
        const namespaces = platformNamespaces();
        const fluxSystem = this.namespace("flux-system", namespaces.fluxSystem);

        const { role: lbcRole, policy: lbcPolicy } = this.serviceAccountRole("load-balancer-controller", SERVICE_ACCOUNTS.loadBalancerController,
            // The upstream policy of the pinned controller, unchanged (cluster/iam/README.md).
            JSON.parse(loadBalancerControllerPolicyDocument()) as PolicyDocument, "AWS Load Balancer Controller: ALBs for Ingresses of class alb");
        // What the ALBs send to the pods from: no rule of its own (the controller admits it on the nodes'
        // group); Pulumi's, so that a destroy deletes it after the ALB (cluster/controllers.ts).
        const backendSg = new aws.ec2.SecurityGroup(`${this.name}-lb-backend-sg`, {
            vpcId: args.vpcId,
            description: "Load balancers to the pods: the source the nodes' group admits (rules by the load balancer controller)",
            tags: { Name: `${this.name}-lb-backend` },
        }, { parent: this });
        const loadBalancerController = this.helmRelease("load-balancer-controller",
            pulumi.all([cluster.name, args.vpcId, lbcRole.arn, backendSg.id]).apply(([clusterName, vpcId, roleArn, backendSecurityGroupId]) =>
                loadBalancerControllerRelease({ clusterName, region: args.region, vpcId, roleArn, backendSecurityGroupId, defaultTags: args.tags })),
            // Its permissions and the cluster's DNS (it resolves the AWS endpoints) before it starts, and
            // on destroy until it has deleted the ALB.
            [nodes, dns, ...(lbcPolicy ? [lbcPolicy] : [])]);

        const shipperRoleArn = args.logSearch ? this.logShipper(args.region, args.logSearch, namespaces.logging) : undefined;

        // Its policy (tag listing on the Airflow repository only) is granted by the Registry.
        const { role: reflectorRole } = this.serviceAccountRole("image-reflector", SERVICE_ACCOUNTS.imageReflector, undefined,
            "Flux image reflector: lists the Airflow image's tags in ECR");
        // The chart's pre-install check runs as a Job: it needs a node.
        const flux = this.helmRelease("flux", reflectorRole.arn.apply((imageReflectorRoleArn) => fluxRelease({ imageReflectorRoleArn })), [fluxSystem, nodes]);
        return { logShipperRoleArn: shipperRoleArn, imageReflectorRoleName: reflectorRole.name, flux, loadBalancerController };
    }

    /** Fluent Bit: every container's log to the search domain, signed with its own role. */
    private logShipper(region: string, search: NonNullable<AirflowClusterArgs["logSearch"]>, logging: ReturnType<typeof namespace>): pulumi.Output<string> {
        const ns = this.namespace("logging", logging);
        const { role } = this.serviceAccountRole("log-shipper", SERVICE_ACCOUNTS.fluentBit,
            pulumi.output(search.domainArn).apply(openSearchWriterPolicy), "Fluent Bit: writes container logs to the log-search domain");
        this.helmRelease("fluent-bit",
            pulumi.all([search.endpoint, role.arn]).apply(([opensearchHost, roleArn]) => fluentBitRelease({ opensearchHost, region, roleArn })),
            [ns]);
        return role.arn;
    }

    /**
     * What Pulumi owns of Airflow's delivery: the airflow namespace with its secrets and role, the
     * platform settings, the UI's security group, Airflow's database user, and the Flux sources and
     * root Kustomization that apply the stack's folder of the GitOps repository. Everything else
     * (the Airflow HelmRelease, image automation, the user's own workloads) lives in Git.
     */
    private airflowDelivery(name: string, args: AirflowClusterArgs, controllers: { flux: k8s.helm.v3.Release; loadBalancerController: k8s.helm.v3.Release }) {
        const { flux, loadBalancerController } = controllers;
        const parent = { parent: this };
        const k8sOpts = this.k8sOptions;
        const airflowNs = this.namespace("airflow", platformNamespaces().airflow);
        const bootstrapNs = this.namespace("metastore-bootstrap", namespace(BOOTSTRAP_NAMESPACE, "restricted"));

        // DAG failure alerts: their own topic, e-mailed to the operator; Airflow may publish to it alone.
        const alertTopic = new aws.sns.Topic(`${name}-dag-alerts`, { displayName: "Data platform DAG alerts" }, parent);
        if (args.alertEmail !== undefined) {
            new aws.sns.TopicSubscription(`${name}-dag-alerts-email`, { topic: alertTopic.arn, protocol: "email", endpoint: args.alertEmail }, parent);
        }
        // What every Airflow process needs: its task logs in S3 (and the bucket's key), the connections
        // and variables under the stack's Parameter Store prefix, and the alert topic.
        const platformGrants = pulumi.all([args.taskLogs.bucketArn, args.taskLogs.keyArn, args.accountId, alertTopic.arn]).apply(([bucketArn, keyArn, accountId, topicArn]) => {
            const logs = taskLogPolicy(bucketArn, keyArn, args.region);
            return { ...logs, Statement: [...logs.Statement, ...airflowSecretsStatements(args.region, accountId, args.secretsPrefix), publishStatement("DagAlerts", topicArn)] };
        });
        // Two roles: Airflow's own components, and task pods. The task role carries the same platform
        // grants in one policy and the stack's grants for the DAGs' own work in others, so that a
        // user's grant never lands on the scheduler or the API server, and never mixes with the platform's.
        const ownAccounts = Object.values(AIRFLOW_SERVICE_ACCOUNTS).filter((sa) => sa !== AIRFLOW_SERVICE_ACCOUNTS.worker);
        const { role: airflowRole } = this.serviceAccountRole("airflow", ownAccounts.map((sa) => ({ namespace: AIRFLOW_NAMESPACE, name: sa })),
            platformGrants, "Airflow's components: task logs in S3, connections and variables in Parameter Store, DAG alerts");
        const { role: taskRole } = this.serviceAccountRole("airflow-tasks", { namespace: AIRFLOW_NAMESPACE, name: AIRFLOW_SERVICE_ACCOUNTS.worker },
            platformGrants, "Airflow task pods: the platform's grants (this policy) and the stack's for the DAGs' work (the user policies)");
        if (args.airflow.taskRolePolicy !== undefined) {
            new aws.iam.RolePolicy(`${name}-airflow-tasks-user-policy`, { role: taskRole.name, policy: args.airflow.taskRolePolicy }, parent);
        }
        args.airflow.taskRoleManagedPolicyArns.forEach((policyArn, i) =>
            new aws.iam.RolePolicyAttachment(`${name}-airflow-tasks-managed-${i}`, { role: taskRole.name, policyArn }, parent));

        // Generated once, kept in state (encrypted), stable across updates.
        const fernet = new random.RandomId(`${name}-fernet-key`, { byteLength: 32 }, parent);
        const apiSecretKey = new random.RandomPassword(`${name}-api-secret-key`, { length: 48, special: false }, parent);
        const jwtSecret = new random.RandomPassword(`${name}-jwt-secret`, { length: 48, special: false }, parent);
        const adminPassword = new random.RandomPassword(`${name}-admin-password`, { length: 24, special: false }, parent);
        const dbPassword = new random.RandomPassword(`${name}-airflow-db-password`, { length: 32, special: false }, parent);
        const monitorPassword = new random.RandomPassword(`${name}-monitor-db-password`, { length: 32, special: false }, parent);
        const secret = (part: string, ns: k8s.core.v1.Namespace, secretName: string, stringData: Record<string, pulumi.Input<string>>) =>
            new k8s.core.v1.Secret(`${name}-secret-${part}`, {
                metadata: { name: secretName, namespace: ns.metadata.name },
                type: "Opaque",
                stringData: pulumi.secret(stringData),
            }, k8sOpts);

        const caBundle = rdsCaBundle();
        const caConfigMaps = ([["airflow", airflowNs], ["bootstrap", bootstrapNs]] as const).map(([part, ns]) =>
            new k8s.core.v1.ConfigMap(`${name}-rds-ca-${part}`, {
                metadata: { name: AIRFLOW_RDS_CA.configMap, namespace: ns.metadata.name },
                data: { [AIRFLOW_RDS_CA.key]: caBundle },
            }, k8sOpts));
        const db = args.metastore;
        secret("metadata", airflowNs, AIRFLOW_SECRETS.metadata.name, {
            [AIRFLOW_SECRETS.metadata.key]: pulumi.all([dbPassword.result, db.address]).apply(([password, host]) =>
                airflowConnectionUri({ password, host, port: db.port, database: db.database, caPath: RDS_CA_PATH })),
        });
        // Fernet keys are 32 bytes in URL-safe base64 with padding (cryptography's Fernet).
        secret("fernet-key", airflowNs, AIRFLOW_SECRETS.fernetKey.name, {
            [AIRFLOW_SECRETS.fernetKey.key]: fernet.b64Std.apply((b64) => b64.replace(/\+/g, "-").replace(/\//g, "_")),
        });
        secret("api-secret-key", airflowNs, AIRFLOW_SECRETS.apiSecretKey.name, { [AIRFLOW_SECRETS.apiSecretKey.key]: apiSecretKey.result });
        secret("jwt-secret", airflowNs, AIRFLOW_SECRETS.jwtSecret.name, { [AIRFLOW_SECRETS.jwtSecret.key]: jwtSecret.result });
        secret("admin", airflowNs, AIRFLOW_SECRETS.admin.name, {
            [AIRFLOW_SECRETS.admin.usernameKey]: "admin",
            [AIRFLOW_SECRETS.admin.passwordKey]: adminPassword.result,
        });

        // Airflow's own database user, created by a Job on the cluster (metastore/bootstrap.ts).
        const credentials = secret("metastore-credentials", bootstrapNs, BOOTSTRAP_SECRET, {
            "master-password": db.masterPassword,
            "airflow-password": dbPassword.result,
            "monitor-password": monitorPassword.result,
        });
        // A new password means a new Job (a Job's template cannot change). Eight hex digits of a hash
        // reveal nothing of the password, so the Job itself need not be secret in the plan.
        const revision = pulumi.unsecret(pulumi.all([db.address, dbPassword.result, monitorPassword.result]).apply(([host, password, monitor]) =>
            createHash("sha256").update(`${host}:${password}:${monitor}`).digest("hex").slice(0, 8)));
        new k8s.batch.v1.Job(`${name}-airflow-db-user`, pulumi.all([db.address, revision]).apply(([host, jobRevision]) => bootstrapJob({
            host,
            port: db.port,
            database: db.database,
            masterUser: db.masterUsername,
            caConfigMap: AIRFLOW_RDS_CA.configMap,
            caKey: AIRFLOW_RDS_CA.key,
            revision: jobRevision,
        })) as unknown as k8s.batch.v1.JobArgs, { ...k8sOpts, dependsOn: [credentials, caConfigMaps[1]] });

        // The UI's load balancer: its security group is the allow-list (the controller attaches it).
        const exposure = uiExposure({ uiCertificateArn: args.airflow.uiCertificateArn, uiAllowedCidrs: args.airflow.uiAllowedCidrs });
        const uiSecurityGroup = exposure.value ? this.uiSecurityGroup(name, args) : undefined;
        const uiSecurityGroupId = uiSecurityGroup?.id ?? pulumi.output("");

        // Flux: the sources it reads (and image automation writes) with generated deploy keys, the
        // settings it substitutes, and the root Kustomization of this stack's folder.
        const readKey = new tls.PrivateKey(`${name}-gitops-deploy-key`, { algorithm: "ED25519" }, parent);
        const writeKey = new tls.PrivateKey(`${name}-gitops-write-key`, { algorithm: "ED25519" }, parent);
        const fluxSecret = (part: string, secretName: string, key: tls.PrivateKey) =>
            new k8s.core.v1.Secret(`${name}-secret-${part}`, {
                metadata: { name: secretName, namespace: FLUX_NAMESPACE },
                type: "Opaque",
                stringData: pulumi.secret(pulumi.all([key.privateKeyOpenssh, key.publicKeyOpenssh]).apply(([privateKeyOpenssh, publicKeyOpenssh]) =>
                    sshAuthData({ privateKeyOpenssh, publicKeyOpenssh }, args.airflow.gitopsKnownHosts))),
            }, { ...k8sOpts, dependsOn: [flux] });
        const source = { url: args.airflow.gitopsRepositoryUrl, branch: args.airflow.gitopsBranch };
        const sources = [
            fluxSecret("gitops-auth", GITOPS_SECRET, readKey),
            fluxSecret("gitops-write-auth", GITOPS_WRITE_SECRET, writeKey),
        ];
        const settings = new k8s.core.v1.ConfigMap(`${name}-platform-settings`,
            pulumi.all([this.clusterName, args.airflowImageRepository, airflowRole.arn, args.taskLogs.bucketName, uiSecurityGroupId, taskRole.arn, alertTopic.arn])
                .apply(([clusterName, airflowImageRepository, airflowRoleArn, taskLogBucket, uiSecurityGroup, airflowTaskRoleArn, dagAlertTopicArn]) => platformSettingsConfigMap(platformSettings({
                    environment: args.environment,
                    region: args.region,
                    clusterName,
                    airflowImageRepository,
                    airflowRoleArn,
                    airflowTaskRoleArn,
                    dagAlertTopicArn,
                    secretsPrefix: args.secretsPrefix,
                    taskLogBucket,
                    imageBranch: args.imageBranch,
                    gitopsPath: args.airflow.gitopsPath,
                    uiCertificateArn: args.airflow.uiCertificateArn,
                    uiAllowedCidrs: args.airflow.uiAllowedCidrs,
                    uiSecurityGroupId: uiSecurityGroup,
                    uiZones: args.airflow.uiLoadBalancerZones,
                }))) as unknown as k8s.core.v1.ConfigMapArgs,
            { ...k8sOpts, dependsOn: [flux] });
        const flux_ = (part: string, object: ReturnType<typeof gitRepository>, dependsOn: pulumi.Resource[]) =>
            new k8s.apiextensions.CustomResource(`${name}-${part}`, object, { ...k8sOpts, dependsOn: [flux, ...dependsOn] });
        const read = flux_("gitops-source", gitRepository(GITOPS_SOURCE, source, GITOPS_SECRET), [sources[0]]);
        flux_("gitops-write-source", gitRepository(GITOPS_WRITE_SOURCE, source, GITOPS_WRITE_SECRET, "1h0m0s"), [sources[1]]);
        // Applied last: everything the stack's folder refers to exists by then. The UI's Component
        // only where the UI is exposed (its variables exist only there).
        // Deleted first, and for real (not with the cluster): its deletion uninstalls Airflow and waits
        // for the Ingress to go (deletionPolicy WaitForTermination), so the controller deletes the ALB
        // while it still runs. It depends on the controller, on Flux and on the UI's security group, so
        // a destroy removes none of them before it; the nodes must be awake for it (`npm run teardown`
        // wakes them). Its delete waits up to 30 minutes: an uninstall (10m) and an ALB's deletion.
        const root = new k8s.apiextensions.CustomResource(`${name}-gitops-root`,
            rootKustomization({ path: args.airflow.gitopsPath, components: exposure.value ? [UI_INGRESS_COMPONENT] : [] }), {
                parent: this,
                provider: this.kubeProvider,
                dependsOn: [flux, read, settings, airflowNs, loadBalancerController, args.network, ...(uiSecurityGroup ? [uiSecurityGroup] : [])],
                customTimeouts: { delete: "30m" },
            });

        return {
            deployKey: readKey.publicKeyOpenssh,
            writeDeployKey: writeKey.publicKeyOpenssh,
            adminPassword: pulumi.secret(adminPassword.result),
            uiExposure: exposure,
            rootKustomizationUrn: root.urn,
            taskRoleArn: taskRole.arn,
            dagAlertTopicArn: alertTopic.arn,
            monitorLogin: { username: MONITOR_DB_USER, password: pulumi.secret(monitorPassword.result) },
        };
    }

    /**
     * The UI load balancer's security group: HTTPS, and HTTP only to be redirected, from the allowed
     * CIDRs; out only to the API server's pods. The controller attaches it instead of making its own.
     */
    private uiSecurityGroup(name: string, args: AirflowClusterArgs): aws.ec2.SecurityGroup {
        const parent = { parent: this };
        const sg = new aws.ec2.SecurityGroup(`${name}-ui-alb-sg`, {
            vpcId: args.vpcId,
            description: "Airflow UI load balancer: HTTPS (and HTTP to redirect) from the allow-list",
            tags: { Name: `${name}-ui-alb`, ...UI_ALB_ROLE_TAG },
        }, parent);
        args.airflow.uiAllowedCidrs.forEach((cidr, i) => {
            for (const [protocol, port] of [["https", 443], ["http", 80]] as const) {
                new aws.vpc.SecurityGroupIngressRule(`${name}-ui-alb-${protocol}-${i}`, {
                    securityGroupId: sg.id,
                    description: port === 443 ? `Airflow UI over HTTPS from ${cidr}` : `HTTP from ${cidr}, answered with a redirect to HTTPS`,
                    ipProtocol: "tcp",
                    fromPort: port,
                    toPort: port,
                    cidrIpv4: cidr,
                }, parent);
            }
        });
        new aws.vpc.SecurityGroupEgressRule(`${name}-ui-alb-to-api-server`, {
            securityGroupId: sg.id,
            description: "To the Airflow API server's pods (target type ip)",
            ipProtocol: "tcp",
            fromPort: API_SERVER_PORT,
            toPort: API_SERVER_PORT,
            cidrIpv4: args.vpcCidr,
        }, parent);
        return sg;
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
            // EC2 tags what a launch template launches only from these specifications: the provider's
            // defaultTags reach the template itself, not its instances (pulumi-aws is built on the
            // Terraform AWS provider, whose maintainers say so in hashicorp/terraform-provider-aws#19387
            // and #32328), and EKS does not copy a node group's tags to its instances (EKS User Guide,
            // "Tagging your Amazon EKS resources"). Without the Stack tag the budget would not see the
            // nodes, their disks or their interfaces.
            tagSpecifications: (["instance", "volume", "network-interface"] as const).map((resourceType) => ({
                resourceType,
                tags: { ...args.tags, Name: `${args.clusterName}-node` },
            })),
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
            // The control plane's version: without it the group keeps the version it was created with,
            // and a Kubernetes upgrade (README, "Upgrading Kubernetes") would leave the nodes behind. With
            // it, the node group is upgraded after the control plane, in the same `pulumi up`.
            version: cluster.version,
            // Spot (nodeCapacityType): the managed group spreads over every listed type's pools and
            // drains a node on EC2's rebalance recommendation (EKS User Guide, "Managed node groups",
            // Spot). The capacity type cannot change in place: a change replaces the node group.
            capacityType: args.nodeCapacityType,
            instanceTypes: [args.nodeInstanceType, ...args.nodeSpotAlternativeTypes],
            launchTemplate: { id: launchTemplate.id, version: launchTemplate.latestVersion.apply(String) },
            // The size at creation. min 0 lets the scheduler put the nodes to sleep; EKS refuses a max of 0.
            scalingConfig: { desiredSize: args.nodeCount, minSize: 0, maxSize: Math.max(args.nodeCount, 1) },
            updateConfig: { maxUnavailable: 1 },
            labels: { "data-platform/pool": "airflow" },
        }, {
            parent: this,
            // The NightlyScheduler owns the whole scaling configuration after creation; a nodeCount change
            // reaches it through its context and takes effect at the next wake (or `npm run power -- wake`).
            // Ignoring desiredSize alone is not enough: Pulumi then sends the desiredSize it stored at
            // creation with the new maxSize, so lowering nodeCount from 4 to 3 sends desired 4 with max 3,
            // which EKS refuses (UpdateNodegroupConfig: desiredSize must lie between minSize and maxSize),
            // and raising it at night sends desired 4, waking a sleeping node group.
            ignoreChanges: ["scalingConfig"],
            dependsOn: [...attachments, addonPull, ...networking],
        });

        // CoreDNS runs on the nodes: created after them, and configured to come back by itself after a night.
        const dns = addon("coredns", args.addons.coreDns, { configurationValues: args.addons.coreDnsConfiguration, dependsOn: [group] });
        return { role, group, dns };
    }

    /**
     * An IAM role that exactly these Kubernetes service accounts (and nothing else) may assume, with
     * its policy; without one here, its permissions are granted elsewhere (a grant method).
     */
    private serviceAccountRole(part: string, accounts: ServiceAccountRef | readonly ServiceAccountRef[], policy: pulumi.Input<PolicyDocument> | undefined, description: string): { role: aws.iam.Role; policy?: aws.iam.RolePolicy } {
        const role = new aws.iam.Role(`${this.name}-${part}-role`, {
            description,
            assumeRolePolicy: pulumi.all([this.oidcProviderArn, this.oidcIssuer]).apply(([arn, issuer]) => JSON.stringify(serviceAccountTrustPolicy(arn, issuer, accounts))),
        }, { parent: this });
        const rolePolicy = policy === undefined ? undefined : new aws.iam.RolePolicy(`${this.name}-${part}-policy`, {
            role: role.name,
            policy: pulumi.output(policy).apply((p) => JSON.stringify(p)),
        }, { parent: this });
        return { role, policy: rolePolicy };
    }
}
