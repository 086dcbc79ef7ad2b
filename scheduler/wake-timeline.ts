// How long, at worst, from the nodes' wake until Airflow runs the newest DAG image: the sum of each
// step's bound, read from the real Flux objects' intervals and timeouts. Pure, so the tests feed it the
// objects as kustomize and Flux really produce them (airflow/gitops.test.ts) and compare the total with
// the scheduler's nodeLeadMinutes (scheduler/power.ts).
//
// Why this matters: a DAG image pushed in the daytime reaches git only when the cluster is awake
// (image automation runs in the cluster). If the nodes came up at the moment the night's runs are due,
// those runs would start on yesterday's image while Airflow restarts under them. So the nodes wake
// early by at least this timeline's total.

/** Minutes in a Go duration as Flux writes them ("5m", "1m0s", "90s", "1h30m"). */
export function goDurationMinutes(text: string): number {
    const re = /(\d+(?:\.\d+)?)(h|ms|m|s)/gy;
    let total = 0;
    let matched = 0;
    for (const m of text.matchAll(re)) {
        matched += m[0].length;
        total += Number(m[1]) * ({ h: 60, m: 1, s: 1 / 60, ms: 1 / 60_000 } as const)[m[2] as "h" | "m" | "s" | "ms"];
    }
    if (text === "" || matched !== text.length) throw new Error(`not a Go duration: ${JSON.stringify(text)}`);
    return total;
}

/**
 * Bounds the objects cannot tell. AWS publishes no bound for a managed node group's scale-up: an
 * instance launches in about a minute and joins the cluster (bootstrap, kubelet, VPC CNI) in two or
 * three more; 8 minutes is a generous bound. Flux's controllers then pull their images (tens of MB
 * from ghcr.io) and start: 3 minutes. kustomize-controller applies within a minute of a new source
 * revision (it watches its GitRepository's artifact, it does not wait for its own interval).
 */
export const NODES_READY_MINUTES = 8;
export const CONTROLLERS_READY_MINUTES = 3;
export const APPLY_MINUTES = 1;

/** The Flux objects on the path from a pushed image to Airflow running it. */
export interface DeliveryPath {
    /** ImageRepository spec.interval: the registry scan. */
    readonly imageScanInterval: string;
    /** ImageUpdateAutomation spec.interval: the commit of the new tag. */
    readonly imageUpdateInterval: string;
    /** The read GitRepository's spec.interval and spec.timeout: the cluster fetches the commit. */
    readonly sourceInterval: string;
    readonly sourceTimeout: string;
    /** The Airflow HelmRelease's spec.timeout: the upgrade's migrations and rollout, or a failure. */
    readonly helmReleaseTimeout: string;
}

export interface TimelineStep {
    readonly step: string;
    readonly minutes: number;
    readonly why: string;
}

export interface Timeline {
    readonly steps: readonly TimelineStep[];
    /** Worst case from the nodes' wake until Airflow is Ready on the newest image. */
    readonly totalMinutes: number;
}

export function newestImageTimeline(path: DeliveryPath): Timeline {
    const steps: TimelineStep[] = [
        { step: "nodes ready", minutes: NODES_READY_MINUTES, why: "managed node group scales from 0: launch, bootstrap, join" },
        { step: "Flux controllers running", minutes: CONTROLLERS_READY_MINUTES, why: "pods scheduled on the new nodes, images pulled" },
        // A controller reconciles every object when it starts, but the scan may begin before the registry
        // is reachable through a fresh node's network: count one whole interval.
        { step: "registry scanned, policy updated", minutes: goDurationMinutes(path.imageScanInterval), why: `ImageRepository interval ${path.imageScanInterval}` },
        // The automation may have run just before the policy changed: one whole interval until the next.
        { step: "new tag committed and pushed", minutes: goDurationMinutes(path.imageUpdateInterval), why: `ImageUpdateAutomation interval ${path.imageUpdateInterval}` },
        { step: "commit fetched", minutes: goDurationMinutes(path.sourceInterval) + goDurationMinutes(path.sourceTimeout), why: `GitRepository interval ${path.sourceInterval} plus its timeout ${path.sourceTimeout}` },
        { step: "HelmRelease applied", minutes: APPLY_MINUTES, why: "kustomize-controller reacts to the new revision" },
        { step: "Airflow upgraded and Ready", minutes: goDurationMinutes(path.helmReleaseTimeout), why: `HelmRelease timeout ${path.helmReleaseTimeout}: migrations, then every Deployment rolled out (or the attempt fails)` },
    ];
    return { steps, totalMinutes: steps.reduce((sum, s) => sum + s.minutes, 0) };
}

/** Why a node lead is too short for the timeline, or undefined. */
export function nodeLeadProblem(nodeLeadMinutes: number, timeline: Timeline): string | undefined {
    if (nodeLeadMinutes >= timeline.totalMinutes) return undefined;
    return `the nodes wake ${nodeLeadMinutes} minutes before the night's runs, but the newest image may take ${timeline.totalMinutes} minutes to be running (${timeline.steps.map((s) => `${s.step} ${s.minutes}`).join(", ")})`;
}
