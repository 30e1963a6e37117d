"""The three service images: naming, building and pushing (docker SDK), and the record
of which images the chart should run.

The record lives in .orchestrator/ (ignored by git through its own .gitignore): the
synthesized values/ files stay untouched, and `deploy` layers the record on top.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console

from orchestrator.errors import OrchestratorError
from orchestrator.settings import Settings
from services import contract

DOCKERFILE = "services/Dockerfile"
DEFAULT_REGISTRY = "docker.io"


@dataclass(frozen=True)
class App:
    """A Dockerfile target and the repository the chart names it by."""

    target: str
    repository: str


APPS = tuple(App(app.name, contract.image_repository(app)) for app in contract.APPS)


@dataclass(frozen=True)
class ImagePlan:
    """Where the images go: `registry/repository:tag` for each app.

    A Docker Hub account holds one level of repositories under the user, so with
    DOCKER_HUB_USERNAME the repositories become `<user>/movies-<target>`.
    """

    registry: str
    tag: str
    hub_user: str | None = None

    def repository(self, app: App) -> str:
        return f"{self.hub_user}/movies-{app.target}" if self.hub_user else app.repository

    def ref(self, app: App) -> str:
        return f"{self.registry}/{self.repository(app)}:{self.tag}"

    @property
    def pushable(self) -> bool:
        # docker.io/movies/* belongs to nobody here: pushing needs an account or registry.
        return self.hub_user is not None or self.registry != DEFAULT_REGISTRY


def default_tag(now: datetime | None = None) -> str:
    """A tag from the date and time (UTC), so each build gets a new one."""
    return (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")


def plan_for(tag: str, registry: str | None, env: Mapping[str, str]) -> ImagePlan:
    """--registry wins; else DOCKER_HUB_USERNAME's Docker Hub; else local-only names."""
    if registry:
        return ImagePlan(registry=registry.rstrip("/"), tag=tag)
    user = env.get("DOCKER_HUB_USERNAME", "").strip()
    return ImagePlan(registry=DEFAULT_REGISTRY, tag=tag, hub_user=user or None)


# --- the record -----------------------------------------------------------------


def save_plan(settings: Settings, plan: ImagePlan, chart_values: Mapping[str, Any]) -> Path:
    """Record `plan` and write the values override that `deploy` passes after vagrant.yaml."""
    settings.state_dir.mkdir(exist_ok=True)
    (settings.state_dir / ".gitignore").write_text("# local state of ./orchestrator.sh\n*\n")
    (settings.state_dir / "images.json").write_text(json.dumps(asdict(plan), indent=2) + "\n")
    override = values_override(plan, chart_values)
    settings.image_values.write_text(
        "# Written by `orchestrator build`; deploy passes it after values/vagrant.yaml.\n"
        + yaml.safe_dump(override, sort_keys=False)
    )
    return settings.image_values


def load_plan(settings: Settings) -> ImagePlan | None:
    path = settings.state_dir / "images.json"
    if not path.is_file():
        return None
    return ImagePlan(**json.loads(path.read_text()))


def pull_policy(plan: ImagePlan) -> str:
    """Never for images only side-loaded: a kubelet that misses one must not go looking
    for it on Docker Hub (ErrImagePull, and helm --wait would sit out its timeout)."""
    return "IfNotPresent" if plan.pushable else "Never"


def record_loaded(settings: Settings, plan: ImagePlan) -> None:
    settings.state_dir.mkdir(exist_ok=True)
    (settings.state_dir / "loaded.json").write_text(json.dumps({"tag": plan.tag}) + "\n")


def loaded_tag(settings: Settings) -> str | None:
    """The tag `load` last put into the nodes, if any."""
    path = settings.state_dir / "loaded.json"
    if not path.is_file():
        return None
    return str(json.loads(path.read_text()).get("tag")) or None


def chart_ref(app: App, app_version: str) -> str:
    """The image values/vagrant.yaml alone renders: the chart's repository and appVersion."""
    return f"{DEFAULT_REGISTRY}/{app.repository}:{app_version}"


