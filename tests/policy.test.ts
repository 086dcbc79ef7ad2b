// The policy pack's rules (policy/rules.ts), called as the policy SDK calls them: validateResource with
// ResourceValidationArgs (a resource's inputs) and validateStack with StackValidationArgs (every
// resource's outputs). No PolicyPack is built here: constructing one starts the policy server.
// Each rule catches a bad resource and passes a good one; then every rule runs over the stacks as the
// program evaluates them today.

import { strict as assert } from "assert";
import * as aws from "@pulumi/aws";
import type { PolicyResource, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import { estimate, readPriceFile } from "../cost/cost";
import type { Evaluation } from "../offline/evaluate";
import type { RecordedResource } from "../offline/mocks";
import * as rules from "../policy/rules";
import { STACKS, stackEvaluation } from "./stacks";

// ---------------------------------------------------------------- the SDK's argument shapes

class NotApplicable extends Error {}

interface Spec {
    readonly type: string;
    readonly name: string;
    readonly props: Record<string, any>;
    /** Engine dependencies per property (preview); by name of other specs. */
    readonly deps?: Record<string, string[]>;
}

const urnOf = (type: string, name: string) => `urn:pulumi:test::data-platform::${type}::${name}`;
const opts = () => ({ protect: false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] });
// The SDK compares a class's static __pulumiType with the resource's type (server.js isTypeOf).
const isTypeOf = (type: string, cls: unknown) => (cls as { __pulumiType?: string }).__pulumiType === type;

function resourceArgs(spec: Spec, config: object = {}): ResourceValidationArgs {
    return {
        type: spec.type,
        props: spec.props,
        urn: urnOf(spec.type, spec.name),
        name: spec.name,
        opts: opts(),
        stackTags: new Map(),
        isType: (cls) => isTypeOf(spec.type, cls),
        asType: ((cls: unknown) => (isTypeOf(spec.type, cls) ? spec.props : undefined)) as ResourceValidationArgs["asType"],
        getConfig: <T extends object>() => config as T,
        notApplicable: (reason?: string) => {
            throw new NotApplicable(reason);
        },
    };
}

function stackArgs(specs: readonly Spec[], config: object = {}): StackValidationArgs {
    const resources: PolicyResource[] = specs.map((spec) => ({
        type: spec.type,
        props: spec.props,
        urn: urnOf(spec.type, spec.name),
        name: spec.name,
        opts: opts(),
        dependencies: [],
        propertyDependencies: {},
        isType: (cls) => isTypeOf(spec.type, cls),
        asType: ((cls: unknown) => (isTypeOf(spec.type, cls) ? spec.props : undefined)) as PolicyResource["asType"],
    }));
    specs.forEach((spec, i) => {
        for (const [prop, names] of Object.entries(spec.deps ?? {})) {
            resources[i].propertyDependencies[prop] = names.map((n) => resources.find((r) => r.name === n)!);
            resources[i].dependencies.push(...resources[i].propertyDependencies[prop]);
        }
    });
    return {
        resources,
        stackTags: new Map(),
        getConfig: <T extends object>() => config as T,
        notApplicable: (reason?: string) => {
            throw new NotApplicable(reason);
        },
    };
}

async function violationsOf(policy: ResourceValidationPolicy, spec: Spec, config: object = {}): Promise<string[]> {
    const found: string[] = [];
    for (const validate of Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource!]) {
        await validate(resourceArgs(spec, config), (message) => found.push(message));
    }
    return found;
}

async function stackViolationsOf(policy: StackValidationPolicy, specs: readonly Spec[], config: object = {}): Promise<string[]> {
    const found: string[] = [];
    await policy.validateStack(stackArgs(specs, config), (message) => found.push(message));
    return found;
}

/** Good passes with no violation; bad is caught with a message matching `why`. */
async function catches(policy: ResourceValidationPolicy, good: Spec, bad: Spec, why: RegExp, config: object = {}) {
    assert.deepEqual(await violationsOf(policy, good, config), [], `${policy.name} passes the good resource`);
    const caught = await violationsOf(policy, bad, config);
    assert.ok(caught.some((m) => why.test(m)), `${policy.name} catches the bad one: ${JSON.stringify(caught)}`);
}

async function catchesStack(policy: StackValidationPolicy, good: readonly Spec[], bad: readonly Spec[], why: RegExp, config: object = {}) {
    assert.deepEqual(await stackViolationsOf(policy, good, config), [], `${policy.name} passes the good stack`);
    const caught = await stackViolationsOf(policy, bad, config);
    assert.ok(caught.some((m) => why.test(m)), `${policy.name} catches the bad stack: ${JSON.stringify(caught)}`);
}

const T = rules.TYPES;
const r = (type: string, name: string, props: Record<string, any>, deps?: Record<string, string[]>): Spec => ({ type, name, props: { id: `${name}-id`, ...props }, deps });
const without = (o: Record<string, any>, key: string) => Object.fromEntries(Object.entries(o).filter(([k]) => k !== key));

