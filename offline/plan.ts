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
import type { ConfigWarning } from "../core/config-spec";
import { exitWith, parseOptions, runCli, type OptionSpec } from "../core/args";

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
    const e = estimate(evaluation.resources, { awakeHoursPerDay: cfg.cost.expectedAwakeHours }, readPriceFile());
    // A total without an item would be too low, and the budget and the policy pack's ceiling follow it:
    // an item without a price stops the plan instead.
    if (e.notPriced.length > 0) {
        throw new Error(`the estimate of ${evaluation.config.stack} cannot be trusted: ${e.notPriced.length} item(s) have no price in data/prices.us-east-1.json:\n${e.notPriced.map((u) => `  - ${u.type} ${u.resource}: ${u.reason}`).join("\n")}`);
    }
    return e;
}

type Overrides = Readonly<Record<string, string | boolean | string[]>>;
type Cfg = ReturnType<typeof parseConfig>;

/**
 * A setting that moves the bill, and the other choice to price it against. `other` returns undefined
 * where there is no other choice to show (prod's config refuses a UI without a load balancer).
 */
export interface CostLever {
    readonly key: string;
    /** The current choice, as the plan prints it. */
    readonly now: (cfg: Cfg) => string;
    readonly other: (cfg: Cfg) => { readonly label: string; readonly overrides: Overrides } | undefined;
}

const k = (name: string) => `data-platform:${name}`;
const listed = (v: readonly string[]) => `[${v.join(", ")}]`;

/** Every cost lever of docs/cost.md, each priced by evaluating the stack again with its other choice. */
export const COST_LEVERS: readonly CostLever[] = [
    {
        key: "logSearch",
        now: (cfg) => String(cfg.logStore.logSearch),
        // prod's config requires log search.
        other: (cfg) => cfg.environment === "prod" ? undefined : { label: String(!cfg.logStore.logSearch), overrides: { [k("logSearch")]: !cfg.logStore.logSearch } },
    },
    {
        key: "uiCertificateArn",
        now: (cfg) => (cfg.airflow.uiCertificateArn === undefined ? "unset (no UI load balancer)" : "set (the UI's load balancer)"),
        other: (cfg) => cfg.airflow.uiCertificateArn !== undefined ? undefined : {
            label: "set (the UI's load balancer)",
            overrides: {
                [k("uiCertificateArn")]: "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000",
                [k("uiAllowedCidrs")]: ["203.0.113.0/24"],
            },
        },
    },
    {
        key: "uiLoadBalancerZones",
        now: (cfg) => listed(cfg.airflow.uiLoadBalancerZones),
        other: (cfg) => {
            if (cfg.airflow.uiCertificateArn === undefined) return undefined;
            const all = cfg.network.availabilityZones;
            const zones = cfg.airflow.uiLoadBalancerZones.length < all.length ? all : all.slice(0, 2);
            return zones.length === cfg.airflow.uiLoadBalancerZones.length ? undefined : { label: listed(zones), overrides: { [k("uiLoadBalancerZones")]: [...zones] } };
        },
    },
    {
        key: "sharedKmsKey",
        now: (cfg) => String(cfg.sharedKmsKey),
        other: (cfg) => ({ label: String(!cfg.sharedKmsKey), overrides: { [k("sharedKmsKey")]: !cfg.sharedKmsKey } }),
    },
    {
        key: "nodeCapacityType",
        now: (cfg) => cfg.cluster.nodeCapacityType,
        other: (cfg) => cfg.cluster.nodeCapacityType === "SPOT"
            ? { label: "ON_DEMAND", overrides: { [k("nodeCapacityType")]: "ON_DEMAND", [k("nodeSpotAlternativeTypes")]: [] } }
            : { label: "SPOT", overrides: { [k("nodeCapacityType")]: "SPOT" } },
    },
    {
        key: "controlPlaneLogTypes",
        now: (cfg) => listed(cfg.cluster.controlPlaneLogTypes),
        // audit alone: CIS EKS 2.1.1's minimum, the least a cluster should keep.
        other: (cfg) => listed(cfg.cluster.controlPlaneLogTypes) === "[audit]" ? undefined : { label: "[audit]", overrides: { [k("controlPlaneLogTypes")]: ["audit"] } },
    },
    {
        key: "controlPlaneLogClass",
        now: (cfg) => cfg.cluster.controlPlaneLogClass,
        other: (cfg) => {
            const label = cfg.cluster.controlPlaneLogClass === "STANDARD" ? "INFREQUENT_ACCESS" : "STANDARD";
            return { label, overrides: { [k("controlPlaneLogClass")]: label } };
        },
    },
];

/** One lever's two prices: what the stack pays now against its other choice. */
export interface LeverPrice {
    readonly key: string;
    readonly now: string;
    readonly other: string;
    /** USD a month the current choice saves against the other (negative: the other is cheaper). */
    readonly saving: number;
}

/**
 * What each lever is worth on this stack: the stack evaluated again with the lever's other choice,
 * priced the same way. From the graphs, not from a second copy of the prices.
 */
export async function leverPrices(evaluation: Evaluation, base: Estimate, configDir?: string): Promise<LeverPrice[]> {
    const cfg = parseConfig(evaluation.config.values, evaluation.config);
    const out: LeverPrice[] = [];
    for (const lever of COST_LEVERS) {
        const other = lever.other(cfg);
        if (other === undefined) continue;
        const priced = estimateOf(await evaluate({ stack: evaluation.config.stack, configDir, overrides: other.overrides }));
        out.push({ key: lever.key, now: lever.now(cfg), other: other.label, saving: priced.total - base.total });
    }
    return out;
}

