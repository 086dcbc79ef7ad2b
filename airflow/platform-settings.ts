// The platform settings: the one ConfigMap (flux-system/platform-settings) whose data Flux substitutes
// into the GitOps manifests (postBuild.substituteFrom), so that the Git repository names no account,
// bucket, ARN or host. Pure: the lead's Pulumi code feeds it resolved strings; tests feed it fixtures.

import * as YAML from "yaml";
import type { Environment } from "../core/config-spec";

/**
 * Every ${VARIABLE} the GitOps tree may use (CONTRACTS.md, "Variables in platform-settings").
 * airflow/gitops.test.ts fails if gitops/ uses any other.
 */
export const PLATFORM_SETTING_KEYS = [
    "ENVIRONMENT",
    "AWS_REGION",
    "CLUSTER_NAME",
    "AIRFLOW_IMAGE_REPOSITORY",
    "AIRFLOW_ROLE_ARN",
    "AIRFLOW_TASK_ROLE_ARN",
    "AIRFLOW_SECRETS_PREFIX",
    "DAG_ALERT_TOPIC_ARN",
    "TASK_LOG_BUCKET",
    "IMAGE_BRANCH",
    "GITOPS_PATH",
    "UI_CERTIFICATE_ARN",
    "UI_ALLOWED_CIDRS",
    "UI_SECURITY_GROUP_ID",
    "UI_ZONES",
    "AIRFLOW_SCHEDULER_REPLICAS",
] as const;
export type PlatformSettingKey = (typeof PLATFORM_SETTING_KEYS)[number];
/**
 * The kustomize Component that exposes the UI, relative to the GitOps tree's root: the root
 * Kustomization includes it exactly where uiExposure() is true (airflow/gitops.ts renders its files).
 */
export const UI_INGRESS_COMPONENT = "components/ui-ingress";

/** The settings only a stack that exposes the UI has (they are used only by UI_INGRESS_COMPONENT). */
export const UI_SETTING_KEYS = ["UI_CERTIFICATE_ARN", "UI_ALLOWED_CIDRS", "UI_SECURITY_GROUP_ID", "UI_ZONES"] as const;
export type PlatformSettings = Partial<Record<PlatformSettingKey, string>> & Record<Exclude<PlatformSettingKey, (typeof UI_SETTING_KEYS)[number]>, string>;

/**
 * The one setting that must become a YAML number after substitution (`replicas: ${...}`). Flux
 * substitutes text, and kustomize has already dropped any quotes the files in Git had, so every
 * setting reaches the chart as whatever YAML reads its value as: platformSettings() checks that each
 * of the others reads as a string (YAML 1.1, as the controller's parser: not `true`, `on`, `1234`).
 */
export const NUMERIC_SETTING_KEYS: readonly PlatformSettingKey[] = ["AIRFLOW_SCHEDULER_REPLICAS"];
/**
 * The one setting that must become a YAML list: a node-affinity term's `values: ${UI_ZONES}`. The
 * ConfigMap holds a flow sequence, `[us-east-1a,us-east-1b]`, which YAML reads as a list once Flux has
 * pasted it in. (Quoting the variable inside a list in Git, `values: ["${UI_ZONES}"]`, would give one
 * string "a,b": kustomize serialises the list before Flux substitutes.)
 */
export const LIST_SETTING_KEYS: readonly PlatformSettingKey[] = ["UI_ZONES"];

export interface PlatformSettingsInput {
    readonly environment: Environment;
    readonly region: string;
    readonly clusterName: string;
    /** The Registry's repository URL (<account>.dkr.ecr.<region>.amazonaws.com/<name>). */
    readonly airflowImageRepository: string;
    /** The IRSA role of Airflow's own components (task logs, secrets, alerts). */
    readonly airflowRoleArn: string;
    /** The IRSA role of task pods: the platform's grants plus the stack's own for the DAGs' work. */
    readonly airflowTaskRoleArn: string;
    /** SSM Parameter Store prefix of connections and variables, e.g. /data-platform-prod/airflow. */
    readonly secretsPrefix: string;
    /** The SNS topic DAG failure alerts go to. */
    readonly dagAlertTopicArn: string;
    readonly taskLogBucket: string;
    /** ciBranch: the branch whose image tags this stack follows. */
    readonly imageBranch: string;
    /** gitopsPath: the stack's folder in the GitOps repository (image automation writes there). */
    readonly gitopsPath: string;
    /** ACM certificate for the UI; without one the UI gets no load balancer (see uiExposure). */
    readonly uiCertificateArn?: string;
    readonly uiAllowedCidrs: readonly string[];
    /** The ALB's security group, created by Pulumi (it, not the annotation, enforces the allow-list). */
    readonly uiSecurityGroupId: string;
    /** The zones of the UI's load balancer: Airflow's API server is kept in them. */
    readonly uiZones: readonly string[];
    /** Default: schedulerReplicasFor(environment). */
    readonly schedulerReplicas?: number;
}

export interface Decision<T> {
    readonly value: T;
    readonly reason: string;
}

