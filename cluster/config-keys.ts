// The AirflowCluster's configuration keys (the cluster, its nodes, and how Airflow reaches it through
// GitOps and the UI) and the settings the component takes.

import { BRANCH_RE, intRange, matches, oneOf, type ConfigKey } from "../core/config-spec";
import { familiesOf, lookupInstanceType } from "../core/instance-types";
import { identityPolicyProblems } from "../core/policies";
import { DEFAULT_KUBERNETES_VERSION, EKS_VERSIONS, SUPPORT_WARNING_DAYS } from "./eks-versions";

// ssh://git@host[:port]/path.git, or https://host/path(.git): what a Flux GitRepository takes.
const GIT_URL_RE = /^(ssh:\/\/[A-Za-z0-9._-]+@[A-Za-z0-9.-]+(:\d+)?|https:\/\/[A-Za-z0-9.-]+(:\d+)?)\/[A-Za-z0-9._\/-]+$/;
const ACM_ARN_RE = /^arn:aws:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/;
/** GitHub's published SSH host key (docs.github.com, "GitHub's SSH key fingerprints"). */
export const GITHUB_KNOWN_HOSTS = "github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";

export interface ClusterSettings {
    readonly kubernetesVersion: string;
    /** CIDR blocks that may reach the public API endpoint; empty: the endpoint is private only. */
    readonly apiAllowedCidrs: readonly string[];
    /** IAM role or user ARNs given cluster-admin through EKS access entries. */
    readonly clusterAdminArns: readonly string[];
    readonly nodeInstanceType: string;
    readonly nodeCount: number;
    readonly nodeDiskGb: number;
    /** ON_DEMAND, or SPOT (cheaper, interruptible: see nodeCapacityType's description). */
    readonly nodeCapacityType: NodeCapacityType;
    /** Further types a SPOT group may launch, each of nodeInstanceType's size (more Spot pools, fewer interruptions). */
    readonly nodeSpotAlternativeTypes: readonly string[];
    /** Which control-plane components send their logs to CloudWatch. */
    readonly controlPlaneLogTypes: readonly ControlPlaneLogType[];
    /** The control-plane log group's class: STANDARD, or INFREQUENT_ACCESS (half the ingestion price). */
    readonly controlPlaneLogClass: LogGroupClass;
}

export const NODE_CAPACITY_TYPES = ["ON_DEMAND", "SPOT"] as const;
export type NodeCapacityType = (typeof NODE_CAPACITY_TYPES)[number];
/** EKS's five control-plane log types (EKS User Guide, "Amazon EKS control plane logging"). */
export const CONTROL_PLANE_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"] as const;
export type ControlPlaneLogType = (typeof CONTROL_PLANE_LOG_TYPES)[number];
/** The default, and what the policy pack requires unless told otherwise (policy/rules.ts). */
export const DEFAULT_CONTROL_PLANE_LOG_TYPES: readonly ControlPlaneLogType[] = ["api", "audit", "authenticator"];
export const LOG_GROUP_CLASSES = ["STANDARD", "INFREQUENT_ACCESS"] as const;
export type LogGroupClass = (typeof LOG_GROUP_CLASSES)[number];

export interface AirflowSettings {
    readonly gitopsRepositoryUrl: string;
    readonly gitopsBranch: string;
    /** The stack's folder in the GitOps repository, e.g. ./clusters/prod. */
    readonly gitopsPath: string;
    readonly gitopsKnownHosts: string;
    /** ACM certificate of the UI; unset: no load balancer (kubectl port-forward). */
    readonly uiCertificateArn?: string;
    readonly uiAllowedCidrs: readonly string[];
    /** The zones the UI's load balancer spans (and the API server runs in): two or more of availabilityZones. */
    readonly uiLoadBalancerZones: readonly string[];
    /** Managed policies for task pods' role (the DAGs' own work). */
    readonly taskRoleManagedPolicyArns: readonly string[];
    /** An inline IAM policy document (JSON) for task pods' role; checked by identityPolicyProblems. */
    readonly taskRolePolicy?: string;
}

