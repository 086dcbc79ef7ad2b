// `npm run docs`: rewrites what is generated from the code: Pulumi.yaml's declarations and the
// configuration reference (docs/configuration.md) from the config keys, data/estimates.json (each
// stack's monthly estimate, the default of its AWS Budgets amount) from the evaluated program, and
// the README's cost table from those estimates. `--check` writes nothing and lists what differs.
import * as fs from "fs";
import * as path from "path";
import { renderProjectFile, withConfigTable, withEstimatesTable } from "../config/docs";
import { ESTIMATES_FILE } from "../cost/budget";
import { exitWith, parseOptions, runCli, type OptionSpec } from "../core/args";
import { currentEstimates } from "./estimates";
import { ROOT } from "./stack-config";

export const OPTIONS: readonly OptionSpec[] = [
    { name: "--check", help: "write nothing: list the generated files that differ from the code, exit 1 if any" },
];
export const USAGE = "usage: npm run docs -- [--check]";
const ABOUT = "Regenerates Pulumi.yaml, docs/configuration.md's table, data/estimates.json and the README's cost table.";

/** Every generated file, relative to the project, with the text it should hold. */
export async function generatedDocs(read: (rel: string) => string): Promise<Record<string, string>> {
    const estimates = await currentEstimates();
    return {
        "Pulumi.yaml": renderProjectFile(),
        "docs/configuration.md": withConfigTable(read("docs/configuration.md")),
        [path.relative(ROOT, ESTIMATES_FILE)]: `${JSON.stringify(estimates, null, 2)}\n`,
        "README.md": withEstimatesTable(read("README.md"), estimates),
    };
}

export function parseDocsArgs(argv: readonly string[]): { check: boolean } | "help" | string {
    const parsed = parseOptions(argv, OPTIONS);
    if (typeof parsed === "string") return parsed;
    return { check: parsed.values["--check"] === true };
}

if (require.main === module) {
    exitWith(() => runCli(process.argv.slice(2), {
        usage: USAGE, about: ABOUT, options: OPTIONS, parse: parseDocsArgs, failure: () => "docs",
        body: async ({ check }) => {
            const read = (rel: string) => fs.readFileSync(path.join(ROOT, rel), "utf8");
            // Pulumi.yaml comes from the code alone, and the stack files are read against it (a key it
            // does not declare is refused): a new key is declared before the estimates evaluate the stacks.
            if (!check && read("Pulumi.yaml") !== renderProjectFile()) fs.writeFileSync(path.join(ROOT, "Pulumi.yaml"), renderProjectFile());
            const files = await generatedDocs(read);
            const stale = Object.keys(files).filter((rel) => !fs.existsSync(path.join(ROOT, rel)) || read(rel) !== files[rel]);
            if (check) {
                console.log(stale.length === 0 ? "docs: every generated file is current" : `docs: stale (run npm run docs): ${stale.join(", ")}`);
                return stale.length === 0 ? 0 : 1;
            }
            for (const rel of stale) fs.writeFileSync(path.join(ROOT, rel), files[rel]);
            console.log(stale.length === 0 ? "docs: nothing to write" : `wrote ${stale.join(", ")}`);
            return 0;
        },
    }));
}
