// One power invocation at a time, without reserved concurrency: a lease in a DynamoDB item, taken with
// a conditional write. Lambda refuses a reservation that would leave an account fewer than 100
// unreserved executions ("Lambda function scaling": UnreservedConcurrentExecutions minimum), and new
// accounts often have a limit of 10 or 50, so reservedConcurrentExecutions cannot be what keeps two
// watchers, or a wake and a watcher, from acting at once. DynamoDB's condition expressions are
// evaluated atomically on the item, so exactly one of two concurrent takers wins. The lease expires by
// itself (after the holder's function timeout), so a crashed holder blocks nothing for long.

import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { backoff, type RetryOptions } from "../core/retry";

/** The item every power invocation contends for. */
export const LEASE_KEY = "power";

export type LeaseResult =
    | { readonly acquired: true }
    | { readonly acquired: false; readonly heldBy: string; readonly until: string };

/** Takes the lease for `ttlMs` if nobody holds it or its holder's time ran out. */
export async function acquireLease(client: DynamoDBClient, table: string, holder: string, now: Date, ttlMs: number): Promise<LeaseResult> {
    const { UpdateItemCommand, GetItemCommand } = require("@aws-sdk/client-dynamodb") as typeof import("@aws-sdk/client-dynamodb");
    try {
        await client.send(new UpdateItemCommand({
            TableName: table,
            Key: { id: { S: LEASE_KEY } },
            UpdateExpression: "SET holder = :h, expiresAt = :e",
            ConditionExpression: "attribute_not_exists(holder) OR expiresAt < :now",
            ExpressionAttributeValues: { ":h": { S: holder }, ":e": { N: String(now.getTime() + ttlMs) }, ":now": { N: String(now.getTime()) } },
        }));
        return { acquired: true };
    } catch (err) {
        if ((err as { name?: string }).name !== "ConditionalCheckFailedException") throw err;
        const item = (await client.send(new GetItemCommand({ TableName: table, Key: { id: { S: LEASE_KEY } }, ConsistentRead: true }))).Item;
        return { acquired: false, heldBy: item?.holder?.S ?? "unknown", until: new Date(Number(item?.expiresAt?.N ?? 0)).toISOString() };
    }
}

/** Gives the lease back, if this holder still has it (a lease that expired and was taken is not touched). */
export async function releaseLease(client: DynamoDBClient, table: string, holder: string): Promise<void> {
    const { UpdateItemCommand } = require("@aws-sdk/client-dynamodb") as typeof import("@aws-sdk/client-dynamodb");
    try {
        await client.send(new UpdateItemCommand({
            TableName: table,
            Key: { id: { S: LEASE_KEY } },
            UpdateExpression: "REMOVE holder, expiresAt",
            ConditionExpression: "holder = :h",
            ExpressionAttributeValues: { ":h": { S: holder } },
        }));
    } catch (err) {
        if ((err as { name?: string }).name !== "ConditionalCheckFailedException") throw err;
    }
}

export interface LeaseOptions {
    readonly table: string;
    readonly holder: string;
    readonly ttlMs: number;
    /** Wait for a held lease (growing pauses up to maxWaitMs); without it, give up at once. */
    readonly wait?: RetryOptions;
    /** The clock (tests replay nights with their own). */
    readonly now?: () => Date;
}

/**
 * Runs `work` holding the lease, and releases it after (also when `work` throws). When the lease is
 * held by another invocation, returns `busy` with who holds it (after waiting, if asked to); a waiting
 * caller that never gets it throws, so that the invocation fails and is retried.
 */
export async function withLease<T>(client: DynamoDBClient, options: LeaseOptions, work: () => Promise<T>): Promise<{ readonly ran: true; readonly value: T } | { readonly ran: false; readonly heldBy: string; readonly until: string }> {
    const now = options.now ?? (() => new Date());
    const wait = options.wait;
    const pacer = backoff(wait ?? {}, { retryDelayMs: 1_000, maxDelayMs: 10_000, maxWaitMs: 60_000 });
    for (;;) {
        const lease = await acquireLease(client, options.table, options.holder, now(), options.ttlMs);
        if (lease.acquired) break;
        if (wait === undefined) return { ran: false, heldBy: lease.heldBy, until: lease.until };
        if (!(await pacer.pause())) throw new Error(`the power lease is held by ${lease.heldBy} until ${lease.until}; waited ${Math.round(pacer.waitedMs() / 1000)} s`);
    }
    try {
        return { ran: true, value: await work() };
    } finally {
        await releaseLease(client, options.table, options.holder);
    }
}
