// `npm run power -- wake|start-db|sleep|status|keep-awake|account [--hours N] --stack <name>`: the
// NightlyScheduler's override for an operator (a backfill, a look at the UI in the afternoon, a
// daytime `pulumi up` that changes the metastore), with the operator's own AWS credentials and the same
// adapters and decisions as the Lambda functions; and the one-time check of the account's Lambda
// concurrency.
//
// The stack's names and settings come from the stack output `powerContext`, read with
// `pulumi stack output powerContext --stack <name> --json`; `--context <file>` reads the same JSON from a
// file instead (for a machine without the Pulumi CLI: save it once with
// `pulumi stack output powerContext --stack prod > prod-power.json`).

import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import { keepAwake, operatorSleep, operatorStartDb, operatorWake, status, type PowerContext } from "./handlers";
import { lambdaAccountSettings } from "./aws-lambda-account";
import { concurrencyVerdict } from "./account";

export const COMMANDS = ["wake", "start-db", "sleep", "status", "keep-awake", "account"] as const;
export type Command = (typeof COMMANDS)[number];

export interface PowerArgs {
    readonly command: Command;
    readonly stack: string;
    /** keep-awake: hours from now (0 clears it); wake and start-db: the keep-awake they set (default 2). */
    readonly hours: number;
    readonly contextFile?: string;
    readonly by: string;
}

export const USAGE = "usage: npm run power -- wake|start-db|sleep|status|keep-awake|account [--hours N] --stack <name> [--context <file>] [--by <name>]";
export const DEFAULT_HOURS = 2;
/** A keep-awake longer than RDS's 7-day stop limit makes no sense; a day is plenty for a backfill. */
export const MAX_HOURS = 24;

function option(argv: readonly string[], name: string): { value?: string; present: boolean } {
    const i = argv.indexOf(name);
    if (i >= 0) return { value: argv[i + 1]?.startsWith("--") ? undefined : argv[i + 1], present: true };
    const eq = argv.find((a) => a.startsWith(`${name}=`));
    return eq === undefined ? { present: false } : { value: eq.slice(name.length + 1), present: true };
}

/** The arguments, or what is wrong with them. */
export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): PowerArgs | string {
    const known = new Set(["--stack", "--hours", "--context", "--by"]);
    const positional: string[] = [];
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a.startsWith("--")) {
            const flag = a.includes("=") ? a.slice(0, a.indexOf("=")) : a;
            if (!known.has(flag)) return `unknown option ${flag}`;
            if (!a.includes("=")) i++;
            continue;
        }
        positional.push(a);
    }
    if (positional.length !== 1) return positional.length === 0 ? "a command is required" : `one command only, got ${positional.join(" ")}`;
    const command = positional[0] as Command;
    if (!COMMANDS.includes(command)) return `unknown command ${positional[0]}: one of ${COMMANDS.join(", ")}`;
    const stack = option(argv, "--stack");
    if (!stack.value) return "--stack <name> is required";
    const hoursOpt = option(argv, "--hours");
    const takesHours = command === "keep-awake" || command === "wake" || command === "start-db";
    if (hoursOpt.present && !takesHours) return `--hours applies to keep-awake, wake and start-db, not ${command}`;
    const hours = hoursOpt.present ? Number(hoursOpt.value) : takesHours ? DEFAULT_HOURS : 0;
    if (!Number.isFinite(hours) || hours < 0 || hours > MAX_HOURS) return `--hours must be a number from 0 to ${MAX_HOURS}`;
    if ((command === "wake" || command === "start-db") && hours === 0) return `${command} needs --hours > 0: the keep-awake that stops the watcher from putting the platform straight back to sleep`;
    const context = option(argv, "--context");
    if (context.present && !context.value) return "--context needs a file";
    const by = option(argv, "--by").value ?? env.USER ?? os.userInfo().username;
    return { command, stack: stack.value, hours, contextFile: context.value, by };
}

export type Runner = (file: string, args: string[]) => string;
const runPulumi: Runner = (file, args) => execFileSync(file, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

/**
 * A stack output, parsed: from `file` if given, else `pulumi stack output <name> --json --stack <stack>`.
 * `--json` prints the output (a JSON string) as a JSON string literal; a saved file may hold either.
 */
export function readStackOutput(name: string, args: { readonly stack: string; readonly contextFile?: string }, run: Runner = runPulumi): unknown {
    let raw: string;
    if (args.contextFile !== undefined) {
        raw = fs.readFileSync(args.contextFile, "utf8");
    } else {
        try {
            raw = run("pulumi", ["stack", "output", name, "--json", "--stack", args.stack]);
        } catch (err) {
            throw new Error(`could not read the stack output ${name} of ${args.stack} (is the Pulumi CLI installed and logged in, and the stack deployed by this version?): ${(err as Error).message}`);
        }
    }
    const value: unknown = JSON.parse(raw);
    return typeof value === "string" ? JSON.parse(value) : value;
}

/** A power context, checked: the names a command needs, and the stack it is for. */
export function checkPowerContext(value: unknown, stack: string): PowerContext {
    const ctx = value as PowerContext;
    for (const key of ["clusterName", "nodeGroupName", "dbInstanceIdentifier", "settings"] as const) {
        if (ctx?.[key] === undefined) throw new Error(`the power context of ${stack} has no ${key}`);
    }
    if (ctx.stack !== stack) throw new Error(`the power context is for stack ${ctx.stack}, not ${stack}`);
    return ctx;
}

/** The stack's power context: from --context, else from `pulumi stack output powerContext`. */
export function resolveContext(args: Pick<PowerArgs, "stack" | "contextFile">, run: Runner = runPulumi): PowerContext {
    return checkPowerContext(readStackOutput("powerContext", args, run), args.stack);
}

/** Runs one command; returns the text to print. `clients`: where the AWS calls go (the tests: moto). */
export async function run(args: PowerArgs, ctx: PowerContext, clients?: { lambda?: import("@aws-sdk/client-lambda").LambdaClient }): Promise<string> {
    switch (args.command) {
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

async function main(): Promise<number> {
    const args = parseArgs(process.argv.slice(2));
    if (typeof args === "string") {
        console.error(`${args}\n${USAGE}`);
        return 2;
    }
    try {
        console.log(await run(args, resolveContext(args)));
        return 0;
    } catch (err) {
        console.error(`power ${args.command} --stack ${args.stack} failed: ${(err as Error).message}`);
        return 1;
    }
}

if (require.main === module) {
    main().then((code) => process.exit(code), (err) => {
        console.error(err);
        process.exit(1);
    });
}
