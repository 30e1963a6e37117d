"""The committed Postman files are exactly what the OpenAPI document generates, and the
collection covers every operation with no id written in."""

from __future__ import annotations

import json
import re

from tests.postman.collection import (
    COLLECTION,
    FLOW,
    OUT,
    TOKEN_VARIABLE,
    files,
    load_document,
    operations,
)


def test_the_committed_files_are_generated_from_the_document():
    stale = [str(path) for path, text in files().items() if path.read_text() != text]
    assert stale == [], "run `python -m tests.postman.collection` and commit docs/postman/"


def test_every_operation_of_the_document_is_requested():
    assert {step.operation for step in FLOW} == set(operations(load_document()))


def test_ids_travel_in_variables_never_written_in():
    items = json.loads(COLLECTION.read_text())["item"]
    for item in items:
        url = item["request"]["url"]["raw"]
        assert url.startswith("{{baseUrl}}/")
        assert not re.search(r"/\d+(/|$|\?)", url), url
    created = next(i for i in items if i["name"] == "createMovie")
    assert (
        'pm.collectionVariables.set("movieId", body.id);' in created["event"][0]["script"]["exec"]
    )


def test_each_request_checks_its_status_and_body():
    for item in json.loads(COLLECTION.read_text())["item"]:
        script = "\n".join(item["event"][0]["script"]["exec"])
        assert "pm.response.to.have.status(" in script
        assert "jsonSchema(" in script or "Content-Type" in script


def test_writes_take_the_token_from_the_environment_and_reads_send_none():
    collection = json.loads(COLLECTION.read_text())
    assert collection["auth"] == {
        "type": "bearer",
        "bearer": [{"key": "token", "value": "{{apiToken}}", "type": "string"}],
    }
    ops = operations(load_document())
    for step, item in zip(FLOW, collection["item"], strict=True):
        secured = "security" in ops[step.operation][2]
        assert ("auth" not in item["request"]) == secured, item["name"]
        if not secured:
            assert item["request"]["auth"] == {"type": "noauth"}
    for environment in OUT.glob("*.postman_environment.json"):
        keys = {v["key"] for v in json.loads(environment.read_text())["values"]}
        assert TOKEN_VARIABLE in keys, environment.name
