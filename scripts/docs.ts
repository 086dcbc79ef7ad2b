// `npm run docs`: rewrites Pulumi.yaml and the README's configuration table from lib/config.ts.
import * as fs from "fs";
import * as path from "path";
import { renderProjectFile, withConfigTable } from "../lib/config-docs";

const root = path.resolve(__dirname, "..");
fs.writeFileSync(path.join(root, "Pulumi.yaml"), renderProjectFile());
const readme = path.join(root, "README.md");
fs.writeFileSync(readme, withConfigTable(fs.readFileSync(readme, "utf8")));
console.log("wrote Pulumi.yaml and the configuration table in README.md");
