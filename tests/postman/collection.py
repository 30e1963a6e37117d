"""The Postman collection and environments, generated from the gateway's OpenAPI document so
that they cannot drift from it (tests/postman/test_collection.py fails when they do).

`python -m tests.postman.collection` rewrites docs/postman/. Each request's tests check its
status and validate its body against the document's schema for that status; ids travel from
one request to the next in collection variables, none is written in. Writes authenticate with
the collection's bearer auth, whose token is the environment's `apiToken` (leave it empty for a
gateway without API_TOKENS); reads send no token, as the document says they need none."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator.local.config import LocalConfig
from orchestrator.settings import Settings

REPO = Path(__file__).resolve().parents[2]
DOCUMENT = REPO / "services" / "gateway" / "openapi.json"
OUT = REPO / "docs" / "postman"
COLLECTION = OUT / "movies.postman_collection.json"
SCHEMA_URL = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"


@dataclass(frozen=True)
class Step:
    """One request of the flow: an operation, the example body it sends, what it expects."""

    operation: str
    status: int = 200
    example: str | None = None
    query: dict[str, str] = field(default_factory=dict)
    save: dict[str, str] = field(default_factory=dict)  # variable -> field of the answer
    checks: tuple[str, ...] = ()  # further JavaScript assertions on `body`
    name: str = ""


# The crud-master flow: create, read, update, order, delete, then the 404 of what is gone.
FLOW = (
    Step("createMovie", example="movie", save={"movieId": "id", "movieTitle": "title"}),
    Step(
        "listMovies",
        query={"title": "{{movieTitle}}"},
        checks=(
            "pm.expect(body.map((m) => m.id)).to.include(pm.collectionVariables.get('movieId'));",
        ),
    ),
    Step("getMovie", checks=("pm.expect(body.id).to.eql(pm.collectionVariables.get('movieId'));",)),
    Step(
        "updateMovie",
        example="description",
        checks=("pm.expect(body.id).to.eql(pm.collectionVariables.get('movieId'));",),
    ),
    Step("createOrder", example="strings", save={"orderId": "order_id"}),
    Step("deleteMovie", checks=("pm.expect(body.deleted).to.eql(1);",)),
    Step("getMovie", status=404, name="getMovie (deleted: 404)"),
    Step("deleteMovies"),
    Step("listMovies", name="listMovies (none left)", checks=("pm.expect(body).to.eql([]);",)),
    Step("liveness"),
    Step("readiness"),
    Step("openapi"),
    Step("docs"),
)


def load_document() -> dict[str, Any]:
    return dict(json.loads(DOCUMENT.read_text()))


def operations(document: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """operationId -> (method, path, operation)."""
    return {
        op["operationId"]: (method, path, op)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if isinstance(op, dict) and "operationId" in op
    }


def resolve(node: Any, document: dict[str, Any]) -> Any:
    """The node with every local $ref replaced by what it points at."""
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = document
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return resolve(target, document)
        return {key: resolve(value, document) for key, value in node.items()}
    if isinstance(node, list):
        return [resolve(value, document) for value in node]
    return node


def collection(document: dict[str, Any]) -> dict[str, Any]:
    ops = operations(document)
    return {
        "info": {
            "name": document["info"]["title"],
            "description": document["info"]["description"]
            + "\n\nGenerated from services/gateway/openapi.json; set baseUrl in an environment.",
            "schema": SCHEMA_URL,
        },
        "auth": _auth(document),
        "item": [_item(step, *ops[step.operation], document) for step in FLOW],
        "variable": [
            {"key": "movieId", "value": ""},
            {"key": "movieTitle", "value": ""},
            {"key": "orderId", "value": ""},
        ],
    }


TOKEN_VARIABLE = "apiToken"


def _auth(document: dict[str, Any]) -> dict[str, Any]:
    """The document's one security scheme (HTTP bearer) as the collection's auth."""
    (scheme,) = document["components"]["securitySchemes"].values()
    if (scheme["type"], scheme["scheme"]) != ("http", "bearer"):
        raise ValueError(f"the collection knows only HTTP bearer auth, not {scheme}")
    token = {"key": "token", "value": f"{{{{{TOKEN_VARIABLE}}}}}", "type": "string"}
    return {"type": "bearer", "bearer": [token]}


def _item(step: Step, method: str, path: str, op: dict[str, Any], doc: dict[str, Any]) -> Any:
    request: dict[str, Any] = {
        "method": method.upper(),
        "header": [{"key": "Accept", "value": "application/json"}],
        "url": _url(path, step.query),
        "description": op.get("description", op["summary"]),
    }
    if "security" not in op:  # a read: it needs no token, so it sends none
        request["auth"] = {"type": "noauth"}
    if step.example is not None:
        body = op["requestBody"]["content"]["application/json"]["examples"][step.example]["value"]
        request["header"].append({"key": "Content-Type", "value": "application/json"})
        request["body"] = {"mode": "raw", "raw": json.dumps(body, indent=2)}
    if step.operation == "createOrder":
        request["header"].append({"key": "Idempotency-Key", "value": "{{$guid}}"})
    response = resolve(op["responses"][str(step.status)], doc)
    return {
        "name": step.name or step.operation,
        "request": request,
        "event": [
            {
                "listen": "test",
                "script": {"type": "text/javascript", "exec": _tests(step, response)},
            }
        ],
    }


def _url(path: str, query: dict[str, str]) -> dict[str, Any]:
    segments = [s.replace("{id}", "{{movieId}}") for s in path.strip("/").split("/")]
    raw = "{{baseUrl}}/" + "/".join(segments)
    url: dict[str, Any] = {"raw": raw, "host": ["{{baseUrl}}"], "path": segments}
    if query:
        url["query"] = [{"key": k, "value": v} for k, v in query.items()]
        url["raw"] += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


def _tests(step: Step, response: dict[str, Any]) -> list[str]:
    lines = [
        f'pm.test("status is {step.status}", function () {{',
        f"  pm.response.to.have.status({step.status});",
        "});",
    ]
    content = response.get("content", {})
    if "application/json" not in content:
        media = next(iter(content))
        return [
            *lines,
            f'pm.test("answers {media}", function () {{',
            f'  pm.expect(pm.response.headers.get("Content-Type")).to.include("{media}");',
            "});",
        ]
    schema = content["application/json"]["schema"]
    lines += [
        "const body = pm.response.json();",
        'pm.test("body matches the OpenAPI schema", function () {',
        f"  pm.response.to.have.jsonSchema({json.dumps(schema)});",
        *(f"  {check}" for check in step.checks),
        "});",
    ]
    lines += [f'pm.collectionVariables.set("{var}", body.{key});' for var, key in step.save.items()]
    return lines


def environment(name: str, base_url: str) -> dict[str, Any]:
    return {
        "name": f"movies {name}",
        "values": [
            {"key": "baseUrl", "value": base_url, "type": "default", "enabled": True},
            # One of the gateway's API_TOKENS; empty when writes are open (no API_TOKENS).
            {"key": TOKEN_VARIABLE, "value": "", "type": "secret", "enabled": True},
        ],
        "_postman_variable_scope": "environment",
    }


def files() -> dict[Path, str]:
    """Every generated file and its text."""
    document = load_document()
    envs = {
        "local": LocalConfig().url("gateway"),
        "vagrant": Settings(root=REPO).gateway_url,
    }
    out = {COLLECTION: collection(document)}
    out |= {OUT / f"{name}.postman_environment.json": environment(name, url)
            for name, url in envs.items()}  # fmt: skip
    return {
        path: json.dumps(data, indent=2, ensure_ascii=False) + "\n" for path, data in out.items()
    }


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    for path, text in files().items():
        path.write_text(text)
        print(f"wrote {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
