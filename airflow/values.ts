// The values of the Airflow HelmRelease (official chart 1.22.0, Airflow 3.2.2), as data. Pure: no
// Pulumi import. airflow/gitops-cli.ts writes them into gitops/apps/airflow/helmrelease.yaml and a
// test checks that file against this builder. Stack-specific values are ${VARIABLES} that Flux
// substitutes from the platform-settings ConfigMap (airflow/platform-settings.ts); nothing here names an
// account, a bucket or a host.
//
// Chart keys were read from the chart's values.yaml on apache/airflow main (Airflow 3.1 era, the 1.2x
// line) and the 1.20-1.22 release notes; the 1.22.0 tag itself could not be brought here.
// airflow/gitops.test.ts renders these values with the real chart (`helm template`, which enforces the
// chart's values.schema.json) and reports which chart version it had.

import { AIRFLOW_CHART_VERSION, AIRFLOW_PYTHON_VERSION, AIRFLOW_VERSION } from "./versions";

export { AIRFLOW_CHART_VERSION, AIRFLOW_VERSION };

export const AIRFLOW_NAMESPACE = "airflow";
/** Release "airflow" of chart "airflow": the chart's fullname is then just "airflow" (airflow-api-server, ...). */
export const AIRFLOW_RELEASE_NAME = "airflow";

/** Kubernetes Secrets in the airflow namespace that Pulumi creates and the chart reads (CONTRACTS.md). */
export const AIRFLOW_SECRETS = {
    metadata: { name: "airflow-metadata", key: "connection" },
    fernetKey: { name: "airflow-fernet-key", key: "fernet-key" },
    apiSecretKey: { name: "airflow-api-secret-key", key: "api-secret-key" },
    jwtSecret: { name: "airflow-jwt-secret", key: "jwt-secret" },
    admin: { name: "airflow-admin", usernameKey: "username", passwordKey: "password" },
} as const;

/** The RDS CA bundle (ConfigMap made by Pulumi) and where every Airflow container sees it. */
export const AIRFLOW_RDS_CA = {
    configMap: "airflow-rds-ca",
    key: "global-bundle.pem",
    mountDir: "/opt/airflow/rds-ca",
} as const;
/** What the metadata connection's sslrootcert must name (the Secret airflow-metadata's URI). */
export const RDS_CA_PATH = `${AIRFLOW_RDS_CA.mountDir}/${AIRFLOW_RDS_CA.key}`;

/**
 * Service accounts the chart creates, named explicitly so that the IRSA roles' trust (Pulumi) and the
 * chart cannot drift apart. Each carries eks.amazonaws.com/role-arn: ${AIRFLOW_ROLE_ARN}.
 */
/** The Amazon provider's Parameter Store secrets backend (apache-airflow-providers-amazon). */
export const SECRETS_BACKEND = "airflow.providers.amazon.aws.secrets.systems_manager.SystemsManagerParameterStoreBackend";
/** The environment variable that names the DAG-alert topic in every Airflow container and task pod. */
export const DAG_ALERT_TOPIC_ENV = "DATA_PLATFORM_ALERT_TOPIC_ARN";

export const AIRFLOW_SERVICE_ACCOUNTS = {
    scheduler: "airflow-scheduler",
    worker: "airflow-worker",
    apiServer: "airflow-api-server",
    triggerer: "airflow-triggerer",
    dagProcessor: "airflow-dag-processor",
} as const;

/**
 * The image a new stack starts on: the official Airflow image the DAG image is built FROM, at the
 * pinned version. Before the DAG repository's CI has pushed anything, ECR is empty; starting on the
 * stock image lets the first install complete (migrations, admin user, UI) instead of waiting an hour
 * of failed attempts for an image that does not exist. Both `repository` and `tag` carry image-policy
 * setter markers in clusters/<stack>/airflow-image.yaml, so when the first DAG image appears, image
 * automation rewrites both to the ECR image and Airflow switches to it (gitops/README.md).
 */
export const STOCK_AIRFLOW_IMAGE = { repository: "apache/airflow", tag: `${AIRFLOW_VERSION}-python${AIRFLOW_PYTHON_VERSION}` } as const;

