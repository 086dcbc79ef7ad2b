// Reading a stack output from the operator's machine: the scripts that act on a deployed stack
// (power, teardown, restore) take the names they need from one output each, read with the Pulumi CLI,
// or from a file saved from it (for a machine without the Pulumi CLI).

import { execFileSync } from "child_process";
import * as fs from "fs";

export type Runner = (file: string, args: string[]) => string;
const runPulumi: Runner = (file, args) => execFileSync(file, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

/**
 * A stack output, parsed: from `file` if given, else `pulumi stack output <name> --json --stack <stack>`.
 * `--json` prints the output (a JSON string) as a JSON string literal; a saved file may hold either.
 */
export function readStackOutput(name: string, args: { readonly stack: string; readonly contextFile?: string }, run: Runner = runPulumi): unknown {
    let raw: string;
    if (args.contextFile !== undefined) {
        try {
            raw = fs.readFileSync(args.contextFile, "utf8");
        } catch (err) {
            throw new Error(`could not read --context ${args.contextFile}: ${(err as Error).message}`);
        }
    } else {
        try {
            raw = run("pulumi", ["stack", "output", name, "--json", "--stack", args.stack]);
        } catch (err) {
            throw new Error(`could not read the stack output ${name} of ${args.stack} (is the Pulumi CLI installed and logged in, and the stack deployed by this version?): ${(err as Error).message}`);
        }
    }
    let value: unknown;
    try {
        value = JSON.parse(raw);
        if (typeof value === "string") value = JSON.parse(value);
    } catch (err) {
        throw new Error(`${args.contextFile ?? `the stack output ${name}`} is not the JSON of ${name}: ${(err as Error).message}`);
    }
    return value;
}

/** A stack output, checked: it holds `keys` and is the one of `stack` (a file saved from another stack is refused). */
export function checkStackOutput<T>(value: unknown, o: { readonly name: string; readonly stack: string; readonly keys: readonly string[] }): T {
    const ctx = value as Record<string, unknown> | undefined;
    for (const key of o.keys) {
        if (ctx?.[key] === undefined) throw new Error(`the ${o.name} of ${o.stack} has no ${key}`);
    }
    if (ctx?.stack !== o.stack) throw new Error(`the ${o.name} is for stack ${String(ctx?.stack)}, not ${o.stack}`);
    return value as T;
}
