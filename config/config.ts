// The platform's configuration: one table of every key, assembled from the keys each part declares
// beside its code (network/config-keys.ts, cluster/config-keys.ts, ...), and the one function that
// turns raw stack config into a typed, validated object, with the rules between keys. Pure: no Pulumi
// import, so it is tested directly and also drives the configuration reference and Pulumi.yaml.
//
// Every problem is collected before failing, so one run tells the user everything that is wrong.

import { formatCidr, parseCidr } from "../network/cidr";
import { airflowSizesFor, checkBudget } from "../cluster/capacity";
import { supportNotice } from "../cluster/eks-versions";
import { backupWindowProblem, maintenanceWindowFor, overlappingWindows, parseWakeWindow, powerSettings, type WakeWindow } from "../scheduler/power";
import { OPENSEARCH_INSTANCE_TYPES, familiesOf, lookupInstanceType } from "../core/instance-types";
import { PRICE_KEYS, readPriceFile, type PriceFile } from "../cost/cost";
import { IAM_PRINCIPAL_ARN_RE, qualifiedKey, type ConfigKey, type ConfigType, type ConfigValue, type ConfigWarning, type Environment } from "../core/config-spec";
import { placeholderWarnings } from "./placeholders";
import { GENERAL_KEYS } from "./general-keys";
import { NETWORK_KEYS, type NatStrategy, type NetworkSettings } from "../network/config-keys";
import { CLUSTER_KEYS, type AirflowSettings, type ClusterSettings, type ControlPlaneLogType, type LogGroupClass, type NodeCapacityType } from "../cluster/config-keys";
import { METASTORE_KEYS, type MetastoreSettings } from "../metastore/config-keys";
import { LOG_STORE_KEYS, type LogStoreSettings } from "../log-store/config-keys";
import { SCHEDULER_KEYS, type SchedulerSettings } from "../scheduler/config-keys";
import { COST_KEYS, type CostSettings } from "../cost/config-keys";
import { REGISTRY_KEYS, type RegistrySettings } from "../registry/config-keys";

export interface PlatformConfig {
    /** What the plan and `pulumi up` print before anything else; never a reason to refuse. */
    readonly warnings: readonly ConfigWarning[];
    readonly project: string;
    readonly stack: string;
    readonly environment: Environment;
    readonly region: string;
    readonly network: NetworkSettings;
    readonly cluster: ClusterSettings;
    readonly airflow: AirflowSettings;
    readonly metastore: MetastoreSettings;
    readonly logStore: LogStoreSettings;
    readonly registry: RegistrySettings;
    /** The NightlyScheduler's configurable settings (the rest are derived by powerSettings). */
    readonly power: SchedulerSettings;
    readonly cost: CostSettings;
    /** Reserve one concurrent execution per scheduler function (scheduler/component.ts). */
    readonly powerReservedConcurrency: boolean;
    /** Alarms and budget notifications go here (an SNS e-mail subscription, a budget subscriber). */
    readonly operatorEmail?: string;
    /** Retention of the CloudWatch log groups the platform creates. */
    readonly logRetentionDays: number;
    /** One customer-managed key for every part (encryption/component.ts), or one per part. */
    readonly sharedKmsKey: boolean;
}

export interface Problem {
    readonly key: string;
    readonly value: string | undefined;
    readonly allowed: string;
}

export class ConfigError extends Error {
    constructor(public readonly problems: readonly Problem[]) {
        super(formatProblems(problems));
        this.name = "ConfigError";
    }
}

export function formatProblems(problems: readonly Problem[]): string {
    const lines = problems.map((p) => `  - ${p.key}: ${p.value === undefined ? "(not set)" : JSON.stringify(p.value)} → ${p.allowed}`);
    return `invalid configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${lines.join("\n")}`;
}

