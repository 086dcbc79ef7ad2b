// The metastore's point-in-time restore into a copy (`npm run restore`; the rules are metastore/restore.ts):
// read the restorable window, restore into `<identifier>-restore-<time>` beside the live instance,
// wait until it is available, report it, and delete it unless it is kept for a real restore.

import type { RDSClient } from "@aws-sdk/client-rds";
import { COPY_SETTINGS, copyIdentifier, restoreTimeProblem, type RestoreTime, type RestoreWindow } from "./restore";
import { automatedBackupTimes } from "./aws-rds";
import { waitUntil, type RetryOptions } from "../core/retry";

export async function restoreWindow(rds: RDSClient, identifier: string): Promise<RestoreWindow & { subnetGroup?: string; securityGroups: string[]; instanceClass?: string }> {
    const { DescribeDBInstancesCommand } = require("@aws-sdk/client-rds") as typeof import("@aws-sdk/client-rds");
    const db = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier }))).DBInstances?.[0];
    if (!db) throw new Error(`DB instance ${identifier} not found`);
    const earliest = (await automatedBackupTimes(rds, identifier))[0];
    return {
        earliest,
        latest: db.LatestRestorableTime ? new Date(db.LatestRestorableTime) : undefined,
        subnetGroup: db.DBSubnetGroup?.DBSubnetGroupName,
        securityGroups: (db.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId!).filter(Boolean),
        instanceClass: db.DBInstanceClass,
    };
}

export interface RestoreOptions {
    readonly source: string;
    readonly time: RestoreTime;
    /** Keep the copy (a real restore copies the data back from it); otherwise it is deleted once available (a drill). */
    readonly keep: boolean;
    readonly now: Date;
    readonly wait?: RetryOptions;
    readonly log: (line: string) => void;
}

export interface RestoreResult {
    readonly copy: string;
    readonly endpoint?: string;
    readonly restoredTo: string;
    readonly kept: boolean;
    readonly minutesToAvailable: number;
}

export async function restoreCopy(rds: RDSClient, o: RestoreOptions): Promise<RestoreResult> {
    const rdsApi = require("@aws-sdk/client-rds") as typeof import("@aws-sdk/client-rds");
    const window = await restoreWindow(rds, o.source);
    const problem = restoreTimeProblem(o.time, window);
    if (problem) throw new Error(`cannot restore ${o.source}: ${problem}`);
    const copy = copyIdentifier(o.source, o.time, o.now);
    const restoredTo = "latest" in o.time ? `the latest restorable time (${window.latest!.toISOString()})` : o.time.at.toISOString();
    o.log(`restoring ${o.source} at ${restoredTo} into ${copy}`);
    const started = Date.now();
    await rds.send(new rdsApi.RestoreDBInstanceToPointInTimeCommand({
        SourceDBInstanceIdentifier: o.source,
        TargetDBInstanceIdentifier: copy,
        ...("latest" in o.time ? { UseLatestRestorableTime: true } : { RestoreTime: o.time.at }),
        // Beside the live instance: the same subnets and security groups, so whatever reaches the live one reaches the copy.
        DBSubnetGroupName: window.subnetGroup,
        VpcSecurityGroupIds: window.securityGroups.length > 0 ? window.securityGroups : undefined,
        DBInstanceClass: window.instanceClass,
        MultiAZ: COPY_SETTINGS.multiAz,
        PubliclyAccessible: COPY_SETTINGS.publiclyAccessible,
        DeletionProtection: COPY_SETTINGS.deletionProtection,
        Tags: [{ Key: COPY_SETTINGS.tag.Key, Value: o.source }],
    }));
    const read = async () => (await rds.send(new rdsApi.DescribeDBInstancesCommand({ DBInstanceIdentifier: copy }))).DBInstances![0];
    let db!: import("@aws-sdk/client-rds").DBInstance;
    await waitUntil(`${copy} (left in place: delete it with aws rds delete-db-instance --db-instance-identifier ${copy} --skip-final-snapshot)`, async () => {
        db = await read();
        return db.DBInstanceStatus === "available" ? undefined : `${copy} ${db.DBInstanceStatus}`;
    }, o.wait ?? {}, { retryDelayMs: 30_000, maxDelayMs: 60_000, maxWaitMs: 7_200_000 }, o.log);
    const minutes = Math.round((Date.now() - started) / 60_000);
    const endpoint = db.Endpoint?.Address;
    o.log(`${copy} is available at ${endpoint ?? "(no endpoint reported)"}: the backups restore`);
    if (!o.keep) {
        // The restore asks for DeletionProtection false and RDS honours it; moto 5 copies the source's
        // instead. Checking costs one call and keeps the drill from leaving a protected copy behind.
        if (db.DeletionProtection) await rds.send(new rdsApi.ModifyDBInstanceCommand({ DBInstanceIdentifier: copy, DeletionProtection: false, ApplyImmediately: true }));
        await rds.send(new rdsApi.DeleteDBInstanceCommand({ DBInstanceIdentifier: copy, SkipFinalSnapshot: true, DeleteAutomatedBackups: true }));
        o.log(`${copy} deleted (a drill keeps nothing; --keep keeps the copy for a restore)`);
    }
    return { copy, endpoint, restoredTo, kept: o.keep, minutesToAvailable: minutes };
}
