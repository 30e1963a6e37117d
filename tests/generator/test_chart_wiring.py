"""The rendered manifests are wired as the contract says: names, ports, env, probes, traffic.

Everything here is read from `helm template` output, not from the generator's tables, so
a mistake in those tables fails here.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlparse

import falcon.testing
import pytest

from generator.chart.render import documents
from services import contract
from services.billing import config as billing_config
from services.gateway import config as gateway_config
from services.inventory import config as inventory_config
from tests.generator.chart_support import (
    BUNDLED,
    ENVIRONMENTS,
    WORKLOADS,
    by_kind,
    named,
    pod_spec,
    rendered,
    rendered_text,
    template,
)

# What each service declares it reads; the contract variables (not the tuning knobs) must
# all come from the chart. tests/unit/services/test_environment.py checks that the services
# read nothing they do not declare.
# Declared by the services but not set in every rendering: the choice of HTTP server, left
# at its default (waitress, the only server, issue 20), and API_TOKENS, set only with
# gateway.auth.enabled (test_chart_edge).
LEFT_AT_DEFAULT = {"HTTP_SERVER", "API_TOKENS"}
READS = {
    app.name: {v.name for v in environment if not v.tuning} - LEFT_AT_DEFAULT
    for app, environment in (
        (contract.GATEWAY, gateway_config.ENVIRONMENT),
        (contract.INVENTORY, inventory_config.ENVIRONMENT),
        (contract.BILLING, billing_config.ENVIRONMENT),
    )
}
SECRETS = {"db-secrets", "rabbitmq-secrets"}
# What the operators make (CloudNativePG: <cluster>-app; RabbitMQ: <name>-default-user).
OPERATOR_SECRETS = {"inventory-db-app", "billing-db-app", "rabbitmq-default-user"}


def _containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return pod_spec(doc)["containers"]


def _env_value(docs, entry: dict[str, Any]) -> str:
    """The value an env entry resolves to, following its ConfigMap or Secret reference."""
    source = entry.get("valueFrom", {})
    if "configMapKeyRef" in source:
        ref = source["configMapKeyRef"]
        return named(docs, "ConfigMap", ref["name"])["data"][ref["key"]]
    if "secretKeyRef" in source:
        ref = source["secretKeyRef"]
        if ref["name"] in OPERATOR_SECRETS:
            assert ref["key"] in {"username", "password"}, ref
            return f"{ref['name']}/{ref['key']}"  # filled by the operator at run time
        assert ref["name"] in SECRETS
        return base64.b64decode(named(docs, "Secret", ref["name"])["data"][ref["key"]]).decode()
    raise AssertionError(f"{entry['name']} is not from app-config or a Secret: {entry}")


@pytest.mark.parametrize("env", ENVIRONMENTS)
@pytest.mark.parametrize("app", sorted(READS))
def test_every_variable_a_service_reads_comes_from_the_configmap_or_a_secret(env, app):
    docs = rendered(env)
    workload = next(d for d in by_kind(docs, *WORKLOADS) if d["metadata"]["name"] == app)
    entries = {e["name"]: e for e in _containers(workload)[0]["env"]}
    assert set(entries) >= READS[app], READS[app] - set(entries)
    for name in READS[app]:
        assert _env_value(docs, entries[name]) != ""


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_credentials_live_only_in_the_two_secrets(env):
    docs = rendered(env)
    for secret in SECRETS & {d["metadata"]["name"] for d in by_kind(docs, "Secret")}:
        values = named(docs, "Secret", secret)["data"].values()
        for value in values:
            plain = base64.b64decode(value).decode()
            for doc in docs:
                if doc["kind"] != "Secret" and len(plain) >= 12:
                    assert plain not in str(doc), f"a credential shows in {doc['kind']}"
    for doc in by_kind(docs, *WORKLOADS):
        for container in _containers(doc):
            for entry in container.get("env", []):
                if "PASS" in entry["name"] or entry["name"].endswith("_USER"):
                    assert "secretKeyRef" in entry.get("valueFrom", {}), entry


def test_generated_passwords_are_random_and_set_ones_are_used():
    first = named(rendered("vagrant"), "Secret", "db-secrets")["data"]
    again = template("vagrant", "--set", "billingDb.auth.password=s3cret-value")
    second = named(list(_docs(again.stdout)), "Secret", "db-secrets")["data"]
    assert len(base64.b64decode(first["INVENTORY_DB_PASSWORD"])) == 24
    assert first["INVENTORY_DB_PASSWORD"] != second["INVENTORY_DB_PASSWORD"]
    assert base64.b64decode(second["BILLING_DB_PASSWORD"]) == b"s3cret-value"


def test_an_existing_secret_replaces_the_generated_one():
    result = template("vagrant", "--set", "existingSecrets.db=my-db-creds")
    docs = list(_docs(result.stdout))
    assert not [d for d in docs if d["kind"] == "Secret" and d["metadata"]["name"] == "db-secrets"]
    inventory = named(docs, "Deployment", "inventory-app")
    refs = {
        e["valueFrom"]["secretKeyRef"]["name"]
        for e in _containers(inventory)[0]["env"]
        if "secretKeyRef" in e.get("valueFrom", {})
    }
    assert refs == {"my-db-creds"}


def _docs(text: str):
    return documents(text)


def _service_apps():
    """Each service's real Falcon app, built with stand-ins for its dependencies."""
    from services.billing.app import BillingDeps
    from services.billing.app import create_app as billing_app
    from services.billing.consumer import ConsumerState
    from services.gateway.app import GatewayDeps
    from services.gateway.app import create_app as gateway_app
    from services.inventory.app import InventoryDeps
    from services.inventory.app import create_app as inventory_app

    class Healthy:
        def ping(self) -> None:
            return None

    state = ConsumerState()
    state.consuming.set()
    return {
        "api-gateway": gateway_app(GatewayDeps(inventory=Healthy(), publisher=Healthy())),
        "inventory-app": inventory_app(InventoryDeps(Healthy())),
        "billing-app": billing_app(BillingDeps(store=Healthy(), state=state)),
    }


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_probe_path_exists_in_its_service(env):
    apps = _service_apps()
    checked = 0
    for doc in by_kind(rendered(env), *WORKLOADS):
        app = apps.get(doc["metadata"]["name"])
        for container in _containers(doc):
            for probe in ("livenessProbe", "readinessProbe"):
                assert probe in container, f"{doc['metadata']['name']} has no {probe}"
                if app is None:
                    assert {"exec", "tcpSocket"} & set(container[probe])
                    continue
                path = container[probe]["httpGet"]["path"]
                result = falcon.testing.TestClient(app).simulate_get(path)
                assert result.status_code == 200, f"{path}: {result.status_code}"
                checked += 1
    assert checked == 6


