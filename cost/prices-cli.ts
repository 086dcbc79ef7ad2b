// `npm run prices`: refreshes data/prices.us-east-1.json from the AWS Price List Query API
// (GetProducts, served from us-east-1), for a user with AWS credentials (pricing:GetProducts).
// Each price in the file carries the query that finds it; a query that matches no product, or
// products with different prices, is reported and the old figure kept, never guessed.
//
//   npm run prices              # refresh and write the file
//   npm run prices -- --dry-run # print what would change
//
// The parsing below is pure and tested on a fixture in GetProducts' documented shape (cost/cost.test.ts).

import * as fs from "fs";
import { exitWith, parseOptions, runCli, type OptionSpec } from "../core/args";
import { PRICE_FILE, type PriceEntry, type PriceFile } from "./cost";

export type FilterSpec = readonly [field: string, value: string, type?: "TERM_MATCH" | "EQUALS" | "CONTAINS"];

/** How an entry of the price file finds its product: explicit filters, or a shorthand for a family of entries. */
export interface PriceQuery {
    readonly serviceCode?: string;
    readonly filters?: readonly FilterSpec[];
    /** The price dimension's unit as the Price List spells it (Hrs, GB-Mo, Requests...). */
    readonly unit?: string;
    /** Multiply the unit price, for entries kept per million requests and the like. */
    readonly scale?: number;
    readonly ec2InstanceType?: string;
    readonly rdsInstanceClass?: string;
    readonly deploymentOption?: "Single-AZ" | "Multi-AZ";
    readonly openSearchInstanceType?: string;
}

export interface GetProductsInput {
    readonly ServiceCode: string;
    readonly Filters: { Type: "TERM_MATCH" | "EQUALS" | "CONTAINS"; Field: string; Value: string }[];
    readonly FormatVersion: "aws_v1";
    readonly MaxResults: number;
    NextToken?: string;
}

const REGION = "us-east-1";

/** The GetProducts request for one entry's query. */
export function productsRequest(query: PriceQuery): GetProductsInput & { unit?: string; scale: number } {
    let serviceCode = query.serviceCode;
    let filters: FilterSpec[] = [...(query.filters ?? [])];
    let unit = query.unit;
    if (query.ec2InstanceType) {
        serviceCode = "AmazonEC2";
        unit = "Hrs";
        // On-demand Linux, shared tenancy, no pre-installed software, and capacity in use (not reservations).
        filters = [["regionCode", REGION], ["instanceType", query.ec2InstanceType], ["operatingSystem", "Linux"], ["tenancy", "Shared"],
            ["preInstalledSw", "NA"], ["capacitystatus", "Used"], ["licenseModel", "No License required"]];
    } else if (query.rdsInstanceClass) {
        serviceCode = "AmazonRDS";
        unit = "Hrs";
        filters = [["regionCode", REGION], ["instanceType", query.rdsInstanceClass], ["databaseEngine", "PostgreSQL"], ["deploymentOption", query.deploymentOption ?? "Single-AZ"]];
    } else if (query.openSearchInstanceType) {
        serviceCode = "AmazonES";
        unit = "Hrs";
        filters = [["regionCode", REGION], ["instanceType", query.openSearchInstanceType]];
    }
    if (!serviceCode) throw new Error(`query has no serviceCode: ${JSON.stringify(query)}`);
    return {
        ServiceCode: serviceCode,
        Filters: filters.map(([Field, Value, Type]) => ({ Type: Type ?? "TERM_MATCH", Field, Value })),
        FormatVersion: "aws_v1",
        MaxResults: 100,
        unit,
        scale: query.scale ?? 1,
    };
}

export interface FoundPrice {
    readonly usd: number;
    readonly unit: string;
    readonly sku: string;
    readonly description: string;
    readonly effectiveDate: string;
    readonly publicationDate: string;
}

/** A GetProducts PriceList entry: a JSON string (the SDK may hand it over already parsed). */
function entryOf(item: unknown): any {
    if (typeof item === "string") return JSON.parse(item);
    const text = String(item);
    return text.startsWith("{") ? JSON.parse(text) : item;
}

/**
 * The one on-demand price that the products of a GetProducts answer agree on, in the wanted unit.
 * Tiered prices (S3, Lambda) take their first tier (beginRange 0). Throws when nothing matches or
 * when the matches disagree, naming them.
 */
