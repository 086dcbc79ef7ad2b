// The Kubernetes adapter: the watcher reads the Flux objects that deliver Airflow (airflow/flux-status.ts)
// from the cluster's API, over TLS verified against the cluster's own CA, with an EKS token
// (cluster/eks-token.ts) for the function's IAM role, which the role's access entry maps to a group that
// may only `get` those objects (cluster/objects.ts fluxStatusReader). The endpoint and CA come from
// DescribeCluster at run time: no certificate in the function's environment.

import * as https from "https";
import type { EKSClient } from "@aws-sdk/client-eks";
import { apiPath, readinessOf, type FluxObjectRef, type FluxSignal } from "../airflow/flux-status";
import { eksToken, type AwsCredentials } from "../cluster/eks-token";

export interface ClusterAccess {
    /** https://<id>.<suffix>.<region>.eks.amazonaws.com */
    readonly endpoint: string;
    /** The cluster CA, base64 PEM as EKS returns it (certificateAuthority.data). */
    readonly certificateAuthority: string;
}

export async function describeClusterAccess(client: EKSClient, clusterName: string): Promise<ClusterAccess> {
    const { DescribeClusterCommand } = require("@aws-sdk/client-eks") as typeof import("@aws-sdk/client-eks");
    const out = await client.send(new DescribeClusterCommand({ name: clusterName }));
    const endpoint = out.cluster?.endpoint;
    const certificateAuthority = out.cluster?.certificateAuthority?.data;
    if (!endpoint || !certificateAuthority) throw new Error(`cluster ${clusterName} has no endpoint or certificate authority yet`);
    return { endpoint, certificateAuthority };
}

/** GET one object: its JSON, undefined for 404, an error for anything else. */
function getObject(access: ClusterAccess, token: string, path: string, timeoutMs: number): Promise<unknown> {
    const url = new URL(path, access.endpoint);
    return new Promise((resolve, reject) => {
        const req = https.request(url, {
            method: "GET",
            ca: Buffer.from(access.certificateAuthority, "base64"),
            headers: { Authorization: `Bearer ${token}`, Accept: "application/json" },
            timeout: timeoutMs,
        }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => {
                const body = Buffer.concat(chunks).toString("utf8");
                if (res.statusCode === 404) return resolve(undefined);
                if (res.statusCode !== 200) {
                    // The API's Status object says why (Forbidden: the RBAC; Unauthorized: the token or access entry).
                    let message = body.slice(0, 300);
                    try { message = (JSON.parse(body) as { message?: string }).message ?? message; } catch { /* not JSON */ }
                    return reject(new Error(`GET ${path}: HTTP ${res.statusCode}: ${message}`));
                }
                try { resolve(JSON.parse(body)); } catch { reject(new Error(`GET ${path}: not JSON`)); }
            });
        });
        req.on("timeout", () => req.destroy(new Error(`GET ${path}: no answer in ${timeoutMs} ms`)));
        req.on("error", reject);
        req.end();
    });
}

export interface FluxReadArgs {
    readonly access: ClusterAccess;
    readonly token: string;
    readonly objects: readonly FluxObjectRef[];
    readonly timeoutMs?: number;
}

/** Reads each object's readiness; any failure to read is the signal's error, never an exception. */
export async function readFluxStatus(args: FluxReadArgs): Promise<FluxSignal> {
    try {
        const found = await Promise.all(args.objects.map((ref) => getObject(args.access, args.token, apiPath(ref), args.timeoutMs ?? 5_000)));
        return { ok: true, objects: args.objects.map((ref, i) => readinessOf(ref, found[i] as Parameters<typeof readinessOf>[1])) };
    } catch (err) {
        return { ok: false, error: (err as Error).message };
    }
}

/** Everything in one: where the API is, a token for this role, the objects' readiness. */
export async function fluxStatus(client: EKSClient, clusterName: string, region: string, credentials: AwsCredentials, objects: readonly FluxObjectRef[], now: Date): Promise<FluxSignal> {
    let access: ClusterAccess;
    try {
        access = await describeClusterAccess(client, clusterName);
    } catch (err) {
        return { ok: false, error: `describing the cluster: ${(err as Error).message}` };
    }
    return readFluxStatus({ access, token: eksToken({ clusterName, region, credentials, now }), objects });
}