/** AWS's recommended ALB policy: TLS 1.3 and 1.2 only, hybrid post-quantum key exchange (ELB docs, "Security policies"). */
export const UI_TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09";

const v = (key: string) => `\${${key}}`;

// ---------------------------------------------------------------------------------------------
// Sizing: four t3.medium (2 vCPU, 4 GiB) in prod, two in staging, shared with the system pods.
// A t3.medium node allocates about 3,320 MiB and 1,930m to pods (EKS AMI: kube-reserved
// 255 MiB + 11 MiB x 17 pods, eviction threshold 100 MiB; CPU 70m reserved) and 17 pods (VPC CNI
// without prefix delegation).
//
//                         requests            limits        pods (prod / staging)
//   scheduler             250m  768Mi        1000m 1Gi     2 / 1   (+ log groomer 10m 64Mi)
//   API server            250m  1Gi          1000m 1536Mi  1        (2 uvicorn workers)
//   DAG processor         200m  640Mi        1000m 1Gi     1        (+ log groomer)
//   triggerer             100m  512Mi        500m  768Mi   1        (+ log groomer)
//   task pod (default)    250m  512Mi        1000m 1Gi     up to [core] parallelism
//   migration job         100m  512Mi        1000m 1Gi     transient, at install/upgrade
//   admin-user job        100m  384Mi        500m  768Mi   transient, at install/upgrade
//
// Airflow's fixed pods request 3,968 MiB / 1,090m in prod (3,136 MiB / 830m in staging). With the
// system pods (CoreDNS, kube-proxy and aws-node on every node, Fluent Bit, the load balancer
// controller, six Flux controllers: about 1.3 GiB and 1.7 vCPU requested) prod keeps about 8 GiB and
// 4.9 vCPU for task pods: 12 concurrent tasks at the default size leave room for a rolling update's
// surge pod. Staging's two nodes keep about 2.3 GiB: 4 tasks (its cluster kustomization patches
// parallelism). Pods: 27 fixed of 68 slots in prod, so memory, not the pod limit, binds.
// ---------------------------------------------------------------------------------------------

export const PROD_PARALLELISM = 12;
export const STAGING_PARALLELISM = 4;

const resources = (reqCpu: string, reqMem: string, limCpu: string, limMem: string) => ({
    requests: { cpu: reqCpu, memory: reqMem },
    limits: { cpu: limCpu, memory: limMem },
});

export const AIRFLOW_RESOURCES = {
    scheduler: resources("250m", "768Mi", "1000m", "1Gi"),
    apiServer: resources("250m", "1Gi", "1000m", "1536Mi"),
    dagProcessor: resources("200m", "640Mi", "1000m", "1Gi"),
    triggerer: resources("100m", "512Mi", "500m", "768Mi"),
    worker: resources("250m", "512Mi", "1000m", "1Gi"),
    logGroomer: resources("10m", "64Mi", "100m", "128Mi"),
    migrateJob: resources("100m", "512Mi", "1000m", "1Gi"),
    createUserJob: resources("100m", "384Mi", "500m", "768Mi"),
} as const;

// Pod Security Standard "restricted": non-root (the image's airflow user, uid 50000, group 0 as the
// official image expects), no privilege escalation, every capability dropped, the runtime's default
// seccomp profile, and a read-only root filesystem: Airflow writes only to /tmp (an emptyDir), its logs
// directory (the chart's emptyDir) and nothing else.
const POD_SECURITY = {
    runAsUser: 50000,
    runAsGroup: 0,
    fsGroup: 0,
    runAsNonRoot: true,
    seccompProfile: { type: "RuntimeDefault" },
};
const CONTAINER_SECURITY = {
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
};
const securityContexts = () => ({ pod: { ...POD_SECURITY }, container: { ...CONTAINER_SECURITY } });
const containerOnly = () => ({ container: { ...CONTAINER_SECURITY } });

/**
 * The IRSA role a service account assumes: Airflow's own components share the platform's role; task
 * pods (the worker account) take the task role, which also carries the permissions the stack's config
 * grants the DAGs' own work (taskRolePolicy, taskRoleManagedPolicyArns).
 */
