// The promises the platform makes, as Pulumi policies. Each is a plain ResourceValidationPolicy or
// StackValidationPolicy object, so that tests call validateResource / validateStack directly with
// arguments shaped as the policy SDK shapes them (policy/index.ts alone builds the PolicyPack, which
// starts a server).
//
// Resource policies see a resource's inputs; a promise that spans resources (a bucket and its
// public-access block, a database and its parameter group, a node group and its subnets) is a stack
// policy, which sees every resource's outputs. A stack policy follows a reference first through the
// engine's propertyDependencies (known in preview, before ids exist) and then by value (an id, name
// or ARN equal to the target's), which is what the offline harness can offer.

import type {
    PolicyResource,
    ReportViolation,
    ResourceValidation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";
import { ALB_ROLE_TAG, estimate, readPriceFile, type GraphResource } from "../cost/cost";
import { asArray } from "../core/policies";

export const TYPES = {
    rds: "aws:rds/instance:Instance",
    rdsParams: "aws:rds/parameterGroup:ParameterGroup",
    bucket: "aws:s3/bucket:Bucket",
    bucketV2: "aws:s3/bucketV2:BucketV2",
    publicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    accountPublicAccessBlock: "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock",
    bucketEncryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    bucketEncryptionV2: "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
    bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
    openSearch: "aws:opensearch/domain:Domain",
    ecr: "aws:ecr/repository:Repository",
    eks: "aws:eks/cluster:Cluster",
    nodeGroup: "aws:eks/nodeGroup:NodeGroup",
    launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
    instance: "aws:ec2/instance:Instance",
    subnet: "aws:ec2/subnet:Subnet",
    routeTable: "aws:ec2/routeTable:RouteTable",
    route: "aws:ec2/route:Route",
    routeTableAssociation: "aws:ec2/routeTableAssociation:RouteTableAssociation",
    internetGateway: "aws:ec2/internetGateway:InternetGateway",
    kmsKey: "aws:kms/key:Key",
    iamRole: "aws:iam/role:Role",
    iamRolePolicy: "aws:iam/rolePolicy:RolePolicy",
    iamPolicy: "aws:iam/policy:Policy",
    iamUserPolicy: "aws:iam/userPolicy:UserPolicy",
    iamGroupPolicy: "aws:iam/groupPolicy:GroupPolicy",
    iamAttachments: [
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "aws:iam/userPolicyAttachment:UserPolicyAttachment",
        "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
        "aws:iam/policyAttachment:PolicyAttachment",
    ],
    lambda: "aws:lambda/function:Function",
    lambdaInvokeConfig: "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
    schedule: "aws:scheduler/schedule:Schedule",
    eventRule: "aws:cloudwatch/eventRule:EventRule",
    securityGroup: "aws:ec2/securityGroup:SecurityGroup",
    ingressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    sgRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
} as const;

// ---------------------------------------------------------------- helpers


/** A resource validation that runs for one type only; the type tag lets the policy server skip others fast. */
function forType(type: string, validate: ResourceValidation): ResourceValidation {
    const fn: ResourceValidation = (args, report) => (args.type === type ? validate(args, report) : undefined);
    // The policy SDK reads __pulumiType off a validation function to mark other types not applicable.
    (fn as unknown as { __pulumiType: string }).__pulumiType = type;
    return fn;
}

/** Policy documents arrive as JSON strings (or, from some SDK paths, as objects). */
function parseDocument(policy: unknown): { Statement?: unknown } | undefined {
    if (typeof policy === "string") {
        try {
            return JSON.parse(policy);
        } catch {
            return undefined;
        }
    }
    return typeof policy === "object" && policy !== null ? (policy as { Statement?: unknown }) : undefined;
}

interface Statement {
    readonly Effect?: string;
    readonly Action?: string | string[];
    readonly NotAction?: string | string[];
    readonly Resource?: string | string[];
    readonly NotResource?: string | string[];
    readonly Principal?: unknown;
    readonly Condition?: Record<string, Record<string, unknown>>;
}
const statements = (doc: { Statement?: unknown } | undefined): Statement[] => asArray(doc?.Statement as Statement | Statement[] | undefined);

/**
 * Whether `from.props[prop]` (through `pick`, for a nested field) names `target`: first by the engine's
 * propertyDependencies, known in preview before any id exists; then by value (an id, name or ARN equal
 * to the target's) when the engine gave none, which is all the offline harness can offer. Values are
 * read only then: in preview reading an unknown value throws (and the policy reports it cannot run yet).
 */
export function refersTo(from: PolicyResource, prop: string, target: PolicyResource, pick: (value: any) => unknown = (v) => v): boolean {
    const deps = from.propertyDependencies?.[prop] ?? [];
    if (deps.length > 0) return deps.includes(target);
    const value = pick(from.props[prop]);
    if (typeof value !== "string" || value === "") return false;
    const p = target.props;
    return ["id", "name", "arn", "bucket", "identifier", "keyId", "functionName"].some((k) => p[k] === value);
}

const ofType = (args: StackValidationArgs, ...types: string[]) => args.resources.filter((r) => types.includes(r.type));

const WORLD = ["0.0.0.0/0", "::/0"];

// ---------------------------------------------------------------- RDS

export const rdsNotPublic: ResourceValidationPolicy = {
    name: "rds-not-public",
    description: "RDS instances are never publicly accessible.",
    enforcementLevel: "mandatory",
    validateResource: forType(TYPES.rds, (args, report) => {
        if (args.props.publiclyAccessible === true) report("publiclyAccessible is true: the database must only be reachable from inside the VPC.");
    }),
};

export const rdsEncrypted: ResourceValidationPolicy = {
    name: "rds-encrypted",
    description: "RDS instances encrypt their storage at rest.",
    enforcementLevel: "mandatory",
    validateResource: forType(TYPES.rds, (args, report) => {
        if (args.props.storageEncrypted !== true) report("storageEncrypted must be true (with a customer-managed KMS key in kmsKeyId).");
    }),
};

export const rdsBackedUp: ResourceValidationPolicy = {
    name: "rds-backed-up",
    description: "RDS instances keep automated backups (backupRetentionPeriod set to 1 day or more).",
    enforcementLevel: "mandatory",
    validateResource: forType(TYPES.rds, (args, report) => {
        const days = Number(args.props.backupRetentionPeriod);
        if (!(days >= 1)) report(`backupRetentionPeriod is ${args.props.backupRetentionPeriod ?? "unset"}: set it explicitly to 1 or more days.`);
    }),
};

export const rdsTlsForced: StackValidationPolicy = {
    name: "rds-tls-forced",
    description: "PostgreSQL RDS instances use a parameter group that sets rds.force_ssl = 1.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        const groups = ofType(args, TYPES.rdsParams);
        for (const db of ofType(args, TYPES.rds)) {
            if (db.props.engine !== "postgres") continue;
            const group = groups.find((g) => refersTo(db, "parameterGroupName", g));
            if (!group) {
                report(`${db.name}: its parameter group (${db.props.parameterGroupName ?? "the engine default"}) is not in the stack, so TLS cannot be shown to be forced.`, db.urn);
                continue;
            }
            const force = asArray<{ name?: string; value?: unknown }>(group.props.parameters).find((p) => p.name === "rds.force_ssl");
            if (String(force?.value) !== "1") report(`${db.name}: parameter group ${group.name} must set rds.force_ssl = 1 (it is ${force ? force.value : "unset"}).`, db.urn);
        }
    },
};