export const CLUSTER_KEYS: readonly ConfigKey[] = [
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
        name: "nodeCapacityType",
        type: "string",
        group: "AirflowCluster",
        description: "ON_DEMAND, or SPOT: about 65% cheaper, but EC2 may take a node back at two minutes' notice. The managed node group then drains it (capacity rebalancing) and Airflow's pods restart on another node; a task that was running is retried as its retries allow, and a night with no Spot capacity leaves the wake failing (the wake-errors alarm). Airflow's scheduler and API server run on the same nodes.",
        default: "ON_DEMAND",
        allowed: NODE_CAPACITY_TYPES.join(" | "),
        check: oneOf(NODE_CAPACITY_TYPES),
    },
    {
        name: "nodeSpotAlternativeTypes",
        type: "array",
        group: "AirflowCluster",
        description: "With SPOT: further instance types the node group may launch besides nodeInstanceType, each with its vCPUs and memory. More Spot pools, fewer interruptions and failed launches (EC2 Spot best practices: be flexible about instance types). The estimate prices the dearest.",
        default: [],
        allowed: "x86_64 types of nodeInstanceType's vCPUs and memory, each priced; only with nodeCapacityType SPOT",
    },
    {
        name: "controlPlaneLogTypes",
        type: "array",
        group: "AirflowCluster",
        description: "The control-plane components whose logs EKS sends to CloudWatch. The policy pack requires api, audit and authenticator unless its requiredLogTypes says otherwise.",
        default: [...DEFAULT_CONTROL_PLANE_LOG_TYPES],
        allowed: `distinct values of ${CONTROL_PLANE_LOG_TYPES.join(", ")} (empty: none)`,
        check: (v: string[]) => {
            const unknown = v.filter((t) => !(CONTROL_PLANE_LOG_TYPES as readonly string[]).includes(t));
            if (unknown.length > 0) return `${unknown.join(", ")} ${unknown.length === 1 ? "is not a" : "are not"} log type${unknown.length === 1 ? "" : "s"}; allowed: ${CONTROL_PLANE_LOG_TYPES.join(", ")}`;
            if (new Set(v).size !== v.length) return "log types must be distinct";
            return undefined;
        },
    },
    {
        name: "controlPlaneLogClass",
        type: "string",
        group: "AirflowCluster",
        description: "The control-plane log group's class. INFREQUENT_ACCESS halves the ingestion price and keeps Logs Insights queries, without live tail, metric or subscription filters (none of which the platform uses). Fixed when the group is created: a change replaces the group and its logs.",
        default: "STANDARD",
        allowed: LOG_GROUP_CLASSES.join(" | "),
        check: oneOf(LOG_GROUP_CLASSES),
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
        name: "taskRoleManagedPolicyArns",
        type: "array",
        group: "AirflowCluster",
        description: "Managed IAM policies for the task pods' role, for the DAGs' own work (read a data bucket, write to a warehouse). Kept apart from the platform's own grants, and from Airflow's components, which never get them.",
        default: [],
        allowed: "up to 9 IAM policy ARNs (arn:aws:iam::aws:policy/... or arn:aws:iam::<account>:policy/...)",
        check: (v: string[]) => {
            const bad = v.filter((a) => !/^arn:aws:iam::(aws|\d{12}):policy\/[\w+=,.@/-]+$/.test(a));
            if (bad.length > 0) return `${bad.join(", ")} ${bad.length === 1 ? "is not an IAM policy ARN" : "are not IAM policy ARNs"}`;
            if (new Set(v).size !== v.length) return "policy ARNs must be distinct";
            // IAM's default quota is 10 managed policies a role; one is left for the operator's own use.
            if (v.length > 9) return `${v.length} given; at most 9 (IAM allows 10 managed policies a role by default)`;
            return undefined;
        },
    },
    {
        name: "taskRolePolicy",
        type: "string",
        group: "AirflowCluster",
        description: "An inline IAM policy document (JSON, as in the IAM console) for the task pods' role, for the DAGs' own work. Checked before anything is created; the policy pack reports wildcards in it as everywhere.",
        optional: true,
        allowed: "a JSON IAM identity policy: Version 2012-10-17, Statements with Effect, Action or NotAction, Resource or NotResource (no Principal), at most 8,192 characters",
        check: (v: string) => {
            const problems = identityPolicyProblems(v, 8_192);
            return problems.length === 0 ? undefined : problems.join("; ");
        },
    },
    {
        name: "uiLoadBalancerZones",
        type: "array",
        group: "AirflowCluster",
        description: "The zones the UI's load balancer spans; Airflow's API server is kept in them, since a load balancer sends nothing to targets in a zone it does not span. Each zone is a public IPv4 address billed all month; an internet-facing ALB needs two. Unset: every zone of availabilityZones.",
        optional: true,
        allowed: "2 or more distinct zones of availabilityZones",
    },
];
