// `npm run mutate`: the mutation score of the pure decision modules and the Lambda functions' decisions
// (stryker.config.json's "mutate"), with Stryker, its mocha runner and its TypeScript checker. Stryker
// changes one piece of code at a time (a condition, an operator, a constant) and runs the tests that
// cover it; a mutant the tests do not notice "survives". The score is the share noticed.
//
// The floor is stryker.config.json's thresholds.break: below it, the run fails. It only goes up:
// `--raise` sets it to the score just measured (rounded down) when that is higher, never lower.
// Minutes on two cores; not part of `npm test` or .ci/run (docs/testing.md, "Mutation score").

import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { exitWith, parseOptions, runCli, type OptionSpec } from "../core/args";
import { ROOT } from "./stack-config";

export const CONFIG_FILE = path.join(ROOT, "stryker.config.json");
export const OPTIONS: readonly OptionSpec[] = [
    { name: "--raise", help: "after the run, raise the floor (thresholds.break) to the score, rounded down, if that is higher" },
    { name: "--report", value: "<file>", help: "score an existing Stryker JSON report instead of running Stryker" },
];
export const USAGE = "usage: npm run mutate -- [--raise] [--report <file>]";
const ABOUT = "Runs Stryker on the modules stryker.config.json names, prints the mutation score per file and in all, and fails below the floor.";

/** Stryker's mutant statuses (mutation-testing-report-schema). */
type Status = "Killed" | "Survived" | "NoCoverage" | "Timeout" | "CompileError" | "RuntimeError" | "Ignored" | "Pending";
interface Report {
    readonly files: Readonly<Record<string, { readonly mutants: readonly { readonly status: Status; readonly mutatorName: string; readonly replacement?: string; readonly location: { start: { line: number } } }[] }>>;
}

export interface Score {
    /** Detected (killed or timed out) of the valid mutants (those that compiled and were not ignored), in percent. */
    readonly score: number;
    readonly detected: number;
    readonly valid: number;
    readonly perFile: readonly { readonly file: string; readonly score: number; readonly survived: number; readonly noCoverage: number }[];
}

/** Stryker's mutation score: (killed + timeout) / (killed + timeout + survived + no coverage). */
export function scoreOf(report: Report): Score {
    let detected = 0;
    let valid = 0;
    const perFile = Object.entries(report.files).map(([file, { mutants }]) => {
        const count = (...s: Status[]) => mutants.filter((m) => s.includes(m.status)).length;
        const d = count("Killed", "Timeout");
        const v = d + count("Survived", "NoCoverage");
        detected += d;
        valid += v;
        return { file, score: v === 0 ? 100 : (100 * d) / v, survived: count("Survived"), noCoverage: count("NoCoverage") };
    });
    return { score: valid === 0 ? 100 : (100 * detected) / valid, detected, valid, perFile };
}

/** The floor after a run: raised to the score rounded down when asked and higher; never lowered. */
export function raisedFloor(floor: number, score: number): number {
    return Math.max(floor, Math.floor(score));
}

export function parseMutateArgs(argv: readonly string[]): { raise: boolean; report?: string } | "help" | string {
    const parsed = parseOptions(argv, OPTIONS);
    if (typeof parsed === "string") return parsed;
    return { raise: parsed.values["--raise"] === true, report: parsed.values["--report"] as string | undefined };
}

if (require.main === module) {
    exitWith(() => runCli(process.argv.slice(2), {
        usage: USAGE, about: ABOUT, options: OPTIONS, parse: parseMutateArgs, failure: () => "mutate",
        body: async ({ raise, report }) => {
            const config = JSON.parse(fs.readFileSync(CONFIG_FILE, "utf8"));
            const reportFile = report ?? path.join(ROOT, config.jsonReporter.fileName);
            if (report === undefined) {
                // Stryker also fails below thresholds.break; whether it ran at all is whether it wrote its report.
                const started = Date.now();
                const run = spawnSync("npx", ["stryker", "run"], { cwd: ROOT, stdio: "inherit" });
                if (!fs.existsSync(reportFile) || fs.statSync(reportFile).mtimeMs < started) {
                    console.error(`stryker wrote no report (exit ${run.status})`);
                    return 1;
                }
            }
            const s = scoreOf(JSON.parse(fs.readFileSync(reportFile, "utf8")) as Report);
            const floor = config.thresholds.break as number;
            for (const f of s.perFile) console.log(`${f.score.toFixed(1).padStart(6)}%  ${f.file}  (${f.survived} survived, ${f.noCoverage} not covered)`);
            console.log(`mutation score ${s.score.toFixed(2)}% (${s.detected} of ${s.valid} mutants detected); floor ${floor}%`);
            if (s.score < floor) {
                console.error(`below the floor: the tests notice less than they did (docs/testing.md, "Mutation score")`);
                return 1;
            }
            const next = raisedFloor(floor, s.score);
            if (raise && next > floor) {
                config.thresholds.break = next;
                fs.writeFileSync(CONFIG_FILE, `${JSON.stringify(config, null, 2)}\n`);
                console.log(`floor raised to ${next}% in stryker.config.json`);
            } else if (next > floor) {
                console.log(`the score is above the floor: npm run mutate -- --raise sets it to ${next}%`);
            }
            return 0;
        },
    }));
}
