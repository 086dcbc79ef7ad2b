// The one place that reads pulumi.Config. It hands every key the program knows to the pure
// validator in config/config.ts and fails the run, before any resource exists, with every problem.

import * as pulumi from "@pulumi/pulumi";
import { qualifiedKey } from "../core/config-spec";
import { CONFIG_KEYS, ConfigError, parseConfig, type PlatformConfig, type RawConfig } from "./config";

export function readRawConfig(): RawConfig {
    const raw: Record<string, string | undefined> = {};
    for (const spec of CONFIG_KEYS) {
        const key = qualifiedKey(spec.name);
        const [namespace, name] = key.split(":");
        raw[key] = new pulumi.Config(namespace).get(name);
    }
    return raw;
}

/** The program's one reading of the clock for config: `today` decides support-date warnings only. */
export function loadConfig(today = new Date(), warn: (message: string) => void = (m) => pulumi.log.warn(m)): PlatformConfig {
    try {
        const cfg = parseConfig(readRawConfig(), { project: pulumi.getProject(), stack: pulumi.getStack(), today });
        for (const w of cfg.warnings) warn(`${w.key} = ${w.value ?? "(unset)"}: ${w.message}`);
        return cfg;
    } catch (err) {
        // RunError prints the message alone: the list of problems is the whole story, a stack trace is noise.
        if (err instanceof ConfigError) throw new pulumi.RunError(err.message);
        throw err;
    }
}
