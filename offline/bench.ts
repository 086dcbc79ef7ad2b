// `npm run bench`: per stack, the monthly estimate at the configured awake hours, the same platform
// always on, and how long the plan (evaluating the program under mocks) took. Writes nothing.

import { benchLine } from "../cost/report";
import { exitWith, parseOptions, runCli } from "../core/args";
import { evaluate } from "./evaluate";
import { estimateOf } from "./plan";
import { listStacks } from "./stack-config";

export const USAGE = "usage: npm run bench";
const ABOUT = "Prints one line per stack file: the monthly estimate, the always-on figure, and how long the plan took. Writes nothing.";

export function parseBenchArgs(argv: readonly string[]): Record<string, never> | "help" | string {
    const parsed = parseOptions(argv, []);
    return typeof parsed === "string" ? parsed : {};
}

if (require.main === module) {
    exitWith(() => runCli(process.argv.slice(2), {
        usage: USAGE, about: ABOUT, options: [], parse: parseBenchArgs, failure: () => "bench",
        body: async () => {
            for (const stack of listStacks()) {
                const started = Date.now();
                const estimate = estimateOf(await evaluate({ stack }));
                console.log(benchLine(stack, estimate, (Date.now() - started) / 1000));
            }
            return 0;
        },
    }));
}
