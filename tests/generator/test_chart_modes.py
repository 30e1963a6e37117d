"""Each backend in each mode: what renders, where the apps are pointed, the traffic
allowed, and every custom resource valid against its operator's own CRD schema.

The operators themselves cannot run here: their resources are checked statically, against
the CRDs of the operators' releases (found by tests/generator/crds.py).
"""

from __future__ import annotations

import base64
import copy
from typing import Any

import jsonschema
import pytest

from tests.generator import crds
from tests.generator.chart_support import (
    BACKEND_KEYS,
    EXTERNAL,
    MODE_CASES,
    RENDERINGS,
    WORKLOADS,
    by_kind,
    named,
    pod_spec,
    rendered,
    template,
)

NAMES = {"inventoryDb": "inventory-db", "billingDb": "billing-db", "rabbitmq": "rabbitmq"}
PREFIX = {"inventoryDb": "INVENTORY_DB", "billingDb": "BILLING_DB", "rabbitmq": "RABBITMQ"}
# The app whose container reads each backend's variables (the gateway reads the broker's too).
READER = {"inventoryDb": "inventory-app", "billingDb": "billing-app", "rabbitmq": "billing-app"}
SECRET = {"inventoryDb": "db-secrets", "billingDb": "db-secrets", "rabbitmq": "rabbitmq-secrets"}
CUSTOM = {"Cluster", "RabbitmqCluster"}


def custom_resources(docs) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] in CUSTOM]


def validate(resource: dict[str, Any]) -> None:
    try:
        schema = crds.schema_for(resource["apiVersion"], resource["kind"])
    except LookupError as exc:
        pytest.fail(str(exc))
    jsonschema.Draft7Validator(schema).validate(resource)


def env_of(docs, app: str) -> dict[str, dict[str, Any]]:
    workload = next(d for d in by_kind(docs, *WORKLOADS) if d["metadata"]["name"] == app)
    return {e["name"]: e for e in pod_spec(workload)["containers"][0]["env"]}


def config(docs) -> dict[str, str]:
    return named(docs, "ConfigMap", "app-config")["data"]


def secret_ref(docs, app: str, variable: str) -> tuple[str, str]:
    ref = env_of(docs, app)[variable]["valueFrom"]["secretKeyRef"]
    return ref["name"], ref["key"]


def bundled_objects(docs, key: str) -> list[str]:
    """The objects of a backend's bundled mode found in a rendering."""
    name = NAMES[key]
    own = {name, f"{name}-data", "rabbitmq-config" if key == "rabbitmq" else name}
    found = [
        f"{d['kind']}/{d['metadata']['name']}"
        for d in docs
        if d["metadata"]["name"] in own
        and d["kind"] in {*WORKLOADS, "Service", "PersistentVolumeClaim", "ConfigMap"}
    ]
    secrets = {d["metadata"]["name"]: d for d in by_kind(docs, "Secret")}
    if SECRET[key] in secrets:
        data = secrets[SECRET[key]].get("data") or {}
        found += [f"Secret/{SECRET[key]}:{k}" for k in data if k.startswith(PREFIX[key] + "_")]
    return found


# --- the CRDs ---------------------------------------------------------------------------


def test_the_operator_crds_are_found():
    try:
        folder = crds.crds_dir()
    except LookupError as exc:
        pytest.fail(str(exc))
    print(f"CRDs from {folder}")


def test_a_missing_crd_folder_fails_in_one_line_naming_where_it_looked(tmp_path, monkeypatch):
    nowhere = tmp_path / "no-crds"
    monkeypatch.setattr(crds, "candidates", lambda: [nowhere])
    with pytest.raises(LookupError) as raised:
        crds.crds_dir.__wrapped__()
    assert str(nowhere) in str(raised.value)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize("case", RENDERINGS)
def test_every_custom_resource_validates_against_its_operators_crd(case):
    resources = custom_resources(rendered(case))
    for resource in resources:
        validate(resource)
    names = [f"{r['kind']}/{r['metadata']['name']}" for r in resources]
    print(f"{case}: {len(names)} custom resources valid against the CRDs {names}")
    expected = 3 if case == "prod" else int(case.endswith("-operator"))
    assert len(resources) == expected


