// Airflow's two IRSA roles as the real program registers them under mocks: the components' role and
// the task pods' role, the platform's grants on both (task logs, Parameter Store secrets under the
// stack's prefix, the DAG-alert topic), and the stack's own grants for the DAGs' work on the task role
// alone. Expected documents are written out here, not rebuilt with the code's helpers.

import { strict as assert } from "assert";
import { parseConfig } from "../config/config";
import { identityPolicyProblems } from "../core/policies";
import { ACCOUNT_ID } from "../offline/mocks";
import { valueOf, type Evaluation } from "../offline/evaluate";
import { only } from "../tests/resources";
import { stackEvaluation } from "../tests/stacks";

const USER_POLICY = JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Sid: "ReadRawData", Effect: "Allow", Action: ["s3:GetObject", "s3:ListBucket"], Resource: ["arn:aws:s3:::acme-raw", "arn:aws:s3:::acme-raw/*"] }],
});
const MANAGED = ["arn:aws:iam::aws:policy/AmazonAthenaFullAccess", `arn:aws:iam::${ACCOUNT_ID}:policy/warehouse-writer`];

const subjects = (role: { inputs: Record<string, any> }) =>
    JSON.parse(role.inputs.assumeRolePolicy).Statement.flatMap((s: any) => Object.entries(s.Condition.StringEquals).filter(([k]) => k.endsWith(":sub")).flatMap(([, v]) => [v].flat()));
const statements = (policy: string) => JSON.parse(policy).Statement as any[];

describe("Airflow's IRSA roles: the components', the task pods', and the stack's grants for the DAGs", function () {
    this.timeout(120_000);
    let e: Evaluation;
    let withGrants: Evaluation;
    before(async () => {
        e = await stackEvaluation("prod");
        withGrants = await stackEvaluation("prod", { "data-platform:taskRolePolicy": USER_POLICY, "data-platform:taskRoleManagedPolicyArns": MANAGED, "data-platform:operatorEmail": "oncall@example.com" });
    });

    it("the components' role trusts the four components' service accounts; the task role only the worker's", () => {
        const sa = (n: string) => `system:serviceaccount:airflow:${n}`;
        assert.deepEqual(subjects(only(e, "aws:iam/role:Role", "cluster-airflow-role")).sort(), [sa("airflow-api-server"), sa("airflow-dag-processor"), sa("airflow-scheduler"), sa("airflow-triggerer")]);
        assert.deepEqual(subjects(only(e, "aws:iam/role:Role", "cluster-airflow-tasks-role")), [sa("airflow-worker")]);
    });

    it("both carry the platform's grants: task logs, the stack's Parameter Store prefix (decrypt through SSM only), and publish to the DAG-alert topic alone", () => {
        const topic = only(e, "aws:sns/topic:Topic", "cluster-dag-alerts").state.arn;
        const parameters = `arn:aws:ssm:us-east-1:${ACCOUNT_ID}:parameter/data-platform-prod/airflow/*`;
        for (const part of ["airflow-policy", "airflow-tasks-policy"]) {
            const s = statements(only(e, "aws:iam/rolePolicy:RolePolicy", `cluster-${part}`).inputs.policy);
            const bySid = Object.fromEntries(s.map((x) => [x.Sid, x]));
            assert.deepEqual(Object.keys(bySid).sort(), ["DagAlerts", "DecryptAirflowSecrets", "ListTaskLogs", "ReadAirflowSecrets", "ReadWriteTaskLogs", "TaskLogKey"], part);
            assert.deepEqual([bySid.ReadAirflowSecrets.Action, bySid.ReadAirflowSecrets.Resource], [["ssm:GetParameter", "ssm:GetParameters"], parameters]);
            assert.deepEqual(bySid.DecryptAirflowSecrets.Condition, { StringEquals: { "kms:ViaService": "ssm.us-east-1.amazonaws.com" }, StringLike: { "kms:EncryptionContext:PARAMETER_ARN": parameters } });
            assert.deepEqual([bySid.DagAlerts.Action, bySid.DagAlerts.Resource], ["sns:Publish", topic]);
            assert.ok(!s.some((x) => [x.Action].flat().some((a: string) => a.startsWith("sns:") && x.Resource !== topic)), `${part}: no other topic`);
        }
        // The topic mails the operator, where the stack names one (prod's file does not yet).
        assert.deepEqual(e.ofType("aws:sns/topicSubscription:TopicSubscription").filter((x) => x.name.includes("dag-alerts")), []);
        const sub = only(withGrants, "aws:sns/topicSubscription:TopicSubscription", "cluster-dag-alerts-email");
        assert.deepEqual([sub.inputs.topic, sub.inputs.protocol, sub.inputs.endpoint], [only(withGrants, "aws:sns/topic:Topic", "cluster-dag-alerts").state.arn, "email", "oncall@example.com"]);
    });

    it("without config the task role has nothing more; with it, the user's policy and managed policies land on the task role only", () => {
        assert.deepEqual(e.ofType("aws:iam/rolePolicy:RolePolicy").filter((p) => p.name.includes("airflow-tasks-user")), []);
        const user = only(withGrants, "aws:iam/rolePolicy:RolePolicy", "cluster-airflow-tasks-user-policy");
        assert.equal(user.inputs.role, only(withGrants, "aws:iam/role:Role", "cluster-airflow-tasks-role").state.name);
        assert.deepEqual(statements(user.inputs.policy), JSON.parse(USER_POLICY).Statement);
        const attachments = withGrants.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => a.name.includes("airflow-tasks-managed"));
        assert.deepEqual(attachments.map((a) => [a.inputs.role, a.inputs.policyArn]), MANAGED.map((arn) => [only(withGrants, "aws:iam/role:Role", "cluster-airflow-tasks-role").state.name, arn]));
        // Nothing of the user's reaches the components' role.
        const componentRole = only(withGrants, "aws:iam/role:Role", "cluster-airflow-role").state.name;
        assert.ok(!withGrants.ofType("aws:iam/rolePolicy:RolePolicy").some((p) => p.inputs.role === componentRole && p.inputs.policy.includes("acme-raw")));
        assert.ok(!withGrants.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").some((a) => a.inputs.role === componentRole));
    });

    it("exports the task role, the alert topic and the secrets prefix", async () => {
        assert.equal(await valueOf(e.outputs.airflowTaskRoleArn as string), only(e, "aws:iam/role:Role", "cluster-airflow-tasks-role").state.arn);
        assert.equal(await valueOf(e.outputs.dagAlertTopicArn as string), only(e, "aws:sns/topic:Topic", "cluster-dag-alerts").state.arn);
        assert.equal(e.outputs.airflowSecretsPrefix, "/data-platform-prod/airflow");
    });
});

