// The DAG pipeline: the DAG repository's workflow and this project's CI parsed by GitHub's own
// workflow parser; the tag the workflow's shell computes equals registry/image-tags.ts's; the ImagePolicy
// applied to tags the way Flux applies it (after Flux's variable substitution); the Flux objects
// against their CRD schemas; the DAG, the lint script and the Dockerfile.

import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import { register } from "node:module";
import * as os from "os";
import * as path from "path";
import { pathToFileURL } from "url";
import * as YAML from "yaml";
import {
    formatImageTag, IMAGE_POLICY_TEMPLATE, IMAGE_TAG_SETTER, imageAutomationObjects, imageBranchSetting,
    imagePolicyFor, parseImageTag, tagBranch, type ImagePolicyChoice,
} from "./image-tags";
import { PLATFORM_SETTING_KEYS } from "../airflow/platform-settings";
import { DAG_ALERT_TOPIC_ENV, airflowValues } from "../airflow/values";
import { AIRFLOW_CHART_VERSION, AIRFLOW_PYTHON_VERSION, AIRFLOW_VERSION } from "../airflow/versions";
import { fluxErrorsText, fluxSchema } from "../tests/schemas";
import { requireUpstream } from "../tests/upstream";
import { envsubst } from "../airflow/flux-envsubst";

const ROOT = path.resolve(__dirname, "..");
const DAGS_REPO = path.join(ROOT, "examples/dags-repo");
const BUILD_WORKFLOW = path.join(DAGS_REPO, ".github/workflows/build.yml");
const CI_WORKFLOW = path.join(ROOT, ".github/workflows/ci.yml");
const AUTOMATION_DIR = path.join(ROOT, "gitops/apps/image-automation");
const read = (file: string) => fs.readFileSync(file, "utf8");
const tmp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

// ---------------------------------------------------------------------------------------------------
// GitHub's workflow parser. The package is ESM-only and imports its schema JSON without an import
// attribute (it is written for bundlers), so Node needs a loader hook that adds `type: "json"`.
// ---------------------------------------------------------------------------------------------------
type Parser = typeof import("@actions/workflow-parser", { with: { "resolution-mode": "import" } });
let parserPromise: Promise<Parser> | undefined;
function workflowParser(): Promise<Parser> {
    if (!parserPromise) {
        const hook = `export async function load(url, context, next) {
  if (url.endsWith(".json")) return next(url, { ...context, importAttributes: { ...context.importAttributes, type: "json" } });
  return next(url, context);
}`;
        register(`data:text/javascript,${encodeURIComponent(hook)}`);
        // A real dynamic import: ts-node compiles to CommonJS, which would turn `import()` into require().
        const dynamicImport = new Function("specifier", "return import(specifier)") as (s: string) => Promise<Parser>;
        const entry = path.join(ROOT, "node_modules/@actions/workflow-parser/dist/index.js");
        parserPromise = dynamicImport(pathToFileURL(entry).href);
    }
    return parserPromise;
}

interface ParsedWorkflow {
    errors: string[];
    events: Record<string, any>;
    jobIds: string[];
    /** The same file as plain data, for what the template model leaves out (permissions, with:). */
    doc: any;
    text: string;
}

async function parseWorkflowFile(file: string, content = read(file)): Promise<ParsedWorkflow> {
    const parser = await workflowParser();
    const result = parser.parseWorkflow({ name: path.basename(file), content }, new parser.NoOperationTraceWriter());
    const errors = result.context.errors.getErrors().map((e: { message: string }) => e.message);
    let events: Record<string, any> = {};
    let jobIds: string[] = [];
    if (result.value) {
        const template = await parser.convertWorkflowTemplate(result.context, result.value);
        errors.push(...(template.errors ?? []).map((e) => e.Message));
        // With errors, the conversion stops early and leaves these out.
        events = (template.events ?? {}) as Record<string, any>;
        jobIds = (template.jobs ?? []).map((j) => j.id.value);
    }
    return { errors, events, jobIds, doc: YAML.parse(content), text: content };
}

const allSteps = (doc: any): any[] => Object.values(doc.jobs).flatMap((job: any) => job.steps ?? []);
const usesOf = (doc: any): string[] => allSteps(doc).filter((s) => s.uses).map((s) => s.uses);

/** Every `uses:` is owner/repo[/path]@<40 hex>, with the release it is in a comment on the same line. */
function assertPinned(w: ParsedWorkflow) {
    const uses = usesOf(w.doc);
    assert.ok(uses.length > 0);
    for (const ref of uses) {
        assert.match(ref, /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.\/-]+@[0-9a-f]{40}$/, `${ref} is not pinned to a full commit SHA`);
        const line = w.text.split("\n").find((l) => l.includes(`uses: ${ref}`));
        assert.match(line ?? "", /@[0-9a-f]{40} # v\d+\.\d+\.\d+$/, `${ref}: the version belongs in a comment after the SHA`);
    }
}

// The SHAs were read from the actions' own repositories (git tags, commit objects) and are the commits
// of these releases; both workflows must use the same commit for the same action.
const PINS: Record<string, string> = {
    "actions/checkout": "3d3c42e5aac5ba805825da76410c181273ba90b1", // v7.0.1
    "actions/setup-node": "820762786026740c76f36085b0efc47a31fe5020", // v7.0.0
    "actions/setup-python": "5fda3b95a4ea91299a34e894583c3862153e4b97", // v7.0.0
    "aws-actions/configure-aws-credentials": "e6de054238d6b7531b4efff3b6587d9aade6a06c", // v6.2.3
    "aws-actions/amazon-ecr-login": "03f1aad4c6c7ffd436567f42f9384779290529bd", // v2.1.7
    "pulumi/actions": "8e5e406f4007fca908480587cb9893c07090f58d", // v7.0.0
};

