// The Airflow image's tag scheme, and the Flux image-automation objects that follow it. Pure.
//
// A tag is `<branch>-<YYYYMMDDHHmmss>-<short sha>`: the branch the DAG repository's CI built from
// (`/` and `.` become `-`: a tag may not hold `/`, and a branch part of only [A-Za-z0-9_-] is a regexp
// literal, see imageBranchSetting), the COMMIT's committer time in UTC, and the first 7 hex digits of
// the commit. The timestamp orders builds, so the ImagePolicy can pick the newest with a numerical
// policy; the branch keeps each stack on its own branch's images; the sha names the code.
//
// Why the commit time and not the build time: ECR tags are immutable here, and a re-run of an old
// commit's workflow must neither fail nor produce a tag newer than the builds after it (Flux would
// then roll Airflow back to old DAGs). With the commit time the same commit always yields the same
// tag, and the workflow skips the push when that tag already exists.

/** Docker's tag grammar (distribution reference): 1 to 128 of these, not starting with `.` or `-`. */
const DOCKER_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const TIMESTAMP_DIGITS = 14;
export const SHORT_SHA_LENGTH = 7;

/**
 * The branch as it appears in a tag: every character outside [A-Za-z0-9_-] becomes `-`. Branch names
 * the config accepts hold letters, digits and `. _ - /`, so in practice `/` and `.` become `-`. Two
 * branches that differ only there (release/1.0, release-1-0) share a tag prefix; harmless, because a
 * stack's registry only ever receives images from its one ciBranch (the CI role trusts nothing else).
 */
export function tagBranch(branch: string): string {
    return branch.replace(/[^A-Za-z0-9_-]/g, "-");
}

function utcStamp(at: Date): string {
    const pad = (n: number, width = 2) => String(n).padStart(width, "0");
    return `${pad(at.getUTCFullYear(), 4)}${pad(at.getUTCMonth() + 1)}${pad(at.getUTCDate())}` +
        `${pad(at.getUTCHours())}${pad(at.getUTCMinutes())}${pad(at.getUTCSeconds())}`;
}

export interface ImageTagParts {
    /** The git branch (may contain `/`). */
    readonly branch: string;
    /** The commit's committer time. */
    readonly committedAt: Date;
    /** The full (or at least 7-digit) lower-case hex commit sha. */
    readonly sha: string;
}

/** The tag the DAG repository's workflow gives the image built from one commit. */
export function formatImageTag(parts: ImageTagParts): string {
    if (!/^[0-9a-f]{7,40}$/.test(parts.sha)) throw new Error(`"${parts.sha}" is not a lower-case hex commit sha`);
    if (Number.isNaN(parts.committedAt.getTime())) throw new Error("committedAt is not a valid time");
    const tag = `${tagBranch(parts.branch)}-${utcStamp(parts.committedAt)}-${parts.sha.slice(0, SHORT_SHA_LENGTH)}`;
    if (!DOCKER_TAG.test(tag)) {
        throw new Error(`"${tag}" is not a valid image tag (at most 128 of A-Z a-z 0-9 _ . -, not starting with . or -); shorten the branch name`);
    }
    return tag;
}

export interface ParsedImageTag {
    /** The branch as written in the tag (`/` and `.` already turned into `-`; not reversible). */
    readonly tagBranch: string;
    /** YYYYMMDDHHmmss, UTC. */
    readonly timestamp: string;
    readonly shortSha: string;
}

/** Reads a tag of this scheme from the right (the branch part may itself contain `-` and digits). */
export function parseImageTag(tag: string): ParsedImageTag | undefined {
    const m = /^(.+)-([0-9]{14})-([0-9a-f]{7})$/.exec(tag);
    if (!m || !DOCKER_TAG.test(tag)) return undefined;
    return { tagBranch: m[1], timestamp: m[2], shortSha: m[3] };
}

