// Permissions that suffice: every AWS call a piece of code makes, recorded by SDK middleware, then
// judged against IAM documents the way IAM judges an identity policy (IAM User Guide, "Policy
// evaluation logic"): an explicit Deny wins, else some Allow must match the action, the resource and
// every condition. moto enforces no IAM; this does, for what the calls name.

import type { PolicyDocument, PolicyStatement } from "../core/policies";

export interface RecordedCall {
    /** The IAM action, e.g. eks:DescribeNodegroup. */
    readonly action: string;
    readonly input: Record<string, any>;
}

/** Client class → IAM service prefix; operation → action name where IAM names it differently. */
const SERVICE: Record<string, string> = { EKSClient: "eks", RDSClient: "rds", SSMClient: "ssm", DynamoDBClient: "dynamodb", S3Client: "s3", SNSClient: "sns", LambdaClient: "lambda" };
const ACTION_ALIASES: Record<string, string> = { "s3:ListObjectsV2": "s3:ListBucket", "s3:HeadObject": "s3:GetObject" };

/** Adds a recording middleware to each SDK client; returns the list it fills. */
export function recordCalls(clients: Record<string, { middlewareStack: { add: (...args: any[]) => void } }>): RecordedCall[] {
    const calls: RecordedCall[] = [];
    for (const client of Object.values(clients)) {
        client.middlewareStack.add((next: (a: any) => Promise<any>, context: { clientName?: string; commandName?: string }) => async (args: { input: Record<string, any> }) => {
            const service = SERVICE[context.clientName ?? ""] ?? context.clientName;
            const action = `${service}:${(context.commandName ?? "").replace(/Command$/, "")}`;
            calls.push({ action: ACTION_ALIASES[action] ?? action, input: args.input });
            return next(args);
        }, { step: "initialize", name: "recordIamCalls" });
    }
    return calls;
}

/** A request as IAM sees it: the action, the resource ARN, and the condition keys the request carries. */
export interface Request {
    readonly action: string;
    readonly resource: string;
    readonly context: Readonly<Record<string, string>>;
}

/** IAM's wildcards (* and ?): actions match without regard to case, resources and condition values with it. */
const wildcard = (pattern: string, value: string, ignoreCase: boolean) =>
    new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, ignoreCase ? "i" : "").test(value);
const glob = (pattern: string, value: string) => wildcard(pattern, value, true);
const globCase = (pattern: string, value: string) => wildcard(pattern, value, false);
const list = <T>(v: T | readonly T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? [...v] : [v as T]);

/** Condition operators this project's policies use; any other is unknown and fails closed. */
function conditionHolds(condition: PolicyStatement["Condition"], context: Readonly<Record<string, string>>): boolean {
    for (const [op, keys] of Object.entries(condition ?? {})) {
        for (const [key, expected] of Object.entries(keys)) {
            const ifExists = op.endsWith("IfExists");
            const base = ifExists ? op.slice(0, -"IfExists".length) : op;
            const actual = context[key];
            if (actual === undefined) {
                if (ifExists) continue;
                return false;
            }
            const values = list(expected as string | readonly string[]).map(String);
            const ok = base === "StringEquals" || base === "ArnEquals" ? values.includes(actual)
                : base === "StringLike" || base === "ArnLike" ? values.some((v) => globCase(v, actual))
                    : base === "Bool" ? values.includes(actual)
                        : false;
            if (!ok) return false;
        }
    }
    return true;
}

function matches(s: PolicyStatement & { NotAction?: unknown; NotResource?: unknown }, r: Request): boolean {
    const actionOk = s.Action !== undefined ? list(s.Action).some((a) => glob(a, r.action)) : !list(s.NotAction as string | string[]).some((a) => glob(a, r.action));
    const resourceOk = s.Resource !== undefined ? list(s.Resource).some((p) => globCase(p, r.resource)) : !list(s.NotResource as string | string[]).some((p) => globCase(p, r.resource));
    return actionOk && resourceOk && conditionHolds(s.Condition, r.context);
}

/** IAM's verdict on one request against identity policies. */
export function decideIam(documents: readonly PolicyDocument[], r: Request): "allowed" | "denied" | "implicitly denied" {
    const statements = documents.flatMap((d) => d.Statement);
    if (statements.some((s) => s.Effect === "Deny" && matches(s, r))) return "denied";
    return statements.some((s) => s.Effect === "Allow" && matches(s, r)) ? "allowed" : "implicitly denied";
}
