// The data services' guarantees, proved on the inputs of the resources the real program registers under
// mocks, for each stack; and the grant methods, on a small program that uses them.

import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import { parseConfig } from "../config/config";
import { physicalNames } from "../core/naming";
import { ENGINE_LIFECYCLE_SUPPORT, Metastore, POSTGRES_MAJOR } from "./component";
import { LogStore, OPENSEARCH_TLS_POLICY, SERVICE_ROLE_PROPAGATION } from "../log-store/component";
import { Registry } from "../registry/component";
import { HARNESS_DAY, valueOf, type Evaluation } from "../offline/evaluate";
import { T, ingressOf, keyOf, only } from "../tests/resources";
import { evaluateOnce, STACKS, stackEvaluation } from "../tests/stacks";
import { readStackConfig } from "../offline/stack-config";


const json = (text: string) => JSON.parse(text);
// How @pulumi/pulumi marks a serialised secret on the wire.
const SECRET_SIG_KEY = specialSigKey;
const SECRET_SIG = specialSecretSig;

for (const stack of STACKS) {
    const prod = stack === "prod";
    describe(`data services under mocks: stack ${stack}`, () => {
        let e: Evaluation;
        let cfg: ReturnType<typeof parseConfig>;
        let privateSubnetIds: string[];
        before(async () => {
            e = await stackEvaluation(stack);
            cfg = parseConfig(e.config.values, e.config);
            privateSubnetIds = e.ofType(T.subnet).filter((s) => s.inputs.tags.Tier === "private").map((s) => s.id);
        });

        describe("Metastore", () => {
            it(`is PostgreSQL ${POSTGRES_MAJOR} on db.t3.micro, ${prod ? "Multi-AZ" : "single-AZ"}, on gp3, in the private subnets`, () => {
                const db = only(e, T.db, "metastore-db");
                assert.equal(db.inputs.engine, "postgres");
                assert.equal(db.inputs.engineVersion, POSTGRES_MAJOR);
                assert.equal(db.inputs.instanceClass, "db.t3.micro");
                assert.equal(db.inputs.multiAz, prod);
                assert.equal(db.inputs.storageType, "gp3");
                assert.equal(db.inputs.identifier, physicalNames(cfg).dbIdentifier);
                const group = e.get("aws:rds/subnetGroup:SubnetGroup", `data-platform-${stack}-metastore-subnets`);
                assert.equal(db.inputs.dbSubnetGroupName, group.state.name);
                assert.deepEqual([...group.inputs.subnetIds].sort(), [...privateSubnetIds].sort());
            });

            it("is never publicly accessible and sits behind its own security group", () => {
                const db = only(e, T.db, "metastore-db");
                assert.equal(db.inputs.publiclyAccessible, false);
                const sg = only(e, T.sg, "metastore-sg");
                assert.deepEqual(db.inputs.vpcSecurityGroupIds, [sg.id]);
            });

            it("admits only what is granted, 5432/tcp from the cluster's nodes here; no egress, no inline rules", () => {
                const sg = only(e, T.sg, "metastore-sg");
                const clusterSg = only(e, "aws:eks/cluster:Cluster", "cluster-eks").state.vpcConfig.clusterSecurityGroupId;
                const grants = ingressOf(e, sg).map((r) => r.inputs);
                assert.deepEqual(grants.filter((g) => g.referencedSecurityGroupId === clusterSg), [
                    { securityGroupId: sg.id, description: "Pods on the Airflow cluster's nodes", ipProtocol: "tcp", fromPort: 5432, toPort: 5432, referencedSecurityGroupId: clusterSg },
                ]);
                for (const g of grants) assert.deepEqual([g.ipProtocol, g.fromPort, g.toPort, g.cidrIpv4], ["tcp", 5432, 5432, undefined], "only 5432 from security groups");
                assert.deepEqual(e.ofType(T.egress).filter((r) => r.inputs.securityGroupId === sg.id), []);
                assert.equal(sg.inputs.ingress, undefined);
                assert.equal(sg.inputs.egress, undefined);
            });

            it("is encrypted at rest with a rotating customer-managed key (its own, or the stack's shared one)", () => {
                const db = only(e, T.db, "metastore-db");
                const key = keyOf(e, cfg, "metastore");
                assert.equal(db.inputs.storageEncrypted, true);
                assert.equal(db.inputs.kmsKeyId, key.state.arn);
                assert.equal(key.inputs.enableKeyRotation, true);
                const policy = json(key.inputs.policy);
                assert.equal(policy.Statement[1].Principal.Service, "logs.us-east-1.amazonaws.com");
                assert.equal(policy.Statement[1].Condition.ArnLike["kms:EncryptionContext:aws:logs:arn"], "arn:aws:logs:us-east-1:123456789012:log-group:*");
            });

            it("enforces TLS through its parameter group", () => {
                const db = only(e, T.db, "metastore-db");
                const params = only(e, "aws:rds/parameterGroup:ParameterGroup", "metastore-params");
                assert.equal(db.inputs.parameterGroupName, params.state.name);
                assert.equal(params.inputs.family, `postgres${POSTGRES_MAJOR}`);
                assert.deepEqual(params.inputs.parameters, [{ name: "rds.force_ssl", value: "1" }]);
            });

            it(`keeps ${prod ? "7 days of backups, deletion protection and a final snapshot" : "its configured backups, and may be deleted"}`, () => {
                const db = only(e, T.db, "metastore-db");
                assert.equal(db.inputs.backupRetentionPeriod, cfg.metastore.backupRetentionDays);
                if (prod) assert.equal(db.inputs.backupRetentionPeriod, 7);
                assert.equal(db.inputs.deletionProtection, prod);
                assert.equal(db.inputs.skipFinalSnapshot, !prod);
                assert.equal(db.inputs.copyTagsToSnapshot, true);
            });

            it(`on destroy ${prod ? "keeps the final snapshot's key, the task-log bucket with its logs and their key" : "removes everything: the bucket emptied of every version, the keys scheduled for deletion"}; images always go`, () => {
                // Data kept must stay readable: its KMS key is kept with it (a deleted key makes it unreadable for good).
                assert.equal(keyOf(e, cfg, "metastore").options!.retainOnDelete, prod);
                const bucket = only(e, "aws:s3/bucket:Bucket", "logstore-task-logs");
                assert.deepEqual([bucket.options!.retainOnDelete, bucket.inputs.forceDestroy], [prod, !prod]);
                assert.equal(keyOf(e, cfg, "logstore").options!.retainOnDelete, prod);
                assert.equal(only(e, "aws:ecr/repository:Repository", "registry-airflow").inputs.forceDelete, true);
            });

            it(prod ? "names its final snapshot with a suffix drawn when the instance is created, so a second destroy cannot collide" : "takes no final snapshot", () => {
                const db = only(e, T.db, "metastore-db");
                const suffixes = e.ofType("random:index/randomId:RandomId").filter((r) => r.name.endsWith("metastore-final-snapshot-suffix"));
                if (!prod) {
                    assert.equal(db.inputs.finalSnapshotIdentifier, undefined);
                    assert.deepEqual(suffixes, []);
                    return;
                }
                assert.equal(suffixes.length, 1);
                assert.equal(suffixes[0].inputs.byteLength, 4);
                assert.equal(suffixes[0].inputs.keepers, undefined, "nothing but the instance's own replacement draws a new one");
                assert.equal(db.inputs.finalSnapshotIdentifier, `${db.inputs.identifier}-final-${suffixes[0].state.hex}`);
                // RDS: 1 to 255 letters, digits and hyphens, a letter first, no double or trailing hyphen.
                assert.match(db.inputs.finalSnapshotIdentifier, /^[a-z](?!.*--)[a-z0-9-]{0,253}[a-z0-9]$/);
            });

            it("refuses paid RDS Extended Support explicitly, instead of the API's enrolling default", () => {
                const db = only(e, T.db, "metastore-db");
                assert.equal(db.inputs.engineLifecycleSupport, "open-source-rds-extended-support-disabled");
                assert.equal(ENGINE_LIFECYCLE_SUPPORT, db.inputs.engineLifecycleSupport);
            });

            it("exports PostgreSQL logs to encrypted log groups with the configured retention", () => {
                const db = only(e, T.db, "metastore-db");
                const key = keyOf(e, cfg, "metastore");
                assert.deepEqual(db.inputs.enabledCloudwatchLogsExports, ["postgresql", "upgrade"]);
                for (const log of ["postgresql", "upgrade"]) {
                    const group = only(e, "aws:cloudwatch/logGroup:LogGroup", `metastore-log-${log}`);
                    assert.equal(group.inputs.name, `/aws/rds/instance/${db.inputs.identifier}/${log}`);
                    assert.equal(group.inputs.retentionInDays, cfg.logRetentionDays);
                    assert.equal(group.inputs.kmsKeyId, key.state.arn);
                }
            });

            it("uses a generated password that is secret wherever it appears as an output", async () => {
                const db = only(e, T.db, "metastore-db");
                const generated = only(e, "random:index/randomPassword:RandomPassword", "metastore-password");
                assert.equal(generated.inputs.length, 32);
                // Pulumi's wire format for a secret: the password reaches the provider marked secret,
                // so it is encrypted in state like every secret.
                assert.deepEqual(db.inputs.password, { [SECRET_SIG_KEY]: SECRET_SIG, value: generated.state.result });
                const uri = e.outputs.metastoreConnectionUri as pulumi.Output<string>;
                assert.equal(await pulumi.isSecret(uri), true, "the connection URI output must be secret");
                assert.match(await valueOf(uri), new RegExp(`^postgresql://airflow_admin:${generated.state.result}@.+:5432/airflow\\?sslmode=require$`));
                // No other stack output carries the password in plain text.
                for (const [name, value] of Object.entries(e.outputs)) {
                    if (await pulumi.isSecret(pulumi.output(value))) continue;
                    assert.doesNotMatch(JSON.stringify(await valueOf(pulumi.output(value))), new RegExp(generated.state.result), `${name} leaks the password`);
                }
            });

            it("exposes the endpoint, port, database name, identifier and ARN", async () => {
                const db = only(e, T.db, "metastore-db");
                assert.equal(await valueOf(e.outputs.metastoreAddress as pulumi.Output<string>), db.state.address);
                assert.equal(e.outputs.metastorePort, 5432);
                assert.equal(e.outputs.metastoreDatabase, "airflow");
                assert.equal(await valueOf(e.outputs.metastoreInstanceIdentifier as pulumi.Output<string>), db.inputs.identifier);
                assert.equal(await valueOf(e.outputs.metastoreInstanceArn as pulumi.Output<string>), db.state.arn);
            });
        });

        describe("LogStore: task-log bucket", () => {
            const bucketPart = (type: string, suffix: string) => {
                const r = only(e, type, suffix);
                assert.equal(r.inputs.bucket, only(e, "aws:s3/bucket:Bucket", "task-logs").id);
                return r;
            };
            it("blocks every kind of public access and disables ACLs", () => {
                const block = bucketPart("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "task-logs-public-access");
                for (const flag of ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"]) assert.equal(block.inputs[flag], true, flag);
                const ownership = bucketPart("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "task-logs-ownership");
                assert.equal(ownership.inputs.rule.objectOwnership, "BucketOwnerEnforced");
            });
            it("encrypts with the LogStore's rotating KMS key and a bucket key", () => {
                const sse = bucketPart("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "task-logs-encryption");
                const key = keyOf(e, cfg, "logstore");
                assert.deepEqual(sse.inputs.rules, [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.state.arn }, bucketKeyEnabled: true }]);
                assert.equal(key.inputs.enableKeyRotation, true);
            });
            it("denies every request that is not over TLS 1.2+", () => {
                const policy = json(bucketPart("aws:s3/bucketPolicy:BucketPolicy", "task-logs-policy").inputs.policy);
                const arn = only(e, "aws:s3/bucket:Bucket", "task-logs").state.arn;
                const [insecure, oldTls] = policy.Statement;
                assert.deepEqual(insecure, { Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [arn, `${arn}/*`], Condition: { Bool: { "aws:SecureTransport": false } } });
                assert.deepEqual(oldTls.Condition, { NumericLessThan: { "s3:TlsVersion": "1.2" } });
            });
            it(`expires task logs after ${stack === "prod" ? 90 : 14} days and aborts incomplete uploads`, () => {
                const lifecycle = bucketPart("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "task-logs-lifecycle");
                const [expire, markers] = lifecycle.inputs.rules;
                assert.equal(expire.status, "Enabled");
                assert.equal(expire.expiration.days, cfg.logStore.taskLogRetentionDays);
                assert.equal(expire.abortIncompleteMultipartUpload.daysAfterInitiation, 1);
                assert.equal(expire.noncurrentVersionExpiration.noncurrentDays, 1);
                assert.equal(markers.expiration.expiredObjectDeleteMarker, true);
            });
        });

        describe(`LogStore: search domain${prod ? "" : " (staging with logSearch switched on)"}`, () => {
            // staging leaves the domain out by default (a cost switch): its tests use the switch on.
            let e: Evaluation;
            let cfg: ReturnType<typeof parseConfig>;
            before(async () => {
                e = prod ? await stackEvaluation(stack) : await stackEvaluation(stack, { "data-platform:logSearch": true });
                cfg = parseConfig(e.config.values, e.config);
            });
            it("runs one node inside the private subnet of its configured zone, behind its own security group", () => {
                const domain = only(e, "aws:opensearch/domain:Domain", "logstore-search");
                const sg = only(e, T.sg, "logstore-search-sg");
                assert.equal(domain.inputs.clusterConfig.instanceType, "t3.small.search");
                assert.equal(domain.inputs.clusterConfig.instanceCount, 1);
                assert.equal(domain.inputs.clusterConfig.zoneAwarenessEnabled, false);
                assert.deepEqual(domain.inputs.clusterConfig.zoneAwarenessConfig, undefined);
                assert.equal(domain.inputs.vpcOptions.subnetIds.length, 1);
                for (const id of domain.inputs.vpcOptions.subnetIds) assert.ok(privateSubnetIds.includes(id), `${id} is not a private subnet`);
                const zones = domain.inputs.vpcOptions.subnetIds.map((id: string) => e.byId(id).inputs.availabilityZone);
                assert.deepEqual(zones, cfg.logStore.openSearchZones, "one subnet per configured zone");
                assert.deepEqual(zones, ["us-east-1a"]);
                assert.deepEqual(domain.inputs.vpcOptions.securityGroupIds, [sg.id]);
                assert.deepEqual(domain.inputs.ebsOptions, { ebsEnabled: true, volumeType: "gp3", volumeSize: cfg.logStore.openSearchVolumeGb });
            });
            it("encrypts at rest with KMS and between nodes, and serves HTTPS only with a modern TLS policy", () => {
                const domain = only(e, "aws:opensearch/domain:Domain", "logstore-search");
                assert.deepEqual(domain.inputs.encryptAtRest, { enabled: true, kmsKeyId: keyOf(e, cfg, "logstore").state.arn });
                assert.deepEqual(domain.inputs.nodeToNodeEncryption, { enabled: true });
                assert.deepEqual(domain.inputs.domainEndpointOptions, { enforceHttps: true, tlsSecurityPolicy: OPENSEARCH_TLS_POLICY });
            });
            it("admits HTTPS from the cluster's nodes only; its access policy denies the HTTP API to all but granted writers", () => {
                const sg = only(e, T.sg, "logstore-search-sg");
                const clusterSg = only(e, "aws:eks/cluster:Cluster", "cluster-eks").state.vpcConfig.clusterSecurityGroupId;
                assert.deepEqual(ingressOf(e, sg).map((r) => r.inputs), [
                    { securityGroupId: sg.id, description: "Pods on the Airflow cluster's nodes", ipProtocol: "tcp", fromPort: 443, toPort: 443, referencedSecurityGroupId: clusterSg },
                ]);
                const access = only(e, "aws:opensearch/domainPolicy:DomainPolicy", "logstore-search-access");
                const domain = only(e, "aws:opensearch/domain:Domain", "logstore-search");
                assert.equal(access.inputs.domainName, domain.state.domainName);
                // The one writer: the cluster's log shipper (its role is made after the domain).
                const shipper = only(e, "aws:iam/role:Role", "cluster-log-shipper-role").state.arn;
                assert.deepEqual(json(access.inputs.accessPolicies).Statement, [
                    { Sid: "LogWriters", Effect: "Allow", Principal: { AWS: [shipper] }, Action: ["es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost", "es:ESHttpPut"], Resource: `${domain.state.arn}/*` },
                    { Sid: "NoOneElse", Effect: "Deny", Principal: { AWS: "*" }, Action: "es:ESHttp*", Resource: `${domain.state.arn}/*`, Condition: { ArnNotEquals: { "aws:PrincipalArn": [shipper] } } },
                ]);
            });
            it("leaves the account's OpenSearch service-linked role alone (one-time account setup)", () => {
                assert.deepEqual(e.ofType("aws:iam/serviceLinkedRole:ServiceLinkedRole"), []);
                assert.deepEqual(only(e, "aws:opensearch/domain:Domain", "logstore-search").options!.dependsOn, []);
            });
        });

        describe("Registry", () => {
            it("scans on push, keeps tags immutable and encrypts with KMS", () => {
                const repo = only(e, "aws:ecr/repository:Repository", "registry-airflow");
                assert.equal(repo.inputs.name, `data-platform-${stack}/airflow`);
                assert.equal(repo.inputs.imageTagMutability, "IMMUTABLE");
                assert.deepEqual(repo.inputs.imageScanningConfiguration, { scanOnPush: true });
                assert.deepEqual(repo.inputs.encryptionConfigurations, [{ encryptionType: "KMS" }]);
            });
            it("keeps the newest N images and expires untagged ones after a few days", () => {
                const lifecycle = only(e, "aws:ecr/lifecyclePolicy:LifecyclePolicy", "registry-airflow-lifecycle");
                const { rules } = json(lifecycle.inputs.policy);
                assert.deepEqual(rules.map((r: { selection: unknown }) => r.selection), [
                    { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: cfg.registry.untaggedExpiryDays },
                    { tagStatus: "any", countType: "imageCountMoreThan", countNumber: cfg.registry.keepTaggedImages },
                ]);
            });
            it(`lets only ${stack === "prod" ? "master" : "staging"} of the configured repository assume the CI role, through the account's GitHub OIDC provider`, () => {
                // Referenced at its fixed ARN, not created: the account holds one (one-time account setup).
                assert.deepEqual(e.ofType("aws:iam/openIdConnectProvider:OpenIdConnectProvider").filter((p) => p.inputs.url.includes("githubusercontent")), []);
                const role = only(e, "aws:iam/role:Role", "registry-ci-push");
                const [statement, ...rest] = json(role.inputs.assumeRolePolicy).Statement;
                assert.deepEqual(rest, []);
                assert.deepEqual(statement.Principal, { Federated: "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" });
                assert.equal(statement.Action, "sts:AssumeRoleWithWebIdentity");
                assert.deepEqual(statement.Condition, {
                    StringEquals: {
                        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                        "token.actions.githubusercontent.com:sub": `repo:your-org/airflow-dags:ref:refs/heads/${cfg.registry.ciBranch}`,
                    },
                });
            });
            it("lets the CI role push to this repository and nowhere else", () => {
                const repo = only(e, "aws:ecr/repository:Repository", "registry-airflow");
                const role = only(e, "aws:iam/role:Role", "registry-ci-push");
                const policy = only(e, "aws:iam/rolePolicy:RolePolicy", "registry-ci-push-policy");
                assert.equal(policy.inputs.role, role.state.name);
                const [login, push] = json(policy.inputs.policy).Statement;
                assert.deepEqual(login, { Sid: "RegistryLogin", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" });
                assert.equal(push.Resource, repo.state.arn);
                assert.ok(push.Action.includes("ecr:PutImage") && push.Action.every((a: string) => a.startsWith("ecr:") && !a.includes("*") && !a.startsWith("ecr:Delete")));
            });
        });
    });
}

describe("data services: staging's logSearch switch off (the stack as configured)", () => {
    it("builds no search domain, no log shipper and no 443 grant; task logs still go to S3", async () => {
        const e = await stackEvaluation("staging");
        assert.equal(parseConfig(e.config.values, e.config).logStore.logSearch, false);
        for (const type of ["aws:opensearch/domain:Domain", "aws:opensearch/domainPolicy:DomainPolicy", "aws:iam/serviceLinkedRole:ServiceLinkedRole"]) assert.deepEqual(e.ofType(type), [], type);
        assert.deepEqual(e.ofType(T.sg).filter((s) => s.name.endsWith("search-sg")), []);
        assert.deepEqual(e.ofType(T.ingress).filter((r) => r.inputs.fromPort === 443 && r.name.includes("logstore")), []);
        assert.deepEqual(e.ofType("kubernetes:helm.sh/v3:Release").filter((r) => r.name.endsWith("fluent-bit")), []);
        assert.deepEqual(e.ofType("aws:iam/role:Role").filter((r) => r.name.endsWith("log-shipper-role")), []);
        assert.equal(e.ofType("aws:s3/bucket:Bucket").length, 1);
        assert.equal(e.outputs.logSearchEndpoint, undefined);
    });
    it("is refused in prod", () => {
        assert.throws(() => parseConfig({ ...readStackConfig("prod").values, "data-platform:logSearch": "false" }, { project: "data-platform", stack: "prod", today: HARNESS_DAY }), /logSearch: "false" → must be true in prod/);
    });
});

describe("data services: prod told to keep nothing on destroy (keepDataOnDestroy false)", () => {
    it("drops deletion protection on the database and the cluster, skips the final snapshot, empties and deletes the bucket, and keeps no key", async () => {
        const e = await evaluateOnce({ stack: "prod", overrides: { "data-platform:keepDataOnDestroy": "false" } });
        const db = only(e, T.db, "metastore-db");
        assert.deepEqual([db.inputs.deletionProtection, db.inputs.skipFinalSnapshot, db.inputs.finalSnapshotIdentifier], [false, true, undefined]);
        assert.equal(only(e, "aws:eks/cluster:Cluster", "cluster-eks").inputs.deletionProtection, false);
        const bucket = only(e, "aws:s3/bucket:Bucket", "logstore-task-logs");
        assert.deepEqual([bucket.options!.retainOnDelete, bucket.inputs.forceDestroy], [false, true]);
        for (const k of e.ofType(T.key)) assert.equal(k.options!.retainOnDelete, false, k.name);
    });
    it("staging told to keep its data keeps it", async () => {
        const e = await evaluateOnce({ stack: "staging", overrides: { "data-platform:keepDataOnDestroy": "true" } });
        assert.deepEqual([only(e, T.db, "metastore-db").inputs.deletionProtection, only(e, "aws:s3/bucket:Bucket", "logstore-task-logs").options!.retainOnDelete], [true, true]);
    });
});

describe("data services: people who may search the logs (logReaderArns)", () => {
    it("admits them to search everywhere and to write only Dashboards' saved objects, beside the log shipper; everyone else denied", async () => {
        const reader = "arn:aws:iam::123456789012:role/platform-admin";
        const e = await stackEvaluation("prod", { "data-platform:logReaderArns": [reader] });
        const domain = only(e, "aws:opensearch/domain:Domain", "logstore-search");
        const shipper = only(e, "aws:iam/role:Role", "cluster-log-shipper-role").state.arn;
        const statements = json(only(e, "aws:opensearch/domainPolicy:DomainPolicy", "logstore-search-access").inputs.accessPolicies).Statement;
        assert.deepEqual(statements.map((s: { Sid: string }) => s.Sid), ["LogWriters", "LogReaders", "LogReadersDashboards", "NoOneElse"]);
        const [, read, dashboards, deny] = statements;
        assert.deepEqual([read.Principal, read.Action, read.Resource], [{ AWS: [reader] }, ["es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost"], `${domain.state.arn}/*`]);
        assert.deepEqual([dashboards.Action, dashboards.Resource], [["es:ESHttpPut", "es:ESHttpDelete"], `${domain.state.arn}/.kibana*`]);
        assert.deepEqual(deny.Condition, { ArnNotEquals: { "aws:PrincipalArn": [shipper, reader] } });
    });
    it("takes IAM role or user ARNs only", () => {
        assert.throws(() => parseConfig({ ...readStackConfig("prod").values, "data-platform:logReaderArns": '["admins"]' }, { project: "data-platform", stack: "prod", today: HARNESS_DAY }),
            /logReaderArns: .* → admins is not an IAM role or user ARN/);
    });
});

describe("data services: the account-wide singletons, created where asked", () => {
    let e: Evaluation;
    before(async () => {
        e = await stackEvaluation("staging", { "data-platform:createGithubOidcProvider": true, "data-platform:createOpenSearchServiceLinkedRole": true, "data-platform:logSearch": true });
    });

    it("creates the GitHub OIDC provider, keeps it on destroy, and the CI role trusts it", () => {
        const oidc = only(e, "aws:iam/openIdConnectProvider:OpenIdConnectProvider", "registry-github-oidc");
        assert.equal(oidc.inputs.url, "https://token.actions.githubusercontent.com");
        assert.deepEqual(oidc.inputs.clientIdLists, ["sts.amazonaws.com"]);
        assert.equal(oidc.options!.retainOnDelete, true);
        const role = only(e, "aws:iam/role:Role", "registry-ci-push");
        assert.equal(json(role.inputs.assumeRolePolicy).Statement[0].Principal.Federated, oidc.state.arn);
        // The ARN it would have referenced instead is the same one.
        assert.equal(oidc.state.arn, "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com");
    });

    it("creates the OpenSearch service-linked role, keeps it on destroy, and the domain waits for IAM to propagate it", () => {
        const slr = only(e, "aws:iam/serviceLinkedRole:ServiceLinkedRole", "opensearch-service-role");
        assert.equal(slr.inputs.awsServiceName, "opensearchservice.amazonaws.com");
        assert.equal(slr.options!.retainOnDelete, true);
        const wait = only(e, "time:index/sleep:Sleep", "opensearch-service-role-propagation");
        assert.equal(wait.inputs.createDuration, SERVICE_ROLE_PROPAGATION);
        assert.deepEqual(wait.options!.dependsOn, [`aws:iam/serviceLinkedRole:ServiceLinkedRole::${slr.name}`]);
        const domain = only(e, "aws:opensearch/domain:Domain", "logstore-search");
        assert.deepEqual(domain.options!.dependsOn, [`time:index/sleep:Sleep::${wait.name}`]);
    });
});

describe("data services: a CI environment beside the branch", () => {
    it("admits exactly the branch's and the environment's subjects of the one repository", async () => {
        const e = await stackEvaluation("prod", { "data-platform:ciEnvironment": "production" });
        const role = only(e, "aws:iam/role:Role", "registry-ci-push");
        assert.deepEqual(json(role.inputs.assumeRolePolicy).Statement[0].Condition, {
            StringEquals: {
                "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                "token.actions.githubusercontent.com:sub": ["repo:your-org/airflow-dags:ref:refs/heads/master", "repo:your-org/airflow-dags:environment:production"],
            },
        });
    });
});

describe("data services: the search domain's zones, chosen by config", () => {
    it("places two zone-aware nodes in the private subnets of the two zones named", async () => {
        const e = await stackEvaluation("prod", {
            "data-platform:openSearchZones": ["us-east-1c", "us-east-1b"],
            "data-platform:openSearchZoneAwareness": true,
            "data-platform:openSearchInstanceCount": 2,
        });
        const domain = only(e, "aws:opensearch/domain:Domain", "logstore-search");
        assert.equal(domain.inputs.clusterConfig.instanceCount, 2);
        assert.equal(domain.inputs.clusterConfig.zoneAwarenessEnabled, true);
        assert.deepEqual(domain.inputs.clusterConfig.zoneAwarenessConfig, { availabilityZoneCount: 2 });
        assert.deepEqual(domain.inputs.vpcOptions.subnetIds.map((id: string) => e.byId(id).inputs.availabilityZone), ["us-east-1c", "us-east-1b"]);
        for (const id of domain.inputs.vpcOptions.subnetIds) assert.equal(e.byId(id).inputs.tags.Tier, "private");
    });
});

describe("data services: grants (a program that uses them)", () => {
    let e: Evaluation;
    before(async () => {
        e = await evaluateOnce({
            stack: "staging",
            program: async () => {
                const common = { vpcId: "vpc-1", privateSubnetIds: ["subnet-a", "subnet-b", "subnet-c"] };
                const metastore = new Metastore("grant-metastore", {
                    ...common, region: "us-east-1", accountId: "123456789012", identifier: "grant-metastore", instanceClass: "db.t3.micro", multiAz: false,
                    allocatedStorageGb: 20, maxAllocatedStorageGb: 50, backupRetentionDays: 1, protectFromDeletion: false, logRetentionDays: 7, maintenanceWindow: "sun:07:30-sun:08:00", backupWindow: "08:15-08:45",
                });
                metastore.allowFrom("nodes", { securityGroupId: "sg-nodes", description: "Airflow pods on the cluster's nodes" });
                metastore.allowFrom("scheduler", { securityGroupId: "sg-scheduler", description: "NightlyScheduler functions" });
                const logs = new LogStore("grant-logs", {
                    taskLogRetentionDays: 7,
                    keepTaskLogsOnDestroy: false,
                    search: {
                        vpcId: "vpc-1", subnetIds: ["subnet-a"], domainName: "grant-logs",
                        instanceType: "t3.small.search", instanceCount: 1, zoneAwareness: false, volumeGb: 10,
                        createServiceLinkedRole: false, logWriterRoleArns: ["arn:aws:iam::123456789012:role/log-shipper"],
                    },
                });
                logs.allowHttpsFrom("nodes", { securityGroupId: "sg-nodes", description: "Log shipper on the cluster's nodes" });
                const registry = new Registry("grant-registry", {
                    repositoryName: "grant/airflow", ciRepository: "o/r", ciBranch: "main", keepTaggedImages: 5, untaggedExpiryDays: 1,
                    createGithubOidcProvider: false, accountId: "123456789012",
                });
                registry.allowPull("nodes", "node-role");
            },
        });
    });

    it("metastore: exactly 5432/tcp from each granted security group, with a description", () => {
        const sg = e.get(T.sg, "grant-metastore-sg");
        const rules = ingressOf(e, sg).map((r) => ({ ...r.inputs }));
        assert.deepEqual(rules.sort((a, b) => a.referencedSecurityGroupId.localeCompare(b.referencedSecurityGroupId)), [
            { securityGroupId: sg.id, description: "Airflow pods on the cluster's nodes", ipProtocol: "tcp", fromPort: 5432, toPort: 5432, referencedSecurityGroupId: "sg-nodes" },
            { securityGroupId: sg.id, description: "NightlyScheduler functions", ipProtocol: "tcp", fromPort: 5432, toPort: 5432, referencedSecurityGroupId: "sg-scheduler" },
        ]);
        for (const r of ingressOf(e, sg)) assert.equal(r.parent, "data-platform:index:Metastore::grant-metastore");
    });

    it("search domain: exactly 443/tcp from the granted group; the access policy admits the writer role and denies all others", () => {
        const sg = e.get(T.sg, "grant-logs-search-sg");
        assert.deepEqual(ingressOf(e, sg).map((r) => r.inputs), [
            { securityGroupId: sg.id, description: "Log shipper on the cluster's nodes", ipProtocol: "tcp", fromPort: 443, toPort: 443, referencedSecurityGroupId: "sg-nodes" },
        ]);
        const [allow, deny] = json(e.get("aws:opensearch/domainPolicy:DomainPolicy", "grant-logs-search-access").inputs.accessPolicies).Statement;
        assert.deepEqual(allow.Principal, { AWS: ["arn:aws:iam::123456789012:role/log-shipper"] });
        assert.equal(allow.Effect, "Allow");
        assert.deepEqual(deny.Condition, { ArnNotEquals: { "aws:PrincipalArn": ["arn:aws:iam::123456789012:role/log-shipper"] } });
        assert.equal(deny.Effect, "Deny");
    });

    it("registry: a pull grant reads this repository only", () => {
        const grant = e.get("aws:iam/rolePolicy:RolePolicy", "grant-registry-pull-nodes");
        assert.equal(grant.inputs.role, "node-role");
        const [, pull] = json(grant.inputs.policy).Statement;
        assert.equal(pull.Resource, e.get("aws:ecr/repository:Repository", "grant-registry-airflow").state.arn);
        assert.deepEqual(pull.Action, ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]);
    });
});