export function pickOnDemandPrice(priceList: readonly unknown[], options: { unit?: string } = {}): FoundPrice {
    const candidates: FoundPrice[] = [];
    for (const item of priceList) {
        const entry = entryOf(item);
        for (const term of Object.values<any>(entry.terms?.OnDemand ?? {})) {
            for (const dim of Object.values<any>(term.priceDimensions ?? {})) {
                if (options.unit && String(dim.unit).toLowerCase() !== options.unit.toLowerCase()) continue;
                if (dim.beginRange !== undefined && Number(dim.beginRange) !== 0) continue;
                const usd = Number(dim.pricePerUnit?.USD);
                if (!Number.isFinite(usd)) continue;
                candidates.push({
                    usd,
                    unit: String(dim.unit),
                    sku: String(term.sku ?? entry.product?.sku ?? ""),
                    description: String(dim.description ?? ""),
                    effectiveDate: String(term.effectiveDate ?? ""),
                    publicationDate: String(entry.publicationDate ?? ""),
                });
            }
        }
    }
    if (candidates.length === 0) throw new Error(`no on-demand price${options.unit ? ` in ${options.unit}` : ""} among ${priceList.length} product(s)`);
    const distinct = [...new Set(candidates.map((c) => c.usd))];
    if (distinct.length > 1) {
        throw new Error(`${distinct.length} different prices matched; narrow the filters:\n${candidates.map((c) => `    ${c.sku} $${c.usd} per ${c.unit}: ${c.description}`).join("\n")}`);
    }
    return candidates[0];
}

export interface Refreshed {
    readonly key: string;
    readonly before: number;
    readonly after: number;
    readonly description: string;
}

/** The price file with one entry updated from what the API returned. */
export function withPrice(file: PriceFile, key: string, found: FoundPrice, scale: number, today: string): PriceFile {
    const old = file.prices[key];
    const entry: PriceEntry = {
        ...old,
        usd: Number((found.usd * scale).toPrecision(10)),
        date: today,
        sources: ["PL"],
        note: `${found.description} (sku ${found.sku}, effective ${found.effectiveDate.slice(0, 10)}, offer published ${found.publicationDate.slice(0, 10)})`,
    };
    return {
        ...file,
        sources: { ...file.sources, PL: "AWS Price List Query API, GetProducts at https://api.pricing.us-east-1.amazonaws.com (npm run prices)" },
        prices: { ...file.prices, [key]: entry },
    };
}

export const OPTIONS: readonly OptionSpec[] = [
    { name: "--dry-run", help: "print what would change, write nothing" },
];
export const USAGE = "usage: npm run prices -- [--dry-run]";
const ABOUT = [
    "Refreshes data/prices.us-east-1.json from the AWS Price List Query API (needs AWS credentials with",
    "pricing:GetProducts). A query that matches no product, or several with different prices, keeps the old figure.",
].join("\n");

export function parsePricesArgs(argv: readonly string[]): { dryRun: boolean } | "help" | string {
    const parsed = parseOptions(argv, OPTIONS);
    if (typeof parsed === "string") return parsed;
    return { dryRun: parsed.values["--dry-run"] === true };
}

async function refresh({ dryRun }: { dryRun: boolean }): Promise<number> {
    // Loaded here, not at the top: the parsing above is used by tests that have no SDK client to build.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { PricingClient, GetProductsCommand } = require("@aws-sdk/client-pricing") as typeof import("@aws-sdk/client-pricing");
    // The Price List Query API is served from a few regions; us-east-1 is one, and our prices are its.
    const client = new PricingClient({ region: REGION });
    let file = JSON.parse(fs.readFileSync(PRICE_FILE, "utf8")) as PriceFile;
    const today = new Date().toISOString().slice(0, 10);
    const changes: Refreshed[] = [];
    const failures: string[] = [];
    for (const [key, entry] of Object.entries(file.prices)) {
        if (!entry.query) continue;
        try {
            const request = productsRequest(entry.query as PriceQuery);
            const items: unknown[] = [];
            const input: GetProductsInput = { ServiceCode: request.ServiceCode, Filters: request.Filters, FormatVersion: request.FormatVersion, MaxResults: request.MaxResults };
            do {
                const page = await client.send(new GetProductsCommand(input));
                items.push(...(Array.isArray(page.PriceList) ? page.PriceList : []));
                input.NextToken = page.NextToken;
            } while (input.NextToken);
            const found = pickOnDemandPrice(items, { unit: request.unit });
            file = withPrice(file, key, found, request.scale, today);
            changes.push({ key, before: entry.usd, after: file.prices[key].usd, description: found.description });
        } catch (err) {
            failures.push(`${key}: ${(err as Error).message}`);
        }
    }
    for (const c of changes) console.log(`${c.before === c.after ? "  same   " : "  CHANGED"} ${c.key}: ${c.before} -> ${c.after}  (${c.description})`);
    for (const f of failures) console.error(`  FAILED  ${f}`);
    if (!dryRun && changes.length > 0) {
        fs.writeFileSync(PRICE_FILE, `${JSON.stringify(file, null, 2)}\n`);
        console.log(`wrote ${PRICE_FILE}: ${changes.length} refreshed, ${failures.length} kept as they were`);
    }
    return failures.length > 0 ? 1 : 0;
}

if (require.main === module) {
    exitWith(() => runCli(process.argv.slice(2), { usage: USAGE, about: ABOUT, options: OPTIONS, parse: parsePricesArgs, failure: () => "prices", body: refresh }));
}
