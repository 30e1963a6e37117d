"""The backends in operator mode: a CloudNativePG ``Cluster`` per database and a
``RabbitmqCluster`` for the broker. The operators make the StatefulSets, Services and
Secrets from them; ``backends`` names those for the apps.

Both spread their pods over nodes (a node lost takes one replica), and each database
commits only once a standby has the commit too (synchronous replication), so a failover
loses nothing that was answered.
"""

from __future__ import annotations

from typing import Any

import cdk8s
from constructs import Construct

from generator.chart import pods
from generator.chart.backends import Backend
from generator.chart.render import Insert, Templates
from generator.chart.workloads import Component

CNPG_API = "postgresql.cnpg.io/v1"
RABBITMQ_API = "rabbitmq.com/v1beta1"
HOSTNAME = "kubernetes.io/hostname"


def _with(key: str, path: str, name: str) -> str:
    """A line set only when its value is not empty."""
    return f"{{{{- with $.Values.{key}.{path} }}}}\n{name}: {{{{ . | quote }}}}\n{{{{- end }}}}"


def _resources(key: str) -> str:
    return f"resources: {{{{- toYaml $.Values.{key}.resources | nindent NINDENT }}}}"


def _operated(
    scope: Construct,
    out: Templates,
    *,
    component: Component,
    backend: Backend,
    api_version: str,
    kind: str,
    spec: Any,
    image_field: str,
    storage: tuple[str, str],
) -> None:
    """Add one custom resource of operator mode: ``spec``, plus the image, resources and
    StorageClass set from values (``storage``: the object holding the volume settings and
    the name of its StorageClass field)."""
    key = component.key
    resource = cdk8s.ApiObject(
        scope,
        kind.lower(),
        api_version=api_version,
        kind=kind,
        metadata=cdk8s.ApiObjectMetadata(
            name=component.name, namespace=out.helm.text(".Release.Namespace | quote")
        ),
    )
    resource.add_json_patch(cdk8s.JsonPatch.add("/spec", spec))
    volume, storage_class = storage
    inserts = [
        pods.object_labels(component.name, component.component),
        Insert(("spec",), _with(key, f"operator.{image_field}", image_field)),
        Insert(("spec",), _resources(key)),
        Insert(("spec", volume), _with(key, "persistence.storageClass", storage_class)),
    ]
    out.add(component.file, resource, when=backend.when("operator"), inserts=inserts)


class PostgresCluster(Construct):
    """A CloudNativePG Cluster: one primary and its standbys, each on its own node, with
    the app's database and owner made at bootstrap (the Secret ``<name>-app``)."""

    def __init__(
        self, scope: Construct, *, out: Templates, db: Component, backend: Backend
    ) -> None:
        super().__init__(scope, f"{db.name}-cluster")
        helm, key = out.helm, db.key
        spec = {
            "instances": helm.number(f"{key}.operator.instances"),
            "postgresql": {
                "synchronous": {
                    "method": "any",
                    "number": helm.number(f"{key}.operator.synchronousStandbys"),
                    "dataDurability": "required",
                }
            },
            "affinity": {
                "enablePodAntiAffinity": True,
                "podAntiAffinityType": "required",
                "topologyKey": HOSTNAME,
            },
            "bootstrap": {
                "initdb": {
                    "database": helm.value(f"{key}.auth.database"),
                    "owner": helm.value(f"{key}.auth.username"),
                }
            },
            "storage": {"size": helm.value(f"{key}.persistence.size")},
        }
        _operated(
            self,
            out,
            component=db,
            backend=backend,
            api_version=CNPG_API,
            kind="Cluster",
            spec=spec,
            image_field="imageName",
            storage=("storage", "storageClass"),
        )


class RabbitCluster(Construct):
    """A RabbitmqCluster: its nodes on different nodes, each with its volume, and the
    memory alarm below the container's limit as in bundled mode."""

    def __init__(
        self, scope: Construct, *, out: Templates, broker: Component, backend: Backend
    ) -> None:
        super().__init__(scope, f"{broker.name}-cluster")
        helm, key = out.helm, broker.key
        spread = {
            "topologyKey": HOSTNAME,
            "labelSelector": {"matchLabels": {"app.kubernetes.io/name": broker.name}},
        }
        spec = {
            "replicas": helm.number(f"{key}.operator.replicas"),
            "persistence": {"storage": helm.value(f"{key}.persistence.size")},
            "rabbitmq": {
                "additionalConfig": helm.text(
                    'printf "vm_memory_high_watermark.absolute = %s" '
                    f"$.Values.{key}.memoryHighWatermark | quote"
                )
            },
            "affinity": {
                "podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [spread]}
            },
        }
        _operated(
            self,
            out,
            component=broker,
            backend=backend,
            api_version=RABBITMQ_API,
            kind="RabbitmqCluster",
            spec=spec,
            image_field="image",
            storage=("persistence", "storageClassName"),
        )
