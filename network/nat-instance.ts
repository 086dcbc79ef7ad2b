// The NAT instance's boot script. Pure, so that tests can read it and check its shell syntax.
//
// It follows the steps of AWS's VPC User Guide ("NAT instances", "Create a NAT AMI") for Amazon Linux
// 2023, which AWS CDK's NatInstanceProviderV2 also runs: install iptables-services, enable IPv4
// forwarding persistently, masquerade everything leaving the primary interface, clear the FORWARD
// chain's default rules, and save the rules so they survive a reboot.
//
// cloud-init runs user data once. The package install needs egress through the Elastic IP, so it is
// retried for up to ten minutes instead of failing the script for good when the address arrives late.

/** SSM public parameter that AWS maintains for the newest Amazon Linux 2023 arm64 image. */
export const NAT_IMAGE_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64";

/** 60 attempts 10 seconds apart: ten minutes for the Elastic IP and routes to settle. */
export const INSTALL_ATTEMPTS = 60;
export const INSTALL_RETRY_SECONDS = 10;

export function natInstanceUserData(): string {
    return [
        "#!/bin/bash",
        "set -euo pipefail",
        `for attempt in $(seq 1 ${INSTALL_ATTEMPTS}); do`,
        "  if dnf install -y iptables-services; then break; fi",
        `  if [ "$attempt" -eq ${INSTALL_ATTEMPTS} ]; then echo "no egress after ${INSTALL_ATTEMPTS} attempts" >&2; exit 1; fi`,
        `  sleep ${INSTALL_RETRY_SECONDS}`,
        "done",
        "systemctl enable --now iptables",
        "cat > /etc/sysctl.d/90-nat.conf <<'CONF'",
        "net.ipv4.ip_forward = 1",
        "CONF",
        "sysctl -p /etc/sysctl.d/90-nat.conf",
        // The primary interface's name differs by instance type (ens5, eth0): read it from the default route.
        "iface=$(ip -o route show default | awk '{print $5; exit}')",
        "iptables -t nat -A POSTROUTING -o \"$iface\" -j MASQUERADE",
        "iptables -F FORWARD",
        "service iptables save",
        "",
    ].join("\n");
}
