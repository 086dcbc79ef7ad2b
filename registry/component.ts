import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { ecrLifecyclePolicy, ecrPullPolicy, ecrPushPolicy, ecrTagListingPolicy, GITHUB_OIDC_HOST, githubActionsTrustPolicy, githubOidcProviderArn } from "../core/policies";

export interface RegistryArgs {
    readonly repositoryName: string;
    /** GitHub repository (owner/name) whose CI may push. */
    readonly ciRepository: string;
    /** The one branch of ciRepository whose workflows may push. */
    readonly ciBranch: string;
    /** A GitHub environment whose jobs may push too. */
    readonly ciEnvironment?: string;
    /**
     * Create the account's GitHub OIDC provider here. An account holds one per URL, so by default the
     * stack references it at its fixed ARN (see "One-time account setup" in the README).
     */
    readonly createGithubOidcProvider: boolean;
    readonly accountId: pulumi.Input<string>;
    readonly keepTaggedImages: number;
    readonly untaggedExpiryDays: number;
}

/**
 * The ECR repository of the Airflow image, and the role the DAG repository's CI assumes through
 * GitHub's OIDC tokens to push to it: no long-lived keys anywhere.
 */
export class Registry extends pulumi.ComponentResource {
    public readonly repositoryUrl: pulumi.Output<string>;
    public readonly repositoryArn: pulumi.Output<string>;
    public readonly ciRoleArn: pulumi.Output<string>;
    private readonly name: string;

    constructor(name: string, args: RegistryArgs, opts?: pulumi.ComponentResourceOptions) {
        super("data-platform:index:Registry", name, {}, opts);
        this.name = name;
        const parent = { parent: this };

        const repo = new aws.ecr.Repository(`${name}-airflow`, {
            name: args.repositoryName,
            // Images are derived: the DAG repository's CI builds them again. A destroy removes the repository
            // with its images (ECR refuses to delete a repository that has any, without this).
            forceDelete: true,
            // A tag names one image forever: what ran last night can be found again.
            imageTagMutability: "IMMUTABLE",
            imageScanningConfiguration: { scanOnPush: true },
            encryptionConfigurations: [{ encryptionType: "KMS" }],
        }, parent);
        new aws.ecr.LifecyclePolicy(`${name}-airflow-lifecycle`, {
            repository: repo.name,
            policy: JSON.stringify(ecrLifecyclePolicy(args.keepTaggedImages, args.untaggedExpiryDays)),
        }, parent);

        const providerArn = args.createGithubOidcProvider
            ? new aws.iam.OpenIdConnectProvider(`${name}-github-oidc`, {
                url: `https://${GITHUB_OIDC_HOST}`,
                clientIdLists: ["sts.amazonaws.com"],
            }, {
                parent: this,
                // Account-wide: other stacks (and other projects) may trust it; destroying this stack
                // must not pull it from under them. Delete it by hand when the account no longer needs it.
                retainOnDelete: true,
            }).arn
            : pulumi.output(args.accountId).apply(githubOidcProviderArn);

        const subject = { repository: args.ciRepository, branch: args.ciBranch, environment: args.ciEnvironment };
        const ciRole = new aws.iam.Role(`${name}-ci-push`, {
            description: `CI of ${args.ciRepository} (branch ${args.ciBranch}${args.ciEnvironment === undefined ? "" : `, environment ${args.ciEnvironment}`}) pushes Airflow images`,
            assumeRolePolicy: providerArn.apply((arn) => JSON.stringify(githubActionsTrustPolicy(arn, subject))),
            maxSessionDuration: 3600,
        }, parent);
        new aws.iam.RolePolicy(`${name}-ci-push-policy`, {
            role: ciRole.name,
            policy: repo.arn.apply((arn) => JSON.stringify(ecrPushPolicy(arn))),
        }, parent);

        this.repositoryUrl = repo.repositoryUrl;
        this.repositoryArn = repo.arn;
        this.ciRoleArn = ciRole.arn;
        this.registerOutputs({ repositoryUrl: this.repositoryUrl, repositoryArn: this.repositoryArn, ciRoleArn: this.ciRoleArn });
    }

    /** Lets one IAM role (the nodes') pull from this repository only. */
    allowPull(client: string, roleName: pulumi.Input<string>): aws.iam.RolePolicy {
        return new aws.iam.RolePolicy(`${this.name}-pull-${client}`, {
            role: roleName,
            policy: this.repositoryArn.apply((arn) => JSON.stringify(ecrPullPolicy(arn))),
        }, { parent: this });
    }

    /** Lets one IAM role (Flux's image reflector) list and read this repository's tags, and nothing else. */
    allowTagListing(client: string, roleName: pulumi.Input<string>): aws.iam.RolePolicy {
        return new aws.iam.RolePolicy(`${this.name}-tags-${client}`, {
            role: roleName,
            policy: this.repositoryArn.apply((arn) => JSON.stringify(ecrTagListingPolicy(arn))),
        }, { parent: this });
    }
}