/** Every key the program reads, assembled from each part's keys in the order the docs show them. The README table and Pulumi.yaml are checked against this list. */
export const CONFIG_KEYS: readonly ConfigKey[] = [
    ...GENERAL_KEYS,
    ...NETWORK_KEYS,
    ...CLUSTER_KEYS,
    ...METASTORE_KEYS,
    ...LOG_STORE_KEYS,
    ...SCHEDULER_KEYS,
    ...COST_KEYS,
    ...REGISTRY_KEYS,
];


/** Raw stack config as Pulumi hands it to programs: every value a string, arrays as JSON. */
export type RawConfig = Readonly<Record<string, string | undefined>>;

function parseTyped(type: ConfigType, raw: string): { value: ConfigValue } | { error: string } {
    switch (type) {
        case "string":
            return { value: raw };
        case "integer":
            return /^-?\d+$/.test(raw.trim()) ? { value: Number(raw.trim()) } : { error: "is not an integer" };
        case "boolean":
            return raw === "true" || raw === "false" ? { value: raw === "true" } : { error: "is not true or false" };
        case "array": {
            try {
                const parsed: unknown = JSON.parse(raw);
                if (Array.isArray(parsed) && parsed.every((x) => typeof x === "string")) return { value: parsed as string[] };
            } catch {
                // not JSON: reported below like any other non-list
            }
            return { error: "is not a list of strings" };
        }
    }
}

// The price file ships with the code and does not change during a run: read once, not at every parse.
let shipped: PriceFile["prices"] | undefined;
const shippedPrices = () => (shipped ??= readPriceFile().prices);

/**
 * Validates raw stack config. Returns the typed config, or throws one ConfigError that lists every
 * problem found, each with its key, the value given and what is allowed.
 */
