// The README's first command, run as a user runs it.

import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

import { readEstimates } from "../cost/budget";

const ROOT = path.join(__dirname, "..");

function plan(...args: string[]) {
    const started = Date.now();
    const run = spawnSync("npm", ["run", "--silent", "plan", "--", ...args], { cwd: ROOT, encoding: "utf8", env: { ...process.env, AWS_ACCESS_KEY_ID: "", AWS_SECRET_ACCESS_KEY: "", AWS_PROFILE: "" } });
    return { ...run, seconds: (Date.now() - started) / 1000 };
}

describe("npm run plan", function () {
    this.timeout(120_000);

    for (const stack of ["prod", "staging"]) {
        it(`prints the resource tree of ${stack} offline, well under 15 seconds`, () => {
            const run = plan("--stack", stack);
            assert.equal(run.status, 0, run.stderr);
            assert.match(run.stdout, new RegExp(`^pulumi:pulumi:Stack  data-platform-${stack}$`, "m"));
            assert.match(run.stdout, new RegExp(`^[├└]─ data-platform:index:Network  data-platform-${stack}-network$`, "m"));
            assert.match(run.stdout, new RegExp(`^[│ ]  [├└]─ aws:ec2/vpc:Vpc  data-platform-${stack}-network-vpc$`, "m"));
            assert.match(run.stdout, /\d+ resources: \d+ components/);
            assert.match(run.stdout, /Network: one/);
            // The itemised estimate follows the tree: the control plane line, the total, the always-on figure.
            assert.match(run.stdout, new RegExp(`^Monthly estimate for ${stack} \\(us-east-1 on-demand prices of \\d{4}-\\d\\d-\\d\\d( to \\d{4}-\\d\\d-\\d\\d)?; awake 60\\.8 of 730 h\\):$`, "m"));
            assert.match(run.stdout, /^\s+\$73\.00  EKS control plane/m);
            assert.match(run.stdout, /^\s+\$\d+\.\d\d  total a month$/m);
            assert.match(run.stdout, /^\s+\$\d+\.\d\d  the same platform if it never slept$/m);
            // Every cost lever with its price against the other choice; each stack's choices are the cheaper.
            const levers = new Map([...run.stdout.matchAll(/^  (\w+) = .+?  saves \$(\d+\.\d\d) a month against .+$/gm)].map((m) => [m[1], Number(m[2])]));
            // The one dearer choice, on purpose: the api log, which the policy pack requires.
            assert.deepEqual([...run.stdout.matchAll(/^  (\w+) = .+  \S+ would save \$\d+\.\d\d a month$/gm)].map((m) => m[1]), ["controlPlaneLogTypes"]);
            const within = (key: string, low: number, high: number) => assert.ok((levers.get(key) ?? -1) >= low && (levers.get(key) ?? -1) <= high, `${key}: ${levers.get(key)}`);
            within("sharedKmsKey", 2.99, 3.01); // three keys at $1
            within("nodeCapacityType", 1, 10);
            within("controlPlaneLogClass", 0.5, 5);
            if (stack === "prod") {
                assert.deepEqual([...levers.keys()], ["uiLoadBalancerZones", "sharedKmsKey", "nodeCapacityType", "controlPlaneLogClass"]);
                within("uiLoadBalancerZones", 3.64, 3.66); // one public IPv4 address
            } else {
                assert.deepEqual([...levers.keys()], ["logSearch", "uiCertificateArn", "sharedKmsKey", "nodeCapacityType", "controlPlaneLogClass"]);
                within("logSearch", 25, 35);
                within("uiCertificateArn", 25, 35);
            }
            assert.ok(run.seconds < 15, `took ${run.seconds} s`);
        });
    }

    it("fails on a broken stack file, naming each bad key", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "broken-"));
        fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
        const broken = fs.readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8")
            .replace("natStrategy: instance", "natStrategy: nat-gateway")
            .replace("nodeCount: 4", "nodeCount: 500")
            .replace("    - us-east-1c\n", "");
        fs.writeFileSync(path.join(dir, "Pulumi.broken.yaml"), broken);
        const run = plan("--stack", "broken", "--config-dir", dir);
        assert.equal(run.status, 1);
        assert.match(run.stderr, /invalid configuration \(3 problems\)/);
        assert.match(run.stderr, /data-platform:availabilityZones: .* → 2 given; exactly 3 zones in prod/);
        assert.match(run.stderr, /data-platform:natStrategy: "nat-gateway" → must be one of/);
        assert.match(run.stderr, /data-platform:nodeCount: "500" → must be from 1 to 450/);
        assert.equal(run.stdout, "", "nothing is planned when the config is invalid");
    });

    it("explains its usage when no stack is given", () => {
        const run = plan();
        assert.equal(run.status, 2);
        assert.match(run.stderr, /^--stack <name> is required \(stacks: prod, staging\)$/m);
        assert.match(run.stderr, /^usage: npm run plan -- --stack <name>/m);
    });
});

describe("npm run bench", function () {
    this.timeout(120_000);
    it("prints one line per stack: the monthly estimate, always on, and the plan's run time", () => {
        const run = spawnSync("npm", ["run", "--silent", "bench"], { cwd: ROOT, encoding: "utf8" });
        assert.equal(run.status, 0, run.stderr);
        const estimates = readEstimates();
        for (const stack of ["prod", "staging"]) {
            const line = run.stdout.split("\n").find((l) => l.startsWith(`${stack} ... `));
            assert.ok(line, `no line for ${stack} in:\n${run.stdout}`);
            assert.match(line, /^\w+ \.\.\. \$\d+\.\d\d a month \(always on \$\d+\.\d\d; sleeping saves \$\d+\.\d\d; planned in \d+\.\d s\)$/);
            assert.ok(line.startsWith(`${stack} ... $${estimates[stack]!.monthly.toFixed(2)} a month`), `${line} vs data/estimates.json`);
        }
    });
});