const serviceAccount = (name: string, options: { irsa: boolean; kubernetesApi: boolean; role?: "AIRFLOW_ROLE_ARN" | "AIRFLOW_TASK_ROLE_ARN" }) => ({
    create: true,
    name,
    // Only what talks to the Kubernetes API gets a token: the scheduler (launches task pods), the API
    // server (reads running tasks' logs), the triggerer and task pods (operators such as
    // KubernetesPodOperator). IRSA's web-identity token is a separate projected volume.
    automountServiceAccountToken: options.kubernetesApi,
    annotations: options.irsa ? { "eks.amazonaws.com/role-arn": v(options.role ?? "AIRFLOW_ROLE_ARN") } : {},
});

// Local task logs go to the chart's emptyDir and are uploaded to S3; the groomer keeps the emptyDir
// small on long-running components (a full emptyDir would evict the pod).
const logGroomer = () => ({
    enabled: true,
    retentionDays: 2,
    resources: AIRFLOW_RESOURCES.logGroomer,
    securityContexts: containerOnly(),
});
const waitForMigrations = () => ({ enabled: true, securityContexts: containerOnly() });

/**
 * The KubernetesExecutor's pod template (the chart's `podTemplate`, rendered with `tpl` into the
 * airflow-config ConfigMap), written here instead of the chart's default for one reason: the default
 * gives every task pod the chart's standard environment, which holds the metadata database's
 * connection (AIRFLOW__DATABASE__SQL_ALCHEMY_CONN), so any DAG's code could read the database
 * password. Airflow 3's tasks talk to the API server's Execution API and need no database; the
 * components that do (scheduler, API server, DAG processor, triggerer, their wait-for-migrations
 * init containers, the two jobs) keep the chart's environment. A task pod gets: the executor and
 * AIRFLOW_HOME, the task-log connection, airflow.cfg, an emptyDir for logs, the chart-wide volumes
 * (/tmp and the RDS CA, as every Airflow container), the worker service account (IRSA for S3), and the
 * resources and security context of workers.kubernetes.
 * No fernet key either: connections and variables reach a task decrypted through the Execution API.
 */
export function taskPodTemplate(): string {
    return [
        "apiVersion: v1",
        "kind: Pod",
        "metadata:",
        "  name: placeholder-name",
        "  labels:",
        "    tier: airflow",
        "    component: worker",
        "    release: {{ .Release.Name }}",
        "  annotations:",
        '    cluster-autoscaler.kubernetes.io/safe-to-evict: "{{ .Values.workers.kubernetes.safeToEvict }}"',
        "spec:",
        "  restartPolicy: Never",
        "  serviceAccountName: " + AIRFLOW_SERVICE_ACCOUNTS.worker,
        "  automountServiceAccountToken: true",
        "  enableServiceLinks: false",
        "  securityContext: {{- toYaml .Values.workers.kubernetes.securityContexts.pod | nindent 4 }}",
        "  containers:",
        "    - name: base",
        '      image: "{{ .Values.images.airflow.repository }}:{{ .Values.images.airflow.tag }}"',
        "      imagePullPolicy: {{ .Values.images.airflow.pullPolicy }}",
        "      env:",
        "        - name: AIRFLOW__CORE__EXECUTOR",
        "          value: {{ .Values.executor | quote }}",
        "        - name: AIRFLOW_HOME",
        "          value: {{ .Values.airflowHome | quote }}",
        "        {{- toYaml .Values.env | nindent 8 }}",
        "      resources: {{- toYaml .Values.workers.kubernetes.resources | nindent 8 }}",
        "      securityContext: {{- toYaml .Values.workers.kubernetes.securityContexts.container | nindent 8 }}",
        "      volumeMounts:",
        "        - name: logs",
        "          mountPath: {{ .Values.airflowHome }}/logs",
        "        - name: config",
        "          mountPath: {{ .Values.airflowHome }}/airflow.cfg",
        "          subPath: airflow.cfg",
        "          readOnly: true",
        "        {{- toYaml .Values.volumeMounts | nindent 8 }}",
        "  volumes:",
        "    - name: logs",
        "      emptyDir: {}",
        "    {{- toYaml .Values.volumes | nindent 4 }}",
        "    - name: config",
        "      configMap:",
        "        name: {{ .Release.Name }}-config",
        "",
    ].join("\n");
}

