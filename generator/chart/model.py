"""The typed values model: the single source of values.yaml, its schema and README table.

Field names are the chart's value keys (camelCase, as Helm users expect). Every field is
documented where it is defaulted; ``schema``, ``values_file`` and ``readme`` read these
docs, so a setting cannot exist without its description.
"""

# ruff: noqa: RUF009  (doc()/part() build dataclass fields; they are not shared defaults)

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Literal

from generator.chart.fields import doc, part
from services import contract

PullPolicy = Literal["Always", "IfNotPresent", "Never"]
ServiceType = Literal["ClusterIP", "NodePort", "LoadBalancer"]
AntiAffinity = Literal["", "soft", "hard"]
# bundled: the chart runs it; operator: a CloudNativePG Cluster or a RabbitmqCluster;
# external: a managed service reached by host, port and an existing Secret.
BackendMode = Literal["bundled", "operator", "external"]
MODE_DOC = (
    "Where it runs: bundled (pods of this chart), operator (a resource of its operator, "
    "which must be installed) or external (a managed service: the external.* values)"
)


@dataclass(frozen=True)
class GlobalImage:
    registry: str = doc("", "Registry host (and path) prefixed to the app images; empty: none")
    tag: str = doc("", "Tag of the three app images; empty: the chart's appVersion")
    pullPolicy: PullPolicy = doc(
        "IfNotPresent", "Pull policy of the three app images; Never when side-loaded into nodes"
    )


@dataclass(frozen=True)
class AppImage:
    repository: str = doc("", "Repository of this app's image (after the registry)")


@dataclass(frozen=True)
class InfraImage:
    repository: str = doc("", "Image repository, with its registry when not Docker Hub")
    tag: str = doc("", "Tag of the image")
    pullPolicy: PullPolicy = doc("IfNotPresent", "Pull policy of this image")


@dataclass(frozen=True)
class Quantities:
    cpu: str = doc("100m", "CPU in cores or millicores (500m is half a core)")
    memory: str = doc("128Mi", "Memory with a binary unit (Mi, Gi)")


@dataclass(frozen=True)
class Resources:
    requests: Quantities = part(Quantities, "What the scheduler reserves; the HPA's % is of this")
    limits: Quantities = part(Quantities, "Hard ceiling for the container")


def resources(req_cpu: str, req_mem: str, lim_cpu: str, lim_mem: str) -> Resources:
    return Resources(Quantities(req_cpu, req_mem), Quantities(lim_cpu, lim_mem))


@dataclass(frozen=True)
class Probe:
    initialDelaySeconds: int = doc(5, "Seconds after the start before the first check", minimum=0)
    periodSeconds: int = doc(10, "Seconds from one check to the next", minimum=1)
    timeoutSeconds: int = doc(3, "Seconds a check may take before it counts as failed", minimum=1)
    failureThreshold: int = doc(3, "Failed checks in a row that trigger the action", minimum=1)


@dataclass(frozen=True)
class Probes:
    liveness: Probe = part(Probe, "Restart the container when this fails")
    readiness: Probe = part(Probe, "Take the pod out of its Service when this fails")


@dataclass(frozen=True)
class StartupProbes(Probes):
    """Probes of a server whose first start may take minutes (initdb, a broker's boot)."""

    startup: Probe = part(
        partial(Probe, 5, 10, 5, 60), "Liveness and readiness wait until this passes once"
    )


def stateful_probes(liveness: Probe, readiness: Probe) -> StartupProbes:
    return StartupProbes(liveness, readiness)


@dataclass(frozen=True)
class Autoscaling:
    enabled: bool = doc(True, "Create a HorizontalPodAutoscaler (replicas is then ignored)")
    minReplicas: int = doc(1, "Fewest replicas the HPA keeps", minimum=1)
    maxReplicas: int = doc(3, "Most replicas the HPA makes", minimum=1)
    targetCPUUtilizationPercentage: int = doc(60, "Average CPU to aim at, % of request", minimum=1)


@dataclass(frozen=True)
class Pdb:
    enabled: bool = doc(False, "Create a PodDisruptionBudget")
    maxUnavailable: int = doc(1, "Pods a voluntary disruption may take at once", minimum=0)


@dataclass(frozen=True)
class Security:
    runAsUser: int = doc(10001, "UID of the container process (non-root)", minimum=1)
    runAsGroup: int = doc(10001, "GID of the container process", minimum=1)
    fsGroup: int = doc(10001, "Group that owns mounted volumes", minimum=1)
    readOnlyRootFilesystem: bool = doc(True, "Mount the image read-only; /tmp is an emptyDir")