describe("taskRolePolicy and taskRoleManagedPolicyArns: checked as IAM documents before anything is created", () => {
    const base = { project: "data-platform", stack: "prod", today: new Date("2026-06-01T00:00:00Z") };
    const raw = async () => ({ ...(await stackEvaluation("prod")).config.values });
    const problems = async (changes: Record<string, string>) => {
        try {
            parseConfig({ ...(await raw()), ...changes }, base);
            return [];
        } catch (err) {
            return (err as { problems: { key: string; allowed: string }[] }).problems;
        }
    };

    it("takes a well-formed identity policy", () => {
        assert.deepEqual(identityPolicyProblems(USER_POLICY, 8192), []);
        assert.deepEqual(identityPolicyProblems(JSON.stringify({ Version: "2012-10-17", Statement: { Effect: "Deny", NotAction: "s3:*", NotResource: "*", Condition: { Bool: { "aws:SecureTransport": "false" } } } }), 8192), []);
    });

    it("names each thing IAM would refuse, or that belongs in another kind of policy", () => {
        const check = (policy: unknown) => identityPolicyProblems(typeof policy === "string" ? policy : JSON.stringify(policy), 8192).join("; ");
        assert.match(check("{not json"), /is not JSON/);
        assert.match(check({ Version: "2008-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] }), /Version must be "2012-10-17"/);
        assert.match(check({ Version: "2012-10-17", Statement: [] }), /Statement is missing or empty/);
        assert.match(check({ Version: "2012-10-17", Statement: [{ Effect: "Permit", Action: "s3:GetObject", Resource: "*" }] }), /Effect must be Allow or Deny/);
        assert.match(check({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "*" }] }), /Principal belongs in a resource policy/);
        assert.match(check({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "GetObject", Resource: "*" }] }), /Action "GetObject" is not an action/);
        assert.match(check({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", NotAction: "s3:PutObject", Resource: "*" }] }), /exactly one of Action and NotAction/);
        assert.match(check({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "my-bucket" }] }), /Resource "my-bucket" is not an ARN or \*/);
        assert.match(check({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject" }] }), /exactly one of Resource and NotResource/);
        assert.match(check({ Version: "2012-10-17", Statement: [{ Sid: "no-dashes", Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] }), /Sid must be letters and digits/);
        assert.match(identityPolicyProblems(JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: `arn:aws:s3:::${"x".repeat(9000)}` }] }), 8192).join(), /at most 8192/);
    });

    it("the config refuses a bad document and bad ARNs, naming the key", async () => {
        const bad = await problems({ "data-platform:taskRolePolicy": JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:*", Resource: "*" }] }) });
        assert.deepEqual(bad.map((p) => p.key), ["data-platform:taskRolePolicy"]);
        assert.match(bad[0].allowed, /Principal belongs in a resource policy/);
        const arns = await problems({ "data-platform:taskRoleManagedPolicyArns": JSON.stringify(["AmazonS3ReadOnlyAccess"]) });
        assert.deepEqual(arns.map((p) => p.key), ["data-platform:taskRoleManagedPolicyArns"]);
        assert.match(arns[0].allowed, /is not an IAM policy ARN/);
        assert.deepEqual(await problems({ "data-platform:taskRolePolicy": USER_POLICY, "data-platform:taskRoleManagedPolicyArns": JSON.stringify(MANAGED) }), []);
    });
});
