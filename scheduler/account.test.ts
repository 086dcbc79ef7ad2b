// The deployer-is-admin check (scheduler/account.ts) on the ARNs STS really returns, and on the evaluated
// program: a deploy by someone outside clusterAdminArns is refused before any resource is registered.

import { strict as assert } from "assert";
import { checkDeployerIsAdmin, concurrencyVerdict, principalOf } from "./account";
import { evaluate } from "../offline/evaluate";

describe("the identity running pulumi up must be a cluster admin", () => {
    it("reads STS's ARNs: role sessions stand for their role (the session ARN has no path), users and root as they are", () => {
        assert.deepEqual(principalOf("arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123abcd/alice@example.com"), { kind: "role", account: "111122223333", name: "AWSReservedSSO_Admin_0123abcd" });
        assert.deepEqual(principalOf("arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123abcd"), { kind: "role", account: "111122223333", name: "AWSReservedSSO_Admin_0123abcd" });
        assert.deepEqual(principalOf("arn:aws:iam::111122223333:user/ops/bob"), { kind: "user", account: "111122223333", arn: "arn:aws:iam::111122223333:user/ops/bob" });
        assert.deepEqual(principalOf("arn:aws:iam::111122223333:root"), { kind: "root", account: "111122223333" });
        assert.equal(principalOf("arn:aws:sts::111122223333:federated-user/carol").kind, "other");
    });

    const admins = ["arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123abcd", "arn:aws:iam::111122223333:user/ops/bob"];
    it("an SSO session of an admin role (with a path) and an admin user pass", () => {
        assert.deepEqual(checkDeployerIsAdmin("arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123abcd/alice@example.com", admins, "prod"), { ok: true, admin: admins[0] });
        assert.deepEqual(checkDeployerIsAdmin("arn:aws:iam::111122223333:user/ops/bob", admins, "prod"), { ok: true, admin: admins[1] });
    });

    it("anyone else is refused, with the ARN to add and where", () => {
        const other = checkDeployerIsAdmin("arn:aws:sts::111122223333:assumed-role/ci-deployer/run-42", admins, "prod");
        assert.equal(other.ok, false);
        assert.match((other as { problem: string }).problem, /ci-deployer\/run-42, is not in clusterAdminArns.*"Unauthorized".*add arn:aws:iam::111122223333:role\/ci-deployer .*to data-platform:clusterAdminArns in Pulumi.prod.yaml/);
        // The same role name in another account is another role.
        assert.equal(checkDeployerIsAdmin("arn:aws:sts::444455556666:assumed-role/AWSReservedSSO_Admin_0123abcd/alice", admins, "prod").ok, false);
        assert.match((checkDeployerIsAdmin("arn:aws:iam::111122223333:root", admins, "prod") as { problem: string }).problem, /root user/);
    });

    it("the program refuses a deploy by a non-admin (checked before any component is constructed); an admin's role session deploys", async function () {
        this.timeout(120_000);
        // The program's throw also reaches Pulumi's stack registration as a rejection nothing awaits, which
        // tests/setup.ts turns into a failure: it is expected here, so it is collected for this call only.
        const listeners = process.listeners("unhandledRejection");
        const stray: unknown[] = [];
        process.removeAllListeners("unhandledRejection");
        process.on("unhandledRejection", (r) => stray.push(r));
        let refused: Awaited<ReturnType<typeof evaluate>> | Error;
        try {
            refused = await evaluate({ stack: "staging", callerArn: "arn:aws:sts::123456789012:assumed-role/ci-deployer/run-42" }).catch((e: Error) => e);
            await new Promise((r) => setTimeout(r, 100));
        } finally {
            process.removeAllListeners("unhandledRejection");
            for (const l of listeners) process.on("unhandledRejection", l);
        }
        assert.ok(refused instanceof Error, "the evaluation must fail");
        assert.match(refused.message, /ci-deployer\/run-42, is not in clusterAdminArns/);
        for (const r of stray) assert.match(String((r as Error).message ?? r), /is not in clusterAdminArns/, "no other failure");
        const ok = await evaluate({ stack: "staging" });
        assert.ok(ok.resources.length > 100);
    });
});

// The account's Lambda concurrency (`npm run power -- account`), at the edges Lambda documents: a
// reservation must leave at least 100 unreserved; the two functions need 2 at once without one.
describe("the account's Lambda concurrency against the stack's setting", () => {
    const v = (limit: number, unreserved: number, reserve: boolean) => concurrencyVerdict({ concurrentExecutions: limit, unreservedConcurrentExecutions: unreserved }, reserve, "eu-west-1");
    it("a new account (10): fits without reservation, and says a reservation is impossible and how to raise the quota", () => {
        const r = v(10, 10, false);
        assert.deepEqual([r.ok, r.reservationPossible], [true, false]);
        assert.deepEqual(r.lines, [
            "Lambda concurrency in eu-west-1: limit 10, unreserved 10.",
            "Without reservation (powerReservedConcurrency false, the default) the scheduler needs 2 at most: it fits (a lease serialises the functions).",
            "powerReservedConcurrency true is not possible: reserving 2 would leave 8 unreserved, under the 100 Lambda requires (to raise it: aws service-quotas request-service-quota-increase --service-code lambda --quota-code L-B99A9384 --desired-value 1000 --region eu-west-1).",
        ]);
        const reserving = v(10, 10, true);
        assert.equal(reserving.ok, false);
        assert.match(reserving.lines[2], /under the 100 Lambda requires; set it to false, or to raise it: aws service-quotas/);
    });
    it("a reservation is possible exactly when 100 stay unreserved", () => {
        assert.deepEqual([v(1000, 102, true).ok, v(1000, 102, true).reservationPossible], [true, true]);
        assert.equal(v(1000, 102, true).lines[2], "powerReservedConcurrency true is possible: reserving 2 leaves 100 unreserved (Lambda requires 100).");
        assert.deepEqual([v(1000, 101, true).ok, v(1000, 101, true).reservationPossible], [false, false]);
        assert.equal(v(1000, 101, false).ok, true, "without reservation the unreserved pool does not matter");
    });
    it("a limit under the two functions fails either way, with the quota to raise", () => {
        for (const reserve of [false, true]) {
            const r = v(1, 1, reserve);
            assert.equal(r.ok, false);
            assert.equal(r.lines[1], "The scheduler's 2 functions cannot run at once under a limit of 1; to raise it: aws service-quotas request-service-quota-increase --service-code lambda --quota-code L-B99A9384 --desired-value 1000 --region eu-west-1.");
        }
        assert.equal(v(2, 2, false).ok, true, "exactly 2 is enough");
    });
    it("a role and a user of the same name are different principals", () => {
        assert.equal(checkDeployerIsAdmin("arn:aws:iam::111122223333:user/deploy", ["arn:aws:iam::111122223333:role/deploy"], "prod").ok, false);
        assert.equal(checkDeployerIsAdmin("arn:aws:sts::111122223333:assumed-role/deploy/s", ["arn:aws:iam::111122223333:user/deploy"], "prod").ok, false);
        assert.match((checkDeployerIsAdmin("arn:aws:sts::111122223333:federated-user/carol", [], "prod") as { problem: string }).problem, /it is not an IAM role or user session/);
        assert.match((checkDeployerIsAdmin("arn:aws:iam::111122223333:user/ops/eve", [], "staging") as { problem: string }).problem, /add arn:aws:iam::111122223333:user\/ops\/eve to data-platform:clusterAdminArns in Pulumi.staging.yaml/);
    });
});
