// The NightlyScheduler's configuration keys: when the platform wakes, how it decides to sleep.

import { intRange, type ConfigKey } from "../core/config-spec";
import { DEFAULT_TIME_ZONE, DEFAULT_WAKE_CRON, parseDailyCron, parseWakeWindow, type PowerSettings } from "./power";

/** The NightlyScheduler's configurable settings (the rest are derived by powerSettings). */
export type SchedulerSettings = Pick<PowerSettings, "wakeCron" | "timeZone" | "watchIntervalMinutes" | "graceMinutes" | "deadlineHours" | "dbLeadMinutes" | "nodeLeadMinutes" | "extraWindows">;

export const SCHEDULER_KEYS: readonly ConfigKey[] = [
    {
        name: "powerExtraWindows",
        type: "array",
        group: "NightlyScheduler",
        description: "Further daily windows besides the night's, e.g. a noon run: each \"cron(<minute> <hour> * * ? *) <N>h\", a wake instant in powerTimeZone and its deadline. Each wakes the metastore and the nodes ahead by the same leads, and the watcher puts the platform to sleep when Airflow is done or at that window's deadline. The night's window keeps the backup and maintenance windows. Every awake hour costs: raise expectedAwakeHours to the day's total.",
        default: [],
        allowed: "daily crons with a deadline of 1 to 12 hours, e.g. \"cron(0 12 * * ? *) 2h\"; no two windows (with their leads) overlap",
        check: (v: string[]) => {
            const bad = v.map(parseWakeWindow).filter((w): w is string => typeof w === "string");
            return bad.length === 0 ? undefined : bad.join("; ");
        },
    },
    {
        name: "powerWakeCron",
        type: "string",
        group: "NightlyScheduler",
        description: "When the platform wakes (EventBridge Scheduler cron, read in powerTimeZone).",
        default: DEFAULT_WAKE_CRON,
        allowed: "a daily cron: cron(<minute> <hour> * * ? *)",
        check: (v: string) => {
            const parsed = parseDailyCron(v);
            return typeof parsed === "string" ? parsed : undefined;
        },
    },
    {
        name: "powerTimeZone",
        type: "string",
        group: "NightlyScheduler",
        description: "The time zone the wake cron is read in; EventBridge Scheduler follows its daylight-saving changes.",
        default: DEFAULT_TIME_ZONE,
        allowed: "an IANA time zone such as America/Los_Angeles",
        check: (v: string) => {
            try {
                new Intl.DateTimeFormat("en-US", { timeZone: v });
                return /^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/.test(v) ? undefined : "must be an IANA time zone such as America/Los_Angeles";
            } catch {
                return "is not an IANA time zone this runtime knows (such as America/Los_Angeles)";
            }
        },
    },
    {
        name: "powerWatchIntervalMinutes",
        type: "integer",
        group: "NightlyScheduler",
        description: "How often the watcher checks whether Airflow is done.",
        default: 10,
        allowed: "an integer from 2 to 30",
        check: intRange(2, 30),
    },
    {
        name: "powerGraceMinutes",
        type: "integer",
        group: "NightlyScheduler",
        description: "No sleep this soon after the wake: Airflow's scheduler must first create the day's runs.",
        default: 30,
        allowed: "an integer from powerWatchIntervalMinutes to 180",
        check: intRange(2, 180),
    },
    {
        name: "powerDeadlineHours",
        type: "integer",
        group: "NightlyScheduler",
        description: "Forced sleep (and an alarm) this long after the wake, even if Airflow still looks busy.",
        default: 4,
        allowed: "an integer from 1 to 12, late enough for the day's metastore backup",
        check: intRange(1, 12),
    },
    {
        name: "powerDbLeadMinutes",
        type: "integer",
        group: "NightlyScheduler",
        description: "The metastore starts this long before the nodes (a start can take minutes).",
        default: 30,
        allowed: "an integer from 10 to 120",
        check: intRange(10, 120),
    },
    {
        name: "powerNodeLeadMinutes",
        type: "integer",
        group: "NightlyScheduler",
        description: "The nodes start this long before the wake, so that Flux rolls out a DAG image pushed in the daytime before the night's runs are due (docs: the wake timeline). Shorter saves node time; below the timeline's worst case, a run may start on the previous image.",
        default: 30,
        allowed: "an integer from 0 to 120",
        check: intRange(0, 120),
    },
    {
        name: "powerReservedConcurrency",
        type: "boolean",
        group: "NightlyScheduler",
        description: "Reserve one concurrent execution for each scheduler function. Off by default: Lambda refuses a reservation that leaves the account fewer than 100 unreserved, and new accounts often have a limit of 10 or 50 (see One-time account setup). A lease serialises the functions either way.",
        default: false,
        allowed: "true or false; true only where the account's unreserved concurrency stays at 100 or more",
    },
];