// ---------------------------------------------------------------- rule by rule

describe("policy pack: each rule catches a bad resource and passes a good one", () => {
    it("the argument builders match the SDK: isType/asType compare a class's Pulumi type", () => {
        const args = resourceArgs(r(T.rds, "db", {}));
        assert.equal(args.isType(aws.rds.Instance), true);
        assert.equal(args.isType(aws.s3.Bucket), false);
        assert.deepEqual(args.asType(aws.rds.Instance), { id: "db-id" });
    });

    describe("RDS", () => {
        const db = { engine: "postgres", publiclyAccessible: false, storageEncrypted: true, backupRetentionPeriod: 7, parameterGroupName: "pg-tls" };
        it("rds-not-public", () => catches(rules.rdsNotPublic, r(T.rds, "db", db), r(T.rds, "db", { ...db, publiclyAccessible: true }), /publiclyAccessible is true/));
        it("rds-encrypted", () => catches(rules.rdsEncrypted, r(T.rds, "db", db), r(T.rds, "db", without(db, "storageEncrypted")), /storageEncrypted must be true/));
        it("rds-backed-up", async () => {
            await catches(rules.rdsBackedUp, r(T.rds, "db", db), r(T.rds, "db", { ...db, backupRetentionPeriod: 0 }), /backupRetentionPeriod is 0/);
            assert.match((await violationsOf(rules.rdsBackedUp, r(T.rds, "db", without(db, "backupRetentionPeriod"))))[0], /unset/);
        });
        it("rds-tls-forced (stack: the instance's parameter group)", async () => {
            const group = (value: string) => r(T.rdsParams, "pg", { name: "pg-tls", family: "postgres17", parameters: [{ name: "rds.force_ssl", value }] });
            await catchesStack(rules.rdsTlsForced, [r(T.rds, "db", db), group("1")], [r(T.rds, "db", db), group("0")], /must set rds.force_ssl = 1 \(it is 0\)/);
            assert.match((await stackViolationsOf(rules.rdsTlsForced, [r(T.rds, "db", without(db, "parameterGroupName"))]))[0], /the engine default\) is not in the stack/);
            // In preview the name is unknown: the engine's dependency says which group it is.
            assert.deepEqual(await stackViolationsOf(rules.rdsTlsForced, [r(T.rds, "db", { ...db, parameterGroupName: "unknown-yet" }, { parameterGroupName: ["pg"] }), group("1")]), []);
        });
    });

    describe("S3 (stack rules: a bucket and the resources that configure it)", () => {
        const bucket = r(T.bucket, "logs", { bucket: "logs-abc", arn: "arn:aws:s3:::logs-abc" });
        const block = (flags: Partial<Record<string, boolean>> = {}) => r(T.publicAccessBlock, "logs-pab", { bucket: "logs-id", blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true, ...flags });
        const sse = (sseAlgorithm: string) => r(T.bucketEncryption, "logs-sse", { bucket: "logs-id", rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm, kmsMasterKeyId: "arn:key" }, bucketKeyEnabled: true }] });
        const policy = (secure: boolean | string) => r(T.bucketPolicy, "logs-policy", {
            bucket: "logs-id",
            policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: ["arn:aws:s3:::logs-abc", "arn:aws:s3:::logs-abc/*"], Condition: { Bool: { "aws:SecureTransport": secure } } }] }),
        });

        it("s3-public-access-blocked", async () => {
            await catchesStack(rules.s3PublicAccessBlocked, [bucket, block()], [bucket, block({ restrictPublicBuckets: false })], /must set blockPublicAcls, blockPublicPolicy/);
            assert.match((await stackViolationsOf(rules.s3PublicAccessBlocked, [bucket]))[0], /no aws.s3.BucketPublicAccessBlock/);
            const account = r(T.accountPublicAccessBlock, "account", { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
            assert.deepEqual(await stackViolationsOf(rules.s3PublicAccessBlocked, [bucket, account]), [], "an account-wide block covers every bucket");
        });
        it("s3-encrypted", async () => {
            await catchesStack(rules.s3Encrypted, [bucket, sse("aws:kms")], [bucket, sse("AES256")], /must be aws:kms \(found AES256\)/);
            assert.match((await stackViolationsOf(rules.s3Encrypted, [bucket]))[0], /no encryption configuration/);
        });
        it("s3-tls-only", async () => {
            await catchesStack(rules.s3TlsOnly, [bucket, policy(false)], [bucket, policy(true)], /no bucket policy denies s3:\* when aws:SecureTransport is false/);
            assert.equal((await stackViolationsOf(rules.s3TlsOnly, [bucket])).length, 1, "no policy at all");
        });
    });

    describe("OpenSearch", () => {
        const domain = {
            vpcOptions: { subnetIds: ["subnet-1"], securityGroupIds: ["sg-1"] },
            encryptAtRest: { enabled: true, kmsKeyId: "arn:key" },
            nodeToNodeEncryption: { enabled: true },
            domainEndpointOptions: { enforceHttps: true, tlsSecurityPolicy: "Policy-Min-TLS-1-2-PFS-2023-10" },
        };
        it("opensearch-in-vpc", () => catches(rules.openSearchInVpc, r(T.openSearch, "d", domain), r(T.openSearch, "d", without(domain, "vpcOptions")), /public endpoint/));
        it("opensearch-encrypted", async () => {
            await catches(rules.openSearchEncrypted, r(T.openSearch, "d", domain), r(T.openSearch, "d", { ...domain, encryptAtRest: { enabled: false } }), /encryptAtRest/);
            await catches(rules.openSearchEncrypted, r(T.openSearch, "d", domain), r(T.openSearch, "d", without(domain, "nodeToNodeEncryption")), /nodeToNodeEncryption/);
        });
        it("opensearch-https-only", async () => {
            await catches(rules.openSearchHttpsOnly, r(T.openSearch, "d", domain), r(T.openSearch, "d", { ...domain, domainEndpointOptions: { enforceHttps: false, tlsSecurityPolicy: "Policy-Min-TLS-1-2-2019-07" } }), /enforceHttps must be true/);
            await catches(rules.openSearchHttpsOnly, r(T.openSearch, "d", domain), r(T.openSearch, "d", { ...domain, domainEndpointOptions: { enforceHttps: true } }), /TLS 1.2 or newer/);
        });
    });

    describe("ECR", () => {
        const repo = { imageTagMutability: "IMMUTABLE", imageScanningConfiguration: { scanOnPush: true } };
        it("ecr-scan-on-push", () => catches(rules.ecrScanOnPush, r(T.ecr, "r", repo), r(T.ecr, "r", { ...repo, imageScanningConfiguration: { scanOnPush: false } }), /scanOnPush must be true/));
        it("ecr-immutable-tags", () => catches(rules.ecrImmutableTags, r(T.ecr, "r", repo), r(T.ecr, "r", without(repo, "imageTagMutability")), /MUTABLE \(the default\)/));
    });

    describe("EKS", () => {
        const cluster = {
            vpcConfig: { subnetIds: ["subnet-1"], endpointPrivateAccess: true, endpointPublicAccess: false },
            encryptionConfig: { resources: ["secrets"], provider: { keyArn: "arn:key" } },
            enabledClusterLogTypes: ["api", "audit", "authenticator"],
            upgradePolicy: { supportType: "STANDARD" },
        };
        it("eks-secrets-encrypted", () => catches(rules.eksSecretsEncrypted, r(T.eks, "c", cluster), r(T.eks, "c", without(cluster, "encryptionConfig")), /encryptionConfig must cover/));
        it("eks-control-plane-logs, with the required types configurable", async () => {
            await catches(rules.eksControlPlaneLogs, r(T.eks, "c", cluster), r(T.eks, "c", { ...cluster, enabledClusterLogTypes: ["api"] }), /lacks audit, authenticator/);
            assert.match((await violationsOf(rules.eksControlPlaneLogs, r(T.eks, "c", cluster), { requiredLogTypes: ["api", "audit", "authenticator", "controllerManager", "scheduler"] }))[0], /lacks controllerManager, scheduler/);
        });
        it("eks-endpoint-not-open: private, or public to an allow-list without 0.0.0.0/0", async () => {
            const open = { ...cluster, vpcConfig: { ...cluster.vpcConfig, endpointPublicAccess: true, publicAccessCidrs: ["0.0.0.0/0"] } };
            await catches(rules.eksEndpointNotOpen, r(T.eks, "c", cluster), r(T.eks, "c", open), /publicAccessCidrs includes 0.0.0.0\/0/);
            const allowListed = { ...cluster, vpcConfig: { ...cluster.vpcConfig, endpointPublicAccess: true, publicAccessCidrs: ["203.0.113.0/24"] } };
            await catches(rules.eksEndpointNotOpen, r(T.eks, "c", allowListed), r(T.eks, "c", { ...cluster, vpcConfig: { subnetIds: ["subnet-1"] } }), /AWS opens it to 0.0.0.0\/0/);
        });
        it("eks-standard-support", () => catches(rules.eksStandardSupport, r(T.eks, "c", cluster), r(T.eks, "c", without(cluster, "upgradePolicy")), /EXTENDED for clusters made through the API/));
    });

    describe("nodes: IMDSv2 and private subnets", () => {
        const metadataOptions = { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 };
        it("imdsv2-required on launch templates and instances, hop limit configurable", async () => {
            await catches(rules.imdsV2Required, r(T.launchTemplate, "lt", { metadataOptions }), r(T.launchTemplate, "lt", { metadataOptions: { ...metadataOptions, httpTokens: "optional" } }), /IMDSv2 must be required/);
            await catches(rules.imdsV2Required, r(T.instance, "i", { metadataOptions }), r(T.instance, "i", {}), /httpTokens is unset/);
            await catches(rules.imdsV2Required, r(T.launchTemplate, "lt", { metadataOptions }), r(T.launchTemplate, "lt", { metadataOptions: { ...metadataOptions, httpPutResponseHopLimit: 2 } }), /at most 1/);
            assert.deepEqual(await violationsOf(rules.imdsV2Required, r(T.launchTemplate, "lt", { metadataOptions: { ...metadataOptions, httpPutResponseHopLimit: 2 } }), { maxHopLimit: 2 }), []);
            await catches(rules.imdsV2Required, r(T.launchTemplate, "lt", { metadataOptions }), r(T.launchTemplate, "lt", { metadataOptions, networkInterfaces: [{ associatePublicIpAddress: "true" }] }), /public IP/);
        });

        const network = (tier: "private" | "public") => [
            r(T.internetGateway, "igw", { id: "igw-0123" }),
            r(T.subnet, "subnet-a", { id: "subnet-aaa", mapPublicIpOnLaunch: false }),
            r(T.routeTable, "rt", { id: "rtb-1" }),
            r(T.routeTableAssociation, "rta", { subnetId: "subnet-aaa", routeTableId: "rtb-1" }),
            r(T.route, "default", { routeTableId: "rtb-1", destinationCidrBlock: "0.0.0.0/0", ...(tier === "public" ? { gatewayId: "igw-0123" } : { natGatewayId: "nat-1" }) }),
        ];
        const lt = (hops: number) => r(T.launchTemplate, "lt", { id: "lt-1", metadataOptions: { ...metadataOptions, httpPutResponseHopLimit: hops } });
        const group = r(T.nodeGroup, "nodes", { subnetIds: ["subnet-aaa"], launchTemplate: { id: "lt-1", version: "1" } });

        it("eks-nodes-private-imdsv2 (stack): subnets without a route to an internet gateway, a launch template with IMDSv2", async () => {
            await catchesStack(rules.nodesPrivateWithImdsV2, [...network("private"), lt(1), group], [...network("public"), lt(1), group], /subnet subnet-a is public: its route table rt routes to an internet gateway/);
            await catchesStack(rules.nodesPrivateWithImdsV2, [...network("private"), lt(1), group], [...network("private"), lt(3), group], /launch template lt: .*at most 1/);
            const noTemplate = r(T.nodeGroup, "nodes", { subnetIds: ["subnet-aaa"] });
            assert.match((await stackViolationsOf(rules.nodesPrivateWithImdsV2, [...network("private"), noTemplate]))[0], /no launch template from this stack/);
            assert.match((await stackViolationsOf(rules.nodesPrivateWithImdsV2, [lt(1), group]))[0], /subnet subnet-aaa is not in the stack/);
            const mapsPublicIps = network("private").map((s) => (s.name === "subnet-a" ? r(T.subnet, "subnet-a", { id: "subnet-aaa", mapPublicIpOnLaunch: true }) : s));
            assert.match((await stackViolationsOf(rules.nodesPrivateWithImdsV2, [...mapsPublicIps, lt(1), group]))[0], /hands out public IPs/);
        });

        it("eks-nodes-private-imdsv2 follows the engine's dependencies in preview, before ids exist", async () => {
            const previewGroup = r(T.nodeGroup, "nodes", { subnetIds: ["unknown"], launchTemplate: { id: "unknown" } }, { subnetIds: ["subnet-a"], launchTemplate: ["lt"] });
            const previewNetwork = network("public").map((s) => (s.type === T.routeTableAssociation ? r(T.routeTableAssociation, "rta", { subnetId: "?", routeTableId: "?" }, { subnetId: ["subnet-a"], routeTableId: ["rt"] }) : s));
            assert.match((await stackViolationsOf(rules.nodesPrivateWithImdsV2, [...previewNetwork, lt(1), previewGroup]))[0], /subnet-a is public/);
        });
    });

    describe("KMS", () => {
        it("kms-rotation (symmetric keys only)", async () => {
            await catches(rules.kmsRotation, r(T.kmsKey, "k", { enableKeyRotation: true }), r(T.kmsKey, "k", {}), /enableKeyRotation must be true/);
            assert.deepEqual(await violationsOf(rules.kmsRotation, r(T.kmsKey, "k", { customerMasterKeySpec: "RSA_2048" })), [], "asymmetric keys cannot rotate");
        });
    });

    describe("IAM", () => {
        const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });
        const scoped = doc({ Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" }, { Effect: "Allow", Action: ["s3:GetObject"], Resource: "arn:aws:s3:::b/*" });
        const admin = doc({ Effect: "Allow", Action: "*", Resource: "*" });

        it("iam-no-star-on-star in role policies, policies and inline policies", async () => {
            await catches(rules.iamNoStarOnStar, r(T.iamRolePolicy, "p", { policy: scoped }), r(T.iamRolePolicy, "p", { policy: admin }), /allows "\*" actions on "\*" resources/);
            await catches(rules.iamNoStarOnStar, r(T.iamPolicy, "p", { policy: scoped }), r(T.iamPolicy, "p", { policy: doc({ Effect: "Allow", NotAction: "iam:*", Resource: "*" }) }), /allows/);
            await catches(rules.iamNoStarOnStar, r(T.iamRole, "role", { inlinePolicies: [{ name: "ok", policy: scoped }] }), r(T.iamRole, "role", { inlinePolicies: [{ name: "bad", policy: doc({ Effect: "Allow", Action: "*:*", Resource: ["*"] }) }] }), /inline policy bad/);
        });
        it("iam-no-star-on-star refuses AdministratorAccess attachments, and reads Deny and scoped statements as fine", async () => {
            await catches(rules.iamNoStarOnStar, r(T.iamAttachments[0], "a", { policyArn: "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy" }), r(T.iamAttachments[0], "a", { policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" }), /AdministratorAccess/);
            await catches(rules.iamNoStarOnStar, r(T.iamRole, "role", {}), r(T.iamRole, "role", { managedPolicyArns: ["arn:aws:iam::aws:policy/AdministratorAccess"] }), /managedPolicyArns includes AdministratorAccess/);
            assert.deepEqual(rules.starOnStar(doc({ Effect: "Deny", Action: "*", Resource: "*" })), []);
            assert.deepEqual(rules.starOnStar(doc({ Effect: "Allow", Action: "*", Resource: "arn:aws:s3:::b" })), []);
        });
        it("task-role-wildcards: the stack's grants to task pods name their resources; a whole service on \"*\" is reported", async () => {
            const user = (policy: string) => r(T.iamRolePolicy, "data-platform-prod-cluster-airflow-tasks-user-policy", { policy });
            await catches(rules.taskRoleWildcards, user(doc({ Effect: "Allow", Action: ["s3:GetObject"], Resource: "arn:aws:s3:::data/*" })), user(doc({ Effect: "Allow", Action: "s3:*", Resource: "*" })), /allows s3:\* on "\*"/);
            await catches(rules.taskRoleWildcards, user(doc({ Effect: "Allow", Action: "s3:*", Resource: "arn:aws:s3:::data/*" })), user(doc({ Effect: "Allow", NotAction: "iam:*", Resource: "*" })), /NotAction on "\*"/);
            // Only the user's policy: the platform's own policies are held by the other rules.
            assert.deepEqual(await violationsOf(rules.taskRoleWildcards, r(T.iamRolePolicy, "data-platform-prod-cluster-airflow-tasks-policy", { policy: doc({ Effect: "Allow", Action: "s3:*", Resource: "*" }) })), []);
            assert.deepEqual(rules.serviceWideOnStar(doc({ Effect: "Deny", Action: "*", Resource: "*" })), []);
        });
        it("leaves KMS key policies alone: the account root's kms:* on its own key is how IAM administers keys", async () => {
            const keyPolicy = doc({ Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "kms:*", Resource: "*" });
            assert.deepEqual(await violationsOf(rules.iamNoStarOnStar, r(T.kmsKey, "k", { policy: keyPolicy, enableKeyRotation: true })), []);
        });
    });

    describe("Lambda and schedules", () => {
        it("lambda-reserved-concurrency", async () => {
            // Unset (unreserved) passes: new accounts cannot spare a reservation. 0 disables the function.
            await catches(rules.lambdaReservedConcurrency, r(T.lambda, "f", {}), r(T.lambda, "f", { reservedConcurrentExecutions: 0 }), /every invocation is throttled/);
            await catches(rules.lambdaReservedConcurrency, r(T.lambda, "f", { reservedConcurrentExecutions: 1 }), r(T.lambda, "f", { reservedConcurrentExecutions: 0 }), /is 0/);
        });

        const fn = (props: Record<string, any> = {}) => r(T.lambda, "scaler", { arn: "arn:aws:lambda:us-east-1:1:function:scaler", name: "scaler", reservedConcurrentExecutions: 1, ...props });
        const sched = (dlq: boolean) => r(T.schedule, "wake", { scheduleExpression: "cron(0 0 * * ? *)", scheduleExpressionTimezone: "America/Los_Angeles", target: { arn: "arn:aws:lambda:us-east-1:1:function:scaler", roleArn: "arn:role", ...(dlq ? { deadLetterConfig: { arn: "arn:aws:sqs:us-east-1:1:dlq" } } : {}) } });

        it("lambda-dead-letter (stack): the function's own DLQ, and the schedule's for what it cannot deliver", async () => {
            await catchesStack(rules.lambdaDeadLetter, [fn({ deadLetterConfig: { targetArn: "arn:aws:sqs:us-east-1:1:dlq" } }), sched(true)], [fn(), sched(true)], /no deadLetterConfig.targetArn .* a schedule's DLQ does not see errors raised by the function/);
            await catchesStack(rules.lambdaDeadLetter, [fn({ deadLetterConfig: { targetArn: "arn:q" } }), sched(true)], [fn({ deadLetterConfig: { targetArn: "arn:q" } }), sched(false)], /wake: invokes scaler without target.deadLetterConfig.arn/);
            const onFailure = r(T.lambdaInvokeConfig, "cfg", { functionName: "scaler", destinationConfig: { onFailure: { destination: "arn:aws:sqs:us-east-1:1:dlq" } } });
            assert.deepEqual(await stackViolationsOf(rules.lambdaDeadLetter, [fn(), onFailure, sched(true)]), [], "an on-failure destination is a dead-letter path");
        });

        it("schedule-time-zone: cron() and at() need a zone; rate() does not; legacy cron rules are refused", async () => {
            await catches(rules.scheduleTimeZone, sched(true), r(T.schedule, "s", { scheduleExpression: "cron(0 0 * * ? *)" }), /would run in UTC/);
            assert.deepEqual(await violationsOf(rules.scheduleTimeZone, r(T.schedule, "s", { scheduleExpression: "rate(5 minutes)" })), []);
            await catches(rules.scheduleTimeZone, r(T.eventRule, "rule", { eventPattern: "{}" }), r(T.eventRule, "rule", { scheduleExpression: "cron(0 8 * * ? *)" }), /UTC only/);
        });
    });

    describe("security groups", () => {
        const alb = r(T.securityGroup, "ui-alb", { id: "sg-alb", tags: { "data-platform:role": "airflow-ui-alb" } });
        const nodes = r(T.securityGroup, "nodes", { id: "sg-nodes", tags: {} });
        const ingress = (name: string, sg: string, port: number, cidr = "0.0.0.0/0") => r(T.ingressRule, name, { securityGroupId: sg, ipProtocol: "tcp", fromPort: port, toPort: port, cidrIpv4: cidr });

        it("no-world-ingress (stack): 443 on the UI load balancer's group only", async () => {
            await catchesStack(rules.noWorldIngress, [alb, nodes, ingress("https", "sg-alb", 443)], [alb, nodes, ingress("http", "sg-alb", 80)], /http: security group ui-alb admits 0.0.0.0\/0 on tcp 80-80/);
            await catchesStack(rules.noWorldIngress, [alb, nodes, ingress("vpc", "sg-nodes", 22, "10.0.0.0/16")], [alb, nodes, ingress("ssh", "sg-nodes", 22)], /ssh: security group nodes admits/);
            const legacy = r(T.sgRule, "legacy", { type: "ingress", securityGroupId: "sg-alb", protocol: "tcp", fromPort: 443, toPort: 443, ipv6CidrBlocks: ["::/0"] });
            assert.deepEqual(await stackViolationsOf(rules.noWorldIngress, [alb, legacy]), [], "IPv6 443 on the ALB's group is the same exception");
            const outside = ingress("orphan", "sg-elsewhere", 443);
            // In preview the group's id is unknown; the engine's dependency says which group the rule is on.
            const previewRule = r(T.ingressRule, "https", { securityGroupId: "unknown", ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0" }, { securityGroupId: ["ui-alb"] });
            assert.deepEqual(await stackViolationsOf(rules.noWorldIngress, [alb, nodes, previewRule]), []);
            assert.match((await stackViolationsOf(rules.noWorldIngress, [outside]))[0], /a security group outside the stack/);
        });
    });

    describe("security groups: inline rules", () => {
        it("no-world-ingress-inline: inline ingress from the world only for 443/tcp on the UI load balancer's group", async () => {
            const albTags = { "data-platform:role": "airflow-ui-alb" };
            const https = { protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] };
            await catches(rules.noWorldIngressInline, r(T.securityGroup, "alb", { tags: albTags, ingress: [https] }), r(T.securityGroup, "nodes", { tags: {}, ingress: [https] }), /inline ingress admits 0.0.0.0\/0 on tcp 443-443/);
            await catches(rules.noWorldIngressInline, r(T.securityGroup, "alb", { tags: albTags, ingress: [{ ...https, cidrBlocks: ["10.0.0.0/8"], fromPort: 80, toPort: 80 }] }), r(T.securityGroup, "alb", { tags: albTags, ingress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }] }), /on -1 0-0/);
        });
    });

    describe("cost", () => {
        const cluster = r(T.eks, "c", { upgradePolicy: { supportType: "STANDARD" } });
        const nodes = r(T.nodeGroup, "n", { instanceTypes: ["t3.medium"], scalingConfig: { desiredSize: 4, minSize: 0, maxSize: 4 } });

        it("monthly-cost-ceiling (stack, advisory): reports an estimate over the configured ceiling", async () => {
            assert.equal(rules.costCeiling.enforcementLevel, "advisory");
            // Without a schedule nothing sleeps: $73 + 4 × 730 × $0.0416 + 4 × 20 GB gp2 × $0.10 = $202.47.
            await catchesStack(rules.costCeiling, [cluster], [cluster, nodes], /estimated \$202\.47 a month is over the ceiling of \$150\.00 \(dearest: EKS nodes: 4 × t3.medium \$121\.47; EKS control plane/);
            assert.deepEqual(await stackViolationsOf(rules.costCeiling, [cluster, nodes], { monthlyCeilingUsd: 210 }), []);
            // Asleep outside 2 h a day (the default, as the stacks' expectedAwakeHours):
            // $73 + 4 × 60.83 h × ($0.0416 + 20 GB × $0.10 / 730 h) = $83.79.
            assert.equal(rules.DEFAULT_AWAKE_HOURS_PER_DAY, 2);
            const wake = r(T.schedule, "wake", { scheduleExpression: "cron(0 0 * * ? *)", scheduleExpressionTimezone: "America/Los_Angeles" });
            assert.deepEqual(await stackViolationsOf(rules.costCeiling, [cluster, nodes, wake]), []);
            assert.match((await stackViolationsOf(rules.costCeiling, [cluster, nodes, wake], { monthlyCeilingUsd: 80 }))[0], /estimated \$83\.79/);
            // At 4 h a day: $73 + 4 × 121.67 h × ($0.0416 + 20 GB × $0.10 / 730 h) = $94.58.
            assert.match((await stackViolationsOf(rules.costCeiling, [cluster, nodes, wake], { monthlyCeilingUsd: 90, awakeHoursPerDay: 4 }))[0], /estimated \$94\.58/);
        });

        it("tells components from cloud resources by the type token, as stack validation carries no flag", () => {
            assert.equal(rules.isCustomType("aws:ec2/vpc:Vpc"), true);
            assert.equal(rules.isCustomType("kubernetes:helm.sh/v3:Release"), true);
            assert.equal(rules.isCustomType("pulumi:providers:aws"), true);
            assert.equal(rules.isCustomType("data-platform:index:Network"), false);
            assert.equal(rules.isCustomType("pulumi:pulumi:Stack"), false);
        });
    });

    it("every rule of the pack is tested above, and names are unique", () => {
        const names = [...rules.resourcePolicies, ...rules.stackPolicies].map((p) => p.name);
        assert.equal(new Set(names).size, names.length);
        assert.deepEqual(names.sort(), [
            "ecr-immutable-tags", "ecr-scan-on-push", "eks-control-plane-logs", "eks-endpoint-not-open", "eks-nodes-private-imdsv2",
            "eks-secrets-encrypted", "eks-standard-support", "iam-no-star-on-star", "imdsv2-required", "kms-rotation", "lambda-dead-letter",
            "lambda-reserved-concurrency", "monthly-cost-ceiling", "no-world-ingress", "no-world-ingress-inline", "opensearch-encrypted", "opensearch-https-only",
            "opensearch-in-vpc", "rds-backed-up", "rds-encrypted", "rds-not-public", "rds-tls-forced", "s3-encrypted",
            "s3-public-access-blocked", "s3-tls-only", "schedule-time-zone", "task-role-wildcards",
        ]);
    });
});

// ---------------------------------------------------------------- preview: unknown values

// The SDK wraps props in a proxy that throws on unknown values during preview (not in its type declarations).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sdkProxy = require("@pulumi/policy/proxy") as { unknownCheckingProxy(o: object): any; unknownStringValue: string; UnknownValueError: new (...a: any[]) => Error };
const UNKNOWN = sdkProxy.unknownStringValue;
const previewSpec = (spec: Spec): Spec => ({ ...spec, props: sdkProxy.unknownCheckingProxy(spec.props) });

describe("policy pack in preview: ids unknown, references known through the engine's dependencies", () => {
    it("the proxy throws on an unknown value, as in the policy server", () => {
        const props = sdkProxy.unknownCheckingProxy({ id: UNKNOWN, tags: { a: "b" } });
        assert.throws(() => props.id, sdkProxy.UnknownValueError);
        assert.equal(props.tags.a, "b");
    });

    it("the S3 rules tell two new buckets apart without reading an unknown id", async () => {
        const stack: Spec[] = [];
        for (const n of ["a", "b"]) {
            stack.push(
                r(T.bucket, n, { id: UNKNOWN, bucket: UNKNOWN, arn: UNKNOWN, serverSideEncryptionConfiguration: UNKNOWN, policy: UNKNOWN }),
                r(T.publicAccessBlock, `${n}-pab`, { bucket: UNKNOWN, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true }, { bucket: [n] }),
                r(T.bucketEncryption, `${n}-sse`, { bucket: UNKNOWN, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: UNKNOWN } }] }, { bucket: [n] }),
                r(T.bucketPolicy, `${n}-policy`, { bucket: UNKNOWN, policy: JSON.stringify({ Statement: [{ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: ["x", "x/*"], Condition: { Bool: { "aws:SecureTransport": "false" } } }] }) }, { bucket: [n] }),
            );
        }
        const preview = stack.map(previewSpec);
        for (const policy of [rules.s3PublicAccessBlocked, rules.s3Encrypted, rules.s3TlsOnly]) assert.deepEqual(await stackViolationsOf(policy, preview), [], policy.name);
        // Bucket b without its block: caught in preview too.
        const missing = preview.filter((x) => x.name !== "b-pab");
        assert.match((await stackViolationsOf(rules.s3PublicAccessBlocked, missing))[0], /^b: no aws.s3.BucketPublicAccessBlock/);
    });

    it("the cost ceiling estimates from the known values instead of failing on unknown ones", async () => {
        const cluster = previewSpec(r(T.eks, "c", { id: UNKNOWN, arn: UNKNOWN, upgradePolicy: { supportType: "STANDARD" } }));
        const nodes = previewSpec(r(T.nodeGroup, "n", { id: UNKNOWN, instanceTypes: ["t3.medium"], scalingConfig: { desiredSize: 4, minSize: 0, maxSize: 4 }, launchTemplate: { id: UNKNOWN } }));
        assert.match((await stackViolationsOf(rules.costCeiling, [cluster, nodes]))[0], /estimated \$202\.47 a month/);
        assert.deepEqual((rules.knownOnly(nodes.props) as Record<string, unknown>).launchTemplate, { id: undefined });
    });
});

// ---------------------------------------------------------------- the stacks as they are

/** What the engine would hand a policy: secrets unwrapped (the SDK deserialises with keepSecrets false). */
function plain(value: unknown): any {
    if (Array.isArray(value)) return value.map(plain);
    if (value && typeof value === "object") {
        const o = value as Record<string, unknown>;
        if (o[specialSigKey] === specialSecretSig) return plain(o.value);
        return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, plain(v)]));
    }
    return value;
}

