"""The workloads of the system: three apps, two PostgreSQL StatefulSets, RabbitMQ.

One template file per component (as microservices-demo does): its workload and Service,
plus its HPA. PodDisruptionBudgets go to the toggleable ``pdb.yaml`` (as bitnami does).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from cdk8s_plus_33 import k8s
from constructs import Construct

from generator.chart import pods
from generator.chart.render import Helm, Insert, Templates
from generator.chart.wiring import CONFIG_MAP, FromConfig, Source

POD = ("spec", "template", "spec")
CONTAINER = (*POD, "containers", 0)
ServiceShape = Literal["nodeport", "clusterip", "headless"]


def selector(helm: Helm, name: str) -> dict[str, str]:
    """Labels that never change across upgrades: a Deployment's selector is immutable."""
    return {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/instance": helm.text(".Release.Name"),
    }


def template_meta(
    helm: Helm, env: Mapping[str, Source], *, files: Sequence[str] = ()
) -> k8s.ObjectMeta:
    """Checksums of the configuration a pod reads: the app-config keys of its ``env`` and
    the whole data of each ConfigMap template in ``files`` (read only at start, so a change
    must roll the pods; nothing else, labels included, may roll them)."""
    keys = " ".join(f'"{key}"' for key in sorted(config_keys(env)))
    annotations = {
        "checksum/config": _checksum(helm, f'"file" "{CONFIG_MAP}.yaml" "keys" (list {keys})')
    }
    for file in files:
        annotations[f"checksum/{file.removesuffix('.yaml')}"] = _checksum(helm, f'"file" "{file}"')
    return k8s.ObjectMeta(annotations=annotations)


def config_keys(env: Mapping[str, Source]) -> set[str]:
    return {source.key for source in env.values() if isinstance(source, FromConfig)}


def _checksum(helm: Helm, arguments: str) -> str:
    return helm.text(f'include "movies.dataChecksum" (dict {arguments} "ctx" $)')


@dataclass(frozen=True)
class Component:
    """A workload's identity: object name, values key, label component, template file."""

    name: str
    key: str
    component: str

    @property
    def file(self) -> str:
        return f"{self.name}.yaml"


class AppWorkload(Construct):
    """One Python service: Deployment or StatefulSet, Service, HPA and PDB.

    Stateless apps are Deployments. Billing is a StatefulSet so each replica has a stable
    identity in the broker and in logs while it drains its in-flight messages.
    """

    def __init__(
        self,
        scope: Construct,
        *,
        out: Templates,
        app: Component,
        stateful: bool,
        service: ServiceShape,
        env: Mapping[str, Source],
        env_items: Sequence[str] = (),
    ) -> None:
        super().__init__(scope, app.name)
        helm = out.helm
        spec = self._pod(helm, app, env)
        template = k8s.PodTemplateSpec(metadata=template_meta(helm, env), spec=spec)
        workload = self._workload(helm, app, template, stateful=stateful)
        inserts = [
            pods.object_labels(app.name, app.component),
            Insert(("spec", "template", "metadata"), pods.pod_labels(app.name, app.component)),
            Insert(("spec",), _replicas(app.key)),
            *pods.container_inserts(app.key, CONTAINER),
            *pods.scheduling_inserts(app.key, app.name, POD),
            *(Insert((*CONTAINER, "env"), item) for item in env_items),
        ]
        out.add(app.file, workload, inserts=inserts)
        ports = [("http", f"{app.key}.service.port", "http")]
        Service(self, out=out, app=app, shape=service, ports=ports)
        # /metrics has a ClusterIP Service of its own, so no NodePort or Ingress reaches it.
        metrics = [("metrics", "metrics.port", "metrics")]
        Service(self, out=out, app=app, shape="clusterip", ports=metrics, suffix="-metrics")
        Autoscaler(self, out=out, app=app, kind="StatefulSet" if stateful else "Deployment")
        Budget(self, out=out, app=app)

    def _pod(self, helm: Helm, app: Component, env: Mapping[str, Source]) -> k8s.PodSpec:
        ports = [
            k8s.ContainerPort(name="http", container_port=helm.number(f"{app.key}.containerPort")),
            k8s.ContainerPort(name="metrics", container_port=helm.number("metrics.port")),
        ]
        container = k8s.Container(
            name=app.name,
            image=helm.text(
                f'include "movies.appImage" (dict "repository" $.Values.{app.key}'
                '.image.repository "ctx" $) | quote'
            ),
            image_pull_policy=helm.value("image.pullPolicy"),
            ports=ports,
            env=pods.env(helm, env),
            liveness_probe=pods.probe(
                helm, app.key, "liveness", http_get=pods.http_get("/healthz", "http")
            ),
            readiness_probe=pods.probe(
                helm, app.key, "readiness", http_get=pods.http_get("/readyz", "http")
            ),
            security_context=pods.container_security(),
            volume_mounts=[k8s.VolumeMount(name="tmp", mount_path=pods.TMP)],
        )
        return pod_spec(helm, app.key, [container], [pods.tmp_volume()])

    def _workload(
        self, helm: Helm, app: Component, template: k8s.PodTemplateSpec, *, stateful: bool
    ) -> k8s.KubeDeployment | k8s.KubeStatefulSet:
        match_labels = k8s.LabelSelector(match_labels=selector(helm, app.name))
        meta = pods.metadata(helm, app.name)
        if stateful:
            return k8s.KubeStatefulSet(
                self,
                "workload",
                metadata=meta,
                spec=k8s.StatefulSetSpec(
                    service_name=app.name,
                    selector=match_labels,
                    template=template,
                    pod_management_policy="Parallel",
                ),
            )
        return k8s.KubeDeployment(
            self,
            "workload",
            metadata=meta,
            spec=k8s.DeploymentSpec(selector=match_labels, template=template),
        )