@pytest.mark.parametrize(
    ("kind", "path", "value"),
    [
        ("Cluster", ("spec", "instancess"), 3),  # an unknown field
        ("Cluster", ("spec", "postgresql", "synchronous", "method"), "all"),  # not in the enum
        ("RabbitmqCluster", ("spec", "replicas"), "three"),  # a wrong type
        ("RabbitmqCluster", ("spec", "persistence", "storage"), {"size": 1}),  # int-or-string
    ],
)
def test_crd_validation_catches_a_wrong_resource(kind, path, value):
    """The validation above can fail."""
    resource = copy.deepcopy(by_kind(rendered("prod"), kind)[0])
    node = resource
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    with pytest.raises(jsonschema.ValidationError):
        validate(resource)


# --- operator mode ----------------------------------------------------------------------


@pytest.mark.parametrize("key", BACKEND_KEYS)
def test_operator_mode_renders_the_resource_and_nothing_bundled(key):
    docs = rendered(f"{key}-operator")
    assert bundled_objects(docs, key) == []
    [resource] = custom_resources(docs)
    assert resource["metadata"]["name"] == NAMES[key]
    others = [k for k in BACKEND_KEYS if k != key]
    for other in others:
        assert bundled_objects(docs, other), f"{other} stays bundled"


def test_prod_renders_nothing_bundled_for_its_operator_backends():
    docs = rendered("prod")
    for key in BACKEND_KEYS:
        assert bundled_objects(docs, key) == [], key
    workloads = {d["metadata"]["name"] for d in by_kind(docs, *WORKLOADS)}
    assert workloads == {"api-gateway", "inventory-app", "billing-app"}
    assert not [d for d in by_kind(docs, "Secret") if d["metadata"]["name"] in SECRET.values()]


@pytest.mark.parametrize("key", ["inventoryDb", "billingDb"])
def test_a_database_in_operator_mode_is_a_replicated_cloudnativepg_cluster(key):
    docs = rendered("prod")
    spec = named(docs, "Cluster", NAMES[key])["spec"]
    assert spec["instances"] == 3
    assert spec["postgresql"]["synchronous"] == {
        "method": "any",
        "number": 1,
        "dataDurability": "required",
    }
    assert spec["affinity"] == {
        "enablePodAntiAffinity": True,
        "podAntiAffinityType": "required",
        "topologyKey": "kubernetes.io/hostname",
    }
    database = config(docs)[f"{PREFIX[key]}_NAME"]
    assert spec["bootstrap"]["initdb"]["database"] == database
    assert spec["bootstrap"]["initdb"]["owner"] == NAMES[key].removesuffix("-db")
    assert spec["storage"]["size"] == "5Gi"
    assert set(spec["resources"]) == {"requests", "limits"}