/**
 * The migration and admin-user Jobs as plain objects, not Helm hooks. As hooks they would be
 * post-install, and Flux's helm-controller waits for the release's resources to be ready before it
 * runs post-install hooks: every Airflow Deployment waits in wait-for-airflow-migrations for a
 * migration that never starts, each attempt times out, and the release stalls. The chart's docs say so
 * ("Installing the Helm Chart with Argo CD, Flux, Rancher or Terraform": useHelmHooks false and
 * applyCustomEnv false). A finished Job is deleted after ttlSecondsAfterFinished, so the next upgrade
 * (a new image) creates it afresh instead of trying to patch an immutable Job template; and it is
 * excluded from Flux's drift detection (the annotation of helm-controller's "Drift detection"
 * documentation), so the deletion is not "drift" that would re-create and re-run it every interval.
 */
const plainJob = () => ({
    useHelmHooks: false,
    applyCustomEnv: false,
    ttlSecondsAfterFinished: 300,
    jobAnnotations: { "helm.toolkit.fluxcd.io/driftDetection": "disabled" },
});

/** The create-user job's command: the FAB CLI, with the credentials read from env at run time. */
export const CREATE_ADMIN_ARGS = [
    "bash",
    "-c",
    // "users create" exits 0 when the user exists, so upgrades re-run it harmlessly. The shell expands
    // the variables inside the container: the password is in no manifest and no pod spec. ($NAME is
    // left alone by Flux, which substitutes only ${NAME}.)
    'exec airflow users create --role Admin --username "$AIRFLOW_ADMIN_USERNAME" --password "$AIRFLOW_ADMIN_PASSWORD" ' +
        '--email "$AIRFLOW_ADMIN_USERNAME@airflow.invalid" --firstname Airflow --lastname Admin',
];

