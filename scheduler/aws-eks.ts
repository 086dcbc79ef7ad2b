// The node group adapter: read its size, scale it. Idempotent, and patient with an update already in
// progress. The AWS SDK is required inside each function (the Lambda runtime provides it; it is not
// bundled) and the client is passed in, so tests and the operator's script use the same code.

import type { EKSClient } from "@aws-sdk/client-eks";
import { backoff, type RetryOptions } from "../core/retry";

export interface NodeGroupRef {
    readonly clusterName: string;
    readonly nodeGroupName: string;
}

export interface NodeGroupSize {
    readonly desired: number;
    readonly min: number;
    readonly max: number;
    /** ACTIVE, UPDATING, ... */
    readonly status: string;
}

export type { RetryOptions };

export async function describeNodes(client: EKSClient, ref: NodeGroupRef): Promise<NodeGroupSize> {
    const { DescribeNodegroupCommand } = require("@aws-sdk/client-eks") as typeof import("@aws-sdk/client-eks");
    const out = await client.send(new DescribeNodegroupCommand({ clusterName: ref.clusterName, nodegroupName: ref.nodeGroupName }));
    const ng = out.nodegroup;
    const scaling = ng?.scalingConfig;
    if (!ng || !scaling) throw new Error(`node group ${ref.clusterName}/${ref.nodeGroupName} has no scaling configuration`);
    return { desired: scaling.desiredSize ?? 0, min: scaling.minSize ?? 0, max: scaling.maxSize ?? 0, status: ng.status ?? "UNKNOWN" };
}

/**
 * The scaling configuration for a target size, valid for EKS whatever the group had (UpdateNodegroupConfig:
 * minSize <= desiredSize <= maxSize, maxSize >= 1): desired as asked, min 0 (so that zero is allowed and
 * nothing scales it back up). A wake sets max to the target, so a nodeCount lowered since the last wake
 * lowers the maximum too; a sleep keeps the maximum (EKS refuses 0).
 */
export function scalingFor(current: NodeGroupSize, desired: number) {
    return { desiredSize: desired, minSize: 0, maxSize: desired > 0 ? desired : Math.max(current.max, 1) };
}

/** Why EKS would refuse a scaling configuration (UpdateNodegroupConfig, NodegroupScalingConfig), or undefined. */
export function eksScalingProblem(c: { desiredSize: number; minSize: number; maxSize: number }): string | undefined {
    if (c.maxSize < 1) return `maxSize ${c.maxSize}: must be at least 1`;
    if (c.minSize < 0) return `minSize ${c.minSize}: must be at least 0`;
    if (c.desiredSize < c.minSize || c.desiredSize > c.maxSize) return `desiredSize ${c.desiredSize} must lie between minSize ${c.minSize} and maxSize ${c.maxSize}`;
    return undefined;
}

export interface ScaleResult {
    readonly changed: boolean;
    /** UpdateNodegroupConfig calls refused with ResourceInUseException before one succeeded. */
    readonly retries: number;
    readonly before: NodeGroupSize;
}

/**
 * Scales the node group to `desired` nodes. Nothing is sent when it already has that configuration
 * (a repeated event is a no-op). An update already in progress (ResourceInUseException) is waited out
 * with growing pauses and retried, up to maxWaitMs.
 */
export async function scaleNodes(client: EKSClient, ref: NodeGroupRef, desired: number, options: RetryOptions = {}): Promise<ScaleResult> {
    const { UpdateNodegroupConfigCommand } = require("@aws-sdk/client-eks") as typeof import("@aws-sdk/client-eks");
    const pacer = backoff(options, { retryDelayMs: 5_000, maxDelayMs: 60_000, maxWaitMs: 600_000 });
    let retries = 0;
    const before = await describeNodes(client, ref);
    for (;;) {
        const current = retries === 0 ? before : await describeNodes(client, ref);
        const target = scalingFor(current, desired);
        if (current.desired === target.desiredSize && current.min === target.minSize && current.max === target.maxSize) {
            return { changed: retries > 0, retries, before };
        }
        try {
            await client.send(new UpdateNodegroupConfigCommand({ clusterName: ref.clusterName, nodegroupName: ref.nodeGroupName, scalingConfig: target }));
            return { changed: true, retries, before };
        } catch (err) {
            if ((err as { name?: string }).name !== "ResourceInUseException" || !(await pacer.pause())) throw err;
            retries += 1;
        }
    }
}
