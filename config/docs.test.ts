// Pulumi.yaml, docs/configuration.md's table and the README's cost table are generated; these tests
// fail when either drifts (run `npm run docs` to regenerate).

import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { ESTIMATES_BEGIN, ESTIMATES_END, renderConfigTable, renderEstimatesTable, renderProjectFile, TABLE_BEGIN, TABLE_END } from "./docs";
import { readEstimates } from "../cost/budget";

const ROOT = path.join(__dirname, "..");

describe("generated documentation", () => {
    it("Pulumi.yaml declares exactly the keys, types and defaults of config/config.ts", () => {
        assert.equal(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"), renderProjectFile(), "Pulumi.yaml is stale: run npm run docs");
    });
    it("docs/configuration.md's table is the one the config keys render", () => {
        const doc = fs.readFileSync(path.join(ROOT, "docs", "configuration.md"), "utf8");
        const table = doc.slice(doc.indexOf(TABLE_BEGIN), doc.indexOf(TABLE_END) + TABLE_END.length);
        assert.equal(table, renderConfigTable(), "docs/configuration.md's table is stale: run npm run docs");
    });
    it("the README's cost table is data/estimates.json's (which cost/budget.test.ts keeps equal to the evaluated program)", () => {
        const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
        const table = readme.slice(readme.indexOf(ESTIMATES_BEGIN), readme.indexOf(ESTIMATES_END) + ESTIMATES_END.length);
        assert.equal(table, renderEstimatesTable(readEstimates()), "README.md's cost table is stale: run npm run docs");
        assert.match(table, /\| prod \| \*\*\$\d+\.\d\d\*\* \|/);
    });
});
