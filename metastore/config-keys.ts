// The Metastore's configuration keys and the settings the component takes.

import { intRange, oneOf, type ConfigKey } from "../core/config-spec";
import { RDS_INSTANCE_CLASSES } from "../core/instance-types";

export interface MetastoreSettings {
    readonly instanceClass: string;
    readonly multiAz: boolean;
    readonly allocatedStorageGb: number;
    readonly maxAllocatedStorageGb: number;
    readonly backupRetentionDays: number;
    /** keepDataOnDestroy: deletion protection on (the database and the cluster) and a final snapshot on delete. */
    readonly protectFromDeletion: boolean;
}

export const METASTORE_KEYS: readonly ConfigKey[] = [
    {
        name: "dbInstanceClass",
        type: "string",
        group: "Metastore",
        description: "RDS instance class of Airflow's metadata database.",
        default: "db.t3.micro",
        allowed: RDS_INSTANCE_CLASSES.join(" | "),
        check: oneOf(RDS_INSTANCE_CLASSES),
    },
    {
        name: "dbMultiAz",
        type: "boolean",
        group: "Metastore",
        description: "Keep a synchronous standby in a second zone (doubles the instance price).",
        default: false,
        allowed: "true or false; must be true in prod and needs at least 2 zones",
    },
    {
        name: "dbAllocatedStorageGb",
        type: "integer",
        group: "Metastore",
        description: "Initial gp3 storage of the database.",
        default: 20,
        allowed: "an integer from 20 (gp3's minimum for PostgreSQL) to 65536",
        check: intRange(20, 65536),
    },
    {
        name: "dbMaxAllocatedStorageGb",
        type: "integer",
        group: "Metastore",
        description: "Upper bound for RDS storage autoscaling.",
        default: 100,
        allowed: "an integer from dbAllocatedStorageGb to 65536",
        check: intRange(20, 65536),
    },
    {
        name: "dbBackupRetentionDays",
        type: "integer",
        group: "Metastore",
        description: "Days of automated backups (point-in-time recovery window).",
        default: 7,
        allowed: "an integer from 1 to 35; at least 7 in prod",
        check: intRange(1, 35),
    },
    {
        name: "keepDataOnDestroy",
        type: "boolean",
        group: "Metastore",
        description: "What pulumi destroy keeps. true: the metastore (deletion protection on it and on the cluster, then a final snapshot) and the task-log bucket with its logs (left in the account, out of Pulumi's state). false: both are removed with everything in them. Unset: true in prod, false in staging. Container images are always removed (CI rebuilds them).",
        optional: true,
        allowed: "true or false (unset: true in prod, false in staging)",
    },
];