export function parseConfig(raw: RawConfig, context: { project: string; stack: string; today: Date }): PlatformConfig {
    const problems: Problem[] = [];
    const warnings: ConfigWarning[] = [];
    const values = new Map<string, ConfigValue>();
    const problem = (name: string, allowed: string) => problems.push({ key: qualifiedKey(name), value: raw[qualifiedKey(name)], allowed });

    for (const spec of CONFIG_KEYS) {
        const text = raw[qualifiedKey(spec.name)];
        if (text === undefined || text === "") {
            if (spec.default !== undefined) values.set(spec.name, spec.default);
            else if (!spec.optional) problem(spec.name, `required: ${spec.allowed}`);
            continue;
        }
        const parsed = parseTyped(spec.type, text);
        if ("error" in parsed) {
            problem(spec.name, `${parsed.error}; allowed: ${spec.allowed}`);
            continue;
        }
        const reason = spec.check?.(parsed.value as never);
        if (reason !== undefined) {
            problem(spec.name, reason);
            continue;
        }
        values.set(spec.name, parsed.value);
    }

    // Readers for values that passed their own rule; undefined where they did not, so that rules
    // between keys only run on values that are individually valid.
    const str = (k: string) => values.get(k) as string | undefined;
    const int = (k: string) => values.get(k) as number | undefined;
    const bool = (k: string) => values.get(k) as boolean | undefined;
    const list = (k: string) => values.get(k) as string[] | undefined;

    const environment = str("environment") as Environment | undefined;
    const region = str("aws:region");
    const prod = environment === "prod";
    // What a destroy keeps: prod its data, staging nothing, unless the stack file says otherwise.
    const keepData = bool("keepDataOnDestroy") ?? prod;

    // Zones: belong to the region, distinct, 2 or 3, exactly 3 in prod (the design).
    const zones = list("availabilityZones");
    if (zones !== undefined) {
        const foreign = region === undefined ? [] : zones.filter((z) => !new RegExp(`^${region}[a-z]$`).test(z));
        const duplicated = zones.filter((z, i) => zones.indexOf(z) !== i);
        const wanted = prod ? "exactly 3 zones in prod (the design spreads over three)" : "2 or 3 zones (EKS and RDS need at least 2)";
        if (foreign.length > 0) problem("availabilityZones", `${foreign.join(", ")} ${foreign.length === 1 ? "is not a zone" : "are not zones"} of ${region}`);
        else if (duplicated.length > 0) problem("availabilityZones", `${[...new Set(duplicated)].join(", ")} listed twice; zones must be distinct`);
        else if (prod ? zones.length !== 3 : zones.length < 2 || zones.length > 3) problem("availabilityZones", `${zones.length} given; ${wanted}`);
    }

    // CIDR lists: network addresses only, written as AWS echoes them back (so no diff on every update).
    const cidrProblem = (cidrs: readonly string[]) => {
        const bad = cidrs.filter((c) => {
            const parsed = parseCidr(c);
            return typeof parsed === "string" || formatCidr(parsed) !== c;
        });
        return bad.length === 0 ? undefined : `${bad.join(", ")} ${bad.length === 1 ? "is not a CIDR block" : "are not CIDR blocks"} (network address and prefix, e.g. 203.0.113.0/24)`;
    };
    const kubernetesVersion = str("kubernetesVersion");
    // The day is the caller's (config.ts reads the clock once; tests set it): a date may warn, and
    // refuses only what would move the cluster into extended support's price (cluster/eks-versions.ts).
    const support = kubernetesVersion === undefined ? { level: "ok" as const } : supportNotice(kubernetesVersion, context.today);
    if (support.level === "error") problem("kubernetesVersion", support.message);
    if (support.level === "warn") warnings.push({ key: qualifiedKey("kubernetesVersion"), value: kubernetesVersion, message: support.message });

    const apiCidrs = list("apiAllowedCidrs");
    if (apiCidrs !== undefined) {
        const bad = cidrProblem(apiCidrs);
        if (bad !== undefined) problem("apiAllowedCidrs", bad);
        else if (prod && apiCidrs.some((c) => c.endsWith("/0"))) problem("apiAllowedCidrs", "0.0.0.0/0 opens the API endpoint to the internet: not in prod; name your networks, or leave the list empty");
    }
    const admins = list("clusterAdminArns");
    if (admins !== undefined) {
        const bad = admins.filter((a) => !IAM_PRINCIPAL_ARN_RE.test(a));
        if (admins.length === 0) problem("clusterAdminArns", "at least one admin is needed: the identity that runs `pulumi up` reaches the cluster through it");
        else if (bad.length > 0) problem("clusterAdminArns", `${bad.join(", ")} ${bad.length === 1 ? "is not an IAM role or user ARN" : "are not IAM role or user ARNs"} (arn:aws:iam::<account>:role/<name> or :user/<name>)`);
        else if (new Set(admins).size !== admins.length) problem("clusterAdminArns", "each ARN may appear once: one access entry per principal");
    }

    const uiCertificate = str("uiCertificateArn");
    const uiCidrs = list("uiAllowedCidrs");
    if (uiCidrs !== undefined && cidrProblem(uiCidrs) !== undefined) problem("uiAllowedCidrs", cidrProblem(uiCidrs)!);
    else if (uiCidrs !== undefined && uiCidrs.some((c) => c.endsWith("/0"))) {
        problem("uiAllowedCidrs", "a /0 block opens the load balancer (and its HTTP redirect port) to the whole internet: list the networks that use the UI");
    }
    else if (uiCertificate !== undefined && uiCidrs !== undefined && uiCidrs.length === 0) problem("uiAllowedCidrs", "the UI's load balancer needs at least one allowed CIDR (never open by omission)");
    if (prod && uiCertificate === undefined && raw[qualifiedKey("uiCertificateArn")] === undefined) {
        problem("uiCertificateArn", "required in prod: the design serves the UI over HTTPS behind a load balancer");
    }
    if (uiCertificate !== undefined && region !== undefined && uiCertificate.split(":")[3] !== region) {
        problem("uiCertificateArn", `the certificate must be in the load balancer's region, ${region}`);
    }

    // Everything the platform runs (system pods, controllers, Flux, Fluent Bit, Airflow and a nightly
    // run's task pods) must fit on the nodes, by pods per node and by memory and CPU requests.
    const nodeType = str("nodeInstanceType");
    const nodeCount = int("nodeCount");
    if (nodeType !== undefined && nodeCount !== undefined && environment !== undefined) {
        const budget = checkBudget(nodeType, nodeCount, { airflow: airflowSizesFor(environment) });
        if (!budget.fits) problem("nodeInstanceType", `${nodeCount} × ${nodeType} cannot hold the platform's pods: ${budget.reasons.join("; ")} (cluster/capacity.ts; README, "Pod and memory budget")`);
    }

    const watchInterval = int("powerWatchIntervalMinutes");
    const grace = int("powerGraceMinutes");
    if (watchInterval !== undefined && grace !== undefined && grace < watchInterval) {
        problem("powerGraceMinutes", `must be at least powerWatchIntervalMinutes (${watchInterval}): the first check comes one interval after the wake`);
    }
    const deadline = int("powerDeadlineHours");
    const wakeCron = str("powerWakeCron");
    const timeZone = str("powerTimeZone");
    const leadMinutes = int("powerDbLeadMinutes");
    const nodeLead = int("powerNodeLeadMinutes");
    if (deadline !== undefined && wakeCron !== undefined && timeZone !== undefined && leadMinutes !== undefined && nodeLead !== undefined) {
        // A stopped instance takes no automated backup: the day's backup window must fall before the forced sleep.
        const late = backupWindowProblem(powerSettings("check", { wakeCron, timeZone, deadlineHours: deadline, dbLeadMinutes: leadMinutes, nodeLeadMinutes: nodeLead }));
        if (late !== undefined) problem("powerDeadlineHours", late);
        // RDS maintains only a running instance: its weekly window must fall where the night keeps it up.
        const maintenance = maintenanceWindowFor(powerSettings("check", { wakeCron, timeZone, deadlineHours: deadline, dbLeadMinutes: leadMinutes, nodeLeadMinutes: nodeLead }));
        if ("problem" in maintenance) problem("powerWakeCron", `${wakeCron} in ${timeZone}: ${maintenance.problem}`);
    }
    const extraWindowsText = list("powerExtraWindows");
    const extraWindows = extraWindowsText?.map((t) => parseWakeWindow(t) as WakeWindow);
    if (extraWindows !== undefined && extraWindows.length > 0 && deadline !== undefined && wakeCron !== undefined && leadMinutes !== undefined && nodeLead !== undefined) {
        const overlap = overlappingWindows({ wakeCron, deadlineHours: deadline, dbLeadMinutes: leadMinutes, nodeLeadMinutes: nodeLead, extraWindows });
        if (overlap !== undefined) problem("powerExtraWindows", overlap);
    }
    const awake = int("expectedAwakeHours");
    const dayDeadlines = (deadline ?? 0) + (extraWindows ?? []).reduce((sum, w) => sum + w.deadlineHours, 0);
    if (awake !== undefined && deadline !== undefined && awake > dayDeadlines) {
        problem("expectedAwakeHours", (extraWindows ?? []).length === 0
            ? `cannot exceed powerDeadlineHours (${deadline}): the scheduler forces sleep by then`
            : `cannot exceed the windows' deadlines together (${dayDeadlines} h): the scheduler forces sleep by then`);
    }
    if (awake !== undefined && nodeLead !== undefined && grace !== undefined && watchInterval !== undefined) {
        // The least a night keeps the nodes up: the lead, the grace period, and two idle checks.
        const least = nodeLead + grace + 2 * watchInterval;
        if (awake * 60 < least) problem("expectedAwakeHours", `${awake} h is less than the least a night keeps the nodes up: ${least} minutes (powerNodeLeadMinutes ${nodeLead} + powerGraceMinutes ${grace} + two checks of ${watchInterval}); the estimate would be too low`);
    }

    const readers = list("logReaderArns");
    const badReaders = (readers ?? []).filter((a) => !IAM_PRINCIPAL_ARN_RE.test(a));
    if (badReaders.length > 0) problem("logReaderArns", `${badReaders.join(", ")} ${badReaders.length === 1 ? "is not an IAM role or user ARN" : "are not IAM role or user ARNs"}`);
    if (prod && bool("logSearch") === false) problem("logSearch", "must be true in prod: the design searches the cluster's logs in OpenSearch");

    const multiAz = bool("dbMultiAz");
    if (multiAz === false && prod) problem("dbMultiAz", "must be true in prod: the design keeps a standby of the metastore");
    if (multiAz === true && zones !== undefined && zones.length < 2) problem("dbMultiAz", `Multi-AZ needs at least 2 availability zones; ${zones.length} configured`);

    const storage = int("dbAllocatedStorageGb");
    const maxStorage = int("dbMaxAllocatedStorageGb");
    if (storage !== undefined && maxStorage !== undefined && maxStorage < storage) {
        problem("dbMaxAllocatedStorageGb", `must be at least dbAllocatedStorageGb (${storage})`);
    }
    const backups = int("dbBackupRetentionDays");
    if (prod && backups !== undefined && backups < 7) problem("dbBackupRetentionDays", "must be at least 7 in prod");

    const osType = str("openSearchInstanceType");
    const osVolume = int("openSearchVolumeGb");
    if (osType !== undefined && osVolume !== undefined && osVolume > OPENSEARCH_INSTANCE_TYPES[osType].maxVolumeGiB) {
        problem("openSearchVolumeGb", `${osType} takes at most ${OPENSEARCH_INSTANCE_TYPES[osType].maxVolumeGiB} GiB`);
    }
    // Every instance choice must have a price: the estimate, the budget's default and the policy pack's
    // cost ceiling all come from the total, and an unpriced item would lower it silently. To use another
    // type, add its entry (with its query) to the price file and run `npm run prices`.
    const prices = shippedPrices();
    const priced = (prefix: string) => Object.keys(prices).filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
    const needPrice = (key: string, value: string | undefined, priceKey: string | undefined, offered: string) => {
        if (value !== undefined && priceKey !== undefined && prices[priceKey] === undefined) {
            problem(key, `${value} has no price in data/prices.us-east-1.json (${priceKey}), so the estimate could not count it; priced: ${offered}. Add the entry with its query and run npm run prices to use it`);
        }
    };
    const ec2Priced = priced("ec2.").filter((t) => t.includes(".")).join(", ");
    needPrice("nodeInstanceType", nodeType, nodeType && PRICE_KEYS.ec2(nodeType), ec2Priced);
    const natType = str("natInstanceType");
    needPrice("natInstanceType", natType, natType && PRICE_KEYS.ec2(natType), ec2Priced);
    const dbClass = str("dbInstanceClass");
    needPrice("dbInstanceClass", dbClass, dbClass && multiAz !== undefined ? PRICE_KEYS.rds(dbClass, multiAz) : undefined,
        priced("rds.postgres.").filter((k) => k.endsWith(multiAz ? ".multi-az" : ".single-az")).map((k) => k.replace(/\.(multi|single)-az$/, "")).join(", ") + (multiAz ? " (Multi-AZ)" : " (Single-AZ)"));
    needPrice("openSearchInstanceType", osType, osType && PRICE_KEYS.openSearch(osType), priced("opensearch.").filter((t) => t.endsWith(".search")).join(", "));

    // Spot alternatives: only for a Spot group, each priced, each of the primary type's size (the
    // capacity plan and the pods' requests assume one node size; mixed sizes would break both).
    const capacityType = str("nodeCapacityType");
    const alternatives = list("nodeSpotAlternativeTypes");
    if (alternatives !== undefined && alternatives.length > 0) {
        // An invalid capacity type has its own problem; this one is for ON_DEMAND.
        if (capacityType === "ON_DEMAND") problem("nodeSpotAlternativeTypes", "only a SPOT node group takes alternative types; nodeCapacityType is ON_DEMAND");
        // Compared with the primary type only where that type is itself acceptable (else its own problem says it).
        const primaryOk = nodeType !== undefined && !problems.some((p) => p.key === qualifiedKey("nodeInstanceType"));
        const primary = primaryOk ? lookupInstanceType(nodeType, familiesOf("x86_64")) : undefined;
        const wrong: string[] = [];
        for (const t of alternatives) {
            const found = lookupInstanceType(t, familiesOf("x86_64"));
            if (typeof found === "string") wrong.push(`${t}: ${found}`);
            else if (typeof primary === "object" && (found.vcpu !== primary.vcpu || found.memoryGiB !== primary.memoryGiB)) wrong.push(`${t}: ${found.vcpu} vCPU and ${found.memoryGiB} GiB, not ${nodeType}'s ${primary.vcpu} and ${primary.memoryGiB}`);
            else if (prices[PRICE_KEYS.ec2(t)] === undefined) wrong.push(`${t}: no price in data/prices.us-east-1.json (${PRICE_KEYS.ec2(t)}); priced: ${ec2Priced}`);
            else if (t === nodeType || alternatives.indexOf(t) !== alternatives.lastIndexOf(t)) wrong.push(`${t}: listed twice (nodeInstanceType is always included)`);
        }
        if (wrong.length > 0) problem("nodeSpotAlternativeTypes", [...new Set(wrong)].join("; "));
    }

    // The UI's load balancer zones: two or more of the network's (an internet-facing ALB needs two).
    const uiZonesGiven = list("uiLoadBalancerZones");
    const uiZonesValid = zones !== undefined && region !== undefined && !problems.some((p) => p.key === qualifiedKey("availabilityZones"));
    if (uiZonesGiven !== undefined) {
        const outside = uiZonesValid ? uiZonesGiven.filter((z) => !zones.includes(z)) : [];
        if (outside.length > 0) problem("uiLoadBalancerZones", `${outside.join(", ")} not in availabilityZones (${zones!.join(", ")})`);
        else if (new Set(uiZonesGiven).size !== uiZonesGiven.length) problem("uiLoadBalancerZones", "zones must be distinct");
        else if (uiZonesGiven.length < 2) problem("uiLoadBalancerZones", `${uiZonesGiven.length} given; an internet-facing Application Load Balancer needs at least 2 zones`);
    }
    // In the network's order, so that the same set gives the same tags and settings.
    const uiLoadBalancerZones = uiZonesValid ? zones.filter((z) => (uiZonesGiven ?? zones).includes(z)) : undefined;

    const osCount = int("openSearchInstanceCount");
    const zoneAware = bool("openSearchZoneAwareness");
    if (zoneAware === true && osCount !== undefined && (osCount < 2 || osCount % 2 !== 0)) {
        problem("openSearchInstanceCount", `zone awareness over 2 zones needs an even count of at least 2; ${osCount} given`);
    }
    // The domain's zones: chosen, or the first of the network's. Checked against the network's zones
    // only when those are themselves valid.
    const osZonesWanted = zoneAware === undefined ? undefined : zoneAware ? 2 : 1;
    const osZonesGiven = list("openSearchZones");
    const zonesValid = zones !== undefined && !problems.some((p) => p.key === qualifiedKey("availabilityZones"));
    let openSearchZones: string[] | undefined = osZonesGiven ?? (zonesValid && osZonesWanted !== undefined ? zones.slice(0, osZonesWanted) : undefined);
    if (osZonesGiven !== undefined && osZonesWanted !== undefined) {
        const outside = zonesValid ? osZonesGiven.filter((z) => !zones.includes(z)) : [];
        if (outside.length > 0) problem("openSearchZones", `${outside.join(", ")} not in availabilityZones (${zones!.join(", ")})`);
        else if (new Set(osZonesGiven).size !== osZonesGiven.length) problem("openSearchZones", "zones must be distinct");
        else if (osZonesGiven.length !== osZonesWanted) {
            problem("openSearchZones", `${osZonesGiven.length} given; ${zoneAware ? "zone awareness needs exactly 2" : "without zone awareness the domain takes exactly 1"}`);
        }
        if (problems.some((p) => p.key === qualifiedKey("openSearchZones"))) openSearchZones = undefined;
    }

    if (problems.length > 0) throw new ConfigError(problems);

    return {
        warnings: [...warnings, ...placeholderWarnings(raw)],
        project: context.project,
        stack: context.stack,
        environment: environment!,
        region: region!,
        network: {
            vpcCidr: str("vpcCidr")!,
            availabilityZones: zones!,
            natStrategy: str("natStrategy") as NatStrategy,
            natInstanceType: str("natInstanceType")!,
        },
        cluster: {
            kubernetesVersion: kubernetesVersion!,
            apiAllowedCidrs: apiCidrs!,
            clusterAdminArns: admins!,
            nodeInstanceType: str("nodeInstanceType")!,
            nodeCount: int("nodeCount")!,
            nodeDiskGb: int("nodeDiskGb")!,
            nodeCapacityType: capacityType as NodeCapacityType,
            nodeSpotAlternativeTypes: alternatives!,
            controlPlaneLogTypes: list("controlPlaneLogTypes") as ControlPlaneLogType[],
            controlPlaneLogClass: str("controlPlaneLogClass") as LogGroupClass,
        },
        airflow: {
            gitopsRepositoryUrl: str("gitopsRepositoryUrl")!,
            gitopsBranch: str("gitopsBranch")!,
            gitopsPath: str("gitopsPath") ?? `./clusters/${environment}`,
            gitopsKnownHosts: str("gitopsKnownHosts")!,
            uiCertificateArn: uiCertificate,
            uiAllowedCidrs: uiCidrs!,
            uiLoadBalancerZones: uiLoadBalancerZones!,
            taskRoleManagedPolicyArns: list("taskRoleManagedPolicyArns")!,
            taskRolePolicy: str("taskRolePolicy"),
        },
        metastore: {
            instanceClass: str("dbInstanceClass")!,
            multiAz: multiAz!,
            allocatedStorageGb: storage!,
            maxAllocatedStorageGb: maxStorage!,
            backupRetentionDays: backups!,
            protectFromDeletion: keepData,
        },
        logStore: {
            taskLogRetentionDays: int("taskLogRetentionDays")!,
            openSearchInstanceType: osType!,
            openSearchInstanceCount: osCount!,
            openSearchZoneAwareness: bool("openSearchZoneAwareness")!,
            openSearchVolumeGb: osVolume!,
            openSearchZones: openSearchZones!,
            createOpenSearchServiceLinkedRole: bool("createOpenSearchServiceLinkedRole")!,
            logSearch: bool("logSearch")!,
            logReaderArns: readers!,
            keepTaskLogsOnDestroy: keepData,
        },
        registry: {
            ciRepository: str("ciRepository")!,
            ciBranch: str("ciBranch")!,
            ciEnvironment: str("ciEnvironment"),
            createGithubOidcProvider: bool("createGithubOidcProvider")!,
            keepTaggedImages: int("ecrKeepTaggedImages")!,
            untaggedExpiryDays: int("ecrUntaggedExpiryDays")!,
        },
        power: {
            wakeCron: wakeCron!,
            timeZone: timeZone!,
            watchIntervalMinutes: watchInterval!,
            graceMinutes: grace!,
            deadlineHours: deadline!,
            extraWindows: extraWindows ?? [],
            dbLeadMinutes: leadMinutes!,
            nodeLeadMinutes: nodeLead!,
        },
        cost: { expectedAwakeHours: awake!, monthlyBudgetUsd: int("monthlyBudgetUsd") },
        powerReservedConcurrency: bool("powerReservedConcurrency")!,
        operatorEmail: str("operatorEmail"),
        logRetentionDays: int("logRetentionDays")!,
        sharedKmsKey: bool("sharedKmsKey")!,
    };
}
