// The LogStore's configuration keys and the settings the component takes.

import { intRange, oneOf, type ConfigKey } from "../core/config-spec";
import { OPENSEARCH_INSTANCE_TYPES } from "../core/instance-types";

export interface LogStoreSettings {
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
}

export const LOG_STORE_KEYS: readonly ConfigKey[] = [
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
];
