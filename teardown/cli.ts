// `npm run teardown -- --stack <name>`: removes a stack so that nothing billable is left, day or night
// (teardown/steps.ts: the steps and why; teardown/run.ts: the calls). Runs with the operator's AWS
// credentials and the Pulumi CLI, from where `pulumi up` runs (the Kubernetes API must be reachable).

import { spawn } from "child_process";
import * as os from "os";
import { makeClients, type PowerContext } from "../scheduler/handlers";
import { makeTeardownClients, teardown, type PulumiRunner } from "./run";
import type { TeardownTarget } from "./steps";
import { exitWith, parseOptions, runCli, type OptionSpec } from "../core/args";
import { checkPowerContext } from "../scheduler/cli";
import { checkStackOutput, readStackOutput, type Runner } from "../core/stack-output";

export const OPTIONS: readonly OptionSpec[] = [
    { name: "--stack", value: "<name>", help: "the stack to remove (required)" },
    { name: "--context", value: "<file>", help: "read the stack output teardownContext from this file instead of `pulumi stack output`" },
    { name: "--yes", help: "pass --yes to pulumi destroy (no confirmation prompts)" },
    { name: "--dry-run", help: "print the steps this run would take, change nothing" },
    { name: "--by", value: "<name>", help: "who asks, recorded on the keep-awake flag (default: $USER)" },
];
export const USAGE = "usage: npm run teardown -- --stack <name> [--context <file>] [--yes] [--dry-run] [--by <name>]";
const ABOUT = [
    "Wakes the platform, has Pulumi delete the root Kustomization alone (Flux removes Airflow, the load",
    "balancer controller its ALB), waits until the controller's load balancers and security groups are gone,",
    "lifts deletion protection where keepDataOnDestroy set it (the final snapshot is still taken), runs",
    "pulumi destroy, and lists what is left. Exits 1 if anything billable is left. Safe to run again.",
].join("\n");

export interface TeardownArgs {
    readonly stack: string;
    readonly contextFile?: string;
    readonly yes: boolean;
    readonly dryRun: boolean;
    readonly by: string;
}

export function parseTeardownArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): TeardownArgs | "help" | string {
    const parsed = parseOptions(argv, OPTIONS);
    if (typeof parsed === "string") return parsed;
    const v = parsed.values;
    if (typeof v["--stack"] !== "string") return "--stack <name> is required";
    return {
        stack: v["--stack"],
        contextFile: v["--context"] as string | undefined,
        yes: v["--yes"] === true,
        dryRun: v["--dry-run"] === true,
        by: (v["--by"] as string | undefined) ?? env.USER ?? os.userInfo().username,
    };
}

export type TeardownContext = TeardownTarget & { readonly power: PowerContext };

/** The stack output teardownContext (or the file), checked against the stack asked for. */
export function resolveTeardownContext(args: Pick<TeardownArgs, "stack" | "contextFile">, run?: Runner): TeardownContext {
    const ctx = checkStackOutput<TeardownContext>(readStackOutput("teardownContext", args, run), {
        name: "teardown context", stack: args.stack,
        keys: ["region", "clusterName", "vpcId", "dbInstanceIdentifier", "taskLogBucket", "keepDataOnDestroy", "rootKustomizationUrn", "power"],
    });
    // The power context inside is checked by the same rules as `npm run power`'s.
    checkPowerContext(ctx.power, args.stack);
    return ctx;
}

/** The Pulumi CLI, its output shown (a destroy's progress, its prompt) unless captured. */
export const pulumiCli: PulumiRunner = (args, options = {}) => new Promise((resolve, reject) => {
    const child = spawn("pulumi", [...args], { stdio: ["inherit", options.capture ? "pipe" : "inherit", "inherit"] });
    let stdout = "";
    child.stdout?.on("data", (d) => { stdout += String(d); });
    child.on("error", (err) => reject(new Error(`could not run pulumi (is the Pulumi CLI installed?): ${err.message}`)));
    child.on("close", (code) => resolve({ code: code ?? 1, stdout }));
});

if (require.main === module) {
    exitWith(() => runCli(process.argv.slice(2), {
        usage: USAGE, about: ABOUT, options: OPTIONS, parse: (argv) => parseTeardownArgs(argv),
        failure: (args) => `teardown --stack ${args.stack}`,
        body: async (args) => {
            const ctx = resolveTeardownContext(args);
            const clients = makeTeardownClients(makeClients(ctx.region), ctx.region);
            const result = await teardown(ctx, ctx.power, { clients, pulumi: pulumiCli, log: (l) => console.log(l), by: args.by }, args);
            return result.audit === undefined || result.audit.ok ? 0 : 1;
        },
    }));
}
