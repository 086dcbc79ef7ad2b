// The data platform's policy pack: `pulumi preview --policy-pack policy` (from the project root).
// The rules live in ./rules.ts as plain policy objects; only this file builds the PolicyPack, because
// constructing one starts the policy server the Pulumi CLI talks to.

import { PolicyPack } from "@pulumi/policy";
import { resourcePolicies, stackPolicies } from "./rules";

new PolicyPack("data-platform", {
    description: "What the data platform promises: private and encrypted data services, a locked-down EKS, IMDSv2 nodes, no admin IAM, dead-letter paths, time-zoned schedules, no world-open ports but the UI's HTTPS, and a monthly cost ceiling (advisory).",
    enforcementLevel: "mandatory",
    policies: [...resourcePolicies, ...stackPolicies],
});
