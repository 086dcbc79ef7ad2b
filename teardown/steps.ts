// The teardown's rules (`npm run teardown`, teardown/run.ts does the calls): its steps in order,
// and what is left in the account afterwards, sorted into what bills by mistake and what is kept by
// choice. Pure: no Pulumi and no AWS import.
//
// Why a command and not a bare `pulumi destroy`: the destroy itself is ordered (tests/destroy-order:
// the root Kustomization goes first and waits for Flux to remove Airflow and the controller its ALB),
// but it needs what a destroy cannot arrange for itself: the nodes and the controllers awake (at night
// nothing runs, and the root's finalizer would wait 30 minutes for nobody), no watcher putting them back
// to sleep half-way, deletion protection lifted where the stack keeps its data, and someone checking
// afterwards that nothing the controllers made outside Pulumi's state is still billed.

/** What the teardown reads from the stack output `teardownContext` (names, no secret). */
export interface TeardownTarget {
    readonly stack: string;
    readonly region: string;
    readonly clusterName: string;
    readonly vpcId: string;
    readonly dbInstanceIdentifier: string;
    readonly taskLogBucket: string;
    /** keepDataOnDestroy: deletion protection is on, a final snapshot and the log bucket are kept. */
    readonly keepDataOnDestroy: boolean;
    /** The root Kustomization's URN: the first, targeted destroy removes it alone. */
    readonly rootKustomizationUrn: string;
}

export type StepName = "wake" | "remove-airflow" | "wait-load-balancers" | "lift-protection" | "destroy" | "audit";

export interface Step {
    readonly name: StepName;
    readonly what: string;
    readonly why: string;
}

/** How long the teardown keeps the platform awake: a teardown that dies half-way returns to nightly behaviour after it. */
export const TEARDOWN_KEEP_AWAKE_HOURS = 3;

/**
 * The steps, in order. With the cluster already gone (a second run, or a teardown that failed after
 * the cluster's deletion) only the destroy of what remains and the audit are left.
 */
export function teardownSteps(t: TeardownTarget, options: { clusterExists: boolean }): Step[] {
    const steps: Step[] = [];
    if (options.clusterExists) {
        steps.push(
            {
                name: "wake",
                what: `keep-awake ${TEARDOWN_KEEP_AWAKE_HOURS} h, start the metastore and the nodes, wait until both are up`,
                why: "Flux and the load balancer controller must run to remove Airflow and its ALB; at night nothing runs, and the watcher must not put the platform to sleep half-way",
            },
            {
                name: "remove-airflow",
                what: `pulumi destroy --target ${t.rootKustomizationUrn}`,
                why: "the root Kustomization alone: Flux uninstalls Airflow (deletionPolicy WaitForTermination) and the controller deletes the ALB while it still runs",
            },
            {
                name: "wait-load-balancers",
                what: `wait until no load balancer, target group or security group tagged elbv2.k8s.aws/cluster=${t.clusterName} is left`,
                why: "the controller makes them outside Pulumi's state; one left behind is billed and blocks the VPC's deletion",
            },
        );
    }
    if (t.keepDataOnDestroy) {
        steps.push({
            name: "lift-protection",
            what: `deletion protection off on the metastore ${t.dbInstanceIdentifier}${options.clusterExists ? ` and the cluster ${t.clusterName}` : ""}`,
            why: "keepDataOnDestroy protects them from an accidental destroy; this one is deliberate. The final snapshot is still taken",
        });
    }
    steps.push(
        { name: "destroy", what: `pulumi destroy --stack ${t.stack}`, why: "everything else, in the order teardown/destroy-order.test.ts proves" },
        { name: "audit", what: "list what is left in the account, by the cluster's tags and the stack's names", why: "a leftover is billed every month until someone sees it" },
    );
    return steps;
}

/** What the audit found in the account after the destroy. */
export interface Found {
    readonly clusterExists: boolean;
    readonly dbInstance?: { readonly status: string };
    readonly vpcExists: boolean;
    /** ELBv2 load balancers and target groups tagged elbv2.k8s.aws/cluster=<cluster>. */
    readonly loadBalancers: readonly { readonly arn: string; readonly name: string }[];
    readonly targetGroups: readonly { readonly arn: string; readonly name: string }[];
    /** Security groups tagged elbv2.k8s.aws/cluster=<cluster>, or in the stack's VPC. */
    readonly securityGroups: readonly { readonly id: string; readonly name: string }[];
    /** Network interfaces left in the stack's VPC (the VPC CNI's, or an ALB's still being deleted). */
    readonly networkInterfaces: readonly { readonly id: string; readonly status: string }[];
    /** EBS volumes tagged kubernetes.io/cluster/<cluster>. */
    readonly volumes: readonly { readonly id: string; readonly sizeGb: number }[];
    /** Manual snapshots named <identifier>-final-*: the final snapshot. */
    readonly finalSnapshots: readonly { readonly id: string; readonly status: string }[];
    readonly logBucketExists: boolean;
}

