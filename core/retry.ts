// Growing pauses with a budget: what every adapter that waits for AWS uses (a node-group update in
// progress, a metastore still stopping, a power lease still held). One place, so that the doubling,
// the cap and the give-up rule are the same everywhere.

export interface RetryOptions {
    /** First pause; doubled after each one up to maxDelayMs. */
    readonly retryDelayMs?: number;
    readonly maxDelayMs?: number;
    /** Give up once this much time would have been spent waiting. */
    readonly maxWaitMs?: number;
    readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * A pacer for one wait: `pause()` sleeps the next pause and returns true, or returns false without
 * sleeping when that pause would take the total past maxWaitMs. `defaults` fill what options leave out.
 */
export function backoff(options: RetryOptions, defaults: Required<Omit<RetryOptions, "sleep">>) {
    const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    const maxWait = options.maxWaitMs ?? defaults.maxWaitMs;
    const maxDelay = options.maxDelayMs ?? defaults.maxDelayMs;
    let delay = options.retryDelayMs ?? defaults.retryDelayMs;
    let waited = 0;
    return {
        waitedMs: () => waited,
        async pause(): Promise<boolean> {
            if (waited + delay > maxWait) return false;
            await sleep(delay);
            waited += delay;
            delay = Math.min(delay * 2, maxDelay);
            return true;
        },
    };
}

/**
 * Waits until `pending()` returns undefined (done), pacing the checks with backoff(); `pending` says
 * what is still awaited, which is logged at each check and named in the error when the budget runs out.
 */
export async function waitUntil(what: string, pending: () => Promise<string | undefined>, options: RetryOptions, defaults: Required<Omit<RetryOptions, "sleep">>, log: (line: string) => void): Promise<void> {
    const pacer = backoff(options, defaults);
    let last = await pending();
    while (last !== undefined) {
        log(`  waiting: ${last}`);
        if (!(await pacer.pause())) throw new Error(`${what}: still ${last} after ${Math.round(pacer.waitedMs() / 1000)} s`);
        last = await pending();
    }
}
