// Physical names and tags. Pure. Most resources are auto-named by Pulumi (name plus a random suffix);
// these are the few whose names other things must know in advance or that AWS limits tightly.

import { createHash } from "crypto";
import type { Environment } from "./config-spec";

export interface StackIdentity {
    readonly project: string;
    readonly stack: string;
    readonly environment: Environment;
}

/** Lower-case letters, digits and single hyphens: the subset every AWS name below accepts. */
export function slug(text: string): string {
    return text
        .toLowerCase()
        .replace(/[^a-z0-9-]+/g, "-")
        .replace(/-+/g, "-")
        .replace(/^-|-$/g, "");
}

/**
 * `${base}-${suffix}` cut to maxLength. When base must be shortened, a short hash of the whole name
 * keeps two long stack names from colliding.
 */
export function boundedName(base: string, suffix: string, maxLength: number): string {
    const full = `${slug(base)}-${slug(suffix)}`;
    if (full.length <= maxLength) return full;
    const hash = createHash("sha256").update(full).digest("hex").slice(0, 6);
    const room = maxLength - suffix.length - hash.length - 2;
    if (room < 1) throw new Error(`cannot fit "${suffix}" into ${maxLength} characters`);
    return `${slug(base).slice(0, room).replace(/-$/, "")}-${hash}-${slug(suffix)}`;
}

export function stackPrefix(id: StackIdentity): string {
    return slug(`${id.project}-${id.stack}`);
}

/** Names that must be known before the resources exist. */
export function physicalNames(id: StackIdentity) {
    const prefix = stackPrefix(id);
    return {
        prefix,
        // The EKS cluster's name appears in the subnet tags kubernetes.io/cluster/<name>, which are
        // created before the cluster; the cluster component must use this same name. EKS allows 100.
        clusterName: boundedName(prefix, "eks", 100),
        // RDS identifiers: 63 characters, a letter first. The PostgreSQL log group's name contains it.
        dbIdentifier: boundedName(prefix, "metastore", 63),
        // OpenSearch domain names: 3 to 28 characters, lower-case, a letter first.
        openSearchDomain: boundedName(prefix, "logs", 28),
        // ECR repository for the Airflow image; CI pushes to <registry>/<this>.
        ecrRepository: `${prefix}/airflow`,
    };
}

/** Tags on every AWS resource (through the provider's defaultTags), for cost allocation and ownership. */
export function standardTags(id: StackIdentity): Record<string, string> {
    return {
        Project: id.project,
        Stack: id.stack,
        Environment: id.environment,
        ManagedBy: "pulumi",
    };
}
