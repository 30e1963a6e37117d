"""services/requirements.lock, from which the images install, agrees with pyproject.toml:
every base dependency is pinned within its declared range, with hashes, and nothing is pinned
as a direct dependency that pyproject no longer declares. `nox -s lock` rewrites it."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.support.tools import REPO

LOCK = REPO / "services" / "requirements.lock"
PROJECT = "movies (pyproject.toml)"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")


@dataclass
class Pin:
    version: Version
    hashes: int = 0
    via: list[str] = field(default_factory=list)


def declared() -> dict[str, Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    requirements = (Requirement(line) for line in project["dependencies"])
    return {
        canonicalize_name(r.name): r
        for r in requirements
        if r.marker is None or r.marker.evaluate()
    }


def pinned(text: str) -> dict[str, Pin]:
    """name -> its pin, hash count and the `# via` names pip-compile wrote under it."""
    pins: dict[str, Pin] = {}
    current: Pin | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if found := _PIN.match(line):
            current = pins[canonicalize_name(found[1])] = Pin(Version(found[2]))
        elif current is None:
            continue
        elif stripped.startswith("--hash=sha256:"):
            current.hashes += 1
        elif stripped.startswith("# via"):
            current.via += [stripped.removeprefix("# via").strip()]
        elif stripped.startswith("#   "):
            current.via.append(stripped.removeprefix("#").strip())
    return pins


def test_every_base_dependency_is_pinned_within_its_declared_range():
    pins = pinned(LOCK.read_text())
    for name, requirement in declared().items():
        assert name in pins, f"{name} is in pyproject.toml but not in the lock: run nox -s lock"
        assert requirement.specifier.contains(pins[name].version, prereleases=True), (
            f"{name}=={pins[name].version} is outside {requirement.specifier}: run nox -s lock"
        )


def test_the_lock_pins_no_direct_dependency_that_pyproject_dropped():
    direct = {name for name, pin in pinned(LOCK.read_text()).items() if PROJECT in pin.via}
    assert direct == set(declared()), "the lock is older than pyproject.toml: run nox -s lock"


def test_every_pin_has_hashes_and_the_lock_names_its_command():
    text = LOCK.read_text()
    pins = pinned(text)
    assert pins
    assert all(pin.hashes for pin in pins.values()), [n for n, p in pins.items() if not p.hashes]
    assert "#    nox -s lock\n" in text
    assert "--find-links" not in text
    assert "--index-url" not in text


def test_the_parser_reads_what_pip_compile_writes():
    sample = (
        "vine==5.1.0 \\\n    --hash=sha256:aa \\\n    --hash=sha256:bb\n"
        "    # via\n    #   amqp\n    #   kombu\nwaitress==3.0.2 \\\n    --hash=sha256:cc\n"
        f"    # via {PROJECT}\n"
    )
    pins = pinned(sample)
    assert pins["vine"] == Pin(Version("5.1.0"), 2, ["", "amqp", "kombu"])
    assert pins["waitress"] == Pin(Version("3.0.2"), 1, [PROJECT])
