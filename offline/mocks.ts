// Pulumi runtime mocks that stand in for AWS while the real program runs. They record every
// resource registration and invoke, answer with what AWS would compute (ids, ARNs, endpoints), give
// remote components (which register no children under mocks) their documented outputs, and refuse
// what they do not know: an unknown invoke or remote component is an error, never a guessed answer.

import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { parseAllDocuments } from "yaml";

export const ACCOUNT_ID = "123456789012";

export interface RecordedResource {
    readonly type: string;
    readonly name: string;
    /** Whether the resource is a custom resource (a cloud object) rather than a component. */
    readonly custom: boolean;
    readonly inputs: Record<string, any>;
    /** State the mock returned: inputs plus computed outputs. */
    readonly state: Record<string, any>;
    readonly id: string;
    /** Parent's "type::name"; "stack" for the root; filled from the stack transformation. */
    parent?: string;
    /** Provider reference, as the engine would see it. */
    readonly provider?: string;
    /** Resource options that change what the engine does, filled from the stack transformation. */
    options?: RecordedOptions;
}

/** The options a deploy depends on: what is ignored, kept, or waited for. */
export interface RecordedOptions {
    readonly ignoreChanges: readonly string[];
    /** "type::name" of each explicit dependency. */
    readonly dependsOn: readonly string[];
    readonly retainOnDelete: boolean;
    readonly deleteBeforeReplace: boolean;
    readonly protect: boolean;
    /** "type::name" of the resource whose deletion makes deleting this one unnecessary (skipped). */
    readonly deletedWith?: string;
    /** How long the engine waits for the delete (customTimeouts.delete), where set. */
    readonly deleteTimeout?: string;
    /**
     * "type::name" of every resource the engine orders this one after: the explicit dependsOn and the
     * resources whose outputs flow into its inputs (what Pulumi stores as `dependencies`). A destroy
     * deletes this resource before any of them.
     */
    readonly dependencies: readonly string[];
}

export interface RecordedInvoke {
    readonly token: string;
    readonly inputs: Record<string, any>;
}

const hash = (text: string, length: number) => createHash("sha256").update(text).digest("hex").slice(0, length);

/** AWS id prefixes, so that recorded ids read like the real ones (vpc-…, subnet-…). */
const ID_PREFIX: Record<string, string> = {
    "aws:ec2/vpc:Vpc": "vpc",
    "aws:ec2/subnet:Subnet": "subnet",
    "aws:ec2/internetGateway:InternetGateway": "igw",
    "aws:ec2/natGateway:NatGateway": "nat",
    "aws:ec2/eip:Eip": "eipalloc",
    "aws:ec2/routeTable:RouteTable": "rtb",
    "aws:ec2/networkInterface:NetworkInterface": "eni",
    "aws:ec2/instance:Instance": "i",
    "aws:ec2/securityGroup:SecurityGroup": "sg",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr",
    "aws:kms/key:Key": "key",
    "aws:ec2/launchTemplate:LaunchTemplate": "lt",
};

const region = (inputs: Record<string, any>) => (inputs.region as string | undefined) ?? "us-east-1";
const arn = (service: string, resource: string, inputs: Record<string, any>, regional = true) =>
    `arn:aws:${service}:${regional ? region(inputs) : ""}:${ACCOUNT_ID}:${resource}`;

/** Pulumi auto-names physical names as <logical name>-<7 hex>; the mock does the same. */
const autoName = (name: string, inputs: Record<string, any>, key = "name") => (inputs[key] as string | undefined) ?? `${name}-${hash(name, 7)}`;

type Computed = (name: string, id: string, inputs: Record<string, any>) => Record<string, unknown>;