// ---------------------------------------------------------------- S3

const buckets = (args: StackValidationArgs) => ofType(args, TYPES.bucket, TYPES.bucketV2);

export const s3PublicAccessBlocked: StackValidationPolicy = {
    name: "s3-public-access-blocked",
    description: "Every S3 bucket has a public access block with all four settings on (or the account has one).",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        const allFour = (p: Record<string, any>) => p.blockPublicAcls === true && p.blockPublicPolicy === true && p.ignorePublicAcls === true && p.restrictPublicBuckets === true;
        if (ofType(args, TYPES.accountPublicAccessBlock).some((a) => allFour(a.props))) return;
        const blocks = ofType(args, TYPES.publicAccessBlock);
        for (const b of buckets(args)) {
            const block = blocks.find((x) => refersTo(x, "bucket", b));
            if (!block) report(`${b.name}: no aws.s3.BucketPublicAccessBlock for this bucket.`, b.urn);
            else if (!allFour(block.props)) report(`${b.name}: its public access block ${block.name} must set blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets.`, b.urn);
        }
    },
};

export const s3Encrypted: StackValidationPolicy = {
    name: "s3-encrypted",
    description: "Every S3 bucket's default encryption is SSE-KMS (S3 always encrypts; the promise is a customer-managed key).",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        const configs = ofType(args, TYPES.bucketEncryption, TYPES.bucketEncryptionV2);
        for (const b of buckets(args)) {
            const own = configs.filter((c) => refersTo(c, "bucket", b));
            // The bucket's inline configuration is an output computed by AWS: read only when no separate
            // configuration resource exists (in preview it is unknown).
            const rules = own.length > 0 ? own.flatMap((c) => asArray<any>(c.props.rules)) : asArray<any>(b.props.serverSideEncryptionConfiguration?.rule);
            const algorithms = rules.map((r) => r?.applyServerSideEncryptionByDefault?.sseAlgorithm);
            if (!algorithms.some((a) => a === "aws:kms" || a === "aws:kms:dsse")) {
                report(`${b.name}: default encryption must be aws:kms (found ${algorithms.length ? algorithms.join(", ") : "no encryption configuration"}).`, b.urn);
            }
        }
    },
};