describe("DAG pipeline: workflows (GitHub's workflow parser)", () => {
    let build: ParsedWorkflow;
    let ci: ParsedWorkflow;
    before(async () => {
        build = await parseWorkflowFile(BUILD_WORKFLOW);
        ci = await parseWorkflowFile(CI_WORKFLOW);
    });

    it("the parser reports a broken workflow (so a clean result means something)", async () => {
        const broken = await parseWorkflowFile("broken.yml", "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    stepz: []\n");
        assert.ok(broken.errors.some((e) => /stepz/.test(e)), broken.errors.join("; "));
        const badExpression = await parseWorkflowFile("bad.yml", "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ steps.x.outputs.y ) }}\n");
        assert.ok(badExpression.errors.length > 0);
    });

    it("both workflows parse and validate without an error", () => {
        assert.deepEqual(build.errors, []);
        assert.deepEqual(ci.errors, []);
        assert.deepEqual(build.jobIds, ["image"]);
        assert.deepEqual(ci.jobIds, ["test", "plan", "preview"]);
    });

    it("every third-party action is pinned by a 40-hex commit SHA, the same commit in both files", () => {
        for (const w of [build, ci]) {
            assertPinned(w);
            for (const ref of usesOf(w.doc)) {
                const [name, sha] = ref.split("@");
                assert.equal(sha, PINS[name], `${name}: unexpected commit`);
            }
        }
    });

    describe("DAG repository: build.yml", () => {
        it("runs on a push to the production branch only", () => {
            assert.deepEqual(Object.keys(build.events), ["push"]);
            assert.deepEqual(build.events.push.branches, ["master"]);
            assert.equal(build.events.push.tags, undefined);
        });

        it("may read the code and request an OIDC token, nothing more; no stored AWS key", () => {
            assert.deepEqual(build.doc.permissions, { contents: "read", "id-token": "write" });
            assert.equal(build.doc.jobs.image.permissions, undefined);
            assert.doesNotMatch(build.text, /aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY|secrets\./);
        });

        it("assumes the Registry's CI role through OIDC, then logs in to ECR", () => {
            const steps = build.doc.jobs.image.steps as any[];
            const creds = steps.find((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"));
            assert.deepEqual(creds.with, { "role-to-assume": "${{ vars.AWS_ROLE_ARN }}", "aws-region": "${{ vars.AWS_REGION }}", "role-session-name": "dags-build-${{ github.run_id }}" });
            const login = steps.findIndex((s) => s.uses?.startsWith("aws-actions/amazon-ecr-login@"));
            assert.ok(login > steps.indexOf(creds));
            assert.equal(steps[login].id, "ecr");
        });

        it("lints the DAGs before anything touches AWS, and pushes only what is not there yet", () => {
            const steps = build.doc.jobs.image.steps as any[];
            const index = (pred: (s: any) => boolean) => { const i = steps.findIndex(pred); assert.ok(i >= 0); return i; };
            const lint = index((s) => /docker build --target lint/.test(s.run ?? ""));
            const creds = index((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"));
            const exists = index((s) => s.id === "exists");
            const buildStep = index((s) => /docker build --target final/.test(s.run ?? ""));
            const push = index((s) => /docker push/.test(s.run ?? ""));
            assert.ok(lint < creds && creds < exists && exists < buildStep && buildStep < push);
            assert.match(steps[exists].run, /aws ecr batch-get-image --repository-name "\$ECR_REPOSITORY"/);
            for (const i of [buildStep, push]) assert.equal(steps[i].if, "steps.exists.outputs.found != 'true'");
            assert.equal(build.doc.concurrency["cancel-in-progress"], false);
        });
    });

    describe("this project: ci.yml", () => {
        it("runs on every push and every pull request", () => {
            assert.deepEqual(Object.keys(ci.events).sort(), ["pull_request", "push"]);
            assert.deepEqual(ci.events.push, {});
            assert.deepEqual(ci.events.pull_request, {});
            assert.deepEqual(ci.doc.permissions, { contents: "read" });
        });

        it("tests with PostgreSQL and moto installed, through .ci/run (npm ci && npm test), on Node 22 (Node 20 left support in April 2026)", () => {
            const steps = ci.doc.jobs.test.steps as any[];
            const node = steps.find((s) => s.uses?.startsWith("actions/setup-node@"));
            assert.equal(node.with["node-version"], 22);
            // Every job on the same supported Node, and the project says so too.
            for (const job of Object.values(ci.doc.jobs) as { steps: any[] }[]) {
                for (const step of job.steps.filter((x) => x.uses?.startsWith("actions/setup-node@"))) assert.equal(step.with["node-version"], 22);
            }
            assert.equal(JSON.parse(read(path.join(ROOT, "package.json"))).engines.node, ">=22");
            const install = steps.map((s) => s.run ?? "").join("\n");
            assert.match(install, /apt-get install -y -qq postgresql/);
            assert.match(install, /pip install --quiet "moto\[server\]>=5"/);
            assert.match(install, /bash \.ci\/run$/m);
            // npm ci, then the upstream cache, then the tests with upstream skips made failures.
            assert.match(read(path.join(ROOT, ".ci/run")), /\nnpm ci[^\n]*\n(?:#[^\n]*\n)*[^\n]*npm run upstream[^\n]*\nexport DATA_PLATFORM_REQUIRE_UPSTREAM=1\nnpm test\n/);
        });

        it("plans both stacks", () => {
            const runs = (ci.doc.jobs.plan.steps as any[]).map((s) => s.run).filter(Boolean);
            assert.ok(runs.includes("npm run plan -- --stack prod"));
            assert.ok(runs.includes("npm run plan -- --stack staging"));
        });

        it("previews each stack on pull requests only, through an OIDC role, and skips with a message where none is configured", () => {
            const preview = ci.doc.jobs.preview;
            assert.equal(preview.if, "github.event_name == 'pull_request'");
            assert.deepEqual(preview.permissions, { contents: "read", "id-token": "write" });
            assert.deepEqual(preview.strategy.matrix.include.map((m: any) => m.stack), ["prod", "staging"]);
            assert.equal(preview.env.ROLE_ARN, "${{ vars[matrix.roleVariable] }}");
            const steps = preview.steps as any[];
            assert.equal(steps[0].id, "creds");
            assert.match(steps[0].run, /::notice title=pulumi preview skipped/);
            for (const step of steps.slice(1)) assert.equal(step.if, "steps.creds.outputs.configured == 'true'");
            const creds = steps.find((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"));
            assert.equal(creds.with["role-to-assume"], "${{ env.ROLE_ARN }}");
            const pulumi = steps.find((s) => s.uses?.startsWith("pulumi/actions@"));
            assert.equal(pulumi.with.command, "preview");
            assert.equal(pulumi.with["stack-name"], "${{ matrix.stack }}");
        });

        it("the skip decision says why, for each missing piece (run with bash)", () => {
            const script = ci.doc.jobs.preview.steps[0].run as string;
            const run = (env: Record<string, string>) => {
                const dir = tmp("ci-creds-");
                const out = path.join(dir, "out");
                fs.writeFileSync(out, "");
                const r = spawnSync("bash", ["-e", "-c", script], { env: { PATH: process.env.PATH ?? "", GITHUB_OUTPUT: out, ROLE_VARIABLE: "PULUMI_ROLE_ARN_PROD", STACK: "prod", FORK: "false", ROLE_ARN: "", BACKEND_URL: "", ...env }, encoding: "utf8" });
                assert.equal(r.status, 0, r.stderr);
                return { stdout: r.stdout, output: read(out) };
            };
            assert.match(run({}).stdout, /PULUMI_ROLE_ARN_PROD is not set/);
            assert.match(run({ ROLE_ARN: "arn:aws:iam::1:role/r" }).stdout, /PULUMI_BACKEND_URL is not set/);
            assert.match(run({ FORK: "true", ROLE_ARN: "r", BACKEND_URL: "s3://b" }).stdout, /forks/);
            assert.equal(run({ ROLE_ARN: "arn:aws:iam::1:role/r", BACKEND_URL: "s3://b" }).output, "configured=true\n");
        });
    });
});

// ---------------------------------------------------------------------------------------------------
// The tag the workflow's shell computes, against registry/image-tags.ts.
// ---------------------------------------------------------------------------------------------------
describe("DAG pipeline: the workflow's tag equals registry/image-tags.ts's", () => {
    let snippet: string;
    let repo: string;
    const git = (args: string[], env: Record<string, string> = {}) => {
        const r = spawnSync("git", args, { cwd: repo, encoding: "utf8", env: { ...process.env, ...env } });
        assert.equal(r.status, 0, r.stderr);
        return r.stdout.trim();
    };
    const commitAt = (iso: string): string => {
        fs.writeFileSync(path.join(repo, "dag.py"), `# ${iso}\n`);
        git(["add", "dag.py"]);
        git(["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", iso], { GIT_AUTHOR_DATE: iso, GIT_COMMITTER_DATE: iso });
        return git(["rev-parse", "HEAD"]);
    };
    const runSnippet = (branch: string, sha: string) => {
        const output = path.join(repo, "..", `out-${Math.random().toString(36).slice(2)}`);
        fs.writeFileSync(output, "");
        const r = spawnSync("bash", ["-c", snippet], { cwd: repo, encoding: "utf8", env: { PATH: process.env.PATH ?? "", BRANCH: branch, SHA: sha, GITHUB_OUTPUT: output } });
        return { status: r.status, stderr: r.stderr + r.stdout, tag: /^tag=(.*)$/m.exec(read(output))?.[1] };
    };

    before(() => {
        const steps = YAML.parse(read(BUILD_WORKFLOW)).jobs.image.steps as any[];
        const step = steps.find((s) => s.id === "tag");
        assert.deepEqual(step.env, { BRANCH: "${{ github.ref_name }}", SHA: "${{ github.sha }}" });
        snippet = step.run;
        // The runner substitutes ${{ }} before bash runs; the snippet must take its inputs from env only.
        assert.doesNotMatch(snippet, /\$\{\{/);
        repo = path.join(tmp("tag-repo-"), "repo");
        fs.mkdirSync(repo);
        git(["init", "-q"]);
    });

    it("is <branch>-<commit time UTC>-<7 hex>, identical for the same inputs", () => {
        const iso = "2026-11-24T08:15:30-08:00"; // 16:15:30 UTC
        const sha = commitAt(iso);
        for (const branch of ["master", "staging", "feature/nightly-dags", "release/2026.1", "team_a/x.y/z"]) {
            const r = runSnippet(branch, sha);
            assert.equal(r.status, 0, r.stderr);
            assert.equal(r.tag, formatImageTag({ branch, committedAt: new Date(iso), sha }));
        }
        assert.equal(runSnippet("master", sha).tag, `master-20261124161530-${sha.slice(0, 7)}`);
        assert.equal(runSnippet("release/2026.1", sha).tag, `release-2026-1-20261124161530-${sha.slice(0, 7)}`);
    });

    it("uses the commit's time, so a later re-run of an old commit yields the old tag, older than newer commits'", () => {
        const old = commitAt("2026-11-20T00:00:00Z");
        const newer = commitAt("2026-11-21T00:00:00Z");
        const oldTag = runSnippet("master", old).tag!;
        assert.equal(runSnippet("master", old).tag, oldTag);
        assert.ok(parseImageTag(oldTag)!.timestamp < parseImageTag(runSnippet("master", newer).tag!)!.timestamp);
    });

    it("refuses a branch too long for a tag, as formatImageTag does", () => {
        const sha = commitAt("2026-11-22T00:00:00Z");
        const branch = `feature/${"x".repeat(120)}`;
        const r = runSnippet(branch, sha);
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, /not a valid image tag/);
        assert.throws(() => formatImageTag({ branch, committedAt: new Date("2026-11-22T00:00:00Z"), sha }), /not a valid image tag/);
    });
});

// ---------------------------------------------------------------------------------------------------
// The ImagePolicy applied as Flux applies it: image-reflector-controller's RegexFilter (Go regexp
// FindStringSubmatchIndex on each tag, then Regexp.ExpandString of `extract`, keyed by the result) and
// its Numerical policy (strconv.ParseFloat of every key; any non-number fails the policy; the largest
// wins for order asc). The Go pattern runs as a JS RegExp: the one Go-only construct in it, the named
// group `(?P<name>`, is JS's `(?<name>`; the rest ([0-9]{14}, ^, $ without flags) means the same in both.
// ---------------------------------------------------------------------------------------------------
function goToJsRegExp(pattern: string): RegExp {
    const js = pattern.replace(/\(\?P</g, "(?<");
    assert.doesNotMatch(js, /\\[pPQEz]|\(\?[imsU-]/, "a Go-only construct this translation does not cover");
    return new RegExp(js);
}

/** Go's Regexp.ExpandString for templates made of literal text and $name / ${name}. */
function expand(template: string, groups: Record<string, string | undefined>): string {
    return template.replace(/\$(\{(\w+)\}|(\w+))/g, (_m, _a, braced, bare) => groups[braced ?? bare] ?? "");
}

function fluxLatest(choice: ImagePolicyChoice, tags: readonly string[]): string | undefined {
    const re = goToJsRegExp(choice.filterTags.pattern);
    const byKey = new Map<string, string>();
    for (const tag of tags) {
        const m = re.exec(tag);
        if (!m) continue;
        byKey.set(choice.filterTags.extract === "" ? tag : expand(choice.filterTags.extract, m.groups ?? {}), tag);
    }
    if (byKey.size === 0) return undefined;
    let best: { key: string; value: number } | undefined;
    for (const key of byKey.keys()) {
        // ParseFloat accepts what Number() accepts for digit strings; anything else fails the policy.
        if (!/^[0-9]+$/.test(key)) throw new Error(`failed to parse invalid numeric value '${key}'`);
        const value = Number(key);
        if (!best || value >= best.value) best = { key, value };
    }
    return byKey.get(best!.key);
}

/**
 * fluxcd/pkg/envsubst (what kustomize-controller's postBuild runs on each object's YAML text), for the
 * subset these files use: `${NAME}` is replaced, `$$` is one literal `$`, and any other `$` is literal
 * text. Anything fancier (${NAME:-default}, ${#NAME}...) is refused here rather than half-emulated.
 */
/** Flux's postBuild substitution on one file's text (airflow/flux-envsubst.ts, tested in gitops.test.ts). */
const fluxSubstitute = (text: string, vars: Record<string, string>): string => envsubst(text, vars);

describe("DAG pipeline: the ImagePolicy's tag pattern, applied as Flux does", () => {
    const sha = (n: number) => n.toString(16).padStart(7, "0").slice(-7).replace(/^./, "a");
    const at = (iso: string) => new Date(iso);
    const tag = (branch: string, iso: string, n = 1) => formatImageTag({ branch, committedAt: at(iso), sha: `${sha(n)}${"0".repeat(33)}` });

    it("formats and parses tags of the scheme", () => {
        const t = formatImageTag({ branch: "feature/a.b", committedAt: at("2026-03-08T10:30:00Z"), sha: "0123456789abcdef0123456789abcdef01234567" });
        assert.equal(t, "feature-a-b-20260308103000-0123456");
        assert.deepEqual(parseImageTag(t), { tagBranch: "feature-a-b", timestamp: "20260308103000", shortSha: "0123456" });
        assert.equal(parseImageTag("latest"), undefined);
        assert.equal(parseImageTag("master-2026030810300-0123456"), undefined);
        assert.throws(() => formatImageTag({ branch: "master", committedAt: at("2026-01-01T00:00:00Z"), sha: "XYZ" }), /hex/);
        assert.equal(tagBranch("a/b.c_d-e"), "a-b-c_d-e");
    });

    it("the newest build of the followed branch wins, whatever order the registry lists tags in", () => {
        const builds = [tag("master", "2026-11-01T07:00:00Z", 1), tag("master", "2026-11-23T23:59:59Z", 2), tag("master", "2026-10-31T12:00:00Z", 3), tag("master", "2026-11-23T23:59:58Z", 4)];
        const expected = builds[1];
        for (let rotation = 0; rotation < builds.length; rotation++) {
            const listed = [...builds.slice(rotation), ...builds.slice(0, rotation)];
            assert.equal(fluxLatest(imagePolicyFor("master"), listed), expected);
            assert.equal(fluxLatest(imagePolicyFor("master"), [...listed].reverse()), expected);
        }
        // Across a year boundary and many builds: the largest timestamp, not the last listed.
        const many = Array.from({ length: 200 }, (_, i) => tag("master", new Date(Date.UTC(2025, 11, 31) + i * 3_600_000 * 7).toISOString(), i + 1));
        const shuffled = [...many].sort((a, b) => (a.slice(-7) < b.slice(-7) ? -1 : 1));
        assert.equal(fluxLatest(imagePolicyFor("master"), shuffled), many[many.length - 1]);
    });

    it("never picks another branch's tags, even a branch that extends this one's name, nor malformed tags", () => {
        const mine = tag("master", "2026-11-20T00:00:00Z", 7);
        const others = [
            tag("master-old", "2026-11-24T00:00:00Z", 8), // a branch named master-old, newer
            tag("staging", "2026-11-25T00:00:00Z", 9),
            tag("feature/master", "2026-11-25T00:00:00Z", 10),
            tag("xmaster", "2026-11-25T00:00:00Z", 11),
            tag("master/hotfix", "2026-11-25T00:00:00Z", 12), // master-hotfix-...
            "master-20261125000000-abcdef1-extra", "master-20261125000000-abcdef12", "master-20261125000000-ABCDEF1",
            "master-2026112500000-abcdef1", "master-202611250000000-abcdef1", "master-20261125000000", "master", "latest",
            "master-20261125000000-abcdef1.sig", "Master-20261125000000-abcdef1", "master_20261125000000_abcdef1",
            "master-20261125000000-abcdeg1", " master-20261125000000-abcdef1", "master-2026112500000x-abcdef1",
        ];
        assert.equal(fluxLatest(imagePolicyFor("master"), [...others, mine]), mine);
        assert.equal(fluxLatest(imagePolicyFor("master"), others), undefined);
        // And the other way round: master's tags are never staging's or master-old's.
        assert.equal(fluxLatest(imagePolicyFor("master-old"), [mine, others[0]]), others[0]);
        assert.equal(fluxLatest(imagePolicyFor("staging"), [mine, others[0], others[1]]), others[1]);
        // A branch with / and . follows its own tags only (the dot is not a wildcard: it became -).
        const release = tag("release/2026.1", "2026-11-20T00:00:00Z", 13);
        assert.equal(fluxLatest(imagePolicyFor("release/2026.1"), [release, "release-2026x1-20261125000000-abcdef1"]), release);
    });

    it("every tag it selects yields a numeric key, so Flux's numerical policy can never fail on our tags", () => {
        const re = goToJsRegExp(imagePolicyFor("master").filterTags.pattern);
        for (const t of ["master-00000000000000-0000000", "master-99991231235959-fffffff"]) {
            const key = expand("$ts", re.exec(t)!.groups!);
            assert.match(key, /^[0-9]{14}$/);
            assert.ok(Number.isSafeInteger(Number(key)));
        }
        // The emulation itself fails like Flux does on a non-numeric key (a pattern that allowed one).
        assert.throws(() => fluxLatest({ ...imagePolicyFor("master"), filterTags: { pattern: "^(?P<ts>.*)$", extract: "$ts" } }, ["abc"]), /numeric/);
    });

    it("IMAGE_BRANCH is regexp-literal and YAML-safe for every branch name the config accepts", () => {
        for (const branch of ["master", "main", "staging", "feature/x", "release/2026.1", "a_b.c-d/e"]) {
            assert.match(imageBranchSetting(branch), /^[A-Za-z0-9_][A-Za-z0-9_-]*$/);
        }
        assert.throws(() => imageBranchSetting(".hidden"), /cannot start an image tag/);
    });

    describe("after Flux's postBuild substitution of the file in gitops/", () => {
        const policyFile = path.join(AUTOMATION_DIR, "imagepolicy.yaml");
        // kustomize-controller serialises each object back to YAML before substituting; the quoting
        // style of that serialiser is not ours to choose, so every style is tried.
        const styles = ["PLAIN", "QUOTE_SINGLE", "QUOTE_DOUBLE"] as const;
        for (const branch of ["master", "staging", "release/2026.1", "feature/Nightly_x"]) {
            it(`the substituted pattern is exactly imagePolicyFor(${JSON.stringify(branch)}) and selects that branch's newest tag`, () => {
                const object = YAML.parse(read(policyFile));
                assert.deepEqual(object.spec.filterTags, IMAGE_POLICY_TEMPLATE.filterTags);
                for (const style of styles) {
                    const text = new YAML.Document(object).toString({ defaultStringType: style, defaultKeyType: "PLAIN" });
                    const substituted = YAML.parse(fluxSubstitute(text, { IMAGE_BRANCH: imageBranchSetting(branch) }));
                    const choice: ImagePolicyChoice = { filterTags: substituted.spec.filterTags, policy: substituted.spec.policy };
                    assert.deepEqual(choice, imagePolicyFor(branch), `style ${style}`);
                    const older = tag(branch, "2026-11-01T00:00:00Z", 1);
                    const newer = tag(branch, "2026-11-02T00:00:00Z", 2);
                    assert.equal(fluxLatest(choice, [newer, older, tag("other", "2026-12-01T00:00:00Z", 3)]), newer);
                }
            });
        }
        it("the substitution emulation follows fluxcd/pkg/envsubst on the cases that matter here", () => {
            assert.equal(fluxSubstitute("^${B}-(?P<ts>x)$ $ts $$x", { B: "m" }), "^m-(?P<ts>x)$ $ts $x");
            assert.throws(() => fluxSubstitute("${B-x}", {}), /missing closing brace/);
        });
    });
});

// ---------------------------------------------------------------------------------------------------
// The Flux objects in gitops/apps/image-automation/.
// ---------------------------------------------------------------------------------------------------
describe("DAG pipeline: Flux image automation objects", () => {
    const imageSchema = (kind: string) => fluxSchema({ apiVersion: "image.toolkit.fluxcd.io/v1", kind });
    const files = { imageRepository: "imagerepository.yaml", imagePolicy: "imagepolicy.yaml", imageUpdateAutomation: "imageupdateautomation.yaml" } as const;
    const expected = imageAutomationObjects();
    const fromFile = (file: string) => YAML.parse(read(path.join(AUTOMATION_DIR, file)));
    const settingsFor = (environment: string, branch: string): Record<string, string> => ({
        ENVIRONMENT: environment,
        GITOPS_PATH: `./clusters/${environment}`,
        AIRFLOW_IMAGE_REPOSITORY: `123456789012.dkr.ecr.us-east-1.amazonaws.com/data-platform-${environment}/airflow`,
        IMAGE_BRANCH: imageBranchSetting(branch),
    });

    it("the files are exactly what registry/image-tags.ts builds, and the kustomization lists all three", () => {
        for (const [key, file] of Object.entries(files)) assert.deepEqual(fromFile(file), expected[key as keyof typeof files], file);
        assert.deepEqual(fromFile("kustomization.yaml").resources, Object.values(files));
    });

    it("validate against the CRD schemas of the Flux the cluster runs (2.8.5), before and after substitution for both stacks", function () {
        requireUpstream(this);
        for (const [key, file] of Object.entries(files)) {
            const object = fromFile(file);
            const validate = fluxSchema(object);
            assert.ok(validate(object), `${file}: ${fluxErrorsText(validate.errors)}`);
            for (const [env, branch] of [["prod", "master"], ["staging", "staging"]]) {
                const substituted = YAML.parse(fluxSubstitute(read(path.join(AUTOMATION_DIR, file)), settingsFor(env, branch)));
                assert.ok(validate(substituted), `${file} (${env}): ${fluxErrorsText(validate.errors)}`);
                assert.doesNotMatch(JSON.stringify(substituted), /\$\{/, key);
            }
        }
    });

    it("the schemas catch a broken object (provider ecr, no policy); Flux 2.8.5's CRD does not refuse a forced refspec, so none is written", function () {
        requireUpstream(this);
        const repo = structuredClone(expected.imageRepository) as any;
        repo.spec.provider = "ecr";
        assert.equal(imageSchema("ImageRepository")(repo), false);
        const automation = structuredClone(expected.imageUpdateAutomation) as any;
        automation.spec.git.push = { refspec: "+refs/heads/main:refs/heads/main" };
        // Flux 2.9 added a pattern refusing "+" refspecs; the 2.8.5 CRD the cluster runs accepts one, so
        // the objects must simply not use it (cluster/chart-versions.ts FLUX_CHART).
        assert.equal(imageSchema("ImageUpdateAutomation")(automation), true);
        assert.equal((expected.imageUpdateAutomation.spec.git as { push?: unknown }).push, undefined);
        const badInterval = structuredClone(expected.imageUpdateAutomation) as any;
        badInterval.spec.interval = "5 minutes";
        assert.equal(imageSchema("ImageUpdateAutomation")(badInterval), false);
        const policy = structuredClone(expected.imagePolicy) as any;
        delete policy.spec.policy;
        assert.equal(imageSchema("ImagePolicy")(policy), false);
    });

    it("use only platform-settings variables, and name no account, bucket or host", () => {
        const text = Object.values(files).map((f) => read(path.join(AUTOMATION_DIR, f))).join("\n");
        const used = [...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]);
        assert.deepEqual([...new Set(used)].sort(), ["AIRFLOW_IMAGE_REPOSITORY", "ENVIRONMENT", "GITOPS_PATH", "IMAGE_BRANCH"]);
        for (const name of used) assert.ok((PLATFORM_SETTING_KEYS as readonly string[]).includes(name), name);
        assert.doesNotMatch(text, /\d{12}|amazonaws\.com|arn:aws/);
    });

    it("each stack's automation writes only its own cluster folder and pushes back to gitops-write's branch", () => {
        const spec = expected.imageUpdateAutomation.spec as any;
        assert.equal(spec.update.path, "${GITOPS_PATH}");
        assert.deepEqual(spec.sourceRef, { kind: "GitRepository", name: "gitops-write" });
        assert.equal(spec.git.checkout, undefined, "checkout defaults to the GitRepository's ref");
        assert.equal(spec.git.push, undefined, "push defaults to the checkout branch");
        assert.equal(expected.imageRepository.spec.provider, "aws");
        assert.equal(IMAGE_TAG_SETTER, '{"$imagepolicy": "flux-system:airflow:tag"}');
    });

    it("the setter marker sits in each stack's own folder, not in the shared apps folder", function () {
        const clusters = path.join(ROOT, "gitops/clusters");
        const yamlFiles = (dir: string): string[] => fs.existsSync(dir)
            ? fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => e.isDirectory() ? yamlFiles(path.join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [path.join(dir, e.name)] : [])
            : [];
        const markers = (dir: string) => yamlFiles(dir).flatMap((f) => read(f).split("\n").filter((l) => l.includes(IMAGE_TAG_SETTER)).map((l) => ({ f, l })));
        const stacks = ["prod", "staging"].filter((s) => fs.existsSync(path.join(clusters, s)));
        if (stacks.length < 2 || markers(clusters).length === 0) {
            // gitops/clusters/ is Airflow's delivery; this check waits for its marker.
            this.skip();
        }
        assert.deepEqual(markers(path.join(ROOT, "gitops/apps")), []);
        for (const stack of stacks) {
            const found = markers(path.join(clusters, stack));
            assert.equal(found.length, 1, `${stack}: ${JSON.stringify(found)}`);
            assert.match(found[0].l, /^\s*tag: .*# \{"\$imagepolicy": "flux-system:airflow:tag"\}\s*$/);
        }
    });
});

// ---------------------------------------------------------------------------------------------------
// The DAG repository's files.
// ---------------------------------------------------------------------------------------------------
describe("DAG pipeline: the DAG repository template", () => {
    const dag = path.join(DAGS_REPO, "dags/example_nightly.py");
    const lint = path.join(DAGS_REPO, "scripts/lint_dags.py");
    const python = (args: string[], env: Record<string, string> = {}, cwd?: string) =>
        spawnSync("python3", args, { encoding: "utf8", cwd, env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1", ...env } });

    it("the example DAG and the lint script pass python3 -m py_compile", () => {
        const cache = tmp("pycache-");
        for (const file of [dag, lint]) {
            const r = python(["-m", "py_compile", file], { PYTHONPYCACHEPREFIX: cache });
            assert.equal(r.status, 0, `${file}: ${r.stderr}`);
        }
        const broken = path.join(tmp("broken-py-"), "x.py");
        fs.writeFileSync(broken, "def f(:\n");
        assert.notEqual(python(["-m", "py_compile", broken], { PYTHONPYCACHEPREFIX: cache }).status, 0);
    });

    it("the Dockerfile builds on the official image of the chart's Airflow, pinned, with its constraints, as airflow", () => {
        const dockerfile = read(path.join(DAGS_REPO, "Dockerfile"));
        const from = [...dockerfile.matchAll(/^FROM\s+(\S+)(?:\s+AS\s+(\S+))?$/gm)].map((m) => ({ image: m[1], stage: m[2] }));
        assert.deepEqual(from.map((f) => f.stage), ["base", "lint", "final"]);
        const base = /^apache\/airflow:(\d+\.\d+\.\d+)-python(\d+\.\d+)@sha256:[0-9a-f]{64}$/.exec(from[0].image);
        assert.ok(base, from[0].image);
        assert.equal(base[1], AIRFLOW_VERSION, "base image's Airflow = the chart's default Airflow (airflow/versions.ts)");
        assert.equal(base[2], AIRFLOW_PYTHON_VERSION);
        assert.match(dockerfile, new RegExp(`^ARG AIRFLOW_VERSION=${AIRFLOW_VERSION.replace(/\./g, "\\.")}$`, "m"));
        assert.match(dockerfile, new RegExp(`^ARG PYTHON_VERSION=${AIRFLOW_PYTHON_VERSION.replace(/\./g, "\\.")}$`, "m"));
        assert.match(dockerfile, /"apache-airflow==\$\{AIRFLOW_VERSION\}"/);
        assert.match(dockerfile, /--constraint "https:\/\/raw\.githubusercontent\.com\/apache\/airflow\/constraints-\$\{AIRFLOW_VERSION\}\/constraints-\$\{PYTHON_VERSION\}\.txt"/);
        // Never root: every USER is airflow, and the last instruction that sets one is airflow.
        const users = [...dockerfile.matchAll(/^USER\s+(\S+)$/gm)].map((m) => m[1]);
        assert.ok(users.length > 0 && users.every((u) => u === "airflow"), users.join(","));
        // The image's DAGs come out of the lint stage: no image without a passing lint.
        assert.match(dockerfile, /^COPY --from=lint .*\/opt\/airflow\/dags\/ \/opt\/airflow\/dags\/$/m);
        assert.match(dockerfile, /^RUN python -B \/tmp\/lint_dags\.py \/opt\/airflow\/dags$/m);
        // What the Dockerfile copies is in the build context.
        const ignore = read(path.join(DAGS_REPO, ".dockerignore"));
        for (const entry of ["!dags/", "!scripts/lint_dags.py", "!requirements.txt"]) assert.ok(ignore.split("\n").includes(entry), entry);
    });

    it("the HelmRelease pins the chart of airflow/versions.ts and runs the same Airflow as the DAG image's base", () => {
        const values = airflowValues() as Record<string, unknown>;
        assert.equal(values.airflowVersion, AIRFLOW_VERSION);
        assert.equal(values.defaultAirflowTag, AIRFLOW_VERSION);
        const release = YAML.parse(read(path.join(ROOT, "gitops/apps/airflow/helmrelease.yaml")));
        assert.equal(String(release.spec.chart.spec.version), AIRFLOW_CHART_VERSION);
        assert.equal(String(release.spec.values.airflowVersion), AIRFLOW_VERSION);
    });

    describe("scripts/lint_dags.py and the example DAG, against a stand-in for airflow.sdk", () => {
        // Real Airflow cannot be installed here (no PyPI). This stand-in has only what the DAG file and
        // the lint script touch: DAG objects that @dag creates and keeps alive (as Airflow's registry
        // does), @task, CronTriggerTimetable and pendulum.datetime/now recording their arguments. It
        // proves the lint script's decisions and the DAG's declared schedule, not Airflow's behaviour.
        let fake: string;
        before(() => {
            fake = tmp("fake-airflow-");
            fs.mkdirSync(path.join(fake, "airflow/sdk"), { recursive: true });
            fs.writeFileSync(path.join(fake, "airflow/__init__.py"), "");
            fs.writeFileSync(path.join(fake, "airflow/sdk/__init__.py"), [
                "_registry = []",
                "class DAG:",
                "    def __init__(self, dag_id, **kwargs):",
                "        self.dag_id = dag_id",
                "        self.kwargs = kwargs",
                "        _registry.append(self)",
                "class CronTriggerTimetable:",
                "    def __init__(self, cron, *, timezone):",
                "        self.cron, self.timezone = cron, timezone",
                "def dag(dag_id=None, **kwargs):",
                "    def wrap(fn):",
                "        def build():",
                "            d = DAG(dag_id or fn.__name__, **kwargs)",
                "            fn()",
                "            return d",
                "        return build",
                "    return wrap",
                "def task(fn):",
                "    return lambda *a, **k: None",
                "",
            ].join("\n"));
            // The Amazon provider's SnsNotifier, recording what it is built with (the real one publishes
            // the rendered subject and message to target_arn when Airflow calls it on a failure).
            fs.mkdirSync(path.join(fake, "airflow/providers/amazon/aws/notifications"), { recursive: true });
            for (const pkg of ["airflow/providers", "airflow/providers/amazon", "airflow/providers/amazon/aws", "airflow/providers/amazon/aws/notifications"]) {
                fs.writeFileSync(path.join(fake, pkg, "__init__.py"), "");
            }
            fs.writeFileSync(path.join(fake, "airflow/providers/amazon/aws/notifications/sns.py"), [
                "class SnsNotifier:",
                "    def __init__(self, *, aws_conn_id='aws_default', target_arn, message, subject=None, message_attributes=None, region_name=None):",
                "        self.kwargs = dict(aws_conn_id=aws_conn_id, target_arn=target_arn, message=message, subject=subject)",
                "",
            ].join("\n"));
            fs.writeFileSync(path.join(fake, "pendulum.py"), [
                "class _T:",
                "    def __init__(self, *args, tz=None):",
                "        self.args, self.tz = args, tz",
                "def datetime(*args, tz=None):",
                "    return _T(*args, tz=tz)",
                "def now(tz=None):",
                "    return _T(tz=tz)",
                "",
            ].join("\n"));
        });
        const runLint = (dagsDir: string) => python([lint, dagsDir], { PYTHONPATH: fake });
        const dagsWith = (files: Record<string, string>) => {
            const dir = tmp("dags-");
            for (const [name, body] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), body);
            return dir;
        };

        it("passes the template's dags/ folder and names its DAG", () => {
            const r = runLint(path.join(DAGS_REPO, "dags"));
            assert.equal(r.status, 0, r.stderr);
            assert.match(r.stdout, /ok {2}example_nightly\.py: example_nightly/);
            assert.ok(!fs.existsSync(path.join(DAGS_REPO, "dags/__pycache__")), "no bytecode written into the template");
        });

        it("the example DAG runs daily at 00:00 America/Los_Angeles, without catch-up, through the Airflow 3 SDK", () => {
            const probe = [
                "import importlib.util, json, sys",
                `spec = importlib.util.spec_from_file_location("example_nightly", ${JSON.stringify(dag)})`,
                "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)",
                "import airflow.sdk as sdk",
                "d = sdk._registry[-1]",
                "s = d.kwargs['schedule']",
                "print(json.dumps({'dag_id': d.dag_id, 'cron': s.cron, 'tz': s.timezone, 'start_tz': d.kwargs['start_date'].tz, 'catchup': d.kwargs['catchup']}))",
            ].join("\n");
            const r = python(["-c", probe], { PYTHONPATH: fake });
            assert.equal(r.status, 0, r.stderr);
            assert.deepEqual(JSON.parse(r.stdout), { dag_id: "example_nightly", cron: "0 0 * * *", tz: "America/Los_Angeles", start_tz: "America/Los_Angeles", catchup: false });
            assert.match(read(dag), /^from airflow\.sdk import CronTriggerTimetable, dag, task$/m);
        });

        it("the example DAG alerts on every task's failure: the SNS notifier to the platform's topic, with the pod's own role", () => {
            const probe = [
                "import importlib.util, json",
                `spec = importlib.util.spec_from_file_location("example_nightly", ${JSON.stringify(dag)})`,
                "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)",
                "import airflow.sdk as sdk",
                "from airflow.providers.amazon.aws.notifications.sns import SnsNotifier",
                "d = sdk._registry[-1]",
                "cb = d.kwargs['default_args']['on_failure_callback']",
                "print(json.dumps({'notifier': isinstance(cb, SnsNotifier), 'retries': d.kwargs['default_args']['retries'], **cb.kwargs}))",
            ].join("\n");
            const topic = "arn:aws:sns:us-east-1:123456789012:data-platform-prod-cluster-dag-alerts";
            const r = python(["-c", probe], { PYTHONPATH: fake, DATA_PLATFORM_ALERT_TOPIC_ARN: topic });
            assert.equal(r.status, 0, r.stderr);
            const got = JSON.parse(r.stdout);
            assert.deepEqual([got.notifier, got.retries, got.aws_conn_id, got.target_arn], [true, 1, null, topic]);
            // Jinja the notifier renders at failure time: which task, which try, where its log is.
            assert.match(got.subject, /\{\{ ti\.dag_id \}\}\.\{\{ ti\.task_id \}\} failed/);
            assert.match(got.message, /\{\{ ti\.try_number \}\}.*\{\{ ti\.log_url \}\}/);
            // The variable is the one the chart sets in every Airflow container (airflow/values.ts).
            assert.equal(DAG_ALERT_TOPIC_ENV, "DATA_PLATFORM_ALERT_TOPIC_ARN");
        });

        it("fails on an import error, a DAG file that creates no DAG, a duplicate dag_id, and an empty folder", () => {
            const good = "from airflow.sdk import dag\n@dag(dag_id='a')\ndef a():\n    pass\na()\n";
            const cases: Array<[Record<string, string>, RegExp]> = [
                [{ "ok.py": good, "broken.py": "import airflow\nimport no_such_module_here\n# dag\n" }, /broken\.py: import failed: ModuleNotFoundError/],
                [{ "ok.py": good, "raises.py": "raise RuntimeError('boom')\n" }, /raises\.py: import failed: RuntimeError: boom/],
                [{ "forgot.py": "from airflow.sdk import dag\n@dag(dag_id='f')\ndef f():\n    pass\n" }, /forgot\.py: mentions airflow and dag but creates no DAG/],
                [{ "one.py": good, "two.py": good }, /two\.py: dag_id 'a' is already defined in one\.py/],
                [{}, /no DAG found/],
            ];
            for (const [files, message] of cases) {
                const r = runLint(dagsWith(files));
                assert.equal(r.status, 1, `${Object.keys(files)}: ${r.stdout}${r.stderr}`);
                assert.match(r.stderr, message);
            }
            // A helper module beside the DAGs that is not a DAG file passes, and DAGs may import it.
            const r = runLint(dagsWith({ "helpers.py": "VALUE = 1\n", "uses.py": "from helpers import VALUE\n" + good }));
            assert.equal(r.status, 0, r.stderr);
        });
    });
});
