// The schemas the tests validate against, set up once for every test file:
// - Flux objects: Flux 2.9's CRD schemas stored in ../shared/schemas/flux/ (versions and provenance in
//   ../shared/schemas/README.md), compiled with ajv 8 + ajv-formats; "int64" is the OpenAPI format the
//   CRDs use that ajv-formats does not define, so it is accepted as is. Compiled once per kind, on use.
// - plain Kubernetes objects: the published Kubernetes schemas in npm `kubernetes-models`.

import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";

export const SHARED_SCHEMAS = path.join(__dirname, "..", "..", "shared", "schemas");

const fluxAjv = new Ajv({ strict: false, allErrors: true });
addFormats(fluxAjv);
fluxAjv.addFormat("int64", true);

/** `apiVersion/kind` to its schema file in ../shared/schemas/flux/: the versions Flux 2.9 serves. */
const FLUX_SCHEMA_FILES: Readonly<Record<string, string>> = {
    "source.toolkit.fluxcd.io/v1/GitRepository": "gitrepository-v1",
    "source.toolkit.fluxcd.io/v1/OCIRepository": "ocirepository-v1",
    "source.toolkit.fluxcd.io/v1/HelmRepository": "helmrepository-v1",
    "source.toolkit.fluxcd.io/v1/HelmChart": "helmchart-v1",
    "kustomize.toolkit.fluxcd.io/v1/Kustomization": "kustomization-v1",
    "helm.toolkit.fluxcd.io/v2/HelmRelease": "helmrelease-v2",
    "image.toolkit.fluxcd.io/v1/ImageRepository": "imagerepository-v1",
    "image.toolkit.fluxcd.io/v1/ImagePolicy": "imagepolicy-v1",
    "image.toolkit.fluxcd.io/v1/ImageUpdateAutomation": "imageupdateautomation-v1",
};
const fluxValidators = new Map<string, ValidateFunction>();

/** The CRD schema for a Flux object's apiVersion and kind, or undefined when none is stored for them. */
export function fluxValidator(o: Readonly<Record<string, unknown>>): ValidateFunction | undefined {
    const key = `${o.apiVersion}/${o.kind}`;
    const file = FLUX_SCHEMA_FILES[key];
    if (file === undefined) return undefined;
    if (!fluxValidators.has(key)) fluxValidators.set(key, fluxAjv.compile(JSON.parse(fs.readFileSync(path.join(SHARED_SCHEMAS, "flux", `${file}.schema.json`), "utf8"))));
    return fluxValidators.get(key);
}

/** Like fluxValidator, but a missing schema fails the test instead of returning undefined. */
export function fluxSchema(o: Readonly<Record<string, unknown>>): ValidateFunction {
    const validate = fluxValidator(o);
    assert.ok(validate, `no stored Flux schema for ${o.apiVersion} ${o.kind}`);
    return validate;
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