def test_the_servicemonitor_scrapes_each_apps_metrics_port():
    with_crds = template("prod", "--api-versions", "monitoring.coreos.com/v1/ServiceMonitor")
    docs = list(_docs(with_crds.stdout))
    monitor = by_kind(docs, "ServiceMonitor")[0]
    selected = monitor["spec"]["selector"]["matchExpressions"][0]["values"]
    assert selected == [f"{app}-metrics" for app in READS]
    [endpoint] = monitor["spec"]["endpoints"]
    assert (endpoint["port"], endpoint["path"]) == ("metrics", "/metrics")
    metrics_port = int(named(docs, "ConfigMap", "app-config")["data"]["METRICS_PORT"])
    for name in selected:
        service = named(docs, "Service", name)
        assert service["metadata"]["labels"]["app.kubernetes.io/name"] == name
        [port] = service["spec"]["ports"]
        assert (port["name"], port["targetPort"]) == ("metrics", "metrics")
        [pods] = _pods_behind(docs, service)
        exposed = {p["name"]: p["containerPort"] for p in _containers(pods)[0]["ports"]}
        assert exposed["metrics"] == metrics_port


def _pods_behind(docs, service: dict[str, Any]) -> list[dict[str, Any]]:
    wanted = service["spec"]["selector"].items()
    return [
        d
        for d in by_kind(docs, *WORKLOADS)
        if wanted <= d["spec"]["template"]["metadata"]["labels"].items()
    ]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_service_targets_a_port_its_pods_expose(env):
    docs = rendered(env)
    for service in by_kind(docs, "Service"):
        workloads = _pods_behind(docs, service)
        assert len(workloads) == 1, service["metadata"]["name"]
        exposed = {
            key: port
            for container in _containers(workloads[0])
            for port in container["ports"]
            for key in (port["name"], port["containerPort"])
        }
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in exposed, (service["metadata"]["name"], port)
            if service["spec"].get("clusterIP") == "None":
                # Headless: clients dial the pod, so the Service port must be the pod's.
                assert port["port"] == exposed[port["targetPort"]]["containerPort"]


