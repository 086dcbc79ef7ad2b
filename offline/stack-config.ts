// Reads Pulumi.yaml and Pulumi.<stack>.yaml the way the Pulumi CLI hands config to a program: every
// value as a string (lists and maps as JSON), project defaults applied, project keys that the project
// does not declare rejected. Secure values cannot be decrypted here; they become a marked placeholder.

import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";

/** A YAML file, parsed; a syntax error names the file (and yaml's line and column). */
export function parseYamlFile(file: string): unknown {
    try {
        return parse(fs.readFileSync(file, "utf8"));
    } catch (err) {
        throw new Error(`${file}: ${(err as Error).message}`);
    }
}

export const ROOT = path.resolve(__dirname, "..");
export const SECRET_PLACEHOLDER = "[secret: encrypted in the stack file, not readable offline]";

export interface ProjectFile {
    readonly name: string;
    readonly config: Readonly<Record<string, { type?: string; default?: unknown; description?: string; items?: unknown; secret?: boolean }>>;
}

export interface StackConfig {
    readonly project: string;
    readonly stack: string;
    readonly file: string;
    /** Fully qualified key -> value as a string. */
    readonly values: Record<string, string>;
    readonly secretKeys: string[];
}

export type ConfigOverride = string | number | boolean | readonly string[] | undefined;

export function readProjectFile(root = ROOT): ProjectFile {
    const doc = parseYamlFile(path.join(root, "Pulumi.yaml")) as { name: string; config?: ProjectFile["config"] };
    return { name: doc.name, config: doc.config ?? {} };
}

export function listStacks(root = ROOT): string[] {
    return fs
        .readdirSync(root)
        .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .sort();
}

function asConfigString(value: unknown): string {
    return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * @param overrides fully qualified keys to set (or, with undefined, to remove) after the stack file:
 *   how tests try a rule without writing a stack file.
 */
export function readStackConfig(stack: string, overrides: Readonly<Record<string, ConfigOverride>> = {}, root = ROOT): StackConfig {
    const project = readProjectFile(root);
    const file = path.join(root, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(file)) {
        throw new Error(`no stack file ${path.basename(file)}; stacks here: ${listStacks(root).join(", ")}`);
    }
    const doc = (parseYamlFile(file) ?? {}) as { config?: Record<string, unknown> };
    const values: Record<string, string> = {};
    const secretKeys: string[] = [];
    const undeclared: string[] = [];

    for (const [key, value] of Object.entries(doc.config ?? {})) {
        const [namespace, name] = key.includes(":") ? key.split(":", 2) : [project.name, key];
        const qualified = `${namespace}:${name}`;
        if (namespace === project.name && !(name in project.config)) undeclared.push(qualified);
        if (value !== null && typeof value === "object" && "secure" in (value as object)) {
            values[qualified] = SECRET_PLACEHOLDER;
            secretKeys.push(qualified);
        } else {
            values[qualified] = asConfigString(value);
        }
    }
    if (undeclared.length > 0) {
        throw new Error(`${path.basename(file)} sets ${undeclared.join(", ")}, which Pulumi.yaml does not declare`);
    }
    // The CLI applies the project's declared defaults for keys the stack leaves unset.
    for (const [name, decl] of Object.entries(project.config)) {
        const qualified = `${project.name}:${name}`;
        if (!(qualified in values) && decl.default !== undefined) values[qualified] = asConfigString(decl.default);
    }
    for (const [key, value] of Object.entries(overrides)) {
        if (value === undefined) delete values[key];
        else values[key] = asConfigString(value);
    }
    return { project: project.name, stack, file, values, secretKeys };
}
