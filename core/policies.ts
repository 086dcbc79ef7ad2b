// IAM, S3, ECR, KMS and OpenSearch policy documents as data. Pure: the components serialise these,
// and tests read them both here and on the registered resources.

export interface PolicyStatement {
    readonly Sid?: string;
    readonly Effect: "Allow" | "Deny";
    readonly Principal?: unknown;
    readonly Action: string | readonly string[];
    readonly Resource?: string | readonly string[];
    readonly Condition?: Record<string, Record<string, string | readonly string[] | boolean>>;
}

export interface PolicyDocument {
    readonly Version: "2012-10-17";
    readonly Statement: readonly PolicyStatement[];
}

const doc = (...Statement: PolicyStatement[]): PolicyDocument => ({ Version: "2012-10-17", Statement });

/** A policy field that is one value or a list of them (Action, Resource, ...) as a list; absent as none. */
export const asArray = <T>(v: T | readonly T[] | undefined | null): T[] => (v === undefined || v === null ? [] : Array.isArray(v) ? [...v] : [v as T]);

/**
 * What is wrong with a user's IAM identity policy (JSON text), as IAM's grammar has it ("IAM JSON
 * policy element reference"): an object with Version 2012-10-17 and a Statement (one or a list), each
 * with Effect Allow or Deny, exactly one of Action and NotAction, exactly one of Resource and
 * NotResource, no Principal (an identity policy names none), an alphanumeric Sid if any, a Condition
 * of operator -> key -> value(s). Actions look like service:Name (wildcards allowed), resources are
 * ARNs or "*". Empty when it is well formed; IAM itself still judges the ARNs' services.
 */
export function identityPolicyProblems(text: string, maxLength: number): string[] {
    let parsed: unknown;
    try {
        parsed = JSON.parse(text);
    } catch (err) {
        return [`is not JSON: ${(err as Error).message}`];
    }
    const problems: string[] = [];
    const minified = JSON.stringify(parsed);
    if (minified.length > maxLength) problems.push(`is ${minified.length} characters without whitespace; at most ${maxLength}`);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return ["must be a JSON object with Version and Statement"];
    const { Version, Statement, ...rest } = parsed as Record<string, unknown>;
    if (Version !== "2012-10-17") problems.push(`Version must be "2012-10-17" (found ${JSON.stringify(Version)})`);
    for (const k of Object.keys(rest)) if (k !== "Id") problems.push(`unknown top-level element ${k}`);
    const statements = Array.isArray(Statement) ? Statement : Statement === undefined ? [] : [Statement];
    if (statements.length === 0) problems.push("Statement is missing or empty");
    const ACTION = /^([a-z0-9-]+:[A-Za-z0-9*?]+|\*)$/;
    const RESOURCE = /^(\*|arn:(aws|aws-cn|aws-us-gov):[^:\s]*:[^:\s]*:[^:\s]*:.+)$/;
    statements.forEach((st, i) => {
        const at = `Statement ${i + 1}`;
        if (typeof st !== "object" || st === null || Array.isArray(st)) {
            problems.push(`${at} is not an object`);
            return;
        }
        const s = st as Record<string, unknown>;
        const known = ["Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"];
        for (const k of Object.keys(s)) {
            if (k === "Principal" || k === "NotPrincipal") problems.push(`${at}: ${k} belongs in a resource policy; an identity policy names no principal`);
            else if (!known.includes(k)) problems.push(`${at}: unknown element ${k}`);
        }
        if (s.Sid !== undefined && (typeof s.Sid !== "string" || !/^[A-Za-z0-9]*$/.test(s.Sid))) problems.push(`${at}: Sid must be letters and digits`);
        if (s.Effect !== "Allow" && s.Effect !== "Deny") problems.push(`${at}: Effect must be Allow or Deny`);
        const list = (name: string, re: RegExp, what: string) => {
            const v = s[name];
            const values = typeof v === "string" ? [v] : Array.isArray(v) ? v : undefined;
            if (values === undefined || values.length === 0 || values.some((x) => typeof x !== "string")) {
                problems.push(`${at}: ${name} must be a string or a non-empty list of strings`);
                return;
            }
            for (const x of values as string[]) if (!re.test(x)) problems.push(`${at}: ${name} ${JSON.stringify(x)} is not ${what}`);
        };
        const pair = (a: string, b: string, re: RegExp, what: string) => {
            const has = [a, b].filter((k) => s[k] !== undefined);
            if (has.length !== 1) problems.push(`${at}: exactly one of ${a} and ${b} is required`);
            else list(has[0], re, what);
        };
        pair("Action", "NotAction", ACTION, "an action (service:Name, wildcards allowed)");
        pair("Resource", "NotResource", RESOURCE, "an ARN or *");
        if (s.Condition !== undefined) {
            const c = s.Condition;
            const ok = typeof c === "object" && c !== null && !Array.isArray(c)
                && Object.values(c).every((keys) => typeof keys === "object" && keys !== null && !Array.isArray(keys));
            if (!ok) problems.push(`${at}: Condition must map operators to keys and values`);
        }
    });
    return problems;
}