/** Whether a bucket policy denies every request that is not over TLS. */
export function deniesInsecureTransport(policy: unknown): boolean {
    return statements(parseDocument(policy)).some((s) => {
        const actions = asArray(s.Action);
        const secure = s.Condition?.Bool?.["aws:SecureTransport"];
        return s.Effect === "Deny"
            && (s.Principal === "*" || (s.Principal as { AWS?: unknown })?.AWS === "*")
            && actions.some((a) => a === "s3:*" || a === "*")
            && (secure === false || secure === "false")
            && asArray(s.Resource).some((r) => r.endsWith("/*"));
    });
}

export const s3TlsOnly: StackValidationPolicy = {
    name: "s3-tls-only",
    description: "Every S3 bucket's policy denies requests that are not over TLS (aws:SecureTransport false), for the bucket and its objects.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        const policies = ofType(args, TYPES.bucketPolicy);
        for (const b of buckets(args)) {
            const own = policies.filter((p) => refersTo(p, "bucket", b)).map((p) => p.props.policy);
            const docs = own.length > 0 ? own : [b.props.policy].filter((d) => d !== undefined);
            if (!docs.some(deniesInsecureTransport)) report(`${b.name}: no bucket policy denies s3:* when aws:SecureTransport is false.`, b.urn);
        }
    },
};

// ---------------------------------------------------------------- OpenSearch

export const openSearchInVpc: ResourceValidationPolicy = {
    name: "opensearch-in-vpc",
    description: "OpenSearch domains live inside a VPC (vpcOptions with subnets), never on a public endpoint.",
    enforcementLevel: "mandatory",
    validateResource: forType(TYPES.openSearch, (args, report) => {
        if (asArray(args.props.vpcOptions?.subnetIds).length === 0) report("vpcOptions.subnetIds is empty: the domain would have a public endpoint.");
    }),
};

export const openSearchEncrypted: ResourceValidationPolicy = {
    name: "opensearch-encrypted",
    description: "OpenSearch domains encrypt data at rest and between nodes.",
    enforcementLevel: "mandatory",
    validateResource: forType(TYPES.openSearch, (args, report) => {
        if (args.props.encryptAtRest?.enabled !== true) report("encryptAtRest.enabled must be true.");
        if (args.props.nodeToNodeEncryption?.enabled !== true) report("nodeToNodeEncryption.enabled must be true.");
    }),
};

const OLD_TLS_POLICY = "Policy-Min-TLS-1-0-2019-07";

export const openSearchHttpsOnly: ResourceValidationPolicy = {
    name: "opensearch-https-only",
    description: "OpenSearch domains refuse plain HTTP and TLS older than 1.2.",
    enforcementLevel: "mandatory",
    validateResource: forType(TYPES.openSearch, (args, report) => {
        const ep = args.props.domainEndpointOptions ?? {};
        if (ep.enforceHttps !== true) report("domainEndpointOptions.enforceHttps must be true.");
        // AWS's default is the TLS 1.0 policy.
        if ((ep.tlsSecurityPolicy ?? OLD_TLS_POLICY) === OLD_TLS_POLICY) report(`domainEndpointOptions.tlsSecurityPolicy must require TLS 1.2 or newer (not ${OLD_TLS_POLICY}, AWS's default).`);
    }),
};

// ---------------------------------------------------------------- ECR

export const ecrScanOnPush: ResourceValidationPolicy = {
    name: "ecr-scan-on-push",
    description: "ECR repositories scan every image on push.",
    enforcementLevel: "mandatory",
    validateResource: forType(TYPES.ecr, (args, report) => {
        if (args.props.imageScanningConfiguration?.scanOnPush !== true) report("imageScanningConfiguration.scanOnPush must be true.");
    }),
};

export const ecrImmutableTags: ResourceValidationPolicy = {
    name: "ecr-immutable-tags",
    description: "ECR repositories have immutable tags: a tag names one image forever.",
    enforcementLevel: "mandatory",
    validateResource: forType(TYPES.ecr, (args, report) => {
        if (args.props.imageTagMutability !== "IMMUTABLE") report(`imageTagMutability is ${args.props.imageTagMutability ?? "MUTABLE (the default)"}: set IMMUTABLE.`);
    }),
};

// ---------------------------------------------------------------- EKS

export const eksSecretsEncrypted: ResourceValidationPolicy = {
    name: "eks-secrets-encrypted",
    description: "EKS clusters encrypt Kubernetes Secrets with a KMS key (envelope encryption).",
    enforcementLevel: "mandatory",
    validateResource: forType(TYPES.eks, (args, report) => {
        const enc = args.props.encryptionConfig;
        if (!asArray<string>(enc?.resources).includes("secrets") || !enc?.provider?.keyArn) report("encryptionConfig must cover resources [\"secrets\"] with provider.keyArn.");
    }),
};

export const DEFAULT_CONTROL_PLANE_LOGS = ["api", "audit", "authenticator"];

