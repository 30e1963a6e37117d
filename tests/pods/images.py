"""The images the pods run, all built here without a registry.

A debootstrapped Debian base (cached under a label naming its recipe), Debian's Python on
it, PostgreSQL and RabbitMQ stand-ins from Debian's packages, and the three service images
from services/Dockerfile through `orchestrator build` against podman's Docker API.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.pods.podman import HERE, LOCAL, Podman, podman_env

REPO = HERE.parents[1]
SUITE = "bookworm"
DEBIAN = f"{LOCAL}/debian:{SUITE}"
PYTHON = f"{LOCAL}/python:3.11-{SUITE}"
POSTGRES = f"{LOCAL}/postgres-stand-in:{SUITE}"
RABBITMQ = f"{LOCAL}/rabbitmq-stand-in:{SUITE}"
SERVICE_TAG = "pods"
CLI_MODULE = "orchestrator"
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
APT_SOURCES = (Path("/etc/apt/sources.list"), Path("/etc/apt/sources.list.d"))
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
RECIPE_LABEL = "movies.pods.recipe"
# Written into the base, so that no image built on it keeps docs or downloaded packages.
DEBIAN_CONFIG = {
    "etc/dpkg/dpkg.cfg.d/01-pods-nodoc": HERE / "images" / "debian" / "01-pods-nodoc",
    "etc/apt/apt.conf.d/01-pods-no-cache": HERE / "images" / "debian" / "01-pods-no-cache",
}
RECORD = (REPO / ".orchestrator" / "images.json", REPO / ".orchestrator" / "images.yaml")
NO_DOCS = ("usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/locale")


@dataclass(frozen=True)
class ServiceImages:
    registry: str = LOCAL
    tag: str = SERVICE_TAG

    def ref(self, repository: str) -> str:
        return f"{self.registry}/{repository}:{self.tag}"


def debian_mirror(sources: tuple[Path, ...] = APT_SOURCES) -> str:
    """The Debian mirror this machine's apt uses for the suite (one-line or deb822 sources)."""
    texts = []
    for source in sources:
        files = (
            sorted(source.glob("*.sources")) + sorted(source.glob("*.list"))
            if source.is_dir()
            else [source]
        )
        texts += [f.read_text() for f in files if f.is_file()]
    for text in texts:
        mirror = _mirror_in(text)
        if mirror:
            return mirror
    raise RuntimeError(f"no Debian {SUITE} mirror in this machine's apt sources")


def _mirror_in(text: str) -> str | None:
    for line in text.splitlines():
        match = re.match(rf"\s*deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+{SUITE}\s", line + " ")
        if match:
            return match.group(1)
    for stanza in re.split(r"\n\s*\n", text):
        fields = dict(re.findall(r"^(\w[\w-]*):\s*(.*)$", stanza, flags=re.MULTILINE))
        if SUITE in fields.get("Suites", "").split() and "deb" in fields.get("Types", "").split():
            return fields["URIs"].split()[0]
    return None


def ensure_debian(podman: Podman, log: Callable[[str], None]) -> str:
    """The minbase image, rebuilt only when its recipe (suite, mirror) changes."""
    mirror = debian_mirror()
    recipe = _recipe(mirror)
    if podman.exists("image", DEBIAN):
        labels = podman.json("image", "inspect", DEBIAN)[0]["Labels"] or {}
        if labels.get(RECIPE_LABEL) == recipe:
            return "cached"
    log(f"debootstrap --variant=minbase {SUITE} from {mirror}")
    with tempfile.TemporaryDirectory(prefix="movies-pods-rootfs-") as root:
        subprocess.run(
            ["debootstrap", "--variant=minbase", SUITE, root, mirror],
            check=True, capture_output=True, timeout=600,
        )  # fmt: skip
        for junk in ("var/cache/apt/archives", "var/lib/apt/lists", *NO_DOCS):
            _empty(Path(root) / junk)
        for target, source in DEBIAN_CONFIG.items():
            shutil.copy2(source, Path(root) / target)
        tar = subprocess.Popen(["tar", "-C", root, "-c", "."], stdout=subprocess.PIPE)
        subprocess.run(
            ["podman", "import", "--change", f"ENV PATH={PATH}",
             "--change", f"LABEL {RECIPE_LABEL}={recipe}", "-", DEBIAN],
            stdin=tar.stdout, check=True, capture_output=True, env=podman_env(), timeout=300,
        )  # fmt: skip
        tar.wait(timeout=60)
    return "built"


