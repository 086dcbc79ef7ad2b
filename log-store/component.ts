import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as time from "@pulumiverse/time";
import { bucketTlsOnlyPolicy, openSearchAccessPolicy } from "../core/policies";
import { allowPortFrom, rotatingKey, type ClientGrant, type KeyRef } from "../core/common";

/** Pinned engine version; a long-supported OpenSearch 2.x line that log shippers (Fluent Bit) speak. */
export const OPENSEARCH_ENGINE = "OpenSearch_2.19";
/** TLS 1.2 or newer with forward secrecy: the newest policy OpenSearch Service offers. */
export const OPENSEARCH_TLS_POLICY = "Policy-Min-TLS-1-2-PFS-2023-10";

/**
 * How long the domain waits after creating the service-linked role. IAM is eventually consistent, and
 * OpenSearch refuses a VPC domain until it sees the role ("...give Amazon OpenSearch Service permissions
 * to access your VPC"), an error the AWS provider does not retry in its current wording
 * (terraform-provider-aws, aws_opensearch_domain's retryable errors).
 */
export const SERVICE_ROLE_PROPAGATION = "60s";

/** The log-search domain's settings. */
export interface SearchDomainArgs {
    readonly vpcId: pulumi.Input<string>;
    /** One private subnet per zone the domain spans (2 with zone awareness, else 1). */
    readonly subnetIds: pulumi.Input<string>[];
    readonly domainName: string;
    readonly instanceType: string;
    readonly instanceCount: number;
    readonly zoneAwareness: boolean;
    readonly volumeGb: number;
    /** Create the account's OpenSearch service-linked role (once per account). */
    readonly createServiceLinkedRole: boolean;
    /** IAM roles allowed to use the domain's HTTP API (the log shipper's). None: nobody may. */
    readonly logWriterRoleArns?: pulumi.Input<pulumi.Input<string>[]>;
    /** People's roles or users who may search the logs (and keep Dashboards' saved objects). */
    readonly logReaderArns?: readonly string[];
}

export interface LogStoreArgs {
    readonly taskLogRetentionDays: number;
    /** A destroy leaves the task-log bucket, its logs and their key in the account; otherwise it removes them. */
    readonly keepTaskLogsOnDestroy: boolean;
    /** The stack's one KMS key (sharedKmsKey); unset: the log store creates its own. */
    readonly kmsKey?: KeyRef;
    /** The log-search domain; undefined leaves it out (task logs stay in S3, container logs unsearched). */
    readonly search?: SearchDomainArgs;
}

/** The search domain's endpoint and identity, when there is one. */
export interface SearchDomain {
    readonly endpoint: pulumi.Output<string>;
    readonly arn: pulumi.Output<string>;
    readonly securityGroupId: pulumi.Output<string>;
}

/**
 * Where Airflow's logs go: an S3 bucket for task logs (remote logging) and an OpenSearch domain inside
 * the VPC for searching the cluster's logs.
 */
export class LogStore extends pulumi.ComponentResource {
    public readonly bucketName: pulumi.Output<string>;
    public readonly bucketArn: pulumi.Output<string>;
    /** The KMS key of the bucket: writers need kms:GenerateDataKey on it. */
    public readonly keyArn: pulumi.Output<string>;
    /** The log-search domain; undefined where the stack leaves it out. */
    public readonly search?: SearchDomain;
    private readonly name: string;

    constructor(name: string, args: LogStoreArgs, opts?: pulumi.ComponentResourceOptions) {
        super("data-platform:index:LogStore", name, {}, opts);
        this.name = name;
        const parent = { parent: this };

        // Kept with the bucket when a destroy keeps the logs: they are encrypted with it.
        // The stack's shared key (sharedKmsKey), or the log store's own.
        const key = args.kmsKey ?? rotatingKey(`${name}-key`, "Encrypts Airflow task logs in S3 and the log-search domain", this, undefined, { retainOnDelete: args.keepTaskLogsOnDestroy });

        // ---- S3: Airflow remote task logs ----
        // keepTaskLogsOnDestroy: a destroy leaves the bucket and its logs in the account (Pulumi forgets
        // it); otherwise it empties the bucket, every version of every object (the provider's
        // forceDestroy), which S3 requires before it deletes a bucket.
        const bucket = new aws.s3.Bucket(`${name}-task-logs`, { forceDestroy: !args.keepTaskLogsOnDestroy },
            { parent: this, retainOnDelete: args.keepTaskLogsOnDestroy });
        new aws.s3.BucketPublicAccessBlock(`${name}-task-logs-public-access`, {
            bucket: bucket.id,
            blockPublicAcls: true,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
        }, parent);
        // ACLs off: the bucket owner owns every object, access is by policy alone.
        new aws.s3.BucketOwnershipControls(`${name}-task-logs-ownership`, {
            bucket: bucket.id,
            rule: { objectOwnership: "BucketOwnerEnforced" },
        }, parent);
        new aws.s3.BucketServerSideEncryptionConfiguration(`${name}-task-logs-encryption`, {
            bucket: bucket.id,
            rules: [{
                applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.arn },
                // One data key per bucket, not per object: far fewer KMS requests (and charges).
                bucketKeyEnabled: true,
            }],
        }, parent);
        // Versioning guards logs against an accidental overwrite or delete; old versions expire a day later.
        new aws.s3.BucketVersioning(`${name}-task-logs-versioning`, {
            bucket: bucket.id,
            versioningConfiguration: { status: "Enabled" },
        }, parent);
        new aws.s3.BucketLifecycleConfiguration(`${name}-task-logs-lifecycle`, {
            bucket: bucket.id,
            rules: [
                {
                    id: "expire-task-logs",
                    status: "Enabled",
                    filter: {},
                    expiration: { days: args.taskLogRetentionDays },
                    noncurrentVersionExpiration: { noncurrentDays: 1 },
                    abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
                },
                {
                    id: "remove-expired-delete-markers",
                    status: "Enabled",
                    filter: {},
                    expiration: { expiredObjectDeleteMarker: true },
                },
            ],
        }, parent);
        new aws.s3.BucketPolicy(`${name}-task-logs-policy`, {
            bucket: bucket.id,
            policy: bucket.arn.apply((arn) => JSON.stringify(bucketTlsOnlyPolicy(arn))),
        }, parent);

