"""Everything around the workloads: configuration, credentials, traffic rules, exposure,
monitoring and the ``helm test`` hook. Each has one template file of its own."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import cdk8s
from cdk8s_plus_33 import k8s
from constructs import Construct

from generator.chart import backends, pods
from generator.chart.backends import Backend
from generator.chart.checks import TEST_POD_SKIPS, skip_annotations
from generator.chart.render import Insert, Templates
from generator.chart.static import SERVICE_MONITOR_API
from generator.chart.wiring import (
    API_TOKENS,
    CONFIG,
    CONFIG_MAP,
    DB_SECRET,
    GATEWAY_SECRET,
    NAMES,
    RABBITMQ_SECRET,
    bundled_credentials,
)
from generator.chart.workloads import selector
from services import contract

DASHBOARD_FILE = "files/movies-dashboard.json"
# Without the Prometheus Operator's CRDs a ServiceMonitor fails the whole install.
SERVICE_MONITOR_WHEN = (
    "and .Values.metrics.serviceMonitor.enabled "
    f'(.Capabilities.APIVersions.Has "{SERVICE_MONITOR_API}")'
)
APPS = (NAMES.gateway, NAMES.inventory, NAMES.billing)
METRICS_SERVICES = [f"{app}-metrics" for app in APPS]


class AppConfig(Construct):
    """``app-config``: every host, port, name and the queue; nothing secret."""

    def __init__(self, scope: Construct, *, out: Templates) -> None:
        super().__init__(scope, CONFIG_MAP)
        data = {key: out.helm.text(f"{expr} | quote") for key, expr in CONFIG.items()}
        config = k8s.KubeConfigMap(
            self, "cm", metadata=pods.metadata(out.helm, CONFIG_MAP), data=data
        )
        out.add(
            f"{CONFIG_MAP}.yaml",
            config,
            prelude=backends.external_checks(),
            inserts=[pods.object_labels(CONFIG_MAP, "config")],
        )


class Credentials(Construct):
    """One Secret of credentials, holding those of its backends in bundled mode (an
    operator or a managed service keeps its own). An empty password is generated at
    install and, through ``lookup``, read back from the live Secret on every upgrade, so it
    never changes under a database that was initialised with it. ``existingSecrets.<key>``
    skips the Secret."""

    def __init__(
        self, scope: Construct, *, out: Templates, name: str, key: str, members: Sequence[Backend]
    ) -> None:
        super().__init__(scope, name)
        helm = out.helm
        variable = f"${key}Secret"
        blocks = [
            f'{{{{- if eq $.Values.{backend.key}.mode "bundled" }}}}\n'
            + "".join(
                f'  {secret_key}: {{{{ include "movies.secretValue" (dict "existing" {variable} '
                f'"key" "{secret_key}" "value" $.Values.{path}) }}}}\n'
                for secret_key, path in sorted(bundled_credentials(backend).items())
            )
            + "{{- end }}"
            for backend in members
        ]
        meta = k8s.ObjectMeta(
            name=name,
            namespace=helm.text(".Release.Namespace | quote"),
            # Kept on uninstall: the volumes of the databases outlive the release too.
            annotations={"helm.sh/resource-policy": "keep"},
        )
        secret = k8s.KubeSecret(self, "secret", metadata=meta, type="Opaque")
        bundled = " ".join(f"({backend.when('bundled')})" for backend in members)
        out.add(
            "secrets.yaml",
            secret,
            when=f"and (not .Values.existingSecrets.{key}) (or {bundled})",
            prelude=f'{{{{- {variable} := lookup "v1" "Secret" .Release.Namespace "{name}" }}}}',
            inserts=[
                pods.object_labels(name, "credentials"),
                Insert((), "data:\n" + "\n".join(blocks)),
            ],
        )


def secrets(scope: Construct, *, out: Templates) -> None:
    Credentials(scope, out=out, name=DB_SECRET, key="db", members=backends.DATABASES)
    Credentials(scope, out=out, name=RABBITMQ_SECRET, key="rabbitmq", members=(backends.RABBITMQ,))


def _port(port: str | int) -> k8s.NetworkPolicyPort:
    if isinstance(port, int):
        value = k8s.IntOrString.from_number(port)
    else:
        value = k8s.IntOrString.from_string(port)
    return k8s.NetworkPolicyPort(port=value, protocol="TCP")


def _namespace(helm_text: str) -> k8s.NetworkPolicyPeer:
    return k8s.NetworkPolicyPeer(
        namespace_selector=k8s.LabelSelector(
            match_labels={"kubernetes.io/metadata.name": helm_text}
        )
    )


def _pods(labels: Mapping[str, str]) -> k8s.NetworkPolicyPeer:
    return k8s.NetworkPolicyPeer(pod_selector=k8s.LabelSelector(match_labels=dict(labels)))


@dataclass(frozen=True)
class OperatorPods:
    """How an operator labels the pods it runs for a resource of the chart, the ports its
    own pods use among themselves (empty: all) and the ports the operator itself calls."""

    labels: Mapping[str, str]
    namespace_value: str
    operator_ports: tuple[int, ...]


# CloudNativePG: the operator calls each instance's manager on 8000 and PostgreSQL on
# 5432; instances replicate from each other. The RabbitMQ operator's pods cluster over
# epmd, the distribution port and the CLI ports, so they reach each other on every port;
# the operators' management clients use 15672.
CNPG_STATUS_PORT = 8000
OPERATOR_PODS: Mapping[str, OperatorPods] = {
    backend.key: OperatorPods(
        {"cnpg.io/cluster": backend.name},
        "networkPolicy.cloudnativepgNamespace",
        (CNPG_STATUS_PORT, backend.operator_port),
    )
    for backend in backends.DATABASES
} | {
    backends.RABBITMQ.key: OperatorPods(
        {"app.kubernetes.io/name": backends.RABBITMQ.name},
        "networkPolicy.rabbitmqOperatorNamespace",
        (contract.RABBITMQ_MANAGEMENT_PORT,),
    )
}


class TrafficRules(Construct):
    """NetworkPolicies: deny all ingress to the release's pods, then open exactly the
    paths of docs/architecture.md. K3s enforces them, so each rule names its peer and port.
    A backend in operator mode gets a policy of its own on the operator's pods; one in
    external mode runs no pod here (the policies limit ingress only, so the apps reach it)."""

    # pods -> (port name, peers allowed in; None: anyone, inside the cluster or not)
    RULES: Mapping[str, tuple[str, tuple[str, ...] | None]] = {
        NAMES.gateway: ("http", None),
        NAMES.inventory: ("http", (NAMES.gateway,)),
    }
    # backend -> (port name on the bundled pod, apps allowed in)
    BACKEND_RULES: Mapping[Backend, tuple[str, tuple[str, ...]]] = {
        backends.INVENTORY_DB: ("postgres", (NAMES.inventory,)),
        backends.BILLING_DB: ("postgres", (NAMES.billing,)),
        backends.RABBITMQ: ("amqp", (NAMES.gateway, NAMES.billing)),
    }

    def __init__(self, scope: Construct, *, out: Templates) -> None:
        super().__init__(scope, "network-policies")
        self.out = out
        self._policy("default-deny-ingress", {"app.kubernetes.io/part-of": "movies"}, [])
        for target, (port, peers) in self.RULES.items():
            self._policy(f"{target}-ingress", selector(out.helm, target), [self._rule(port, peers)])
        for backend, (port, apps) in self.BACKEND_RULES.items():
            self._policy(
                f"{backend.name}-ingress",
                selector(out.helm, backend.name),
                [self._rule(port, apps)],
                when=f"and .Values.networkPolicy.enabled ({backend.when('bundled')})",
            )
            self._operator_policy(backend, apps)
        self._metrics_policy()

    def _rule(self, port: str, peers: tuple[str, ...] | None) -> k8s.NetworkPolicyIngressRule:
        ports = [_port(port)]
        if peers is None:
            return k8s.NetworkPolicyIngressRule(ports=ports)
        sources = [_pods(selector(self.out.helm, peer)) for peer in peers]
        return k8s.NetworkPolicyIngressRule(ports=ports, from_=sources)

    def _operator_policy(self, backend: Backend, apps: tuple[str, ...]) -> None:
        """The operator's pods for ``backend``: its apps on the service port, each other,
        and the operator from its namespace."""
        operated = OPERATOR_PODS[backend.key]
        helm = self.out.helm
        app_peers = [_pods(selector(helm, app)) for app in apps]
        operator = _namespace(helm.text(f".Values.{operated.namespace_value} | quote"))
        rules = [
            k8s.NetworkPolicyIngressRule(ports=[_port(backend.operator_port)], from_=app_peers),
            k8s.NetworkPolicyIngressRule(from_=[_pods(operated.labels)]),
            k8s.NetworkPolicyIngressRule(
                ports=[_port(port) for port in operated.operator_ports], from_=[operator]
            ),
        ]
        policy = k8s.KubeNetworkPolicy(
            self,
            f"{backend.name}-operator",
            metadata=pods.metadata(helm, f"{backend.name}-ingress"),
            spec=k8s.NetworkPolicySpec(
                pod_selector=k8s.LabelSelector(match_labels=dict(operated.labels)),
                policy_types=["Ingress"],
                ingress=rules,
            ),
        )
        self.out.add(
            "networkpolicy.yaml",
            policy,
            when=f"and .Values.networkPolicy.enabled ({backend.when('operator')})",
            inserts=[pods.object_labels(f"{backend.name}-ingress", "network-policy")],
        )

    def _metrics_policy(self) -> None:
        """Prometheus scrapes the metrics port from its own namespace when ServiceMonitors
        are on; nothing else reaches that port."""
        namespace = self.out.helm.text(".Values.networkPolicy.metricsNamespace | quote")
        apps = k8s.LabelSelectorRequirement(
            key="app.kubernetes.io/name", operator="In", values=list(APPS)
        )
        self._policy(
            "metrics-ingress",
            None,
            [k8s.NetworkPolicyIngressRule(ports=[_port("metrics")], from_=[_namespace(namespace)])],
            expressions=[apps],
            when="and .Values.networkPolicy.enabled .Values.metrics.serviceMonitor.enabled",
        )

    def _policy(
        self,
        name: str,
        labels: Mapping[str, str] | None,
        rules: list[k8s.NetworkPolicyIngressRule],
        *,
        expressions: list[k8s.LabelSelectorRequirement] | None = None,
        when: str = ".Values.networkPolicy.enabled",
    ) -> None:
        instance = {"app.kubernetes.io/instance": self.out.helm.text(".Release.Name")}
        pod_selector = k8s.LabelSelector(
            match_labels={**instance, **(labels or {})}, match_expressions=expressions
        )
        policy = k8s.KubeNetworkPolicy(
            self,
            name,
            metadata=pods.metadata(self.out.helm, name),
            spec=k8s.NetworkPolicySpec(
                pod_selector=pod_selector, policy_types=["Ingress"], ingress=rules
            ),
        )
        self.out.add(
            "networkpolicy.yaml",
            policy,
            when=when,
            inserts=[pods.object_labels(name, "network-policy")],
        )


INGRESS = "gateway.ingress"
# Annotations the values ask for: cert-manager's issuer, ingress-nginx's HTTPS redirect
# (ignored by other controllers; the README says what traefik needs), then the user's own.
INGRESS_ANNOTATIONS = f"""\
{{{{- $tls := $.Values.{INGRESS}.tls }}}}
{{{{- $redirect := and $tls.secretName $tls.sslRedirect }}}}
{{{{- if or $tls.clusterIssuer $redirect $.Values.{INGRESS}.annotations }}}}
annotations:
  {{{{- with $tls.clusterIssuer }}}}
  cert-manager.io/cluster-issuer: {{{{ . | quote }}}}
  {{{{- end }}}}
  {{{{- if $redirect }}}}
  nginx.ingress.kubernetes.io/force-ssl-redirect: "true"
  {{{{- end }}}}
  {{{{- with $.Values.{INGRESS}.annotations }}}}
  {{{{- toYaml . | nindent NINDENT }}}}
  {{{{- end }}}}
{{{{- end }}}}"""


class GatewayIngress(Construct):
    """An Ingress to the gateway's Service (prod; the Vagrant cluster uses the NodePort),
    with TLS from a Secret that cert-manager may fill, HTTP redirected to HTTPS. It routes
    to the public port only: /metrics is on another port and Service."""

    def __init__(self, scope: Construct, *, out: Templates) -> None:
        super().__init__(scope, "ingress")
        helm = out.helm
        backend = k8s.IngressBackend(
            service=k8s.IngressServiceBackend(
                name=NAMES.gateway,
                port=k8s.ServiceBackendPort(number=helm.number("gateway.service.port")),
            )
        )
        path = k8s.HttpIngressPath(path="/", path_type="Prefix", backend=backend)
        rule = k8s.IngressRule(
            host=helm.value(f"{INGRESS}.host"), http=k8s.HttpIngressRuleValue(paths=[path])
        )
        ingress = k8s.KubeIngress(
            self,
            "ingress",
            metadata=pods.metadata(helm, NAMES.gateway),
            spec=k8s.IngressSpec(rules=[rule]),
        )
        class_name = (
            f"{{{{- with $.Values.{INGRESS}.className }}}}\n"
            "ingressClassName: {{ . | quote }}\n{{- end }}"
        )
        tls = (
            f"{{{{- with $.Values.{INGRESS}.tls.secretName }}}}\ntls:\n"
            f"  - hosts: [{{{{ $.Values.{INGRESS}.host | quote }}}}]\n"
            "    secretName: {{ . | quote }}\n{{- end }}"
        )
        inserts = [
            pods.object_labels(NAMES.gateway, "gateway"),
            Insert(("metadata",), INGRESS_ANNOTATIONS),
            Insert(("spec",), class_name),
            Insert(("spec",), tls),
        ]
        out.add("ingress.yaml", ingress, when=f".Values.{INGRESS}.enabled", inserts=inserts)


class GatewayTokens(Construct):
    """``gateway-secrets``: the gateway's bearer tokens, one generated at install and kept
    across upgrades (``lookup``), unless ``gateway.auth.existingSecret`` names another."""

    def __init__(self, scope: Construct, *, out: Templates) -> None:
        super().__init__(scope, GATEWAY_SECRET)
        helm = out.helm
        token = helm.text(
            'include "movies.secretValue" (dict "existing" $gatewaySecret '
            f'"key" "{API_TOKENS}" "value" "")'
        )
        meta = k8s.ObjectMeta(
            name=GATEWAY_SECRET, namespace=helm.text(".Release.Namespace | quote")
        )
        secret = k8s.KubeSecret(
            self, "secret", metadata=meta, type="Opaque", data={API_TOKENS: token}
        )
        out.add(
            "secrets.yaml",
            secret,
            when="and .Values.gateway.auth.enabled (not .Values.gateway.auth.existingSecret)",
            prelude=(
                '{{- $gatewaySecret := lookup "v1" "Secret" .Release.Namespace '
                f'"{GATEWAY_SECRET}" }}}}'
            ),
            inserts=[pods.object_labels(GATEWAY_SECRET, "credentials")],
        )


def gateway_tokens_env() -> str:
    """The gateway's API_TOKENS entry, only with auth on: a list item of its ``env``."""
    auth = "$.Values.gateway.auth"
    return (
        f"{{{{- if {auth}.enabled }}}}\n"
        f"- name: {API_TOKENS}\n"
        "  valueFrom:\n"
        "    secretKeyRef:\n"
        f'      name: {{{{ {auth}.existingSecret | default "{GATEWAY_SECRET}" | quote }}}}\n'
        f'      key: {{{{ ternary {auth}.existingSecretKey "{API_TOKENS}" '
        f"(not (empty {auth}.existingSecret)) | quote }}}}\n"
        "{{- end }}"
    )


