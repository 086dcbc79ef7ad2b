// The platform's configuration: every key, its type, default and rule, in one table, and the one
// function that turns raw stack config into a typed, validated object. Pure: no Pulumi import, so it
// is tested directly and also drives the README's configuration table and the Pulumi.yaml check.
//
// Every problem is collected before failing, so one run tells the user everything that is wrong.

import { formatCidr, parseCidr, isRfc1918 } from "../network/cidr";
import { airflowSizesFor, checkBudget } from "../cluster/capacity";
import { DEFAULT_KUBERNETES_VERSION, EKS_VERSIONS, SUPPORT_WARNING_DAYS, supportNotice } from "../cluster/eks-versions";
import { backupWindowProblem, maintenanceWindowFor, DEFAULT_TIME_ZONE, DEFAULT_WAKE_CRON, parseDailyCron, powerSettings, type PowerSettings } from "../scheduler/power";
import { familiesOf, lookupInstanceType, OPENSEARCH_INSTANCE_TYPES, RDS_INSTANCE_CLASSES } from "../core/instance-types";

export const PROJECT = "data-platform";

export const ENVIRONMENTS = ["prod", "staging"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

export const NAT_STRATEGIES = ["gateway-per-az", "single-gateway", "instance"] as const;
export type NatStrategy = (typeof NAT_STRATEGIES)[number];

/** CloudWatch Logs accepts only these retention periods (PutRetentionPolicy API reference). */
export const CLOUDWATCH_RETENTION_DAYS = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** Something to act on that does not stop a deploy: the key, its value, and what to do. */
export interface ConfigWarning {
    readonly key: string;
    readonly value: string | undefined;
    readonly message: string;
}

export interface PlatformConfig {
    /** What the plan and `pulumi up` print before anything else; never a reason to refuse. */
    readonly warnings: readonly ConfigWarning[];
    readonly project: string;
    readonly stack: string;
    readonly environment: Environment;
    readonly region: string;
    readonly network: {
        readonly vpcCidr: string;
        readonly availabilityZones: readonly string[];
        readonly natStrategy: NatStrategy;
        readonly natInstanceType: string;
    };
    readonly cluster: {
        readonly kubernetesVersion: string;
        /** CIDR blocks that may reach the public API endpoint; empty: the endpoint is private only. */
        readonly apiAllowedCidrs: readonly string[];
        /** IAM role or user ARNs given cluster-admin through EKS access entries. */
        readonly clusterAdminArns: readonly string[];
        readonly nodeInstanceType: string;
        readonly nodeCount: number;
        readonly nodeDiskGb: number;
    };
    readonly airflow: {
        readonly gitopsRepositoryUrl: string;
        readonly gitopsBranch: string;
        /** The stack's folder in the GitOps repository, e.g. ./clusters/prod. */
        readonly gitopsPath: string;
        readonly gitopsKnownHosts: string;
        /** ACM certificate of the UI; unset: no load balancer (kubectl port-forward). */
        readonly uiCertificateArn?: string;
        readonly uiAllowedCidrs: readonly string[];
    };
    readonly metastore: {
        readonly instanceClass: string;
        readonly multiAz: boolean;
        readonly allocatedStorageGb: number;
        readonly maxAllocatedStorageGb: number;
        readonly backupRetentionDays: number;
        /** keepDataOnDestroy: deletion protection on (the database and the cluster) and a final snapshot on delete. */
        readonly protectFromDeletion: boolean;
    };
    readonly logStore: {
        readonly taskLogRetentionDays: number;
        readonly openSearchInstanceType: string;
        readonly openSearchInstanceCount: number;
        readonly openSearchZoneAwareness: boolean;
        readonly openSearchVolumeGb: number;
        /** The zones the domain's nodes sit in: 2 with zone awareness, else 1; a subset of availabilityZones. */
        readonly openSearchZones: readonly string[];
        readonly createOpenSearchServiceLinkedRole: boolean;
        /** The log-search domain and its log shipper; prod keeps them. */
        readonly logSearch: boolean;
        /** IAM roles or users who may search the logs (OpenSearch Dashboards). */
        readonly logReaderArns: readonly string[];
        /** keepDataOnDestroy: `pulumi destroy` leaves the task-log bucket (and its logs) in the account; else it empties and deletes it. */
        readonly keepTaskLogsOnDestroy: boolean;
    };
    readonly registry: {
        readonly ciRepository: string;
        readonly ciBranch: string;
        /** A GitHub environment whose jobs may also assume the CI role (their OIDC subject names it, not the branch). */
        readonly ciEnvironment?: string;
        /** Create the account's GitHub OIDC provider; otherwise the stack references it by its fixed ARN. */
        readonly createGithubOidcProvider: boolean;
        readonly keepTaggedImages: number;
        readonly untaggedExpiryDays: number;
    };
    /** The NightlyScheduler's configurable settings (the rest are derived by powerSettings). */
    readonly power: Pick<PowerSettings, "wakeCron" | "timeZone" | "watchIntervalMinutes" | "graceMinutes" | "deadlineHours" | "dbLeadMinutes" | "nodeLeadMinutes">;
    readonly cost: {
        /** Hours a day the platform is expected awake: what the estimate prices the sleeping parts at. */
        readonly expectedAwakeHours: number;
        /** The monthly AWS Budgets amount; unset: the estimate plus a margin. */
        readonly monthlyBudgetUsd?: number;
    };
    /** Reserve one concurrent execution per scheduler function (scheduler/component.ts). */
    readonly powerReservedConcurrency: boolean;
    /** Alarms and budget notifications go here (an SNS e-mail subscription, a budget subscriber). */
    readonly operatorEmail?: string;
    /** Retention of the CloudWatch log groups the platform creates. */
    readonly logRetentionDays: number;
}

export type ConfigType = "string" | "integer" | "boolean" | "array";
type Value = string | number | boolean | string[];

export interface ConfigKey {
    /** Full key as `pulumi config set` takes it: "aws:region", or a project key without namespace. */
    readonly name: string;
    readonly type: ConfigType;
    readonly group: string;
    readonly description: string;
    /** Default when the stack does not set it; absent means the key is required (or optional, see below). */
    readonly default?: Value;
    /** Neither required nor defaulted: absence means "not used". */
    readonly optional?: boolean;
    /** What is allowed, in words; shown in errors and in the README. */
    readonly allowed: string;
    /** Extra check on a value of the right type; returns a reason when the value is not allowed. */
    readonly check?: (value: never) => string | undefined;
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

const oneOf = (values: readonly (string | number)[]) => (v: string | number) =>
    values.includes(v) ? undefined : `must be one of ${values.join(", ")}`;
const intRange = (min: number, max: number) => (v: number) => (v >= min && v <= max ? undefined : `must be from ${min} to ${max}`);
const matches = (re: RegExp, what: string) => (v: string) => (re.test(v) ? undefined : what);

const REGION_RE = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;
// Regions of the other partitions (aws-cn, aws-us-gov, aws-iso*): their ARNs do not start with
// "arn:aws:", which the policy documents and managed-policy ARNs here are written with.
const OTHER_PARTITION_RE = /^(cn-|us-gov-|us-iso|eu-iso)/;
// ssh://git@host[:port]/path.git, or https://host/path(.git): what a Flux GitRepository takes.
const GIT_URL_RE = /^(ssh:\/\/[A-Za-z0-9._-]+@[A-Za-z0-9.-]+(:\d+)?|https:\/\/[A-Za-z0-9.-]+(:\d+)?)\/[A-Za-z0-9._\/-]+$/;
const ACM_ARN_RE = /^arn:aws:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/;
/** GitHub's published SSH host key (docs.github.com, "GitHub's SSH key fingerprints"). */
export const GITHUB_KNOWN_HOSTS = "github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
const IAM_PRINCIPAL_ARN_RE = /^arn:aws:iam::\d{12}:(role|user)\/[\w+=,.@/-]{1,512}$/;
const GITHUB_REPO_RE = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;
// A branch name that is safe inside the OIDC subject "repo:owner/name:ref:refs/heads/<branch>":
// git's own rules (no "..", no leading or trailing "/") and no IAM wildcard characters.
const BRANCH_RE = /^(?!\/)(?!.*\/\/)(?!.*\.\.)(?!.*\/$)[A-Za-z0-9._/-]{1,200}$/;
// GitHub environment names: up to 255 characters; kept to characters that are literal in an IAM
// StringEquals condition and in the OIDC subject "repo:owner/name:environment:<name>".
const GITHUB_ENVIRONMENT_RE = /^[A-Za-z0-9._-][A-Za-z0-9 ._-]{0,254}$/;

/** Every key the program reads. The README table and Pulumi.yaml are checked against this list. */
export const CONFIG_KEYS: readonly ConfigKey[] = [
    {
        name: "aws:region",
        type: "string",
        group: "General",
        description: "AWS region to deploy to. Prices in the cost estimate are us-east-1's.",
        allowed: "an AWS region of the standard aws partition, such as us-east-1",
        check: (v: string) => {
            if (!REGION_RE.test(v)) return "must be an AWS region name such as us-east-1";
            if (OTHER_PARTITION_RE.test(v)) return `${v} is outside the standard aws partition (China, GovCloud and ISO regions use other ARN prefixes, which this program does not write); use a region such as us-east-1`;
            return undefined;
        },
    },
    {
        name: "environment",
        type: "string",
        group: "General",
        description: "What the stack is for. prod enforces the design's availability and data-safety rules.",
        allowed: ENVIRONMENTS.join(" | "),
        check: oneOf(ENVIRONMENTS),
    },
    {
        name: "availabilityZones",
        type: "array",
        group: "Network",
        description: "Availability zones to spread subnets over: one public and one private subnet in each.",
        allowed: "2 or 3 distinct zones of aws:region (exactly 3 in prod)",
    },
    {
        name: "vpcCidr",
        type: "string",
        group: "Network",
        description: "The VPC's IPv4 range. Private subnets get a quarter each, public ones a sixteenth.",
        default: "10.0.0.0/16",
        allowed: "an RFC 1918 network address from /16 to /20",
        check: (v: string) => {
            const c = parseCidr(v);
            if (typeof c === "string") return `is not a CIDR block: ${c}`;
            if (c.prefix < 16 || c.prefix > 20) return "the prefix must be from /16 (AWS's largest VPC) to /20 (smallest that leaves private subnets room for pods)";
            if (!isRfc1918(c)) return `${formatCidr(c)} is not inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16`;
            return undefined;
        },
    },
    {
        name: "natStrategy",
        type: "string",
        group: "Network",
        description: "How private subnets reach the internet. See \"Choosing a NAT strategy\" for cost and availability.",
        default: "single-gateway",
        allowed: NAT_STRATEGIES.join(" | "),
        check: oneOf(NAT_STRATEGIES),
    },
    {
        name: "natInstanceType",
        type: "string",
        group: "Network",
        description: "Instance type of the NAT instance (natStrategy instance). Arm (Graviton) only: the image is arm64.",
        default: "t4g.nano",
        allowed: `an arm64 type of family ${familiesOf("arm64").join(", ")}`,
        check: (v: string) => {
            const t = lookupInstanceType(v, familiesOf("arm64"));
            return typeof t === "string" ? t : undefined;
        },
    },
    {
        name: "kubernetesVersion",
        type: "string",
        group: "AirflowCluster",
        description: "Kubernetes version of the EKS cluster. Upgrade policy is STANDARD: past standard support EKS upgrades the cluster rather than bill extended support.",
        default: DEFAULT_KUBERNETES_VERSION,
        allowed: `a version this program knows on EKS (${EKS_VERSIONS.map((v) => `${v.version}, standard support to ${v.standardSupportEnds}`).join("; ")}); the plan warns ${SUPPORT_WARNING_DAYS} days before the end`,
        check: oneOf(EKS_VERSIONS.map((v) => v.version)),
    },
    {
        name: "apiAllowedCidrs",
        type: "array",
        group: "AirflowCluster",
        description: "Who may reach the cluster's public API endpoint. Empty: the endpoint is private, reachable only from inside the VPC (see \"Reaching the cluster\").",
        default: [],
        allowed: "a list of IPv4 CIDR blocks; empty turns the public endpoint off; never 0.0.0.0/0 in prod",
    },
    {
        name: "clusterAdminArns",
        type: "array",
        group: "AirflowCluster",
        description: "IAM roles or users given cluster-admin through EKS access entries. Must include the identity that runs `pulumi up`.",
        allowed: "1 or more IAM role or user ARNs (arn:aws:iam::<account>:role/<name> or :user/<name>)",
    },
    {
        name: "nodeInstanceType",
        type: "string",
        group: "AirflowCluster",
        description: "Instance type of the EKS worker nodes. x86_64: the node group runs AL2023 x86_64 and the DAG repository's CI builds an amd64 image.",
        default: "t3.medium",
        allowed: `an x86_64 type of family ${familiesOf("x86_64").join(", ")}`,
        check: (v: string) => {
            const t = lookupInstanceType(v, familiesOf("x86_64"));
            return typeof t === "string" ? t : undefined;
        },
    },
    {
        name: "nodeCount",
        type: "integer",
        group: "AirflowCluster",
        description: "Worker nodes while the platform is awake.",
        default: 4,
        allowed: "an integer from 1 to 450 (EKS's limit of nodes per managed node group)",
        check: intRange(1, 450),
    },
    {
        name: "nodeDiskGb",
        type: "integer",
        group: "AirflowCluster",
        description: "Encrypted gp3 root volume of each node (images and task scratch space).",
        default: 20,
        allowed: "an integer from 20 to 500",
        check: intRange(20, 500),
    },
    {
        name: "gitopsRepositoryUrl",
        type: "string",
        group: "AirflowCluster",
        description: "The GitOps repository Flux applies (made from gitops/). SSH: Flux reads it with a deploy key the stack generates (output gitopsDeployKey).",
        allowed: "ssh://git@<host>/<owner>/<repo>.git (or https://<host>/<path> for a public repository)",
        check: matches(GIT_URL_RE, "must be an ssh://user@host/path or https://host/path Git URL"),
    },
    {
        name: "gitopsBranch",
        type: "string",
        group: "AirflowCluster",
        description: "The GitOps repository's branch Flux follows and image automation pushes to.",
        default: "main",
        allowed: "a git branch name (letters, digits, . _ - /; no \"..\", no leading or trailing /)",
        check: matches(BRANCH_RE, "must be a plain git branch name: letters, digits, . _ - /; no \"..\", no leading or trailing /"),
    },
    {
        name: "gitopsPath",
        type: "string",
        group: "AirflowCluster",
        description: "The stack's folder in the GitOps repository. Unset: ./clusters/<environment> (where image automation writes this stack's image tag).",
        optional: true,
        allowed: "a relative path starting with ./ (letters, digits, . _ - /)",
        check: matches(/^\.\/(?!.*\.\.)[A-Za-z0-9._\/-]+$/, "must be a relative path starting with ./ and without \"..\""),
    },
    {
        name: "gitopsKnownHosts",
        type: "string",
        group: "AirflowCluster",
        description: "SSH host key(s) of the GitOps repository's host, in known_hosts format. The default is GitHub's published ed25519 key.",
        default: GITHUB_KNOWN_HOSTS,
        allowed: "one or more known_hosts lines (host keytype base64)",
        check: matches(/^([^\s]+ (ssh-ed25519|ecdsa-sha2-nistp256|ssh-rsa) [A-Za-z0-9+/=]+\n?)+$/, "must be known_hosts lines: <host> <key type> <base64 key>"),
    },
    {
        name: "uiCertificateArn",
        type: "string",
        group: "AirflowCluster",
        description: "ACM certificate for the Airflow UI's HTTPS load balancer. Unset: no load balancer at all; the UI is reached with kubectl port-forward. Required in prod.",
        optional: true,
        allowed: "arn:aws:acm:<region>:<account>:certificate/<id>; required in prod",
        check: matches(ACM_ARN_RE, "must be an ACM certificate ARN: arn:aws:acm:<region>:<account>:certificate/<id>"),
    },
    {
        name: "uiAllowedCidrs",
        type: "array",
        group: "AirflowCluster",
        description: "Who may reach the UI's load balancer (HTTPS, and HTTP only to be redirected).",
        default: [],
        allowed: "a list of IPv4 CIDR blocks, none /0 (the HTTP redirect port would be open to the world); at least one where uiCertificateArn is set",
    },
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
        name: "logRetentionDays",
        type: "integer",
        group: "General",
        description: "Retention of the CloudWatch log groups the platform creates (PostgreSQL logs, ...).",
        default: 30,
        allowed: `one of CloudWatch's periods: ${CLOUDWATCH_RETENTION_DAYS.join(", ")}`,
        check: oneOf(CLOUDWATCH_RETENTION_DAYS),
    },
    {
        name: "taskLogRetentionDays",
        type: "integer",
        group: "LogStore",
        description: "Days before Airflow task logs in S3 expire.",
        default: 30,
        allowed: "an integer from 1 to 3650",
        check: intRange(1, 3650),
    },
    {
        name: "logSearch",
        type: "boolean",
        group: "LogStore",
        description: "Run the OpenSearch log-search domain and the log shipper. false (staging only) saves the domain; task logs stay in S3 and in the UI, container logs in kubectl logs.",
        default: true,
        allowed: "true or false; true in prod",
    },
    {
        name: "logReaderArns",
        type: "array",
        group: "LogStore",
        description: "IAM roles or users who may search the logs in OpenSearch Dashboards (read, and Dashboards' own saved objects). See \"Searching logs\".",
        default: [],
        allowed: "IAM role or user ARNs (arn:aws:iam::<account>:role/<name> or :user/<name>)",
    },
    {
        name: "openSearchInstanceType",
        type: "string",
        group: "LogStore",
        description: "Data-node type of the OpenSearch log-search domain.",
        default: "t3.small.search",
        allowed: Object.keys(OPENSEARCH_INSTANCE_TYPES).join(" | "),
        check: oneOf(Object.keys(OPENSEARCH_INSTANCE_TYPES)),
    },
    {
        name: "openSearchInstanceCount",
        type: "integer",
        group: "LogStore",
        description: "Data nodes of the OpenSearch domain.",
        default: 1,
        allowed: "an integer from 1 to 10; even when zone awareness is on",
        check: intRange(1, 10),
    },
    {
        name: "openSearchZoneAwareness",
        type: "boolean",
        group: "LogStore",
        description: "Spread OpenSearch nodes over two zones, so that one zone's loss keeps search up.",
        default: false,
        allowed: "true or false; true needs an even node count of 2 or more",
    },
    {
        name: "openSearchZones",
        type: "array",
        group: "LogStore",
        description: "Zones of the OpenSearch nodes. t3.small.search is not offered in every zone (zone letters differ by account): pick zones that offer it.",
        optional: true,
        allowed: "distinct zones of availabilityZones: 2 with zone awareness, else 1; unset takes the first ones",
    },
    {
        name: "openSearchVolumeGb",
        type: "integer",
        group: "LogStore",
        description: "gp3 EBS volume per OpenSearch node.",
        default: 10,
        allowed: "an integer from 10 to the instance type's maximum (t3.small.search 100, t3.medium.search 200)",
        check: intRange(10, 200),
    },
    {
        name: "createOpenSearchServiceLinkedRole",
        type: "boolean",
        group: "LogStore",
        description: "Create the account's OpenSearch service-linked role (one per account, needed before the first VPC domain). Kept on destroy. See \"One-time account setup\".",
        default: false,
        allowed: "true or false; true in one stack per account, or create it once by hand",
    },
    {
        name: "powerWakeCron",
        type: "string",
        group: "NightlyScheduler",
        description: "When the platform wakes (EventBridge Scheduler cron, read in powerTimeZone).",
        default: DEFAULT_WAKE_CRON,
        allowed: "a daily cron: cron(<minute> <hour> * * ? *)",
        check: (v: string) => {
            const parsed = parseDailyCron(v);
            return typeof parsed === "string" ? parsed : undefined;
        },
    },
    {
        name: "powerTimeZone",
        type: "string",
        group: "NightlyScheduler",
        description: "The time zone the wake cron is read in; EventBridge Scheduler follows its daylight-saving changes.",
        default: DEFAULT_TIME_ZONE,
        allowed: "an IANA time zone such as America/Los_Angeles",
        check: (v: string) => {
            try {
                new Intl.DateTimeFormat("en-US", { timeZone: v });
                return /^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/.test(v) ? undefined : "must be an IANA time zone such as America/Los_Angeles";
            } catch {
                return "is not an IANA time zone this runtime knows (such as America/Los_Angeles)";
            }
        },
    },
    {
        name: "powerWatchIntervalMinutes",
        type: "integer",
        group: "NightlyScheduler",
        description: "How often the watcher checks whether Airflow is done.",
        default: 10,
        allowed: "an integer from 2 to 30",
        check: intRange(2, 30),
    },
    {
        name: "powerGraceMinutes",
        type: "integer",
        group: "NightlyScheduler",
        description: "No sleep this soon after the wake: Airflow's scheduler must first create the day's runs.",
        default: 30,
        allowed: "an integer from powerWatchIntervalMinutes to 180",
        check: intRange(2, 180),
    },
    {
        name: "powerDeadlineHours",
        type: "integer",
        group: "NightlyScheduler",
        description: "Forced sleep (and an alarm) this long after the wake, even if Airflow still looks busy.",
        default: 4,
        allowed: "an integer from 1 to 12, late enough for the day's metastore backup",
        check: intRange(1, 12),
    },
    {
        name: "powerDbLeadMinutes",
        type: "integer",
        group: "NightlyScheduler",
        description: "The metastore starts this long before the nodes (a start can take minutes).",
        default: 30,
        allowed: "an integer from 10 to 120",
        check: intRange(10, 120),
    },
    {
        name: "powerNodeLeadMinutes",
        type: "integer",
        group: "NightlyScheduler",
        description: "The nodes start this long before the wake, so that Flux rolls out a DAG image pushed in the daytime before the night's runs are due (docs: the wake timeline). Shorter saves node time; below the timeline's worst case, a run may start on the previous image.",
        default: 30,
        allowed: "an integer from 0 to 120",
        check: intRange(0, 120),
    },
    {
        name: "keepDataOnDestroy",
        type: "boolean",
        group: "Metastore",
        description: "What pulumi destroy keeps. true: the metastore (deletion protection on it and on the cluster, then a final snapshot) and the task-log bucket with its logs (left in the account, out of Pulumi's state). false: both are removed with everything in them. Unset: true in prod, false in staging. Container images are always removed (CI rebuilds them).",
        optional: true,
        allowed: "true or false (unset: true in prod, false in staging)",
    },
    {
        name: "powerReservedConcurrency",
        type: "boolean",
        group: "NightlyScheduler",
        description: "Reserve one concurrent execution for each scheduler function. Off by default: Lambda refuses a reservation that leaves the account fewer than 100 unreserved, and new accounts often have a limit of 10 or 50 (see One-time account setup). A lease serialises the functions either way.",
        default: false,
        allowed: "true or false; true only where the account's unreserved concurrency stays at 100 or more",
    },
    {
        name: "operatorEmail",
        type: "string",
        group: "General",
        description: "Where alarms (scheduler, forced sleeps) and budget notifications are e-mailed. The address must confirm AWS's subscription mail.",
        optional: true,
        allowed: "an e-mail address",
        check: matches(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, "must be an e-mail address"),
    },
    {
        name: "expectedAwakeHours",
        type: "integer",
        group: "Cost",
        description: "Hours a day the platform is expected awake (the nightly run): what the estimate prices nodes and the metastore at.",
        default: 2,
        allowed: "an integer from 1 to 24, at most powerDeadlineHours",
        check: intRange(1, 24),
    },
    {
        name: "monthlyBudgetUsd",
        type: "integer",
        group: "Cost",
        description: "The stack's AWS Budgets amount in USD a month (e-mails at 80% and 100% actual, 100% forecast). Unset: the estimate plus 20%.",
        optional: true,
        allowed: "an integer from 10 to 100000",
        check: intRange(10, 100000),
    },
    {
        name: "ciRepository",
        type: "string",
        group: "Registry",
        description: "GitHub repository (owner/name) of the DAGs, whose CI pushes Airflow images.",
        allowed: "a GitHub repository as owner/name",
        check: matches(GITHUB_REPO_RE, "must be a GitHub repository as owner/name"),
    },
    {
        name: "ciBranch",
        type: "string",
        group: "Registry",
        description: "The only branch of ciRepository whose CI may push images to this stack's registry.",
        default: "master",
        allowed: "a git branch name (letters, digits, . _ - /; no \"..\", no leading or trailing /)",
        check: matches(BRANCH_RE, "must be a plain git branch name: letters, digits, . _ - /; no \"..\", no leading or trailing /"),
    },
    {
        name: "ciEnvironment",
        type: "string",
        group: "Registry",
        description: "A GitHub environment whose jobs may also push: a job with `environment:` presents the subject repo:<ciRepository>:environment:<name>, not the branch's.",
        optional: true,
        allowed: "a GitHub environment name (letters, digits, space, . _ -; up to 255)",
        check: matches(GITHUB_ENVIRONMENT_RE, "must be a GitHub environment name: letters, digits, space, . _ -; up to 255 characters"),
    },
    {
        name: "createGithubOidcProvider",
        type: "boolean",
        group: "Registry",
        description: "Create the account's GitHub Actions OIDC provider (one per account). Unset or false: reference it at its fixed ARN. Kept on destroy.",
        default: false,
        allowed: "true or false; true in one stack per account, or create it once by hand",
    },
    {
        name: "ecrKeepTaggedImages",
        type: "integer",
        group: "Registry",
        description: "How many tagged Airflow images the registry keeps.",
        default: 20,
        allowed: "an integer from 1 to 1000",
        check: intRange(1, 1000),
    },
    {
        name: "ecrUntaggedExpiryDays",
        type: "integer",
        group: "Registry",
        description: "Days after which untagged images are deleted.",
        default: 3,
        allowed: "an integer from 1 to 365",
        check: intRange(1, 365),
    },
];

/** The key as it appears in stack files: project keys get the project's namespace. */
export function qualifiedKey(name: string): string {
    return name.includes(":") ? name : `${PROJECT}:${name}`;
}

/** Raw stack config as Pulumi hands it to programs: every value a string, arrays as JSON. */
export type RawConfig = Readonly<Record<string, string | undefined>>;

function parseTyped(type: ConfigType, raw: string): { value: Value } | { error: string } {
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

/**
 * Validates raw stack config. Returns the typed config, or throws one ConfigError that lists every
 * problem found, each with its key, the value given and what is allowed.
 */
export function parseConfig(raw: RawConfig, context: { project: string; stack: string; today: Date }): PlatformConfig {
    const problems: Problem[] = [];
    const warnings: ConfigWarning[] = [];
    const values = new Map<string, Value>();
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

    // Everything issue 6 and 7 run (system pods, controllers, Flux, Fluent Bit, Airflow and a nightly
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
    const awake = int("expectedAwakeHours");
    if (awake !== undefined && deadline !== undefined && awake > deadline) {
        problem("expectedAwakeHours", `cannot exceed powerDeadlineHours (${deadline}): the scheduler forces sleep by then`);
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
        warnings,
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
        },
        airflow: {
            gitopsRepositoryUrl: str("gitopsRepositoryUrl")!,
            gitopsBranch: str("gitopsBranch")!,
            gitopsPath: str("gitopsPath") ?? `./clusters/${environment}`,
            gitopsKnownHosts: str("gitopsKnownHosts")!,
            uiCertificateArn: uiCertificate,
            uiAllowedCidrs: uiCidrs!,
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
            dbLeadMinutes: leadMinutes!,
            nodeLeadMinutes: nodeLead!,
        },
        cost: { expectedAwakeHours: awake!, monthlyBudgetUsd: int("monthlyBudgetUsd") },
        powerReservedConcurrency: bool("powerReservedConcurrency")!,
        operatorEmail: str("operatorEmail"),
        logRetentionDays: int("logRetentionDays")!,
    };
}

/** The AirflowCluster's settings, as the component takes them. */
export type ClusterSettings = PlatformConfig["cluster"];

/** The Metastore's settings, as the component takes them. */
export type MetastoreSettings = PlatformConfig["metastore"];

/** Airflow's delivery (GitOps repository) and UI settings. */
export type AirflowSettings = PlatformConfig["airflow"];