export const GITHUB_OIDC_HOST = "token.actions.githubusercontent.com";

/**
 * The account's GitHub Actions OIDC provider. IAM names a provider by its URL, so its ARN is fixed
 * and one account holds one: stacks reference it rather than each creating it.
 */
export function githubOidcProviderArn(accountId: string): string {
    return `arn:aws:iam::${accountId}:oidc-provider/${GITHUB_OIDC_HOST}`;
}

/** Who may assume the CI role: one branch of one repository, and optionally one GitHub environment. */
export interface GitHubActionsSubject {
    readonly repository: string;
    readonly branch: string;
    /**
     * A job that names an `environment:` presents "repo:<owner>/<name>:environment:<env>" instead of
     * its branch (GitHub docs, "OpenID Connect reference", subject claims); which branches may deploy
     * to that environment is then the environment's protection rules' business.
     */
    readonly environment?: string;
}

/**
 * Trust for GitHub Actions' OIDC tokens from one repository's one branch only (and, when given, one
 * environment). The subject of a push to a branch is "repo:<owner>/<name>:ref:refs/heads/<branch>"
 * (GitHub docs, "About security hardening with OpenID Connect"); StringEquals, not StringLike, so no
 * other branch, tag, pull request or environment matches.
 */
export function githubActionsTrustPolicy(providerArn: string, subject: GitHubActionsSubject): PolicyDocument {
    const subjects = [`repo:${subject.repository}:ref:refs/heads/${subject.branch}`];
    if (subject.environment !== undefined) subjects.push(`repo:${subject.repository}:environment:${subject.environment}`);
    return doc(webIdentityTrust("GitHubActionsOneBranch", providerArn, GITHUB_OIDC_HOST, subjects));
}

/**
 * Trust for an OIDC provider's tokens with the STS audience and one of these exact subjects
 * (StringEquals: no wildcard can match). One subject stays a plain string, as AWS's and GitHub's docs
 * show the common policy.
 */
function webIdentityTrust(sid: string, providerArn: string, issuer: string, subjects: readonly string[]): PolicyStatement {
    return {
        Sid: sid,
        Effect: "Allow",
        Principal: { Federated: providerArn },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
            StringEquals: {
                [`${issuer}:aud`]: "sts.amazonaws.com",
                [`${issuer}:sub`]: subjects.length === 1 ? subjects[0] : [...subjects],
            },
        },
    };
}

const ECR_PULL = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"];
const ECR_PUSH = ["ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage"];
// GetAuthorizationToken is account-wide by design (it returns a registry login); it grants no image access.
const ECR_LOGIN: PolicyStatement = { Sid: "RegistryLogin", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" };

/** Push (and the reads a push needs) to one repository, nothing else. */
export function ecrPushPolicy(repositoryArn: string): PolicyDocument {
    return doc(ECR_LOGIN, { Sid: "PushAirflowImage", Effect: "Allow", Action: [...ECR_PULL, ...ECR_PUSH], Resource: repositoryArn });
}

/** Pull from one repository. */
export function ecrPullPolicy(repositoryArn: string): PolicyDocument {
    return doc(ECR_LOGIN, { Sid: "PullAirflowImage", Effect: "Allow", Action: ECR_PULL, Resource: repositoryArn });
}

/**
 * List and read the tags of one repository: what an image scanner (Flux's image reflector) needs to
 * pick the newest build. ListImages serves the registry API's tags/list; DescribeImages their dates.
 */
export function ecrTagListingPolicy(repositoryArn: string): PolicyDocument {
    return doc(ECR_LOGIN, { Sid: "ListAirflowImageTags", Effect: "Allow", Action: [...ECR_PULL, "ecr:ListImages", "ecr:DescribeImages"], Resource: repositoryArn });
}

/**
 * Untagged images (left behind when a tag moves or a build fails) go after a few days; of the rest,
 * the newest N stay. ECR wants the "any" rule last, with the highest priority number.
 */
export function ecrLifecyclePolicy(keepImages: number, untaggedExpiryDays: number) {
    return {
        rules: [
            {
                rulePriority: 1,
                description: `Expire untagged images after ${untaggedExpiryDays} days`,
                selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: untaggedExpiryDays },
                action: { type: "expire" },
            },
            {
                rulePriority: 2,
                description: `Keep the newest ${keepImages} images`,
                selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: keepImages },
                action: { type: "expire" },
            },
        ],
    };
}

