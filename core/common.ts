// Pieces more than one component builds the same way.

import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

/**
 * A customer-managed KMS key with yearly rotation and the longest deletion window (30 days).
 * `retainOnDelete`: the key encrypts data a destroy keeps (a final snapshot, a kept bucket), so the
 * destroy must keep the key too; a deleted key makes that data unreadable for good once its window ends.
 */
export function rotatingKey(name: string, description: string, parent: pulumi.Resource, policy?: pulumi.Input<string>, options: { retainOnDelete?: boolean } = {}): aws.kms.Key {
    return new aws.kms.Key(name, { description, enableKeyRotation: true, deletionWindowInDays: 30, policy }, { parent, retainOnDelete: options.retainOnDelete === true });
}

/** A KMS key a component is given instead of creating its own (the stack's shared key, sharedKmsKey). */
export interface KeyRef {
    readonly arn: pulumi.Output<string>;
}

/** Who may connect: one security group, and why (the rule's description). */
export interface ClientGrant {
    readonly securityGroupId: pulumi.Input<string>;
    readonly description: string;
}

/** Admits one TCP port to a security group from one other security group, and nothing else. */
export function allowPortFrom(name: string, securityGroupId: pulumi.Input<string>, port: number, grant: ClientGrant, parent: pulumi.Resource): aws.vpc.SecurityGroupIngressRule {
    return new aws.vpc.SecurityGroupIngressRule(name, {
        securityGroupId,
        description: grant.description,
        ipProtocol: "tcp",
        fromPort: port,
        toPort: port,
        referencedSecurityGroupId: grant.securityGroupId,
    }, { parent });
}
