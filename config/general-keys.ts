// The stack-wide keys: region, environment, where alarms go, how long logs stay.

import { ENVIRONMENTS, matches, oneOf, type ConfigKey } from "../core/config-spec";

const REGION_RE = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;
// Regions of the other partitions (aws-cn, aws-us-gov, aws-iso*): their ARNs do not start with
// "arn:aws:", which the policy documents and managed-policy ARNs here are written with.
const OTHER_PARTITION_RE = /^(cn-|us-gov-|us-iso|eu-iso)/;

/** CloudWatch Logs accepts only these retention periods (PutRetentionPolicy API reference). */
export const CLOUDWATCH_RETENTION_DAYS = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export const GENERAL_KEYS: readonly ConfigKey[] = [
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
        name: "logRetentionDays",
        type: "integer",
        group: "General",
        description: "Retention of the CloudWatch log groups the platform creates (PostgreSQL logs, ...).",
        default: 30,
        allowed: `one of CloudWatch's periods: ${CLOUDWATCH_RETENTION_DAYS.join(", ")}`,
        check: oneOf(CLOUDWATCH_RETENTION_DAYS),
    },
    {
        name: "sharedKmsKey",
        type: "boolean",
        group: "General",
        description: "One customer-managed KMS key for the whole stack (Kubernetes secrets, the metastore, task logs and search, the scheduler's credential, the log groups) instead of one per part: $1 a month a key saved, each service still encrypted with a customer-managed key as the security checklist asks. What it gives up is separate key policies per part. Fixed at creation: a change replaces the metastore, the cluster and the search domain (their key cannot change).",
        default: false,
        allowed: "true | false",
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
];
