// `npm run restore -- --stack <name> [--time <ISO time> | --latest] [--keep]`: restores the metastore at
// a point in time into a copy beside the live instance (metastore/restore.ts, metastore/restore-aws.ts). Without
// --keep it is a drill: the copy is deleted once it is available, which proves the backups restore.
// With --keep the copy stays for a restore of the data (README "Restoring the metastore").

import { exitWith, parseOptions, runCli, type OptionSpec } from "../core/args";
import { checkStackOutput, readStackOutput } from "../core/stack-output";
import { restoreCopy } from "./restore-aws";
import type { RestoreTime } from "./restore";

export const OPTIONS: readonly OptionSpec[] = [
    { name: "--stack", value: "<name>", help: "the stack whose metastore to restore (required)" },
    { name: "--time", value: "<ISO time>", help: "the moment to restore, e.g. 2026-12-01T23:30:00Z" },
    { name: "--latest", help: "the latest restorable moment (about five minutes ago); the default" },
    { name: "--keep", help: "keep the copy (for a restore of the data); without it the copy is deleted once available" },
    { name: "--context", value: "<file>", help: "read the stack output powerContext from this file instead of `pulumi stack output`" },
];
export const USAGE = "usage: npm run restore -- --stack <name> [--time <ISO time> | --latest] [--keep] [--context <file>]";
const ABOUT = [
    "Restores the metastore at a point in time into a new instance, <identifier>-restore-<time>, in the live",
    "instance's subnets and security groups; the live instance is not touched. A drill (no --keep) deletes",
    "the copy once it is available: run one a month, it costs an hour of a small instance.",
].join("\n");

export interface RestoreArgs {
    readonly stack: string;
    readonly time: RestoreTime;
    readonly keep: boolean;
    readonly contextFile?: string;
}

export function parseRestoreArgs(argv: readonly string[]): RestoreArgs | "help" | string {
    const parsed = parseOptions(argv, OPTIONS);
    if (typeof parsed === "string") return parsed;
    const v = parsed.values;
    if (typeof v["--stack"] !== "string") return "--stack <name> is required";
    if (v["--time"] !== undefined && v["--latest"] !== undefined) return "--time and --latest exclude each other";
    let time: RestoreTime = { latest: true };
    if (typeof v["--time"] === "string") {
        // An explicit zone: a restore at the wrong hour is a silent loss of an hour's runs.
        if (!/(Z|[+-]\d\d:\d\d)$/.test(v["--time"])) return `--time ${v["--time"]}: give the zone (Z or +hh:mm), e.g. 2026-12-01T23:30:00Z`;
        const at = new Date(v["--time"]);
        if (Number.isNaN(at.getTime())) return `--time ${v["--time"]} is not a time: e.g. 2026-12-01T23:30:00Z`;
        time = { at };
    }
    return { stack: v["--stack"], time, keep: v["--keep"] === true, contextFile: v["--context"] as string | undefined };
}

if (require.main === module) {
    exitWith(() => runCli(process.argv.slice(2), {
        usage: USAGE, about: ABOUT, options: OPTIONS, parse: (argv) => parseRestoreArgs(argv),
        failure: (args) => `restore --stack ${args.stack}`,
        body: async (args) => {
            // The metastore's name and region, from the same stack output the power script reads.
            const ctx = checkStackOutput<{ region?: string; dbInstanceIdentifier: string }>(readStackOutput("powerContext", args), { name: "power context", stack: args.stack, keys: ["dbInstanceIdentifier"] });
            const { RDSClient } = require("@aws-sdk/client-rds") as typeof import("@aws-sdk/client-rds");
            const result = await restoreCopy(new RDSClient(ctx.region ? { region: ctx.region } : {}), {
                source: ctx.dbInstanceIdentifier, time: args.time, keep: args.keep, now: new Date(), log: (l) => console.log(l),
            });
            console.log(`restored ${result.restoredTo} in ${result.minutesToAvailable} min${result.kept ? `; the copy ${result.copy} is kept (${result.endpoint}): it is billed until deleted` : ""}`);
            return 0;
        },
    }));
}
