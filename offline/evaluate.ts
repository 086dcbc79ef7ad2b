// Evaluates the real program (index.ts) under Pulumi's runtime mocks with one stack's config file.
// Used by `npm run plan` and by every test, so that what the plan prints is what the tests prove.

import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { RecordingMocks, type RecordedInvoke, type RecordedOptions, type RecordedResource } from "./mocks";
import { readStackConfig, ROOT, type ConfigOverride, type StackConfig } from "./stack-config";

/** What index.ts takes: the clock, read once by its caller (Pulumi's run: now; the harness: a set day). */
export interface ProgramOptions {
    readonly today?: Date;
    /** Where the config warnings go (pulumi up: Pulumi's log). The harness keeps them: the plan prints them itself. */
    readonly warn?: (message: string) => void;
}

/**
 * The day an evaluation happens on unless told otherwise: fixed, so that no result depends on the day
 * the tests run (support-date warnings are the only thing it decides).
 */
export const HARNESS_DAY = new Date("2026-12-02T12:00:00Z");

export interface EvaluateOptions {
    readonly stack: string;
    /** Fully qualified config keys to change after the stack file (undefined removes a key). */
    readonly overrides?: Readonly<Record<string, ConfigOverride>>;
    /** Another program to run in place of index.ts, with the same config and mocks (component tests). */
    readonly program?: (options?: ProgramOptions) => Promise<Record<string, unknown> | void>;
    /** The day the program is told it is (HARNESS_DAY unless given): `npm run plan` passes the real one. */
    readonly today?: Date;
    /** Where Pulumi.yaml and the stack files are; the project root by default. */
    readonly configDir?: string;
    /** Who STS says runs the deploy; by default a role session of the stack files' admin role. */
    readonly callerArn?: string;
}

export class Evaluation {
    constructor(
        readonly config: StackConfig & { readonly today: Date },
        readonly resources: readonly RecordedResource[],
        readonly invokes: readonly RecordedInvoke[],
        /** The program's return value: stack outputs, still as Outputs (secretness intact). */
        readonly outputs: Record<string, unknown>,
        /** The resource objects the program constructed, by "type::name" (components' own fields). */
        private readonly objects: ReadonlyMap<string, pulumi.Resource>,
        /** What the program would have logged as warnings under `pulumi up` (config/read.ts). */
        readonly warnings: readonly string[] = [],
    ) {}

    /** Every constructed object of a component type, e.g. to read the plan a component was built from. */
    componentsOf<T extends pulumi.Resource>(type: string): T[] {
        return [...this.objects.entries()].filter(([key]) => key.startsWith(`${type}::`)).map(([, r]) => r as T);
    }

    ofType(type: string): RecordedResource[] {
        return this.resources.filter((r) => r.type === type);
    }

    /** The one resource of this type and name; throws when there is none. */
    get(type: string, name: string): RecordedResource {
        const found = this.resources.find((r) => r.type === type && r.name === name);
        if (!found) {
            const names = this.ofType(type).map((r) => r.name);
            throw new Error(`no ${type} named ${name}; there are: ${names.join(", ") || "none"}`);
        }
        return found;
    }

    /** The resource with this physical id (how one resource refers to another). */
    byId(id: string): RecordedResource {
        const found = this.resources.find((r) => r.id === id);
        if (!found) throw new Error(`no resource has id ${id}`);
        return found;
    }

    childrenOf(parent: RecordedResource | "stack"): RecordedResource[] {
        const key = parent === "stack" ? "stack" : `${parent.type}::${parent.name}`;
        return this.resources.filter((r) => r.parent === key);
    }
}

/** Resolves an Output's value (known under mocks outside preview). */
export function valueOf<T>(output: pulumi.Input<T>): Promise<T> {
    return new Promise((resolve) => pulumi.output(output).apply((v) => {
        resolve(v as T);
        return v;
    }));
}

function waitForRPCs(): Promise<void> {
    // Internal to @pulumi/pulumi, but the only way to know every registration has been answered.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs?: () => Promise<void> };
    if (typeof settings.waitForRPCs !== "function") throw new Error("@pulumi/pulumi no longer exports runtime/settings.waitForRPCs: update offline/evaluate.ts");
    return settings.waitForRPCs();
}