/** A recorded resource as a policy sees it: inputs for resource policies; outputs (with id) for stack policies. */
const asInputs = (rec: RecordedResource): Spec => ({ type: rec.type, name: rec.name, props: plain(rec.inputs) });
const asOutputs = (rec: RecordedResource): Spec => ({ type: rec.type, name: rec.name, props: { ...plain(rec.state), ...(rec.id ? { id: rec.id } : {}) } });

/** Every mandatory rule's violations over an evaluated program, as "rule type name: message". */
async function mandatoryViolations(e: Evaluation): Promise<string[]> {
    const violations: string[] = [];
    for (const policy of rules.resourcePolicies) {
        for (const rec of e.resources.filter((x) => x.custom)) {
            for (const m of await violationsOf(policy, asInputs(rec))) violations.push(`${policy.name} ${rec.type} ${rec.name}: ${m}`);
        }
    }
    for (const policy of rules.stackPolicies.filter((p) => p.enforcementLevel === "mandatory")) {
        for (const m of await stackViolationsOf(policy, e.resources.map(asOutputs))) violations.push(`${policy.name}: ${m}`);
    }
    return violations;
}

for (const stack of STACKS) {
    describe(`policy pack over the ${stack} stack as evaluated today`, () => {
        it("has no violation of any mandatory rule", async () => {
            const e = await stackEvaluation(stack);
            assert.deepEqual(await mandatoryViolations(e), []);
        });

        it("the rules had something to check: the stack holds the resources they are about", async () => {
            const types = new Set((await stackEvaluation(stack)).resources.map((x) => x.type));
            // staging leaves the search domain out (logSearch false); the switch-on variant is checked below.
            const expected = [T.rds, T.rdsParams, T.bucket, T.publicAccessBlock, T.bucketEncryption, T.bucketPolicy, T.ecr, T.kmsKey, T.iamRolePolicy, T.securityGroup,
                "aws:eks/cluster:Cluster", "aws:eks/nodeGroup:NodeGroup", "aws:ec2/launchTemplate:LaunchTemplate", "aws:lambda/function:Function", "aws:scheduler/schedule:Schedule"];
            for (const t of stack === "prod" ? [...expected, T.openSearch] : expected) {
                assert.ok(types.has(t), `${stack} has a ${t}`);
            }
        });

        it("has no violation of any mandatory rule with the log-search domain switched on", async () => {
            const e = await stackEvaluation(stack, { "data-platform:logSearch": true });
            assert.ok(e.resources.some((x) => x.type === T.openSearch));
            assert.deepEqual(await mandatoryViolations(e), []);
        });

        it("the advisory cost ceiling agrees with the estimate", async () => {
            const e = await stackEvaluation(stack);
            const ceiling = stack === "prod" ? 150 : 120;
            const total = estimate(e.resources, { awakeHoursPerDay: rules.DEFAULT_AWAKE_HOURS_PER_DAY }, readPriceFile()).total;
            const advice = await stackViolationsOf(rules.costCeiling, e.resources.map(asOutputs), { monthlyCeilingUsd: ceiling });
            assert.equal(advice.length, total > ceiling ? 1 : 0, `${stack}: $${total.toFixed(2)} against $${ceiling}: ${advice.join("")}`);
            if (advice.length > 0) assert.match(advice[0], new RegExp(`estimated \\$${total.toFixed(2)} a month`));
        });
    });
}