class Monitoring(Construct):
    """A ServiceMonitor for the apps' /metrics (their ``<app>-metrics`` Services) and a
    Grafana dashboard ConfigMap."""

    def __init__(self, scope: Construct, *, out: Templates) -> None:
        super().__init__(scope, "monitoring")
        helm = out.helm
        monitor = cdk8s.ApiObject(
            self,
            "servicemonitor",
            api_version="monitoring.coreos.com/v1",
            kind="ServiceMonitor",
            metadata=cdk8s.ApiObjectMetadata(
                name="movies", namespace=helm.text(".Release.Namespace | quote")
            ),
        )
        endpoint = {
            "port": "metrics",
            "path": "/metrics",
            "interval": helm.value("metrics.serviceMonitor.interval"),
        }
        match = {"key": "app.kubernetes.io/name", "operator": "In", "values": METRICS_SERVICES}
        monitor.add_json_patch(
            cdk8s.JsonPatch.add(
                "/spec", {"endpoints": [endpoint], "selector": {"matchExpressions": [match]}}
            )
        )
        labels = (
            pods.labels("movies", "monitoring")
            + "\n{{- with $.Values.metrics.serviceMonitor.labels }}"
            "{{- toYaml . | nindent NINDENT }}{{- end }}"
        )
        out.add(
            "servicemonitor.yaml",
            monitor,
            when=SERVICE_MONITOR_WHEN,
            inserts=[Insert(("metadata",), labels)],
        )
        self._dashboard(out)

    def _dashboard(self, out: Templates) -> None:
        helm = out.helm
        data = {"movies.json": helm.text(f'$.Files.Get "{DASHBOARD_FILE}" | toJson')}
        dashboard = k8s.KubeConfigMap(
            self, "dashboard", metadata=pods.metadata(helm, "movies-dashboard"), data=data
        )
        labels = (
            pods.labels("movies-dashboard", "monitoring")
            + '\n  {{ $.Values.metrics.dashboard.label }}: "1"'
        )
        out.add(
            "grafana-dashboard.yaml",
            dashboard,
            when=".Values.metrics.dashboard.enabled",
            inserts=[Insert(("metadata",), labels)],
        )


