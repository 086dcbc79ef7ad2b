// Evaluates each stack (and each variant a test asks for) once, one after another: the Pulumi
// runtime is process-global, so evaluations must not overlap.

import { evaluate, type EvaluateOptions, type Evaluation } from "../offline/evaluate";
import type { ConfigOverride } from "../offline/stack-config";

export const STACKS = ["prod", "staging"] as const;

const cache = new Map<string, Promise<Evaluation>>();
let queue: Promise<unknown> = Promise.resolve();

function serial<T>(work: () => Promise<T>): Promise<T> {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
}

/** The stack's evaluation, computed once per stack and set of overrides. */
export function stackEvaluation(stack: string, overrides: Readonly<Record<string, ConfigOverride>> = {}): Promise<Evaluation> {
    const key = `${stack}:${JSON.stringify(overrides)}`;
    let found = cache.get(key);
    if (!found) {
        found = serial(() => evaluate({ stack, overrides }));
        cache.set(key, found);
    }
    return found;
}

/** A one-off evaluation (a custom program, or one expected to fail); never cached. */
export function evaluateOnce(options: EvaluateOptions): Promise<Evaluation> {
    return serial(() => evaluate(options));
}

/**
 * Runs an evaluation that must fail and returns its error. The suite's rethrowing
 * unhandledRejection handler (tests/setup.ts) is set aside meanwhile, so that what is tested is the
 * evaluator's own detection; offline/harness.test.ts proves the handler separately.
 */
export async function evaluationError(options: EvaluateOptions): Promise<Error> {
    const listeners = process.listeners("unhandledRejection");
    process.removeAllListeners("unhandledRejection");
    try {
        await evaluateOnce(options);
    } catch (err) {
        return err as Error;
    } finally {
        // The evaluator removed its own listener; give back the suite's.
        for (const l of listeners) process.on("unhandledRejection", l);
    }
    throw new Error("the evaluation was expected to fail, and it succeeded");
}
