"""The bundled backends: two PostgreSQL StatefulSets and the RabbitMQ broker, each
rendered only while its backend's mode is bundled."""

from __future__ import annotations

from cdk8s_plus_33 import k8s
from constructs import Construct

from generator.chart import pods
from generator.chart.backends import Backend
from generator.chart.render import Helm, Insert, Templates
from generator.chart.wiring import (
    RABBITMQ_SERVER_ENV,
    FromConfig,
    FromSecret,
    Source,
    postgres_env,
)
from generator.chart.workloads import (
    CONTAINER,
    POD,
    Component,
    Service,
    pod_spec,
    selector,
    template_meta,
)
from services import contract

PGDATA = "/var/lib/postgresql/data"
RABBITMQ_CONFIG = "rabbitmq-config"
# conf.d is read after the image's own 10-defaults.conf, which this file only adds to.
RABBITMQ_CONF_FILE = "20-movies.conf"
RABBITMQ_CONF_DIR = "/etc/rabbitmq/conf.d"


def _image(helm: Helm, key: str) -> str:
    return helm.text(
        f'printf "%s:%s" $.Values.{key}.image.repository $.Values.{key}.image.tag | quote'
    )


def _storage_class(key: str, path: tuple[str | int, ...]) -> Insert:
    return Insert(
        path,
        f"{{{{- with $.Values.{key}.persistence.storageClass }}}}\n"
        "storageClassName: {{ . | quote }}\n{{- end }}",
    )


def _claim_spec(helm: Helm, key: str) -> k8s.PersistentVolumeClaimSpec:
    size = k8s.Quantity.from_string(helm.value(f"{key}.persistence.size"))
    return k8s.PersistentVolumeClaimSpec(
        access_modes=["ReadWriteOnce"],
        resources=k8s.VolumeResourceRequirements(requests={"storage": size}),
    )


def _mounts(**paths: str) -> list[k8s.VolumeMount]:
    return [k8s.VolumeMount(name=name, mount_path=path) for name, path in paths.items()]


def _standard_inserts(db: Component) -> list[Insert]:
    return [
        pods.object_labels(db.name, db.component),
        Insert(("spec", "template", "metadata"), pods.pod_labels(db.name, db.component)),
        *pods.container_inserts(db.key, CONTAINER),
        *pods.scheduling_inserts(db.key, db.name, POD),
    ]


class Database(Construct):
    """PostgreSQL for one app: a StatefulSet, so its volume follows the pod, behind a
    headless Service (clients connect to the pod itself, so the Service port is the
    port PostgreSQL listens on). Never scaled: one writer per database."""

    def __init__(
        self, scope: Construct, *, out: Templates, db: Component, backend: Backend
    ) -> None:
        super().__init__(scope, db.name)
        prefix = backend.prefix
        bundled = backend.when("bundled")
        helm = out.helm
        env: dict[str, Source] = {
            **postgres_env(prefix),
            "PGPORT": FromConfig(f"{prefix}_PORT"),
            # A plain `psql` in the container (kubectl exec ... -- sh) connects as the
            # chart's user to its database: the image creates no `postgres` role here.
            "PGUSER": FromSecret("db", f"{prefix}_USER"),
            "PGDATABASE": FromConfig(f"{prefix}_NAME"),
        }
        # TCP, not the socket: during initdb the image's temporary server listens on the
        # socket only, so this passes once the real server is up.
        ready = pods.exec_command(
            'pg_isready -U "$POSTGRES_USER" -d "$POSTGRES_DB" -h 127.0.0.1 -p "$PGPORT"'
        )
        container = k8s.Container(
            name="postgres",
            image=_image(helm, db.key),
            image_pull_policy=helm.value(f"{db.key}.image.pullPolicy"),
            ports=[
                k8s.ContainerPort(
                    name="postgres", container_port=helm.number(f"{db.key}.service.port")
                )
            ],
            env=[*pods.env(helm, env), k8s.EnvVar(name="PGDATA", value=f"{PGDATA}/pgdata")],
            startup_probe=pods.probe(helm, db.key, "startup", exec=ready),
            liveness_probe=pods.probe(helm, db.key, "liveness", exec=ready),
            readiness_probe=pods.probe(helm, db.key, "readiness", exec=ready),
            security_context=pods.container_security(),
            volume_mounts=_mounts(data=PGDATA, tmp=pods.TMP, run="/var/run/postgresql"),
        )
        volumes = [pods.tmp_volume(), pods.tmp_volume("run")]
        claim = k8s.KubePersistentVolumeClaimProps(
            metadata=k8s.ObjectMeta(name="data"), spec=_claim_spec(helm, db.key)
        )
        statefulset = k8s.KubeStatefulSet(
            self,
            "workload",
            metadata=pods.metadata(helm, db.name),
            spec=k8s.StatefulSetSpec(
                service_name=db.name,
                replicas=1,
                selector=k8s.LabelSelector(match_labels=selector(helm, db.name)),
                template=k8s.PodTemplateSpec(
                    metadata=template_meta(helm, env),
                    spec=pod_spec(helm, db.key, [container], volumes),
                ),
                volume_claim_templates=[claim],
            ),
        )
        inserts = [
            *_standard_inserts(db),
            _storage_class(db.key, ("spec", "volumeClaimTemplates", 0, "spec")),
        ]
        out.add(db.file, statefulset, when=bundled, inserts=inserts)
        ports = [("postgres", f"{db.key}.service.port", "postgres")]
        Service(self, out=out, app=db, shape="headless", ports=ports, when=bundled)