def test_the_broker_in_operator_mode_is_a_three_node_rabbitmq_cluster():
    spec = named(rendered("prod"), "RabbitmqCluster", "rabbitmq")["spec"]
    assert spec["replicas"] == 3
    assert spec["persistence"]["storage"] == "1Gi"
    assert set(spec["resources"]) == {"requests", "limits"}
    [term] = spec["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert term["topologyKey"] == "kubernetes.io/hostname"
    assert term["labelSelector"]["matchLabels"] == {"app.kubernetes.io/name": "rabbitmq"}


@pytest.mark.parametrize("key", BACKEND_KEYS)
def test_operator_mode_points_the_apps_at_the_operators_service_and_secret(key):
    docs = rendered(f"{key}-operator")
    host = {"inventoryDb": "inventory-db-rw", "billingDb": "billing-db-rw", "rabbitmq": "rabbitmq"}
    secret = {
        "inventoryDb": "inventory-db-app",
        "billingDb": "billing-db-app",
        "rabbitmq": "rabbitmq-default-user",
    }
    assert config(docs)[f"{PREFIX[key]}_HOST"] == host[key]
    assert config(docs)[f"{PREFIX[key]}_PORT"] == ("5672" if key == "rabbitmq" else "5432")
    apps = ("api-gateway", "billing-app") if key == "rabbitmq" else (READER[key],)
    for app in apps:
        assert secret_ref(docs, app, f"{PREFIX[key]}_USER") == (secret[key], "username")
        assert secret_ref(docs, app, f"{PREFIX[key]}_PASSWORD") == (secret[key], "password")


# --- external mode ----------------------------------------------------------------------


@pytest.mark.parametrize("key", BACKEND_KEYS)
def test_external_mode_renders_nothing_of_the_backend_and_points_at_the_managed_one(key):
    docs = rendered(f"{key}-external")
    assert bundled_objects(docs, key) == []
    assert custom_resources(docs) == []
    settings = dict(arg.split("=", 1) for arg in MODE_CASES[f"{key}-external"][1::2])
    external = {k.rsplit(".", 1)[-1]: v for k, v in settings.items() if ".external." in k}
    data = config(docs)
    assert data[f"{PREFIX[key]}_HOST"] == external["host"]
    default_port = "5672" if key == "rabbitmq" else "5432"
    assert data[f"{PREFIX[key]}_PORT"] == external.get("port", default_port)
    user = external.get("existingSecretUserKey", "username")
    password = external.get("existingSecretPasswordKey", "password")
    reader = READER[key]
    assert secret_ref(docs, reader, f"{PREFIX[key]}_USER") == (external["existingSecret"], user)
    assert secret_ref(docs, reader, f"{PREFIX[key]}_PASSWORD") == (
        external["existingSecret"],
        password,
    )
    assert f"{NAMES[key]}-ingress" not in {
        p["metadata"]["name"] for p in by_kind(docs, "NetworkPolicy")
    }


def test_a_bundled_backend_keeps_its_generated_password_beside_an_external_one():
    docs = rendered("inventoryDb-external")
    data = named(docs, "Secret", "db-secrets")["data"]
    assert set(data) == {"BILLING_DB_USER", "BILLING_DB_PASSWORD"}
    assert base64.b64decode(data["BILLING_DB_USER"]) == b"billing"


# --- traffic ----------------------------------------------------------------------------


def _policy(docs, name: str) -> dict[str, Any]:
    return named(docs, "NetworkPolicy", name)["spec"]


@pytest.mark.parametrize(
    ("key", "pods", "port", "apps", "operator_namespace"),
    [
        ("inventoryDb", {"cnpg.io/cluster": "inventory-db"}, 5432, ["inventory-app"],
         "cnpg-system"),
        ("billingDb", {"cnpg.io/cluster": "billing-db"}, 5432, ["billing-app"], "cnpg-system"),
        ("rabbitmq", {"app.kubernetes.io/name": "rabbitmq"}, 5672,
         ["api-gateway", "billing-app"], "rabbitmq-system"),
    ],
)  # fmt: skip
def test_network_policies_follow_the_operators_pods(key, pods, port, apps, operator_namespace):
    spec = _policy(rendered(f"{key}-operator"), f"{NAMES[key]}-ingress")
    assert spec["podSelector"] == {"matchLabels": pods}
    [from_apps, from_peers, from_operator] = spec["ingress"]
    assert [p["port"] for p in from_apps["ports"]] == [port]
    assert [p["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
            for p in from_apps["from"]] == apps  # fmt: skip
    assert from_peers == {"from": [{"podSelector": {"matchLabels": pods}}]}
    namespace = from_operator["from"][0]["namespaceSelector"]["matchLabels"]
    assert namespace == {"kubernetes.io/metadata.name": operator_namespace}


@pytest.mark.parametrize("key", BACKEND_KEYS)
@pytest.mark.parametrize("setting", ["host", "existingSecret"])
def test_external_mode_without_its_host_or_secret_fails_in_one_line(key, setting):
    kept = [s for s in EXTERNAL[key] if not s.startswith(f"{setting}=")]
    sets = [arg for s in kept for arg in ("--set", f"{key}.external.{s}")]
    result = template("vagrant", "--set", f"{key}.mode=external", *sets)
    assert result.returncode != 0
    assert f"{key}.external.{setting} is required when {key}.mode is external" in result.stderr
