"""/metrics stays inside the pod network: the gateway's NodePort answers 404 for it, and each
app serves it on its metrics port, reached from inside its pod's network namespace as
Prometheus reaches a pod."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from services import contract
from tests.pods import audit
from tests.pods.checks import Check, env_sources
from tests.pods.convert import Plan
from tests.pods.podman import Podman
from tests.pods.probes import Probe, run


def metrics_port(container: Mapping[str, Any], sources: Mapping[tuple[str, str, str], str]) -> int:
    """The port the rendered spec gives: a container port named `metrics`, else the
    METRICS_PORT it sets, else the services' default."""
    for port in container.get("ports", []):
        if port.get("name") == "metrics":
            return int(port["containerPort"])
    for item in container.get("env", []):
        if item["name"] != "METRICS_PORT":
            continue
        if "value" in item:
            return int(item["value"])
        ((kind, ref),) = item["valueFrom"].items()
        return int(sources[(kind, ref["name"], ref["key"])])
    return contract.METRICS_PORT


def _is_app(container: Mapping[str, Any]) -> bool:
    """An app's container: it is the one the chart gives a port named `metrics` or a
    METRICS_PORT (PostgreSQL and RabbitMQ have neither)."""
    named = any(port.get("name") == "metrics" for port in container.get("ports", []))
    return named or any(item["name"] == "METRICS_PORT" for item in container.get("env", []))


def check_metrics(podman: Podman, plan: Plan) -> Iterator[Check]:
    public = audit.call("GET", "/metrics")
    yield Check("gateway 127.0.0.1:30000/metrics is 404", public.status == 404, f"{public.status}")
    sources = env_sources(plan)
    apps = [
        (workload, container)
        for workload in plan.workloads
        for container in workload.rendered["spec"]["containers"]
        if _is_app(container)
    ]
    names = sorted(container["name"] for _, container in apps)
    # Every app must be scraped: a rendering that no longer marks them would pass unchecked.
    yield Check("every app has a metrics port", len(apps) == len(contract.APPS), ", ".join(names))
    for workload, container in apps:
        port = metrics_port(container, sources)
        scrape = Probe(
            workload.name,
            container["name"],
            "metrics",
            {"httpGet": {"port": port, "path": "/metrics"}, "timeoutSeconds": 5},
            {},
        )
        ok, answer = run(podman, scrape)
        yield Check(f"{scrape.podman_name}: GET :{port}/metrics in the pod", ok, answer)