@dataclass(frozen=True)
class IngressTls:
    secretName: str = doc(
        "", "Secret holding the host's certificate (cert-manager fills it); empty: plain HTTP"
    )
    clusterIssuer: str = doc(
        "", "ClusterIssuer of cert-manager that issues the certificate; empty: none (bring it)"
    )
    sslRedirect: bool = doc(
        True,
        "Redirect HTTP to HTTPS with TLS on (ingress-nginx's force-ssl-redirect annotation; "
        "other controllers: see the chart README)",
    )


@dataclass(frozen=True)
class Ingress:
    enabled: bool = doc(False, "Expose the gateway through an Ingress (the public entry)")
    className: str = doc("", "IngressClass; empty: the cluster's default")
    host: str = doc("movies.local", "Host name routed to the gateway")
    tls: IngressTls = part(IngressTls, "HTTPS at the Ingress")
    annotations: dict[str, str] = doc({}, "More annotations, for the controller in use")


@dataclass(frozen=True)
class GatewayAuth:
    enabled: bool = doc(False, "Writes need a bearer token (env API_TOKENS); reads stay open")
    existingSecret: str = doc(
        "", "Secret holding the tokens; empty: gateway-secrets, one token generated at install"
    )
    existingSecretKey: str = doc(
        "API_TOKENS", "Key of existingSecret holding the comma-separated tokens"
    )


@dataclass(frozen=True)
class GatewayService:
    type: ServiceType = doc("NodePort", "Service type; NodePort exposes nodePort on every node")
    port: int = doc(contract.GATEWAY.port, "Port the Service answers on", minimum=1)
    nodePort: int = doc(
        contract.GATEWAY_NODE_PORT, "Node port when type is NodePort", minimum=30000
    )


@dataclass(frozen=True)
class ClusterService:
    port: int = doc(contract.INVENTORY.port, "Port the Service answers on", minimum=1)


@dataclass(frozen=True)
class App:
    """One of the three Python services."""

    image: AppImage = part(AppImage, "Image of this app (registry and tag are global)")
    containerPort: int = doc(
        contract.INVENTORY.port, "Port the process listens on (env PORT)", minimum=1
    )
    replicas: int = doc(1, "Replicas to run when autoscaling is off", minimum=0)
    resources: Resources = part(partial(resources, "50m", "96Mi", "500m", "256Mi"), "CPU and RAM")
    probes: Probes = part(
        Probes,
        "Probe timings: /healthz liveness (the process serves); /readyz readiness, and ready "
        "means this pod can do its own work",
    )
    autoscaling: Autoscaling = part(Autoscaling, "HorizontalPodAutoscaler on CPU")
    pdb: Pdb = part(Pdb, "PodDisruptionBudget that bounds voluntary evictions")
    podAntiAffinityPreset: AntiAffinity = doc("", "Spread replicas over nodes: soft or hard")
    nodeSelector: dict[str, str] = doc({}, "Node labels the pods must match")
    securityContext: Security = part(Security, "Pod and container security settings")


@dataclass(frozen=True)
class Gateway(App):
    image: AppImage = part(
        partial(AppImage, contract.image_repository(contract.GATEWAY)), "Image of the gateway"
    )
    containerPort: int = doc(
        contract.GATEWAY.port, "Port the process listens on (env PORT)", minimum=1
    )
    service: GatewayService = part(GatewayService, "The gateway's Service, the public entry")
    ingress: Ingress = part(Ingress, "Ingress to the gateway (prod; vagrant uses the NodePort)")
    auth: GatewayAuth = part(GatewayAuth, "Bearer tokens for the writes")


@dataclass(frozen=True)
class Inventory(App):
    image: AppImage = part(
        partial(AppImage, contract.image_repository(contract.INVENTORY)), "Image of inventory"
    )
    service: ClusterService = part(ClusterService, "ClusterIP Service the gateway calls")


@dataclass(frozen=True)
class Billing(App):
    image: AppImage = part(
        partial(AppImage, contract.image_repository(contract.BILLING)), "Image of billing"
    )
    service: ClusterService = part(ClusterService, "Headless Service of the StatefulSet")


@dataclass(frozen=True)
class Persistence:
    size: str = doc("5Gi", "Size of the volume claim")
    storageClass: str = doc("", "StorageClass of the claim; empty: the cluster's default")


