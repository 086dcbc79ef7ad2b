// Pure modules tested directly: naming and the policy documents.

import { strict as assert } from "assert";
import { boundedName, physicalNames, standardTags } from "./naming";
import { ecrLifecyclePolicy, githubActionsTrustPolicy, openSearchAccessPolicy } from "./policies";

describe("naming", () => {
    it("fits AWS's limits, and shortens long stack names with a hash instead of colliding", () => {
        const short = physicalNames({ project: "data-platform", stack: "prod", environment: "prod" });
        assert.equal(short.openSearchDomain, "data-platform-prod-logs");
        assert.equal(short.dbIdentifier, "data-platform-prod-metastore");
        const a = physicalNames({ project: "data-platform", stack: "feature-very-long-branch-name-one", environment: "staging" });
        const b = physicalNames({ project: "data-platform", stack: "feature-very-long-branch-name-two", environment: "staging" });
        assert.ok(a.openSearchDomain.length <= 28 && /^[a-z][a-z0-9-]+$/.test(a.openSearchDomain), a.openSearchDomain);
        assert.notEqual(a.openSearchDomain, b.openSearchDomain);
        assert.ok(a.dbIdentifier.length <= 63 && !a.dbIdentifier.includes("--"));
        assert.throws(() => boundedName("x", "a-suffix-that-is-far-too-long", 10), /cannot fit/);
    });
    it("tags with project, stack, environment and owner", () => {
        assert.deepEqual(standardTags({ project: "p", stack: "s", environment: "prod" }), { Project: "p", Stack: "s", Environment: "prod", ManagedBy: "pulumi" });
    });
});

describe("policy documents", () => {
    it("trusts one repository's one branch, exactly", () => {
        const trust = githubActionsTrustPolicy("arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com", { repository: "org/dags", branch: "master" });
        assert.deepEqual(trust.Statement[0].Condition, {
            StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com", "token.actions.githubusercontent.com:sub": "repo:org/dags:ref:refs/heads/master" },
        });
    });
    it("puts ECR's catch-all rule last, as ECR requires", () => {
        const { rules } = ecrLifecyclePolicy(30, 3);
        assert.deepEqual(rules.map((r) => r.rulePriority), [1, 2]);
        assert.equal(rules[rules.length - 1].selection.tagStatus, "any");
    });
    it("denies the search API to everyone until a writer exists, then to everyone else", () => {
        assert.deepEqual(openSearchAccessPolicy("arn:d", []).Statement.map((s) => s.Effect), ["Deny"]);
        const granted = openSearchAccessPolicy("arn:d", ["arn:role"]);
        assert.deepEqual(granted.Statement.map((s) => s.Effect), ["Allow", "Deny"]);
        assert.ok(!JSON.stringify(granted).includes("es:*"), "never grants es:*");
    });
});
