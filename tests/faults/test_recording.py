"""Recorded results change only when asked: a plain run writes to the ignored build/ folder."""

from __future__ import annotations

import json
import subprocess

from faults import report
from faults.__main__ import parse
from faults.result import Result, account_orders
from tests.support.tools import REPO


def test_a_plain_run_does_not_record():
    assert parse([]).record is False
    assert parse(["--record", "poison"]).record is True


def test_the_scratch_folder_is_ignored_by_git_and_the_results_folder_is_not():
    def ignored(path):
        return subprocess.run(["git", "check-ignore", "-q", str(path)], cwd=REPO).returncode == 0

    assert ignored(report.SCRATCH / "latest.md")
    assert not ignored(report.RESULTS / "latest.md")


def test_write_goes_where_it_is_told(tmp_path):
    result = Result("probe", "claim")
    account_orders(result, sent=2, acknowledged={1, 2}, stored_user_ids=[1, 2])
    written = report.write([result], command="nox -s faults", wall_seconds=1.0, into=tmp_path)
    assert written == tmp_path / "latest.md"
    assert json.loads((tmp_path / "latest.json").read_text())["scenarios"][0]["name"] == "probe"
