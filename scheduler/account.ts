// Checks of the AWS account and identity a deploy runs in, that config alone cannot make: whether the
// identity running `pulumi up` will be able to reach the cluster it creates, and whether the account's
// Lambda concurrency allows what the stack asks. Pure: the caller's ARN and the account's settings come in.

/** An IAM principal as an EKS access entry names it. */
export type Principal =
    | { readonly kind: "role"; readonly account: string; readonly name: string }
    | { readonly kind: "user"; readonly account: string; readonly arn: string }
    | { readonly kind: "root"; readonly account: string }
    | { readonly kind: "other"; readonly arn: string };

const ASSUMED_ROLE_RE = /^arn:aws[a-z-]*:sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/;
const ROLE_RE = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:[^/]+\/)*([^/]+)$/;
const USER_RE = /^arn:aws[a-z-]*:iam::(\d{12}):user\/(?:[^/]+\/)*[^/]+$/;
const ROOT_RE = /^arn:aws[a-z-]*:iam::(\d{12}):root$/;

/**
 * What STS's GetCallerIdentity ARN stands for. A role session (`pulumi up` with SSO or an assumed
 * role: arn:aws:sts::<account>:assumed-role/<name>/<session>) stands for its role; the session ARN
 * omits the role's path (IAM User Guide, "IAM identifiers"), so a role is known by account and name.
 */
export function principalOf(arn: string): Principal {
    let m = ASSUMED_ROLE_RE.exec(arn) ?? ROLE_RE.exec(arn);
    if (m) return { kind: "role", account: m[1], name: m[2] };
    m = USER_RE.exec(arn);
    if (m) return { kind: "user", account: m[1], arn };
    m = ROOT_RE.exec(arn);
    if (m) return { kind: "root", account: m[1] };
    return { kind: "other", arn };
}

function samePrincipal(a: Principal, b: Principal): boolean {
    if (a.kind === "role" && b.kind === "role") return a.account === b.account && a.name === b.name;
    if (a.kind === "user" && b.kind === "user") return a.arn === b.arn;
    return false;
}

export type AdminCheck =
    | { readonly ok: true; readonly admin: string }
    | { readonly ok: false; readonly problem: string };

/**
 * Whether the identity running `pulumi up` is one of the cluster's admins. EKS gives a cluster's
 * creator no implicit access when the program sets bootstrapClusterCreatorAdminPermissions false
 * (cluster/component.ts), and the program's Kubernetes provider authenticates as that
 * same identity: a caller outside clusterAdminArns gets "Unauthorized" half way through the first
 * deploy, after the cluster exists, and cannot reach it afterwards.
 */
export function checkDeployerIsAdmin(callerArn: string, admins: readonly string[], stack: string): AdminCheck {
    const caller = principalOf(callerArn);
    const match = admins.find((a) => samePrincipal(caller, principalOf(a)));
    if (match !== undefined) return { ok: true, admin: match };
    const suggestion = caller.kind === "role" ? `arn:aws:iam::${caller.account}:role/${caller.name}` + " (with its path, if the role has one: aws iam get-role --role-name " + caller.name + " --query Role.Arn)"
        : caller.kind === "user" ? caller.arn : undefined;
    const why = caller.kind === "root" ? "the account's root user cannot be given an access entry here: run pulumi up as an IAM role or user"
        : caller.kind === "other" ? `it is not an IAM role or user session`
        : `add ${suggestion} to data-platform:clusterAdminArns in Pulumi.${stack}.yaml, or run pulumi up as one of the admins (${admins.join(", ")})`;
    return {
        ok: false,
        problem: `the identity running pulumi up, ${callerArn}, is not in clusterAdminArns: the program's Kubernetes provider authenticates as it and EKS grants it nothing, so the deploy would stop half way with "Unauthorized" after creating the cluster. Fix: ${why}.`,
    };
}

// ---------------------------------------------------------------- Lambda concurrency

/** Lambda refuses a reservation that leaves fewer than this many unreserved (Lambda Developer Guide, "Configuring reserved concurrency"). */
export const LAMBDA_MIN_UNRESERVED = 100;
/** The Service Quotas code of "Concurrent executions" (AWS Lambda). */
export const LAMBDA_CONCURRENCY_QUOTA = "L-B99A9384";
/** Functions the NightlyScheduler runs (wake, watch); each reserves 1 when powerReservedConcurrency is on. */
export const POWER_FUNCTIONS = 2;

export interface LambdaAccountSettings {
    /** AccountLimit.ConcurrentExecutions */
    readonly concurrentExecutions: number;
    /** AccountLimit.UnreservedConcurrentExecutions */
    readonly unreservedConcurrentExecutions: number;
}

export interface ConcurrencyVerdict {
    /** Whether this stack's setting works in this account. */
    readonly ok: boolean;
    /** Whether powerReservedConcurrency true would be accepted. */
    readonly reservationPossible: boolean;
    readonly lines: readonly string[];
}

/** What the account's Lambda concurrency means for the NightlyScheduler, with the fix when it does not fit. */
export function concurrencyVerdict(account: LambdaAccountSettings, reserve: boolean, region: string): ConcurrencyVerdict {
    const { concurrentExecutions: limit, unreservedConcurrentExecutions: unreserved } = account;
    const reservationPossible = unreserved - POWER_FUNCTIONS >= LAMBDA_MIN_UNRESERVED;
    const raise = `to raise it: aws service-quotas request-service-quota-increase --service-code lambda --quota-code ${LAMBDA_CONCURRENCY_QUOTA} --desired-value 1000 --region ${region}`;
    const lines = [
        `Lambda concurrency in ${region}: limit ${limit}, unreserved ${unreserved}.`,
        limit >= POWER_FUNCTIONS
            ? `Without reservation (powerReservedConcurrency false, the default) the scheduler needs ${POWER_FUNCTIONS} at most: it fits (a lease serialises the functions).`
            : `The scheduler's ${POWER_FUNCTIONS} functions cannot run at once under a limit of ${limit}; ${raise}.`,
        reservationPossible
            ? `powerReservedConcurrency true is possible: reserving ${POWER_FUNCTIONS} leaves ${unreserved - POWER_FUNCTIONS} unreserved (Lambda requires ${LAMBDA_MIN_UNRESERVED}).`
            : `powerReservedConcurrency true is not possible: reserving ${POWER_FUNCTIONS} would leave ${unreserved - POWER_FUNCTIONS} unreserved, under the ${LAMBDA_MIN_UNRESERVED} Lambda requires${reserve ? "; set it to false, or " + raise : ` (${raise})`}.`,
    ];
    return { ok: limit >= POWER_FUNCTIONS && (!reserve || reservationPossible), reservationPossible, lines };
}