/** What AWS computes for each type the program creates: ids, ARNs, endpoints, names. */
const COMPUTED: Record<string, Computed> = {
    "aws:ec2/vpc:Vpc": (_n, id, i) => ({
        arn: arn("ec2", `vpc/${id}`, i),
        defaultSecurityGroupId: `sg-${hash(id, 17)}`,
        mainRouteTableId: `rtb-${hash(id + "main", 17)}`,
        ownerId: ACCOUNT_ID,
    }),
    "aws:ec2/subnet:Subnet": (_n, id, i) => ({ arn: arn("ec2", `subnet/${id}`, i), ownerId: ACCOUNT_ID }),
    "aws:ec2/eip:Eip": (_n, id) => ({ allocationId: id, publicIp: `203.0.113.${parseInt(hash(id, 2), 16) % 250}` }),
    "aws:ec2/natGateway:NatGateway": (_n, id) => ({ networkInterfaceId: `eni-${hash(id, 17)}`, privateIp: "10.0.192.10" }),
    "aws:ec2/networkInterface:NetworkInterface": () => ({ privateIp: "10.0.192.20" }),
    "aws:ec2/instance:Instance": (_n, id, i) => ({ arn: arn("ec2", `instance/${id}`, i), instanceState: "running" }),
    "aws:ec2/securityGroup:SecurityGroup": (n, id, i) => ({ arn: arn("ec2", `security-group/${id}`, i), name: autoName(n, i), ownerId: ACCOUNT_ID }),
    "aws:ec2/routeTable:RouteTable": (_n, id, i) => ({ arn: arn("ec2", `route-table/${id}`, i) }),
    "aws:ec2/vpcEndpoint:VpcEndpoint": (_n, id, i) => ({ arn: arn("ec2", `vpc-endpoint/${id}`, i), prefixListId: `pl-${hash(id, 8)}` }),
    "aws:iam/role:Role": (n, _id, i) => ({ arn: `arn:aws:iam::${ACCOUNT_ID}:role/${autoName(n, i)}`, name: autoName(n, i), uniqueId: `AROA${hash(n, 17).toUpperCase()}` }),
    "aws:iam/instanceProfile:InstanceProfile": (n, _id, i) => ({ arn: `arn:aws:iam::${ACCOUNT_ID}:instance-profile/${autoName(n, i)}`, name: autoName(n, i) }),
    "aws:iam/policy:Policy": (n, _id, i) => ({ arn: `arn:aws:iam::${ACCOUNT_ID}:policy/${autoName(n, i)}`, name: autoName(n, i), policyId: `ANPA${hash(n, 17).toUpperCase()}` }),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": (_n, _id, i) => ({
        arn: `arn:aws:iam::${ACCOUNT_ID}:oidc-provider/${String(i.url).replace(/^https:\/\//, "")}`,
    }),
    "aws:iam/serviceLinkedRole:ServiceLinkedRole": (_n, _id, i) => ({
        arn: `arn:aws:iam::${ACCOUNT_ID}:role/aws-service-role/${i.awsServiceName}/AWSServiceRoleForAmazonOpenSearchService`,
        name: "AWSServiceRoleForAmazonOpenSearchService",
    }),
    "aws:kms/key:Key": (_n, id, i) => ({ arn: arn("kms", `key/${id}`, i), keyId: id }),
    "aws:eks/cluster:Cluster": (n, _id, i) => {
        const name = autoName(n, i);
        const issuer = `https://oidc.eks.${region(i)}.amazonaws.com/id/${hash(name + "oidc", 32).toUpperCase()}`;
        return {
            name,
            arn: arn("eks", `cluster/${name}`, i),
            endpoint: `https://${hash(name, 32).toUpperCase()}.gr7.${region(i)}.eks.amazonaws.com`,
            certificateAuthority: { data: Buffer.from(`mock CA of ${name}`).toString("base64") },
            identities: [{ oidcs: [{ issuer }] }],
            // EKS creates the cluster security group; the managed nodes carry it.
            vpcConfig: { ...i.vpcConfig, clusterSecurityGroupId: `sg-${hash(name + "cluster-sg", 17)}`, vpcId: `vpc-${hash(name, 17)}` },
            status: "ACTIVE",
            platformVersion: "eks.1",
        };
    },
    "aws:eks/nodeGroup:NodeGroup": (n, _id, i) => {
        const nodeGroupName = autoName(n, i, "nodeGroupName");
        return { nodeGroupName, arn: arn("eks", `nodegroup/${i.clusterName}/${nodeGroupName}/${hash(n, 8)}`, i), status: "ACTIVE" };
    },
    "aws:eks/addon:Addon": (_n, _id, i) => ({ arn: arn("eks", `addon/${i.clusterName}/${i.addonName}/${hash(String(i.addonName), 8)}`, i) }),
    "aws:eks/accessEntry:AccessEntry": (_n, _id, i) => ({ accessEntryArn: arn("eks", `access-entry/${i.clusterName}/${hash(String(i.principalArn), 8)}`, i) }),
    "aws:ec2/launchTemplate:LaunchTemplate": (_n, id, i) => ({ arn: arn("ec2", `launch-template/${id}`, i), latestVersion: 1, defaultVersion: 1 }),
    "aws:kms/alias:Alias": (_n, _id, i) => ({ arn: arn("kms", String(i.name), i) }),
    "aws:cloudwatch/logGroup:LogGroup": (n, _id, i) => ({ arn: arn("logs", `log-group:${autoName(n, i)}`, i), name: autoName(n, i) }),
    "aws:rds/subnetGroup:SubnetGroup": (n, _id, i) => ({ arn: arn("rds", `subgrp:${autoName(n, i)}`, i), name: autoName(n, i) }),
    "aws:rds/parameterGroup:ParameterGroup": (n, _id, i) => ({ arn: arn("rds", `pg:${autoName(n, i)}`, i), name: autoName(n, i) }),
    "aws:rds/instance:Instance": (n, _id, i) => {
        const identifier = autoName(n, i, "identifier");
        const address = `${identifier}.c${hash(identifier, 12)}.${region(i)}.rds.amazonaws.com`;
        return { identifier, address, endpoint: `${address}:${i.port ?? 5432}`, port: i.port ?? 5432, arn: arn("rds", `db:${identifier}`, i), resourceId: `db-${hash(identifier, 26).toUpperCase()}` };
    },
    "aws:s3/bucket:Bucket": (n, _id, i) => {
        const bucket = autoName(n, i, "bucket");
        return { bucket, arn: `arn:aws:s3:::${bucket}`, bucketDomainName: `${bucket}.s3.amazonaws.com`, bucketRegionalDomainName: `${bucket}.s3.${region(i)}.amazonaws.com` };
    },
    "aws:opensearch/domain:Domain": (n, _id, i) => {
        const domainName = autoName(n, i, "domainName");
        return { domainName, arn: arn("es", `domain/${domainName}`, i), domainId: `${ACCOUNT_ID}/${domainName}`, endpoint: `vpc-${domainName}-${hash(domainName, 26)}.${region(i)}.es.amazonaws.com` };
    },
    "aws:ecr/repository:Repository": (n, _id, i) => {
        const repoName = autoName(n, i);
        return { name: repoName, arn: arn("ecr", `repository/${repoName}`, i), registryId: ACCOUNT_ID, repositoryUrl: `${ACCOUNT_ID}.dkr.ecr.${region(i)}.amazonaws.com/${repoName}` };
    },
    // NightlyScheduler: functions, schedules, queue, topic, parameters, alarms.
    "aws:lambda/function:Function": (n, _id, i) => {
        const name = autoName(n, i);
        const fnArn = arn("lambda", `function:${name}`, i);
        return { name, arn: fnArn, qualifiedArn: `${fnArn}:$LATEST`, invokeArn: `arn:aws:apigateway:${region(i)}:lambda:path/2015-03-31/functions/${fnArn}/invocations`, version: "$LATEST" };
    },
    "aws:scheduler/schedule:Schedule": (n, _id, i) => ({ name: autoName(n, i), arn: arn("scheduler", `schedule/${i.groupName ?? "default"}/${autoName(n, i)}`, i) }),
    "aws:sqs/queue:Queue": (n, _id, i) => ({ name: autoName(n, i), arn: arn("sqs", autoName(n, i), i), url: `https://sqs.${region(i)}.amazonaws.com/${ACCOUNT_ID}/${autoName(n, i)}` }),
    "aws:sns/topic:Topic": (n, _id, i) => ({ name: autoName(n, i), arn: arn("sns", autoName(n, i), i) }),
    "aws:dynamodb/table:Table": (n, _id, i) => ({ name: autoName(n, i), arn: arn("dynamodb", `table/${autoName(n, i)}`, i) }),
    "aws:sns/topicSubscription:TopicSubscription": (n, _id, i) => ({ arn: `${i.topic}:${hash(n, 36)}` }),
    "aws:ssm/parameter:Parameter": (n, _id, i) => ({ name: autoName(n, i), arn: arn("ssm", `parameter${String(autoName(n, i)).startsWith("/") ? "" : "/"}${autoName(n, i)}`, i), version: 1 }),
    "aws:cloudwatch/metricAlarm:MetricAlarm": (n, _id, i) => ({ name: autoName(n, i), arn: arn("cloudwatch", `alarm:${autoName(n, i)}`, i) }),
    "tls:index/privateKey:PrivateKey": (n, _id, i) => {
        if (i.algorithm !== "ED25519") throw new Error(`mock generates ED25519 keys only, not ${i.algorithm}`);
        // The OpenSSH wire format of an ed25519 public key (RFC 8709): string "ssh-ed25519", string key.
        const key = createHash("sha256").update(`${n} public`).digest();
        const field = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
        const publicKeyOpenssh = `ssh-ed25519 ${Buffer.concat([field(Buffer.from("ssh-ed25519")), field(key)]).toString("base64")}\n`;
        const body = createHash("sha512").update(`${n} private`).digest("base64");
        return { publicKeyOpenssh, privateKeyOpenssh: `-----BEGIN OPENSSH PRIVATE KEY-----\n${body}\n-----END OPENSSH PRIVATE KEY-----\n`, privateKeyPem: "(mock)", publicKeyPem: "(mock)" };
    },
    "random:index/randomId:RandomId": (n, _id, i) => {
        // Deterministic bytes of the requested length; the real provider draws them at random.
        const bytes = createHash("sha256").update(n).digest().subarray(0, Number(i.byteLength));
        return { hex: bytes.toString("hex"), b64Url: bytes.toString("base64url"), b64Std: bytes.toString("base64"), dec: BigInt(`0x${bytes.toString("hex")}`).toString() };
    },
    "random:index/randomPassword:RandomPassword": (n, _id, i) => {
        // A deterministic string of the requested length and alphabet; the real provider draws it at random.
        const alphabet = i.special === false ? "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789" : "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789!#%*-_";
        const bytes = createHash("sha512").update(n).digest();
        const result = Array.from({ length: Number(i.length) }, (_, k) => alphabet[bytes[k % bytes.length] % alphabet.length]).join("");
        return { result, bcryptHash: `$2a$10$${hash(result, 53)}` };
    },
};

