// sharedKmsKey: one customer-managed key for the stack, or one per part. Both settings evaluated
// through the real program; what is checked is which key each encrypted resource names.

import { strict as assert } from "assert";
import { T, only } from "../tests/resources";
import { stackEvaluation } from "../tests/stacks";
import type { Evaluation } from "../offline/evaluate";
import type { RecordedResource } from "../offline/mocks";

/** Every key ARN an encrypted resource of the stack names, by what it encrypts. */
function encryptedBy(e: Evaluation): Record<string, unknown> {
    const one = (type: string, suffix: string) => only(e, type, suffix);
    const eks = one("aws:eks/cluster:Cluster", "cluster-eks");
    const bucketEncryption = one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "task-logs-encryption");
    return {
        "Kubernetes secrets": eks.inputs.encryptionConfig.provider.keyArn,
        "control-plane logs": one("aws:cloudwatch/logGroup:LogGroup", "cluster-control-plane-logs").inputs.kmsKeyId,
        metastore: one("aws:rds/instance:Instance", "metastore-db").inputs.kmsKeyId,
        "metastore logs": one("aws:cloudwatch/logGroup:LogGroup", "metastore-log-postgresql").inputs.kmsKeyId,
        "task logs": bucketEncryption.inputs.rules[0].applyServerSideEncryptionByDefault.kmsMasterKeyId,
        "log search": one("aws:opensearch/domain:Domain", "logstore-search").inputs.encryptAtRest.kmsKeyId,
        "scheduler credential": one("aws:ssm/parameter:Parameter", "scheduler-database").inputs.keyId,
    };
}

const arnOf = (key: RecordedResource) => key.state.arn;

describe("sharedKmsKey: one customer-managed key, or one per part (prod evaluated both ways)", function () {
    this.timeout(120_000);

    it("true: one rotating key, with the logs grant, kept on destroy where the data is kept, encrypts every part", async () => {
        const e = await stackEvaluation("prod");
        assert.equal(e.config.values["data-platform:sharedKmsKey"], "true", "prod's stack file shares the key");
        const keys = e.ofType(T.key);
        assert.deepEqual(keys.map((k) => k.name), ["data-platform-prod-kms-key"]);
        const [key] = keys;
        assert.equal(key.inputs.enableKeyRotation, true);
        assert.equal(key.options!.retainOnDelete, true, "prod keeps its data on destroy, so the key that reads it");
        const policy = JSON.parse(key.inputs.policy);
        assert.ok(policy.Statement.some((s: any) => s.Principal?.Service === "logs.us-east-1.amazonaws.com"), "CloudWatch Logs may use it (the log groups)");
        for (const [what, arn] of Object.entries(encryptedBy(e))) assert.equal(arn, arnOf(key), what);
        assert.equal(only(e, "aws:kms/alias:Alias", "kms-alias").inputs.name, "alias/data-platform-prod");
    });

    it("false: each part its own key, and no part uses another's", async () => {
        const e = await stackEvaluation("prod", { "data-platform:sharedKmsKey": false });
        const keys = new Map(e.ofType(T.key).map((k) => [k.name.replace("data-platform-prod-", ""), arnOf(k)]));
        assert.deepEqual([...keys.keys()].sort(), ["cluster-key", "logstore-key", "metastore-key", "scheduler-key"]);
        const by = encryptedBy(e);
        assert.deepEqual(by, {
            "Kubernetes secrets": keys.get("cluster-key"),
            "control-plane logs": keys.get("cluster-key"),
            metastore: keys.get("metastore-key"),
            "metastore logs": keys.get("metastore-key"),
            "task logs": keys.get("logstore-key"),
            "log search": keys.get("logstore-key"),
            "scheduler credential": keys.get("scheduler-key"),
        });
        assert.equal(e.ofType("aws:kms/alias:Alias").length, 1, "the metastore's own alias only");
    });
});