@pytest.mark.parametrize("env", BUNDLED)
def test_every_host_in_the_configmap_is_a_service_of_the_chart(env):
    docs = rendered(env)
    services = {s["metadata"]["name"]: s for s in by_kind(docs, "Service")}
    data = named(docs, "ConfigMap", "app-config")["data"]
    hosts = {key: value for key, value in data.items() if key.endswith("_HOST")}
    url = urlparse(data["INVENTORY_URL"])
    hosts["INVENTORY_URL"] = url.hostname
    assert len(hosts) == 4
    for key, host in hosts.items():
        assert host in services, f"{key}={host} names no Service"
    ports = {p["port"] for p in services[url.hostname]["spec"]["ports"]}
    assert url.port in ports


def test_the_contract_objects_are_all_there():
    docs = rendered("vagrant")
    kinds = {(d["kind"], d["metadata"]["name"]) for d in docs}
    for kind, name in [
        ("Deployment", "api-gateway"), ("Deployment", "inventory-app"),
        ("StatefulSet", "billing-app"), ("StatefulSet", "inventory-db"),
        ("StatefulSet", "billing-db"), ("Deployment", "rabbitmq"),
        ("ConfigMap", "app-config"), ("Secret", "db-secrets"), ("Secret", "rabbitmq-secrets"),
    ]:  # fmt: skip
        assert (kind, name) in kinds
    gateway = named(docs, "Service", "api-gateway")["spec"]
    assert gateway["type"] == "NodePort"
    assert (gateway["ports"][0]["nodePort"], gateway["ports"][0]["port"]) == (30000, 3000)
    assert named(docs, "Service", "inventory-app")["spec"]["ports"][0]["port"] == 8080
    assert named(docs, "Service", "billing-app")["spec"]["clusterIP"] == "None"
    for db in ("inventory-db", "billing-db"):
        assert named(docs, "Service", db)["spec"]["clusterIP"] == "None"
        assert named(docs, "Service", db)["spec"]["ports"][0]["port"] == 5432
        claim = named(docs, "StatefulSet", db)["spec"]["volumeClaimTemplates"][0]
        assert claim["spec"]["resources"]["requests"]["storage"] == "5Gi"
    rabbit = named(docs, "Deployment", "rabbitmq")["spec"]
    assert rabbit["strategy"]["type"] == "Recreate"
    assert {p["port"] for p in named(docs, "Service", "rabbitmq")["spec"]["ports"]} == {
        5672,
        15672,
    }
    for app in READS:
        hpa = named(docs, "HorizontalPodAutoscaler", f"{app}-hpa")["spec"]
        target = hpa["metrics"][0]["resource"]["target"]["averageUtilization"]
        assert (hpa["minReplicas"], hpa["maxReplicas"], target) == (1, 3, 60)
        assert hpa["scaleTargetRef"]["name"] == app


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_pods_meet_the_restricted_pod_security_standard(env):
    for doc in by_kind(rendered(env), *WORKLOADS, "Pod"):
        spec = pod_spec(doc)
        assert spec["automountServiceAccountToken"] is False
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False
            assert context["capabilities"]["drop"] == ["ALL"]
            assert context["readOnlyRootFilesystem"] is True
            assert set(container["resources"]["requests"]) == {"cpu", "memory"}
            assert set(container["resources"]["limits"]) == {"cpu", "memory"}


