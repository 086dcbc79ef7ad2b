// The watcher's EKS token (cluster/eks-token.ts) against botocore's presigner: botocore is what
// `aws eks get-token` runs (awscli/customizations/eks/get_token.py presigns GetCallerIdentity with the
// x-k8s-aws-id header, 60 s), and it is installed here with moto. Same credentials, same instant: the
// same URL, parameter for parameter, and the same signature. A different cluster name, secret or
// instant gives another signature, so the comparison is not vacuous.

import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import { EKS_TOKEN_PREFIX, credentialsFromEnv, eksToken, presignedCallerIdentityUrl, type EksTokenArgs } from "./eks-token";

const BOTOCORE_PRESIGN = `
import sys, json, datetime
import botocore.auth, botocore.session
from botocore.credentials import Credentials
from botocore.model import ServiceId
from botocore.signers import RequestSigner
a = json.loads(sys.argv[1])
fixed = datetime.datetime.strptime(a["now"], "%Y-%m-%dT%H:%M:%SZ")
botocore.auth.get_current_datetime = lambda *args, **kw: fixed
session = botocore.session.get_session()
signer = RequestSigner(ServiceId("sts"), a["region"], "sts", "v4",
    Credentials(a["accessKeyId"], a["secretAccessKey"], a.get("sessionToken")), session.get_component("event_emitter"))
params = {"method": "GET", "url": "https://sts.%s.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15" % a["region"],
    "body": {}, "headers": {"x-k8s-aws-id": a["clusterName"]}, "context": {}}
print(signer.generate_presigned_url(params, region_name=a["region"], expires_in=60, operation_name=""))
`;

function botocoreUrl(args: EksTokenArgs): string {
    const input = { ...args.credentials, clusterName: args.clusterName, region: args.region, now: args.now.toISOString().replace(/\.\d{3}Z$/, "Z") };
    return execFileSync("python3", ["-c", BOTOCORE_PRESIGN, JSON.stringify(input)], { encoding: "utf8" }).trim();
}

const params = (url: string) => {
    const u = new URL(url);
    return { origin: u.origin, path: u.pathname, query: Object.fromEntries([...u.searchParams.entries()].sort()) };
};

describe("EKS token (cluster/eks-token.ts) against botocore, as aws eks get-token signs it", function () {
    this.timeout(30_000);
    const base: EksTokenArgs = {
        clusterName: "data-platform-prod-eks",
        region: "us-east-1",
        credentials: { accessKeyId: "ASIAEXAMPLEEXAMPLE12", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", sessionToken: "IQoJb3JpZ2luX2VjEXAMPLE//session+token/with=chars" },
        now: new Date("2026-01-15T07:40:00Z"),
    };

    it("gives the URL botocore gives: every parameter, and the signature", () => {
        for (const args of [base, { ...base, credentials: { ...base.credentials, sessionToken: undefined } }, { ...base, region: "eu-west-1", clusterName: "x" }]) {
            const ours = params(presignedCallerIdentityUrl(args));
            const theirs = params(botocoreUrl(args));
            assert.deepEqual(ours, theirs);
            assert.match(ours.query["X-Amz-Signature"], /^[0-9a-f]{64}$/);
        }
    });
    it("signs the cluster name, the secret and the instant: change one and the signature changes", () => {
        const sig = (a: EksTokenArgs) => params(presignedCallerIdentityUrl(a)).query["X-Amz-Signature"];
        const s0 = sig(base);
        assert.notEqual(sig({ ...base, clusterName: "another-cluster" }), s0);
        assert.notEqual(sig({ ...base, credentials: { ...base.credentials, secretAccessKey: "another" } }), s0);
        assert.notEqual(sig({ ...base, now: new Date("2026-01-15T07:41:00Z") }), s0);
        assert.equal(params(botocoreUrl({ ...base, clusterName: "another-cluster" })).query["X-Amz-Signature"], sig({ ...base, clusterName: "another-cluster" }));
    });
    it("is the URL, base64url without padding, behind k8s-aws-v1.", () => {
        const token = eksToken(base);
        assert.ok(token.startsWith(EKS_TOKEN_PREFIX));
        assert.doesNotMatch(token, /[=+/]/);
        assert.equal(Buffer.from(token.slice(EKS_TOKEN_PREFIX.length), "base64url").toString("utf8"), presignedCallerIdentityUrl(base));
    });
    it("takes the function's credentials from the environment Lambda sets, and says when they are missing", () => {
        assert.deepEqual(credentialsFromEnv({ AWS_ACCESS_KEY_ID: "A", AWS_SECRET_ACCESS_KEY: "S", AWS_SESSION_TOKEN: "T" }), { accessKeyId: "A", secretAccessKey: "S", sessionToken: "T" });
        assert.equal(credentialsFromEnv({ AWS_ACCESS_KEY_ID: "A", AWS_SECRET_ACCESS_KEY: "S" }).sessionToken, undefined);
        assert.throws(() => credentialsFromEnv({}), /AWS_ACCESS_KEY_ID/);
    });
});