class RabbitMq(Construct):
    """The broker: a single-replica Deployment with strategy Recreate (two brokers must
    never share the volume), a PersistentVolumeClaim for the durable queue, and a fixed
    Erlang node name, so a new pod finds the data the last one wrote."""

    def __init__(
        self, scope: Construct, *, out: Templates, broker: Component, backend: Backend
    ) -> None:
        super().__init__(scope, broker.name)
        helm = out.helm
        key = broker.key
        self.bundled = backend.when("bundled")
        self._config(out, broker)
        amqp = pods.tcp_socket("amqp")
        container = k8s.Container(
            name="rabbitmq",
            image=_image(helm, key),
            image_pull_policy=helm.value(f"{key}.image.pullPolicy"),
            ports=[
                k8s.ContainerPort(name="amqp", container_port=contract.RABBITMQ.port),
                k8s.ContainerPort(
                    name="management", container_port=contract.RABBITMQ_MANAGEMENT_PORT
                ),
            ],
            env=[
                *pods.env(helm, RABBITMQ_SERVER_ENV),
                k8s.EnvVar(name="RABBITMQ_NODENAME", value=helm.value(f"{key}.nodeName")),
            ],
            # TCP checks: rabbitmq-diagnostics starts an Erlang VM per check. The listeners
            # open only once the broker has booted; the management one is served by the
            # same VM, so a wedged node stops answering it.
            startup_probe=pods.probe(helm, key, "startup", tcp_socket=amqp),
            liveness_probe=pods.probe(
                helm, key, "liveness", tcp_socket=pods.tcp_socket("management")
            ),
            readiness_probe=pods.probe(helm, key, "readiness", tcp_socket=amqp),
            security_context=pods.container_security(),
            volume_mounts=[
                *_mounts(data="/var/lib/rabbitmq", tmp=pods.TMP, logs="/var/log/rabbitmq"),
                k8s.VolumeMount(
                    name="config",
                    mount_path=f"{RABBITMQ_CONF_DIR}/{RABBITMQ_CONF_FILE}",
                    sub_path=RABBITMQ_CONF_FILE,
                    read_only=True,
                ),
            ],
        )
        volumes = [
            k8s.Volume(
                name="data",
                persistent_volume_claim=k8s.PersistentVolumeClaimVolumeSource(
                    claim_name=f"{broker.name}-data"
                ),
            ),
            pods.tmp_volume(),
            pods.tmp_volume("logs"),
            k8s.Volume(name="config", config_map=k8s.ConfigMapVolumeSource(name=RABBITMQ_CONFIG)),
        ]
        self._claim(out, broker)
        deployment = k8s.KubeDeployment(
            self,
            "workload",
            metadata=pods.metadata(helm, broker.name),
            spec=k8s.DeploymentSpec(
                replicas=1,
                strategy=k8s.DeploymentStrategy(type="Recreate"),
                selector=k8s.LabelSelector(match_labels=selector(helm, broker.name)),
                template=k8s.PodTemplateSpec(
                    metadata=template_meta(
                        helm, RABBITMQ_SERVER_ENV, files=[f"{RABBITMQ_CONFIG}.yaml"]
                    ),
                    spec=pod_spec(helm, key, [container], volumes),
                ),
            ),
        )
        out.add(broker.file, deployment, when=self.bundled, inserts=_standard_inserts(broker))
        ports = [
            ("amqp", f"{key}.service.amqpPort", "amqp"),
            ("management", f"{key}.service.managementPort", "management"),
        ]
        Service(self, out=out, app=broker, shape="clusterip", ports=ports, when=self.bundled)

    def _config(self, out: Templates, broker: Component) -> None:
        """An absolute memory alarm below the container's limit: sized from the node's
        memory, the alarm would fire after the kernel's OOM killer."""
        watermark = out.helm.text(
            'printf "vm_memory_high_watermark.absolute = %s\\n" '
            f"$.Values.{broker.key}.memoryHighWatermark | quote"
        )
        config = k8s.KubeConfigMap(
            self,
            "config",
            metadata=pods.metadata(out.helm, RABBITMQ_CONFIG),
            data={RABBITMQ_CONF_FILE: watermark},
        )
        inserts = [pods.object_labels(RABBITMQ_CONFIG, broker.component)]
        out.add(f"{RABBITMQ_CONFIG}.yaml", config, when=self.bundled, inserts=inserts)

    def _claim(self, out: Templates, broker: Component) -> None:
        claim = k8s.KubePersistentVolumeClaim(
            self,
            "claim",
            metadata=pods.metadata(out.helm, f"{broker.name}-data"),
            spec=_claim_spec(out.helm, broker.key),
        )
        inserts = [
            pods.object_labels(broker.name, broker.component),
            _storage_class(broker.key, ("spec",)),
        ]
        out.add(broker.file, claim, when=self.bundled, inserts=inserts)
