// The schemas the tests validate against, set up once for every test file:
// - Flux objects: the CRDs of the Flux the cluster runs (Flux 2.8.5), rendered from the pinned flux2
//   chart 2.18.3 with the program's own values (its CRDs are templates of the chart), compiled with
//   ajv 8 + ajv-formats; "int64"/"int32" are OpenAPI formats ajv-formats does not define, accepted as
//   is. Only versions the CRD marks as served count. Needs the upstream charts: callers first call
//   requireUpstream(this) (tests/upstream.ts).
// - plain Kubernetes objects: the published Kubernetes schemas in npm `kubernetes-models`.

import { strict as assert } from "assert";
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { fluxRelease } from "../cluster/controllers";
import { fluxCrds } from "./upstream";

const fluxAjv = new Ajv({ strict: false, allErrors: true });
addFormats(fluxAjv);
fluxAjv.addFormat("int64", true);
fluxAjv.addFormat("int32", true);

const fluxValidators = new Map<string, ValidateFunction>();
let servedSchemas: Map<string, unknown> | undefined;

/** `group/version/Kind` to the openAPIV3Schema of every served version of every Flux CRD. */
export function fluxServedSchemas(): Map<string, unknown> {
    if (!servedSchemas) {
        servedSchemas = new Map();
        // The values the AirflowCluster passes; only the role ARN (not used by any CRD) is a stand-in.
        for (const crd of fluxCrds(fluxRelease({ imageReflectorRoleArn: "arn:aws:iam::123456789012:role/stand-in" }).values)) {
            for (const v of crd.spec.versions) {
                if (v.served) servedSchemas.set(`${crd.spec.group}/${v.name}/${crd.spec.names.kind}`, v.schema.openAPIV3Schema);
            }
        }
    }
    return servedSchemas;
}

/** The CRD schema for a Flux object's apiVersion and kind, or undefined when Flux 2.8.5 serves none. */
export function fluxValidator(o: Readonly<Record<string, unknown>>): ValidateFunction | undefined {
    const key = `${o.apiVersion}/${o.kind}`;
    const schema = fluxServedSchemas().get(key);
    if (schema === undefined) return undefined;
    if (!fluxValidators.has(key)) fluxValidators.set(key, fluxAjv.compile(schema as object));
    return fluxValidators.get(key);
}

/** Like fluxValidator, but a missing schema fails the test instead of returning undefined. */
export function fluxSchema(o: Readonly<Record<string, unknown>>): ValidateFunction {
    const validate = fluxValidator(o);
    assert.ok(validate, `no stored Flux schema for ${o.apiVersion} ${o.kind}`);
    return validate;
}

interface StructuralSchema {
    readonly properties?: Record<string, StructuralSchema>;
    readonly additionalProperties?: boolean | StructuralSchema;
    readonly items?: StructuralSchema;
    readonly "x-kubernetes-preserve-unknown-fields"?: boolean;
}

/**
 * The fields the API server would drop from a Flux object: CRDs have structural schemas, and the API
 * server prunes every field they do not declare, silently (Kubernetes docs, "Extend the Kubernetes
 * API with CustomResourceDefinitions", Field pruning), where a schema validator accepts them. A
 * misspelt or too-new field (`deletionPolicy` on an older Flux) would pass validation and do nothing.
 */
export function prunedFields(o: Readonly<Record<string, unknown>>): string[] {
    const schema = fluxServedSchemas().get(`${o.apiVersion}/${o.kind}`) as StructuralSchema | undefined;
    assert.ok(schema, `no stored Flux schema for ${o.apiVersion} ${o.kind}`);
    const found: string[] = [];
    const walk = (value: unknown, at: StructuralSchema, where: string) => {
        if (at["x-kubernetes-preserve-unknown-fields"] || value === null || typeof value !== "object") return;
        if (Array.isArray(value)) {
            if (at.items) value.forEach((v, i) => walk(v, at.items!, `${where}[${i}]`));
            return;
        }
        for (const [k, v] of Object.entries(value)) {
            const declared = at.properties?.[k] ?? (typeof at.additionalProperties === "object" ? at.additionalProperties : undefined);
            if (declared) walk(v, declared, `${where}.${k}`);
            else if (at.additionalProperties !== true) found.push(`${where}.${k}`);
        }
    };
    // apiVersion, kind and metadata are the API server's own, not the CRD schema's.
    const { apiVersion: _a, kind: _k, metadata: _m, ...rest } = o;
    walk(rest, schema, "");
    return found.map((f) => f.slice(1));
}

/** ajv's one-line rendering of a Flux validator's errors. */
export const fluxErrorsText = (errors: ErrorObject[] | null | undefined): string => fluxAjv.errorsText(errors);

type KubernetesModels = Record<string, new (o: unknown) => { validate(): void }>;
// kubernetes-models is ESM-only; a real dynamic import (not one TypeScript rewrites into require).
const importEsm = new Function("specifier", "return import(specifier)") as (s: string) => Promise<KubernetesModels>;

/** kubernetes-models' classes for one apiVersion ("v1", "batch/v1", ...). */
export function kubernetesModels(apiVersion: string): Promise<KubernetesModels> {
    const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
    return importEsm(group === "" ? `kubernetes-models/${version}` : `kubernetes-models/${group}/${version}`);
}

/** Validates a plain Kubernetes object against the published schema for its apiVersion and kind; throws (rejects) when it does not. */
export async function validateKubernetes(o: Record<string, unknown>): Promise<void> {
    const Model = (await kubernetesModels(String(o.apiVersion)))[String(o.kind)];
    assert.ok(Model, `no published schema for ${o.apiVersion} ${o.kind}`);
    new Model(o).validate();
}
