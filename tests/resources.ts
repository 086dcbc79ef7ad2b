// Resource type tokens and look-ups the tests share.

import { strict as assert } from "assert";
import type { Evaluation } from "../offline/evaluate";
import type { RecordedResource } from "../offline/mocks";

export const T = {
    vpc: "aws:ec2/vpc:Vpc",
    subnet: "aws:ec2/subnet:Subnet",
    routeTable: "aws:ec2/routeTable:RouteTable",
    route: "aws:ec2/route:Route",
    association: "aws:ec2/routeTableAssociation:RouteTableAssociation",
    natGateway: "aws:ec2/natGateway:NatGateway",
    instance: "aws:ec2/instance:Instance",
    eni: "aws:ec2/networkInterface:NetworkInterface",
    eip: "aws:ec2/eip:Eip",
    igw: "aws:ec2/internetGateway:InternetGateway",
    endpoint: "aws:ec2/vpcEndpoint:VpcEndpoint",
    sg: "aws:ec2/securityGroup:SecurityGroup",
    ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    db: "aws:rds/instance:Instance",
    key: "aws:kms/key:Key",
} as const;

/** The ingress rule resources attached to a security group. */
export function ingressOf(e: Evaluation, sg: RecordedResource): RecordedResource[] {
    return e.ofType(T.ingress).filter((r) => r.inputs.securityGroupId === sg.id);
}

/** The one resource of a type whose name ends with suffix (components name children `${name}-<part>`). */
export function only(e: Evaluation, type: string, suffix: string): RecordedResource {
    const found = e.ofType(type).filter((r) => r.name.endsWith(suffix));
    assert.equal(found.length, 1, `expected one ${type} named *${suffix}, found ${found.map((r) => r.name).join(", ") || "none"}`);
    return found[0];
}

/** The KMS key a part encrypts with: the stack's one key where sharedKmsKey is on, else the part's own. */
export function keyOf(e: Evaluation, cfg: { readonly sharedKmsKey: boolean }, part: "cluster" | "metastore" | "logstore" | "scheduler"): RecordedResource {
    const keys = e.ofType(T.key);
    assert.equal(keys.length, cfg.sharedKmsKey ? 1 : 4, `KMS keys: ${keys.map((k) => k.name).join(", ")}`);
    return only(e, T.key, cfg.sharedKmsKey ? "-kms-key" : `-${part}-key`);
}
