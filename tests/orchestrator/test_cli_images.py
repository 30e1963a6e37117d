"""build / load: the docker SDK calls, the recorded override, and the side-load commands."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import yaml
from click.testing import CliRunner

from orchestrator.app import cli
from orchestrator.images import APPS, default_tag, plan_for

from .cli_fakes import VALUES_YAML, FakeDocker, install_fakes, make_checkout, runtime

APP_NAMES = [app.target for app in APPS]


@pytest.fixture
def checkout(tmp_path):
    return make_checkout(tmp_path / "repo")


@pytest.fixture
def fakes(tmp_path, monkeypatch):
    fakes = install_fakes(tmp_path, monkeypatch)
    running = "1,k3s-master,state,running\n1,k3s-agent,state,running\n"
    fakes.on("vagrant", "status", stdout=running)
    fakes.on("vagrant", "ssh", read_stdin=True)
    return fakes


def invoke(rt, *args):
    return CliRunner().invoke(cli, list(args), obj=rt, catch_exceptions=False)


def test_default_tag_is_the_utc_date_and_time():
    assert default_tag(datetime(2026, 11, 26, 15, 4, 5, tzinfo=UTC)) == "20261126-150405"


@pytest.mark.parametrize(
    ("registry", "env", "ref"),
    [
        (None, {}, "docker.io/movies/api-gateway:t1"),
        (None, {"DOCKER_HUB_USERNAME": "alice"}, "docker.io/alice/movies-api-gateway:t1"),
        ("ghcr.io/acme/", {"DOCKER_HUB_USERNAME": "alice"}, "ghcr.io/acme/movies/api-gateway:t1"),
    ],
)
def test_registry_choice(registry, env, ref):
    assert plan_for("t1", registry, env).ref(APPS[0]) == ref


def test_build_streams_every_target_and_records_the_tag(checkout):
    docker = FakeDocker()
    result = invoke(runtime(checkout, docker=docker), "build", "v1.2")

    assert result.exit_code == 0, result.output
    assert [kwargs for _, kwargs in docker.calls] == [
        {"path": str(checkout), "dockerfile": "services/Dockerfile", "target": name,
         "tag": f"docker.io/movies/{name}:v1.2", "rm": True, "decode": True}
        for name in APP_NAMES
    ]  # fmt: skip
    assert "Step 1/9 : FROM python:3.11-slim-bookworm AS billing-app" in result.output
    assert "images tagged v1.2; deploy uses .orchestrator/images.yaml" in result.output
    assert yaml.safe_load((checkout / ".orchestrator/images.yaml").read_text()) == {
        "image": {"registry": "docker.io", "tag": "v1.2", "pullPolicy": "Never"}
    }
    # The record stays out of git without touching the repository's .gitignore,
    # and the synthesized values are left as they were.
    assert (checkout / ".orchestrator/.gitignore").read_text().splitlines()[-1] == "*"
    assert (checkout / "values/vagrant.yaml").read_text() == VALUES_YAML


def test_build_args_reach_every_target(checkout):
    docker = FakeDocker()
    result = invoke(
        runtime(checkout, docker=docker), "build", "v1.3", "--build-arg", "PYTHON_IMAGE=local/py:1"
    )

    assert result.exit_code == 0, result.output
    assert [kwargs["buildargs"] for _, kwargs in docker.calls] == [
        {"PYTHON_IMAGE": "local/py:1"}
    ] * len(APP_NAMES)


def test_a_build_arg_without_a_value_is_refused(checkout):
    docker = FakeDocker()
    result = invoke(runtime(checkout, docker=docker), "build", "v1.4", "--build-arg", "NOPE")

    assert result.exit_code == 2
    assert "'NOPE' is not KEY=VALUE" in result.output
    assert docker.calls == []


def test_build_for_a_docker_hub_user_renames_the_repositories_in_the_override(checkout):
    env = {"DOCKER_HUB_USERNAME": "alice"}
    docker = FakeDocker()
    result = invoke(runtime(checkout, docker=docker, env=env), "build", "v2", "--push")

    assert result.exit_code == 0, result.output
    assert yaml.safe_load((checkout / ".orchestrator/images.yaml").read_text()) == {
        "image": {"registry": "docker.io", "tag": "v2", "pullPolicy": "IfNotPresent"},
        "gateway": {"image": {"repository": "alice/movies-api-gateway"}},
        "inventory": {"image": {"repository": "alice/movies-inventory-app"}},
        "billing": {"image": {"repository": "alice/movies-billing-app"}},
    }
    pushes = [kwargs for name, kwargs in docker.calls if name == "push"]
    assert pushes == [
        {"repository": f"docker.io/alice/movies-{name}", "tag": "v2", "stream": True,
         "decode": True}
        for name in APP_NAMES
    ]  # fmt: skip
    assert result.output.splitlines()[-1] == "pushed v2"


def test_push_without_an_account_or_registry_is_refused(checkout):
    docker = FakeDocker()
    result = invoke(runtime(checkout, docker=docker), "build", "v3", "--push")

    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        "Error: nowhere to push: set DOCKER_HUB_USERNAME (and `docker login`) or pass --registry"
    )
    assert not [name for name, _ in docker.calls if name == "push"]


def test_a_failing_build_stops_at_that_target_with_its_error(checkout):
    docker = FakeDocker(fail_targets={"inventory-app"})
    result = invoke(runtime(checkout, docker=docker), "build", "v4")

    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        "Error: building inventory-app failed: RUN pip install failed for inventory-app"
    )
    assert [kw["target"] for _, kw in docker.calls] == ["api-gateway", "inventory-app"]
    assert not (checkout / ".orchestrator/images.yaml").exists()


def test_load_imports_every_image_into_both_nodes(fakes, checkout):
    docker = FakeDocker()
    assert invoke(runtime(checkout, docker=docker), "build", "v5").exit_code == 0
    result = invoke(runtime(checkout, docker=docker), "load")

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "images v5 loaded into k3s-master, k3s-agent"
    imports = fakes.calls("vagrant")[1:]
    assert imports == [
        argv
        for node in ("k3s-master", "k3s-agent")
        for argv in (
            *[["ssh", node, "-c", "sudo k3s ctr -n k8s.io images import -"] for _ in APP_NAMES],
            # the chart's own name and appVersion, which values/vagrant.yaml alone renders
            *[["ssh", node, "--command", "sudo k3s ctr -n k8s.io images tag --force "
               f"docker.io/movies/{name}:v5 docker.io/movies/{name}:0.1.0"] for name in APP_NAMES],
        )
    ]  # fmt: skip
    # What reached each node's stdin is the `docker save` stream of that image.
    assert [text for text in fakes.stdin_of("vagrant", "ssh") if text] == [
        f"tar of docker.io/movies/{name}:v5" for _ in range(2) for name in APP_NAMES
    ]
    # deploy may now install these images
    assert json.loads((checkout / ".orchestrator/loaded.json").read_text()) == {"tag": "v5"}


def test_load_before_build_says_build(fakes, checkout):
    result = invoke(runtime(checkout), "load")

    assert result.exit_code == 1
    assert result.output == "Error: no images built yet: run ./orchestrator.sh build first\n"
    assert fakes.calls() == []


def test_load_with_an_agent_down_says_start(fakes, checkout):
    fakes.on("vagrant", "status", first=True,
             stdout="1,k3s-master,state,running\n1,k3s-agent,state,poweroff\n")  # fmt: skip
    docker = FakeDocker()
    invoke(runtime(checkout, docker=docker), "build", "v6")
    result = invoke(runtime(checkout, docker=docker), "load")

    assert result.exit_code == 1
    assert result.output == "Error: k3s-agent not running: run ./orchestrator.sh start\n"