/** The values object, with ${VARIABLES} where a stack differs. */
export function airflowValues(): Record<string, unknown> {
    return {
        airflowVersion: AIRFLOW_VERSION,
        defaultAirflowTag: AIRFLOW_VERSION,
        executor: "KubernetesExecutor",
        // New in chart 1.22.0: no Service environment variables injected into pods (they leak every
        // Service's address into task environments and grow with the namespace).
        enableServiceLinks: false,
        uid: 50000,
        gid: 0,
        images: {
            airflow: {
                // Each cluster folder overrides both with image-policy setter markers (image automation
                // writes to clusters/<stack>/ only); this is the same stock image.
                repository: STOCK_AIRFLOW_IMAGE.repository,
                tag: STOCK_AIRFLOW_IMAGE.tag,
                pullPolicy: "IfNotPresent",
            },
            // Migrations run with the DAG image too, so chart and image agree on the Airflow version.
            useDefaultImageForMigration: false,
        },

        // --- metadata database: RDS, TLS verified against the RDS CA ---------------------------
        postgresql: { enabled: false },
        // PgBouncer off. db.t3.micro allows LEAST(DBInstanceClassMemory/9531392, 5000) connections
        // (RDS default for PostgreSQL), about 87 for its 1 GiB less the OS's share, minus RDS's
        // reserved superuser slots. In Airflow 3 task pods do not connect to the database (they use the
        // API server's Execution API), so connections come only from the fixed components; with each
        // process's pool capped at 3 + 2 overflow (config.database below) the worst case is about 40:
        // schedulers 2 x 5, API server 2 workers x 5, DAG processor 5, triggerer 5, jobs 5-10. A pooler
        // would add a pod, a second TLS hop to verify, and its own user file, for no headroom needed.
        pgbouncer: { enabled: false },
        data: { metadataSecretName: AIRFLOW_SECRETS.metadata.name },

        // --- secrets generated once by Pulumi ----------------------------------------------------
        fernetKeySecretName: AIRFLOW_SECRETS.fernetKey.name,
        // No airflow_db connection: nothing here uses it, and it is the database password once more.
        enableBuiltInSecretEnvVars: { AIRFLOW_CONN_AIRFLOW_DB: false },
        // Task pods: the template above, without the database's connection.
        podTemplate: taskPodTemplate(),
        apiSecretKeySecretName: AIRFLOW_SECRETS.apiSecretKey.name,
        jwtSecretName: AIRFLOW_SECRETS.jwtSecret.name,

        // --- what every Airflow container gets (also the KubernetesExecutor pod template) --------
        volumes: [
            {
                name: "rds-ca",
                configMap: {
                    name: AIRFLOW_RDS_CA.configMap,
                    items: [{ key: AIRFLOW_RDS_CA.key, path: AIRFLOW_RDS_CA.key }],
                    defaultMode: 0o444,
                },
            },
            { name: "tmp", emptyDir: { sizeLimit: "1Gi" } },
        ],
        volumeMounts: [
            { name: "rds-ca", mountPath: AIRFLOW_RDS_CA.mountDir, readOnly: true },
            { name: "tmp", mountPath: "/tmp" },
        ],
        env: [
            // The connection remote logging uses: no keys, only the region; credentials come from
            // IRSA (the web-identity token the EKS webhook mounts), through boto3's default chain.
            { name: "AIRFLOW_CONN_AWS_TASK_LOGS", value: `{"conn_type": "aws", "extra": {"region_name": "${v("AWS_REGION")}"}}` },
            // The topic a DAG's failure alert goes to (the DAG template's on_failure_callback, an SnsNotifier):
            // e-mailed to the operator; Airflow's roles may publish to it and to no other topic.
            { name: DAG_ALERT_TOPIC_ENV, value: v("DAG_ALERT_TOPIC_ARN") },
        ],
        // The chart-wide fallback (the chart reads "containers" here; every component below also sets
        // its own, which takes precedence).
        securityContexts: { pod: { ...POD_SECURITY }, containers: { ...CONTAINER_SECURITY } },

        config: {
            core: {
                load_examples: "False",
                parallelism: PROD_PARALLELISM,
                auth_manager: "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager",
                // Task pods report to the API server's Execution API through its Service.
                execution_api_server_url: `http://${AIRFLOW_RELEASE_NAME}-api-server:8080/execution/`,
            },
            database: {
                sql_alchemy_pool_size: 3,
                sql_alchemy_max_overflow: 2,
                sql_alchemy_pool_recycle: 1800,
                sql_alchemy_pool_pre_ping: "True",
            },
            api: {
                workers: 2,
                expose_config: "False",
            },
            // Connections and variables from SSM Parameter Store, under the stack's prefix: a connection
            // is one `aws ssm put-parameter` (docs/operations.md, "Connections and variables"), never in
            // Git. Looked up before the environment and the metadata database (Airflow's secrets
            // backend order); no credentials: boto3 takes the pod's IRSA role, whose policy reads
            // exactly this prefix.
            secrets: {
                backend: SECRETS_BACKEND,
                backend_kwargs: JSON.stringify({
                    connections_prefix: `${v("AIRFLOW_SECRETS_PREFIX")}/connections`,
                    variables_prefix: `${v("AIRFLOW_SECRETS_PREFIX")}/variables`,
                    config_prefix: null,
                    region_name: v("AWS_REGION"),
                }),
            },
            logging: {
                remote_logging: "True",
                remote_base_log_folder: `s3://${v("TASK_LOG_BUCKET")}`,
                remote_log_conn_id: "aws_task_logs",
                // The bucket encrypts with its KMS key by default; no client-side encryption needed.
                encrypt_s3_logs: "False",
                delete_local_logs: "True",
            },
            kubernetes_executor: {
                // A finished task pod is deleted, failed ones too: their logs are in S3 (and, with log
                // search on, in OpenSearch), and a failed pod left behind holds a pod slot and its node.
                delete_worker_pods: "True",
                delete_worker_pods_on_failure: "True",
                // After the nightly wake-up nodes may still be joining: give pending task pods 15 minutes.
                worker_pods_pending_timeout: 900,
            },
        },

        // --- components --------------------------------------------------------------------------
        scheduler: {
            replicas: v("AIRFLOW_SCHEDULER_REPLICAS"),
            resources: AIRFLOW_RESOURCES.scheduler,
            securityContexts: securityContexts(),
            serviceAccount: serviceAccount(AIRFLOW_SERVICE_ACCOUNTS.scheduler, { irsa: true, kubernetesApi: true }),
            logGroomerSidecar: logGroomer(),
            waitForMigrations: waitForMigrations(),
        },
        apiServer: {
            replicas: 1,
            resources: AIRFLOW_RESOURCES.apiServer,
            securityContexts: securityContexts(),
            serviceAccount: serviceAccount(AIRFLOW_SERVICE_ACCOUNTS.apiServer, { irsa: true, kubernetesApi: true }),
            // A running task's log: Airflow 3's API server asks the KubernetesExecutor, which reads the
            // task pod's log (container "base") through the Kubernetes API; the task SDK copies the task's
            // output to the pod's stdout for exactly this. This key makes the chart grant the API server's
            // service account get/list on pods and pods/log in this namespace. Finished tasks: S3.
            allowPodLogReading: true,
            // Mounted as webserver_config.py, so the FAB auth manager finds its config file and never
            // tries to write a default one onto the read-only root filesystem.
            apiServerConfig: [
                "# FAB auth manager configuration (mounted by the Helm chart).",
                "from flask_appbuilder.const import AUTH_DB",
                "AUTH_TYPE = AUTH_DB",
                "WTF_CSRF_ENABLED = True",
                "",
            ].join("\n"),
            waitForMigrations: waitForMigrations(),
        },
        dagProcessor: {
            enabled: true,
            replicas: 1,
            resources: AIRFLOW_RESOURCES.dagProcessor,
            securityContexts: securityContexts(),
            serviceAccount: serviceAccount(AIRFLOW_SERVICE_ACCOUNTS.dagProcessor, { irsa: true, kubernetesApi: false }),
            logGroomerSidecar: logGroomer(),
            waitForMigrations: waitForMigrations(),
        },
        triggerer: {
            enabled: true,
            replicas: 1,
            // No log volume: deferred tasks' trigger logs are served from the emptyDir, then uploaded.
            persistence: { enabled: false },
            resources: AIRFLOW_RESOURCES.triggerer,
            securityContexts: securityContexts(),
            serviceAccount: serviceAccount(AIRFLOW_SERVICE_ACCOUNTS.triggerer, { irsa: true, kubernetesApi: true }),
            logGroomerSidecar: logGroomer(),
            waitForMigrations: waitForMigrations(),
        },
        // With the KubernetesExecutor, workers.kubernetes configures the pod template of every task pod
        // (the chart's notes deprecate the same keys directly under workers, which are Celery's now).
        workers: {
            serviceAccount: serviceAccount(AIRFLOW_SERVICE_ACCOUNTS.worker, { irsa: true, kubernetesApi: true, role: "AIRFLOW_TASK_ROLE_ARN" }),
            kubernetes: {
                resources: AIRFLOW_RESOURCES.worker,
                securityContexts: securityContexts(),
                // A task pod is never moved by an autoscaler mid-run (the NightlyScheduler drains only when idle).
                safeToEvict: false,
            },
        },
        migrateDatabaseJob: {
            enabled: true,
            ...plainJob(),
            resources: AIRFLOW_RESOURCES.migrateJob,
            securityContexts: securityContexts(),
            serviceAccount: { create: true, automountServiceAccountToken: false },
        },
        // The chart's default admin/admin user is never created: this job runs our own command, which
        // reads the operator's credentials from the Secret airflow-admin (generated by Pulumi).
        createUserJob: {
            enabled: true,
            args: CREATE_ADMIN_ARGS,
            ...plainJob(),
            env: [
                { name: "AIRFLOW_ADMIN_USERNAME", valueFrom: { secretKeyRef: { name: AIRFLOW_SECRETS.admin.name, key: AIRFLOW_SECRETS.admin.usernameKey } } },
                { name: "AIRFLOW_ADMIN_PASSWORD", valueFrom: { secretKeyRef: { name: AIRFLOW_SECRETS.admin.name, key: AIRFLOW_SECRETS.admin.passwordKey } } },
            ],
            resources: AIRFLOW_RESOURCES.createUserJob,
            securityContexts: securityContexts(),
            serviceAccount: { create: true, automountServiceAccountToken: false },
        },

        // --- off: not needed with the KubernetesExecutor, or no consumer -------------------------
        redis: { enabled: false },
        flower: { enabled: false },
        statsd: { enabled: false },
        cleanup: { enabled: false },
        logs: { persistence: { enabled: false } },
        dags: { persistence: { enabled: false }, gitSync: { enabled: false } },

        // --- UI: off here; gitops/components/ui-ingress turns it on (uiIngressValues) ---------------
        // The Ingress and its annotations name a certificate, CIDRs and a security group that a stack
        // without a UI certificate does not have. Were they here as ${VARIABLES}, such a stack would
        // substitute empty strings, which after kustomize's re-serialisation are YAML nulls, and the
        // chart's schema refuses null annotations. So they live in a kustomize Component that the root
        // Kustomization includes only where the UI is exposed (cluster/flux-sources.ts).
        ingress: { apiServer: { enabled: false } },

        // --- network and namespace guards ---------------------------------------------------------
        // The chart's own NetworkPolicies (API server port open; log ports only from the API server);
        // gitops/apps/airflow/networkpolicies.yaml adds a default deny for everything else.
        networkPolicies: { enabled: true },
        // A LimitRange: any container the values above miss still gets requests and limits.
        limits: [
            {
                type: "Container",
                default: { cpu: "500m", memory: "512Mi" },
                defaultRequest: { cpu: "50m", memory: "128Mi" },
            },
        ],
    };
}

