// How the watcher tells the operator that Airflow's delivery is failing. Two halves:
// - what a status says (airflow/flux-status.ts), on status objects that the Flux 2.8.5 CRDs the cluster
//   runs accept (rendered from the pinned flux2 chart), so the shapes are Flux's, not ours;
// - the watcher's reader (scheduler/kubernetes.ts) over HTTPS against a local server standing in for
//   the Kubernetes API: TLS verified against the CA it is given (a wrong CA fails), the EKS token sent
//   as the bearer, 404, 403 and a silent server handled. It cannot prove that EKS accepts the token or
//   that the cluster's RBAC admits the request: no Kubernetes API server runs here. The token is
//   checked against botocore's signer (cluster/eks-token.test.ts) and the RBAC rules against the exact
//   requests (cluster/cluster.test.ts).

import { strict as assert } from "assert";
import * as fs from "fs";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import { decide, powerSettings, type Observations } from "../scheduler/power";
import { WATCHED_FLUX_OBJECTS, apiPath, readinessOf, refName, unhealthy, type FluxObjectRef } from "./flux-status";
import { EKS_TOKEN_PREFIX, eksToken } from "../cluster/eks-token";
import { readFluxStatus, type ClusterAccess } from "../scheduler/kubernetes";
import { fluxErrorsText, fluxSchema } from "../tests/schemas";
import { testCertificates } from "../tests/services";
import { requireUpstream } from "../tests/upstream";

const [ROOT, TENANTS, AIRFLOW, AUTOMATION] = WATCHED_FLUX_OBJECTS;
const T0 = "2026-01-15T07:52:00Z";

/** A Flux object as the API returns it, with a Ready condition (or none). */
function object(ref: FluxObjectRef, ready: { status: "True" | "False" | "Unknown"; reason: string; message: string } | undefined, over: { generation?: number; observed?: number; suspend?: boolean } = {}) {
    const generation = over.generation ?? 2;
    const observed = over.observed ?? generation;
    const spec: Record<string, unknown> = {
        Kustomization: { interval: "10m0s", prune: true, sourceRef: { kind: "GitRepository", name: "gitops" } },
        HelmRelease: { interval: "10m", chart: { spec: { chart: "airflow", sourceRef: { kind: "HelmRepository", name: "apache-airflow" } } } },
        ImageUpdateAutomation: { interval: "2m", sourceRef: { kind: "GitRepository", name: "gitops-write" }, git: { commit: { author: { name: "flux", email: "flux@example.com" } } }, update: { path: "./clusters/prod", strategy: "Setters" } },
    }[ref.kind] as Record<string, unknown>;
    return {
        apiVersion: ref.apiVersion,
        kind: ref.kind,
        metadata: { name: ref.name, namespace: ref.namespace, generation },
        spec: { ...spec, ...(over.suspend === undefined ? {} : { suspend: over.suspend }) },
        status: {
            observedGeneration: observed,
            conditions: ready === undefined ? [] : [{ type: "Ready", ...ready, lastTransitionTime: T0, observedGeneration: observed }],
        },
    };
}

const READY = { status: "True" as const, reason: "ReconciliationSucceeded", message: "Applied revision: main@sha1:0123abcd" };
const healthy = () => ({
    [apiPath(ROOT)]: object(ROOT, READY),
    [apiPath(TENANTS)]: object(TENANTS, READY),
    [apiPath(AIRFLOW)]: object(AIRFLOW, { status: "True", reason: "UpgradeSucceeded", message: "Helm upgrade succeeded for release airflow/airflow.v4 with chart airflow@1.22.0" }),
    [apiPath(AUTOMATION)]: object(AUTOMATION, { status: "True", reason: "Succeeded", message: "repository up-to-date" }),
});
const failedUpgrade = object(AIRFLOW, { status: "False", reason: "UpgradeFailed", message: "Helm upgrade failed for release airflow/airflow with chart airflow@1.22.0: context deadline exceeded" }, { generation: 5 });

