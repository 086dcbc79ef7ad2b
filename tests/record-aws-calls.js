// Records every AWS SDK call a process makes, for the IAM-sufficiency tests (tests/iam-calls.ts).
//
// Plain JavaScript, so that it loads where no TypeScript does: preloaded with `node -r` (or
// NODE_OPTIONS="--require ...") into the serialized Lambda code's fresh Node process and into the
// operator's `npm run power`, it adds one middleware to every client of every @aws-sdk/client-*
// package the process loads, and appends each call (client, command, input) as a JSON line to the
// file named by RECORD_AWS_CALLS. Without that variable it does nothing. In-process tests use
// `recordingMiddleware` directly on their own clients.
"use strict";

const fs = require("fs");
const Module = require("module");

/** The middleware: the SDK's own names for the client and the command, and the command's input. */
function recordingMiddleware(push) {
    return (next, context) => async (args) => {
        push({ clientName: context.clientName, commandName: context.commandName, input: args.input });
        return next(args);
    };
}
const STEP = { step: "initialize", name: "recordAwsCalls" };

function hookProcess(file) {
    const push = (call) => fs.appendFileSync(file, `${JSON.stringify(call)}\n`);
    const withMiddleware = new WeakSet();
    const patched = new WeakSet();
    // Each client class gets its send wrapped once: the first send of each instance adds the middleware.
    const patch = (exports) => {
        for (const name of Object.keys(exports)) {
            const Client = /Client$/.test(name) ? exports[name] : undefined;
            if (typeof Client !== "function" || typeof Client.prototype.send !== "function" || patched.has(Client)) continue;
            patched.add(Client);
            const send = Client.prototype.send;
            Object.defineProperty(Client.prototype, "send", {
                configurable: true, writable: true,
                value: function (...args) {
                    if (!withMiddleware.has(this)) {
                        withMiddleware.add(this);
                        this.middlewareStack.add(recordingMiddleware(push), STEP);
                    }
                    return send.apply(this, args);
                },
            });
        }
    };
    const load = Module._load;
    Module._load = function (request, ...rest) {
        const exports = load.call(this, request, ...rest);
        if (/^@aws-sdk\/client-[a-z0-9-]+$/.test(request)) patch(exports);
        return exports;
    };
}

if (process.env.RECORD_AWS_CALLS) hookProcess(process.env.RECORD_AWS_CALLS);

module.exports = { recordingMiddleware, STEP };