/**
 * Remote (multi-language) components: under mocks they register themselves but none of their
 * children, so the mock must give them the outputs their SDK types declare.
 */
const REMOTE_COMPONENTS: Record<string, Computed> = {
    "awsx:ec2:Vpc": (n, _id, i) => {
        const azs = Number(i.numberOfAvailabilityZones ?? 3);
        const ids = (tier: string) => Array.from({ length: azs }, (_, k) => `subnet-${hash(`${n}-${tier}-${k}`, 17)}`);
        const vpcId = `vpc-${hash(n, 17)}`;
        return { vpcId, publicSubnetIds: ids("public"), privateSubnetIds: ids("private"), isolatedSubnetIds: [], natGateways: [], subnets: [], eips: [], routeTables: [], routeTableAssociations: [], routes: [], vpcEndpoints: [] };
    },
    "eks:index:Cluster": (n, _id, i) => {
        const clusterName = (i.name as string | undefined) ?? `${n}-eksCluster-${hash(n, 7)}`;
        const endpoint = `https://${hash(n, 32).toUpperCase()}.gr7.${region(i)}.eks.amazonaws.com`;
        const oidcIssuer = `oidc.eks.${region(i)}.amazonaws.com/id/${hash(n + "oidc", 32).toUpperCase()}`;
        const kubeconfig = {
            apiVersion: "v1",
            kind: "Config",
            clusters: [{ name: "kubernetes", cluster: { server: endpoint, "certificate-authority-data": Buffer.from("mock-ca").toString("base64") } }],
            contexts: [{ name: "aws", context: { cluster: "kubernetes", user: "aws" } }],
            "current-context": "aws",
            users: [{ name: "aws", user: { exec: { apiVersion: "client.authentication.k8s.io/v1beta1", command: "aws", args: ["eks", "get-token", "--cluster-name", clusterName] } } }],
        };
        return {
            kubeconfig,
            kubeconfigJson: JSON.stringify(kubeconfig),
            clusterSecurityGroupId: `sg-${hash(n + "cluster", 17)}`,
            nodeSecurityGroupId: `sg-${hash(n + "node", 17)}`,
            clusterIngressRuleId: `sgr-${hash(n + "ingress", 17)}`,
            eksCluster: { name: clusterName, arn: arn("eks", `cluster/${clusterName}`, i), endpoint, version: i.version ?? "1.33", vpcConfig: { clusterSecurityGroupId: `sg-${hash(n + "eks", 17)}` } },
            oidcProviderArn: `arn:aws:iam::${ACCOUNT_ID}:oidc-provider/${oidcIssuer}`,
            oidcProviderUrl: `https://${oidcIssuer}`,
            oidcIssuer,
            instanceRoles: [],
            core: {},
        };
    },
    "eks:index:ManagedNodeGroup": (n, _id, i) => {
        const nodeGroupName = (i.nodeGroupName as string | undefined) ?? `${n}-${hash(n, 7)}`;
        return {
            nodeGroup: {
                nodeGroupName,
                arn: arn("eks", `nodegroup/${i.clusterName ?? "cluster"}/${nodeGroupName}/${hash(n, 8)}`, i),
                scalingConfig: i.scalingConfig,
                status: "ACTIVE",
            },
        };
    },
};