/**
 * The values the ui-ingress Component patches in: the API server behind an internet-facing ALB,
 * HTTPS only, allow-listed. Every ${VARIABLE} here is non-empty wherever the Component is included.
 */
export function uiIngressValues(): Record<string, unknown> {
    return {
        ingress: {
            apiServer: {
                enabled: true,
                ingressClassName: "alb",
                path: "/",
                pathType: "Prefix",
                annotations: {
                    "alb.ingress.kubernetes.io/scheme": "internet-facing",
                    "alb.ingress.kubernetes.io/target-type": "ip",
                    "alb.ingress.kubernetes.io/listen-ports": '[{"HTTP": 80}, {"HTTPS": 443}]',
                    "alb.ingress.kubernetes.io/ssl-redirect": "443",
                    "alb.ingress.kubernetes.io/certificate-arn": v("UI_CERTIFICATE_ARN"),
                    "alb.ingress.kubernetes.io/ssl-policy": UI_TLS_POLICY,
                    // With security-groups set, the controller creates no frontend security group, so this
                    // list is enforced by the group Pulumi creates (UI_SECURITY_GROUP_ID), which must admit
                    // 80 and 443 from exactly these CIDRs; the annotation documents it on the Ingress.
                    "alb.ingress.kubernetes.io/inbound-cidrs": v("UI_ALLOWED_CIDRS"),
                    "alb.ingress.kubernetes.io/security-groups": v("UI_SECURITY_GROUP_ID"),
                    "alb.ingress.kubernetes.io/manage-backend-security-group-rules": "true",
                    "alb.ingress.kubernetes.io/healthcheck-path": "/api/v2/monitor/health",
                    "alb.ingress.kubernetes.io/load-balancer-attributes": "routing.http.drop_invalid_header_fields.enabled=true",
                },
            },
        },
        // The ALB spans only the zones of uiLoadBalancerZones (their public subnets alone carry the
        // controller's role tag), and it sends nothing to a target in a zone it does not span ("If you
        // register targets in an Availability Zone but do not enable the Availability Zone, these
        // registered targets do not receive traffic": ELB User Guide, Availability Zones). So the API
        // server, the ALB's one target, must run in those zones.
        apiServer: {
            affinity: {
                nodeAffinity: {
                    requiredDuringSchedulingIgnoredDuringExecution: {
                        nodeSelectorTerms: [{ matchExpressions: [{ key: "topology.kubernetes.io/zone", operator: "In", values: v("UI_ZONES") }] }],
                    },
                },
            },
        },
    };
}