describe("Flux status: what the objects say (airflow/flux-status.ts), on objects Flux 2.8.5's CRDs accept", function () {
    before(function () {
        requireUpstream(this);
    });

    it("every fixture is a valid object of the Flux the cluster runs, status included", () => {
        const all = [...Object.values(healthy()), failedUpgrade, object(ROOT, undefined), object(AIRFLOW, { status: "Unknown", reason: "Progressing", message: "Running 'upgrade' action with timeout of 10m0s" }), object(AUTOMATION, READY, { suspend: true })];
        for (const o of all) {
            const validate = fluxSchema(o);
            assert.ok(validate(o), `${o.kind}: ${fluxErrorsText(validate.errors)}`);
        }
        // The schemas do check the status: a condition without its transition time is refused.
        const bad = structuredClone(failedUpgrade) as { status: { conditions: Record<string, unknown>[] } };
        delete bad.status.conditions[0].lastTransitionTime;
        assert.equal(fluxSchema(failedUpgrade)(bad), false);
    });

    it("Ready=True for the current generation is ready; failed, reconciling, stale, unreconciled and missing are not; suspended is reported apart", () => {
        const cases: [string, ReturnType<typeof readinessOf>["state"], string, unknown, FluxObjectRef][] = [
            ["ready", "ready", "UpgradeSucceeded", healthy()[apiPath(AIRFLOW)], AIRFLOW],
            ["failed upgrade", "not-ready", "UpgradeFailed", failedUpgrade, AIRFLOW],
            ["upgrade in progress", "not-ready", "Progressing", object(AIRFLOW, { status: "Unknown", reason: "Progressing", message: "Running 'upgrade' action" }), AIRFLOW],
            ["a new generation not reconciled yet", "not-ready", "Stale", object(ROOT, READY, { generation: 7, observed: 6 }), ROOT],
            ["never reconciled", "not-ready", "NoStatus", object(TENANTS, undefined), TENANTS],
            ["missing (404)", "not-ready", "NotFound", undefined, TENANTS],
            ["suspended for a rollback", "suspended", "Suspended", object(AUTOMATION, READY, { suspend: true }), AUTOMATION],
        ];
        for (const [what, state, reason, o, ref] of cases) {
            const r = readinessOf(ref, o as Parameters<typeof readinessOf>[1]);
            assert.deepEqual([r.state, r.reason, r.object], [state, reason, refName(ref)], what);
        }
    });

    it("the metric counts not-ready objects and unreadable status while the nodes are up, never a suspension or a sleeping cluster", () => {
        const S = powerSettings("t");
        const base: Observations = { event: { kind: "watch" }, nodes: { desired: 3, target: 3, status: "ACTIVE" }, db: { status: "available" }, state: {}, idle: { ok: true, activeRuns: 1, unfinishedTasks: 1, dueDags: 0, pausedRuns: 0, schedulerHeartbeatAgeSeconds: 2 } };
        const now = new Date("2026-01-15T09:00:00Z");
        const metric = (o: Observations) => decide(now, o, S).metrics.fluxNotReady;
        const objects = (...extra: ReturnType<typeof readinessOf>[]) => ({ ok: true as const, objects: [...WATCHED_FLUX_OBJECTS.slice(0, 2).map((r) => readinessOf(r, object(r, READY))), ...extra] });
        assert.equal(metric({ ...base, flux: objects() }), 0);
        assert.equal(metric({ ...base, flux: objects(readinessOf(AIRFLOW, failedUpgrade)) }), 1);
        assert.equal(metric({ ...base, flux: objects(readinessOf(AUTOMATION, object(AUTOMATION, READY, { suspend: true }))) }), 0);
        assert.equal(metric({ ...base, flux: { ok: false, error: "GET ...: HTTP 403: forbidden" } }), 1);
        assert.equal(metric({ ...base, nodes: { ...base.nodes, desired: 0 }, flux: { ok: false, error: "x" } }), 0);
        assert.equal(metric(base), 0, "not read at all (the wake function, the operator's status)");
        assert.deepEqual(unhealthy(objects(readinessOf(AIRFLOW, failedUpgrade))), [`HelmRelease airflow/airflow: UpgradeFailed: ${failedUpgrade.status.conditions[0].message}`]);
    });
});