def _allowed(docs) -> set[tuple[str, str]]:
    """(from, to) pairs the NetworkPolicies allow; "*" is anyone."""
    pairs = set()
    for policy in by_kind(docs, "NetworkPolicy"):
        target = policy["spec"]["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/name")
        for rule in policy["spec"].get("ingress") or []:
            peers = [p["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
                     for p in rule.get("from", []) if "podSelector" in p]  # fmt: skip
            if target and not rule.get("from"):
                peers = ["*"]
            pairs |= {(peer, target) for peer in peers if target}
    return pairs


@pytest.mark.parametrize("env", BUNDLED)
def test_network_policies_allow_exactly_the_designed_paths(env):
    docs = rendered(env)
    deny = named(docs, "NetworkPolicy", "default-deny-ingress")["spec"]
    assert deny["policyTypes"] == ["Ingress"]
    assert not deny.get("ingress")
    assert _allowed(docs) == {
        ("*", "api-gateway"),
        ("api-gateway", "inventory-app"),
        ("inventory-app", "inventory-db"),
        ("billing-app", "billing-db"),
        ("api-gateway", "rabbitmq"),
        ("billing-app", "rabbitmq"),
    }
    labels = {d["metadata"]["name"]: d["spec"]["template"]["metadata"]["labels"]
              for d in by_kind(docs, *WORKLOADS)}  # fmt: skip
    _policy_ports_exist(docs)
    for name, pod_labels in labels.items():
        assert deny["podSelector"]["matchLabels"].items() <= pod_labels.items(), name


def _policy_ports_exist(docs) -> None:
    """A policy that opens a port name the pods do not have lets nothing through."""
    ports = {
        d["metadata"]["name"]: {p["name"] for c in _containers(d) for p in c["ports"]}
        for d in by_kind(docs, *WORKLOADS)
    }
    for policy in by_kind(docs, "NetworkPolicy"):
        selector = policy["spec"]["podSelector"]
        names = [selector.get("matchLabels", {}).get("app.kubernetes.io/name")]
        for expression in selector.get("matchExpressions", []):
            names = expression["values"]
        for rule in policy["spec"].get("ingress") or []:
            for port in rule["ports"]:
                for name in filter(None, names):
                    assert port["port"] in ports[name], (policy["metadata"]["name"], port)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_standard_labels_on_every_object(env):
    required = {
        "app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/version",
        "app.kubernetes.io/component", "app.kubernetes.io/part-of",
        "app.kubernetes.io/managed-by", "helm.sh/chart",
    }  # fmt: skip
    for doc in rendered(env):
        assert required <= set(doc["metadata"]["labels"]), doc["metadata"]["name"]


def test_prod_turns_on_the_production_extras():
    with_crds = template("prod", "--api-versions", "monitoring.coreos.com/v1/ServiceMonitor")
    kinds = {d["kind"] for d in _docs(with_crds.stdout)}
    assert {"Ingress", "PodDisruptionBudget", "ServiceMonitor"} <= kinds
    assert "movies-dashboard" in {
        d["metadata"]["name"] for d in by_kind(rendered("prod"), "ConfigMap")
    }
    vagrant = {d["kind"] for d in rendered("vagrant")}
    assert not {"Ingress", "PodDisruptionBudget", "ServiceMonitor"} & vagrant
    for doc in by_kind(rendered("prod"), "Deployment"):
        if doc["metadata"]["name"] != "rabbitmq":
            assert "podAntiAffinity" in doc["spec"]["template"]["spec"]["affinity"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_chart_chooses_no_http_server(env):
    """waitress is the one server: no value, key or variable selects another."""
    text = rendered_text(env)
    assert "HTTP_SERVER" not in text
    assert "granian" not in text.lower()


def test_no_placeholder_survives_rendering():
    for env in ENVIRONMENTS:
        text = rendered_text(env)
        assert "hlm" not in text
        assert "90000" not in text
