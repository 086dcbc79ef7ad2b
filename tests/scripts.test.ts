// Every npm script of the project, run as a user runs it: `--help` prints its usage and changes
// nothing; an unknown option is refused (exit 2) before anything runs; the generators' `--check`
// reports and writes nothing. The list comes from package.json, so a new script is tested too.

import { strict as assert } from "assert";
import { execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";

const ROOT = path.join(__dirname, "..");
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
/** The project's own scripts: `ts-node <file>`; test and typecheck are the compiler and mocha themselves. */
const SCRIPTS = Object.entries(pkg.scripts).filter(([, cmd]) => cmd.startsWith("ts-node ")).map(([name, cmd]) => ({ name, file: cmd.slice("ts-node ".length) }));

function runScript(file: string, args: readonly string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        // No AWS credentials and no Pulumi CLI on the path: whatever the script would reach for, it cannot.
        const child = spawn(process.execPath, ["-r", "ts-node/register", file, ...args], {
            cwd: ROOT, env: { ...process.env, AWS_ACCESS_KEY_ID: "", AWS_SECRET_ACCESS_KEY: "", AWS_PROFILE: "", PATH: path.dirname(process.execPath) },
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += String(d)));
        child.stderr.on("data", (d) => (stderr += String(d)));
        child.on("close", (status) => resolve({ status, stdout, stderr }));
    });
}

/** Every file of the working tree (tracked or not, not ignored) with its modification time and size. */
function treeState(): Map<string, string> {
    const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" }).split("\n").filter(Boolean);
    const state = new Map<string, string>();
    for (const f of files) {
        const p = path.join(ROOT, f);
        if (fs.existsSync(p)) {
            const s = fs.statSync(p);
            state.set(f, `${s.mtimeMs}:${s.size}`);
        }
    }
    return state;
}

const changed = (before: Map<string, string>, after: Map<string, string>) =>
    [...new Set([...before.keys(), ...after.keys()])].filter((f) => before.get(f) !== after.get(f));

