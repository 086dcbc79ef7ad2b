// The program: read and validate config, then compose the platform's components.
// Exported as a function so that the offline harness can evaluate it once per stack.

import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { loadConfig } from "./config/read";
import { physicalNames, standardTags } from "./core/naming";
import { Network } from "./network/component";
import { PlatformKey } from "./encryption/component";
import { Metastore } from "./metastore/component";
import { LogStore } from "./log-store/component";
import { Registry } from "./registry/component";
import { AirflowCluster } from "./cluster/component";
import { NightlyScheduler } from "./scheduler/component";
import { maintenanceWindowFor, powerSettings } from "./scheduler/power";
import { CostBudget } from "./cost/component";
import { budgetAmount, nightCostRates, readEstimates } from "./cost/budget";
import { EKS_ADDON_VERSIONS } from "./cluster/chart-versions";
import { addonConfigurationValues } from "./cluster/coredns";
import { imageBranchSetting } from "./registry/image-tags";
import { checkDeployerIsAdmin } from "./scheduler/account";
import type { TeardownTarget } from "./teardown/steps";

// Pulumi calls this with no argument: the day is now. The offline harness passes the day it evaluates on.
export = async (options: { today?: Date; warn?: (message: string) => void } = {}) => {
    const today = options.today ?? new Date();
    const cfg = loadConfig(today, options.warn);
    const names = physicalNames(cfg);

    // One explicit provider: the region and the tags every resource carries come from the stack's config.
    const provider = new aws.Provider("aws", { region: cfg.region, defaultTags: { tags: standardTags(cfg) } });
    const providers = { providers: [provider] };
    // One call to STS: the account for the components, and, before anything is created, the identity
    // running pulumi up, which must be one of the cluster's admins or the deploy stops half way, locked
    // out of the cluster it has just made (scheduler/account.ts).
    const account = await aws.getCallerIdentity({}, { provider });
    const admin = checkDeployerIsAdmin(account.arn, cfg.cluster.clusterAdminArns, cfg.stack);
    if (!admin.ok) throw new Error(admin.problem);

    const network = new Network(`${names.prefix}-network`, {
        region: cfg.region,
        ...cfg.network,
        clusterName: names.clusterName,
        // The load balancer controller puts internet-facing load balancers in the public subnets tagged
        // for it: tagging only these zones' is what keeps the UI's ALB (and its addresses) to them.
        loadBalancerZones: cfg.airflow.uiLoadBalancerZones,
    }, providers);

    // sharedKmsKey: one key for every part; otherwise each part creates its own.
    const kmsKey = cfg.sharedKmsKey
        ? new PlatformKey(`${names.prefix}-kms`, { accountId: account.accountId, region: cfg.region, prefix: names.prefix, keepOnDestroy: cfg.metastore.protectFromDeletion }, providers)
        : undefined;

    // One set of power settings for the scheduler and the metastore's maintenance window (inside the
    // hours the scheduler keeps the database up; the config check refused settings where none fits).
    const power = powerSettings(names.prefix, cfg.power);
    const maintenance = maintenanceWindowFor(power);
    if ("problem" in maintenance) throw new Error(maintenance.problem);
    // Nothing can reach the database or the search domain yet: the AirflowCluster and the
    // NightlyScheduler grant themselves access (metastore.allowFrom, logStore.allowHttpsFrom).
    const metastore = new Metastore(`${names.prefix}-metastore`, {
        region: cfg.region,
        maintenanceWindow: maintenance.window,
        backupWindow: power.backupWindow,
        accountId: account.accountId,
        vpcId: network.vpcId,
        privateSubnetIds: network.privateSubnetIds,
        identifier: names.dbIdentifier,
        kmsKey,
        ...cfg.metastore,
        logRetentionDays: cfg.logRetentionDays,
    }, providers);

    // The search domain admits the log shipper's role, which the cluster creates after the domain
    // (the shipper needs the domain's endpoint): the list is filled in once the cluster exists.
    const [logWriterRoleArns, resolveLogWriters] = pulumi.deferredOutput<string[]>();
    const logStore = new LogStore(`${names.prefix}-logstore`, {
        taskLogRetentionDays: cfg.logStore.taskLogRetentionDays,
        keepTaskLogsOnDestroy: cfg.logStore.keepTaskLogsOnDestroy,
        kmsKey,
        search: cfg.logStore.logSearch ? {
            vpcId: network.vpcId,
            subnetIds: cfg.logStore.openSearchZones.map((zone) => network.privateSubnetIdByZone[zone]),
            domainName: names.openSearchDomain,
            instanceType: cfg.logStore.openSearchInstanceType,
            instanceCount: cfg.logStore.openSearchInstanceCount,
            zoneAwareness: cfg.logStore.openSearchZoneAwareness,
            volumeGb: cfg.logStore.openSearchVolumeGb,
            createServiceLinkedRole: cfg.logStore.createOpenSearchServiceLinkedRole,
            logWriterRoleArns,
            logReaderArns: cfg.logStore.logReaderArns,
        } : undefined,
    }, providers);

    const registry = new Registry(`${names.prefix}-registry`, {
        repositoryName: names.ecrRepository,
        accountId: account.accountId,
        ...cfg.registry,
    }, providers);

    const cluster = new AirflowCluster(`${names.prefix}-cluster`, {
        region: cfg.region,
        accountId: account.accountId,
        clusterName: names.clusterName,
        tags: standardTags(cfg),
        vpcId: network.vpcId,
        vpcCidr: network.vpcCidr,
        network,
        kmsKey,
        privateSubnetIds: network.privateSubnetIds,
        ...cfg.cluster,
        logRetentionDays: cfg.logRetentionDays,
        protectFromDeletion: cfg.metastore.protectFromDeletion,
        addons: {
            vpcCni: EKS_ADDON_VERSIONS["vpc-cni"],
            vpcCniConfiguration: addonConfigurationValues()["vpc-cni"],
            kubeProxy: EKS_ADDON_VERSIONS["kube-proxy"],
            coreDns: EKS_ADDON_VERSIONS.coredns,
            coreDnsConfiguration: addonConfigurationValues().coredns,
        },
        environment: cfg.environment,
        airflow: cfg.airflow,
        // Connections and variables in Parameter Store under /<prefix>/airflow (docs/operations.md).
        secretsPrefix: `/${names.prefix}/airflow`,
        alertEmail: cfg.operatorEmail,
        // Tags carry the branch with / and . as - (registry/image-tags.ts): the policy must match that form.
        imageBranch: imageBranchSetting(cfg.registry.ciBranch),
        logSearch: logStore.search ? { endpoint: logStore.search.endpoint, domainArn: logStore.search.arn } : undefined,
        taskLogs: { bucketName: logStore.bucketName, bucketArn: logStore.bucketArn, keyArn: logStore.keyArn },
        airflowImageRepository: registry.repositoryUrl,
        metastore: {
            address: metastore.address,
            port: metastore.port,
            database: metastore.databaseName,
            masterUsername: metastore.username,
            masterPassword: metastore.password,
        },
    }, providers);
    resolveLogWriters(cluster.logShipperRoleArn ? cluster.logShipperRoleArn.apply((arn) => [arn]) : pulumi.output([]));

    // The cluster's nodes (the cluster security group) reach the metastore and the search domain;
    // the node role pulls the Airflow image. Nothing else is opened.
    const nodes = { securityGroupId: cluster.nodeSecurityGroupId, description: "Pods on the Airflow cluster's nodes" };
    metastore.allowFrom("cluster-nodes", nodes);
    if (logStore.search) logStore.allowHttpsFrom("cluster-nodes", nodes);
    registry.allowPull("cluster-nodes", cluster.nodeRoleName);
    registry.allowTagListing("image-reflector", cluster.imageReflectorRoleName);

    const scheduler = new NightlyScheduler(`${names.prefix}-scheduler`, {
        region: cfg.region,
        accountId: account.accountId,
        stack: cfg.stack,
        kmsKey,
        clusterName: cluster.clusterName,
        clusterArn: cluster.clusterArn,
        nodeGroupName: cluster.nodeGroupName,
        nodeGroupArn: cluster.nodeGroupArn,
        nodeCount: cluster.nodeCount,
        dbInstanceIdentifier: metastore.instanceIdentifier,
        dbInstanceArn: metastore.instanceArn,
        dbSecurityGroupId: metastore.securityGroupId,
        // The monitoring login, not the master: it can read Airflow's tables (metastore/bootstrap.ts).
        database: { host: metastore.address, port: metastore.port, database: metastore.databaseName, username: cluster.monitorLogin.username, password: cluster.monitorLogin.password },
        vpcId: network.vpcId,
        privateSubnetIds: network.privateSubnetIds,
        settings: power,
        alarmEmail: cfg.operatorEmail,
        // The morning report: kept beside the task logs, mailed through the alarm topic.
        report: {
            bucketName: logStore.bucketName,
            bucketArn: logStore.bucketArn,
            keyArn: logStore.keyArn,
            searchEndpoint: logStore.search?.endpoint,
            cost: nightCostRates(readEstimates()[cfg.stack]),
        },
        logRetentionDays: cfg.logRetentionDays,
        reservedConcurrency: cfg.powerReservedConcurrency,
        deployedAt: today,
    }, providers);
    metastore.allowFrom("scheduler", { securityGroupId: scheduler.watcherSecurityGroupId, description: "NightlyScheduler watcher reads Airflow's run states" });
    cluster.allowApiFrom("scheduler", { securityGroupId: scheduler.watcherSecurityGroupId, description: "NightlyScheduler watcher reads Flux's status" });

    const budget = budgetAmount(cfg.cost.monthlyBudgetUsd, readEstimates()[cfg.stack]);
    new CostBudget(`${names.prefix}-budget`, {
        stack: cfg.stack,
        budgetName: `${names.prefix}-monthly`,
        limitUsd: budget.value,
        email: cfg.operatorEmail,
    }, providers);

    return {
        vpcId: network.vpcId,
        vpcCidr: network.vpcCidr,
        publicSubnetIds: network.publicSubnetIds,
        privateSubnetIds: network.privateSubnetIds,
        metastoreAddress: metastore.address,
        metastorePort: metastore.port,
        metastoreDatabase: metastore.databaseName,
        metastoreInstanceIdentifier: metastore.instanceIdentifier,
        metastoreInstanceArn: metastore.instanceArn,
        metastoreConnectionUri: metastore.connectionUri,
        taskLogBucket: logStore.bucketName,
        taskLogBucketArn: logStore.bucketArn,
        ...(logStore.search ? { logSearchEndpoint: logStore.search.endpoint, logSearchDomainArn: logStore.search.arn } : {}),
        registryUrl: registry.repositoryUrl,
        registryArn: registry.repositoryArn,
        ciPushRoleArn: registry.ciRoleArn,
        clusterName: cluster.clusterName,
        clusterArn: cluster.clusterArn,
        nodeGroupName: cluster.nodeGroupName,
        nodeGroupArn: cluster.nodeGroupArn,
        nodeCount: cluster.nodeCount,
        kubeconfig: cluster.kubeconfig,
        // Add these to the GitOps repository as deploy keys: the first read-only, the second with write.
        gitopsDeployKey: cluster.gitopsDeployKey,
        gitopsWriteDeployKey: cluster.gitopsWriteDeployKey,
        // `pulumi stack output airflowAdminPassword --show-secrets`; the user is "admin".
        airflowAdminPassword: cluster.adminPassword,
        // What `npm run power` reads (names and settings, no secret).
        powerContext: scheduler.operatorContext,
        // What `npm run teardown` reads (names and the data choice, no secret; teardown/steps.ts).
        teardownContext: pulumi.all([network.vpcId, metastore.instanceIdentifier, logStore.bucketName, cluster.clusterName, cluster.rootKustomizationUrn, scheduler.operatorContext])
            .apply(([vpcId, dbInstanceIdentifier, taskLogBucket, clusterName, rootKustomizationUrn, power]) => JSON.stringify({
                stack: cfg.stack, region: cfg.region, clusterName, vpcId, dbInstanceIdentifier, taskLogBucket,
                keepDataOnDestroy: cfg.metastore.protectFromDeletion, rootKustomizationUrn, power: JSON.parse(power),
            } satisfies TeardownTarget & { power: unknown })),
        powerAlarmTopicArn: scheduler.alarmTopicArn,
        // The wake function, for a wake with the AWS CLI alone (docs/operations.md, "Waking without the Pulumi CLI").
        powerWakeFunctionName: scheduler.wakeFunctionName,
        // The IAM policy for whoever runs `npm run power` (docs/operations.md, "Who may run the override").
        powerOperatorPolicyArn: scheduler.operatorPolicyArn,
        // The task pods' role (the stack's grants for the DAGs' work are on it), the DAG-alert topic,
        // and where connections and variables go in Parameter Store.
        airflowTaskRoleArn: cluster.taskRoleArn,
        dagAlertTopicArn: cluster.dagAlertTopicArn,
        airflowSecretsPrefix: `/${names.prefix}/airflow`,
    };
};