export const eksControlPlaneLogs: ResourceValidationPolicy = {
    name: "eks-control-plane-logs",
    description: "EKS clusters ship the control-plane logs that say who called the API and what it did.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            requiredLogTypes: {
                type: "array",
                items: { type: "string", enum: ["api", "audit", "authenticator", "controllerManager", "scheduler"] },
                default: DEFAULT_CONTROL_PLANE_LOGS,
            },
        },
    },
    validateResource: forType(TYPES.eks, (args, report) => {
        const required = args.getConfig<{ requiredLogTypes?: string[] }>().requiredLogTypes ?? DEFAULT_CONTROL_PLANE_LOGS;
        const enabled = asArray<string>(args.props.enabledClusterLogTypes);
        const missing = required.filter((t) => !enabled.includes(t));
        if (missing.length > 0) report(`enabledClusterLogTypes lacks ${missing.join(", ")}.`);
    }),
};

export const eksEndpointNotOpen: ResourceValidationPolicy = {
    name: "eks-endpoint-not-open",
    description: "An EKS API endpoint is private, or public only to an allow-list that excludes 0.0.0.0/0.",
    enforcementLevel: "mandatory",
    validateResource: forType(TYPES.eks, (args, report) => {
        const vpc = args.props.vpcConfig ?? {};
        // AWS defaults: the public endpoint on, open to 0.0.0.0/0.
        if (vpc.endpointPublicAccess === false) return;
        const cidrs = asArray<string>(vpc.publicAccessCidrs);
        if (cidrs.length === 0) report("the public endpoint is on with no publicAccessCidrs: AWS opens it to 0.0.0.0/0. Turn it off or list the allowed ranges.");
        else if (cidrs.some((c) => WORLD.includes(c))) report(`publicAccessCidrs includes ${cidrs.filter((c) => WORLD.includes(c)).join(", ")}.`);
    }),
};

export const eksStandardSupport: ResourceValidationPolicy = {
    name: "eks-standard-support",
    description: "EKS clusters are on standard support; extended support costs $0.60 an hour instead of $0.10.",
    enforcementLevel: "mandatory",
    validateResource: forType(TYPES.eks, (args, report) => {
        if (args.props.upgradePolicy?.supportType !== "STANDARD") report(`upgradePolicy.supportType is ${args.props.upgradePolicy?.supportType ?? "unset (EXTENDED for clusters made through the API)"}: set STANDARD.`);
    }),
};

// ---------------------------------------------------------------- instance metadata (IMDSv2)

export const DEFAULT_MAX_HOP_LIMIT = 1;

function imdsProblems(metadata: Record<string, any> | undefined, maxHops: number): string[] {
    const problems: string[] = [];
    if (metadata?.httpEndpoint === "disabled") return problems;
    if (metadata?.httpTokens !== "required") problems.push(`metadataOptions.httpTokens is ${metadata?.httpTokens ?? "unset (optional)"}: IMDSv2 must be required`);
    const hops = Number(metadata?.httpPutResponseHopLimit);
    if (!(hops >= 1 && hops <= maxHops)) problems.push(`metadataOptions.httpPutResponseHopLimit is ${metadata?.httpPutResponseHopLimit ?? "unset"}: at most ${maxHops}, so pods cannot reach the node's credentials`);
    return problems;
}

const hopConfig = {
    properties: { maxHopLimit: { type: "integer" as const, minimum: 1, maximum: 64, default: DEFAULT_MAX_HOP_LIMIT } },
};

export const imdsV2Required: ResourceValidationPolicy = {
    name: "imdsv2-required",
    description: "EC2 instances and launch templates require IMDSv2 with a small hop limit, and launch templates give no public IP.",
    enforcementLevel: "mandatory",
    configSchema: hopConfig,
    validateResource: [TYPES.instance, TYPES.launchTemplate].map((type) => forType(type, (args, report) => {
        const maxHops = args.getConfig<{ maxHopLimit?: number }>().maxHopLimit ?? DEFAULT_MAX_HOP_LIMIT;
        for (const p of imdsProblems(args.props.metadataOptions, maxHops)) report(`${p}.`);
        if (type === TYPES.launchTemplate && asArray<any>(args.props.networkInterfaces).some((n) => String(n.associatePublicIpAddress) === "true")) {
            report("a network interface asks for a public IP address: nodes live in private subnets.");
        }
    })),
};