def _recipe(mirror: str) -> str:
    configs = "".join(source.read_text() for source in DEBIAN_CONFIG.values())
    return hashlib.sha256(f"{SUITE} minbase {mirror} {configs}".encode()).hexdigest()[:16]


def _empty(folder: Path) -> None:
    for child in folder.glob("*"):
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def build_local(podman: Podman, name: str, tag: str, *extra_files: Path) -> None:
    """tests/pods/images/<name> on the Debian base (layer cache: unchanged steps are reused)."""
    with _context(HERE / "images" / name, extra_files) as context:
        podman.run(
            "build", "--layers", "--build-arg", f"DEBIAN_IMAGE={DEBIAN}", "-t", tag, str(context),
            timeout=900,
        )  # fmt: skip


@contextmanager
def _context(source: Path, extra_files: tuple[Path, ...]) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="movies-pods-context-") as folder:
        context = Path(folder) / source.name
        shutil.copytree(source, context)
        for extra in extra_files:
            shutil.copy2(extra, context / extra.name)
        yield context


@contextmanager
def _record_kept() -> Iterator[None]:
    """`orchestrator build` records its images for `deploy` in .orchestrator/: the record
    of the user's own last build is put back, since these images are for this test only."""
    saved = {path: path.read_bytes() for path in RECORD if path.is_file()}
    try:
        yield
    finally:
        for path in RECORD:
            if path in saved:
                path.write_bytes(saved[path])
            else:
                path.unlink(missing_ok=True)


@contextmanager
def docker_api(podman: Podman) -> Iterator[str]:
    """podman's Docker-compatible API on a private socket, for as long as the block runs."""
    with tempfile.TemporaryDirectory(prefix="movies-pods-api-") as folder:
        socket = Path(folder) / "podman.sock"
        service = subprocess.Popen(
            ["podman", "system", "service", "--time=0", f"unix://{socket}"],
            env=podman_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 30
            while not socket.exists() and time.monotonic() < deadline:
                time.sleep(0.2)
            yield f"unix://{socket}"
        finally:
            service.terminate()
            service.wait(timeout=30)


def build_services(podman: Podman, images: ServiceImages) -> str:
    """`orchestrator build` (the docker SDK) on the Python base; returns its output."""
    with docker_api(podman) as host, _record_kept():
        done = subprocess.run(
            [sys.executable, "-m", CLI_MODULE, "build", images.tag, "--registry",
             images.registry, "--build-arg", f"PYTHON_IMAGE={PYTHON}"],
            cwd=REPO, env={**os.environ, "DOCKER_HOST": host}, capture_output=True, text=True,
            timeout=900, check=False,
        )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"orchestrator build failed:\n{done.stdout[-3000:]}{done.stderr}")
    return done.stdout


def build_all(podman: Podman, images: ServiceImages, log: Callable[[str], None]) -> None:
    """The base first; then the stand-ins side by side with Python and the services, since
    most of their time goes to downloading Debian packages."""
    log(f"{DEBIAN}: {ensure_debian(podman, log)}")

    def services() -> None:
        build_local(podman, "python", PYTHON, HOST_CA_BUNDLE)
        build_services(podman, images)

    with ThreadPoolExecutor(max_workers=3) as pool:
        jobs = {
            pool.submit(services): f"{PYTHON}, {images.ref('movies/*')} (orchestrator build)",
            pool.submit(build_local, podman, "postgres", POSTGRES): POSTGRES,
            pool.submit(build_local, podman, "rabbitmq", RABBITMQ): RABBITMQ,
        }
        for job, name in jobs.items():
            job.result()
            log(f"{name}: up to date")


def sizes(podman: Podman) -> list[tuple[str, int]]:
    rows = podman.json("images", "--format", "json")
    return sorted(
        (name, int(row["Size"]))
        for row in rows
        for name in row.get("Names") or []
        if name.startswith(f"{LOCAL}/")
    )
