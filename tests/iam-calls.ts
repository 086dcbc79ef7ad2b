// Permissions that suffice: every AWS call a piece of code makes, recorded by SDK middleware, then
// judged against IAM documents the way IAM judges an identity policy (IAM User Guide, "Policy
// evaluation logic"): an explicit Deny wins, else some Allow must match the action, the resource and
// every condition. moto enforces no IAM; this does, for what the calls name.

import * as fs from "fs";
import * as path from "path";
import type { PolicyDocument, PolicyStatement } from "../core/policies";

export interface RecordedCall {
    /** The IAM action, e.g. eks:DescribeNodegroup. */
    readonly action: string;
    readonly input: Record<string, any>;
}

/** What the middleware of tests/record-aws-calls.js sees: the SDK's own names and the input. */
interface SdkCall {
    readonly clientName?: string;
    readonly commandName?: string;
    readonly input: Record<string, any>;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const recorder = require("./record-aws-calls.js") as {
    recordingMiddleware: (push: (call: SdkCall) => void) => (next: (a: any) => Promise<any>, context: any) => (args: any) => Promise<any>;
    STEP: Record<string, string>;
};

/** Client class → IAM service prefix; operation → action name where IAM names it differently. */
const SERVICE: Record<string, string> = { EKSClient: "eks", RDSClient: "rds", SSMClient: "ssm", DynamoDBClient: "dynamodb", S3Client: "s3", SNSClient: "sns", LambdaClient: "lambda" };
const ACTION_ALIASES: Record<string, string> = { "s3:ListObjectsV2": "s3:ListBucket", "s3:HeadObject": "s3:GetObject", "lambda:Invoke": "lambda:InvokeFunction" };

function toRecorded(call: SdkCall): RecordedCall {
    const service = SERVICE[call.clientName ?? ""] ?? call.clientName;
    const action = `${service}:${(call.commandName ?? "").replace(/Command$/, "")}`;
    return { action: ACTION_ALIASES[action] ?? action, input: call.input };
}

/** Adds the recording middleware to each SDK client of this process; returns the list it fills. */
export function recordCalls(clients: Record<string, { middlewareStack: { add: (...args: any[]) => void } }>): RecordedCall[] {
    const calls: RecordedCall[] = [];
    for (const client of Object.values(clients)) client.middlewareStack.add(recorder.recordingMiddleware((c) => calls.push(toRecorded(c))), recorder.STEP);
    return calls;
}

/** The preload for another process (node -r): every SDK call it makes lands in `file`, one JSON line each. */
export const RECORDER = path.join(__dirname, "record-aws-calls.js");

/** The calls another process recorded (RECORD_AWS_CALLS=file, with RECORDER preloaded). */
export function readRecordedCalls(file: string): RecordedCall[] {
    if (!fs.existsSync(file)) return [];
    return fs.readFileSync(file, "utf8").split("\n").filter(Boolean).map((line) => toRecorded(JSON.parse(line) as SdkCall));
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

/** Where the calls were made: what IAM sees for the names a call carries. */
export interface CallWorld {
    readonly region: string;
    readonly account: string;
    readonly nodeGroupName: string;
    readonly nodeGroupArn: string;
    readonly dbInstanceIdentifier: string;
    readonly dbInstanceArn: string;
    /** SecureString parameters by name → the KMS key SSM decrypts them with. */
    readonly secureParameters: ReadonlyMap<string, string>;
    /** The KMS key of the buckets the calls read or write (the task-log bucket's). */
    readonly bucketKeyArn: string;
}

/** A moto world (tests/power-fixtures.ts) as IAM sees it: region and account from its instance's ARN. */
export function worldForIam(
    w: Pick<CallWorld, "nodeGroupName" | "nodeGroupArn" | "dbInstanceIdentifier" | "dbInstanceArn">,
    keys: Pick<CallWorld, "secureParameters" | "bucketKeyArn">,
): CallWorld {
    const [, , , region, account] = w.dbInstanceArn.split(":");
    return { region, account, nodeGroupName: w.nodeGroupName, nodeGroupArn: w.nodeGroupArn, dbInstanceIdentifier: w.dbInstanceIdentifier, dbInstanceArn: w.dbInstanceArn, ...keys };
}

/**
 * The requests IAM sees for one recorded call: the call itself on the resource it names, and what
 * the service asks KMS for on the caller's behalf, with the condition keys that service sends
 * (SSM: kms:ViaService and the parameter's ARN as encryption context; S3: kms:ViaService). A call
 * with no rule here fails: add one, so that its permission is judged.
 */
export function requestsOf(call: RecordedCall, w: CallWorld): Request[] {
    const i = call.input;
    const arn = (service: string, rest: string) => `arn:aws:${service}:${w.region}:${w.account}:${rest}`;
    const plain = (resource: string, context: Record<string, string> = {}): Request => ({ action: call.action, resource, context });
    const same = (what: string, got: unknown, want: string) => {
        if (got !== want) throw new Error(`${call.action} names ${what} ${String(got)}, not this platform's ${want}`);
    };
    switch (call.action.split(":")[0]) {
        case "eks":
            if (call.action === "eks:DescribeCluster") return [plain(arn("eks", `cluster/${i.name}`))];
            same("the node group", i.nodegroupName, w.nodeGroupName);
            return [plain(w.nodeGroupArn)];
        case "rds":
            same("the instance", i.DBInstanceIdentifier, w.dbInstanceIdentifier);
            return [plain(w.dbInstanceArn)];
        case "ssm": {
            const parameter = arn("ssm", `parameter${i.Name}`);
            const key = w.secureParameters.get(i.Name);
            const decrypts = call.action === "ssm:GetParameter" && i.WithDecryption && key !== undefined;
            const viaSsm = { "kms:ViaService": `ssm.${w.region}.amazonaws.com`, "kms:EncryptionContext:PARAMETER_ARN": parameter };
            return [plain(parameter), ...(decrypts ? [{ action: "kms:Decrypt", resource: key, context: viaSsm }] : [])];
        }
        case "dynamodb":
            return [plain(arn("dynamodb", `table/${i.TableName}`))];
        case "s3": {
            if (call.action === "s3:ListBucket") return [plain(`arn:aws:s3:::${i.Bucket}`, { "s3:prefix": i.Prefix ?? "" })];
            const kms = call.action === "s3:PutObject" ? "kms:GenerateDataKey" : "kms:Decrypt";
            return [plain(`arn:aws:s3:::${i.Bucket}/${i.Key}`), { action: kms, resource: w.bucketKeyArn, context: { "kms:ViaService": `s3.${w.region}.amazonaws.com` } }];
        }
        case "sns":
            return [plain(i.TopicArn)];
        case "lambda":
            if (call.action === "lambda:GetAccountSettings") return [plain("*")];
            return [plain(String(i.FunctionName).startsWith("arn:") ? i.FunctionName : arn("lambda", `function:${i.FunctionName}`))];
        default:
            throw new Error(`no resource rule for ${call.action}: add one, so that its permission is judged`);
    }
}

/** Each request of each call with IAM's verdict. */
export function verdicts(calls: readonly RecordedCall[], documents: readonly PolicyDocument[], w: CallWorld) {
    return calls.flatMap((c) => requestsOf(c, w)).map((r) => ({ ...r, verdict: decideIam(documents, r) }));
}

/** The requests IAM would refuse, as lines to read in a failure. */
export function refused(calls: readonly RecordedCall[], documents: readonly PolicyDocument[], w: CallWorld): string[] {
    return verdicts(calls, documents, w).filter((v) => v.verdict !== "allowed").map((v) => `${v.action} ${v.resource}: ${v.verdict}`);
}