export function renderLevers(levers: readonly LeverPrice[]): string[] {
    if (levers.length === 0) return [];
    const width = Math.max(...levers.map((l) => `${l.key} = ${l.now}`.length));
    return [
        "Cost levers (each priced by evaluating the stack again with only that key changed; reasons in docs/cost.md):",
        ...levers.map((l) => {
            const head = `${l.key} = ${l.now}`.padEnd(width);
            const cents = Math.abs(l.saving) < 0.005;
            return `  ${head}  ${cents ? `costs the same as ${l.other}` : l.saving > 0 ? `saves $${l.saving.toFixed(2)} a month against ${l.other}` : `${l.other} would save $${(-l.saving).toFixed(2)} a month`}`;
        }),
    ];
}

export const OPTIONS: readonly OptionSpec[] = [
    { name: "--stack", value: "<name>", help: "the stack file to evaluate, Pulumi.<name>.yaml (required)" },
    { name: "--config-dir", value: "<dir>", help: "read Pulumi.yaml and the stack file from this folder (to try a stack file out)" },
];
export const USAGE = "usage: npm run plan -- --stack <name> [--config-dir <dir>]";
const ABOUT = [
    "Prints what `pulumi up` would create for a stack and what it would cost, without AWS, credentials or",
    "the Pulumi CLI: the real program evaluated under Pulumi's mocks. Writes nothing. Exits 1 on invalid config.",
].join("\n");

export interface PlanArgs {
    readonly stack: string;
    readonly configDir?: string;
}

export function parsePlanArgs(argv: readonly string[]): PlanArgs | "help" | string {
    const parsed = parseOptions(argv, OPTIONS);
    if (typeof parsed === "string") return parsed;
    const stack = parsed.values["--stack"];
    if (typeof stack !== "string") return `--stack <name> is required (stacks: ${listStacks(parsed.values["--config-dir"] as string | undefined).join(", ")})`;
    return { stack, configDir: parsed.values["--config-dir"] as string | undefined };
}

/** The plan's first lines: what would be created, what it costs, and what to act on before `pulumi up`. */
export function renderSummary(o: { stack: string; resources: number; components: number; estimate: Estimate; warnings: readonly ConfigWarning[] }): string[] {
    const placeholders = o.warnings.filter((w) => w.message.startsWith("placeholder:")).length;
    const e = o.estimate;
    return [
        `Summary for ${o.stack}:`,
        `  ${o.resources} resources (${o.components} components, ${o.resources - o.components} cloud resources and providers)`,
        `  $${e.total.toFixed(2)} a month at ${e.sleeps ? `${Math.round((e.awakeHoursPerMonth / (e.hoursPerMonth / 24)) * 10) / 10} h awake a day` : "always on"}; $${e.alwaysOn.toFixed(2)} if it never slept`,
        `  ${o.warnings.length === 0 ? "no warnings" : `${o.warnings.length} warning${o.warnings.length === 1 ? "" : "s"}${placeholders > 0 ? ` (${placeholders} placeholder${placeholders === 1 ? "" : "s"} still in the stack file: replace them before pulumi up)` : ""}`}`,
    ];
}

async function plan(args: PlanArgs): Promise<number> {
    const { stack, configDir } = args;
    const started = Date.now();
    // The plan is the user's look at today: it reads the clock (support-date warnings follow it).
    const evaluation = await evaluate({ stack, configDir, today: new Date() });
    const networks = evaluation.componentsOf<Network>("data-platform:index:Network");
    const monthly = estimateOf(evaluation);
    const warnings = parseConfig(evaluation.config.values, evaluation.config).warnings;
    const real = evaluation.resources.filter((r) => r.type !== "pulumi:pulumi:Stack");
    const out = [
        `data-platform, stack ${stack}: what \`pulumi up\` would create (evaluated offline under Pulumi's mocks; nothing was created)`,
        "",
        ...renderSummary({ stack, resources: real.length, components: real.filter((r) => !r.custom).length, estimate: monthly, warnings }),
        "",
        // What `pulumi up` would warn about too (config/read.ts logs the same warnings), before the detail.
        ...(warnings.length === 0 ? [] : [`Warnings (${evaluation.config.today.toISOString().slice(0, 10)}):`, ...warnings.map((w) => `  ! ${w.key} = ${w.value ?? "(unset)"}: ${w.message}`), ""]),
        ...renderTree(evaluation),
        "",
        ...renderCounts(evaluation),
        "",
        ...networks.map((n) => `Network: ${n.plan.reason}`),
        "",
        ...renderEstimate(monthly, { stack }),
        ...renderLevers(await leverPrices(evaluation, monthly, configDir)),
        "",
        `(evaluated in ${((Date.now() - started) / 1000).toFixed(1)} s)`,
    ];
    console.log(out.join("\n"));
    return 0;
}

if (require.main === module) {
    exitWith(() => runCli(process.argv.slice(2), {
        usage: USAGE, about: ABOUT, options: OPTIONS, parse: parsePlanArgs,
        failure: (args) => `plan for stack ${args.stack}`,
        body: plan,
    }));
}
