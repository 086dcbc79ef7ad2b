// npm run mutate (offline/mutate.ts): the score as Stryker defines it, a floor that only goes up, and
// a configuration whose parts agree (what is mutated, what the checker compiles, the tests it runs).

import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { CONFIG_FILE, raisedFloor, scoreOf } from "../offline/mutate";

const ROOT = path.resolve(__dirname, "..");
const mutant = (status: string) => ({ status, mutatorName: "EqualityOperator", location: { start: { line: 1 } } });

describe("npm run mutate: the score and its floor", () => {
    it("scores as Stryker does: killed and timed out over those plus survived and not covered; compile errors and ignored do not count", () => {
        const s = scoreOf({
            files: {
                "a.ts": { mutants: [mutant("Killed"), mutant("Killed"), mutant("Timeout"), mutant("Survived"), mutant("CompileError"), mutant("Ignored")] },
                "b.ts": { mutants: [mutant("NoCoverage"), mutant("Killed")] },
            },
        } as never);
        assert.deepEqual([s.detected, s.valid], [4, 6]);
        assert.equal(s.score.toFixed(4), (400 / 6).toFixed(4));
        assert.deepEqual(s.perFile.map((f) => [f.file, f.score, f.survived, f.noCoverage]), [["a.ts", 75, 1, 0], ["b.ts", 50, 0, 1]]);
    });
    it("raises the floor to the score rounded down, and never lowers it", () => {
        assert.equal(raisedFloor(80, 84.9), 84);
        assert.equal(raisedFloor(80, 79.5), 80);
        assert.equal(raisedFloor(80, 80.2), 80);
    });
    it("the floor in stryker.config.json never went down in this repository's history", () => {
        const floors: number[] = [];
        const commits = execFileSync("git", ["log", "--reverse", "--format=%H", "--", "stryker.config.json"], { cwd: ROOT, encoding: "utf8" }).split("\n").filter(Boolean);
        for (const c of commits) floors.push(JSON.parse(execFileSync("git", ["show", `${c}:stryker.config.json`], { cwd: ROOT, encoding: "utf8" })).thresholds.break);
        floors.push(JSON.parse(fs.readFileSync(CONFIG_FILE, "utf8")).thresholds.break);
        for (let i = 1; i < floors.length; i++) assert.ok(floors[i] >= floors[i - 1], `the floor went from ${floors[i - 1]} to ${floors[i]}`);
        assert.ok(floors.at(-1)! > 0);
    });
    it("mutates what the checker compiles, runs test files that exist, and keeps its sandboxes out of git", () => {
        const config = JSON.parse(fs.readFileSync(CONFIG_FILE, "utf8"));
        const tsconfig = ts.readConfigFile(path.join(ROOT, config.tsconfigFile), ts.sys.readFile);
        assert.equal(tsconfig.error, undefined);
        assert.deepEqual([...tsconfig.config.files].sort(), [...config.mutate].sort());
        for (const f of config.mutate) assert.ok(fs.existsSync(path.join(ROOT, f)), f);
        const mocha = JSON.parse(fs.readFileSync(path.join(ROOT, config.mochaOptions.config), "utf8"));
        for (const f of mocha.spec) assert.ok(fs.existsSync(path.join(ROOT, f)), f);
        assert.deepEqual(config.checkers, ["typescript"]);
        assert.equal(config.testRunner, "mocha");
        assert.match(fs.readFileSync(path.join(ROOT, ".gitignore"), "utf8"), /^\.stryker\/$/m);
        assert.ok(config.jsonReporter.fileName.startsWith(".stryker/") && config.tempDirName.startsWith(".stryker/"));
    });
});
