// Pulumi.yaml and the README's configuration table are generated from config/config.ts; these tests
// fail when either drifts (run `npm run docs` to regenerate).

import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { renderConfigTable, renderProjectFile, TABLE_BEGIN, TABLE_END } from "./docs";

const ROOT = path.join(__dirname, "..");

describe("generated documentation", () => {
    it("Pulumi.yaml declares exactly the keys, types and defaults of config/config.ts", () => {
        assert.equal(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"), renderProjectFile(), "Pulumi.yaml is stale: run npm run docs");
    });
    it("README's configuration table is the one config/config.ts renders", () => {
        const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
        const table = readme.slice(readme.indexOf(TABLE_BEGIN), readme.indexOf(TABLE_END) + TABLE_END.length);
        assert.equal(table, renderConfigTable(), "README.md's table is stale: run npm run docs");
    });
});
