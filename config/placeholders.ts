// The example values the stack files ship with, which must not reach a real `pulumi up`: the account
// of AWS's documentation (123456789012), the `your-org` GitHub organisation, the documentation address
// ranges of RFC 5737 (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24), and the all-zero certificate ID.
// The plan and `pulumi up` warn about each one left (parseConfig's warnings); nothing is refused,
// since the example stacks are meant to evaluate as they are.

import type { ConfigWarning } from "../core/config-spec";

const PLACEHOLDERS: readonly { readonly pattern: RegExp; readonly what: string }[] = [
    { pattern: /certificate\/0{8}-0{4}-0{4}-0{4}-0{12}/, what: "the example certificate ARN: put your ACM certificate's ARN here" },
    { pattern: /(^|[^0-9])123456789012([^0-9]|$)/, what: "the example account 123456789012: use your account's ARNs" },
    { pattern: /(^|[/:"\s])your-org\//, what: "the example GitHub organisation your-org: use your own repository" },
    { pattern: /(^|[^0-9.])(192\.0\.2|198\.51\.100|203\.0\.113)\.\d{1,3}(\/\d+)?/, what: "a documentation address range (RFC 5737): list your own networks" },
];

/** One warning per key that still holds an example value (the first placeholder found in it). */
export function placeholderWarnings(raw: Readonly<Record<string, string | undefined>>): ConfigWarning[] {
    const warnings: ConfigWarning[] = [];
    for (const [key, value] of Object.entries(raw)) {
        if (value === undefined) continue;
        const found = PLACEHOLDERS.find((p) => p.pattern.test(value));
        if (found) warnings.push({ key, value, message: `placeholder: ${found.what}` });
    }
    return warnings.sort((a, b) => a.key.localeCompare(b.key));
}
