"""The chart's README: the objects explained, a diagram of the synthesized objects, the
values table from the model, and the checkov checks skipped with their reasons."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, get_type_hints

from generator.chart.checks import CHECKOV_SKIPS, HELM_RUNNER_SKIPS, TEST_POD_SKIPS
from generator.chart.environments import ENVIRONMENTS
from generator.chart.model import Values
from generator.chart.render import Entry
from generator.chart.schema import type_schema
from generator.chart.values_file import scalar, sentence


def objects(v: Values) -> dict[str, str]:
    """What each object is, why this kind, what it talks to, how it scales (defaults from
    the model, so the numbers here are the chart's)."""
    gw, hpa = v.gateway, v.gateway.autoscaling
    scaling = (
        f"{hpa.minReplicas}-{hpa.maxReplicas} replicas at {hpa.targetCPUUtilizationPercentage}%"
    )
    db_size = v.inventoryDb.persistence.size
    return {
        "api-gateway": (
            f"**Deployment** + Service ({gw.service.type} {gw.service.nodePort} -> "
            f"{gw.service.port}) + HPA `api-gateway-hpa`. The only public entry point: it "
            "proxies `/api/movies*` to inventory-app and turns `POST /api/billing` into a "
            "persistent message on RabbitMQ. Stateless, so a Deployment; scales on CPU "
            f"({scaling} of the CPU request). Its readiness probe is `/readyz`, as every app's; "
            "the gateway's readiness depends on neither the broker nor inventory, so movie "
            "traffic keeps flowing while the broker restarts and `POST /api/billing` "
            "answers 503 on its own."
        ),
        "inventory-app": (
            f"**Deployment** + ClusterIP Service {v.inventory.service.port} + HPA "
            "`inventory-app-hpa`. CRUD on movies in inventory-db; only the gateway may call "
            f"it. Stateless; scales on CPU ({scaling})."
        ),
        "billing-app": (
            f"**StatefulSet** + headless Service {v.billing.service.port} + HPA "
            "`billing-app-hpa`. Consumes the queue and writes orders into billing-db, "
            "acknowledging a message only after its row is committed. A StatefulSet gives "
            "each consumer a stable identity (billing-app-0, -1, ...) in the broker and the "
            "logs; nothing calls it but probes and Prometheus. Scales on CPU "
            f"({scaling}); pods start in parallel."
        ),
        "inventory-db, billing-db": (
            f"**StatefulSet** + headless Service {v.inventoryDb.service.port} + "
            f"volumeClaimTemplate {db_size}. PostgreSQL of one app each; only that app may "
            "connect. A StatefulSet so the volume follows the pod; headless because clients "
            "reach the pod itself. One replica (one writer), never autoscaled. This is "
            "the bundled mode (`<db>.mode: bundled`); see Backend modes for the others."
        ),
        "rabbitmq": (
            "**Deployment** (strategy Recreate) + PersistentVolumeClaim `rabbitmq-data` + "
            f"Service {v.rabbitmq.service.amqpPort} (AMQP) and "
            f"{v.rabbitmq.service.managementPort} (management). The durable "
            f"`{v.rabbitmq.queue}` lives on the volume; Recreate makes sure two brokers never "
            "open it at once, and the fixed Erlang node name (`rabbitmq.nodeName`) lets a new "
            "pod find the old node's data. Only api-gateway and billing-app may connect. "
            "The ConfigMap `rabbitmq-config` adds `conf.d/20-movies.conf`: an absolute memory "
            "alarm (`rabbitmq.memoryHighWatermark`) below the container's memory limit. "
            "This is the bundled mode (`rabbitmq.mode: bundled`)."
        ),
        "Backend modes": (
            "`inventoryDb.mode`, `billingDb.mode` and `rabbitmq.mode`, each on its own: "
            "`bundled` (the default, in vagrant and dev: the objects above), `operator` "
            "(prod: a CloudNativePG `Cluster` of "
            f"{v.inventoryDb.operator.instances} instances with synchronous replication "
            "and required anti-affinity over nodes per database, and a `RabbitmqCluster` of "
            f"{v.rabbitmq.operator.replicas} nodes, one per node; the apps use the "
            "operators' Services `<db>-rw` and `rabbitmq` and Secrets `<db>-app` and "
            "`rabbitmq-default-user`, keys `username`/`password`; the operators must be "
            "installed first) or `external` (a managed service: `<backend>.external.host`, "
            "`.port`, and `.existingSecret` with the key names `.existingSecretUserKey` and "
            "`.existingSecretPasswordKey`). Outside bundled mode nothing bundled of that "
            "backend renders: no StatefulSet or Deployment, no Service, no key in "
            "`db-secrets`/`rabbitmq-secrets` (a Secret left with no key is not rendered). "
            "The custom resources are checked against the operators' CRD schemas by the "
            "chart's tests; the operators themselves were not run by them."
        ),
        "app-config": (
            "**ConfigMap**: every host, port, database name and the queue name the services "
            "read. Each pod carries a checksum of the keys it reads (and RabbitMQ of its "
            "`rabbitmq-config`), so a change rolls exactly the pods that read it; pod labels "
            "carry no chart version, so an upgrade that changes nothing else restarts nothing."
        ),
        "db-secrets, rabbitmq-secrets": (
            "**Secrets**: every user and password of the bundled backends, and nowhere "
            "else (an operator or a managed service keeps its own). Empty passwords are "
            "generated at install and kept across upgrades (`lookup`); the Secrets are kept "
            "on uninstall, like the volumes whose databases they unlock. "
            "`existingSecrets.db` / `existingSecrets.rabbitmq` name Secrets made elsewhere. "
            "`helm template`, `--dry-run` and GitOps tools (Argo CD, Flux) render without the "
            "live Secrets and so draw new passwords on every render, while the databases keep "
            "the first: with those tools, pin the passwords (`existingSecrets`, or "
            "`inventoryDb.auth.password`, `billingDb.auth.password`, "
            "`rabbitmq.auth.password`)."
        ),
        "NetworkPolicies": (
            "On by default: deny all ingress to the release's pods, then open exactly the "
            "paths drawn below. With ServiceMonitors on, the namespace "
            f"`{v.networkPolicy.metricsNamespace}` may also scrape the apps' metrics port. A "
            "backend in operator mode gets a policy on the operator's pods (CloudNativePG: "
            "`cnpg.io/cluster: <db>`; RabbitMQ: `app.kubernetes.io/name: rabbitmq`): its "
            "apps on the service port, its own pods on every port (replication, "
            "clustering), and the operator from `networkPolicy.cloudnativepgNamespace` / "
            "`networkPolicy.rabbitmqOperatorNamespace` on the ports it calls. In external "
            "mode no pod of the backend runs here; the policies restrict ingress only, so "
            "the apps reach the managed service without an egress rule."
        ),
        "Ingress": (
            "`gateway.ingress.enabled` (prod; vagrant keeps the NodePort): the gateway's "
            "public port at `gateway.ingress.host`, with TLS from the Secret "
            "`gateway.ingress.tls.secretName`, which cert-manager issues when "
            "`gateway.ingress.tls.clusterIssuer` names a ClusterIssuer (annotation "
            "`cert-manager.io/cluster-issuer`). `gateway.ingress.tls.sslRedirect` redirects "
            "HTTP to HTTPS through ingress-nginx's `nginx.ingress.kubernetes.io/"
            "force-ssl-redirect`; with traefik, put its `websecure` entry point and a "
            "redirectScheme middleware in `gateway.ingress.annotations` "
            "(`traefik.ingress.kubernetes.io/router.entrypoints: websecure`, "
            "`traefik.ingress.kubernetes.io/router.middlewares: <ns>-<middleware>@kubernetescrd`). "
            "Checked statically only (rendered, strict schemas, checkov)."
        ),
        "gateway-secrets": (
            "**Secret**, with `gateway.auth.enabled` (prod): `API_TOKENS`, the gateway's "
            "bearer tokens for writes, one generated at install and kept across upgrades "
            "(`lookup`), or `gateway.auth.existingSecret` (key "
            "`gateway.auth.existingSecretKey`) instead. NOTES.txt says how to read it."
        ),
        "<app>-metrics": (
            f"**ClusterIP Services** on port {v.metrics.port} (`metrics.port`, env "
            "`METRICS_PORT`), the only port that serves `/metrics`: never on the NodePort or "
            "the Ingress. The ServiceMonitor scrapes them; with ServiceMonitors on, the "
            "NetworkPolicy `metrics-ingress` lets only the namespace "
            f"`{v.networkPolicy.metricsNamespace}` reach the port, and nothing else may."
        ),
        "Optional": (
            "PodDisruptionBudgets (`<app>.pdb.enabled`), a "
            "ServiceMonitor (`metrics.serviceMonitor.enabled`; made only when the cluster "
            "serves `monitoring.coreos.com/v1`, labelled `metrics.serviceMonitor.labels` for "
            "kube-prometheus-stack's selector) and a Grafana dashboard "
            "ConfigMap (`metrics.dashboard.enabled`): all on in prod."
        ),
        "helm test": "A pod that calls the gateway's Service at /healthz and /readyz.",
    }


SECURITY = (
    "Every pod meets the Kubernetes *restricted* Pod Security Standard: non-root, no "
    "privilege escalation, all capabilities dropped, seccomp RuntimeDefault, no service "
    "account token. Root filesystems are read-only, with emptyDirs where a process writes "
    "(`/tmp`; PostgreSQL's socket directory; RabbitMQ's log directory). The apps run as uid "
    "10001 (their image's user); the official postgres and rabbitmq images need uid/gid 999 "
    "and an fsGroup to own their volumes, which their `securityContext` values set. Every "
    "container has CPU and memory requests and limits, sized for two small VMs."
)


WORKLOAD_KINDS = {"Deployment", "StatefulSet"}


def readme(files: Mapping[str, Sequence[Entry]], values: Values) -> str:
    # The diagram shows the default: every backend bundled.
    manifests = [
        entry.manifest
        for entries in files.values()
        for entry in entries
        if not any(f'mode "{mode}"' in (entry.when or "") for mode in ("operator", "external"))
    ]
    parts = [
        _intro(),
        "## Objects\n\n"
        + "\n".join(f"- `{name}`: {text}" for name, text in objects(values).items()),
        "## Security\n\n" + SECURITY,
        "## Architecture\n\nGenerated from the synthesized objects: workloads, and the "
        "traffic their NetworkPolicies allow, with every backend bundled.\n\n```mermaid\n"
        + diagram(manifests)
        + "```",
        "## Values\n\n" + values_table(values),
        "## Checkov checks skipped\n\n" + skips_table(),
    ]
    return "\n\n".join(parts) + "\n"


def _intro() -> str:
    envs = "\n".join(
        f"- `values/{env.name}.yaml`: {' '.join(env.purpose.splitlines())}" for env in ENVIRONMENTS
    )
    return (
        "# movies Helm chart\n\n"
        "Generated by `python -m generator synth` from the cdk8s constructs in "
        "`generator/chart/`; edit those, not this folder (a drift test compares them).\n\n"
        "```sh\nhelm install movies charts/movies -n microservices --create-namespace "
        "-f values/vagrant.yaml\nhelm test movies -n microservices\n```\n\n"
        f"Environments:\n\n{envs}"
    )


def diagram(manifests: Sequence[Mapping[str, Any]]) -> str:
    """A Mermaid flowchart: each workload, and an arrow per NetworkPolicy ingress peer."""
    lines = ["flowchart LR", "  outside((outside))"]
    for manifest in manifests:
        if manifest["kind"] in WORKLOAD_KINDS:
            name = manifest["metadata"]["name"]
            lines.append(f'  {_id(name)}["{name}<br/>{manifest["kind"]}"]')
    for manifest in manifests:
        if manifest["kind"] == "NetworkPolicy":
            lines.extend(_edges(manifest["spec"]))
    return "\n".join(lines) + "\n"


def _edges(spec: Mapping[str, Any]) -> Iterator[str]:
    target = spec["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/name")
    if target is None:
        return
    for rule in spec.get("ingress", []):
        port = ", ".join(str(p["port"]) for p in rule.get("ports", []))
        peers = [
            p["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
            for p in rule.get("from", [])
            if "podSelector" in p
        ]
        # A rule without peers lets anyone in; one of namespaces only is not drawn.
        for peer in peers or ([] if rule.get("from") else ["outside"]):
            source = "outside" if peer == "outside" else _id(peer)
            yield f"  {source} -->|{port}| {_id(target)}"


def _id(name: str) -> str:
    return name.replace("-", "_")


def values_table(values: Any) -> str:
    rows = ["| Key | Type | Default | Description |", "|---|---|---|---|"]
    rows.extend(_rows(values, ""))
    return "\n".join(rows)


def _rows(obj: Any, prefix: str) -> Iterator[str]:
    hints = get_type_hints(type(obj))
    for field in dataclasses.fields(obj):
        value = getattr(obj, field.name)
        if dataclasses.is_dataclass(value):
            yield from _rows(value, f"{prefix}{field.name}.")
        else:
            kind = _kind(type_schema(hints[field.name]))
            cells = [f"`{prefix}{field.name}`", kind, f"`{scalar(value)}`", sentence(field)]
            yield "| " + " | ".join(cells) + " |"


def _kind(schema: Mapping[str, Any]) -> str:
    """The type as the schema states it, so the table and the schema cannot disagree."""
    if "enum" in schema:
        return "one of " + ", ".join(f"`{scalar(v)}`" for v in schema["enum"])
    return str(schema["type"])


def skips_table() -> str:
    rows = ["| Check | Where | Why it is skipped |", "|---|---|---|"]
    rows.extend(f"| {check} | every object | {why} |" for check, why in CHECKOV_SKIPS.items())
    rows.extend(
        f"| {check} | chart folder scan only | {why} |" for check, why in HELM_RUNNER_SKIPS.items()
    )
    rows.extend(
        f"| {check} | helm test pod (annotation) | {why} |" for check, why in TEST_POD_SKIPS.items()
    )
    return "\n".join(rows)
