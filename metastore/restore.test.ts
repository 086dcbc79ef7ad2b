// `npm run restore`: the restorable window, the copy's name and settings, and the drill and the kept
// copy against moto (the real SDK, moto's RestoreDBInstanceToPointInTime); its arguments.
// Not proved here: how long a real restore takes (RDS replays the transaction logs; the copy of a small
// metastore is usually available within the hour), and the copy-back of the data with pg_dump and
// pg_restore (README "Restoring the metastore"): this machine has no PostgreSQL 17 client tools
// (Debian's are 15 and refuse a 17 server; the npm server package ships none), so those commands are
// documented, not run.

import { strict as assert } from "assert";
import { execFile } from "child_process";
import * as path from "path";
import { CreateDBSubnetGroupCommand, DescribeDBInstancesCommand, ModifyDBInstanceCommand, type RDSClient } from "@aws-sdk/client-rds";
import { CreateSecurityGroupCommand, CreateSubnetCommand, CreateVpcCommand, EC2Client } from "@aws-sdk/client-ec2";
import { CreateDBInstanceCommand } from "@aws-sdk/client-rds";
import { copyIdentifier, restoreTimeProblem } from "./restore";
import { restoreCopy, restoreWindow } from "./restore-aws";
import { parseRestoreArgs } from "./restore-cli";
import { CREDENTIALS, motoClients, rdsTimingProxy, REGION } from "../tests/power-fixtures";
import { startMoto, type Moto } from "../tests/services";

const ROOT = path.resolve(__dirname, "..");

describe("restore: the rules", () => {
    const window = { earliest: new Date("2026-11-25T08:20:00Z"), latest: new Date("2026-12-02T10:55:00Z") };
    it("restores only inside the window, and says the window when asked outside it", () => {
        assert.equal(restoreTimeProblem({ at: new Date("2026-12-01T23:30:00Z") }, window), undefined);
        assert.equal(restoreTimeProblem({ latest: true }, window), undefined);
        assert.match(String(restoreTimeProblem({ at: new Date("2026-12-02T11:00:00Z") }, window)), /after the latest restorable time: the window is 2026-11-25T08:20:00.000Z to 2026-12-02T10:55:00.000Z/);
        assert.match(String(restoreTimeProblem({ at: new Date("2026-11-20T00:00:00Z") }, window)), /before the oldest backup/);
        assert.match(String(restoreTimeProblem({ latest: true }, {})), /automated backups are off/);
    });
    it("names the copy after the live instance and the time restored, within RDS's 63 characters", () => {
        assert.equal(copyIdentifier("data-platform-prod-metastore", { at: new Date("2026-12-01T23:30:00Z") }, new Date("2026-12-03T00:00:00Z")), "data-platform-prod-metastore-restore-202612012330");
        assert.equal(copyIdentifier("m", { latest: true }, new Date("2026-12-03T07:05:59Z")), "m-restore-202612030705");
        const long = copyIdentifier(`${"a".repeat(50)}-metastore`, { latest: true }, new Date("2026-12-03T07:05:00Z"));
        assert.ok(long.length <= 63 && /^[a-z][a-z0-9-]*[a-z0-9]$/.test(long) && !long.includes("--"), long);
    });
    it("parses its options, requires a zone in --time, refuses unknown ones", () => {
        assert.deepEqual(parseRestoreArgs(["--stack", "prod"]), { stack: "prod", time: { latest: true }, keep: false, contextFile: undefined });
        assert.deepEqual(parseRestoreArgs(["--stack", "prod", "--time", "2026-12-01T23:30:00Z", "--keep"]), { stack: "prod", time: { at: new Date("2026-12-01T23:30:00Z") }, keep: true, contextFile: undefined });
        assert.match(String(parseRestoreArgs(["--stack", "prod", "--time", "2026-12-01T23:30"])), /give the zone/);
        assert.match(String(parseRestoreArgs(["--stack", "prod", "--time", "yesterdayZ"])), /is not a time/);
        assert.match(String(parseRestoreArgs(["--stack", "prod", "--time", "2026-12-01T23:30:00Z", "--latest"])), /exclude each other/);
        assert.match(String(parseRestoreArgs(["--stack", "prod", "--now"])), /unknown option --now/);
        assert.equal(parseRestoreArgs(["--help"]), "help");
    });
    it("through npm: --help answers and an unknown option exits 2, neither touching AWS", async function () {
        this.timeout(60_000);
        const npm = (argv: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => execFile("npm", ["run", "--silent", "restore", "--", ...argv], {
            cwd: ROOT, timeout: 30_000, env: { ...process.env, AWS_ENDPOINT_URL: "http://127.0.0.1:9" },
        }, (err, stdout, stderr) => resolve({ code: (err as { code?: number } | null)?.code ?? 0, stdout, stderr })));
        const help = await npm(["--help"]);
        assert.equal(help.code, 0, help.stderr);
        assert.match(help.stdout, /usage: npm run restore -- --stack <name>[\s\S]*--keep/);
        const bad = await npm(["--stack", "prod", "--force"]);
        assert.equal(bad.code, 2);
        assert.match(bad.stderr, /unknown option --force\nusage: npm run restore/);
    });
});

