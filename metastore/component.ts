import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as random from "@pulumi/random";
import type { MetastoreSettings } from "./config-keys";
import { kmsKeyPolicyWithLogs } from "../core/policies";
import { allowPortFrom, rotatingKey, type ClientGrant, type KeyRef } from "../core/common";

/** PostgreSQL major version, pinned; RDS applies minor versions in the maintenance window. Airflow 3 supports 13 to 17. */
export const POSTGRES_MAJOR = "17";
export const DATABASE_NAME = "airflow";
export const MASTER_USERNAME = "airflow_admin";
export const PORT = 5432;
export const ENGINE_LIFECYCLE_SUPPORT = "open-source-rds-extended-support-disabled";

/** The metastore's settings from config (class, Multi-AZ, storage, backups, protection), plus its wiring. */
export interface MetastoreArgs extends MetastoreSettings {
    readonly region: string;
    readonly accountId: pulumi.Input<string>;
    readonly vpcId: pulumi.Input<string>;
    readonly privateSubnetIds: pulumi.Input<string>[];
    /** RDS instance identifier: fixed, so that the scheduler and the log group can name it. */
    readonly identifier: string;
    readonly logRetentionDays: number;
    /** RDS's weekly window, "ddd:hh:mm-ddd:hh:mm" UTC: inside the hours the NightlyScheduler keeps the instance up (scheduler/power.ts, maintenanceWindowFor). */
    readonly maintenanceWindow: string;
    /** RDS's daily backup window, "hh:mm-hh:mm" UTC: the NightlyScheduler keeps the instance up until its backup exists (scheduler/power.ts). */
    readonly backupWindow: string;
    /** The stack's one KMS key (sharedKmsKey); unset: the metastore creates its own, with an alias. */
    readonly kmsKey?: KeyRef;
}

/**
 * Airflow's metadata database: RDS PostgreSQL in the private subnets, encrypted with its own KMS key,
 * TLS enforced, reachable only from what is granted with allowFrom().
 */
export class Metastore extends pulumi.ComponentResource {
    public readonly address: pulumi.Output<string>;
    public readonly port: number = PORT;
    public readonly databaseName: string = DATABASE_NAME;
    public readonly username: string = MASTER_USERNAME;
    /** The master password: a secret Output, encrypted in state and in stack outputs. */
    public readonly password: pulumi.Output<string>;
    /** postgresql://… with TLS required: what Airflow's metadata connection secret holds. Secret. */
    public readonly connectionUri: pulumi.Output<string>;
    public readonly instanceIdentifier: pulumi.Output<string>;
    public readonly instanceArn: pulumi.Output<string>;
    public readonly securityGroupId: pulumi.Output<string>;
    private readonly name: string;

