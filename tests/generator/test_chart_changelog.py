"""charts/movies/CHANGELOG.md describes the version Chart.yaml carries."""

from __future__ import annotations

import re

import yaml

from tests.generator.chart_support import CHART

VERSION_HEADING = re.compile(r"^## (\S+)$", flags=re.M)


def test_the_top_changelog_entry_is_the_charts_version():
    versions = VERSION_HEADING.findall((CHART / "CHANGELOG.md").read_text())
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert versions, "CHANGELOG.md has no `## <version>` heading"
    assert versions[0] == chart["version"]
    assert len(versions) == len(set(versions)), "a version is listed twice"
