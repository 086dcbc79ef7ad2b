import { strict as assert } from "assert";
import * as fs from "fs";
import { qualifiedKey } from "../core/config-spec";
import { CONFIG_KEYS, ConfigError, parseConfig, type RawConfig } from "./config";
import { readStackConfig } from "../offline/stack-config";
import { EC2_FAMILIES, OPENSEARCH_INSTANCE_TYPES, RDS_INSTANCE_CLASSES } from "../core/instance-types";
import { PRICE_KEYS, readPriceFile } from "../cost/cost";

import { HARNESS_DAY } from "../offline/evaluate";

// A set day, as every test that needs one: no result may depend on the day the tests run.
const ctx = { project: "data-platform", stack: "test", today: HARNESS_DAY };
const base = (stack: string): Record<string, string> => ({ ...readStackConfig(stack).values });

/** Parses the stack's config with changes; returns the problems (empty when valid). */
function problems(stack: string, changes: Record<string, string | undefined>): ConfigError["problems"] {
    const raw: Record<string, string | undefined> = base(stack);
    for (const [k, v] of Object.entries(changes)) raw[qualifiedKey(k)] = v;
    try {
        parseConfig(raw as RawConfig, ctx);
        return [];
    } catch (err) {
        assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${err}`);
        return err.problems;
    }
}

/** Asserts that exactly this key is reported, with the value given and a reason matching `allowed`. */
function rejects(stack: string, key: string, value: string | undefined, allowed: RegExp) {
    const found = problems(stack, { [key]: value });
    assert.equal(found.length, 1, `expected one problem for ${key}=${value}, got ${JSON.stringify(found)}`);
    assert.equal(found[0].key, qualifiedKey(key));
    assert.equal(found[0].value, value);
    assert.match(found[0].allowed, allowed);
}

describe("config: the stack files", () => {
    it("prod follows the design: us-east-1, three zones, four t3.medium nodes, a Multi-AZ db.t3.micro", () => {
        const cfg = parseConfig(base("prod"), ctx);
        assert.equal(cfg.region, "us-east-1");
        assert.deepEqual(cfg.network.availabilityZones, ["us-east-1a", "us-east-1b", "us-east-1c"]);
        assert.equal(cfg.cluster.nodeInstanceType, "t3.medium");
        assert.equal(cfg.cluster.nodeCount, 4);
        assert.equal(cfg.metastore.instanceClass, "db.t3.micro");
        assert.equal(cfg.metastore.multiAz, true);
        assert.equal(cfg.metastore.protectFromDeletion, true);
        assert.equal(cfg.metastore.backupRetentionDays, 7);
    });

    it("staging is a smaller, cheaper copy", () => {
        const prod = parseConfig(base("prod"), ctx);
        const staging = parseConfig(base("staging"), ctx);
        assert.equal(staging.environment, "staging");
        assert.ok(staging.cluster.nodeCount < prod.cluster.nodeCount);
        assert.equal(staging.metastore.multiAz, false);
        assert.equal(staging.network.natStrategy, "instance");
        assert.ok(staging.logStore.openSearchVolumeGb < prod.logStore.openSearchVolumeGb);
        assert.equal(staging.metastore.protectFromDeletion, false);
    });

    it("each stack file spells out every project key (no silent defaults)", () => {
        for (const stack of ["prod", "staging"]) {
            const file = readStackConfig(stack);
            const text = fs.readFileSync(file.file, "utf8");
            for (const key of CONFIG_KEYS.filter((k) => !k.optional)) {
                assert.match(text, new RegExp(`^\\s*${qualifiedKey(key.name)}:`, "m"), `${stack} does not set ${qualifiedKey(key.name)}`);
            }
        }
    });
});

describe("config: every rule", () => {
    it("rejects an unknown NAT strategy", () => rejects("prod", "natStrategy", "nat-gateway", /gateway-per-az, single-gateway, instance/));
    it("rejects two zones in prod, where three are required", () =>
        rejects("prod", "availabilityZones", '["us-east-1a","us-east-1b"]', /2 given; exactly 3 zones in prod/));
    it("accepts two zones in staging but not one or four", () => {
        assert.deepEqual(problems("staging", { availabilityZones: '["us-east-1a","us-east-1b"]' }), []);
        rejects("staging", "availabilityZones", '["us-east-1a"]', /1 given; 2 or 3 zones/);
        rejects("staging", "availabilityZones", '["us-east-1a","us-east-1b","us-east-1c","us-east-1d"]', /4 given/);
    });
    it("rejects zones of another region and repeated zones", () => {
        rejects("prod", "availabilityZones", '["us-east-1a","us-west-2b","us-east-1c"]', /us-west-2b is not a zone of us-east-1/);
        rejects("prod", "availabilityZones", '["us-east-1a","us-east-1a","us-east-1c"]', /us-east-1a listed twice/);
    });
    it("rejects zones that are not a list of strings", () => rejects("prod", "availabilityZones", "us-east-1a", /is not a list of strings/));
    it("rejects a node count of 0 or 500, and one that is not an integer", () => {
        rejects("prod", "nodeCount", "0", /from 1 to 450/);
        rejects("prod", "nodeCount", "500", /from 1 to 450/);
        rejects("prod", "nodeCount", "four", /is not an integer/);
        assert.deepEqual(problems("prod", { nodeCount: "450" }), []);
    });
    it("rejects malformed CIDRs: bad syntax, host bits, prefix out of range, public range", () => {
        rejects("prod", "vpcCidr", "10.0.0/16", /not of the form a\.b\.c\.d\/n/);
        rejects("prod", "vpcCidr", "10.0.300.0/16", /greater than 255/);
        rejects("prod", "vpcCidr", "10.0.1.0/16", /host bits are set \(the network address is 10\.0\.0\.0\/16\)/);
        rejects("prod", "vpcCidr", "10.0.0.0/24", /from \/16/);
        rejects("prod", "vpcCidr", "10.0.0.0/8", /from \/16/);
        rejects("prod", "vpcCidr", "8.8.0.0/16", /not inside 10\.0\.0\.0\/8/);
    });
    it("rejects an instance type that does not exist in its family, or an unknown family", () => {
        rejects("prod", "nodeInstanceType", "t3.huge", /t3 has no size "huge"; its sizes are nano, micro/);
        rejects("prod", "nodeInstanceType", "x9.large", /family "x9" is not one of/);
        rejects("prod", "nodeInstanceType", "m5.nano", /m5 has no size "nano"/);
    });
    it("rejects an x86 NAT instance type (the NAT image is arm64)", () =>
        rejects("staging", "natInstanceType", "t3.nano", /family "t3" is not one of t4g, m6g, m7g/));
    it("rejects an RDS class outside the supported list", () => rejects("prod", "dbInstanceClass", "db.r5.large", /must be one of db\.t3\.micro, db\.t3\.small/));
    it("rejects Multi-AZ off in prod", () => rejects("prod", "dbMultiAz", "false", /must be true in prod/));
    it("rejects Multi-AZ with fewer than two zones", () => {
        const found = problems("staging", { availabilityZones: '["us-east-1a"]', dbMultiAz: "true" });
        assert.deepEqual(found.map((p) => p.key), ["data-platform:availabilityZones", "data-platform:dbMultiAz"]);
        assert.match(found[1].allowed, /Multi-AZ needs at least 2 availability zones; 1 configured/);
    });
    it("rejects a non-boolean flag", () => rejects("prod", "dbMultiAz", "yes", /is not true or false/));
    it("rejects a storage size below gp3's minimum", () => {
        rejects("staging", "dbAllocatedStorageGb", "19", /from 20 to 65536/);
        rejects("staging", "dbMaxAllocatedStorageGb", "19", /from 20 to 65536/);
    });
    it("rejects max storage smaller than allocated storage", () => {
        const found = problems("prod", { dbAllocatedStorageGb: "200", dbMaxAllocatedStorageGb: "100" });
        assert.equal(found.length, 1);
        assert.match(found[0].allowed, /must be at least dbAllocatedStorageGb \(200\)/);
    });
    it("rejects fewer than 7 days of backups in prod, allows it in staging", () => {
        rejects("prod", "dbBackupRetentionDays", "3", /at least 7 in prod/);
        assert.deepEqual(problems("staging", { dbBackupRetentionDays: "1" }), []);
    });
    it("rejects a log retention of 0 days, and periods CloudWatch does not offer", () => {
        rejects("prod", "logRetentionDays", "0", /one of 1, 3, 5, 7, 14, 30/);
        rejects("prod", "logRetentionDays", "10", /one of 1, 3, 5, 7, 14, 30/);
        rejects("prod", "taskLogRetentionDays", "0", /from 1 to 3650/);
    });
    it("rejects an OpenSearch count that zone awareness cannot use", () => {
        const zoneAware = (count: string) => problems("prod", { openSearchZoneAwareness: "true", openSearchInstanceCount: count });
        assert.match(zoneAware("3")[0].allowed, /even count of at least 2; 3 given/);
        assert.match(zoneAware("1")[0].allowed, /even count of at least 2; 1 given/);
        assert.deepEqual(zoneAware("2"), []);
        assert.deepEqual(problems("staging", { openSearchInstanceCount: "3" }), []);
    });
    it("rejects an OpenSearch volume larger than the instance type takes", () =>
        rejects("staging", "openSearchVolumeGb", "150", /t3\.small\.search takes at most 100 GiB/));
    it("rejects an unknown OpenSearch instance type", () => rejects("staging", "openSearchInstanceType", "t2.small.search", /must be one of t3\.small\.search, t3\.medium\.search/));
    it("rejects a CI repository not of the form owner/name", () => {
        rejects("prod", "ciRepository", "airflow-dags", /owner\/name/);
        rejects("prod", "ciRepository", "org/dags/extra", /owner\/name/);
        rejects("prod", "ciRepository", "org/*", /owner\/name/);
    });
    it("rejects branch names that are unsafe in an OIDC subject", () => {
        rejects("prod", "ciBranch", "release/../main", /no "\.\."/);
        rejects("prod", "ciBranch", "*", /plain git branch name/);
        rejects("prod", "ciBranch", "/main", /plain git branch name/);
        assert.deepEqual(problems("prod", { ciBranch: "production/master" }), []);
    });
    it("rejects a GitHub environment name that is not literal in an IAM condition", () => {
        rejects("prod", "ciEnvironment", "prod*", /GitHub environment name/);
        rejects("prod", "ciEnvironment", "a:b", /GitHub environment name/);
        assert.deepEqual(problems("prod", { ciEnvironment: "production" }), []);
    });
    it("rejects a malformed region", () => {
        const found = problems("prod", { "aws:region": "us-east" });
        assert.equal(found[0].key, "aws:region");
        assert.match(found[0].allowed, /AWS region name/);
    });
    it("refuses regions outside the aws partition, whose ARNs the policies do not write", () => {
        for (const region of ["cn-north-1", "us-gov-west-1", "us-isob-east-1"]) {
            const zones = ["a", "b", "c"].map((z) => `${region}${z}`);
            const found = problems("prod", { "aws:region": region, availabilityZones: JSON.stringify(zones), uiLoadBalancerZones: JSON.stringify(zones.slice(0, 2)) });
            assert.deepEqual(found.map((p) => p.key), ["aws:region"], region);
            assert.match(found[0].allowed, /outside the standard aws partition/);
        }
        assert.deepEqual(problems("prod", {
            "aws:region": "eu-west-1",
            availabilityZones: '["eu-west-1a","eu-west-1b","eu-west-1c"]',
            uiLoadBalancerZones: '["eu-west-1a","eu-west-1b"]',
            uiCertificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000",
        }), []);
    });
    it("places the search domain in zones of the network, as many as zone awareness takes", () => {
        const zoneAware = { openSearchZoneAwareness: "true", openSearchInstanceCount: "2" };
        const only = (changes: Record<string, string>) => problems("prod", { ...zoneAware, ...changes }).map((p) => `${p.key}: ${p.allowed}`).join("; ");
        assert.match(only({ openSearchZones: '["us-east-1a","us-east-1d"]' }), /^data-platform:openSearchZones: us-east-1d not in availabilityZones/);
        assert.match(only({ openSearchZones: '["us-east-1a"]' }), /^data-platform:openSearchZones: 1 given; zone awareness needs exactly 2$/);
        assert.match(only({ openSearchZones: '["us-east-1b","us-east-1b"]' }), /^data-platform:openSearchZones: zones must be distinct$/);
        rejects("staging", "openSearchZones", '["us-east-1a","us-east-1b"]', /without zone awareness the domain takes exactly 1/);
        const raw = (changes: Record<string, string>) => ({ ...base("prod"), ...Object.fromEntries(Object.entries({ ...zoneAware, ...changes }).map(([k, v]) => [qualifiedKey(k), v])) });
        assert.deepEqual(parseConfig(raw({ openSearchZones: '["us-east-1c","us-east-1a"]' }), ctx).logStore.openSearchZones, ["us-east-1c", "us-east-1a"]);
        assert.deepEqual(parseConfig(raw({}), ctx).logStore.openSearchZones, ["us-east-1a", "us-east-1b"], "unset: the first zones");
        assert.deepEqual(parseConfig(base("prod"), ctx).logStore.openSearchZones, ["us-east-1a"]);
        assert.deepEqual(parseConfig(base("staging"), ctx).logStore.openSearchZones, ["us-east-1a"]);
    });
    it("a Kubernetes version near or past the end of standard support warns with what to do, on the day it is checked; it never refuses a deployed stack", () => {
        // The support warnings (the stack files' placeholders warn too, and are tested on their own).
        const at = (version: string, day: string) => parseConfig({ ...base("prod"), "data-platform:kubernetesVersion": version }, { ...ctx, today: new Date(`${day}T12:00:00Z`) }).warnings
            .filter((w) => w.key === "data-platform:kubernetesVersion");
        assert.deepEqual(at("1.36", "2026-12-02"), []);
        assert.deepEqual(at("1.34", "2026-12-03").map((w) => [w.key, w.value]), [["data-platform:kubernetesVersion", "1.34"]]);
        assert.match(at("1.34", "2026-12-03")[0].message, /left EKS standard support on 2026-12-02.*upgrade to 1\.35 or 1\.36/);
        assert.match(at("1.36", "2027-08-03")[0].message, /left EKS standard support on 2027-08-02/);
        // Two years on, the stack files still parse: warnings, not problems.
        assert.doesNotThrow(() => parseConfig(readStackConfig("prod").values, { ...ctx, stack: "prod", today: new Date("2028-12-02T12:00:00Z") }));
        rejects("prod", "kubernetesVersion", "1.29", /must be one of 1\.34, 1\.35, 1\.36/);
    });
    it("keeps the API endpoint off the open internet in prod, and takes only network addresses", () => {
        rejects("prod", "apiAllowedCidrs", '["0.0.0.0/0"]', /not in prod/);
        rejects("prod", "apiAllowedCidrs", '["203.0.113.7/24"]', /203\.0\.113\.7\/24 is not a CIDR block/);
        rejects("prod", "apiAllowedCidrs", '["office"]', /is not a CIDR block/);
        assert.deepEqual(problems("staging", { apiAllowedCidrs: '["0.0.0.0/0"]' }), [], "staging may, at its own risk");
        assert.deepEqual(problems("prod", { apiAllowedCidrs: '["203.0.113.0/24","198.51.100.7/32"]' }), []);
    });
    it("takes IAM role or user ARNs as cluster admins, at least one, each once", () => {
        rejects("prod", "clusterAdminArns", '["arn:aws:sts::123456789012:assumed-role/admin/me"]', /not an IAM role or user ARN/);
        rejects("prod", "clusterAdminArns", '["arn:aws:iam::123456789012:group/admins"]', /not an IAM role or user ARN/);
        rejects("prod", "clusterAdminArns", "[]", /at least one admin/);
        rejects("prod", "clusterAdminArns", '["arn:aws:iam::123456789012:user/a","arn:aws:iam::123456789012:user/a"]', /once/);
        rejects("prod", "clusterAdminArns", undefined, /required/);
        assert.deepEqual(problems("prod", { clusterAdminArns: '["arn:aws:iam::123456789012:role/ops/platform-admin","arn:aws:iam::123456789012:user/alice"]' }), []);
    });
    it("refuses Arm node types: the nodes run AL2023 x86_64 and the DAG image is built for amd64", () => {
        rejects("prod", "nodeInstanceType", "t4g.medium", /^family "t4g" is not one of t3, t3a, m5, m6i, m7i$/);
        rejects("prod", "nodeInstanceType", "m7g.large", /^family "m7g" is not one of t3, t3a, m5, m6i, m7i$/);
        // An x86 type passes the architecture rule; m7i.large is then refused only for want of a price.
        assert.deepEqual(problems("prod", { nodeInstanceType: "t3.large", nodeSpotAlternativeTypes: "[]" }), []);
        assert.deepEqual(problems("prod", { nodeInstanceType: "m7i.large" }).map((p) => p.key), ["data-platform:nodeInstanceType"]);
        assert.match(problems("prod", { nodeInstanceType: "m7i.large" })[0].allowed, /has no price/);
    });
    it("refuses a node type or count too small for the pod and memory budget", () => {
        rejects("prod", "nodeInstanceType", "t3.small", /4 × t3\.small cannot hold the platform's pods/);
        const one = problems("staging", { nodeCount: "1" });
        assert.deepEqual(one.map((p) => [p.key, p.value]), [["data-platform:nodeInstanceType", "t3.medium"]]);
        assert.match(one[0].allowed, /1 × t3\.medium cannot hold/);
        const found = problems("staging", { nodeCount: "2" });
        assert.deepEqual(found.map((p) => p.key), ["data-platform:nodeInstanceType"]);
        assert.match(found[0].allowed, /2 × t3\.medium cannot hold/);
        assert.deepEqual(problems("staging", { nodeCount: "3" }), []);
        assert.deepEqual(problems("prod", { nodeInstanceType: "t3.large", nodeSpotAlternativeTypes: "[]" }), []);
    });
    it("takes Spot alternatives only for a Spot group, each of the primary type's size and priced; the UI's zones from the network's", () => {
        rejects("prod", "nodeSpotAlternativeTypes", '["t3.large"]', /^t3\.large: 2 vCPU and 8 GiB, not t3\.medium's 2 and 4$/);
        rejects("prod", "nodeSpotAlternativeTypes", '["t3.medium"]', /listed twice/);
        rejects("prod", "nodeSpotAlternativeTypes", '["t4g.medium"]', /family "t4g" is not one of/);
        assert.match(problems("prod", { nodeCapacityType: "ON_DEMAND" }).map((p) => `${p.key}: ${p.allowed}`).join(), /nodeSpotAlternativeTypes: only a SPOT node group takes alternative types/);
        assert.deepEqual(problems("prod", { nodeCapacityType: "ON_DEMAND", nodeSpotAlternativeTypes: "[]" }), []);
        rejects("prod", "nodeCapacityType", "RESERVED", /ON_DEMAND, SPOT/);
        // The type is refused by its own rule, so the alternative is not compared with it.
        assert.deepEqual(problems("prod", { nodeInstanceType: "t3.small" }).map((p) => p.key), ["data-platform:nodeInstanceType"]);
        rejects("prod", "uiLoadBalancerZones", '["us-east-1a"]', /an internet-facing Application Load Balancer needs at least 2 zones/);
        rejects("prod", "uiLoadBalancerZones", '["us-east-1a","us-east-1d"]', /us-east-1d not in availabilityZones/);
        rejects("prod", "uiLoadBalancerZones", '["us-east-1a","us-east-1a"]', /distinct/);
        const raw = (changes: Record<string, string>) => ({ ...base("prod"), ...Object.fromEntries(Object.entries(changes).map(([k, v]) => [qualifiedKey(k), v])) });
        assert.deepEqual(parseConfig(raw({ uiLoadBalancerZones: '["us-east-1c","us-east-1a"]' }), ctx).airflow.uiLoadBalancerZones, ["us-east-1a", "us-east-1c"], "in the network's order");
        assert.deepEqual(parseConfig(raw({ uiLoadBalancerZones: "" }), ctx).airflow.uiLoadBalancerZones, ["us-east-1a", "us-east-1b", "us-east-1c"], "unset: every zone");
        rejects("prod", "controlPlaneLogTypes", '["audit","kubelet"]', /kubelet is not a log type/);
        rejects("prod", "controlPlaneLogClass", "DELIVERY", /STANDARD, INFREQUENT_ACCESS/);
    });
    it("creates no account-wide singleton unless told to", () => {
        const cfg = parseConfig(base("prod"), ctx);
        assert.equal(cfg.registry.createGithubOidcProvider, false);
        assert.equal(cfg.logStore.createOpenSearchServiceLinkedRole, false);
        const declared = (name: string) => CONFIG_KEYS.find((k) => k.name === name)!.default;
        assert.equal(declared("createGithubOidcProvider"), false);
        assert.equal(declared("createOpenSearchServiceLinkedRole"), false);
    });
    it("reports missing required keys", () => {
        rejects("prod", "environment", undefined, /required: prod \| staging/);
        rejects("prod", "ciRepository", undefined, /required/);
    });
});

describe("config: one error that lists every problem", () => {
    it("names each bad key with the value given and what is allowed", () => {
        const raw = { ...base("prod"), "data-platform:natStrategy": "nat-gateway", "data-platform:nodeCount": "500", "data-platform:vpcCidr": "10.0.0.1/16" };
        let error: unknown;
        try {
            parseConfig(raw, ctx);
        } catch (err) {
            error = err;
        }
        assert.ok(error instanceof ConfigError);
        assert.equal(error.problems.length, 3);
        assert.match(error.message, /invalid configuration \(3 problems\)/);
        assert.match(error.message, /data-platform:natStrategy: "nat-gateway" → must be one of gateway-per-az, single-gateway, instance/);
        assert.match(error.message, /data-platform:nodeCount: "500" → must be from 1 to 450/);
        assert.match(error.message, /data-platform:vpcCidr: "10\.0\.0\.1\/16" → is not a CIDR block: host bits are set/);
    });
});

describe("config: no accepted instance choice is unpriced", () => {
    const prices = readPriceFile().prices;
    // Every value the catalogue knows, whether or not a rule refuses it: the walk shows which are accepted.
    const ec2 = Object.entries(EC2_FAMILIES).flatMap(([family, spec]) => Object.keys(spec.sizes).map((size) => `${family}.${size}`));
    const accepted = (stack: string, changes: Record<string, string>, key: string) => {
        try {
            parseConfig({ ...base(stack), ...changes }, { ...ctx, stack });
            return true;
        } catch (err) {
            if (!(err instanceof ConfigError)) throw err;
            return !err.problems.some((p) => p.key === qualifiedKey(key));
        }
    };
    const walk = (key: string, values: readonly string[], priceKey: (v: string, stack: string) => string, extra: (v: string) => Record<string, string> = () => ({})) => {
        for (const stack of ["prod", "staging"]) {
            const ok = values.filter((v) => accepted(stack, { [qualifiedKey(key)]: v, ...extra(v) }, key));
            assert.ok(ok.length > 0, `${stack}: some ${key} is accepted`);
            for (const v of ok) assert.ok(prices[priceKey(v, stack)] !== undefined, `${stack}: ${key} ${v} is accepted but ${priceKey(v, stack)} has no price`);
        }
    };
    it("nodeInstanceType: every EC2 type of the catalogue", () => walk("nodeInstanceType", ec2, (v) => PRICE_KEYS.ec2(v)));
    it("natInstanceType: every EC2 type of the catalogue", () => walk("natInstanceType", ec2, (v) => PRICE_KEYS.ec2(v), () => ({ "data-platform:natStrategy": "instance" })));
    it("dbInstanceClass: every class, Single-AZ (staging) and Multi-AZ (prod)", () =>
        walk("dbInstanceClass", RDS_INSTANCE_CLASSES, (v, stack) => PRICE_KEYS.rds(v, stack === "prod")));
    it("openSearchInstanceType: every type", () => walk("openSearchInstanceType", Object.keys(OPENSEARCH_INSTANCE_TYPES), (v) => PRICE_KEYS.openSearch(v)));
    it("an unpriced type is refused with the priced ones named, never estimated without it", () => {
        assert.ok(prices["ec2.m5.large"] === undefined, "the example must be unpriced");
        rejects("staging", "nodeInstanceType", "m5.large", /m5\.large has no price .*\(ec2\.m5\.large\).*priced: .*t3\.medium/);
        rejects("staging", "dbInstanceClass", "db.t4g.small", /has no price .*rds\.postgres\.db\.t4g\.small\.single-az/);
    });
    it("the stack files' placeholders are warned about, one per key, and a real value is not", () => {
        const keys = (raw: RawConfig) => parseConfig(raw, ctx).warnings.filter((w) => w.message.startsWith("placeholder:")).map((w) => w.key);
        assert.deepEqual(keys(base("prod")), ["data-platform:ciRepository", "data-platform:clusterAdminArns", "data-platform:gitopsRepositoryUrl", "data-platform:uiAllowedCidrs", "data-platform:uiCertificateArn"]);
        assert.deepEqual(keys({
            ...base("prod"),
            "data-platform:ciRepository": "acme/airflow-dags",
            "data-platform:clusterAdminArns": '["arn:aws:iam::210987654321:role/platform-admin"]',
            "data-platform:gitopsRepositoryUrl": "ssh://git@github.com/acme/airflow-gitops.git",
            "data-platform:uiAllowedCidrs": '["198.18.0.0/24"]',
            "data-platform:uiCertificateArn": "arn:aws:acm:us-east-1:210987654321:certificate/1b2c3d4e-0000-4000-8000-00000000abcd",
        }), []);
    });
});