describe("restore: against moto", function () {
    this.timeout(60_000);
    let moto: Moto;
    let proxy: Awaited<ReturnType<typeof rdsTimingProxy>>;
    let rds: RDSClient;
    let sg = "";
    const id = "dp-restore-metastore";
    before(async () => {
        moto = await startMoto();
        proxy = await rdsTimingProxy(moto.endpoint, { stopMs: 0, startMs: 0 });
        rds = motoClients(proxy.endpoint).rds;
        const ec2 = new EC2Client({ endpoint: moto.endpoint, region: REGION, credentials: CREDENTIALS });
        const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: "10.50.0.0/16" }))).Vpc!.VpcId!;
        const subnets = await Promise.all(["a", "b"].map(async (az, i) => (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: `10.50.${i}.0/24`, AvailabilityZone: `${REGION}${az}` }))).Subnet!.SubnetId!));
        sg = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: "metastore", Description: "metastore", VpcId: vpc }))).GroupId!;
        await rds.send(new CreateDBSubnetGroupCommand({ DBSubnetGroupName: "dp-restore-db", DBSubnetGroupDescription: "private", SubnetIds: subnets }));
        // As the Metastore creates it: private, Multi-AZ, protected, with backups.
        await rds.send(new CreateDBInstanceCommand({
            DBInstanceIdentifier: id, Engine: "postgres", EngineVersion: "17", DBInstanceClass: "db.t4g.micro", MultiAZ: true, AllocatedStorage: 20,
            MasterUsername: "airflow_admin", MasterUserPassword: "not-a-real-password-1", BackupRetentionPeriod: 7, DBSubnetGroupName: "dp-restore-db",
            VpcSecurityGroupIds: [sg], PubliclyAccessible: false, DeletionProtection: true,
        }));
    });
    after(async () => {
        await proxy?.close();
        await moto?.stop();
    });
    const exists = async (identifier: string) => rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier })).then(() => true, (err: Error) => {
        if (err.name === "DBInstanceNotFoundFault") return false;
        throw err;
    });

    it("reads the window from the instance and its automated backups", async () => {
        const w = await restoreWindow(rds, id);
        assert.ok(w.latest instanceof Date && w.earliest instanceof Date, JSON.stringify(w));
        assert.equal(w.subnetGroup, "dp-restore-db");
        assert.deepEqual(w.securityGroups, [sg]);
    });

    it("a drill: restores the latest moment beside the live instance, waits until it is available, deletes it; the live one is untouched", async () => {
        const lines: string[] = [];
        const now = new Date();
        const r = await restoreCopy(rds, { source: id, time: { latest: true }, keep: false, now, log: (l) => lines.push(l), wait: { retryDelayMs: 50, maxDelayMs: 200, maxWaitMs: 10_000 } });
        assert.equal(r.copy, copyIdentifier(id, { latest: true }, now));
        assert.equal(r.kept, false);
        assert.ok(proxy.actions.includes("RestoreDBInstanceToPointInTime") && proxy.actions.includes("DeleteDBInstance"));
        assert.equal(await exists(r.copy), false, "the drill's copy is gone");
        const live = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances![0];
        assert.deepEqual([live.DBInstanceStatus, live.DeletionProtection], ["available", true]);
        assert.match(lines.join("\n"), /is available at .*: the backups restore[\s\S]*deleted/);
    });

    it("--keep: the copy stays, in the live instance's subnet group and security group, private", async () => {
        const at = new Date(Date.now() - 60_000);
        // moto's window starts at creation; a moment inside it.
        const w = await restoreWindow(rds, id);
        const time = { at: at < w.earliest! ? w.latest! : at };
        const r = await restoreCopy(rds, { source: id, time, keep: true, now: new Date(), log: () => undefined, wait: { retryDelayMs: 50, maxDelayMs: 200, maxWaitMs: 10_000 } });
        const copy = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: r.copy }))).DBInstances![0];
        assert.equal(copy.DBSubnetGroup?.DBSubnetGroupName, "dp-restore-db");
        assert.deepEqual(copy.VpcSecurityGroups?.map((g) => g.VpcSecurityGroupId), [sg]);
        assert.equal(copy.PubliclyAccessible, false);
        assert.ok(copy.TagList?.some((t) => t.Key === "data-platform:restore-of" && t.Value === id), JSON.stringify(copy.TagList));
        // The restore asks for DeletionProtection false; moto 5 copies the source's instead (it drops falsy overrides), so lift it here.
        await rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: r.copy, DeletionProtection: false, ApplyImmediately: true }));
    });

    it("refuses a moment outside the window before asking RDS for anything", async () => {
        const before = proxy.actions.length;
        await assert.rejects(restoreCopy(rds, { source: id, time: { at: new Date(Date.now() + 3_600_000) }, keep: false, now: new Date(), log: () => undefined }), /after the latest restorable time/);
        assert.ok(!proxy.actions.slice(before).includes("RestoreDBInstanceToPointInTime"));
    });
});
