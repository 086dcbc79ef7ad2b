// Each stack's monthly estimate, from the program evaluated under mocks: what data/estimates.json
// holds (the default AWS Budgets amount) and what `npm run bench` prints.

import { evaluate } from "./evaluate";
import { estimateOf } from "./plan";
import { listStacks } from "./stack-config";
import type { StackEstimate } from "../cost/budget";
import { parseConfig } from "../config/config";
import type { Estimate } from "../cost/cost";

const cents = (n: number) => Math.round(n * 100) / 100;

export function summary(e: Estimate, awakeHoursPerDay: number): StackEstimate {
    return { monthly: cents(e.total), alwaysOn: cents(e.alwaysOn), awakeHoursPerDay, priceDate: e.priceDate };
}

/** Every stack file's estimate, evaluated one after another (the Pulumi runtime is process-global). */
export async function currentEstimates(): Promise<Record<string, StackEstimate>> {
    const out: Record<string, StackEstimate> = {};
    for (const stack of listStacks()) {
        // The budget's own amount does not change the estimate (a budget is free), and without this file
        // there is none yet: a placeholder amount lets the program evaluate.
        const evaluation = await evaluate({ stack, overrides: { "data-platform:monthlyBudgetUsd": 100000 } });
        out[stack] = summary(estimateOf(evaluation), parseConfig(evaluation.config.values, evaluation.config).cost.expectedAwakeHours);
    }
    return out;
}
