// Flux's postBuild variable substitution, as kustomize-controller performs it, so that the tests read
// the GitOps tree exactly as the cluster will. Pure: no Pulumi import.
//
// What kustomize-controller does (fluxcd/pkg kustomize/kustomize_varsub.go, SubstituteVariables and
// varSubstitution; the substitution language is fluxcd/pkg envsubst, a fork of drone/envsubst):
// 1. kustomize builds the folder; each resource is serialised again as YAML text (`res.AsYAML()`), so
//    the quoting and key order of the files in Git are gone: `"${X}"` arrives as `${X}`.
// 2. A resource labelled or annotated `kustomize.toolkit.fluxcd.io/substitute: disabled` is left alone.
// 3. The variables are the data of the substituteFrom ConfigMaps/Secrets (newlines removed from each
//    value); each name must match ^[_[:alpha:]][_[:alpha:][:digit:]]*$ or the whole build fails.
// 4. envsubst evaluates the text. An error anywhere (`${` not followed by a name, no closing brace)
//    fails the whole Kustomization. An unset variable becomes the empty string unless strict mode
//    (the StrictPostBuildSubstitutions feature gate) is on, when it is an error.
// 5. The result is parsed as YAML (sigs.k8s.io/yaml, go-yaml: YAML 1.1 scalars, so `yes`, `on` and an
//    empty value after `key: ` are a boolean and null, not strings).
//
// The evaluator below is written from those rules (the package's parse/scan.go and funcs.go were read
// for them): `$$` is an escape for `$`; `${NAME}`; the default operators `=`, `:=`, `:-`, `:?`, `:+`,
// which all mean "the value, or the default when the value is empty" (toDefault); `${#NAME}`; case
// (`,` `,,` `^` `^^`); substring (`:off` `:off:len`); replace (`/` `//` `/#` `/%`); trim (`#` `##` `%`
// `%%`, shell patterns). A bare `$NAME` is never substituted, so shell variables and regex anchors
// pass through.

import * as YAML from "yaml";

export class SubstitutionError extends Error {}

export interface SubstituteOptions {
    /** Strict mode: an unset variable is an error (Flux's default is off: it becomes ""). */
    readonly strict?: boolean;
}

const DEFAULT_OPS = new Set(["=", ":=", ":-", ":?", ":+"]);
const isIdent = (c: string | undefined) => c !== undefined && /[\p{L}\p{N}_]/u.test(c);

interface Cursor {
    readonly text: string;
    i: number;
}

/** Evaluates envsubst text with the variables given (an absent key is unset). */
export function envsubst(text: string, vars: Readonly<Record<string, string>>, options: SubstituteOptions = {}): string {
    const lookup = (name: string): string | undefined => (Object.prototype.hasOwnProperty.call(vars, name) ? vars[name] : undefined);
    const c: Cursor = { text, i: 0 };
    let out = "";
    while (c.i < text.length) {
        if (text[c.i] === "$" && text[c.i + 1] === "$") {
            out += "$";
            c.i += 2;
        } else if (text[c.i] === "$" && text[c.i + 1] === "{") {
            c.i += 2;
            out += expression(c, lookup, options);
        } else {
            out += text[c.i++];
        }
    }
    return out;
}

/** Reads text up to (not including) `}` or a nested `${`, which is evaluated; `escapes`: `$$`, `\/`, `\\`. */
function argument(c: Cursor, lookup: (n: string) => string | undefined, options: SubstituteOptions, stop: (ch: string) => boolean, escapes: boolean): string {
    let out = "";
    let any = false;
    while (c.i < c.text.length) {
        const ch = c.text[c.i];
        if (ch === "$" && c.text[c.i + 1] === "{") {
            c.i += 2;
            out += expression(c, lookup, options);
            any = true;
            continue;
        }
        if (escapes && ((ch === "$" && c.text[c.i + 1] === "$") || (ch === "\\" && (c.text[c.i + 1] === "/" || c.text[c.i + 1] === "\\")))) {
            out += c.text[c.i + 1];
            c.i += 2;
            any = true;
            continue;
        }
        if (stop(ch)) break;
        out += ch;
        c.i++;
        any = true;
    }
    if (!any) throw new SubstitutionError("unable to parse substitution within function");
    return out;
}

