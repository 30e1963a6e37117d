"""The README stays an entry point: short, with CI's exact command, linking every document;
and the documents' links into the repository lead somewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def links(page: Path) -> list[str]:
    return [target for target in LINK.findall(page.read_text()) if "://" not in target]


def test_the_readme_is_at_most_250_lines():
    assert len(README.read_text().splitlines()) <= 250


def test_the_readme_gives_ci_its_command_on_a_line_of_its_own():
    # .ci/run ends with the command it takes from the README's Quick start.
    command = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert command in README.read_text().splitlines()


def test_the_readme_links_every_document():
    linked = {(ROOT / target).resolve() for target in links(README)}
    assert [doc.name for doc in DOCS if doc.resolve() not in linked] == []


@pytest.mark.parametrize("page", [README, *DOCS], ids=lambda page: page.name)
def test_links_into_the_repository_exist(page):
    missing = [t for t in links(page) if not (page.parent / t).exists()]
    assert missing == []