function errorCount(): number {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const state = require("@pulumi/pulumi/runtime/state") as { getStore(): { logErrorCount: number } };
    return state.getStore().logErrorCount;
}

/**
 * The resources whose outputs flow into a resource's inputs, as the SDK computes them when it
 * serialises the inputs (every Output's resources, at any depth of the props).
 */
async function propertyDependencies(props: unknown, seen = new Set<unknown>()): Promise<pulumi.Resource[]> {
    if (props === null || typeof props !== "object" || seen.has(props)) return [];
    seen.add(props);
    if (pulumi.Output.isInstance(props)) {
        const output = props as unknown as { allResources?: () => Promise<Set<pulumi.Resource>>; resources: () => Set<pulumi.Resource> };
        const direct = output.allResources ? await output.allResources() : output.resources();
        // An Output's value may itself hold Outputs (an apply that returns an object of Outputs).
        const inner = await new Promise<unknown>((resolve) => (props as pulumi.Output<unknown>).apply((v) => { resolve(v); return v; }));
        return [...direct, ...(await propertyDependencies(inner, seen))];
    }
    if (pulumi.Resource.isInstance(props)) return [];
    const values = Array.isArray(props) ? props : Object.values(props as Record<string, unknown>);
    const found: pulumi.Resource[] = [];
    for (const v of values) found.push(...(await propertyDependencies(v, seen)));
    return found;
}

/**
 * What the SDK sends the engine as a resource's dependencies: a component stands for the custom
 * resources below it (the SDK's own expansion, used here so that the recorded graph is the engine's).
 */
async function engineDependencies(resource: pulumi.Resource, direct: readonly pulumi.Resource[]): Promise<pulumi.Resource[]> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sdk = require("@pulumi/pulumi/runtime/dependsOn") as { getAllTransitivelyReferencedResources?: (r: Set<pulumi.Resource>, exclude: Set<pulumi.Resource>) => Promise<pulumi.Resource[]> };
    if (typeof sdk.getAllTransitivelyReferencedResources !== "function") throw new Error("@pulumi/pulumi no longer exports runtime/dependsOn.getAllTransitivelyReferencedResources: update offline/evaluate.ts");
    return sdk.getAllTransitivelyReferencedResources(new Set(direct), new Set([resource]));
}

/**
 * The explicit dependsOn, as a list. The program passes a resource or a plain array of resources; an
 * Output of resources would need resolving and is not used, so it is refused rather than silently dropped.
 */
function explicitDependsOn(opts: pulumi.CustomResourceOptions): pulumi.Resource[] {
    const raw = opts.dependsOn;
    if (raw !== undefined && !Array.isArray(raw) && pulumi.Output.isInstance(raw)) {
        throw new Error("dependsOn as an Output is not recorded by offline/evaluate.ts: pass resources");
    }
    return (raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]) as pulumi.Resource[];
}

/** The options the engine acts on, with dependencies named the way the recorded resources are. */
function recordedOptions(opts: pulumi.CustomResourceOptions, keys: ReadonlyMap<pulumi.Resource, string>, dependsOn: readonly pulumi.Resource[], engineDeps: readonly pulumi.Resource[]): RecordedOptions {
    const name = (d: pulumi.Resource) => keys.get(d) ?? "(unknown)";
    return {
        ignoreChanges: [...(opts.ignoreChanges ?? [])],
        dependsOn: dependsOn.map(name),
        retainOnDelete: opts.retainOnDelete ?? false,
        deleteBeforeReplace: opts.deleteBeforeReplace ?? false,
        protect: opts.protect ?? false,
        deletedWith: opts.deletedWith ? name(opts.deletedWith) : undefined,
        deleteTimeout: opts.customTimeouts?.delete,
        dependencies: [...new Set(engineDeps.map(name))].sort(),
    };
}

let running = false;