describe("Flux status: the watcher's reader over HTTPS (a local server standing in for the Kubernetes API)", function () {
    this.timeout(30_000);
    let dir: string;
    let certs: ReturnType<typeof testCertificates>;
    let server: https.Server;
    let access: ClusterAccess;
    let objects: Record<string, unknown> = {};
    let answer: "objects" | "forbidden" | "silent" = "objects";
    const seen: { path: string; authorization?: string }[] = [];
    const token = eksToken({ clusterName: "data-platform-prod-eks", region: "us-east-1", credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" }, now: new Date(T0) });

    before(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "flux-status-"));
        certs = testCertificates(dir, "127.0.0.1");
        server = https.createServer({ cert: fs.readFileSync(certs.cert), key: fs.readFileSync(certs.key) }, (req, res) => {
            seen.push({ path: req.url ?? "", authorization: req.headers.authorization });
            if (answer === "silent") return undefined; // never answers
            res.setHeader("Content-Type", "application/json");
            if (answer === "forbidden") {
                res.statusCode = 403;
                return res.end(JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", reason: "Forbidden", code: 403,
                    message: `helmreleases.helm.toolkit.fluxcd.io "airflow" is forbidden: User "arn:aws:sts::123456789012:assumed-role/watch/fn" cannot get resource "helmreleases" in API group "helm.toolkit.fluxcd.io" in the namespace "airflow"` }));
            }
            const found = objects[req.url ?? ""];
            if (found === undefined) {
                res.statusCode = 404;
                return res.end(JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", reason: "NotFound", code: 404, message: "not found" }));
            }
            return res.end(JSON.stringify(found));
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        const { port } = server.address() as { port: number };
        // EKS's DescribeCluster gives the CA as base64 of the PEM: the same here.
        access = { endpoint: `https://127.0.0.1:${port}`, certificateAuthority: fs.readFileSync(certs.ca).toString("base64") };
    });
    after(async () => {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
        fs.rmSync(dir, { recursive: true, force: true });
    });
    beforeEach(() => {
        seen.length = 0;
        answer = "objects";
        objects = healthy();
    });

    it("reads each watched object at its API path with the EKS token as the bearer, and finds them all ready", async () => {
        const signal = await readFluxStatus({ access, token, objects: WATCHED_FLUX_OBJECTS });
        assert.ok(signal.ok, JSON.stringify(signal));
        assert.deepEqual(signal.objects.map((o) => o.state), ["ready", "ready", "ready", "ready"]);
        assert.deepEqual(seen.map((s) => s.path).sort(), WATCHED_FLUX_OBJECTS.map(apiPath).sort());
        for (const s of seen) assert.ok(s.authorization?.startsWith(`Bearer ${EKS_TOKEN_PREFIX}`), s.authorization);
        assert.deepEqual(unhealthy(signal), []);
    });

    it("names the failed HelmRelease and the missing Kustomization", async () => {
        objects = { ...healthy(), [apiPath(AIRFLOW)]: failedUpgrade };
        delete objects[apiPath(TENANTS)];
        const signal = await readFluxStatus({ access, token, objects: WATCHED_FLUX_OBJECTS });
        assert.deepEqual(unhealthy(signal).map((p) => p.split(":").slice(0, 2).join(":")), ["Kustomization flux-system/tenants: NotFound", "HelmRelease airflow/airflow: UpgradeFailed"]);
    });

    it("a refusal (403) is an error that says why, not a healthy answer", async () => {
        answer = "forbidden";
        const signal = await readFluxStatus({ access, token, objects: WATCHED_FLUX_OBJECTS });
        assert.equal(signal.ok, false);
        assert.match(unhealthy(signal)[0], /HTTP 403: .*cannot get resource "helmreleases"|HTTP 403: .*cannot get resource/);
    });

    it("verifies the server's certificate: with another CA nothing is read", async () => {
        const wrong = { ...access, certificateAuthority: fs.readFileSync(certs.otherCa).toString("base64") };
        const signal = await readFluxStatus({ access: wrong, token, objects: WATCHED_FLUX_OBJECTS });
        assert.equal(signal.ok, false);
        assert.match(unhealthy(signal)[0], /certificate/i);
        assert.equal(seen.length, 0, "no request reached the server");
    });

    it("a server that does not answer is an error after the timeout, not a hang", async () => {
        answer = "silent";
        const started = Date.now();
        const signal = await readFluxStatus({ access, token, objects: [AIRFLOW], timeoutMs: 300 });
        assert.equal(signal.ok, false);
        assert.match(unhealthy(signal)[0], /no answer in 300 ms/);
        assert.ok(Date.now() - started < 5_000);
    });
});
