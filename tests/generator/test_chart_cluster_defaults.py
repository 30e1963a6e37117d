"""What a first run on a real K3s cluster depends on, read from `helm template` output:
pull policies, CRD-gated objects, startup probes, what rolls the pods on an upgrade, the
broker's memory alarm, and the database containers' psql defaults."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess

import pytest
import yaml

from generator.chart.render import documents
from tests.generator.chart_support import (
    APPS,
    BUNDLED,
    CHART,
    ENVIRONMENTS,
    NAMESPACE,
    ROOT,
    SERVICE_MONITOR_API,
    WORKLOADS,
    by_kind,
    helm,
    named,
    notes,
    pod_spec,
    rendered,
    template,
)

BACKENDS = ("inventory-db", "billing-db", "rabbitmq")
UNITS = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30}


def docs_of(result: subprocess.CompletedProcess[str]) -> list[dict]:
    assert result.returncode == 0, result.stderr
    return list(documents(result.stdout))


def workload(docs, name: str) -> dict:
    [found] = [d for d in by_kind(docs, *WORKLOADS) if d["metadata"]["name"] == name]
    return found


def container(docs, name: str) -> dict:
    return pod_spec(workload(docs, name))["containers"][0]


def resolve(docs, entry: dict) -> str:
    source = entry["valueFrom"]
    if "configMapKeyRef" in source:
        ref = source["configMapKeyRef"]
        return named(docs, "ConfigMap", ref["name"])["data"][ref["key"]]
    ref = source["secretKeyRef"]
    return base64.b64decode(named(docs, "Secret", ref["name"])["data"][ref["key"]]).decode()


def to_bytes(quantity: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([A-Za-z]*)", quantity).groups()  # type: ignore[union-attr]
    return int(number) * UNITS.get(unit, 1)


# --- pull policies -----------------------------------------------------------------


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_side_loaded_app_images_are_never_pulled_and_backends_keep_their_own_policy(env):
    docs = rendered(env)
    expected = "Never" if env == "vagrant" else "IfNotPresent"
    for app in APPS:
        assert container(docs, app)["imagePullPolicy"] == expected, app
    for backend in BACKENDS if env in BUNDLED else ():
        assert container(docs, backend)["imagePullPolicy"] == "IfNotPresent", backend


def test_the_app_pull_policy_does_not_reach_postgres_or_rabbitmq():
    docs = docs_of(template("vagrant", "--set", "image.pullPolicy=Always"))
    assert {container(docs, app)["imagePullPolicy"] for app in APPS} == {"Always"}
    assert {container(docs, b)["imagePullPolicy"] for b in BACKENDS} == {"IfNotPresent"}
    docs = docs_of(template("vagrant", "--set", "billingDb.image.pullPolicy=Always"))
    assert container(docs, "billing-db")["imagePullPolicy"] == "Always"
    assert container(docs, "inventory-db")["imagePullPolicy"] == "IfNotPresent"


# --- objects that need a CRD ----------------------------------------------------------


def test_prod_makes_no_servicemonitor_on_a_cluster_without_the_operator_crds():
    docs = rendered("prod")
    assert not by_kind(docs, "ServiceMonitor")


def test_prod_makes_the_servicemonitor_with_the_release_label_when_the_crd_exists():
    docs = docs_of(template("prod", "--api-versions", SERVICE_MONITOR_API))
    [monitor] = by_kind(docs, "ServiceMonitor")
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert monitor["metadata"]["labels"]["app.kubernetes.io/name"] == "movies"
    docs = docs_of(
        template(
            "prod", "--api-versions", SERVICE_MONITOR_API,
            "--set", "metrics.serviceMonitor.labels.release=monitoring",
        )
    )  # fmt: skip
    assert by_kind(docs, "ServiceMonitor")[0]["metadata"]["labels"]["release"] == "monitoring"


def test_the_notes_say_when_the_servicemonitor_was_skipped(tmp_path):
    assert "No ServiceMonitor was made" in notes(tmp_path)
    assert "No ServiceMonitor was made" not in notes(
        tmp_path, "--api-versions", SERVICE_MONITOR_API
    )


def test_the_notes_say_generated_passwords_need_pinning_outside_helm_upgrade(tmp_path):
    text = notes(tmp_path)
    assert "`helm template`, `--dry-run` and GitOps tools" in text
    assert "existingSecrets.db" in text


def test_prod_leaves_storage_and_ingress_classes_to_the_cluster_default():
    docs = rendered("prod")
    assert "ingressClassName" not in named(docs, "Ingress", "api-gateway")["spec"]
    for db in ("inventory-db", "billing-db"):
        assert "storageClass" not in named(docs, "Cluster", db)["spec"]["storage"], db
    assert (
        "storageClassName" not in named(docs, "RabbitmqCluster", "rabbitmq")["spec"]["persistence"]
    )
    vagrant = rendered("vagrant")
    claim = workload(vagrant, "billing-db")["spec"]["volumeClaimTemplates"][0]
    assert claim["spec"]["storageClassName"] == "local-path"  # K3s's provisioner


# --- probes ---------------------------------------------------------------------------


def budget(probe: dict) -> int:
    return probe.get("initialDelaySeconds", 0) + probe["periodSeconds"] * probe["failureThreshold"]


@pytest.mark.parametrize("env", BUNDLED)
def test_backends_get_minutes_to_start_and_a_lenient_liveness(env):
    docs = rendered(env)
    for backend in BACKENDS:
        spec = container(docs, backend)
        assert budget(spec["startupProbe"]) >= 300, backend  # a first initdb on a slow disk
        assert budget(spec["livenessProbe"]) >= 90, backend
        assert spec["livenessProbe"]["timeoutSeconds"] >= 5, backend


def test_rabbitmq_probes_are_tcp_checks_not_erlang_vms():
    spec = container(rendered("vagrant"), "rabbitmq")
    assert spec["readinessProbe"]["tcpSocket"]["port"] == "amqp"
    assert spec["startupProbe"]["tcpSocket"]["port"] == "amqp"
    assert spec["livenessProbe"]["tcpSocket"]["port"] == "management"
    assert "rabbitmq-diagnostics" not in yaml.safe_dump(spec)


def test_readyz_is_the_readiness_probe_of_every_app():
    docs = rendered("vagrant")
    paths = {app: container(docs, app)["readinessProbe"]["httpGet"]["path"] for app in APPS}
    assert paths == dict.fromkeys(APPS, "/readyz")


# --- what rolls the pods ----------------------------------------------------------------


def pod_templates(docs) -> dict[str, dict]:
    return {d["metadata"]["name"]: d["spec"]["template"] for d in by_kind(docs, *WORKLOADS)}


def test_a_new_chart_version_restarts_no_backend(tmp_path):
    bumped = tmp_path / "movies"
    shutil.copytree(CHART, bumped)
    chart_yaml = bumped / "Chart.yaml"
    meta = yaml.safe_load(chart_yaml.read_text())
    chart_yaml.write_text(
        yaml.safe_dump(meta | {"version": "9.9.9", "appVersion": "9.9.9"}, sort_keys=False)
    )
    values = str(ROOT / "values" / "vagrant.yaml")
    done = subprocess.run(
        [str(helm()), "template", "movies", str(bumped), "-n", NAMESPACE, "-f", values],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    before, after = pod_templates(rendered("vagrant")), pod_templates(docs_of(done))
    assert (
        named(docs_of(done), "ConfigMap", "app-config")["metadata"]["labels"]["helm.sh/chart"]
        == "movies-9.9.9"
    )
    for backend in BACKENDS:
        assert after[backend] == before[backend], backend
    # The apps' default image tag is the appVersion: they do roll, for that reason only.
    gateway = after["api-gateway"]["spec"]["containers"][0]["image"]
    assert gateway.endswith(":9.9.9")


def test_a_setting_rolls_only_the_pods_that_read_it():
    before = pod_templates(rendered("vagrant"))
    after = pod_templates(docs_of(template("vagrant", "--set", "inventory.service.port=8088")))
    changed = {name for name in before if before[name] != after[name]}
    # INVENTORY_URL is read by the gateway alone.
    assert changed == {"api-gateway"}
    after = pod_templates(docs_of(template("vagrant", "--set", "rabbitmq.vhost=orders")))
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {"api-gateway", "billing-app", "rabbitmq"}


def test_the_broker_rolls_when_its_own_config_file_changes():
    before = pod_templates(rendered("vagrant"))
    after = pod_templates(
        docs_of(template("vagrant", "--set", "rabbitmq.memoryHighWatermark=300MiB"))
    )
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {"rabbitmq"}


# --- the broker's memory alarm -------------------------------------------------------------


def test_the_operators_rabbitmq_alarms_on_memory_before_its_limit():
    spec = named(rendered("prod"), "RabbitmqCluster", "rabbitmq")["spec"]
    setting = spec["rabbitmq"]["additionalConfig"]
    match = re.fullmatch(r"vm_memory_high_watermark\.absolute = (\d+[A-Za-z]*)", setting)
    assert match, setting
    assert to_bytes(match.group(1)) <= 0.8 * to_bytes(spec["resources"]["limits"]["memory"])


@pytest.mark.parametrize("env", BUNDLED)
def test_rabbitmq_alarms_on_memory_before_its_limit(env):
    docs = rendered(env)
    config = named(docs, "ConfigMap", "rabbitmq-config")["data"]["20-movies.conf"]
    match = re.fullmatch(r"vm_memory_high_watermark\.absolute = (\d+[A-Za-z]*)\n", config)
    assert match, config
    limit = container(docs, "rabbitmq")["resources"]["limits"]["memory"]
    assert to_bytes(match.group(1)) <= 0.8 * to_bytes(limit)
    spec = container(docs, "rabbitmq")
    [mount] = [m for m in spec["volumeMounts"] if m["name"] == "config"]
    assert mount == {
        "mountPath": "/etc/rabbitmq/conf.d/20-movies.conf",
        "name": "config",
        "readOnly": True,
        "subPath": "20-movies.conf",
    }
    assert spec["securityContext"]["readOnlyRootFilesystem"] is True
    volumes = {v["name"]: v for v in pod_spec(workload(docs, "rabbitmq"))["volumes"]}
    assert volumes["config"]["configMap"]["name"] == "rabbitmq-config"


# --- psql in the database pods ---------------------------------------------------------------


@pytest.mark.parametrize(("db", "name"), [("billing-db", "billing"), ("inventory-db", "inventory")])
def test_plain_psql_in_a_database_pod_connects_as_the_chart_user_to_its_database(db, name):
    docs = rendered("vagrant")
    env = {e["name"]: e for e in container(docs, db)["env"]}
    assert resolve(docs, env["PGUSER"]) == resolve(docs, env["POSTGRES_USER"]) == name
    assert resolve(docs, env["PGDATABASE"]) == resolve(docs, env["POSTGRES_DB"]) == name