/** The variable of the platform-settings ConfigMap that carries the branch a stack follows. */
export const IMAGE_BRANCH_VARIABLE = "IMAGE_BRANCH";

/**
 * The value of ${IMAGE_BRANCH} in platform-settings for a stack whose ciBranch is `branch`: the tag
 * form of the branch. It holds only [A-Za-z0-9_-], none of which means anything in a Go regexp, so
 * substituted into the ImagePolicy's pattern it matches itself literally, and it needs no quoting or
 * escaping in the YAML text Flux substitutes it into.
 */
export function imageBranchSetting(branch: string): string {
    const asTag = tagBranch(branch);
    if (!/^[A-Za-z0-9_][A-Za-z0-9_-]*$/.test(asTag)) {
        throw new Error(`branch "${branch}" cannot start an image tag (its tag form "${asTag}" must start with a letter, digit or _)`);
    }
    return asTag;
}

export interface ImagePolicyChoice {
    /** Go regexp (RE2) that whole tags must match; the named group `ts` is the build order. */
    readonly filterTags: { readonly pattern: string; readonly extract: string };
    readonly policy: { readonly numerical: { readonly order: "asc" } };
}

/** The ImagePolicy's choice for tags whose branch part matches the regexp fragment `branchRegex`. */
function policyForBranchRegex(branchRegex: string): ImagePolicyChoice {
    return {
        // Anchored at both ends, so that a branch whose name extends this one (master-old) or a tag
        // with anything after the sha never matches; exactly 14 digits, so `extract` is always a number
        // (a non-numeric extract fails Flux's numerical policy for every tag).
        filterTags: { pattern: `^${branchRegex}-(?P<ts>[0-9]{${TIMESTAMP_DIGITS}})-[0-9a-f]{${SHORT_SHA_LENGTH}}$`, extract: "$ts" },
        // Largest timestamp wins ("asc": the last in ascending order is the latest).
        policy: { numerical: { order: "asc" } },
    };
}

/** The ImagePolicy's filter and policy for a stack that follows `branch`, with the branch filled in. */
export function imagePolicyFor(branch: string): ImagePolicyChoice {
    return policyForBranchRegex(imageBranchSetting(branch));
}

/** The same, as written in Git: the branch is ${IMAGE_BRANCH}, substituted by Flux's postBuild. */
export const IMAGE_POLICY_TEMPLATE: ImagePolicyChoice = policyForBranchRegex(`\${${IMAGE_BRANCH_VARIABLE}}`);

/** Names the other pieces refer to. */
export const IMAGE_AUTOMATION = {
    namespace: "flux-system",
    imageRepository: "airflow",
    /** The setter marker on the HelmRelease's tag is {"$imagepolicy": "flux-system:airflow:tag"}. */
    imagePolicy: "airflow",
    automation: "airflow",
    /** The GitRepository with the write credential (created by Pulumi). */
    writeSource: "gitops-write",
} as const;

/** The marker comments that let the automation rewrite the tag and the repository fields. */
export const IMAGE_TAG_SETTER = `{"$imagepolicy": "${IMAGE_AUTOMATION.namespace}:${IMAGE_AUTOMATION.imagePolicy}:tag"}`;
export const IMAGE_NAME_SETTER = `{"$imagepolicy": "${IMAGE_AUTOMATION.namespace}:${IMAGE_AUTOMATION.imagePolicy}:name"}`;

/** An ImagePolicy's latest image (status.latestRef in image.toolkit.fluxcd.io/v1). */
export interface LatestImage {
    readonly name: string;
    readonly tag: string;
}

/**
 * What the Setters strategy does to a file (Flux "Image Update Automations" docs, "Update strategy"):
 * on a line `key: value # {"$imagepolicy": "<namespace>:<policy>[:tag|:name]"}` the scalar becomes the
 * policy's latest image `name:tag`, its tag, or its name; the comment stays. Keyed by
 * "<namespace>:<policy>". A model of the image-automation-controller (which applies kyaml setters to
 * the parsed file), enough to prove that the markers in clusters/<stack>/ are in the form it reads
 * and that the rewritten file still builds into the image wanted; it is not that controller.
 */
