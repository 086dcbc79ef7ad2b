// The estimate as text: what `npm run plan` prints under the resource tree, and the one line per stack
// `npm run bench` prints. Pure.

import type { Estimate } from "./cost";

const usd = (n: number) => `$${n.toFixed(2)}`;

/** One line per billable item (dearest first), the total, the always-on figure and the saving, then what was assumed. */
export function renderEstimate(e: Estimate, options: { stack?: string } = {}): string[] {
    const lines = [...e.lines].sort((a, b) => b.monthly - a.monthly || a.item.localeCompare(b.item));
    const width = Math.max(...lines.map((l) => usd(l.monthly).length), usd(e.total).length);
    const pct = e.alwaysOn > 0 ? Math.round((e.saving / e.alwaysOn) * 100) : 0;
    const out = [
        `Monthly estimate${options.stack ? ` for ${options.stack}` : ""} (us-east-1 on-demand prices of ${e.priceDate}; ${e.sleeps ? `awake ${Math.round(e.awakeHoursPerMonth * 10) / 10} of ${e.hoursPerMonth} h` : "never asleep"}):`,
        ...lines.map((l) => {
            const always = Math.abs(l.alwaysOnMonthly - l.monthly) >= 0.005 ? ` (always on ${usd(l.alwaysOnMonthly)})` : "";
            const note = l.note ? ` — ${l.note}` : "";
            return `  ${usd(l.monthly).padStart(width)}  ${l.item}${always}  [${l.resources.join(", ")}]${note}`;
        }),
        `  ${"-".repeat(width)}`,
        `  ${usd(e.total).padStart(width)}  total a month`,
        `  ${usd(e.alwaysOn).padStart(width)}  the same platform if it never slept`,
        `  ${usd(e.saving).padStart(width)}  saved by sleeping (${pct}%)`,
    ];
    if (e.notPriced.length > 0) {
        out.push(`Not priced (${e.notPriced.length}): the total leaves these out`);
        out.push(...e.notPriced.map((u) => `  ${u.type}  ${u.resource}: ${u.reason}`));
    }
    const freeTypes = new Map<string, number>();
    for (const f of e.free) freeTypes.set(f.type, (freeTypes.get(f.type) ?? 0) + 1);
    // One type a line: the list is long (IAM, security-group rules, Kubernetes objects) and read by type.
    out.push(`Free (${e.free.length} resources of ${freeTypes.size} types, no charge of their own):`);
    out.push(...[...freeTypes.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([t, n]) => `  ${String(n).padStart(3)}  ${t}`));
    out.push("Assumptions:", ...e.assumptions.map((a) => `  - ${a}`));
    return out;
}

/** `prod ... $N` for `npm run bench`: the monthly figure at the configured awake hours, and always on. */
export function benchLine(stack: string, e: Estimate, seconds?: number): string {
    const timing = seconds === undefined ? "" : `; planned in ${seconds.toFixed(1)} s`;
    return `${stack} ... ${usd(e.total)} a month (always on ${usd(e.alwaysOn)}; sleeping saves ${usd(e.saving)}${e.notPriced.length > 0 ? `; ${e.notPriced.length} not priced` : ""}${timing})`;
}
