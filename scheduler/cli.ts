// `npm run power -- wake|start-db|sleep|status|keep-awake|report|account [--hours N] [--nights N] --stack <name>`: the
// NightlyScheduler's override for an operator (a backfill, a look at the UI in the afternoon, a
// daytime `pulumi up` that changes the metastore), with the operator's own AWS credentials and the same
// adapters and decisions as the Lambda functions; and the one-time check of the account's Lambda
// concurrency.
//
// The stack's names and settings come from the stack output `powerContext`, read with
// `pulumi stack output powerContext --stack <name> --json`; `--context <file>` reads the same JSON from a
// file instead (for a machine without the Pulumi CLI: save it once with
// `pulumi stack output powerContext --stack prod > prod-power.json`).

import * as os from "os";
import { keepAwake, makeClients, operatorSleep, operatorStartDb, operatorWake, status, type PowerContext } from "./handlers";
import { recentReports } from "./aws-report";
import { reportText } from "./report";
import { lambdaAccountSettings } from "./aws-lambda-account";
import { concurrencyVerdict } from "./account";
import { exitWith, parseOptions, runCli, type OptionSpec } from "../core/args";
import { checkStackOutput, readStackOutput, type Runner } from "../core/stack-output";

export const COMMANDS = ["wake", "start-db", "sleep", "status", "keep-awake", "report", "account"] as const;
export type Command = (typeof COMMANDS)[number];

export interface PowerArgs {
    readonly command: Command;
    readonly stack: string;
    /** keep-awake: hours from now (0 clears it); wake and start-db: the keep-awake they set (default 2). */
    readonly hours: number;
    readonly contextFile?: string;
    readonly by: string;
    /** report: how many nights, newest last. */
    readonly nights: number;
}

export const USAGE = "usage: npm run power -- wake|start-db|sleep|status|keep-awake|report|account [--hours N] [--nights N] --stack <name> [--context <file>] [--by <name>]";
export const DEFAULT_NIGHTS = 3;
export const DEFAULT_HOURS = 2;
/** A keep-awake longer than RDS's 7-day stop limit makes no sense; a day is plenty for a backfill. */
export const MAX_HOURS = 24;
export const OPTIONS: readonly OptionSpec[] = [
    { name: "--stack", value: "<name>", help: "the stack (required)" },
    { name: "--hours", value: "<N>", help: `keep-awake: hours from now, 0 clears it; wake and start-db: the keep-awake they set (default ${DEFAULT_HOURS}, at most ${MAX_HOURS})` },
    { name: "--context", value: "<file>", help: "read the stack output powerContext from this file instead of `pulumi stack output`" },
    { name: "--by", value: "<name>", help: "who asks, recorded on the keep-awake flag (default: $USER)" },
    { name: "--nights", value: "<N>", help: `report: the last N nights' morning reports (default ${DEFAULT_NIGHTS}, at most 90)` },
];
const ABOUT = [
    "The NightlyScheduler's override, with your own AWS credentials:",
    "  wake        start the metastore and the nodes now, and keep the platform awake --hours",
    "  start-db    start only the metastore (for a daytime pulumi up that changes it), kept awake --hours",
    "  sleep       put the platform to sleep now (nodes to zero, the metastore stopped after its backup)",
    "  status      what is up, the keep-awake flag, and what the watcher would decide",
    "  keep-awake  stop the watcher from putting the platform to sleep for --hours (0 clears it)",
    "  report      print the last --nights morning reports (kept in the task-log bucket under reports/)",
    "  account     check the account's Lambda concurrency against the stack's settings",
].join("\n");

/** The arguments, or what is wrong with them. */
export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): PowerArgs | "help" | string {
    const parsed = parseOptions(argv, OPTIONS, { positional: true });
    if (typeof parsed === "string") return parsed;
    const positional = parsed.positional;
    if (positional.length !== 1) return positional.length === 0 ? "a command is required" : `one command only, got ${positional.join(" ")}`;
    const command = positional[0] as Command;
    if (!COMMANDS.includes(command)) return `unknown command ${positional[0]}: one of ${COMMANDS.join(", ")}`;
    const v = parsed.values;
    if (typeof v["--stack"] !== "string") return "--stack <name> is required";
    const takesHours = command === "keep-awake" || command === "wake" || command === "start-db";
    if (v["--hours"] !== undefined && !takesHours) return `--hours applies to keep-awake, wake and start-db, not ${command}`;
    const hours = v["--hours"] !== undefined ? Number(v["--hours"]) : takesHours ? DEFAULT_HOURS : 0;
    if (!Number.isFinite(hours) || hours < 0 || hours > MAX_HOURS) return `--hours must be a number from 0 to ${MAX_HOURS}`;
    if ((command === "wake" || command === "start-db") && hours === 0) return `${command} needs --hours > 0: the keep-awake that stops the watcher from putting the platform straight back to sleep`;
    if (v["--nights"] !== undefined && command !== "report") return `--nights applies to report, not ${command}`;
    const nights = v["--nights"] !== undefined ? Number(v["--nights"]) : DEFAULT_NIGHTS;
    if (!Number.isInteger(nights) || nights < 1 || nights > 90) return "--nights must be a whole number from 1 to 90";
    const by = (v["--by"] as string | undefined) ?? env.USER ?? os.userInfo().username;
    return { command, stack: v["--stack"], hours, contextFile: v["--context"] as string | undefined, by, nights };
}