export async function evaluate(options: EvaluateOptions): Promise<Evaluation> {
    // The Pulumi runtime is process-global: two evaluations at once would mix their resources.
    if (running) throw new Error("evaluate() is already running; evaluations must not overlap");
    running = true;
    // A throwing apply or a failed registration surfaces as an unhandled rejection, not as an error
    // from any call: collect those raised while this evaluation runs.
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.prependListener("unhandledRejection", onRejection);
    // The Pulumi SDK formats a stack trace for every promise it wraps and every resource it registers
    // (runtime/debuggable.js, Resource.callsites), and under ts-node each trace is source-mapped: that
    // was half of an evaluation's time. The positions only feed the engine's source-position field,
    // which mocks ignore, so V8's own formatting serves while the program runs; errors keep their
    // messages. The mapping comes back when the evaluation ends.
    const errorClass = Error as { prepareStackTrace?: ErrorConstructor["prepareStackTrace"] };
    const mapStack = errorClass.prepareStackTrace;
    errorClass.prepareStackTrace = undefined;
    // And no frames at all for those promises (Resource.callsites raises the limit itself for the
    // moment it reads a resource's position): formatting them was the next largest cost.
    const stackLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
        const config = readStackConfig(options.stack, options.overrides, options.configDir);
        const configWarnings: string[] = [];
        const mocks = new RecordingMocks({ callerArn: options.callerArn });
        // setMocks resets the runtime's global state, so each evaluation starts from nothing.
        await pulumi.runtime.setMocks(mocks, config.project, config.stack, false);
        pulumi.runtime.setAllConfig(config.values, config.secretKeys);

        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const program = options.program ?? (require(path.join(ROOT, "index")) as (options?: ProgramOptions) => Promise<Record<string, unknown>>);
        const today = options.today ?? HARNESS_DAY;

        // Parents are not part of what mocks receive; a stack transformation sees every resource
        // with its options as it is constructed.
        const keys = new Map<pulumi.Resource, string>();
        const parents = new Map<string, string>();
        const resourceOptions = new Map<string, pulumi.CustomResourceOptions>();
        const resourceProps = new Map<string, unknown>();
        let outputs: Record<string, unknown> = {};
        await pulumi.runtime.runInPulumiStack(async () => {
            pulumi.runtime.registerStackTransformation((args) => {
                const key = `${args.type}::${args.name}`;
                keys.set(args.resource, key);
                parents.set(key, args.opts.parent ? keys.get(args.opts.parent) ?? "stack" : "stack");
                resourceOptions.set(key, args.opts as pulumi.CustomResourceOptions);
                resourceProps.set(key, args.props);
                return undefined;
            });
            outputs = (await program({ today, warn: (m) => configWarnings.push(m) })) ?? {};
            return outputs;
        });
        await waitForRPCs();
        // Node reports unhandled rejections once the microtask queue drains: let that happen first.
        await new Promise((resolve) => setTimeout(resolve, 0));

        const failures = [...mocks.errors.map((e) => e.message), ...rejections.map((r) => (r instanceof Error ? r.message : String(r)))];
        if (errorCount() > 0) failures.push(`${errorCount()} error(s) logged by the Pulumi runtime (see above)`);
        if (failures.length > 0) throw new Error(`evaluating stack ${options.stack} failed:\n  - ${failures.join("\n  - ")}`);

        const objects = new Map([...keys.entries()].map(([resource, key]) => [key, resource]));
        for (const r of mocks.resources) {
            if (r.type === "pulumi:pulumi:Stack") continue;
            const key = `${r.type}::${r.name}`;
            r.parent = parents.get(key);
            const opts = resourceOptions.get(key);
            const object = objects.get(key);
            if (opts && object) {
                const explicit = explicitDependsOn(opts);
                r.options = recordedOptions(opts, keys, explicit, await engineDependencies(object, [...explicit, ...(await propertyDependencies(resourceProps.get(key)))]));
            }
        }
        return new Evaluation({ ...config, today }, mocks.resources, mocks.invokes, outputs, objects, configWarnings);
    } finally {
        errorClass.prepareStackTrace = mapStack;
        Error.stackTraceLimit = stackLimit;
        process.off("unhandledRejection", onRejection);
        running = false;
    }
}
