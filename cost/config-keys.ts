// The cost estimate's and the budget's configuration keys.

import { intRange, type ConfigKey } from "../core/config-spec";

export interface CostSettings {
    /** Hours a day the platform is expected awake: what the estimate prices the sleeping parts at. */
    readonly expectedAwakeHours: number;
    /** The monthly AWS Budgets amount; unset: the estimate plus a margin. */
    readonly monthlyBudgetUsd?: number;
}

export const COST_KEYS: readonly ConfigKey[] = [
    {
        name: "expectedAwakeHours",
        type: "integer",
        group: "Cost",
        description: "Hours a day the platform is expected awake (the nightly run): what the estimate prices nodes and the metastore at.",
        default: 2,
        allowed: "an integer from 1 to 24, at most powerDeadlineHours",
        check: intRange(1, 24),
    },
    {
        name: "monthlyBudgetUsd",
        type: "integer",
        group: "Cost",
        description: "The stack's AWS Budgets amount in USD a month (e-mails at 80% and 100% actual, 100% forecast). Unset: the estimate plus 20%.",
        optional: true,
        allowed: "an integer from 10 to 100000",
        check: intRange(10, 100000),
    },
];
