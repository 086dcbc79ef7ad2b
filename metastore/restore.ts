// The metastore's restore rules (`npm run restore`; metastore/restore-aws.ts does the calls): which point
// in time can be restored, what the copy is called and how it is built. Pure: no Pulumi, no AWS import.
//
// A restore never touches the live instance: RDS restores a point in time into a new instance (a copy),
// which is how a drill proves the backups work and how a real restore starts. The copy sits in the
// live instance's subnet group and security groups, so the pods that reach the metastore reach it too;
// the data then goes back into the live instance (docs: README "Restoring the metastore"), which keeps
// its identifier, endpoint, credentials and Pulumi state.

export interface RestoreWindow {
    /** The oldest restorable moment: the oldest automated backup's time (retention days back at most). */
    readonly earliest?: Date;
    /** RDS's LatestRestorableTime: usually about five minutes ago. */
    readonly latest?: Date;
}

export type RestoreTime = { readonly latest: true } | { readonly at: Date };

/** Undefined when RDS can restore `time`, else why not (with the window). */
export function restoreTimeProblem(time: RestoreTime, window: RestoreWindow): string | undefined {
    if (!window.latest) return "RDS reports no restorable time for this instance: automated backups are off (backupRetentionDays 0) or none is taken yet";
    if ("latest" in time) return undefined;
    const span = `${window.earliest ? window.earliest.toISOString() : "(unknown)"} to ${window.latest.toISOString()}`;
    if (time.at > window.latest) return `${time.at.toISOString()} is after the latest restorable time: the window is ${span}`;
    if (window.earliest && time.at < window.earliest) return `${time.at.toISOString()} is before the oldest backup: the window is ${span}`;
    return undefined;
}

/** The copy's identifier: the live one's, "-restore-" and the time restored (UTC, to the minute); at most 63 characters. */
export function copyIdentifier(source: string, time: RestoreTime, now: Date): string {
    const stamp = ("latest" in time ? now : time.at).toISOString().slice(0, 16).replace(/[-:T]/g, "").toLowerCase();
    const suffix = `-restore-${stamp}`;
    return `${source.slice(0, 63 - suffix.length).replace(/-+$/, "")}${suffix}`;
}

/** What a copy is, beyond what RDS takes from the source: cheap, private, deletable, found by its tag. */
export const COPY_SETTINGS = {
    multiAz: false,
    publiclyAccessible: false,
    deletionProtection: false,
    tag: { Key: "data-platform:restore-of", description: "the live instance this copy was restored from" },
} as const;
