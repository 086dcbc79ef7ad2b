import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { BUDGET_ALERTS } from "./budget";

export interface CostBudgetArgs {
    /** The stack whose resources (tag Stack=<stack>) the budget counts. */
    readonly stack: string;
    readonly budgetName: string;
    readonly limitUsd: number;
    /** Who is e-mailed; without one the budget is only visible in the console and Cost Explorer. */
    readonly email?: string;
}

/**
 * An AWS Budgets monthly cost budget for this stack's resources alone, found by the Stack tag that
 * every resource carries (the provider's default tags). AWS counts a tag only once it is activated as
 * a cost allocation tag (README, "The budget"); until then the budget sees nothing.
 */
export class CostBudget extends pulumi.ComponentResource {
    public readonly budgetName: pulumi.Output<string>;

    constructor(name: string, args: CostBudgetArgs, opts?: pulumi.ComponentResourceOptions) {
        super("data-platform:index:CostBudget", name, {}, opts);
        const budget = new aws.budgets.Budget(`${name}-monthly`, {
            name: args.budgetName,
            budgetType: "COST",
            limitAmount: args.limitUsd.toFixed(2),
            limitUnit: "USD",
            timeUnit: "MONTHLY",
            costFilters: [{ name: "TagKeyValue", values: [`user:Stack$${args.stack}`] }],
            notifications: args.email === undefined ? [] : BUDGET_ALERTS.map((alert) => ({
                comparisonOperator: "GREATER_THAN",
                notificationType: alert.notificationType,
                threshold: alert.threshold,
                thresholdType: "PERCENTAGE",
                subscriberEmailAddresses: [args.email!],
            })),
        }, { parent: this });
        this.budgetName = budget.name;
        this.registerOutputs({ budgetName: this.budgetName });
    }
}
