// `npm run bench`: per stack, the monthly estimate at the configured awake hours, the same platform
// always on, and how long the plan (evaluating the program under mocks) took.

import { benchLine } from "../cost/report";
import { evaluate } from "./evaluate";
import { estimateOf } from "./plan";
import { listStacks } from "./stack-config";

async function main(): Promise<void> {
    for (const stack of listStacks()) {
        const started = Date.now();
        const evaluation = await evaluate({ stack });
        const estimate = estimateOf(evaluation);
        console.log(benchLine(stack, estimate, (Date.now() - started) / 1000));
    }
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
