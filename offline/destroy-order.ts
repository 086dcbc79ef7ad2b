// The order in which `pulumi destroy` deletes the evaluated program's resources, computed from what the
// engine orders by (Pulumi docs, "Resource options: dependsOn, deletedWith"; the engine's delete
// steps): a resource is deleted only after every resource that depends on it, through an explicit
// dependsOn, an output flowing into its inputs, its provider or its parent. A resource deletedWith a
// resource that the same operation deletes is not deleted itself (its step is a no-op), but it keeps
// its place in the order. Pure: reads the recorded resources, changes nothing.

import type { RecordedResource } from "./mocks";

export const keyOf = (r: Pick<RecordedResource, "type" | "name">) => `${r.type}::${r.name}`;

/** "urn:pulumi:<stack>::<project>::<parent types$>pulumi:providers:<pkg>::<name>::<id>" to "type::name". */
export function providerKey(reference: string): string {
    const parts = reference.split("::");
    if (parts.length < 4) throw new Error(`not a provider reference: ${reference}`);
    const name = parts[parts.length - 2];
    const qualifiedType = parts[parts.length - 3];
    return `${qualifiedType.slice(qualifiedType.lastIndexOf("$") + 1)}::${name}`;
}

export interface DestroyStep {
    readonly key: string;
    /** 0: nothing has to go first; n: after a step of wave n - 1. Steps of one wave run in parallel. */
    readonly wave: number;
    /** deletedWith a resource this destroy deletes: removed from the state, not deleted in the cloud. */
    readonly skipped: boolean;
}

export class DestroyOrder {
    /** key to the keys it depends on (must still exist while it is deleted). */
    private readonly dependsOn = new Map<string, Set<string>>();
    readonly steps: ReadonlyMap<string, DestroyStep>;

    constructor(resources: readonly RecordedResource[]) {
        const present = new Set(resources.map(keyOf));
        for (const r of resources) {
            if (r.type === "pulumi:pulumi:Stack") continue;
            const on = new Set<string>(r.options?.dependencies ?? []);
            if (r.provider) on.add(providerKey(r.provider));
            if (r.parent && r.parent !== "stack") on.add(r.parent);
            for (const d of on) if (!present.has(d)) throw new Error(`${keyOf(r)} depends on ${d}, which the program did not register`);
            this.dependsOn.set(keyOf(r), on);
        }
        const dependents = new Map<string, string[]>();
        for (const [k, on] of this.dependsOn) for (const d of on) dependents.set(d, [...(dependents.get(d) ?? []), k]);
        const waves = new Map<string, number>();
        const visiting = new Set<string>();
        const wave = (k: string): number => {
            const known = waves.get(k);
            if (known !== undefined) return known;
            if (visiting.has(k)) throw new Error(`a dependency cycle through ${k}`);
            visiting.add(k);
            const w = Math.max(-1, ...(dependents.get(k) ?? []).map(wave)) + 1;
            visiting.delete(k);
            waves.set(k, w);
            return w;
        };
        const byKey = new Map(resources.map((r) => [keyOf(r), r]));
        this.steps = new Map([...this.dependsOn.keys()].map((k) => [k, {
            key: k,
            wave: wave(k),
            // Every resource goes in a destroy, so a deletedWith target is always deleted.
            skipped: byKey.get(k)?.options?.deletedWith !== undefined,
        }]));
    }

    /** Whether `first` is gone before `then` is deleted: `then` is among what `first` depends on, at any depth. */
    deletedBefore(first: string, then: string): boolean {
        const seen = new Set<string>();
        const walk = (k: string): boolean => {
            for (const d of this.dependsOn.get(k) ?? []) {
                if (d === then) return true;
                if (!seen.has(d)) {
                    seen.add(d);
                    if (walk(d)) return true;
                }
            }
            return false;
        };
        if (!this.dependsOn.has(first) || !this.dependsOn.has(then)) throw new Error(`${this.dependsOn.has(first) ? then : first} is not in the program`);
        return walk(first);
    }

    step(key: string): DestroyStep {
        const s = this.steps.get(key);
        if (!s) throw new Error(`${key} is not in the program`);
        return s;
    }
}