/** Refuses any request to the bucket that is not over TLS 1.2 or newer. */
export function bucketTlsOnlyPolicy(bucketArn: string): PolicyDocument {
    const everything = [bucketArn, `${bucketArn}/*`];
    return doc(
        { Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: everything, Condition: { Bool: { "aws:SecureTransport": false } } },
        { Sid: "DenyOldTls", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: everything, Condition: { NumericLessThan: { "s3:TlsVersion": "1.2" } } },
    );
}

/**
 * The OpenSearch domain's resource policy: only the given roles may use its HTTP API. The explicit
 * Deny also overrides identity policies elsewhere in the account. With no role yet, nobody may.
 */
export function openSearchAccessPolicy(domainArn: string, writerRoleArns: readonly string[], readerArns: readonly string[] = []): PolicyDocument {
    const resource = `${domainArn}/*`;
    const admitted = [...writerRoleArns, ...readerArns];
    if (admitted.length === 0) {
        return doc({ Sid: "NoOneUntilAWriterIsGranted", Effect: "Deny", Principal: { AWS: "*" }, Action: "es:ESHttp*", Resource: resource });
    }
    return doc(
        ...(writerRoleArns.length === 0 ? [] : [
            { Sid: "LogWriters", Effect: "Allow" as const, Principal: { AWS: [...writerRoleArns] }, Action: ["es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost", "es:ESHttpPut"], Resource: resource },
        ]),
        ...(readerArns.length === 0 ? [] : [
            // Search (GET, and POST for _search/_msearch) everywhere; writes only to Dashboards' own
            // saved objects (.kibana*: index patterns, saved searches), never to the logs.
            { Sid: "LogReaders", Effect: "Allow" as const, Principal: { AWS: [...readerArns] }, Action: ["es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost"], Resource: resource },
            { Sid: "LogReadersDashboards", Effect: "Allow" as const, Principal: { AWS: [...readerArns] }, Action: ["es:ESHttpPut", "es:ESHttpDelete"], Resource: `${domainArn}/.kibana*` },
        ]),
        { Sid: "NoOneElse", Effect: "Deny", Principal: { AWS: "*" }, Action: "es:ESHttp*", Resource: resource, Condition: { ArnNotEquals: { "aws:PrincipalArn": admitted } } },
    );
}

/**
 * A customer-managed key's policy: the account administers it through IAM (AWS's default key
 * policy), and CloudWatch Logs may use it for log groups of this account and region only.
 */
export function kmsKeyPolicyWithLogs(accountId: string, region: string): PolicyDocument {
    return doc(
        { Sid: "AccountAdministersThroughIam", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: "kms:*", Resource: "*" },
        {
            Sid: "CloudWatchLogsOfThisAccount",
            Effect: "Allow",
            Principal: { Service: `logs.${region}.amazonaws.com` },
            Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
            Resource: "*",
            Condition: { ArnLike: { "kms:EncryptionContext:aws:logs:arn": `arn:aws:logs:${region}:${accountId}:log-group:*` } },
        },
    );
}

/** A Kubernetes service account: the one identity an IRSA role trusts. */
export interface ServiceAccountRef {
    readonly namespace: string;
    readonly name: string;
}

/**
 * IAM Roles for Service Accounts: trust the cluster's OIDC issuer for one exact service account in one
 * exact namespace, and the STS audience (EKS User Guide, "Configure a role to trust a service account").
 * @param issuer the issuer without "https://", e.g. oidc.eks.us-east-1.amazonaws.com/id/ABC
 */
export function serviceAccountTrustPolicy(providerArn: string, issuer: string, accounts: ServiceAccountRef | readonly ServiceAccountRef[]): PolicyDocument {
    // Several service accounts of one workload (Airflow's components) may share a role; each is named
    // exactly, never by a wildcard.
    const subjects = [accounts].flat().map((a) => `system:serviceaccount:${a.namespace}:${a.name}`);
    return doc(webIdentityTrust("OneServiceAccount", providerArn, issuer, subjects));
}

