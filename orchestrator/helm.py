"""Installing the chart through pyhelm3: upgrade --install, rolled back on failure, waited."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from orchestrator.errors import OrchestratorError, last_line
from orchestrator.settings import Settings


def chart_values(settings: Settings) -> dict[str, Any]:
    """values/vagrant.yaml as a dict, or the fix when the chart was never synthesized."""
    for required in (settings.chart_dir / "Chart.yaml", settings.values_file):
        if not required.is_file():
            raise OrchestratorError(
                f"{required.relative_to(settings.root)} is missing: run ./orchestrator.sh synth"
            )
    return yaml.safe_load(settings.values_file.read_text()) or {}


def default_values(settings: Settings) -> dict[str, Any]:
    """The chart's own values.yaml: where each app's image repository is named."""
    chart_values(settings)  # the same "run synth" message when the chart is missing
    return yaml.safe_load((settings.chart_dir / "values.yaml").read_text()) or {}


def app_version(settings: Settings) -> str:
    """The chart's appVersion: the image tag the chart renders when none is given."""
    chart_values(settings)
    chart = yaml.safe_load((settings.chart_dir / "Chart.yaml").read_text()) or {}
    return str(chart.get("appVersion") or chart.get("version"))


def install_or_upgrade(settings: Settings, helm: Path, overrides: list[Mapping[str, Any]]) -> Any:
    """`helm upgrade --install movies charts/movies -n microservices` with vagrant.yaml
    and then each override; returns pyhelm3's ReleaseRevision."""
    values = [chart_values(settings), *overrides]
    return asyncio.run(_install(settings, helm, values))


async def _install(settings: Settings, helm: Path, values: list[Mapping[str, Any]]) -> Any:
    from pyhelm3 import Client  # only deploy needs helm
    from pyhelm3.errors import Error as HelmError

    client = Client(
        executable=str(helm),
        kubeconfig=settings.kubeconfig,
        default_timeout=f"{settings.timeout_seconds}s",
    )
    try:
        chart = await client.get_chart(settings.chart_dir)
        return await client.install_or_upgrade_release(
            settings.release,
            chart,
            *values,
            namespace=settings.namespace,
            create_namespace=True,
            # helm 4 renamed --atomic to --rollback-on-failure; ask for the one it knows
            # so that pyhelm3 has no deprecation to warn about.
            atomic=client.version.major < 4,
            rollback_on_failure=client.version.major >= 4,
            wait=True,
            timeout=f"{settings.timeout_seconds}s",
        )
    except HelmError as exc:
        raise OrchestratorError(
            f"helm upgrade --install {settings.release} failed: {last_line(exc.stderr)}; "
            "see ./orchestrator.sh status and ./orchestrator.sh logs SERVICE"
        ) from exc
