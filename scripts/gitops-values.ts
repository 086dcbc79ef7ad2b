// `npm run gitops`: rewrites gitops/apps/airflow/helmrelease.yaml from lib/airflow-values.ts (the
// HelmRelease and its values). tests/gitops.test.ts fails when the file and the builder differ.
import * as fs from "fs";
import * as path from "path";
import { renderAirflowHelmRelease } from "../lib/gitops";

const file = path.resolve(__dirname, "..", "gitops", "apps", "airflow", "helmrelease.yaml");
fs.mkdirSync(path.dirname(file), { recursive: true });
fs.writeFileSync(file, renderAirflowHelmRelease());
console.log(`wrote ${path.relative(process.cwd(), file)}`);