/** Trust for an AWS service's own principal (the EKS control plane, EC2 for nodes). */
export function serviceTrustPolicy(service: string): PolicyDocument {
    return doc({ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" });
}

/** Write (and the reads bulk indexing needs) to one OpenSearch domain's HTTP API: the log shipper. */
export function openSearchWriterPolicy(domainArn: string): PolicyDocument {
    return doc({ Sid: "ShipLogs", Effect: "Allow", Action: ["es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost", "es:ESHttpPut"], Resource: `${domainArn}/*` });
}

/**
 * Airflow's remote task logs: read, write and list one bucket, and use its KMS key for that bucket
 * only (SSE-KMS needs GenerateDataKey to write and Decrypt to read).
 */
export function taskLogPolicy(bucketArn: string, keyArn: string, region: string): PolicyDocument {
    return doc(
        { Sid: "ListTaskLogs", Effect: "Allow", Action: "s3:ListBucket", Resource: bucketArn },
        { Sid: "ReadWriteTaskLogs", Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: `${bucketArn}/*` },
        {
            Sid: "TaskLogKey",
            Effect: "Allow",
            Action: ["kms:GenerateDataKey", "kms:Decrypt"],
            Resource: keyArn,
            // Only when S3 asks on the role's behalf: the key cannot be used directly.
            Condition: { StringEquals: { "kms:ViaService": `s3.${region}.amazonaws.com` } },
        },
    );
}

/**
 * Airflow's secrets backend (SystemsManagerParameterStoreBackend): read the parameters under the
 * stack's prefix, and nothing else in Parameter Store. SecureStrings under the AWS managed key
 * (aws/ssm) need no grant of their own (its key policy lets SSM decrypt for the account); under a
 * customer-managed key, decrypt only through SSM and only for a parameter under the prefix (SSM puts
 * the parameter's ARN in the encryption context: SSM User Guide, "How Parameter Store uses AWS KMS").
 */
export function airflowSecretsStatements(region: string, accountId: string, prefix: string): PolicyStatement[] {
    const parameters = `arn:aws:ssm:${region}:${accountId}:parameter${prefix}/*`;
    return [
        { Sid: "ReadAirflowSecrets", Effect: "Allow", Action: ["ssm:GetParameter", "ssm:GetParameters"], Resource: parameters },
        {
            Sid: "DecryptAirflowSecrets", Effect: "Allow", Action: "kms:Decrypt", Resource: `arn:aws:kms:${region}:${accountId}:key/*`,
            Condition: { StringEquals: { "kms:ViaService": `ssm.${region}.amazonaws.com` }, StringLike: { "kms:EncryptionContext:PARAMETER_ARN": parameters } },
        },
    ];
}

/** Publish to one SNS topic (the DAGs' failure alerts), and to no other. */
export function publishStatement(sid: string, topicArn: string): PolicyStatement {
    return { Sid: sid, Effect: "Allow", Action: "sns:Publish", Resource: topicArn };
}

/**
 * The AWS account that serves EKS add-on images (VPC CNI, CoreDNS, kube-proxy) to a region's nodes
 * (EKS User Guide, "View Amazon container image registries for Amazon EKS add-ons"). Most regions
 * use 602401143452; the opt-in regions below have their own.
 */
const EKS_ADDON_REGISTRY: Readonly<Record<string, string>> = {
    "af-south-1": "877085696533",
    "ap-east-1": "800184023465",
    "ap-south-2": "900889452093",
    "ap-southeast-3": "296578399912",
    "ap-southeast-4": "491585149902",
    "ca-west-1": "761377655185",
    "eu-central-2": "900612956339",
    "eu-south-1": "590381155156",
    "eu-south-2": "455263428931",
    "il-central-1": "066635153087",
    "me-central-1": "759879836304",
    "me-south-1": "558608220178",
};

export function eksAddonRegistryAccount(region: string): string {
    return EKS_ADDON_REGISTRY[region] ?? "602401143452";
}

/** Pull of the EKS add-on images from AWS's registry for the region, and nothing else of that account. */
export function eksAddonPullPolicy(region: string): PolicyDocument {
    return doc({
        Sid: "PullEksAddonImages",
        Effect: "Allow",
        Action: ECR_PULL,
        Resource: `arn:aws:ecr:${region}:${eksAddonRegistryAccount(region)}:repository/*`,
    });
}
