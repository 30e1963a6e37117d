"""The harness's conversions of the rendered chart, on the real `helm template` output."""

from __future__ import annotations

import pytest

from tests.pods import convert, images
from tests.pods.cluster import render

KEPT = ("image", "env", "securityContext", "resources", "readinessProbe", "livenessProbe")


@pytest.fixture(scope="module")
def rendered():
    return render()


@pytest.fixture(scope="module")
def plan(rendered):
    return convert.plan(rendered)


def test_a_pod_per_workload_named_after_its_service(rendered, plan):
    workloads = {d["metadata"]["name"] for d in rendered if d["kind"] in convert.WORKLOADS}
    services = {d["metadata"]["name"] for d in rendered if d["kind"] == "Service"}
    assert {w.name for w in plan.workloads} == workloads
    assert workloads <= services
    assert all(w.playable["kind"] == "Pod" for w in plan.workloads)


def test_containers_keep_what_the_chart_says(plan):
    for workload in plan.workloads:
        pairs = zip(
            workload.rendered["spec"]["containers"],
            workload.playable["spec"]["containers"],
            strict=True,
        )
        for rendered, played in pairs:
            assert {key: rendered.get(key) for key in KEPT} == {
                key: played.get(key) for key in KEPT
            }
        assert (
            workload.playable["spec"]["securityContext"]
            == workload.rendered["spec"]["securityContext"]
        )


def test_only_the_node_port_is_published_and_only_on_loopback(plan):
    published = [
        (w.name, port)
        for w in plan.workloads
        for c in w.playable["spec"]["containers"]
        for port in c["ports"]
    ]
    assert published == [
        (
            "api-gateway",
            {"containerPort": 3000, "name": "http", "hostPort": 30000, "hostIP": "127.0.0.1"},
        )
    ]


def test_empty_dirs_are_per_pod_and_claims_are_named_volumes(plan):
    empty_dirs = [
        v["name"] for w in plan.workloads for v in w.playable["spec"]["volumes"] if "emptyDir" in v
    ]
    assert len(empty_dirs) == len(set(empty_dirs))
    assert sorted(plan.volumes) == [
        "movies-pods-data-billing-db-0",
        "movies-pods-data-inventory-db-0",
        "movies-pods-rabbitmq-data",
    ]


def test_annotations_and_mount_paths_podman_refuses_are_adjusted(plan):
    for workload in plan.workloads:
        assert all(len(v) <= 63 for v in workload.playable["metadata"]["annotations"].values())
    mounts = [
        m["mountPath"]
        for c in plan.workload("billing-db").playable["spec"]["containers"]
        for m in c["volumeMounts"]
    ]
    assert "/run/postgresql" in mounts
    assert not any(path.startswith("/var/run/") for path in mounts)


def test_the_debian_mirror_is_read_from_either_sources_format(tmp_path):
    one_line = tmp_path / "sources.list"
    one_line.write_text("# x\ndeb [arch=amd64] http://mirror.one/debian bookworm main\n")
    deb822 = tmp_path / "sources.list.d"
    deb822.mkdir()
    (deb822 / "debian.sources").write_text(
        "Types: deb\nURIs: http://mirror.two/debian\nSuites: bookworm bookworm-updates\n"
    )
    assert images.debian_mirror((one_line,)) == "http://mirror.one/debian"
    assert images.debian_mirror((tmp_path / "none", deb822)) == "http://mirror.two/debian"