def values_override(plan: ImagePlan, chart_values: Mapping[str, Any]) -> dict[str, Any]:
    """The values that make the chart run `plan`'s images."""
    override: dict[str, Any] = {
        "image": {"registry": plan.registry, "tag": plan.tag, "pullPolicy": pull_policy(plan)}
    }
    if plan.hub_user is None:
        return override
    paths = repository_paths(chart_values)
    for app in APPS:
        if app.repository not in paths:
            raise OrchestratorError(
                f"charts/movies/values.yaml names no repository {app.repository}, so "
                "DOCKER_HUB_USERNAME cannot rename it; use --registry instead"
            )
        _set_in(override, (*paths[app.repository], "repository"), plan.repository(app))
    return override


def repository_paths(values: Any, path: tuple[str, ...] = ()) -> dict[str, tuple[str, ...]]:
    """repository value -> the keys leading to the mapping that holds it."""
    found: dict[str, tuple[str, ...]] = {}
    if isinstance(values, Mapping):
        if isinstance(values.get("repository"), str):
            found[values["repository"]] = path
        for key, child in values.items():
            found.update(repository_paths(child, (*path, str(key))))
    return found


def _set_in(tree: dict[str, Any], keys: tuple[str, ...], value: str) -> None:
    for key in keys[:-1]:
        tree = tree.setdefault(key, {})
    tree[keys[-1]] = value


# --- the docker engine ----------------------------------------------------------


def connect_docker() -> Any:
    """A docker SDK client that has answered a ping."""
    import docker  # only the image commands need it
    from docker.errors import DockerException

    try:
        client = docker.from_env()
        client.ping()
    except DockerException as exc:
        where = os.environ.get("DOCKER_HOST", "the default socket")
        raise OrchestratorError(
            f"no Docker engine answers at {where}: install Docker and start it "
            "(https://docs.docker.com/engine/install/), or set DOCKER_HOST"
        ) from exc
    return client


def build(
    client: Any,
    settings: Settings,
    plan: ImagePlan,
    console: Console,
    build_args: Mapping[str, str] | None = None,
) -> None:
    """Build every target, streaming the engine's log; `build_args` are the Dockerfile's ARGs."""
    extra = {"buildargs": dict(build_args)} if build_args else {}
    for app in APPS:
        ref = plan.ref(app)
        console.print(f"[bold]building {ref}[/] (target {app.target})")
        chunks = client.api.build(
            path=str(settings.root),
            dockerfile=DOCKERFILE,
            target=app.target,
            tag=ref,
            rm=True,
            decode=True,
            **extra,
        )
        _stream(chunks, console, f"building {app.target}")


def push(client: Any, plan: ImagePlan, console: Console) -> None:
    if not plan.pushable:
        raise OrchestratorError(
            "nowhere to push: set DOCKER_HUB_USERNAME (and `docker login`) or pass --registry"
        )
    for app in APPS:
        repository = plan.ref(app).rsplit(":", 1)[0]
        console.print(f"[bold]pushing {plan.ref(app)}[/]")
        chunks = client.api.push(repository, tag=plan.tag, stream=True, decode=True)
        _stream(chunks, console, f"pushing {app.target}")


def _stream(chunks: Iterable[Mapping[str, Any]], console: Console, what: str) -> None:
    for chunk in chunks:
        if "error" in chunk:
            raise OrchestratorError(f"{what} failed: {str(chunk['error']).strip()}")
        text = chunk.get("stream") or chunk.get("status")
        if text:
            console.print(
                str(text).rstrip(), style="dim", markup=False, highlight=False, soft_wrap=True
            )


def missing_images(client: Any, plan: ImagePlan) -> list[str]:
    from docker.errors import ImageNotFound

    missing = []
    for app in APPS:
        try:
            client.images.get(plan.ref(app))
        except ImageNotFound:
            missing.append(plan.ref(app))
    return missing


@contextmanager
def saved_images(client: Any, plan: ImagePlan) -> Iterator[list[Path]]:
    """Each image as a `docker save` archive in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="movies-images-") as folder:
        archives = []
        for app in APPS:
            archive = Path(folder) / f"{app.target}.tar"
            with archive.open("wb") as out:
                for chunk in client.api.get_image(plan.ref(app)):
                    out.write(chunk)
            archives.append(archive)
        yield archives
