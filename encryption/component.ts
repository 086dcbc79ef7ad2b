// The stack's one customer-managed KMS key (sharedKmsKey true): every part encrypts with it instead
// of creating its own, $1 a month a key saved. The security checklist asks that each service
// encrypt with a customer-managed key (EKS secrets, RDS, S3, OpenSearch, the scheduler's parameter
// and the log groups); it does not ask for one key each. What sharing gives up is a key policy per
// part: anyone the account lets use this key can decrypt every part's data, so IAM (which grants
// kms:Decrypt per role, and only on the key ARN) is where the separation lives.

import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { kmsKeyPolicyWithLogs } from "../core/policies";
import { rotatingKey } from "../core/common";

export interface PlatformKeyArgs {
    readonly accountId: pulumi.Input<string>;
    readonly region: string;
    /** The stack's prefix (core/naming.ts): the alias is alias/<prefix>. */
    readonly prefix: string;
    /**
     * A destroy keeps the key when it keeps data it encrypts (keepDataOnDestroy: the metastore's final
     * snapshot, the task-log bucket); otherwise the key is scheduled for deletion with the rest.
     */
    readonly keepOnDestroy: boolean;
}

export class PlatformKey extends pulumi.ComponentResource {
    public readonly arn: pulumi.Output<string>;
    public readonly keyId: pulumi.Output<string>;

    constructor(name: string, args: PlatformKeyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("data-platform:index:PlatformKey", name, {}, opts);
        // The policy of the parts' own keys that grant the most (the cluster's and the metastore's):
        // the account administers it through IAM, and CloudWatch Logs may use it for this account's
        // log groups. The other parts' keys had AWS's default policy, which this includes.
        const key = rotatingKey(`${name}-key`, `Encrypts every part of ${args.prefix}: Kubernetes secrets, the metastore, task logs, log search, the scheduler's credential, log groups`, this,
            pulumi.output(args.accountId).apply((account) => JSON.stringify(kmsKeyPolicyWithLogs(account, args.region))), { retainOnDelete: args.keepOnDestroy });
        new aws.kms.Alias(`${name}-alias`, { name: `alias/${args.prefix}`, targetKeyId: key.keyId }, { parent: this, retainOnDelete: args.keepOnDestroy });
        this.arn = key.arn;
        this.keyId = key.keyId;
        this.registerOutputs({ arn: this.arn, keyId: this.keyId });
    }
}
