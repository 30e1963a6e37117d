"""The CLI against the real synthesized chart, through the real helm (pyhelm3): the
image override that `build` records renders to the images it built, and the names the
CLI relies on (workloads, Services, the billing database) are in the chart."""

from __future__ import annotations

import asyncio

import pytest
import yaml
from click.testing import CliRunner
from pyhelm3 import Client

from orchestrator import helm as cli_helm
from orchestrator import images
from orchestrator.app import cli
from orchestrator.kube import APP_SERVICES
from orchestrator.settings import Settings
from tests.support.tools import REPO as REPO_ROOT
from tests.support.tools import on_path

from .cli_fakes import runtime

SETTINGS = Settings(root=REPO_ROOT)


def render(*overrides):
    async def go():
        client = Client(executable=str(on_path("helm")))
        chart = await client.get_chart(SETTINGS.chart_dir)
        values = [cli_helm.chart_values(SETTINGS), *overrides]
        resources = await client.template_resources(
            chart, SETTINGS.release, *values, namespace=SETTINGS.namespace
        )
        return chart, list(resources)

    return asyncio.run(go())


def by_kind(resources, kind):
    return {r["metadata"]["name"]: r for r in resources if r and r["kind"] == kind}


def app_images(resources):
    workloads = {**by_kind(resources, "Deployment"), **by_kind(resources, "StatefulSet")}
    return {
        name: [(c["image"], c["imagePullPolicy"]) for c in workloads[name]["spec"]["template"]
               ["spec"]["containers"]]
        for name in APP_SERVICES
    }  # fmt: skip


def test_chart_metadata_through_pyhelm3():
    chart, _ = render()
    assert chart.metadata.name == "movies"


@pytest.mark.parametrize(
    ("plan", "expected"),
    [
        (images.ImagePlan("docker.io", "20261126-150405"),
         "docker.io/movies/{target}:20261126-150405"),
        (images.ImagePlan("docker.io", "v2", hub_user="alice"),
         "docker.io/alice/movies-{target}:v2"),
        (images.ImagePlan("ghcr.io/acme", "v3"), "ghcr.io/acme/movies/{target}:v3"),
    ],
)  # fmt: skip
def test_the_recorded_override_renders_to_the_built_images(plan, expected):
    override = images.values_override(plan, cli_helm.default_values(SETTINGS))
    # What `build` writes to .orchestrator/images.yaml is that same override.
    assert yaml.safe_load(yaml.safe_dump(override)) == override
    _, resources = render(override)

    # Images only side-loaded are never pulled; pushed ones may be.
    policy = "IfNotPresent" if plan.pushable else "Never"
    assert app_images(resources) == {
        app.target: [(expected.format(target=app.target), policy)] for app in images.APPS
    }
    assert {app.target: plan.ref(app) for app in images.APPS} == {
        app.target: expected.format(target=app.target) for app in images.APPS
    }


def test_values_vagrant_alone_renders_the_names_load_tags_on_the_nodes():
    """`helm install ... -f values/vagrant.yaml` with nothing else runs the images that
    `load` tagged with the chart's appVersion, and never pulls them."""
    _, resources = render()
    version = cli_helm.app_version(SETTINGS)
    assert app_images(resources) == {
        app.target: [(images.chart_ref(app, version).removeprefix("docker.io/"), "Never")]
        for app in images.APPS
    }


def test_the_names_the_cli_relies_on_are_in_the_chart():
    _, resources = render()
    services = by_kind(resources, "Service")
    # health asks each app's Service for /readyz on its first port
    for name in APP_SERVICES:
        assert services[name]["spec"]["ports"], name
    assert services["api-gateway"]["spec"]["type"] == "NodePort"
    assert services["api-gateway"]["spec"]["ports"][0]["nodePort"] == 30000
    # the audit counts orders with psql inside billing-db-0
    assert "billing-db" in by_kind(resources, "StatefulSet")
    hpas = by_kind(resources, "HorizontalPodAutoscaler")
    assert set(hpas) == {f"{name}-hpa" for name in APP_SERVICES}


def test_synth_writes_the_chart_and_values_under_the_checkout(tmp_path):
    result = CliRunner().invoke(cli, ["synth"], obj=runtime(tmp_path), catch_exceptions=False)

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for expected in ("charts/movies/Chart.yaml", "values/vagrant.yaml", "values/prod.yaml"):
        assert f"wrote {expected}" in lines
        assert (tmp_path / expected).is_file()
    assert all(line.startswith("wrote ") for line in lines[:-1])
    assert lines[-1].startswith("synthesized ")
