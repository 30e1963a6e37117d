"""The pre-commit hooks run the same ruff checks, with the same ruff, as `nox -s lint`; the
GitHub Actions workflow runs nox sessions that exist, against both servers."""

from __future__ import annotations

import ast
import shlex

import yaml

from tests.support.tools import REPO


def noxfile_constant(name: str) -> object:
    tree = ast.parse((REPO / "noxfile.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            return ast.literal_eval(node.value)
    raise LookupError(f"noxfile.py has no {name}")


def noxfile_sessions() -> set[str]:
    tree = ast.parse((REPO / "noxfile.py").read_text())
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and any("nox.session" in ast.unparse(d) for d in node.decorator_list)
    }


def test_the_pre_commit_hooks_are_the_lint_sessions_ruff_checks():
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
    assert [tuple(shlex.split(hook["entry"])) for hook in hooks] == list(
        noxfile_constant("RUFF_CHECKS")
    )
    for hook in hooks:
        assert hook["additional_dependencies"] == [noxfile_constant("RUFF")], hook["id"]
        assert hook["pass_filenames"] is False, hook["id"]  # the whole tree, as nox does


def test_the_workflow_runs_existing_sessions_against_both_servers():
    workflow = yaml.safe_load((REPO / ".github/workflows/ci.yml").read_text())
    job = workflow["jobs"]["nox"]
    assert set(job["strategy"]["matrix"]["session"]) <= noxfile_sessions()
    services = job["services"]
    assert services["postgres"]["env"]["POSTGRES_HOST_AUTH_METHOD"] == "trust"
    assert "5432:5432" in services["postgres"]["ports"]
    assert "5672:5672" in services["rabbitmq"]["ports"]
    assert all("--health-cmd" in service["options"] for service in services.values())
