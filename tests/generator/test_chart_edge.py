"""The production edge (issue 19's chart parts): bearer tokens, a metrics port that only
the monitoring namespace reaches, and an Ingress with TLS. On in prod, off in vagrant."""

from __future__ import annotations

import base64

import pytest

from generator.chart.render import documents
from tests.generator.chart_support import (
    APPS,
    CHART,
    SERVICE_MONITOR_API,
    by_kind,
    named,
    notes,
    pod_spec,
    rendered,
    template,
)

TRAEFIK_ENTRYPOINTS = "traefik.ingress.kubernetes.io/router.entrypoints"


def _container(docs, app: str) -> dict:
    workload = next(d for d in docs if d["kind"] in {"Deployment", "StatefulSet"}
                    and d["metadata"]["name"] == app)  # fmt: skip
    return pod_spec(workload)["containers"][0]


def _env(docs, app: str) -> dict[str, dict]:
    return {e["name"]: e for e in _container(docs, app)["env"]}


def _names(docs, kind: str) -> set[str]:
    return {d["metadata"]["name"] for d in by_kind(docs, kind)}


def _docs(*args: str) -> list[dict]:
    result = template(*args)
    assert result.returncode == 0, result.stderr
    return list(documents(result.stdout))


# --- bearer tokens ------------------------------------------------------------------------


def test_prod_generates_the_gateways_token_into_a_secret_it_reads():
    docs = rendered("prod")
    token = named(docs, "Secret", "gateway-secrets")["data"]["API_TOKENS"]
    assert len(base64.b64decode(token)) == 24
    ref = _env(docs, "api-gateway")["API_TOKENS"]["valueFrom"]["secretKeyRef"]
    assert ref == {"name": "gateway-secrets", "key": "API_TOKENS"}
    for app in ("inventory-app", "billing-app"):
        assert "API_TOKENS" not in _env(docs, app)


def test_the_token_is_kept_across_upgrades_by_reading_the_live_secret():
    """The same helper as the passwords (test_chart_secrets), fed by a lookup of this Secret."""
    text = (CHART / "templates" / "secrets.yaml").read_text()
    assert '$gatewaySecret := lookup "v1" "Secret" .Release.Namespace "gateway-secrets"' in text
    assert '"existing" $gatewaySecret "key" "API_TOKENS"' in text


def test_an_existing_secret_replaces_the_generated_token():
    docs = _docs(
        "prod", "--set", "gateway.auth.existingSecret=team-tokens",
        "--set", "gateway.auth.existingSecretKey=tokens",
    )  # fmt: skip
    assert "gateway-secrets" not in _names(docs, "Secret")
    ref = _env(docs, "api-gateway")["API_TOKENS"]["valueFrom"]["secretKeyRef"]
    assert ref == {"name": "team-tokens", "key": "tokens"}


def test_the_notes_say_how_to_read_the_token(tmp_path):
    text = notes(tmp_path)
    assert "get secret gateway-secrets -o jsonpath='{.data.API_TOKENS}' | base64 -d" in text, text
    assert "jsonpath" not in notes(tmp_path / "vagrant", env="vagrant")


# --- the metrics port ---------------------------------------------------------------------


@pytest.mark.parametrize("env", ["vagrant", "prod"])
def test_every_app_has_a_metrics_port_from_app_config(env):
    docs = rendered(env)
    port = named(docs, "ConfigMap", "app-config")["data"]["METRICS_PORT"]
    assert port == "9100"
    for app in APPS:
        ports = {p["name"]: p["containerPort"] for p in _container(docs, app)["ports"]}
        assert ports["metrics"] == int(port)
        ref = _env(docs, app)["METRICS_PORT"]["valueFrom"]["configMapKeyRef"]
        assert ref == {"name": "app-config", "key": "METRICS_PORT"}


