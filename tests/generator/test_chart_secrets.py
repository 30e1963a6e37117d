"""The password helper keeps what the live Secret holds, as `helm upgrade` needs.

`helm template` has no cluster, so `lookup` finds nothing there; this renders the chart's
own helper with the Secret that lookup would have returned.
"""

from __future__ import annotations

import base64
import shutil

import pytest

from tests.generator.chart_support import CHART, run_helm


def _render_helper(tmp_path, existing: str, value: str) -> str:
    chart = tmp_path / "probe"
    (chart / "templates").mkdir(parents=True)
    shutil.copy(CHART / "templates" / "_helpers.tpl", chart / "templates")
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: probe\nversion: 0.1.0\n")
    (chart / "templates" / "out.yaml").write_text(
        "value: {{ include \"movies.secretValue\" (dict \"existing\" " + existing
        + ' "key" "PASSWORD" "value" ' + value + ") }}\n"
    )  # fmt: skip
    result = run_helm("template", "probe", str(chart))
    assert result.returncode == 0, result.stderr
    return result.stdout.split("value: ", 1)[1].strip()


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_upgrade_keeps_the_password_of_the_live_secret(tmp_path):
    live = f'(dict "data" (dict "PASSWORD" "{_b64("kept-from-install")}"))'
    assert _render_helper(tmp_path, live, '""') == _b64("kept-from-install")


def test_a_password_set_in_values_wins(tmp_path):
    live = f'(dict "data" (dict "PASSWORD" "{_b64("old")}"))'
    assert _render_helper(tmp_path, live, '"chosen"') == _b64("chosen")


@pytest.mark.parametrize("existing", ["(dict)", '(dict "data" (dict "OTHER" "eA=="))'])
def test_first_install_generates_a_password(tmp_path, existing):
    generated = base64.b64decode(_render_helper(tmp_path, existing, '""'))
    assert len(generated) == 24
    assert generated.isalnum()
