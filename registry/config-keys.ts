// The Registry's configuration keys (the image registry and the DAG repository's CI that pushes to it)
// and the settings the component takes.

import { BRANCH_RE, intRange, matches, type ConfigKey } from "../core/config-spec";

const GITHUB_REPO_RE = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;
// GitHub environment names: up to 255 characters; kept to characters that are literal in an IAM
// StringEquals condition and in the OIDC subject "repo:owner/name:environment:<name>".
const GITHUB_ENVIRONMENT_RE = /^[A-Za-z0-9._-][A-Za-z0-9 ._-]{0,254}$/;

export interface RegistrySettings {
    readonly ciRepository: string;
    readonly ciBranch: string;
    /** A GitHub environment whose jobs may also assume the CI role (their OIDC subject names it, not the branch). */
    readonly ciEnvironment?: string;
    /** Create the account's GitHub OIDC provider; otherwise the stack references it by its fixed ARN. */
    readonly createGithubOidcProvider: boolean;
    readonly keepTaggedImages: number;
    readonly untaggedExpiryDays: number;
}

export const REGISTRY_KEYS: readonly ConfigKey[] = [
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
