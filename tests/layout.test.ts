// The layout docs/architecture.md describes, checked on the code: every folder of code is in its
// table of layers, a module imports only from its own folder or a lower layer (never sideways, never
// up), and no modules import each other in a circle. Tests (*.test.ts, tests/) may import anything.

import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const ROOT = path.join(__dirname, "..");
const DOC = path.join(ROOT, "docs", "architecture.md");

/** The table between the layers markers: `| <n> | \`<folder>/\` | ... |`; "(root)" is index.ts. */
export function layersOf(doc: string): Map<string, number> {
    const begin = doc.indexOf("<!-- layers:begin -->");
    const end = doc.indexOf("<!-- layers:end -->");
    assert.ok(begin >= 0 && end > begin, "docs/architecture.md has the layers markers");
    const layers = new Map<string, number>();
    for (const line of doc.slice(begin, end).split("\n")) {
        const m = /^\|\s*(\d+)\s*\|\s*`([^`]+)`/.exec(line);
        if (!m) continue;
        for (const folder of m[2].split(/`,\s*`/)) layers.set(folder.replace(/\/$/, ""), Number(m[1]));
    }
    return layers;
}

const SPECIFIER = /(?:from\s+|import\s*\(\s*|require\s*\(\s*|import\s+)"(\.\.?(?:\/[^"]*)?)"/g;

/** Each code module (not a test) and the project modules it imports. */
export function importGraph(files: readonly string[], read: (f: string) => string): Map<string, string[]> {
    const known = new Set(files);
    const graph = new Map<string, string[]>();
    for (const f of files) {
        const targets: string[] = [];
        for (const m of read(f).matchAll(SPECIFIER)) {
            const base = path.posix.normalize(path.posix.join(path.posix.dirname(f), m[1]));
            const target = [`${base}.ts`, `${base}/index.ts`, base].find((c) => known.has(c) || (c === base && !c.endsWith(".ts")));
            if (target !== undefined && target.endsWith(".ts")) targets.push(target);
        }
        graph.set(f, targets);
    }
    return graph;
}

const folderOf = (f: string) => (f.includes("/") ? f.slice(0, f.indexOf("/")) : "(root)");
const isTest = (f: string) => f.endsWith(".test.ts") || f.startsWith("tests/");

/** What breaks the rule: an import sideways or upwards, a folder not in the table, a circle. */
export function layoutProblems(graph: Map<string, string[]>, layers: Map<string, number>): string[] {
    const problems: string[] = [];
    for (const [from, targets] of graph) {
        const fromLayer = layers.get(folderOf(from));
        if (fromLayer === undefined) {
            problems.push(`${from}: its folder ${folderOf(from)}/ is not in docs/architecture.md's layers`);
            continue;
        }
        for (const to of targets) {
            if (folderOf(to) === folderOf(from)) continue;
            const toLayer = layers.get(folderOf(to));
            if (toLayer === undefined || toLayer >= fromLayer) problems.push(`${from} (layer ${fromLayer}) imports ${to} (layer ${toLayer ?? "?"}): arrows go to lower layers only`);
        }
    }
    const state = new Map<string, "open" | "done">();
    const visit = (f: string, trail: string[]) => {
        if (state.get(f) === "done") return;
        if (state.get(f) === "open") {
            problems.push(`a circle: ${[...trail.slice(trail.indexOf(f)), f].join(" -> ")}`);
            return;
        }
        state.set(f, "open");
        for (const t of graph.get(f) ?? []) visit(t, [...trail, f]);
        state.set(f, "done");
    };
    for (const f of graph.keys()) visit(f, []);
    return problems;
}

describe("the layout: one folder per capability, arrows downward", () => {
    const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "*.ts"], { cwd: ROOT, encoding: "utf8" })
        .split("\n").filter((f) => f !== "" && !f.startsWith("examples/") && fs.existsSync(path.join(ROOT, f)));
    const code = files.filter((f) => !isTest(f));
    const graph = importGraph(code, (f) => fs.readFileSync(path.join(ROOT, f), "utf8"));
    const layers = layersOf(fs.readFileSync(DOC, "utf8"));

    it("every folder of code is in docs/architecture.md's table, and every folder there exists", () => {
        const folders = new Set(code.map(folderOf));
        assert.deepEqual([...folders].filter((f) => !layers.has(f)), []);
        assert.deepEqual([...layers.keys()].filter((f) => !folders.has(f)), []);
    });

    it("modules import only from their own folder or a lower layer, and never in a circle", () => {
        assert.ok(graph.size > 50 && [...graph.values()].flat().length > 100, "the graph was read (modules and their imports)");
        assert.deepEqual(layoutProblems(graph, layers), []);
    });

    it("the check sees an import upwards, one sideways and a circle", () => {
        const toy = new Map([
            ["core/a.ts", ["scheduler/b.ts"]],
            ["network/n.ts", ["registry/r.ts"]],
            ["registry/r.ts", []],
            ["scheduler/b.ts", ["scheduler/c.ts"]],
            ["scheduler/c.ts", ["scheduler/b.ts"]],
        ]);
        const problems = layoutProblems(toy, new Map([["core", 0], ["network", 1], ["registry", 1], ["scheduler", 4]]));
        assert.equal(problems.filter((p) => p.startsWith("core/a.ts")).length, 1, "upwards");
        assert.equal(problems.filter((p) => p.startsWith("network/n.ts")).length, 1, "sideways");
        assert.ok(problems.some((p) => p.startsWith("a circle: scheduler/b.ts -> scheduler/c.ts -> scheduler/b.ts")), problems.join("\n"));
    });
});