/**
 * prod runs two schedulers, staging one. Airflow 2+ (and 3) supports several active schedulers on
 * PostgreSQL: they coordinate through row-level locks (SELECT ... FOR UPDATE SKIP LOCKED) in the
 * metadata database, so a second replica adds availability (a scheduler pod lost to a node drain or a
 * crash does not stop scheduling) at the cost of about 1 GiB of memory. Staging does not need it.
 */
export function schedulerReplicasFor(environment: Environment): Decision<number> {
    return environment === "prod"
        ? { value: 2, reason: "prod: two schedulers, active-active through PostgreSQL row-level locks, so losing one pod does not stop scheduling" }
        : { value: 1, reason: `${environment}: one scheduler; a restart pauses scheduling for about a minute, which a test environment tolerates` };
}

/**
 * The UI is put behind an internet-facing ALB only when it can be HTTPS-only and allow-listed: a
 * certificate and at least one CIDR. Otherwise no Ingress is rendered at all (never a plain-HTTP login
 * page on the internet) and operators reach the API server with `kubectl port-forward`.
 */
export function uiExposure(input: Pick<PlatformSettingsInput, "uiCertificateArn" | "uiAllowedCidrs">): Decision<boolean> {
    const certificate = input.uiCertificateArn ?? "";
    if (certificate === "") return { value: false, reason: "no ACM certificate: no load balancer; use kubectl port-forward to the API server" };
    if (input.uiAllowedCidrs.length === 0) return { value: false, reason: "no allowed CIDR: no load balancer rather than one open to the internet" };
    return { value: true, reason: `HTTPS with the certificate, HTTP redirected, reachable from ${input.uiAllowedCidrs.join(", ")}` };
}

// Values are pasted into YAML text by Flux, so anything outside this set (quotes, spaces, "#", ":" plus
// space, newlines, "$") could break the manifests or inject keys. ARNs, URLs, IDs, CIDR lists and
// branch names all fit.
const SAFE_VALUE = /^[A-Za-z0-9._:/,@+=-]*$/;

/** The ConfigMap data: one string per PLATFORM_SETTING_KEYS entry. Throws naming the key on an unsafe value. */
export function platformSettings(input: PlatformSettingsInput): PlatformSettings {
    const replicas = input.schedulerReplicas ?? schedulerReplicasFor(input.environment).value;
    if (!Number.isInteger(replicas) || replicas < 1) throw new Error(`AIRFLOW_SCHEDULER_REPLICAS: ${replicas} is not a positive integer`);
    const ui = uiExposure(input);
    const settings: PlatformSettings = {
        ENVIRONMENT: input.environment,
        AWS_REGION: input.region,
        CLUSTER_NAME: input.clusterName,
        AIRFLOW_IMAGE_REPOSITORY: input.airflowImageRepository,
        AIRFLOW_ROLE_ARN: input.airflowRoleArn,
        AIRFLOW_TASK_ROLE_ARN: input.airflowTaskRoleArn,
        AIRFLOW_SECRETS_PREFIX: input.secretsPrefix,
        DAG_ALERT_TOPIC_ARN: input.dagAlertTopicArn,
        TASK_LOG_BUCKET: input.taskLogBucket,
        IMAGE_BRANCH: input.imageBranch,
        GITOPS_PATH: input.gitopsPath,
        AIRFLOW_SCHEDULER_REPLICAS: String(replicas),
        // Only where the UI is exposed, which is also the only place the ui-ingress Component (their one
        // user) is included: no setting is ever empty, so none can turn into a YAML null.
        ...(ui.value
            ? { UI_CERTIFICATE_ARN: input.uiCertificateArn ?? "", UI_ALLOWED_CIDRS: input.uiAllowedCidrs.join(","), UI_SECURITY_GROUP_ID: input.uiSecurityGroupId, UI_ZONES: `[${input.uiZones.join(",")}]` }
            : {}),
    };
    for (const [key, value] of Object.entries(settings) as [PlatformSettingKey, string][]) {
        if (value === "") throw new Error(`${key}: empty; an empty setting becomes a YAML null once substituted`);
        const list = LIST_SETTING_KEYS.includes(key);
        // A list is brackets around items that are each safe (no nested brackets, no quotes).
        const items = list ? /^\[([^\[\]]*)\]$/.exec(value)?.[1]?.split(",") : undefined;
        if (list ? items === undefined || items.some((i) => i === "" || !SAFE_VALUE.test(i)) : !SAFE_VALUE.test(value)) {
            throw new Error(`${key}: ${JSON.stringify(value)} has characters that are unsafe to substitute into YAML`);
        }
        const read = YAML.parse(`v: ${value}`, { version: "1.1" }).v as unknown;
        if (list) {
            if (!Array.isArray(read) || read.length < 1 || read.some((i) => typeof i !== "string")) throw new Error(`${key}: ${JSON.stringify(value)} would not be read as a YAML list of strings after substitution`);
            continue;
        }
        const wanted = NUMERIC_SETTING_KEYS.includes(key) ? "number" : "string";
        if (typeof read !== wanted) throw new Error(`${key}: ${JSON.stringify(value)} would be read as a YAML ${typeof read} after substitution, not a ${wanted}`);
    }
    return settings;
}