function closing(c: Cursor, error = "bad substitution"): void {
    if (c.text[c.i] !== "}") throw new SubstitutionError(error);
    c.i++;
}

function expression(c: Cursor, lookup: (n: string) => string | undefined, options: SubstituteOptions): string {
    const value = (name: string, op: string): string => {
        const v = lookup(name);
        if (v === undefined && options.strict && !DEFAULT_OPS.has(op)) throw new SubstitutionError(`variable not set (strict mode): "${name}"`);
        return v ?? "";
    };
    if (c.text[c.i] === "#") {
        c.i++;
        const start = c.i;
        while (isIdent(c.text[c.i])) c.i++;
        if (c.i === start) throw new SubstitutionError("bad substitution");
        const name = c.text.slice(start, c.i);
        closing(c);
        return String(Buffer.byteLength(value(name, "#len")));
    }
    const start = c.i;
    while (isIdent(c.text[c.i])) c.i++;
    if (c.i === start) throw new SubstitutionError("unable to parse variable name");
    const name = c.text.slice(start, c.i);
    const next = c.text[c.i];
    const notClosing = (ch: string) => ch === "}";

    if (next === "}") {
        c.i++;
        return value(name, "");
    }
    if ((next === ":" && "=-?+".includes(c.text[c.i + 1] ?? "x")) || next === "=") {
        const op = next === "=" ? "=" : c.text.slice(c.i, c.i + 2);
        c.i += op.length;
        const args: string[] = [];
        while (c.text[c.i] !== "}") {
            if (c.i >= c.text.length) throw new SubstitutionError("unable to parse substitution within function");
            args.push(argument(c, lookup, options, notClosing, false));
        }
        c.i++;
        const v = value(name, op);
        return v === "" && args.length > 0 ? args.join("") : v;
    }
    if (next === ":") {
        c.i++;
        const offset = argument(c, lookup, options, (ch) => ch === ":" || ch === "}", false);
        let length: string | undefined;
        if (c.text[c.i] === ":") {
            c.i++;
            length = argument(c, lookup, options, notClosing, false);
        }
        closing(c);
        return substring(value(name, ":"), offset, length);
    }
    if (next === "," || next === "^") {
        let op = next;
        c.i++;
        if (c.text[c.i] === "," || c.text[c.i] === "^") op += c.text[c.i++];
        closing(c);
        const v = value(name, op);
        switch (op) {
            case ",": return v.slice(0, 1).toLowerCase() + v.slice(1);
            case ",,": return v.toLowerCase();
            case "^": return v.slice(0, 1).toUpperCase() + v.slice(1);
            case "^^": return v.toUpperCase();
            default: return v;
        }
    }
    if (next === "/") {
        let op = "/";
        c.i++;
        if ("/#%".includes(c.text[c.i] ?? "x")) op += c.text[c.i++];
        const pattern = c.text[c.i] === "/" ? "" : argument(c, lookup, options, (ch) => ch === "/", true);
        if (c.text[c.i] !== "/") throw new SubstitutionError("bad substitution");
        c.i++;
        const replacement = c.text[c.i] === "}" ? undefined : argument(c, lookup, options, notClosing, true);
        closing(c);
        const v = value(name, op);
        const r = replacement ?? "";
        if (op === "/") return v.replace(pattern, () => r);
        if (op === "//") return v.split(pattern).join(r);
        if (replacement === undefined) return v;
        if (op === "/#") return v.startsWith(pattern) ? r + v.slice(pattern.length) : v;
        return v.endsWith(pattern) ? v.slice(0, v.length - pattern.length) + r : v;
    }
    if (next === "#" || next === "%") {
        let op = next;
        c.i++;
        if (c.text[c.i] === next) op += c.text[c.i++];
        const pattern = argument(c, lookup, options, notClosing, false);
        closing(c);
        return trim(value(name, op), pattern, op);
    }
    throw new SubstitutionError("missing closing brace");
}

function atoi(s: string): number | undefined {
    return /^[+-]?[0-9]+$/.test(s) ? Number.parseInt(s, 10) : undefined;
}

