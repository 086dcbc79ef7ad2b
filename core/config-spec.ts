// What every part's configuration keys are made of: the key's shape, the small rules they share,
// and the project's name and environments. The keys themselves live with the part that reads them
// (network/config-keys.ts, cluster/config-keys.ts, ...); config/config.ts assembles one table.

export const PROJECT = "data-platform";

export const ENVIRONMENTS = ["prod", "staging"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** Something to act on that does not stop a deploy: the key, its value, and what to do. */
export interface ConfigWarning {
    readonly key: string;
    readonly value: string | undefined;
    readonly message: string;
}

export type ConfigType = "string" | "integer" | "boolean" | "array";
export type ConfigValue = string | number | boolean | string[];

export interface ConfigKey {
    /** Full key as `pulumi config set` takes it: "aws:region", or a project key without namespace. */
    readonly name: string;
    readonly type: ConfigType;
    readonly group: string;
    readonly description: string;
    /** Default when the stack does not set it; absent means the key is required (or optional, see below). */
    readonly default?: ConfigValue;
    /** Neither required nor defaulted: absence means "not used". */
    readonly optional?: boolean;
    /** What is allowed, in words; shown in errors and in the README. */
    readonly allowed: string;
    /** Extra check on a value of the right type; returns a reason when the value is not allowed. */
    readonly check?: (value: never) => string | undefined;
}

/** The key as it appears in stack files: project keys get the project's namespace. */
export function qualifiedKey(name: string): string {
    return name.includes(":") ? name : `${PROJECT}:${name}`;
}

export const oneOf = (values: readonly (string | number)[]) => (v: string | number) =>
    values.includes(v) ? undefined : `must be one of ${values.join(", ")}`;
export const intRange = (min: number, max: number) => (v: number) => (v >= min && v <= max ? undefined : `must be from ${min} to ${max}`);
export const matches = (re: RegExp, what: string) => (v: string) => (re.test(v) ? undefined : what);

export const IAM_PRINCIPAL_ARN_RE = /^arn:aws:iam::\d{12}:(role|user)\/[\w+=,.@/-]{1,512}$/;
// A branch name that is safe inside the OIDC subject "repo:owner/name:ref:refs/heads/<branch>":
// git's own rules (no "..", no leading or trailing "/") and no IAM wildcard characters.
export const BRANCH_RE = /^(?!\/)(?!.*\/\/)(?!.*\.\.)(?!.*\/$)[A-Za-z0-9._/-]{1,200}$/;