export function applyImagePolicySetters(text: string, latest: Readonly<Record<string, LatestImage>>): { text: string; changed: number } {
    let changed = 0;
    const out = text.replace(/^(\s*(?:- )?[A-Za-z0-9_.-]+:\s*)(\S+)(\s+#\s*)(\{"\$imagepolicy":\s*"([^"]+)"\})\s*$/gm,
        (line, key: string, value: string, gap: string, marker: string, ref: string) => {
            const [namespace, policy, part] = ref.split(":");
            const image = latest[`${namespace}:${policy}`];
            if (image === undefined) return line;
            const next = part === "tag" ? image.tag : part === "name" ? image.name : part === undefined ? `${image.name}:${image.tag}` : value;
            if (next !== value) changed++;
            return `${key}${next}${gap}${marker}`;
        });
    return { text: out, changed };
}

/** How often the registry is scanned and the automation runs (while the cluster is awake). */
export const IMAGE_SCAN_INTERVAL = "2m";
export const IMAGE_UPDATE_INTERVAL = "2m";

/**
 * The three image-automation objects of gitops/apps/image-automation/, with ${VARIABLES} that Flux
 * substitutes from the platform-settings ConfigMap. The YAML files there must parse to exactly these.
 */
export function imageAutomationObjects() {
    const metadata = (name: string) => ({ name, namespace: IMAGE_AUTOMATION.namespace });
    return {
        imageRepository: {
            apiVersion: "image.toolkit.fluxcd.io/v1",
            kind: "ImageRepository",
            metadata: metadata(IMAGE_AUTOMATION.imageRepository),
            spec: {
                image: "${AIRFLOW_IMAGE_REPOSITORY}",
                interval: IMAGE_SCAN_INTERVAL,
                // ECR through the image reflector's own IRSA role (flux-system/image-reflector-controller).
                provider: "aws",
            },
        },
        imagePolicy: {
            apiVersion: "image.toolkit.fluxcd.io/v1",
            kind: "ImagePolicy",
            metadata: metadata(IMAGE_AUTOMATION.imagePolicy),
            spec: {
                imageRepositoryRef: { name: IMAGE_AUTOMATION.imageRepository },
                filterTags: { ...IMAGE_POLICY_TEMPLATE.filterTags },
                policy: { numerical: { ...IMAGE_POLICY_TEMPLATE.policy.numerical } },
            },
        },
        imageUpdateAutomation: {
            apiVersion: "image.toolkit.fluxcd.io/v1",
            kind: "ImageUpdateAutomation",
            metadata: metadata(IMAGE_AUTOMATION.automation),
            spec: {
                interval: IMAGE_UPDATE_INTERVAL,
                sourceRef: { kind: "GitRepository", name: IMAGE_AUTOMATION.writeSource },
                // No git.checkout and no git.push: the automation checks out the branch gitops-write
                // follows and pushes back to it, which is the branch the cluster's gitops source follows
                // (both from the same Pulumi config), with no branch name written here.
                git: {
                    commit: {
                        author: { name: "flux-image-automation", email: "flux-image-automation@users.noreply.github.com" },
                        messageTemplate: "airflow image for {{ .Values.environment }}: {{ range .Changed.Changes }}{{ .OldValue }} -> {{ .NewValue }} {{ end }}",
                        messageTemplateValues: { environment: "${ENVIRONMENT}" },
                    },
                },
                // Only this stack's folder (config gitopsPath, the folder the root Kustomization applies):
                // each stack's image lives in its own clusters/<stack>/ file, so prod's automation never
                // touches staging's and the other way round.
                update: { path: "${GITOPS_PATH}", strategy: "Setters" },
            },
        },
    };
}