/** A power context, checked: the names a command needs, and the stack it is for. */
export function checkPowerContext(value: unknown, stack: string): PowerContext {
    return checkStackOutput<PowerContext>(value, { name: "power context", stack, keys: ["clusterName", "nodeGroupName", "dbInstanceIdentifier", "settings"] });
}

/** The stack's power context: from --context, else from `pulumi stack output powerContext`. */
export function resolveContext(args: Pick<PowerArgs, "stack" | "contextFile">, run?: Runner): PowerContext {
    return checkPowerContext(readStackOutput("powerContext", args, run), args.stack);
}

/** Runs one command; returns the text to print. `clients`: where the AWS calls go (the tests: moto). */
export async function run(args: PowerArgs, ctx: PowerContext, clients?: { lambda?: import("@aws-sdk/client-lambda").LambdaClient; s3?: import("@aws-sdk/client-s3").S3Client }): Promise<string> {
    switch (args.command) {
        case "report": {
            if (ctx.report === undefined) throw new Error("this stack's power context names no report bucket: it was deployed before the morning report existed; run pulumi up");
            const reports = await recentReports(clients?.s3 ?? makeClients(ctx.region).s3, ctx.report.bucket, args.nights);
            if (reports.length === 0) return `no morning report yet in s3://${ctx.report.bucket}/reports/ (one is written each time the watcher puts the platform to sleep)`;
            return reports.map((r) => reportText(r, ctx.settings.timeZone)).join(`\n\n${"-".repeat(72)}\n\n`);
        }
        case "start-db": {
            const out = await operatorStartDb(ctx, args.hours, args.by);
            return [`${out.action}: ${out.reason}`, ...out.effects.map((e) => `  - ${e}`),
                "run pulumi up once `npm run power -- status` shows the metastore available; when the keep-awake ends, the watcher applies what RDS deferred and stops it"].join("\n");
        }
        case "account": {
            const { LambdaClient } = require("@aws-sdk/client-lambda") as typeof import("@aws-sdk/client-lambda");
            const region = ctx.region ?? process.env.AWS_REGION ?? "us-east-1";
            const settings = await lambdaAccountSettings(clients?.lambda ?? new LambdaClient({ region }));
            const verdict = concurrencyVerdict(settings, ctx.reservedConcurrency === true, region);
            if (!verdict.ok) throw new Error(`the account does not fit this stack's settings:\n${verdict.lines.join("\n")}`);
            return verdict.lines.join("\n");
        }
        case "status":
            return (await status(ctx)).text;
        case "wake": {
            const out = await operatorWake(ctx, args.hours, args.by);
            return [`${out.action}: ${out.reason}`, ...out.effects.map((e) => `  - ${e}`), "the metastore may take several minutes to become available; `npm run power -- status` shows it"].join("\n");
        }
        case "sleep": {
            const out = await operatorSleep(ctx);
            return [`${out.action}: ${out.reason}`, ...out.effects.map((e) => `  - ${e}`)].join("\n");
        }
        case "keep-awake": {
            const out = await keepAwake(ctx, args.hours, args.by);
            return `${out.reason}${args.hours > 0 ? " (the watcher will not put the platform to sleep before then; it does not wake it: use wake)" : ""}`;
        }
    }
}

if (require.main === module) {
    exitWith(() => runCli(process.argv.slice(2), {
        usage: USAGE, about: ABOUT, options: OPTIONS, parse: (argv) => parseArgs(argv),
        failure: (args) => `power ${args.command} --stack ${args.stack}`,
        body: async (args) => {
            console.log(await run(args, resolveContext(args)));
            return 0;
        },
    }));
}
