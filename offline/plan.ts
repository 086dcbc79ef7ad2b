// `npm run plan -- --stack <name>`: what `pulumi up` would create for a stack, without AWS, without
// credentials, without the Pulumi CLI. It evaluates the real program under the same mocks as the
// tests (offline/evaluate.ts) and prints the resource tree, counts, and the reasoning of each layout.

import { evaluate, type Evaluation } from "./evaluate";
import { listStacks } from "./stack-config";
import type { RecordedResource } from "./mocks";
import type { Network } from "../network/component";
import { parseConfig } from "../config/config";
import { estimate, readPriceFile, type Estimate } from "../cost/cost";
import { renderEstimate } from "../cost/report";

export function option(argv: readonly string[], ...names: string[]): string | undefined {
    const i = argv.findIndex((a) => names.includes(a));
    if (i >= 0) return argv[i + 1];
    const eq = argv.find((a) => names.some((n) => a.startsWith(`${n}=`)));
    return eq?.slice(eq.indexOf("=") + 1);
}

export function renderTree(evaluation: Evaluation): string[] {
    const lines: string[] = [];
    const root = evaluation.resources.find((r) => r.type === "pulumi:pulumi:Stack");
    const walk = (node: RecordedResource | "stack", prefix: string) => {
        // Registration order is asynchronous; sorting keeps the tree the same from run to run.
        const children = evaluation.childrenOf(node).sort((a, b) =>
            Number(a.custom) - Number(b.custom) || a.type.localeCompare(b.type) || a.name.localeCompare(b.name, undefined, { numeric: true }));
        children.forEach((child, i) => {
            const last = i === children.length - 1;
            lines.push(`${prefix}${last ? "└─ " : "├─ "}${child.type}  ${child.name}`);
            if (!child.custom) walk(child, `${prefix}${last ? "   " : "│  "}`);
        });
    };
    lines.push(`${root?.type ?? "pulumi:pulumi:Stack"}  ${root?.name ?? evaluation.config.stack}`);
    walk("stack", "");
    return lines;
}

export function renderCounts(evaluation: Evaluation): string[] {
    const real = evaluation.resources.filter((r) => r.type !== "pulumi:pulumi:Stack");
    const byType = new Map<string, number>();
    for (const r of real) byType.set(r.type, (byType.get(r.type) ?? 0) + 1);
    const components = real.filter((r) => !r.custom).length;
    return [
        `${real.length} resources: ${components} components, ${real.length - components} cloud resources and providers`,
        ...[...byType.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([type, n]) => `  ${String(n).padStart(3)}  ${type}`),
    ];
}

/** The monthly estimate of an evaluated stack, at the awake hours its config expects of a night. */
export function estimateOf(evaluation: Evaluation): Estimate {
    const cfg = parseConfig(evaluation.config.values, evaluation.config);
    return estimate(evaluation.resources, { awakeHoursPerDay: cfg.cost.expectedAwakeHours }, readPriceFile());
}

/** A convenience a stack may switch off (staging only; prod's config refuses), and how to switch it on. */
interface CostSwitch {
    readonly what: string;
    readonly off: (cfg: ReturnType<typeof parseConfig>) => boolean;
    readonly on: Readonly<Record<string, string | boolean | string[]>>;
}

export const COST_SWITCHES: readonly CostSwitch[] = [
    { what: "the log-search domain and its log shipper (logSearch false)", off: (cfg) => !cfg.logStore.logSearch, on: { "data-platform:logSearch": true } },
    {
        what: "the UI's public load balancer (no uiCertificateArn)",
        off: (cfg) => cfg.airflow.uiCertificateArn === undefined,
        on: {
            "data-platform:uiCertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000",
            "data-platform:uiAllowedCidrs": ["203.0.113.0/24"],
        },
    },
];

/**
 * What each switched-off convenience saves: the stack evaluated again with the switch on, priced the
 * same way. From the graphs, not from a second copy of the prices.
 */
export async function switchSavings(evaluation: Evaluation, base: Estimate, configDir?: string): Promise<string[]> {
    const cfg = parseConfig(evaluation.config.values, evaluation.config);
    const lines: string[] = [];
    for (const s of COST_SWITCHES.filter((x) => x.off(cfg))) {
        const on = estimateOf(await evaluate({ stack: evaluation.config.stack, configDir, overrides: s.on }));
        lines.push(`  switched off: ${s.what} saves $${(on.total - base.total).toFixed(2)} a month`);
    }
    return lines.length === 0 ? [] : ["Cost switches:", ...lines];
}

async function main(): Promise<number> {
    const argv = process.argv.slice(2);
    const stack = option(argv, "--stack", "-s");
    // --config-dir: read Pulumi.yaml and the stack file from elsewhere (to try a stack file out).
    const configDir = option(argv, "--config-dir");
    if (!stack) {
        console.error(`usage: npm run plan -- --stack <name> [--config-dir <dir>]   (stacks: ${listStacks(configDir).join(", ")})`);
        return 2;
    }
    const started = Date.now();
    let evaluation: Evaluation;
    try {
        // The plan is the user's look at today: it reads the clock (support-date warnings follow it).
        evaluation = await evaluate({ stack, configDir, today: new Date() });
    } catch (err) {
        console.error(`plan for stack ${stack} failed.\n${(err as Error).message}`);
        return 1;
    }
    const networks = evaluation.componentsOf<Network>("data-platform:index:Network");
    const monthly = estimateOf(evaluation);
    const warnings = parseConfig(evaluation.config.values, evaluation.config).warnings;
    const out = [
        `data-platform, stack ${stack}: what \`pulumi up\` would create (evaluated offline under Pulumi's mocks; nothing was created)`,
        "",
        // What `pulumi up` would warn about too (config.ts logs the same warnings), before the detail.
        ...(warnings.length === 0 ? [] : [`Warnings (${evaluation.config.today.toISOString().slice(0, 10)}):`, ...warnings.map((w) => `  ! ${w.key} = ${w.value ?? "(unset)"}: ${w.message}`), ""]),
        ...renderTree(evaluation),
        "",
        ...renderCounts(evaluation),
        "",
        ...networks.map((n) => `Network: ${n.plan.reason}`),
        "",
        ...renderEstimate(monthly, { stack }),
        ...(await switchSavings(evaluation, monthly, configDir)),
        "",
        `(evaluated in ${((Date.now() - started) / 1000).toFixed(1)} s)`,
    ];
    console.log(out.join("\n"));
    return 0;
}

if (require.main === module) {
    main().then((code) => process.exit(code), (err) => {
        console.error(err);
        process.exit(1);
    });
}
