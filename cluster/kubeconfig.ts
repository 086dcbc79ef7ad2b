// The kubeconfig the Pulumi Kubernetes provider (and an operator) uses for an EKS cluster. Pure: a
// function of the cluster's name, endpoint, CA and region, so nothing reaches the cluster at import
// time and tests can read it. Authentication is the AWS CLI's `aws eks get-token`, as `aws eks
// update-kubeconfig` writes it: the caller's own AWS identity, mapped by an EKS access entry.

export interface KubeconfigInput {
    readonly clusterName: string;
    readonly endpoint: string;
    /** Base64 PEM, as EKS returns it (certificateAuthority.data). */
    readonly certificateAuthorityData: string;
    readonly region: string;
    /** An AWS CLI profile to authenticate with; unset, the default credential chain. */
    readonly profile?: string;
}

export function kubeconfig(input: KubeconfigInput) {
    const name = input.clusterName;
    return {
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name, cluster: { server: input.endpoint, "certificate-authority-data": input.certificateAuthorityData } }],
        contexts: [{ name, context: { cluster: name, user: name } }],
        "current-context": name,
        preferences: {},
        users: [{
            name,
            user: {
                exec: {
                    apiVersion: "client.authentication.k8s.io/v1beta1",
                    command: "aws",
                    args: ["eks", "get-token", "--cluster-name", name, "--region", input.region, "--output", "json"],
                    ...(input.profile === undefined ? {} : { env: [{ name: "AWS_PROFILE", value: input.profile }] }),
                    interactiveMode: "Never",
                },
            },
        }],
    };
}
