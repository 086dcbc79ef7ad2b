// The metastore adapter: describe, start, stop, and find the newest automated backup. Start and stop
// are idempotent: they act only from the state they change, so a repeated event does nothing.

import type { RDSClient } from "@aws-sdk/client-rds";
import { backoff, type RetryOptions } from "../core/retry";

export interface DbState {
    readonly status: string;
    readonly multiAz: boolean;
    /** The names of the instance's PendingModifiedValues: changes deferred to the maintenance window. */
    readonly pending: string[];
    readonly deletionProtection: boolean;
}

export async function describeDb(client: RDSClient, identifier: string): Promise<DbState> {
    const { DescribeDBInstancesCommand } = require("@aws-sdk/client-rds") as typeof import("@aws-sdk/client-rds");
    const out = await client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier }));
    const db = out.DBInstances?.[0];
    if (!db) throw new Error(`DB instance ${identifier} not found`);
    const pending = Object.entries(db.PendingModifiedValues ?? {}).filter(([, v]) => v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0)).map(([k]) => k).sort();
    return { status: db.DBInstanceStatus ?? "unknown", multiAz: db.MultiAZ ?? false, pending, deletionProtection: db.DeletionProtection ?? false };
}

/**
 * Applies the instance's pending modifications now: ModifyDBInstance with ApplyImmediately and no
 * other change, which "applies the modifications in this request and any pending modifications as
 * soon as possible" (RDS API reference, ModifyDBInstance). Only from available with something
 * pending; returns whether it was requested.
 */
export async function applyPendingChanges(client: RDSClient, identifier: string): Promise<boolean> {
    const { ModifyDBInstanceCommand } = require("@aws-sdk/client-rds") as typeof import("@aws-sdk/client-rds");
    const { status, pending } = await describeDb(client, identifier);
    if (status !== "available" || pending.length === 0) return false;
    await client.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: identifier, ApplyImmediately: true }));
    return true;
}

/**
 * Starts the instance if it is stopped; returns whether a start was requested. An instance still
 * `stopping` (the watcher's sleep of a moment ago, or a late wake) cannot be started yet: RDS refuses
 * StartDBInstance until the stop ends. With `waitForStop`, the stop is waited out (growing pauses, up
 * to maxWaitMs) and the start then requested; if it is still stopping by then this throws, so that the
 * wake fails (Scheduler retries it, the wake-errors alarm fires) instead of reporting a night that
 * never came. Without it, nothing is requested: the next watch starts it once stopped.
 */
export async function startDb(client: RDSClient, identifier: string, options: { waitForStop?: RetryOptions } = {}): Promise<boolean> {
    const { StartDBInstanceCommand } = require("@aws-sdk/client-rds") as typeof import("@aws-sdk/client-rds");
    let { status } = await describeDb(client, identifier);
    const wait = options.waitForStop;
    if (status === "stopping" && wait !== undefined) {
        const pacer = backoff(wait, { retryDelayMs: 5_000, maxDelayMs: 60_000, maxWaitMs: 600_000 });
        while (status === "stopping") {
            if (!(await pacer.pause())) throw new Error(`DB instance ${identifier} is still stopping after ${Math.round(pacer.waitedMs() / 1000)} s: it cannot be started yet`);
            ({ status } = await describeDb(client, identifier));
        }
    }
    if (status !== "stopped") return false;
    try {
        await client.send(new StartDBInstanceCommand({ DBInstanceIdentifier: identifier }));
        return true;
    } catch (err) {
        // Someone else started it between the describe and the start: the goal is reached.
        if ((err as { name?: string }).name === "InvalidDBInstanceStateFault" && (await describeDb(client, identifier)).status !== "stopped") return false;
        throw err;
    }
}

/**
 * Stops the instance if it is available with no modification pending (scheduler/power.ts: a pending change
 * is applied, not left behind a stop); returns whether a stop was requested.
 */
export async function stopDb(client: RDSClient, identifier: string): Promise<boolean> {
    const { StopDBInstanceCommand } = require("@aws-sdk/client-rds") as typeof import("@aws-sdk/client-rds");
    const { status, pending } = await describeDb(client, identifier);
    if (status !== "available" || pending.length > 0) return false;
    try {
        await client.send(new StopDBInstanceCommand({ DBInstanceIdentifier: identifier }));
        return true;
    } catch (err) {
        const now = (await describeDb(client, identifier)).status;
        if ((err as { name?: string }).name === "InvalidDBInstanceStateFault" && (now === "stopping" || now === "stopped")) return false;
        throw err;
    }
}

/**
 * Every snapshot of one type (automated or manual), of one instance or of the account, all pages.
 * An instance's snapshots outlive it (a final snapshot), and DescribeDBSnapshots still finds them.
 */
export async function listSnapshots(client: RDSClient, filter: { readonly type: "automated" | "manual"; readonly identifier?: string }): Promise<import("@aws-sdk/client-rds").DBSnapshot[]> {
    const { DescribeDBSnapshotsCommand } = require("@aws-sdk/client-rds") as typeof import("@aws-sdk/client-rds");
    const all: import("@aws-sdk/client-rds").DBSnapshot[] = [];
    let marker: string | undefined;
    do {
        const out: import("@aws-sdk/client-rds").DescribeDBSnapshotsCommandOutput = await client.send(new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: filter.identifier, SnapshotType: filter.type, Marker: marker }));
        all.push(...(out.DBSnapshots ?? []));
        marker = out.Marker;
    } while (marker);
    return all;
}

/** Creation times of the instance's completed ("available") automated backups, oldest first. */
export async function automatedBackupTimes(client: RDSClient, identifier: string): Promise<Date[]> {
    return (await listSnapshots(client, { type: "automated", identifier }))
        .filter((s) => s.Status === "available" && s.SnapshotCreateTime)
        .map((s) => new Date(s.SnapshotCreateTime!))
        .sort((a, b) => a.getTime() - b.getTime());
}

/** Creation time of the newest completed ("available") automated backup of the instance. */
export async function latestAutomatedBackup(client: RDSClient, identifier: string): Promise<Date | undefined> {
    return (await automatedBackupTimes(client, identifier)).at(-1);
}