/** Subnets whose route tables send traffic straight to an internet gateway, or that hand out public IPs. */
function publicSubnetReason(args: StackValidationArgs, subnet: PolicyResource): string | undefined {
    if (subnet.props.mapPublicIpOnLaunch === true) return "it hands out public IPs (mapPublicIpOnLaunch)";
    const igws = ofType(args, TYPES.internetGateway);
    const tables = ofType(args, TYPES.routeTableAssociation)
        .filter((a) => refersTo(a, "subnetId", subnet))
        .map((a) => ofType(args, TYPES.routeTable).find((t) => refersTo(a, "routeTableId", t)))
        .filter((t): t is PolicyResource => t !== undefined);
    for (const table of tables) {
        const routes = ofType(args, TYPES.route).filter((r) => refersTo(r, "routeTableId", table));
        const viaResource = routes.some((r) => igws.some((g) => refersTo(r, "gatewayId", g)) || String(r.props.gatewayId ?? "").startsWith("igw-"));
        // Inline routes are an output AWS fills in: read only when no Route resource is attached.
        const inline = routes.length === 0 && asArray<any>(table.props.routes).some((r) => String(r.gatewayId ?? "").startsWith("igw-") || igws.some((g) => g.props.id === r.gatewayId));
        if (viaResource || inline) return `its route table ${table.name} routes to an internet gateway`;
    }
    return undefined;
}

export const nodesPrivateWithImdsV2: StackValidationPolicy = {
    name: "eks-nodes-private-imdsv2",
    description: "EKS node groups run in private subnets (no route to an internet gateway) from a launch template that requires IMDSv2.",
    enforcementLevel: "mandatory",
    configSchema: hopConfig,
    validateStack: (args, report) => {
        const maxHops = args.getConfig<{ maxHopLimit?: number }>().maxHopLimit ?? DEFAULT_MAX_HOP_LIMIT;
        const subnets = ofType(args, TYPES.subnet);
        for (const g of ofType(args, TYPES.nodeGroup)) {
            // In preview the subnets are the engine's dependencies of subnetIds; after, their ids.
            const deps = (g.propertyDependencies?.subnetIds ?? []).filter((d) => d.type === TYPES.subnet);
            const chosen: PolicyResource[] = [];
            if (deps.length > 0) chosen.push(...deps);
            else {
                for (const id of asArray<string>(g.props.subnetIds)) {
                    const subnet = subnets.find((s) => s.props.id === id || s.props.arn === id);
                    if (subnet) chosen.push(subnet);
                    else report(`${g.name}: subnet ${id} is not in the stack, so it cannot be shown to be private.`, g.urn);
                }
            }
            for (const subnet of chosen) {
                const reason = publicSubnetReason(args, subnet);
                if (reason) report(`${g.name}: subnet ${subnet.name} is public: ${reason}.`, g.urn);
            }
            const lt = ofType(args, TYPES.launchTemplate).find((t) => refersTo(g, "launchTemplate", t, (v) => v?.id) || refersTo(g, "launchTemplate", t, (v) => v?.name));
            if (!lt) {
                report(`${g.name}: no launch template from this stack, so IMDSv2 is not required (EKS's default template leaves it optional).`, g.urn);
                continue;
            }
            for (const p of imdsProblems(lt.props.metadataOptions, maxHops)) report(`${g.name}: launch template ${lt.name}: ${p}.`, g.urn);
        }
    },
};

// ---------------------------------------------------------------- KMS

export const kmsRotation: ResourceValidationPolicy = {
    name: "kms-rotation",
    description: "Symmetric KMS keys rotate their key material automatically.",
    enforcementLevel: "mandatory",
    validateResource: forType(TYPES.kmsKey, (args, report) => {
        // Only symmetric encryption keys can rotate automatically.
        const spec = args.props.customerMasterKeySpec ?? args.props.keySpec ?? "SYMMETRIC_DEFAULT";
        if (spec !== "SYMMETRIC_DEFAULT") return;
        if (args.props.enableKeyRotation !== true) report("enableKeyRotation must be true.");
    }),
};

// ---------------------------------------------------------------- IAM

/**
 * Statements that allow every action on every resource: Action "*" (or "*:*", or NotAction) with
 * Resource "*" (or NotResource). Only identity policies are read. Resource policies (KMS key
 * policies, bucket and domain policies) are left out on purpose: there "Resource: *" means the one
 * resource the policy is attached to, and AWS's default key policy gives the account root kms:* on
 * its key, which is how IAM administers keys at all.
 */
export function starOnStar(policy: unknown): Statement[] {
    return statements(parseDocument(policy)).filter((s) => {
        if (s.Effect !== "Allow") return false;
        const everyAction = s.NotAction !== undefined || asArray(s.Action).some((a) => a === "*" || a === "*:*");
        const everyResource = s.NotResource !== undefined || asArray(s.Resource).includes("*");
        return everyAction && everyResource;
    });
}

const ADMIN_POLICY = /^arn:aws[a-z-]*:iam::aws:policy\/AdministratorAccess$/;

