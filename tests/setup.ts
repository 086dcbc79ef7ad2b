// Loaded by mocha before any test (see .mocharc.json).
//
// Pulumi reports a failed registration or a throwing apply as a rejected promise that nothing awaits.
// Left alone, Node prints a warning and mocha shows green; rethrown, it becomes an uncaught exception
// that fails the running test.
process.on("unhandledRejection", (reason) => {
    throw reason instanceof Error ? reason : new Error(`unhandled rejection: ${String(reason)}`);
});
