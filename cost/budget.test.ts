// The stack's AWS Budgets budget: its amount (configured, or the estimate plus a margin), what it
// counts, and who it tells; and data/estimates.json kept equal to the evaluated program's estimate.

import { strict as assert } from "assert";
import { BUDGET_MARGIN, budgetAmount, readEstimates } from "./budget";
import { currentEstimates } from "../offline/estimates";
import { STACKS, stackEvaluation } from "../tests/stacks";

const BUDGET = "aws:budgets/budget:Budget";

describe("budget amount (pure)", () => {
    const estimate = { monthly: 164.58, alwaysOn: 305.88, awakeHoursPerDay: 2, priceDate: "2026-11-25" };
    it("is the configured amount when one is set", () => {
        assert.deepEqual(budgetAmount(250, estimate), { value: 250, reason: "monthlyBudgetUsd: $250 a month" });
    });
    it("is otherwise the estimate plus 20%, rounded up to a whole dollar", () => {
        assert.equal(BUDGET_MARGIN, 0.2);
        assert.equal(budgetAmount(undefined, estimate).value, 198); // 164.58 × 1.2 = 197.50 → 198
        assert.match(budgetAmount(undefined, estimate).reason, /estimate \(\$164\.58 at 2 h a night, prices of 2026-11-25\) plus 20%/);
    });
    it("refuses to guess without an estimate", () => {
        assert.throws(() => budgetAmount(undefined, undefined), /run `npm run docs`, or set monthlyBudgetUsd/);
    });
});

describe("data/estimates.json", function () {
    this.timeout(120_000);
    it("equals each stack's estimate from the program as it is now (run `npm run docs` after a change)", async () => {
        assert.deepEqual(readEstimates(), await currentEstimates());
    });
});

for (const stack of STACKS) {
    describe(`budget under mocks: stack ${stack}`, () => {
        it("counts this stack's resources by their Stack tag, monthly, at the estimate plus 20%; no e-mail configured, no notification", async () => {
            const e = await stackEvaluation(stack);
            const [budget, ...rest] = e.ofType(BUDGET);
            assert.deepEqual(rest, []);
            assert.equal(budget.parent, `data-platform:index:CostBudget::data-platform-${stack}-budget`);
            assert.equal(budget.inputs.budgetType, "COST");
            assert.equal(budget.inputs.timeUnit, "MONTHLY");
            assert.equal(budget.inputs.limitUnit, "USD");
            assert.equal(budget.inputs.limitAmount, `${Math.ceil(readEstimates()[stack]!.monthly * 1.2)}.00`);
            assert.deepEqual(budget.inputs.costFilters, [{ name: "TagKeyValue", values: [`user:Stack$${stack}`] }]);
            assert.deepEqual(budget.inputs.notifications, []);
        });
    });
}

describe("budget with an operator e-mail and a configured amount", () => {
    it("e-mails at 80% and 100% of actual spend and at 100% of the forecast", async () => {
        const e = await stackEvaluation("prod", { "data-platform:operatorEmail": "ops@example.org", "data-platform:monthlyBudgetUsd": 180 });
        const [budget] = e.ofType(BUDGET);
        assert.equal(budget.inputs.limitAmount, "180.00");
        assert.deepEqual(budget.inputs.notifications.map((n: Record<string, unknown>) => [n.notificationType, n.threshold, n.comparisonOperator, n.thresholdType, n.subscriberEmailAddresses]), [
            ["ACTUAL", 80, "GREATER_THAN", "PERCENTAGE", ["ops@example.org"]],
            ["ACTUAL", 100, "GREATER_THAN", "PERCENTAGE", ["ops@example.org"]],
            ["FORECASTED", 100, "GREATER_THAN", "PERCENTAGE", ["ops@example.org"]],
        ]);
        // The same address gets the scheduler's alarms (and its morning report) and the DAGs' failure alerts.
        assert.deepEqual(e.ofType("aws:sns/topicSubscription:TopicSubscription").map((s) => [s.name.replace("data-platform-prod-", ""), s.inputs.protocol, s.inputs.endpoint]).sort(),
            [["cluster-dag-alerts-email", "email", "ops@example.org"], ["scheduler-alarms-email", "email", "ops@example.org"]]);
    });
});
