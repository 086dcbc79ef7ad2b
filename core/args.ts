// Command-line options for the project's scripts: every script answers --help and refuses an unknown
// option (or a missing value) before it does anything.

export interface OptionSpec {
    /** "--stack" */
    readonly name: string;
    /** The value's placeholder ("<name>"); a flag without one takes no value. */
    readonly value?: string;
    readonly help: string;
}

export interface Parsed {
    readonly values: Readonly<Record<string, string | true>>;
    readonly positional: readonly string[];
}

/**
 * "help" when asked for it, else the options, or what is wrong with them. Positional arguments are
 * refused unless `positional` allows them (power's command is the only one).
 */
export function parseOptions(argv: readonly string[], specs: readonly OptionSpec[], options: { readonly positional?: boolean } = {}): Parsed | "help" | string {
    if (argv.includes("--help") || argv.includes("-h")) return "help";
    const byName = new Map(specs.map((s) => [s.name, s]));
    const values: Record<string, string | true> = {};
    const positional: string[] = [];
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (!a.startsWith("-")) {
            positional.push(a);
            continue;
        }
        const eq = a.indexOf("=");
        const name = eq >= 0 ? a.slice(0, eq) : a;
        const spec = byName.get(name);
        if (!spec) return `unknown option ${name}`;
        if (name in values) return `${name} given twice`;
        if (spec.value === undefined) {
            if (eq >= 0) return `${name} takes no value`;
            values[name] = true;
            continue;
        }
        const value = eq >= 0 ? a.slice(eq + 1) : argv[++i];
        if (value === undefined || value === "" || (eq < 0 && value.startsWith("--"))) return `${name} needs a value: ${name} ${spec.value}`;
        values[name] = value;
    }
    if (!options.positional && positional.length > 0) return `no positional argument expected, got ${positional.join(" ")}`;
    return { values, positional };
}

/** The usage line and one line per option. */
export function helpText(usage: string, about: string, specs: readonly OptionSpec[]): string {
    const left = (s: OptionSpec) => (s.value ? `${s.name} ${s.value}` : s.name);
    const width = Math.max(...specs.map((s) => left(s).length), "--help".length);
    return [usage, "", about, "", ...specs.map((s) => `  ${left(s).padEnd(width)}  ${s.help}`), `  ${"--help".padEnd(width)}  this text`].join("\n");
}

/**
 * A script's entry: --help prints the help and exits 0, bad arguments print why and the usage and
 * exit 2 (before anything runs), otherwise `body` runs; a thrown error is printed with `failure`, exit 1.
 */
export async function runCli<T>(argv: readonly string[], cli: {
    readonly usage: string;
    readonly about: string;
    readonly options: readonly OptionSpec[];
    readonly parse: (argv: readonly string[]) => T | "help" | string;
    readonly failure: (args: T) => string;
    readonly body: (args: T) => Promise<number>;
}): Promise<number> {
    const args = cli.parse(argv);
    if (args === "help") {
        console.log(helpText(cli.usage, cli.about, cli.options));
        return 0;
    }
    if (typeof args === "string") {
        console.error(`${args}\n${cli.usage}`);
        return 2;
    }
    try {
        return await cli.body(args);
    } catch (err) {
        console.error(`${cli.failure(args)} failed: ${(err as Error).message}`);
        return 1;
    }
}

/** Runs a script's main and exits with its code. */
export function exitWith(main: () => Promise<number>): void {
    main().then((code) => process.exit(code), (err) => {
        console.error(err);
        process.exit(1);
    });
}