describe("every script answers --help and refuses what it does not know, writing nothing", function () {
    this.timeout(180_000);

    it("package.json lists the scripts this suite runs", () => {
        assert.deepEqual(SCRIPTS.map((s) => s.name).sort(), ["bench", "docs", "gitops", "mutate", "plan", "power", "prices", "restore", "teardown", "upstream"]);
        for (const s of SCRIPTS) assert.ok(fs.existsSync(path.join(ROOT, s.file)), s.file);
    });

    for (const { name, file } of SCRIPTS) {
        it(`${name}: --help prints its usage and exits 0; --no-such-option exits 2 naming it; neither writes a file`, async () => {
            const before = treeState();
            const help = await runScript(file, ["--help"]);
            assert.equal(help.status, 0, help.stderr);
            assert.match(help.stdout, new RegExp(`^usage: npm run ${name}\\b`, "m"));
            assert.match(help.stdout, /--help +this text/);
            // Where the script takes a stack, the bad option comes after otherwise valid arguments: it must
            // still be refused before anything runs.
            const valid = /--stack <name>/.test(help.stdout) ? [...(name === "power" ? ["status"] : []), "--stack", "prod"] : [];
            const bad = await runScript(file, [...valid, "--no-such-option"]);
            assert.equal(bad.status, 2, `${bad.stdout}\n${bad.stderr}`);
            assert.match(bad.stderr, /unknown option --no-such-option/);
            assert.match(bad.stderr, new RegExp(`usage: npm run ${name}\\b`));
            assert.deepEqual(changed(before, treeState()), [], "no file written");
        });
    }

    it("gitops --help leaves a hand edit of the HelmRelease alone; gitops --check reports it and writes nothing", async () => {
        const file = path.join(ROOT, "gitops", "apps", "airflow", "helmrelease.yaml");
        const original = fs.readFileSync(file, "utf8");
        const edited = `${original}# a hand edit\n`;
        try {
            fs.writeFileSync(file, edited);
            assert.equal((await runScript("airflow/gitops-cli.ts", ["--help"])).status, 0);
            assert.equal(fs.readFileSync(file, "utf8"), edited, "--help wrote nothing");
            const check = await runScript("airflow/gitops-cli.ts", ["--check"]);
            assert.equal(check.status, 1);
            assert.match(check.stdout, /stale \(run npm run gitops\): gitops\/apps\/airflow\/helmrelease\.yaml/);
            assert.equal(fs.readFileSync(file, "utf8"), edited, "--check wrote nothing");
        } finally {
            fs.writeFileSync(file, original);
        }
    });

    it("docs --check finds every generated file current and writes nothing; a stale one is named", async () => {
        const before = treeState();
        const check = await runScript("offline/docs-cli.ts", ["--check"]);
        assert.equal(check.status, 0, `${check.stdout}\n${check.stderr}`);
        assert.match(check.stdout, /every generated file is current/);
        assert.deepEqual(changed(before, treeState()), []);
        const file = path.join(ROOT, "docs", "configuration.md");
        const original = fs.readFileSync(file, "utf8");
        try {
            fs.writeFileSync(file, original.replace("| `aws:region` |", "| `aws:regio` |"));
            const stale = await runScript("offline/docs-cli.ts", ["--check"]);
            assert.equal(stale.status, 1);
            assert.match(stale.stdout, /stale \(run npm run docs\): docs\/configuration\.md$/m);
        } finally {
            fs.writeFileSync(file, original);
        }
    });

    it("a YAML error in a stack file names the file; an unreadable --context file is named", async () => {
        const dir = fs.mkdtempSync(path.join(ROOT, ".plan-yaml-"));
        try {
            fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
            fs.writeFileSync(path.join(dir, "Pulumi.bad.yaml"), "config:\n  data-platform:environment: prod\n   bad: [\n");
            const plan = await runScript("offline/plan.ts", ["--stack", "bad", "--config-dir", dir]);
            assert.equal(plan.status, 1);
            assert.match(plan.stderr, new RegExp(`${path.join(dir, "Pulumi.bad.yaml").replace(/[.]/g, "\\.")}: .*line \\d+`));
            const power = await runScript("scheduler/cli.ts", ["status", "--stack", "prod", "--context", path.join(dir, "missing.json")]);
            assert.equal(power.status, 1);
            assert.match(power.stderr, /could not read --context .*missing\.json/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

/** `npm run <name> -- <args>` as written in a text, up to the end of the code span, a comment or a shell operator. */
function npmCommands(guide: string, text: string): { guide: string; name: string; args: string[] }[] {
    return [...text.matchAll(/npm run ([a-z]+)(?: -- ([^`#|;&)\n]*))?/g)].map((m) => ({ guide, name: m[1], args: (m[2] ?? "").trim().split(/\s+/).filter(Boolean) }));
}

/** What is wrong with each command against the scripts' --help texts (scripts without one are the tools themselves). */
function commandProblems(commands: readonly { guide: string; name: string; args: string[] }[], scripts: Record<string, string>, helps: ReadonlyMap<string, string>): string[] {
    const wrong: string[] = [];
    for (const c of commands) {
        const where = `${c.guide}: npm run ${c.name}${c.args.length ? ` -- ${c.args.join(" ")}` : ""}`;
        if (!(c.name in scripts)) { wrong.push(`${where}: no such script`); continue; }
        const help = helps.get(c.name);
        if (help === undefined) continue;
        const usage = help.split("\n").find((l) => l.startsWith("usage:")) ?? "";
        for (const [i, arg] of c.args.entries()) {
            if (arg.startsWith("--")) {
                if (!new RegExp(`^\\s+${arg}\\b`, "m").test(help)) wrong.push(`${where}: ${arg} is not an option of ${c.name}`);
            } else if (i === 0 && !new RegExp(`[ |]${arg}[ |]`).test(usage)) {
                // A first word that is not an option is a command (power's wake, sleep, ...).
                wrong.push(`${where}: ${arg} is not a command of ${c.name}`);
            }
        }
    }
    return wrong;
}

describe("every npm command the guides print is one the scripts accept", function () {
    this.timeout(180_000);
    const GUIDES = ["README.md", "gitops/README.md", "examples/dags-repo/README.md", ...fs.readdirSync(path.join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
    const commands = GUIDES.flatMap((guide) => npmCommands(guide, fs.readFileSync(path.join(ROOT, guide), "utf8")));
    const helps = new Map<string, string>();
    before(async () => {
        for (const { name, file } of SCRIPTS) helps.set(name, (await runScript(file, ["--help"])).stdout);
    });

    it("names only scripts of package.json, and only options and commands their --help lists", () => {
        assert.ok(commands.length > 40, `${commands.length} commands found`);
        assert.deepEqual(commandProblems(commands, pkg.scripts, helps), []);
    });

    it("sees a wrong one: an unknown script, option and command are each reported", () => {
        const fake = npmCommands("fake.md", "`npm run power -- wake-up --stack prod` and `npm run plan -- --stak prod` and `npm run deploy`; `npm run power -- wake --hours 1`");
        assert.deepEqual(commandProblems(fake, pkg.scripts, helps), [
            "fake.md: npm run power -- wake-up --stack prod: wake-up is not a command of power",
            "fake.md: npm run plan -- --stak prod: --stak is not an option of plan",
            "fake.md: npm run deploy: no such script",
        ]);
    });
});
