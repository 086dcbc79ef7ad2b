// `npm run gitops`: rewrites the generated files of the GitOps template (gitops/apps/airflow/helmrelease.yaml
// and gitops/components/ui-ingress/) from airflow/values.ts. `--check` writes nothing and reports
// the files that differ. airflow/gitops.test.ts fails when a file and the builder differ.
import * as fs from "fs";
import * as path from "path";
import { generatedGitopsFiles } from "./gitops";

export const USAGE = [
    "usage: npm run gitops -- [--check]",
    "",
    "  (no option)  rewrite the generated files under gitops/ from airflow/values.ts",
    "  --check      write nothing: list the generated files that differ from the builder, exit 1 if any",
    "  --help       this text",
].join("\n");

function main(argv: readonly string[]): number {
    if (argv.includes("--help") || argv.includes("-h")) {
        console.log(USAGE);
        return 0;
    }
    const unknown = argv.filter((a) => a !== "--check");
    if (unknown.length > 0) {
        console.error(`unknown argument: ${unknown.join(" ")}\n${USAGE}`);
        return 2;
    }
    const root = path.resolve(__dirname, "..", "gitops");
    const stale: string[] = [];
    for (const [rel, text] of Object.entries(generatedGitopsFiles())) {
        const file = path.join(root, rel);
        const current = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
        if (current === text) continue;
        stale.push(`gitops/${rel}`);
        if (!argv.includes("--check")) {
            fs.mkdirSync(path.dirname(file), { recursive: true });
            fs.writeFileSync(file, text);
        }
    }
    if (argv.includes("--check")) {
        console.log(stale.length === 0 ? "gitops: every generated file is current" : `gitops: stale (run npm run gitops): ${stale.join(", ")}`);
        return stale.length === 0 ? 0 : 1;
    }
    console.log(stale.length === 0 ? "gitops: nothing to write" : `wrote ${stale.join(", ")}`);
    return 0;
}

if (require.main === module) process.exit(main(process.argv.slice(2)));