def pod_spec(
    helm: Helm, key: str, containers: list[k8s.Container], volumes: list[k8s.Volume]
) -> k8s.PodSpec:
    return k8s.PodSpec(
        automount_service_account_token=False,
        # Service links would inject RABBITMQ_PORT=tcp://... and the like, which clash with
        # the variables the services and the rabbitmq image read.
        enable_service_links=False,
        security_context=pods.pod_security(helm, key),
        containers=containers,
        volumes=volumes,
    )


def _replicas(key: str) -> str:
    # Under an HPA the replica count is the HPA's: an upgrade must not reset it.
    return (
        f"{{{{- if not $.Values.{key}.autoscaling.enabled }}}}\n"
        f"replicas: {{{{ $.Values.{key}.replicas }}}}\n{{{{- end }}}}"
    )


class Service(Construct):
    """The Service in front of a workload; ports target the pods' named ports."""

    def __init__(
        self,
        scope: Construct,
        *,
        out: Templates,
        app: Component,
        shape: ServiceShape,
        ports: list[tuple[str, str, str]],
        when: str | None = None,
        suffix: str = "",
    ) -> None:
        super().__init__(scope, f"service{suffix}")
        name = f"{app.name}{suffix}"
        helm = out.helm
        service_ports = [
            k8s.ServicePort(
                name=name,
                port=helm.number(path),
                protocol="TCP",
                target_port=k8s.IntOrString.from_string(target),
            )
            for name, path, target in ports
        ]
        inserts = [pods.object_labels(name, app.component)]
        cluster_ip: str | None = None  # None: left out of the manifest
        service_type: str | None = None
        if shape == "headless":
            cluster_ip = "None"  # clients reach each pod by its own DNS name
        if shape == "nodeport":
            service_type = helm.text(f".Values.{app.key}.service.type | quote")
            inserts.append(Insert(("spec", "ports", 0), _node_port(app.key)))
        spec = k8s.ServiceSpec(
            selector=selector(helm, app.name),
            ports=service_ports,
            cluster_ip=cluster_ip,
            type=service_type,
        )
        service = k8s.KubeService(self, "svc", metadata=pods.metadata(helm, name), spec=spec)
        out.add(app.file, service, when=when, inserts=inserts)


def _node_port(key: str) -> str:
    return (
        f'{{{{- if eq $.Values.{key}.service.type "NodePort" }}}}\n'
        f"nodePort: {{{{ $.Values.{key}.service.nodePort }}}}\n{{{{- end }}}}"
    )


class Autoscaler(Construct):
    """``<name>-hpa``: scales on CPU, measured against the container's CPU request."""

    def __init__(self, scope: Construct, *, out: Templates, app: Component, kind: str) -> None:
        super().__init__(scope, "hpa")
        helm = out.helm
        scaling = f"{app.key}.autoscaling"
        target = k8s.MetricTargetV2(
            type="Utilization",
            average_utilization=helm.number(f"{scaling}.targetCPUUtilizationPercentage"),
        )
        hpa = k8s.KubeHorizontalPodAutoscalerV2(
            self,
            "hpa",
            metadata=pods.metadata(helm, f"{app.name}-hpa"),
            spec=k8s.HorizontalPodAutoscalerSpecV2(
                scale_target_ref=k8s.CrossVersionObjectReferenceV2(
                    api_version="apps/v1", kind=kind, name=app.name
                ),
                min_replicas=helm.number(f"{scaling}.minReplicas"),
                max_replicas=helm.number(f"{scaling}.maxReplicas"),
                metrics=[
                    k8s.MetricSpecV2(
                        type="Resource",
                        resource=k8s.ResourceMetricSourceV2(name="cpu", target=target),
                    )
                ],
            ),
        )
        out.add(
            app.file,
            hpa,
            when=f".Values.{scaling}.enabled",
            inserts=[pods.object_labels(app.name, app.component)],
        )


class Budget(Construct):
    """A PodDisruptionBudget: drains and upgrades keep the rest of the replicas serving."""

    def __init__(self, scope: Construct, *, out: Templates, app: Component) -> None:
        super().__init__(scope, "pdb")
        helm = out.helm
        budget = k8s.KubePodDisruptionBudget(
            self,
            "pdb",
            metadata=pods.metadata(helm, app.name),
            spec=k8s.PodDisruptionBudgetSpec(
                max_unavailable=k8s.IntOrString.from_number(
                    helm.number(f"{app.key}.pdb.maxUnavailable")
                ),
                selector=k8s.LabelSelector(match_labels=selector(helm, app.name)),
            ),
        )
        out.add(
            "pdb.yaml",
            budget,
            when=f".Values.{app.key}.pdb.enabled",
            inserts=[pods.object_labels(app.name, app.component)],
        )