@dataclass(frozen=True)
class DbAuth:
    database: str = doc("", "Name of the app's database, in every mode")
    username: str = doc("", "User the app connects as (bundled; operator: the owner)")
    password: str = doc(
        "", "Password (bundled only); empty: generated at install and kept on upgrade"
    )


@dataclass(frozen=True)
class PostgresOperator:
    instances: int = doc(3, "PostgreSQL instances: one primary, the rest standbys", minimum=1)
    synchronousStandbys: int = doc(
        1, "Standbys that must confirm each commit (synchronous replication, any)", minimum=1
    )
    imageName: str = doc("", "PostgreSQL image of the instances; empty: the operator's default")


@dataclass(frozen=True)
class External:
    """A managed service, bitnami's externalDatabase convention."""

    host: str = doc("", "Host name of the managed service")
    port: int = doc(contract.INVENTORY_DB.port, "Port of the managed service", minimum=1)
    existingSecret: str = doc("", "Secret (made outside the chart) holding the user and password")
    existingSecretUserKey: str = doc("username", "Key of the user in existingSecret")
    existingSecretPasswordKey: str = doc("password", "Key of the password in existingSecret")


@dataclass(frozen=True)
class Database:
    """The PostgreSQL of one app, in one of three modes."""

    mode: BackendMode = doc("bundled", MODE_DOC)
    operator: PostgresOperator = part(
        PostgresOperator,
        "With mode operator: a CloudNativePG Cluster of this name (Service <name>-rw, Secret "
        "<name>-app); its volumes and resources are persistence.* and resources.*",
    )
    external: External = part(External, "With mode external: the managed PostgreSQL")
    image: InfraImage = part(partial(InfraImage, "postgres", "17.6"), "PostgreSQL image")
    auth: DbAuth = part(DbAuth, "Credentials (stored in the Secret db-secrets)")
    persistence: Persistence = part(Persistence, "Data volume (volumeClaimTemplate)")
    service: ClusterService = part(
        partial(ClusterService, contract.INVENTORY_DB.port), "Headless Service port"
    )
    resources: Resources = part(partial(resources, "100m", "256Mi", "1", "512Mi"), "CPU and RAM")
    probes: StartupProbes = part(
        partial(stateful_probes, Probe(0, 20, 5, 6), Probe(0, 10, 5, 3)),
        "Probe timings (pg_isready); startup covers a first initdb on a slow disk",
    )
    nodeSelector: dict[str, str] = doc({}, "Node labels the pod must match")
    securityContext: Security = part(
        partial(Security, 999, 999, 999, True), "The postgres image runs as uid/gid 999"
    )


@dataclass(frozen=True)
class InventoryDb(Database):
    auth: DbAuth = part(
        partial(DbAuth, contract.INVENTORY_DATABASE, "inventory"), "Credentials (db-secrets)"
    )


@dataclass(frozen=True)
class BillingDb(Database):
    auth: DbAuth = part(
        partial(DbAuth, contract.BILLING_DATABASE, "billing"), "Credentials (db-secrets)"
    )


@dataclass(frozen=True)
class RabbitAuth:
    username: str = doc("movies", "User of the gateway and billing")
    password: str = doc("", "Password; empty: generated at install and kept on upgrade")


@dataclass(frozen=True)
class RabbitOperator:
    replicas: int = doc(3, "RabbitMQ nodes, each on its own Kubernetes node", minimum=1)
    image: str = doc("", "RabbitMQ image of the nodes; empty: the operator's default")


@dataclass(frozen=True)
class RabbitService:
    amqpPort: int = doc(contract.RABBITMQ.port, "Port the apps connect to over AMQP", minimum=1)
    managementPort: int = doc(
        contract.RABBITMQ_MANAGEMENT_PORT, "Management UI and HTTP API port", minimum=1
    )


