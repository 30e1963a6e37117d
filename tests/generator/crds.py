"""The operators' CustomResourceDefinitions, read where the project's tests find them
(beside the repository, never copied into it), and their schemas as JSON Schemas."""

from __future__ import annotations

import functools
import os
import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.generator.chart_support import ROOT

SHARED_CRDS = Path("shared") / "crds"


def _git(*args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=False
    )
    return done.stdout.strip() if done.returncode == 0 else ""


def candidates() -> list[Path]:
    """Where the CRD folder may be: MOVIES_CRDS_DIR alone when set; else, in order, beside
    the repository, beside the main checkout of a worktree, beside the repository a clone
    was made from."""
    if os.environ.get("MOVIES_CRDS_DIR"):
        return [Path(os.environ["MOVIES_CRDS_DIR"])]
    found = [ROOT.parent / SHARED_CRDS]
    common = _git("rev-parse", "--path-format=absolute", "--git-common-dir")
    if common:
        found.append(Path(common).parent.parent / SHARED_CRDS)
    origin = _git("remote", "get-url", "origin")
    if origin and "://" not in origin:
        found.append(Path(origin).resolve().parent / SHARED_CRDS)
    return list(dict.fromkeys(found))


@functools.cache
def crds_dir() -> Path:
    """The folder, or one line saying where it was looked for (the test then fails)."""
    looked = candidates()
    for folder in looked:
        if folder.is_dir() and any(folder.glob("*.yaml")):
            return folder
    raise LookupError(
        "no operator CRDs found (set MOVIES_CRDS_DIR); looked in "
        + ", ".join(str(folder) for folder in looked)
    )


@functools.cache
def _definitions() -> tuple[dict[str, Any], ...]:
    docs = []
    for path in sorted(crds_dir().glob("*.yaml")):
        docs.extend(d for d in yaml.safe_load_all(path.read_text()) if d)
    return tuple(d for d in docs if d.get("kind") == "CustomResourceDefinition")


def schema_for(api_version: str, kind: str) -> dict[str, Any]:
    """The JSON Schema of a custom resource: its CRD's served version's openAPIV3Schema."""
    group, version = api_version.split("/")
    for crd in _definitions():
        spec = crd["spec"]
        if spec["group"] != group or spec["names"]["kind"] != kind:
            continue
        for served in spec["versions"]:
            if served["name"] == version and served.get("served"):
                return json_schema(served["schema"]["openAPIV3Schema"])
    raise LookupError(f"no CRD in {crds_dir()} serves {kind} {api_version}")


PROPERTY_MAPS = ("properties", "patternProperties")


def _properties(mapping: dict[str, Any]) -> dict[str, Any]:
    return {name: json_schema(schema) for name, schema in mapping.items()}


def json_schema(node: Any) -> Any:
    """OpenAPI v3 as the API server reads it, in JSON Schema terms (the few differences a
    CRD uses): ``x-kubernetes-int-or-string`` is an integer or a string; ``nullable`` adds
    null; an object with ``properties`` takes no other field unless
    ``x-kubernetes-preserve-unknown-fields`` says so (the API server prunes them, and
    strict field validation rejects them, as ``kubectl --validate=strict`` does); every
    other ``x-kubernetes-*`` key has no JSON Schema meaning and is dropped."""
    if isinstance(node, list):
        return [json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {
        key: _properties(value) if key in PROPERTY_MAPS else json_schema(value)
        for key, value in node.items()
        if not key.startswith("x-kubernetes-")
    }
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if out.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    out.pop("nullable", None)
    preserve = node.get("x-kubernetes-preserve-unknown-fields")
    if "properties" in out and "additionalProperties" not in out and not preserve:
        out["additionalProperties"] = False
    return out
