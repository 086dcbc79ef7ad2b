// `npm run docs`: rewrites Pulumi.yaml and the README's configuration table from config/config.ts, and
// data/estimates.json (each stack's monthly estimate, the default of its AWS Budgets amount) from the
// evaluated program.
import * as fs from "fs";
import * as path from "path";
import { renderProjectFile, withConfigTable } from "./docs";
import { ESTIMATES_FILE } from "../cost/budget";
import { currentEstimates } from "../offline/estimates";

async function main(): Promise<void> {
    const root = path.resolve(__dirname, "..");
    fs.writeFileSync(path.join(root, "Pulumi.yaml"), renderProjectFile());
    const readme = path.join(root, "README.md");
    fs.writeFileSync(readme, withConfigTable(fs.readFileSync(readme, "utf8")));
    fs.writeFileSync(ESTIMATES_FILE, `${JSON.stringify(await currentEstimates(), null, 2)}\n`);
    console.log("wrote Pulumi.yaml, the configuration table in README.md, and data/estimates.json");
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