@dataclass(frozen=True)
class RabbitMq:
    mode: BackendMode = doc("bundled", MODE_DOC)
    operator: RabbitOperator = part(
        RabbitOperator,
        "With mode operator: a RabbitmqCluster of this name (Service rabbitmq, Secret "
        "rabbitmq-default-user, vhost /); its volumes and resources are persistence.* and "
        "resources.*",
    )
    external: External = part(
        partial(External, port=contract.RABBITMQ.port), "With mode external: the managed RabbitMQ"
    )
    image: InfraImage = part(partial(InfraImage, "rabbitmq", "4.1-management"), "RabbitMQ image")
    auth: RabbitAuth = part(RabbitAuth, "Credentials (stored in the Secret rabbitmq-secrets)")
    vhost: str = doc("/", "Virtual host the apps use")
    queue: str = doc(contract.BILLING_QUEUE, "Durable queue from the gateway to billing")
    nodeName: str = doc("rabbit@localhost", "Fixed Erlang node name, so data survives new pods")
    persistence: Persistence = part(partial(Persistence, "1Gi"), "Data volume (a PVC)")
    service: RabbitService = part(RabbitService, "Ports of the rabbitmq Service")
    resources: Resources = part(partial(resources, "100m", "256Mi", "1", "512Mi"), "CPU and RAM")
    probes: StartupProbes = part(
        partial(stateful_probes, Probe(0, 30, 10, 6), Probe(0, 10, 5, 3)),
        "Probe timings (TCP: liveness on the management port, readiness on AMQP)",
    )
    memoryHighWatermark: str = doc(
        "384MiB",
        "Absolute memory alarm (RabbitMQ units, e.g. 384MiB); keep it below the memory limit",
    )
    nodeSelector: dict[str, str] = doc({}, "Node labels the pod must match")
    securityContext: Security = part(
        partial(Security, 999, 999, 999, True), "The rabbitmq image runs as uid/gid 999"
    )


@dataclass(frozen=True)
class ExistingSecrets:
    db: str = doc("", "Secret to use instead of db-secrets (keys as in db-secrets)")
    rabbitmq: str = doc("", "Secret to use instead of rabbitmq-secrets")


@dataclass(frozen=True)
class NetworkPolicy:
    enabled: bool = doc(True, "Deny all ingress but the traffic each component needs")
    metricsNamespace: str = doc("monitoring", "Namespace allowed to scrape /metrics (with SM)")
    cloudnativepgNamespace: str = doc(
        "cnpg-system", "Namespace of the CloudNativePG operator, which reaches its instances"
    )
    rabbitmqOperatorNamespace: str = doc(
        "rabbitmq-system", "Namespace of the RabbitMQ Cluster Operator, which reaches its nodes"
    )


@dataclass(frozen=True)
class ServiceMonitor:
    enabled: bool = doc(
        False, "Create a ServiceMonitor when the cluster has the Prometheus Operator CRDs"
    )
    interval: str = doc("30s", "How often Prometheus scrapes each app")
    labels: dict[str, str] = doc(
        {"release": "kube-prometheus-stack"},
        "Labels Prometheus selects ServiceMonitors by (kube-prometheus-stack: its release name)",
    )


@dataclass(frozen=True)
class Dashboard:
    enabled: bool = doc(False, "Create a ConfigMap holding a Grafana dashboard")
    label: str = doc("grafana_dashboard", "Label Grafana's sidecar looks for (value 1)")


@dataclass(frozen=True)
class Metrics:
    port: int = doc(
        contract.METRICS_PORT,
        "Port of /metrics in every app (env METRICS_PORT): in-cluster only, on the Services "
        "<app>-metrics, never on the NodePort or the Ingress",
        minimum=1,
    )
    serviceMonitor: ServiceMonitor = part(ServiceMonitor, "Prometheus Operator scraping")
    dashboard: Dashboard = part(Dashboard, "Grafana dashboard of the /metrics")


@dataclass(frozen=True)
class Values:
    """The chart's values: what values.yaml holds, key for key."""

    image: GlobalImage = part(GlobalImage, "Settings shared by the three app images")
    gateway: Gateway = part(Gateway, "api-gateway: the only public entry point")
    inventory: Inventory = part(Inventory, "inventory-app: movies CRUD on inventory-db")
    billing: Billing = part(Billing, "billing-app: consumes billing_queue into billing-db")
    inventoryDb: InventoryDb = part(InventoryDb, "inventory-db: PostgreSQL of inventory")
    billingDb: BillingDb = part(BillingDb, "billing-db: PostgreSQL of billing")
    rabbitmq: RabbitMq = part(RabbitMq, "rabbitmq: the broker between gateway and billing")
    existingSecrets: ExistingSecrets = part(ExistingSecrets, "Secrets made outside the chart")
    networkPolicy: NetworkPolicy = part(NetworkPolicy, "NetworkPolicies around the release's pods")
    metrics: Metrics = part(Metrics, "Prometheus and Grafana integration")
