// A bearer token for the EKS Kubernetes API, as `aws eks get-token` and aws-iam-authenticator make
// it: a presigned STS GetCallerIdentity URL (Signature Version 4, query form) that signs the header
// x-k8s-aws-id with the cluster's name, base64url-encoded behind "k8s-aws-v1.". EKS presents the URL to
// STS to learn who is calling and maps that IAM role through its access entries. Pure (node:crypto
// only) and without the AWS SDK, so the watcher needs no extra module; cluster/eks-token.test.ts checks
// it against botocore's presigner, which is what the AWS CLI runs.

import { createHash, createHmac } from "crypto";

export interface AwsCredentials {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken?: string;
}

export const EKS_TOKEN_PREFIX = "k8s-aws-v1.";
/** aws-iam-authenticator refuses a presigned URL older than 15 minutes; the CLI asks for 60 seconds. */
export const EKS_TOKEN_EXPIRES_SECONDS = 60;

// RFC 3986 unreserved characters stay; everything else is percent-encoded (SigV4's rule).
const encode = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const sha256 = (s: string) => createHash("sha256").update(s, "utf8").digest("hex");
const hmac = (key: Buffer | string, s: string) => createHmac("sha256", key).update(s, "utf8").digest();

export interface EksTokenArgs {
    readonly clusterName: string;
    readonly region: string;
    readonly credentials: AwsCredentials;
    /** The signing time; the token is valid from then for EKS_TOKEN_EXPIRES_SECONDS. */
    readonly now: Date;
}

/** The presigned STS URL the token carries. */
export function presignedCallerIdentityUrl(args: EksTokenArgs): string {
    const host = `sts.${args.region}.amazonaws.com`;
    const amzDate = args.now.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
    const date = amzDate.slice(0, 8);
    const scope = `${date}/${args.region}/sts/aws4_request`;
    const signedHeaders = "host;x-k8s-aws-id";
    const query: Record<string, string> = {
        Action: "GetCallerIdentity",
        Version: "2011-06-15",
        "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
        "X-Amz-Credential": `${args.credentials.accessKeyId}/${scope}`,
        "X-Amz-Date": amzDate,
        "X-Amz-Expires": String(EKS_TOKEN_EXPIRES_SECONDS),
        "X-Amz-SignedHeaders": signedHeaders,
        ...(args.credentials.sessionToken ? { "X-Amz-Security-Token": args.credentials.sessionToken } : {}),
    };
    const canonicalQuery = Object.keys(query).sort().map((k) => `${encode(k)}=${encode(query[k])}`).join("&");
    // The payload hash is that of the empty body (UNSIGNED-PAYLOAD is S3's alone).
    const canonicalRequest = ["GET", "/", canonicalQuery, `host:${host}\nx-k8s-aws-id:${args.clusterName}\n`, signedHeaders, sha256("")].join("\n");
    const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonicalRequest)].join("\n");
    // The signing key: the secret, then the date, region, service and "aws4_request" in turn.
    const key = [date, args.region, "sts", "aws4_request"].reduce<Buffer | string>((k, part) => hmac(k, part), `AWS4${args.credentials.secretAccessKey}`);
    const signature = createHmac("sha256", key).update(stringToSign, "utf8").digest("hex");
    return `https://${host}/?${canonicalQuery}&X-Amz-Signature=${signature}`;
}

export function eksToken(args: EksTokenArgs): string {
    return EKS_TOKEN_PREFIX + Buffer.from(presignedCallerIdentityUrl(args), "utf8").toString("base64url");
}

/** The credentials a Lambda function runs with (the runtime puts its role's session in the environment). */
export function credentialsFromEnv(env: NodeJS.ProcessEnv = process.env): AwsCredentials {
    const accessKeyId = env.AWS_ACCESS_KEY_ID;
    const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
    if (!accessKeyId || !secretAccessKey) throw new Error("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set");
    return { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN || undefined };
}