/** Go's toSubstr, on bytes as Go slices strings. */
function substring(v: string, offsetText: string, lengthText: string | undefined): string {
    const b = Buffer.from(v);
    let pos = atoi(offsetText);
    if (pos === undefined) return v;
    if (pos < 0) pos = Math.max(0, b.length + pos);
    if (lengthText === undefined) return pos < b.length ? b.subarray(pos).toString() : "";
    const length = atoi(lengthText);
    if (length === undefined) return v;
    if (length < 0) {
        const end = b.length + length;
        return end < pos ? "" : b.subarray(pos, end).toString();
    }
    if (pos + length >= b.length) return pos < b.length ? b.subarray(pos).toString() : "";
    return b.subarray(pos, pos + length).toString();
}

/** A shell pattern (`*`, `?`, `[...]`, `\` escapes) as an anchored regular expression. */
function globRegex(pattern: string): RegExp {
    let re = "";
    for (let i = 0; i < pattern.length; i++) {
        const ch = pattern[i];
        if (ch === "*") re += "[^/]*";
        else if (ch === "?") re += "[^/]";
        else if (ch === "\\" && i + 1 < pattern.length) re += `\\${pattern[++i]}`;
        else if (ch === "[") {
            const end = pattern.indexOf("]", i + 2);
            if (end < 0) throw new SubstitutionError("bad pattern");
            const body = pattern.slice(i + 1, end).replace(/^\^/, "^").replace(/\\/g, "\\\\");
            re += `[${body}]`;
            i = end;
        } else re += ch.replace(/[.+^${}()|\]\\]/g, "\\$&");
    }
    return new RegExp(`^${re}$`, "s");
}

/** Go's trimShortest/trimLongest (prefix) and their reversed forms (suffix). */
function trim(v: string, pattern: string, op: string): string {
    const suffix = op.startsWith("%");
    const longest = op.length === 2;
    const reverse = (s: string) => [...s].reverse().join("");
    const s = suffix ? reverse(v) : v;
    let re: RegExp;
    try {
        re = globRegex(suffix ? reverse(pattern) : pattern);
    } catch {
        return v;
    }
    let match: string | undefined;
    for (let i = 0; i < s.length; i++) {
        const candidate = s.slice(0, s.length - i);
        if (re.test(candidate)) {
            match = candidate;
            if (longest) break;
        }
    }
    const out = match === undefined || match === "" ? s : s.slice(match.length);
    return suffix ? reverse(out) : out;
}

// --- kustomize-controller's postBuild ------------------------------------------------------------

const VAR_NAME = /^[_\p{L}][_\p{L}\p{N}]*$/u;
const DISABLED = "kustomize.toolkit.fluxcd.io/substitute";

/** Splits `kustomize build` output into its resources' YAML texts (kustomize joins them with `---`). */
export function splitResources(stream: string): string[] {
    return stream.split(/^---\s*$/m).map((s) => s.replace(/^\n+/, "")).filter((s) => s.trim() !== "");
}

/**
 * What kustomize-controller applies for a built folder: each resource's text substituted with the
 * variables (unless it opts out), then parsed as YAML 1.1. Throws as the controller fails the
 * Kustomization: on a bad variable name, a bad expression, or a text that is no longer YAML.
 */
export function postBuild(stream: string, vars: Readonly<Record<string, string>>, options: SubstituteOptions = {}): Record<string, unknown>[] {
    const clean: Record<string, string> = {};
    for (const [name, value] of Object.entries(vars)) {
        if (!VAR_NAME.test(name)) throw new SubstitutionError(`'${name}' var name is invalid, must match '^[_[:alpha:]][_[:alpha:][:digit:]]*$'`);
        clean[name] = value.replace(/\n/g, "");
    }
    return splitResources(stream).map((text) => {
        const raw = parseYaml11(text);
        const meta = (raw.metadata ?? {}) as { labels?: Record<string, string>; annotations?: Record<string, string> };
        if (meta.labels?.[DISABLED] === "disabled" || meta.annotations?.[DISABLED] === "disabled" || Object.keys(clean).length === 0) return raw;
        return parseYaml11(envsubst(text, clean, options));
    });
}

/** YAML as go-yaml (v2, YAML 1.1) reads it; one document. */
export function parseYaml11(text: string): Record<string, unknown> {
    const doc = YAML.parseDocument(text, { version: "1.1" });
    if (doc.errors.length > 0) throw new SubstitutionError(`YAMLToJSON: ${doc.errors.map((e) => e.message).join("; ")}`);
    return doc.toJS() as Record<string, unknown>;
}
