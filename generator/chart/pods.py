"""Pod-spec parts shared by every workload: security, probes, env, labels, scheduling.

Fixed here, not in values: what the "restricted" Pod Security Standard demands (non-root,
no privilege escalation, no capabilities, seccomp RuntimeDefault, no service account
token). Tunable in values: uids, the read-only root filesystem, resources, probe timings.
"""

from __future__ import annotations

from collections.abc import Mapping

from cdk8s_plus_33 import k8s

from generator.chart.render import Helm, Insert
from generator.chart.wiring import (
    CONFIG_MAP,
    DB_SECRET,
    RABBITMQ_SECRET,
    FromConfig,
    FromCredential,
    Source,
)

SECRET_NAMES = {"db": DB_SECRET, "rabbitmq": RABBITMQ_SECRET}
TMP = "/tmp"  # noqa: S108  (an emptyDir inside the pod, not a shared /tmp here)


def labels(name: str, component: str) -> str:
    return (
        'labels: {{- include "movies.labels" (dict "name" "'
        + name
        + '" "component" "'
        + component
        + '" "ctx" $) | nindent NINDENT }}'
    )


def pod_labels(name: str, component: str) -> str:
    """A pod template's labels: none that changes with the chart's version, so an upgrade
    that changes nothing a pod uses restarts no pod."""
    return (
        'labels: {{- include "movies.podLabels" (dict "name" "'
        + name
        + '" "component" "'
        + component
        + '" "ctx" $) | nindent NINDENT }}'
    )


def metadata(helm: Helm, name: str) -> k8s.ObjectMeta:
    return k8s.ObjectMeta(name=name, namespace=helm.text(".Release.Namespace | quote"))


def object_labels(name: str, component: str) -> Insert:
    return Insert(("metadata",), labels(name, component))


def secret_name(helm: Helm, secret: str) -> str:
    """The Secret's name, or the existing Secret the values name instead."""
    default = SECRET_NAMES[secret]
    return helm.text(f'.Values.existingSecrets.{secret} | default "{default}" | quote')


def env(helm: Helm, variables: Mapping[str, Source]) -> list[k8s.EnvVar]:
    """Every variable from a key of app-config or of a Secret, never a literal."""
    return [_env_var(helm, name, source) for name, source in variables.items()]


def _env_var(helm: Helm, name: str, source: Source) -> k8s.EnvVar:
    if isinstance(source, FromConfig):
        ref = k8s.ConfigMapKeySelector(name=CONFIG_MAP, key=source.key)
        return k8s.EnvVar(name=name, value_from=k8s.EnvVarSource(config_map_key_ref=ref))
    if isinstance(source, FromCredential):
        backend = source.backend
        secret = k8s.SecretKeySelector(
            name=helm.text(f"{backend.secret_name} | quote"),
            key=helm.text(f"{backend.secret_key(source.field)} | quote"),
        )
        return k8s.EnvVar(name=name, value_from=k8s.EnvVarSource(secret_key_ref=secret))
    secret = k8s.SecretKeySelector(name=secret_name(helm, source.secret), key=source.key)
    return k8s.EnvVar(name=name, value_from=k8s.EnvVarSource(secret_key_ref=secret))


def probe(helm: Helm, key: str, kind: str, **handler: object) -> k8s.Probe:
    """A probe whose timings come from ``<key>.probes.<kind>``."""
    timings = f"{key}.probes.{kind}"
    return k8s.Probe(
        initial_delay_seconds=helm.number(f"{timings}.initialDelaySeconds"),
        period_seconds=helm.number(f"{timings}.periodSeconds"),
        timeout_seconds=helm.number(f"{timings}.timeoutSeconds"),
        failure_threshold=helm.number(f"{timings}.failureThreshold"),
        **handler,  # type: ignore[arg-type]
    )


def tcp_socket(port: str) -> k8s.TcpSocketAction:
    return k8s.TcpSocketAction(port=k8s.IntOrString.from_string(port))


def http_get(path: str, port: str) -> k8s.HttpGetAction:
    return k8s.HttpGetAction(path=path, port=k8s.IntOrString.from_string(port))


def exec_command(script: str) -> k8s.ExecAction:
    return k8s.ExecAction(command=["sh", "-c", script])


def container_security() -> k8s.SecurityContext:
    return k8s.SecurityContext(
        allow_privilege_escalation=False,
        capabilities=k8s.Capabilities(drop=["ALL"]),
        run_as_non_root=True,
        privileged=False,
    )


def pod_security(helm: Helm, key: str) -> k8s.PodSecurityContext:
    ctx = f"{key}.securityContext"
    return k8s.PodSecurityContext(
        run_as_non_root=True,
        run_as_user=helm.number(f"{ctx}.runAsUser"),
        run_as_group=helm.number(f"{ctx}.runAsGroup"),
        fs_group=helm.number(f"{ctx}.fsGroup"),
        seccomp_profile=k8s.SeccompProfile(type="RuntimeDefault"),
    )


def container_inserts(key: str, path: tuple[str | int, ...]) -> list[Insert]:
    """Settings jsii cannot take as template text: resources and a boolean."""
    return [
        Insert(path, f"resources: {{{{- toYaml $.Values.{key}.resources | nindent NINDENT }}}}"),
        Insert(
            (*path, "securityContext"),
            f"readOnlyRootFilesystem: {{{{ $.Values.{key}.securityContext"
            ".readOnlyRootFilesystem }}",
        ),
    ]


def scheduling_inserts(key: str, name: str, path: tuple[str | int, ...]) -> list[Insert]:
    """nodeSelector, and the anti-affinity preset that spreads replicas over nodes."""
    affinity = (
        "{{- with $.Values." + key + ".podAntiAffinityPreset }}\n"
        'affinity: {{- include "movies.affinity" (dict "preset" . "name" "'
        + name
        + '" "ctx" $) | nindent NINDENT }}\n{{- end }}'
    )
    node_selector = (
        "{{- with $.Values." + key + ".nodeSelector }}\n"
        "nodeSelector: {{- toYaml . | nindent NINDENT }}\n{{- end }}"
    )
    return [Insert(path, node_selector), Insert(path, affinity)]


def tmp_volume(name: str = "tmp") -> k8s.Volume:
    """A writable emptyDir, for what the read-only root filesystem cannot hold."""
    return k8s.Volume(
        name=name, empty_dir=k8s.EmptyDirVolumeSource(size_limit=k8s.Quantity.from_string("64Mi"))
    )