type InvokeHandler = (inputs: Record<string, any>) => Record<string, unknown>;

export const DEFAULT_CALLER_ARN = `arn:aws:sts::${ACCOUNT_ID}:assumed-role/platform-admin/pulumi-up`;

/** The invokes the program may make, each answered as AWS would; anything else is an error. */
const INVOKES: Record<string, InvokeHandler> = {
    "aws:ssm/getParameter:getParameter": (i) => {
        if (i.name !== "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64") {
            throw new Error(`mock answers only the Amazon Linux 2023 arm64 image parameter, not ${i.name}`);
        }
        return { name: i.name, type: "String", value: "ami-0123456789abcdef0", arn: arn("ssm", `parameter${i.name}`, i), version: 101, insecureValue: "ami-0123456789abcdef0", withDecryption: true };
    },
    // The operator the stack files name as admin, signed in through a role session (SSO or assume-role),
    // as STS reports it: the session ARN, not the role's (RecordingMocks' callerArn stands for another).
    "aws:index/getCallerIdentity:getCallerIdentity": () => ({ accountId: ACCOUNT_ID, arn: DEFAULT_CALLER_ARN, userId: "AROAMOCKPLATFORMADMIN:pulumi-up", id: ACCOUNT_ID }),
    "aws:index/getPartition:getPartition": () => ({ partition: "aws", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws", id: "aws" }),
    "kubernetes:yaml:decode": (i) => ({
        result: parseAllDocuments(String(i.text))
            .map((d) => d.toJS())
            .filter((d) => d !== null && d !== undefined),
    }),
};

export class RecordingMocks implements pulumi.runtime.Mocks {
    readonly resources: RecordedResource[] = [];
    readonly invokes: RecordedInvoke[] = [];
    /** Every error a mock raised; the harness fails the evaluation if any is here. */
    readonly errors: Error[] = [];

    /** `callerArn`: who STS says runs the deploy (default: an admin's role session). */
    constructor(private readonly options: { readonly callerArn?: string } = {}) {}

    newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Record<string, any> } {
        try {
            return this.register(args);
        } catch (err) {
            this.errors.push(err as Error);
            throw err;
        }
    }

    call(args: pulumi.runtime.MockCallArgs): Record<string, any> {
        this.invokes.push({ token: args.token, inputs: args.inputs });
        const handler = INVOKES[args.token];
        try {
            if (!handler) throw new Error(`unmocked invoke ${args.token}(${JSON.stringify(args.inputs)}): add an answer to offline/mocks.ts`);
            const answer = handler(args.inputs);
            return args.token === "aws:index/getCallerIdentity:getCallerIdentity" && this.options.callerArn !== undefined ? { ...answer, arn: this.options.callerArn } : answer;
        } catch (err) {
            this.errors.push(err as Error);
            throw err;
        }
    }

    private register(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Record<string, any> } {
        const { type, name, inputs } = args;
        const key = `${type}::${name}`;
        if (this.resources.some((r) => `${r.type}::${r.name}` === key)) throw new Error(`duplicate resource ${key}: URNs would collide`);

        let id: string;
        let state: Record<string, any>;
        if (type === "pulumi:pulumi:Stack" || type.startsWith("data-platform:")) {
            // Local components: their children register on their own.
            id = "";
            state = {};
        } else if (!args.custom) {
            const outputs = REMOTE_COMPONENTS[type];
            if (!outputs) throw new Error(`remote component ${type} has no mocked outputs: add them to offline/mocks.ts`);
            id = "";
            state = { ...inputs, ...outputs(name, id, inputs) };
        } else if (type.startsWith("pulumi:providers:")) {
            id = `${name}-provider`;
            state = inputs;
        } else {
            // The monitor passes the import id as "" when there is none (a protobuf default), not undefined.
            const importId = args.id !== undefined && args.id !== "" ? args.id : undefined;
            id = importId ?? `${ID_PREFIX[type] ?? name}-${hash(key, 17)}`;
            state = { ...inputs, ...(COMPUTED[type]?.(name, id, inputs) ?? {}) };
        }
        this.resources.push({ type, name, custom: args.custom ?? false, inputs, state, id, provider: args.provider });
        return { id: id === "" ? undefined : id, state };
    }
}
