// The NightlyScheduler's world in moto: an EKS cluster with its node group, the metastore's DB
// instance, the SSM parameters; SDK clients pointed at moto; settings placed around the real clock.

import { CreateClusterCommand, CreateNodegroupCommand, DescribeNodegroupCommand, EKSClient } from "@aws-sdk/client-eks";
import { CreateDBInstanceCommand, RDSClient } from "@aws-sdk/client-rds";
import { PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { powerSettings, zonedParts, type PowerSettings } from "../lib/power";
import type { Clients, PowerContext } from "../functions/handlers";

export const REGION = "us-east-1";
export const CREDENTIALS = { accessKeyId: "testing", secretAccessKey: "testing" };

export function motoClients(endpoint: string): Clients {
    const config = { endpoint, region: REGION, credentials: CREDENTIALS };
    return { eks: new EKSClient(config), rds: new RDSClient(config), ssm: new SSMClient(config) };
}

export interface World {
    readonly clusterName: string;
    readonly nodeGroupName: string;
    readonly dbInstanceIdentifier: string;
    readonly nodeGroupArn: string;
    readonly dbInstanceArn: string;
}

/** A platform at rest: node group at 0 (max 4), a Multi-AZ PostgreSQL instance (moto creates it available). */
export async function createWorld(c: Clients, id: string): Promise<World> {
    const clusterName = `dp-${id}-eks`;
    const nodeGroupName = `dp-${id}-nodes`;
    const dbInstanceIdentifier = `dp-${id}-metastore`;
    await c.eks.send(new CreateClusterCommand({
        name: clusterName,
        roleArn: "arn:aws:iam::123456789012:role/eks-cluster",
        resourcesVpcConfig: { subnetIds: ["subnet-a", "subnet-b", "subnet-c"] },
    }));
    await c.eks.send(new CreateNodegroupCommand({
        clusterName, nodegroupName: nodeGroupName, nodeRole: "arn:aws:iam::123456789012:role/eks-nodes",
        subnets: ["subnet-a", "subnet-b", "subnet-c"], instanceTypes: ["t3.medium"],
        scalingConfig: { minSize: 0, maxSize: 4, desiredSize: 0 },
    }));
    const ng = await c.eks.send(new DescribeNodegroupCommand({ clusterName, nodegroupName: nodeGroupName }));
    const db = await c.rds.send(new CreateDBInstanceCommand({
        DBInstanceIdentifier: dbInstanceIdentifier, Engine: "postgres", EngineVersion: "17", DBInstanceClass: "db.t3.micro",
        MultiAZ: true, AllocatedStorage: 20, MasterUsername: "airflow_admin", MasterUserPassword: "not-a-real-password-1",
        BackupRetentionPeriod: 7, PreferredBackupWindow: "08:15-08:45",
    }));
    return { clusterName, nodeGroupName, dbInstanceIdentifier, nodeGroupArn: ng.nodegroup!.nodegroupArn!, dbInstanceArn: db.DBInstance!.DBInstanceArn! };
}

const two = (n: number) => String(n).padStart(2, "0");
const hhmm = (d: Date) => `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}`;

/**
 * Settings that put the real clock `minutesAwake` after a wake (Los Angeles time), with the backup
 * window either already open at the metastore's early start ("taken": moto's automated backup, made
 * when the instance was created, counts) or opening after now ("pending").
 */
export function settingsAround(now: Date, stackPrefix: string, options: { minutesAwake: number; backup: "taken" | "pending" }): PowerSettings {
    const wake = new Date(Math.floor(now.getTime() / 60_000) * 60_000 - options.minutesAwake * 60_000);
    const local = zonedParts(wake, "America/Los_Angeles");
    const lead = 30;
    const windowStart = options.backup === "taken" ? new Date(wake.getTime() - lead * 60_000) : new Date(now.getTime() + 10 * 60_000);
    const windowEnd = new Date(windowStart.getTime() + 30 * 60_000);
    return powerSettings(stackPrefix, {
        wakeCron: `cron(${local.minute} ${local.hour} * * ? *)`,
        dbLeadMinutes: lead,
        backupWindow: `${hhmm(windowStart)}-${hhmm(windowEnd)}`,
    });
}

export function contextFor(world: World, settings: PowerSettings, extra: Partial<PowerContext> = {}): PowerContext {
    return {
        stack: "test",
        clusterName: world.clusterName,
        nodeGroupName: world.nodeGroupName,
        nodeCount: 4,
        dbInstanceIdentifier: world.dbInstanceIdentifier,
        settings,
        metricsNamespace: "DataPlatform/NightlyScheduler",
        retry: { retryDelayMs: 50, maxDelayMs: 200, maxWaitMs: 10_000 },
        ...extra,
    };
}

export async function putParameter(c: Clients, name: string, value: string, secure = false): Promise<void> {
    await c.ssm.send(new PutParameterCommand({ Name: name, Value: value, Type: secure ? "SecureString" : "String", Overwrite: true }));
}
