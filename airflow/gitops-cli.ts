// `npm run gitops`: rewrites the generated files of the GitOps template (gitops/apps/airflow/helmrelease.yaml
// and gitops/components/ui-ingress/) from airflow/values.ts. `--check` writes nothing and reports
// the files that differ. airflow/gitops.test.ts fails when a file and the builder differ.
import * as fs from "fs";
import * as path from "path";
import { generatedGitopsFiles } from "./gitops";
import { exitWith, parseOptions, runCli, type OptionSpec } from "../core/args";

export const OPTIONS: readonly OptionSpec[] = [
    { name: "--check", help: "write nothing: list the generated files that differ from the builder, exit 1 if any" },
];
export const USAGE = "usage: npm run gitops -- [--check]";
const ABOUT = "Rewrites the generated files under gitops/ (the HelmRelease, the UI ingress component) from airflow/values.ts.";

export function parseGitopsArgs(argv: readonly string[]): { check: boolean } | "help" | string {
    const parsed = parseOptions(argv, OPTIONS);
    if (typeof parsed === "string") return parsed;
    return { check: parsed.values["--check"] === true };
}

function gitops({ check }: { check: boolean }): number {
    const root = path.resolve(__dirname, "..", "gitops");
    const stale: string[] = [];
    for (const [rel, text] of Object.entries(generatedGitopsFiles())) {
        const file = path.join(root, rel);
        const current = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
        if (current === text) continue;
        stale.push(`gitops/${rel}`);
        if (!check) {
            fs.mkdirSync(path.dirname(file), { recursive: true });
            fs.writeFileSync(file, text);
        }
    }
    if (check) {
        console.log(stale.length === 0 ? "gitops: every generated file is current" : `gitops: stale (run npm run gitops): ${stale.join(", ")}`);
        return stale.length === 0 ? 0 : 1;
    }
    console.log(stale.length === 0 ? "gitops: nothing to write" : `wrote ${stale.join(", ")}`);
    return 0;
}

if (require.main === module) {
    exitWith(() => runCli(process.argv.slice(2), {
        usage: USAGE, about: ABOUT, options: OPTIONS, parse: parseGitopsArgs, failure: () => "gitops", body: async (args) => gitops(args),
    }));
}