    constructor(name: string, args: MetastoreArgs, opts?: pulumi.ComponentResourceOptions) {
        super("data-platform:index:Metastore", name, {}, opts);
        this.name = name;
        const parent = { parent: this };

        // A protected metastore leaves a final snapshot, encrypted with this key: a destroy keeps the key
        // (with its alias), or the snapshot could never be restored once the key's deletion window ends.
        // With the stack's shared key (sharedKmsKey) that key is kept by the same rule (PlatformKey).
        const key = args.kmsKey ?? this.ownKey(name, args);

        const subnets = new aws.rds.SubnetGroup(`${name}-subnets`, {
            description: "Private subnets of the Airflow metastore",
            subnetIds: args.privateSubnetIds,
        }, parent);

        // No rules here: each client is granted port 5432 by allowFrom(). RDS needs no egress.
        const sg = new aws.ec2.SecurityGroup(`${name}-sg`, {
            vpcId: args.vpcId,
            description: "Airflow metastore: PostgreSQL from granted clients only",
            tags: { Name: `${name}-sg` },
        }, parent);

        const params = new aws.rds.ParameterGroup(`${name}-params`, {
            family: `postgres${POSTGRES_MAJOR}`,
            description: "Airflow metastore: TLS required for every connection",
            parameters: [{ name: "rds.force_ssl", value: "1" }],
        }, parent);

        // RDS writes exported logs to these groups; creating them first sets retention and encryption.
        const logGroups = ["postgresql", "upgrade"].map((log) =>
            new aws.cloudwatch.LogGroup(`${name}-log-${log}`, {
                name: `/aws/rds/instance/${args.identifier}/${log}`,
                retentionInDays: args.logRetentionDays,
                kmsKeyId: key.arn,
            }, parent));

        // Letters and digits only: safe in a connection URI without escaping, and 32 of them carry
        // about 190 bits. The value lives encrypted in Pulumi's state as a secret.
        const password = new random.RandomPassword(`${name}-password`, { length: 32, special: false }, parent);
        // A final snapshot's name must be new at every destroy: a fixed one makes the second destroy of a
        // re-created prod fail with DBSnapshotAlreadyExists. This suffix is drawn when the instance is
        // created and lives as long as it does.
        const snapshotSuffix = args.protectFromDeletion ? new random.RandomId(`${name}-final-snapshot-suffix`, { byteLength: 4 }, parent) : undefined;

        const db = new aws.rds.Instance(`${name}-db`, {
            identifier: args.identifier,
            engine: "postgres",
            engineVersion: POSTGRES_MAJOR,
            // The API's default enrols the instance in paid RDS Extended Support when the major version's
            // standard support ends (RDS User Guide, "Amazon RDS Extended Support"): refuse it, so the bill
            // cannot jump silently; upgrade the major version instead (README, "Upgrading PostgreSQL").
            engineLifecycleSupport: ENGINE_LIFECYCLE_SUPPORT,
            instanceClass: args.instanceClass,
            multiAz: args.multiAz,
            allocatedStorage: args.allocatedStorageGb,
            maxAllocatedStorage: args.maxAllocatedStorageGb,
            storageType: "gp3",
            storageEncrypted: true,
            kmsKeyId: key.arn,
            dbName: DATABASE_NAME,
            username: MASTER_USERNAME,
            password: password.result,
            port: PORT,
            dbSubnetGroupName: subnets.name,
            vpcSecurityGroupIds: [sg.id],
            parameterGroupName: params.name,
            publiclyAccessible: false,
            caCertIdentifier: "rds-ca-rsa2048-g1",
            iamDatabaseAuthenticationEnabled: true,
            backupRetentionPeriod: args.backupRetentionDays,
            // The platform sleeps most of the day and a stopped instance takes no automated backup:
            // the windows sit inside the nightly run (00:00 Los Angeles is 07:00 or 08:00 UTC).
            // The NightlyScheduler keeps the instance up until this window's backup exists (scheduler/power.ts).
            backupWindow: args.backupWindow,
            // RDS maintains only a running instance: the window lies where the night keeps it up, as the
            // nodes wake and before the backup window (RDS refuses windows that overlap).
            maintenanceWindow: args.maintenanceWindow,
            autoMinorVersionUpgrade: true,
            copyTagsToSnapshot: true,
            deletionProtection: args.protectFromDeletion,
            skipFinalSnapshot: !args.protectFromDeletion,
            finalSnapshotIdentifier: snapshotSuffix ? pulumi.interpolate`${args.identifier}-final-${snapshotSuffix.hex}` : undefined,
            enabledCloudwatchLogsExports: ["postgresql", "upgrade"],
            // A change waits for the maintenance window, or for the watcher, which applies pending
            // changes at the moment it would stop the idle instance and never stops it with any pending
            // (scheduler/power.ts). RDS refuses every change to a stopped instance: wake it first (README).
            applyImmediately: false,
        }, { parent: this, dependsOn: logGroups });

        this.password = pulumi.secret(password.result);
        this.address = db.address;
        this.instanceIdentifier = db.identifier;
        this.instanceArn = db.arn;
        this.securityGroupId = sg.id;
        this.connectionUri = pulumi.secret(
            pulumi.interpolate`postgresql://${MASTER_USERNAME}:${password.result}@${db.address}:${PORT}/${DATABASE_NAME}?sslmode=require`,
        );
        this.registerOutputs({
            address: this.address,
            port: this.port,
            databaseName: this.databaseName,
            instanceIdentifier: this.instanceIdentifier,
            instanceArn: this.instanceArn,
            securityGroupId: this.securityGroupId,
            connectionUri: this.connectionUri,
        });
    }

    /** Admits PostgreSQL (5432/tcp) from one security group: the cluster's nodes, the scheduler's functions. */
    allowFrom(client: string, grant: ClientGrant): aws.vpc.SecurityGroupIngressRule {
        return allowPortFrom(`${this.name}-from-${client}`, this.securityGroupId, PORT, grant, this);
    }

    private ownKey(name: string, args: MetastoreArgs): aws.kms.Key {
        const key = rotatingKey(`${name}-key`, `Encrypts the Airflow metastore ${args.identifier}, its snapshots and its logs`, this,
            pulumi.output(args.accountId).apply((account) => JSON.stringify(kmsKeyPolicyWithLogs(account, args.region))), { retainOnDelete: args.protectFromDeletion });
        new aws.kms.Alias(`${name}-key-alias`, { name: `alias/${args.identifier}`, targetKeyId: key.keyId }, { parent: this });
        return key;
    }
}