export interface Leftover {
    readonly kind: string;
    readonly id: string;
    readonly why: string;
    /** How to remove it by hand. */
    readonly remove?: string;
}

export interface Audit {
    /** Billed and not meant to be kept: the teardown failed if any is listed. */
    readonly billable: readonly Leftover[];
    /** Kept by the stack's choice (keepDataOnDestroy). */
    readonly kept: readonly Leftover[];
    readonly ok: boolean;
    readonly text: string;
}

export function audit(t: TeardownTarget, f: Found): Audit {
    const r = `--region ${t.region}`;
    const billable: Leftover[] = [];
    const kept: Leftover[] = [];
    if (f.clusterExists) billable.push({ kind: "EKS cluster", id: t.clusterName, why: "the destroy did not finish: $0.10 an hour", remove: "run the teardown again: it resumes where it stopped" });
    if (f.dbInstance) billable.push({ kind: "RDS instance", id: t.dbInstanceIdentifier, why: `still there (${f.dbInstance.status})`, remove: "run the teardown again" });
    for (const lb of f.loadBalancers) {
        billable.push({ kind: "load balancer", id: lb.name, why: "made by the load balancer controller and not deleted by it (about $16 a month)", remove: `aws elbv2 delete-load-balancer ${r} --load-balancer-arn ${lb.arn}` });
    }
    for (const tg of f.targetGroups) {
        billable.push({ kind: "target group", id: tg.name, why: "made by the load balancer controller", remove: `aws elbv2 delete-target-group ${r} --target-group-arn ${tg.arn}` });
    }
    for (const sg of f.securityGroups) {
        billable.push({ kind: "security group", id: `${sg.id} (${sg.name})`, why: "blocks the VPC's deletion", remove: `aws ec2 delete-security-group ${r} --group-id ${sg.id}` });
    }
    for (const eni of f.networkInterfaces) {
        billable.push({ kind: "network interface", id: `${eni.id} (${eni.status})`, why: "blocks the subnets' deletion", remove: eni.status === "available" ? `aws ec2 delete-network-interface ${r} --network-interface-id ${eni.id}` : "wait for what uses it to be deleted, then run the teardown again" });
    }
    for (const v of f.volumes) {
        billable.push({ kind: "EBS volume", id: `${v.id} (${v.sizeGb} GB)`, why: "a volume a pod claimed, left by the cluster's deletion", remove: `aws ec2 delete-volume ${r} --volume-id ${v.id}` });
    }
    if (f.vpcExists) billable.push({ kind: "VPC", id: t.vpcId, why: "the destroy could not delete it (see what is listed above)", remove: "remove what is listed above, then run the teardown again" });
    for (const s of f.finalSnapshots) {
        const entry = { kind: "final snapshot", id: `${s.id} (${s.status})`, why: "the metastore's data, kept by keepDataOnDestroy (storage at the snapshot price; its KMS key is kept too)", remove: `aws rds delete-db-snapshot ${r} --db-snapshot-identifier ${s.id}` };
        // A final snapshot exists only where the stack keeps its data; one elsewhere is someone's earlier choice, still billed.
        (t.keepDataOnDestroy ? kept : billable).push(entry);
    }
    if (f.logBucketExists) {
        const entry = { kind: "task-log bucket", id: t.taskLogBucket, why: t.keepDataOnDestroy ? "the task logs, kept by keepDataOnDestroy (its KMS key is kept too)" : "keepDataOnDestroy is false: the destroy should have emptied and deleted it", remove: `aws s3 rb ${r} s3://${t.taskLogBucket} --force (versioned: delete every object version first)` };
        (t.keepDataOnDestroy ? kept : billable).push(entry);
    }
    if (t.keepDataOnDestroy && f.finalSnapshots.length === 0 && !f.dbInstance) {
        billable.push({ kind: "final snapshot", id: `${t.dbInstanceIdentifier}-final-*`, why: "keepDataOnDestroy is true, but no final snapshot exists: the metastore's data is gone", remove: "restore from an automated backup if one is left (RDS keeps them only while the instance exists, unless retained)" });
    }
    const line = (l: Leftover) => `  - ${l.kind} ${l.id}: ${l.why}${l.remove ? `\n      ${l.remove}` : ""}`;
    const text = [
        billable.length === 0 ? `nothing billable is left of ${t.stack}` : `left of ${t.stack} and still billed (${billable.length}):`,
        ...billable.map(line),
        ...(kept.length > 0 ? [`kept by choice (keepDataOnDestroy):`, ...kept.map(line)] : []),
    ].join("\n");
    return { billable, kept, ok: billable.length === 0, text };
}

/** The load balancer controller's own tag, on everything it creates (its docs, "Resource tags"). */
export const LBC_CLUSTER_TAG = "elbv2.k8s.aws/cluster";
