"""The README stays an entry point: short, with CI's exact command, linking every document;
and the documents' links lead somewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
# The project's documents: a new one goes here and into the README's Documentation table.
DOCUMENTS = {
    "architecture.md",
    "configuration.md",
    "api.md",
    "local.md",
    "cluster.md",
    "operations.md",
    "pods.md",
    "reliability.md",
    "production.md",
    "performance.md",
}
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def links(page: Path) -> list[Path]:
    found = LINK.findall(page.read_text())
    return [(page.parent / target).resolve() for target in found if "://" not in target]


def is_document(target: Path) -> bool:
    return target.parent == DOCS and target.name in DOCUMENTS


def test_the_readme_is_at_most_250_lines():
    assert len(README.read_text().splitlines()) <= 250


def test_the_readme_gives_ci_its_command_on_a_line_of_its_own():
    # .ci/run ends with the command it takes from the README's Quick start.
    command = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert command in README.read_text().splitlines()


def test_every_document_in_docs_is_listed():
    assert {page.name for page in DOCS.glob("*.md")} <= DOCUMENTS


def test_the_readme_links_every_document():
    linked = {target.name for target in links(README) if is_document(target)}
    assert sorted(DOCUMENTS - linked) == []


@pytest.mark.parametrize("page", [README, *sorted(DOCS.glob("*.md"))], ids=lambda p: p.name)
def test_links_lead_to_a_file_or_a_document(page):
    broken = [t for t in links(page) if not (t.exists() or is_document(t))]
    assert [str(t.relative_to(ROOT)) for t in broken] == []