@pytest.mark.parametrize("env", ["vagrant", "dev", "prod"])
def test_no_public_service_or_ingress_carries_the_metrics_port(env):
    docs = rendered(env)
    gateway = named(docs, "Service", "api-gateway")["spec"]
    assert [p["targetPort"] for p in gateway["ports"]] == ["http"]
    assert 9100 not in {p.get("nodePort") for p in gateway["ports"]}
    assert 9100 not in {p["port"] for p in gateway["ports"]}
    for service in by_kind(docs, "Service"):
        ports = {p["targetPort"] for p in service["spec"]["ports"]}
        if "metrics" in ports:
            assert service["metadata"]["name"].endswith("-metrics")
            assert service["spec"].get("type", "ClusterIP") == "ClusterIP"
            assert ports == {"metrics"}
    for ingress in by_kind(docs, "Ingress"):
        backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
        assert backend == {"name": "api-gateway", "port": {"number": 3000}}


def test_only_the_monitoring_namespace_reaches_the_metrics_port_in_prod():
    docs = rendered("prod")
    metrics = named(docs, "NetworkPolicy", "metrics-ingress")["spec"]
    [rule] = metrics["ingress"]
    assert rule["ports"] == [{"port": "metrics", "protocol": "TCP"}]
    assert rule["from"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
    ]
    assert metrics["podSelector"]["matchExpressions"][0]["values"] == list(APPS)
    for policy in by_kind(docs, "NetworkPolicy"):
        if policy["metadata"]["name"] == "metrics-ingress":
            continue
        for other in policy["spec"].get("ingress") or []:
            assert "metrics" not in {p["port"] for p in other.get("ports", [])}


def test_the_servicemonitor_scrapes_the_metrics_services():
    [monitor] = by_kind(_docs("prod", "--api-versions", SERVICE_MONITOR_API), "ServiceMonitor")
    assert [e["port"] for e in monitor["spec"]["endpoints"]] == ["metrics"]


# --- TLS at the edge ----------------------------------------------------------------------


def test_prod_serves_the_gateway_through_an_ingress_with_tls_and_an_https_redirect():
    ingress = named(rendered("prod"), "Ingress", "api-gateway")
    assert ingress["spec"]["tls"] == [{"hosts": ["movies.example.com"], "secretName": "movies-tls"}]
    annotations = ingress["metadata"]["annotations"]
    assert annotations["cert-manager.io/cluster-issuer"] == "letsencrypt-prod"
    assert annotations["nginx.ingress.kubernetes.io/force-ssl-redirect"] == "true"
    assert named(rendered("prod"), "Service", "api-gateway")["spec"]["type"] == "ClusterIP"


def test_ingress_annotations_follow_the_values():
    docs = _docs(
        "prod", "--set", "gateway.ingress.tls.sslRedirect=false",
        "--set", "gateway.ingress.tls.clusterIssuer=",
        "--set", f"gateway.ingress.annotations.{TRAEFIK_ENTRYPOINTS.replace('.', chr(92) + '.')}"
        "=websecure",
    )  # fmt: skip
    annotations = named(docs, "Ingress", "api-gateway")["metadata"]["annotations"]
    assert annotations == {TRAEFIK_ENTRYPOINTS: "websecure"}
    plain = _docs("prod", "--set", "gateway.ingress.tls.secretName=",
                  "--set", "gateway.ingress.tls.clusterIssuer=")  # fmt: skip
    ingress = named(plain, "Ingress", "api-gateway")
    assert "tls" not in ingress["spec"]
    assert "annotations" not in ingress["metadata"]


# --- none of it in vagrant ----------------------------------------------------------------


def test_vagrant_renders_none_of_the_production_edge():
    docs = rendered("vagrant")
    assert "gateway-secrets" not in _names(docs, "Secret")
    assert "API_TOKENS" not in _env(docs, "api-gateway")
    assert not by_kind(docs, "Ingress")
    assert "metrics-ingress" not in _names(docs, "NetworkPolicy")
    gateway = named(docs, "Service", "api-gateway")["spec"]
    assert gateway["type"] == "NodePort"
    assert [(p["nodePort"], p["port"]) for p in gateway["ports"]] == [(30000, 3000)]
