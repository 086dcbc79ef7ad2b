// IPv4 CIDR arithmetic for laying out subnets. Pure: no Pulumi, no AWS.

export interface Cidr {
    /** Network address as an unsigned 32-bit integer. */
    readonly base: number;
    readonly prefix: number;
}

const CIDR_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** Parses "a.b.c.d/n"; returns a reason string when it is not a well-formed network address. */
export function parseCidr(text: string): Cidr | string {
    const m = CIDR_RE.exec(text.trim());
    if (!m) return "not of the form a.b.c.d/n";
    const octets = m.slice(1, 5).map(Number);
    const prefix = Number(m[5]);
    if (octets.some((o) => o > 255)) return "an octet is greater than 255";
    if (prefix > 32) return "the prefix length is greater than 32";
    const addr = octets.reduce((acc, o) => acc * 256 + o, 0);
    const size = 2 ** (32 - prefix);
    if (addr % size !== 0) {
        return `host bits are set (the network address is ${formatCidr({ base: addr - (addr % size), prefix })})`;
    }
    return { base: addr, prefix };
}

export function formatCidr(c: Cidr): string {
    const o = [24, 16, 8, 0].map((shift) => Math.floor(c.base / 2 ** shift) % 256);
    return `${o.join(".")}/${c.prefix}`;
}

export function cidrSize(c: Cidr): number {
    return 2 ** (32 - c.prefix);
}

/** The index-th block of length newPrefix inside parent. */
export function subnetOf(parent: Cidr, newPrefix: number, index: number): Cidr {
    if (newPrefix < parent.prefix || newPrefix > 32) {
        throw new Error(`cannot carve a /${newPrefix} out of ${formatCidr(parent)}`);
    }
    const count = 2 ** (newPrefix - parent.prefix);
    if (index < 0 || index >= count) {
        throw new Error(`${formatCidr(parent)} holds ${count} /${newPrefix} blocks; index ${index} is out of range`);
    }
    return { base: parent.base + index * 2 ** (32 - newPrefix), prefix: newPrefix };
}

export function contains(outer: Cidr, inner: Cidr): boolean {
    return inner.prefix >= outer.prefix && inner.base >= outer.base && inner.base + cidrSize(inner) <= outer.base + cidrSize(outer);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
    return a.base < b.base + cidrSize(b) && b.base < a.base + cidrSize(a);
}

/** RFC 1918 private ranges: AWS recommends VPC CIDRs from these. */
export const RFC1918: readonly Cidr[] = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"].map((t) => parseCidr(t) as Cidr);

export function isRfc1918(c: Cidr): boolean {
    return RFC1918.some((r) => contains(r, c));
}