        this.bucketName = bucket.bucket;
        this.bucketArn = bucket.arn;
        this.keyArn = key.arn;
        this.search = args.search ? this.searchDomain(name, args.search, key) : undefined;
        this.registerOutputs({
            bucketName: this.bucketName,
            bucketArn: this.bucketArn,
            keyArn: this.keyArn,
            domainEndpoint: this.search?.endpoint,
            domainArn: this.search?.arn,
            searchSecurityGroupId: this.search?.securityGroupId,
        });
    }

    /** OpenSearch for searching the cluster's logs, inside the VPC, encrypted, admitting only its writers. */
    private searchDomain(name: string, search: SearchDomainArgs, key: KeyRef): SearchDomain {
        const parent = { parent: this };
        // Account-wide, one per account: kept on destroy, since other domains in the account need it.
        // Created here only where asked; the domain then waits for IAM to propagate it.
        const serviceRole = search.createServiceLinkedRole
            ? new aws.iam.ServiceLinkedRole(`${name}-opensearch-service-role`, { awsServiceName: "opensearchservice.amazonaws.com" }, { parent: this, retainOnDelete: true })
            : undefined;
        const roleReady = serviceRole
            ? [new time.Sleep(`${name}-opensearch-service-role-propagation`, { createDuration: SERVICE_ROLE_PROPAGATION }, { parent: this, dependsOn: [serviceRole] })]
            : [];

        // No rules here: clients are granted 443 by allowHttpsFrom(). The domain needs no egress.
        const sg = new aws.ec2.SecurityGroup(`${name}-search-sg`, {
            vpcId: search.vpcId,
            description: "Log-search domain: HTTPS from granted clients only",
            tags: { Name: `${name}-search-sg` },
        }, parent);

        const domain = new aws.opensearch.Domain(`${name}-search`, {
            domainName: search.domainName,
            engineVersion: OPENSEARCH_ENGINE,
            clusterConfig: {
                instanceType: search.instanceType,
                instanceCount: search.instanceCount,
                dedicatedMasterEnabled: false,
                zoneAwarenessEnabled: search.zoneAwareness,
                ...(search.zoneAwareness ? { zoneAwarenessConfig: { availabilityZoneCount: 2 } } : {}),
            },
            ebsOptions: { ebsEnabled: true, volumeType: "gp3", volumeSize: search.volumeGb },
            encryptAtRest: { enabled: true, kmsKeyId: key.arn },
            nodeToNodeEncryption: { enabled: true },
            domainEndpointOptions: { enforceHttps: true, tlsSecurityPolicy: OPENSEARCH_TLS_POLICY },
            vpcOptions: { subnetIds: search.subnetIds, securityGroupIds: [sg.id] },
        }, { parent: this, dependsOn: roleReady });

        new aws.opensearch.DomainPolicy(`${name}-search-access`, {
            domainName: domain.domainName,
            accessPolicies: pulumi
                .all([domain.arn, pulumi.output(search.logWriterRoleArns ?? [])])
                .apply(([arn, roles]) => JSON.stringify(openSearchAccessPolicy(arn, roles, search.logReaderArns ?? []))),
        }, parent);
        return { endpoint: domain.endpoint, arn: domain.arn, securityGroupId: sg.id };
    }

    /** Admits HTTPS (443/tcp) to the search domain from one security group: the cluster's nodes. */
    allowHttpsFrom(client: string, grant: ClientGrant): aws.vpc.SecurityGroupIngressRule {
        if (!this.search) throw new Error(`${this.name} has no search domain to grant ${client} access to`);
        return allowPortFrom(`${this.name}-search-from-${client}`, this.search.securityGroupId, 443, grant, this);
    }
}
