// Three hosts in network namespaces (iproute2's `ip netns`, veth pairs), for testing what the NAT
// instance's boot script does to real packets: a host in a private subnet, the NAT instance, and a
// server on "the internet" that has no route back to the private subnet (as the internet has none to a
// VPC's private addresses). Needs root (or passwordless sudo), ip, iptables and unshare.

import { execFileSync, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = process.getuid?.() === 0;
/** A command as root: itself, or through passwordless sudo. */
const asRoot = (cmd: string, args: string[]): [string, string[]] => (ROOT ? [cmd, args] : ["sudo", ["-n", cmd, ...args]]);
const run = (cmd: string, args: string[]) => execFileSync(...asRoot(cmd, args), { stdio: ["pipe", "pipe", "pipe"] }).toString();

/** Why the namespaces cannot be made here, or undefined when they can. */
export function netnsUnavailable(): string | undefined {
    for (const tool of ["ip", "iptables", "iptables-save", "iptables-restore", "unshare"]) {
        if (spawnSync("sh", ["-c", `command -v ${tool} || test -x /usr/sbin/${tool}`]).status !== 0) return `${tool} is not installed`;
    }
    if (!ROOT && spawnSync("sudo", ["-n", "true"]).status !== 0) return "not root and no passwordless sudo";
    const probe = `dpprobe${process.pid}`;
    try {
        run("ip", ["netns", "add", probe]);
        run("ip", ["netns", "exec", probe, "iptables", "-t", "nat", "-S"]);
    } catch (err) {
        return `ip netns or iptables refused: ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}`;
    } finally {
        spawnSync(...asRoot("ip", ["netns", "del", probe]));
    }
    return undefined;
}

export const PRIVATE_HOST = "10.0.2.10";
export const NAT_PRIVATE_SIDE = "10.0.2.1";
/** The NAT instance's address on its primary interface (its Elastic IP, in this model). */
export const NAT_PUBLIC = "203.0.113.1";
export const SERVER = "203.0.113.254";

export interface Topology {
    readonly ns: { readonly host: string; readonly nat: string; readonly internet: string };
    /**
     * Runs a shell script in the NAT instance's namespace, with its own /etc/sysctl.d and these commands
     * first on PATH; `state` is a folder the stand-ins may write to ($STATE), where the script's
     * /etc/sysctl.d is copied when it ends (sysctl.d/).
     */
    runOnNat(script: string, stubs: Record<string, string>): { status: number | null; output: string; state: string };
    /** Connects from the private host to the server; the address the server saw, or the error. */
    connect(): Promise<{ ok: true; seenFrom: string } | { ok: false; error: string }>;
    destroy(): void;
}

/** Builds private host — NAT instance (primary interface ens5, default route out of it) — server. */
export function buildTopology(tag: string): Topology {
    const id = `${tag}${process.pid % 100000}`;
    const ns = { host: `${id}h`, nat: `${id}n`, internet: `${id}i` };
    const inNs = (n: string, ...args: string[]) => run("ip", ["netns", "exec", n, ...args]);
    for (const n of Object.values(ns)) run("ip", ["netns", "add", n]);
    run("ip", ["link", "add", `${id}a`, "type", "veth", "peer", "name", `${id}b`]);
    run("ip", ["link", "add", `${id}c`, "type", "veth", "peer", "name", `${id}d`]);
    run("ip", ["link", "set", `${id}a`, "netns", ns.host]);
    run("ip", ["link", "set", `${id}b`, "netns", ns.nat]);
    run("ip", ["link", "set", `${id}c`, "netns", ns.nat]);
    run("ip", ["link", "set", `${id}d`, "netns", ns.internet]);
    // Names as on the instance: the primary interface is ens5 (the script reads it from the default route).
    run("ip", ["-n", ns.nat, "link", "set", `${id}c`, "name", "ens5"]);
    const up = (n: string, dev: string, cidr: string) => {
        run("ip", ["-n", n, "addr", "add", cidr, "dev", dev]);
        run("ip", ["-n", n, "link", "set", dev, "up"]);
        run("ip", ["-n", n, "link", "set", "lo", "up"]);
    };
    up(ns.host, `${id}a`, `${PRIVATE_HOST}/24`);
    up(ns.nat, `${id}b`, `${NAT_PRIVATE_SIDE}/24`);
    up(ns.nat, "ens5", `${NAT_PUBLIC}/24`);
    up(ns.internet, `${id}d`, `${SERVER}/24`);
    // The private subnet's route table sends everything to the NAT instance; the instance's own default
    // route leaves through its primary interface; the server has no route to 10.0.2.0/24.
    run("ip", ["-n", ns.host, "route", "add", "default", "via", NAT_PRIVATE_SIDE]);
    run("ip", ["-n", ns.nat, "route", "add", "default", "via", SERVER]);

    // The server: accepts connections on 8080 and prints each peer's address.
    const serverCode = `import socket,sys
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("${SERVER}", 8080)); s.listen(8)
print("listening", flush=True)
while True:
    c,a=s.accept(); print(a[0], flush=True); c.sendall(b"ok"); c.close()`;
    const server = spawn(...asRoot("ip", ["netns", "exec", ns.internet, "python3", "-c", serverCode]), { stdio: ["ignore", "pipe", "pipe"] });
    let seen = "";
    server.stdout.on("data", (d: Buffer) => { seen += d.toString(); });
    const waitListening = async () => {
        for (let i = 0; i < 100 && !seen.includes("listening"); i++) await new Promise((r) => setTimeout(r, 50));
        if (!seen.includes("listening")) throw new Error("the server in the internet namespace did not start");
    };

    return {
        ns,
        runOnNat(script, stubs) {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nat-run-"));
            const bin = path.join(dir, "bin");
            fs.mkdirSync(bin);
            for (const [name, body] of Object.entries(stubs)) fs.writeFileSync(path.join(bin, name), `#!/bin/bash\n${body}\n`, { mode: 0o755 });
            fs.writeFileSync(path.join(dir, "user-data.sh"), script);
            // A private mount namespace with an empty /etc/sysctl.d: the script's sysctl file stays out of this machine's /etc.
            const r = spawnSync(...asRoot("ip", ["netns", "exec", ns.nat, "unshare", "-m", "sh", "-c",
                `mount -t tmpfs tmpfs /etc/sysctl.d && PATH="${bin}:$PATH" STATE="${dir}" bash "${dir}/user-data.sh"; rc=$?; cp -r /etc/sysctl.d "${dir}/sysctl.d"; exit $rc`]), { encoding: "utf8" });
            return { status: r.status, output: `${r.stdout}${r.stderr}`, state: dir };
        },
        async connect() {
            await waitListening();
            const before = seen;
            const client = `import socket
s=socket.create_connection(("${SERVER}", 8080), timeout=2); print(s.recv(2).decode())`;
            try {
                inNs(ns.host, "python3", "-c", client);
            } catch (err) {
                return { ok: false, error: String((err as { stderr?: Buffer }).stderr ?? err).trim().split("\n").pop() ?? "" };
            }
            for (let i = 0; i < 40 && seen === before; i++) await new Promise((r) => setTimeout(r, 25));
            return { ok: true, seenFrom: seen.slice(before.length).trim().split("\n").pop() ?? "" };
        },
        destroy() {
            server.kill();
            // Deleting a namespace does not end the processes in it: the server is killed first.
            spawnSync(...asRoot("pkill", ["-f", `netns exec ${ns.internet} python3`]));
            for (const n of Object.values(ns)) spawnSync(...asRoot("ip", ["netns", "del", n]));
        },
    };
}
