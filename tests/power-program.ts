// A small program that builds the NightlyScheduler alone, with the stack's config and fake inputs
// standing in for the AirflowCluster and the Metastore; shared by the component and Lambda tests.

import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { loadConfig } from "../config/read";
import { physicalNames, standardTags } from "../core/naming";
import { powerSettings, type PowerSettings } from "../scheduler/power";
import { NightlyScheduler } from "../scheduler/component";
import { ACCOUNT_ID } from "../offline/mocks";
import { HARNESS_DAY } from "../offline/evaluate";

export const FAKE = {
    clusterName: "fake-eks",
    clusterArn: `arn:aws:eks:us-east-1:${ACCOUNT_ID}:cluster/fake-eks`,
    nodeGroupName: "fake-nodes",
    nodeGroupArn: `arn:aws:eks:us-east-1:${ACCOUNT_ID}:nodegroup/fake-eks/fake-nodes/0123abcd`,
    dbInstanceIdentifier: "fake-metastore",
    dbInstanceArn: `arn:aws:rds:us-east-1:${ACCOUNT_ID}:db:fake-metastore`,
    dbSecurityGroupId: "sg-0metastore0000000",
    dbHost: "fake-metastore.cabcdefghijk.us-east-1.rds.amazonaws.com",
    password: "SecretMetastorePassword1234567890",
    vpcId: "vpc-0fake00000000000",
    privateSubnetIds: ["subnet-0aaa", "subnet-0bbb", "subnet-0ccc"],
    alarmEmail: "oncall@example.com",
    taskLogBucket: "fake-task-logs",
    taskLogKeyArn: `arn:aws:kms:us-east-1:${ACCOUNT_ID}:key/00000000-1111-2222-3333-444444444444`,
    searchEndpoint: "vpc-fake-logs-abc.us-east-1.es.amazonaws.com",
} as const;

export interface ProgramOptions {
    /** Settings to use in place of the defaults (the Lambda test places the wake around the real clock). */
    readonly settings?: (prefix: string) => PowerSettings;
    readonly names?: Partial<Record<"clusterName" | "nodeGroupName" | "nodeGroupArn" | "dbInstanceIdentifier" | "dbInstanceArn", string>>;
    readonly alarmEmail?: string | null;
}

export function schedulerProgram(options: ProgramOptions = {}) {
    return async (program: { today?: Date } = {}) => {
        const today = program.today ?? HARNESS_DAY;
        const cfg = loadConfig(today);
        const names = physicalNames(cfg);
        const provider = new aws.Provider("aws", { region: cfg.region, defaultTags: { tags: standardTags(cfg) } });
        const pick = (k: keyof NonNullable<ProgramOptions["names"]>): string => options.names?.[k] ?? FAKE[k];
        const n = { clusterName: pick("clusterName"), nodeGroupName: pick("nodeGroupName"), nodeGroupArn: pick("nodeGroupArn"), dbInstanceIdentifier: pick("dbInstanceIdentifier"), dbInstanceArn: pick("dbInstanceArn") };
        const scheduler = new NightlyScheduler(`${names.prefix}-scheduler`, {
            region: cfg.region,
            accountId: ACCOUNT_ID,
            stack: cfg.stack,
            clusterName: n.clusterName,
            clusterArn: options.names?.clusterName ? `arn:aws:eks:us-east-1:${ACCOUNT_ID}:cluster/${options.names.clusterName}` : FAKE.clusterArn,
            nodeGroupName: n.nodeGroupName,
            nodeGroupArn: n.nodeGroupArn,
            nodeCount: cfg.cluster.nodeCount,
            dbInstanceIdentifier: n.dbInstanceIdentifier,
            dbInstanceArn: n.dbInstanceArn,
            dbSecurityGroupId: FAKE.dbSecurityGroupId,
            database: { host: FAKE.dbHost, port: 5432, database: "airflow", username: "airflow_monitor", password: pulumi.secret(FAKE.password) },
            vpcId: FAKE.vpcId,
            privateSubnetIds: [...FAKE.privateSubnetIds],
            settings: options.settings?.(names.prefix) ?? powerSettings(names.prefix),
            alarmEmail: options.alarmEmail === null ? undefined : options.alarmEmail ?? FAKE.alarmEmail,
            logRetentionDays: cfg.logRetentionDays,
            deployedAt: today,
            report: {
                bucketName: FAKE.taskLogBucket, bucketArn: `arn:aws:s3:::${FAKE.taskLogBucket}`, keyArn: FAKE.taskLogKeyArn,
                searchEndpoint: FAKE.searchEndpoint, cost: { perAwakeHour: 0.1, fixedPerDay: 3 },
            },
        }, { providers: [provider] });
        return { powerContext: scheduler.operatorContext, watcherSecurityGroupId: scheduler.watcherSecurityGroupId };
    };
}

/**
 * A CallbackFunction's deployment package as the mocks recorded it: the `code` input is a
 * pulumi.asset.AssetArchive whose `assets` (a promise) map "__index.js" to a StringAsset (the
 * serialized closure, `text`) and "node_modules/<pkg>" to FileArchives (`path`) of the bundled packages.
 */
export async function deploymentPackage(code: unknown): Promise<{ index: string; modules: Record<string, string> }> {
    if (!(code instanceof pulumi.asset.AssetArchive)) throw new Error(`code is not an AssetArchive: ${String(code)}`);
    const assets = await (code.assets as unknown as Promise<Record<string, pulumi.asset.Asset | pulumi.asset.Archive>>);
    const index = assets["__index.js"];
    if (!(index instanceof pulumi.asset.StringAsset)) throw new Error("the archive has no __index.js string asset");
    const modules: Record<string, string> = {};
    for (const [path, value] of Object.entries(assets)) {
        if (path === "__index.js") continue;
        if (value instanceof pulumi.asset.FileArchive) modules[path] = await value.path;
        else if (value instanceof pulumi.asset.FileAsset) modules[path] = await value.path;
        else throw new Error(`unexpected asset ${path} in the deployment package`);
    }
    return { index: await index.text!, modules };
}