export const iamNoStarOnStar: ResourceValidationPolicy = {
    name: "iam-no-star-on-star",
    description: "No IAM identity policy allows every action on every resource (nor attaches AdministratorAccess).",
    enforcementLevel: "mandatory",
    validateResource: [
        ...[TYPES.iamRolePolicy, TYPES.iamPolicy, TYPES.iamUserPolicy, TYPES.iamGroupPolicy].map((type) => forType(type, (args, report) => {
            if (starOnStar(args.props.policy).length > 0) report("a statement allows \"*\" actions on \"*\" resources.");
        })),
        forType(TYPES.iamRole, (args, report) => {
            for (const inline of asArray<any>(args.props.inlinePolicies)) {
                if (starOnStar(inline?.policy).length > 0) report(`inline policy ${inline?.name ?? ""} allows "*" actions on "*" resources.`);
            }
            if (asArray<string>(args.props.managedPolicyArns).some((a) => ADMIN_POLICY.test(a))) report("managedPolicyArns includes AdministratorAccess.");
        }),
        ...TYPES.iamAttachments.map((type) => forType(type, (args, report) => {
            if (ADMIN_POLICY.test(String(args.props.policyArn ?? ""))) report("attaches AdministratorAccess.");
        })),
    ],
};

/** Allow statements that grant a whole service (or every action) on every resource: the broad grants a review should see. */
export function serviceWideOnStar(policy: unknown): string[] {
    const parsed = typeof policy === "string" ? (() => { try { return JSON.parse(policy); } catch { return undefined; } })() : policy;
    const found: string[] = [];
    for (const s of asArray<any>(parsed?.Statement)) {
        if (s?.Effect !== "Allow" || !asArray<string>(s.Resource).includes("*")) continue;
        const broad = s.NotAction !== undefined ? ["NotAction"] : asArray<string>(s.Action).filter((a) => a === "*" || /:\*$/.test(a));
        if (broad.length > 0) found.push(`${broad.join(", ")} on "*"${s.Sid ? ` (${s.Sid})` : ""}`);
    }
    return found;
}

/**
 * The stack's grants to task pods (taskRolePolicy, on the `*-airflow-tasks-user-policy` inline policy):
 * what a user writes there is theirs to decide, so the finding is advisory, but a whole service on
 * every resource is said, as the mandatory rule says "*" on "*".
 */
export const taskRoleWildcards: ResourceValidationPolicy = {
    name: "task-role-wildcards",
    description: "The task pods' own grants (taskRolePolicy) give no service-wide action (s3:*, or any NotAction) on every resource; name the resources instead.",
    enforcementLevel: "advisory",
    validateResource: forType(TYPES.iamRolePolicy, (args, report) => {
        if (!/-airflow-tasks-user-policy$/.test(args.name)) return;
        for (const f of serviceWideOnStar(args.props.policy)) report(`taskRolePolicy allows ${f}: narrow the Resource to the buckets, tables or ARNs the DAGs use.`);
    }),
};

// ---------------------------------------------------------------- Lambda and schedules

export const lambdaReservedConcurrency: ResourceValidationPolicy = {
    name: "lambda-reserved-concurrency",
    description: "No Lambda function reserves 0 concurrent executions (that throttles every invocation: a schedule that never runs). A reservation is optional: Lambda refuses one that leaves an account fewer than 100 unreserved executions, which new accounts (limits of 10 or 50) cannot spare, so the NightlyScheduler serialises itself with a lease instead.",
    enforcementLevel: "mandatory",
    validateResource: forType(TYPES.lambda, (args, report) => {
        const n = args.props.reservedConcurrentExecutions;
        if (n !== undefined && n !== null && Number(n) === 0) report("reservedConcurrentExecutions is 0: every invocation is throttled. Leave it unset (unreserved) or reserve at least 1.");
    }),
};

/**
 * A dead-letter path has two layers, and the rule asks for both where both exist:
 * - the function's own: deadLetterConfig.targetArn, or an on-failure destination in a
 *   FunctionEventInvokeConfig. Scheduler invokes Lambda asynchronously, so throttles and errors raised
 *   by the function happen after the schedule's delivery succeeded: only this layer catches them;
 * - each schedule that targets the function: target.deadLetterConfig.arn, which catches what the
 *   schedule could not deliver (a deleted function, a missing permission). It never sees function errors.
 */
export const lambdaDeadLetter: StackValidationPolicy = {
    name: "lambda-dead-letter",
    description: "Lambda functions have a dead-letter path of their own (DLQ or on-failure destination), and schedules that invoke them have a DLQ.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        const configs = ofType(args, TYPES.lambdaInvokeConfig);
        const schedules = ofType(args, TYPES.schedule);
        for (const f of ofType(args, TYPES.lambda)) {
            const own = Boolean(f.props.deadLetterConfig?.targetArn);
            const destination = configs.some((c) => refersTo(c, "functionName", f) && Boolean(c.props.destinationConfig?.onFailure?.destination));
            if (!own && !destination) {
                report(`${f.name}: no deadLetterConfig.targetArn and no FunctionEventInvokeConfig on-failure destination; a schedule's DLQ does not see errors raised by the function.`, f.urn);
            }
            for (const s of schedules.filter((x) => refersTo(x, "target", f, (t) => t?.arn))) {
                if (!s.props.target?.deadLetterConfig?.arn) report(`${s.name}: invokes ${f.name} without target.deadLetterConfig.arn.`, s.urn);
            }
        }
    },
};