class GatewayTest(Construct):
    """``helm test``: a pod that asks the gateway's Service for /healthz and /readyz."""

    SCRIPT = (
        "import os, urllib.request\n"
        "for path in ('/healthz', '/readyz'):\n"
        "    with urllib.request.urlopen(os.environ['GATEWAY'] + path, timeout=10) as r:\n"
        "        print(path, r.status)\n"
    )

    def __init__(self, scope: Construct, *, out: Templates) -> None:
        super().__init__(scope, "test")
        helm = out.helm
        url = helm.text(f'printf "http://{NAMES.gateway}:%v" .Values.gateway.service.port | quote')
        container = k8s.Container(
            name="check-gateway",
            image=helm.text(
                'include "movies.appImage" (dict "repository" '
                '$.Values.gateway.image.repository "ctx" $) | quote'
            ),
            image_pull_policy=helm.value("image.pullPolicy"),
            command=["python", "-c", self.SCRIPT],
            env=[k8s.EnvVar(name="GATEWAY", value=url)],
            security_context=pods.container_security(),
        )
        pod = k8s.KubePod(
            self,
            "pod",
            metadata=k8s.ObjectMeta(
                name="movies-test-gateway",
                namespace=helm.text(".Release.Namespace | quote"),
                annotations={
                    "helm.sh/hook": "test",
                    "helm.sh/hook-delete-policy": "before-hook-creation,hook-succeeded",
                    **skip_annotations(TEST_POD_SKIPS),
                },
            ),
            spec=k8s.PodSpec(
                restart_policy="Never",
                automount_service_account_token=False,
                security_context=pods.pod_security(helm, "gateway"),
                containers=[container],
            ),
        )
        out.add(
            "tests/test-gateway.yaml",
            pod,
            inserts=[
                pods.object_labels("movies-test-gateway", "test"),
                *pods.container_inserts("gateway", ("spec", "containers", 0)),
            ],
        )
