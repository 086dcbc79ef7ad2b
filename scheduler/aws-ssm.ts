// SSM Parameter Store adapter: the operator's keep-awake flag (with an expiry), the watcher's state
// between runs, and the database credential (a SecureString only the watcher's role may decrypt).

import type { SSMClient } from "@aws-sdk/client-ssm";
import type { WatcherState } from "./power";

/** The value of the keep-awake parameter: an expiry, who set it and why. "none" when unset. */
export interface KeepAwake {
    readonly until: string;
    readonly by?: string;
    readonly reason?: string;
}

async function read(client: SSMClient, name: string, decrypt = false): Promise<string | undefined> {
    const { GetParameterCommand } = require("@aws-sdk/client-ssm") as typeof import("@aws-sdk/client-ssm");
    try {
        const out = await client.send(new GetParameterCommand({ Name: name, WithDecryption: decrypt }));
        return out.Parameter?.Value;
    } catch (err) {
        if ((err as { name?: string }).name === "ParameterNotFound") return undefined;
        throw err;
    }
}

async function write(client: SSMClient, name: string, value: string): Promise<void> {
    const { PutParameterCommand } = require("@aws-sdk/client-ssm") as typeof import("@aws-sdk/client-ssm");
    await client.send(new PutParameterCommand({ Name: name, Value: value, Type: "String", Overwrite: true }));
}

/** The keep-awake flag, or undefined when none was set (or it was cleared). */
export async function readKeepAwake(client: SSMClient, name: string): Promise<KeepAwake | undefined> {
    const raw = await read(client, name);
    if (raw === undefined || raw === "none") return undefined;
    const parsed = JSON.parse(raw) as KeepAwake;
    if (typeof parsed.until !== "string" || Number.isNaN(Date.parse(parsed.until))) throw new Error(`${name} holds no valid expiry: ${raw}`);
    return parsed;
}

export async function writeKeepAwake(client: SSMClient, name: string, flag: KeepAwake | undefined): Promise<void> {
    await write(client, name, flag === undefined ? "none" : JSON.stringify(flag));
}

/** The watcher's state plus its last decision (for `power status`). */
export interface StoredState extends WatcherState {
    readonly lastCheck?: { readonly at: string; readonly action: string; readonly reason: string };
    /** The wake function's last failure, kept until a wake succeeds (the morning report names it). */
    readonly lastWakeError?: { readonly at: string; readonly error: string };
    /** The night (local date of its wake) whose morning report was sent. */
    readonly lastReportNight?: string;
}

export async function readState(client: SSMClient, name: string): Promise<StoredState> {
    const raw = await read(client, name);
    if (raw === undefined || raw === "{}" || raw === "") return {};
    return JSON.parse(raw) as StoredState;
}

export async function writeState(client: SSMClient, name: string, state: StoredState): Promise<void> {
    await write(client, name, JSON.stringify(state));
}

/** How the watcher reaches Airflow's metadata database. Stored as one SecureString (JSON). */
export interface DatabaseConnection {
    readonly host: string;
    readonly port: number;
    readonly database: string;
    readonly username: string;
    readonly password: string;
    /** verify-full in AWS (RDS forces TLS); disable only for a local test database. */
    readonly ssl: "verify-full" | "disable";
}

export async function readDatabaseConnection(client: SSMClient, name: string): Promise<DatabaseConnection> {
    const raw = await read(client, name, true);
    if (raw === undefined) throw new Error(`database parameter ${name} not found`);
    return JSON.parse(raw) as DatabaseConnection;
}