export const scheduleTimeZone: ResourceValidationPolicy = {
    name: "schedule-time-zone",
    description: "Schedules state their time zone; legacy EventBridge cron rules (UTC only, shifted by daylight saving) are refused.",
    enforcementLevel: "mandatory",
    validateResource: [
        forType(TYPES.schedule, (args, report) => {
            const expression = String(args.props.scheduleExpression ?? "");
            if (expression.startsWith("rate(")) return;
            if (!args.props.scheduleExpressionTimezone) report(`${expression} has no scheduleExpressionTimezone: it would run in UTC.`);
        }),
        forType(TYPES.eventRule, (args, report) => {
            if (String(args.props.scheduleExpression ?? "").startsWith("cron(")) report("EventBridge rules run cron() in UTC only: use an aws.scheduler.Schedule with scheduleExpressionTimezone.");
        }),
    ],
};

// ---------------------------------------------------------------- security groups

interface Opening {
    readonly from: { readonly name: string; readonly urn: string };
    readonly protocol: string;
    readonly fromPort?: number;
    readonly toPort?: number;
    readonly cidrs: string[];
}

/** Ingress open to the world declared by rule resources (inline rules are checked on the group itself). */
function worldIngress(args: StackValidationArgs): Array<Opening & { group?: PolicyResource }> {
    const groups = ofType(args, TYPES.securityGroup);
    const groupOf = (r: PolicyResource) => groups.find((g) => refersTo(r, "securityGroupId", g));
    const found: Array<Opening & { group?: PolicyResource }> = [];
    for (const r of ofType(args, TYPES.ingressRule)) {
        const cidrs = [r.props.cidrIpv4, r.props.cidrIpv6].filter((c) => WORLD.includes(c));
        if (cidrs.length > 0) found.push({ from: r, group: groupOf(r), protocol: String(r.props.ipProtocol), fromPort: r.props.fromPort, toPort: r.props.toPort, cidrs });
    }
    for (const r of ofType(args, TYPES.sgRule).filter((x) => x.props.type === "ingress")) {
        const cidrs = [...asArray<string>(r.props.cidrBlocks), ...asArray<string>(r.props.ipv6CidrBlocks)].filter((c) => WORLD.includes(c));
        if (cidrs.length > 0) found.push({ from: r, group: groupOf(r), protocol: String(r.props.protocol), fromPort: r.props.fromPort, toPort: r.props.toPort, cidrs });
    }
    return found;
}

const isUiLoadBalancerGroup = (g: { props: Record<string, any> } | undefined) => (g?.props.tags ?? {})[ALB_ROLE_TAG.key] === ALB_ROLE_TAG.value;
const isHttpsOnly = (o: Pick<Opening, "protocol" | "fromPort" | "toPort">) => ["tcp", "6"].includes(o.protocol.toLowerCase()) && Number(o.fromPort) === 443 && Number(o.toPort) === 443;

/**
 * Inline ingress on a security group, checked on the group's inputs: its own tags say whether it is
 * the UI load balancer's. (A stack policy would read the group's `ingress` output, which AWS computes
 * and which is unknown in preview.)
 */
export const noWorldIngressInline: ResourceValidationPolicy = {
    name: "no-world-ingress-inline",
    description: "No security group's inline ingress admits 0.0.0.0/0 or ::/0, except 443/tcp on the Airflow UI load balancer's group.",
    enforcementLevel: "mandatory",
    validateResource: forType(TYPES.securityGroup, (args, report) => {
        for (const i of asArray<any>(args.props.ingress)) {
            const cidrs = [...asArray<string>(i.cidrBlocks), ...asArray<string>(i.ipv6CidrBlocks)].filter((c) => WORLD.includes(c));
            if (cidrs.length === 0) continue;
            const opening = { protocol: String(i.protocol), fromPort: i.fromPort, toPort: i.toPort };
            if (isUiLoadBalancerGroup(args) && isHttpsOnly(opening)) continue;
            report(`inline ingress admits ${cidrs.join(", ")} on ${opening.protocol} ${opening.fromPort ?? "*"}-${opening.toPort ?? "*"}; only 443/tcp on the UI load balancer's group may.`);
        }
    }),
};

export const noWorldIngress: StackValidationPolicy = {
    name: "no-world-ingress",
    description: `No security group rule resource admits 0.0.0.0/0 or ::/0, except HTTPS (443/tcp) on the Airflow UI load balancer's group (tag ${ALB_ROLE_TAG.key}=${ALB_ROLE_TAG.value}).`,
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        for (const o of worldIngress(args)) {
            if (isUiLoadBalancerGroup(o.group) && isHttpsOnly(o)) continue;
            const where = o.group ? `security group ${o.group.name}` : "a security group outside the stack";
            report(`${o.from.name}: ${where} admits ${o.cidrs.join(", ")} on ${o.protocol} ${o.fromPort ?? "*"}-${o.toPort ?? "*"}; only 443/tcp on the UI load balancer's group may.`, o.from.urn);
        }
    },
};

