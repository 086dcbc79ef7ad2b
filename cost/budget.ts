// The stack's AWS Budgets amount and alerts. Pure: the amount is the configured one, or the stack's
// own estimate (data/estimates.json, written by `npm run docs` from the evaluated program) plus a
// margin, so the first alert means "more than this stack was designed to cost", not noise.

import * as fs from "fs";
import * as path from "path";

/** Written by `npm run docs` from each stack's evaluated program; tests fail when it drifts. */
export const ESTIMATES_FILE = path.join(__dirname, "..", "data", "estimates.json");

export function readEstimates(file: string = ESTIMATES_FILE): Readonly<Record<string, StackEstimate | undefined>> {
    return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, StackEstimate>) : {};
}

/** Over the estimate: usage the estimate assumes (NAT traffic, logs, a longer night) can vary this much. */
export const BUDGET_MARGIN = 0.2;

export interface StackEstimate {
    /** USD a month at the stack's expected awake hours. */
    readonly monthly: number;
    /** USD a month if the platform never slept. */
    readonly alwaysOn: number;
    readonly awakeHoursPerDay: number;
    readonly priceDate: string;
}

export interface Decision<T> {
    readonly value: T;
    readonly reason: string;
}

/** The monthly budget in whole dollars, and why. */
export function budgetAmount(configured: number | undefined, estimate: StackEstimate | undefined): Decision<number> {
    if (configured !== undefined) return { value: configured, reason: `monthlyBudgetUsd: $${configured} a month` };
    if (estimate === undefined) throw new Error("no estimate for this stack in data/estimates.json: run `npm run docs`, or set monthlyBudgetUsd");
    const value = Math.ceil(estimate.monthly * (1 + BUDGET_MARGIN));
    return { value, reason: `the estimate ($${estimate.monthly.toFixed(2)} at ${estimate.awakeHoursPerDay} h a night, prices of ${estimate.priceDate}) plus ${BUDGET_MARGIN * 100}%` };
}

/**
 * What one night costs, from the stack's estimate: the parts that sleep (nodes, their disks, the
 * database) an awake hour, and the parts that never do (control plane, load balancer, search, NAT...)
 * a day. Sleeping saves (alwaysOn - monthly) over the asleep hours, which is the awake hourly cost
 * times those hours; the rest of the monthly figure is the never-sleeping part.
 */
export function nightCostRates(estimate: StackEstimate | undefined, hoursPerMonth = 730): { perAwakeHour: number; fixedPerDay: number } | undefined {
    if (estimate === undefined) return undefined;
    const days = hoursPerMonth / 24;
    const awakeHours = estimate.awakeHoursPerDay * days;
    const perAwakeHour = (estimate.alwaysOn - estimate.monthly) / (hoursPerMonth - awakeHours);
    const fixedPerDay = (estimate.monthly - awakeHours * perAwakeHour) / days;
    const round = (n: number) => Math.round(n * 10_000) / 10_000;
    return { perAwakeHour: round(perAwakeHour), fixedPerDay: round(fixedPerDay) };
}

/** When AWS Budgets e-mails: at 80% and 100% of actual spend, and when the month's forecast passes 100%. */
export const BUDGET_ALERTS = [
    { notificationType: "ACTUAL", threshold: 80 },
    { notificationType: "ACTUAL", threshold: 100 },
    { notificationType: "FORECASTED", threshold: 100 },
] as const;