// ---------------------------------------------------------------- cost

export const DEFAULT_MONTHLY_CEILING_USD = 150;
/** As the stacks' expectedAwakeHours: the nightly run takes one or two hours (config/config.ts). */
export const DEFAULT_AWAKE_HOURS_PER_DAY = 2;

export const costCeiling: StackValidationPolicy = {
    name: "monthly-cost-ceiling",
    description: "The stack's estimated monthly bill (cost/cost.ts at us-east-1 on-demand prices) stays under a ceiling.",
    enforcementLevel: "advisory",
    configSchema: {
        properties: {
            monthlyCeilingUsd: { type: "number", minimum: 0, default: DEFAULT_MONTHLY_CEILING_USD },
            // The NightlyScheduler's deadline: the platform is never awake longer (an upper bound).
            awakeHoursPerDay: { type: "number", minimum: 0, maximum: 24, default: DEFAULT_AWAKE_HOURS_PER_DAY },
        },
    },
    validateStack: (args, report) => {
        const config = args.getConfig<{ monthlyCeilingUsd?: number; awakeHoursPerDay?: number }>();
        const ceiling = config.monthlyCeilingUsd ?? DEFAULT_MONTHLY_CEILING_USD;
        // In preview some outputs are unknown; the estimate reads what is known (an unknown reads as unset).
        const graph: GraphResource[] = args.resources.map((r) => {
            const props = knownOnly(r.props) as Record<string, any>;
            return { type: r.type, name: r.name, inputs: props, state: props, id: props.id, custom: isCustomType(r.type) };
        });
        const e = estimate(graph, { awakeHoursPerDay: config.awakeHoursPerDay ?? DEFAULT_AWAKE_HOURS_PER_DAY }, readPriceFile());
        if (e.total > ceiling) {
            const top = [...e.lines].sort((a, b) => b.monthly - a.monthly).slice(0, 3).map((l) => `${l.item} $${l.monthly.toFixed(2)}`).join("; ");
            report(`estimated $${e.total.toFixed(2)} a month is over the ceiling of $${ceiling.toFixed(2)} (dearest: ${top}). Run \`npm run plan\` for every line.`);
        }
    },
};

// The policy SDK's markers: props arrive wrapped in a proxy that throws on unknown values, which are
// these sentinel strings underneath (@pulumi/policy proxy.js; not in its type declarations).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const proxy = require("@pulumi/policy/proxy") as Record<string, string>;
const UNKNOWN = new Set(["unknownBooleanValue", "unknownNumberValue", "unknownStringValue", "unknownArrayValue", "unknownAssetValue", "unknownArchiveValue", "unknownObjectValue"].map((k) => proxy[k]));

/** A plain copy of props with every unknown (preview) value left out. */
export function knownOnly(value: unknown): unknown {
    const raw = value !== null && typeof value === "object" && (value as Record<string, unknown>)[proxy.isSpecialProxy] === true
        ? (value as Record<string, unknown>)[proxy.getSpecialProxyTarget]
        : value;
    if (typeof raw === "string") return UNKNOWN.has(raw) ? undefined : raw;
    if (Array.isArray(raw)) return raw.map(knownOnly);
    if (raw !== null && typeof raw === "object") return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, knownOnly(v)]));
    return raw;
}

/** Stack validation sees no custom/component flag: components are the types without a "/" module path, and the stack itself. */
export function isCustomType(type: string): boolean {
    if (type === "pulumi:pulumi:Stack") return false;
    if (type.startsWith("pulumi:providers:")) return true;
    const module = type.split(":")[1] ?? "";
    return module.includes("/");
}

// ---------------------------------------------------------------- the pack's contents

export const resourcePolicies: ResourceValidationPolicy[] = [
    rdsNotPublic, rdsEncrypted, rdsBackedUp,
    openSearchInVpc, openSearchEncrypted, openSearchHttpsOnly,
    ecrScanOnPush, ecrImmutableTags,
    eksSecretsEncrypted, eksControlPlaneLogs, eksEndpointNotOpen, eksStandardSupport,
    imdsV2Required, kmsRotation, iamNoStarOnStar, taskRoleWildcards,
    lambdaReservedConcurrency, scheduleTimeZone, noWorldIngressInline,
];

export const stackPolicies: StackValidationPolicy[] = [
    rdsTlsForced, s3PublicAccessBlocked, s3Encrypted, s3TlsOnly, nodesPrivateWithImdsV2, lambdaDeadLetter, noWorldIngress, costCeiling,
];

// Re-exported for tests that build the SDK's argument shapes.
export type { PolicyResource, ReportViolation, ResourceValidationArgs, StackValidationArgs };
