"""The typed model is the one source of values.yaml, the schema, the env files, the README."""

from __future__ import annotations

import dataclasses
import json

import pytest
import yaml

from generator.chart.environments import ENVIRONMENTS, override
from generator.chart.model import Values
from tests.generator.chart_support import CHART, ROOT


def _leaves(obj, prefix=""):
    for field in dataclasses.fields(obj):
        value = getattr(obj, field.name)
        if dataclasses.is_dataclass(value):
            yield from _leaves(value, f"{prefix}{field.name}.")
        else:
            yield f"{prefix}{field.name}", value


def test_values_yaml_holds_every_default_with_its_description():
    text = (CHART / "values.yaml").read_text()
    loaded = yaml.safe_load(text)
    assert loaded == dataclasses.asdict(Values())
    for key, _ in _leaves(Values()):
        assert f"## @param {key} " in text, key


def test_values_yaml_has_a_section_per_top_level_group_and_a_sentence_per_value():
    lines = (CHART / "values.yaml").read_text().splitlines()
    sections = [line.split()[2] for line in lines if "@section" in line]
    assert sections == [field.name for field in dataclasses.fields(Values)]
    assert all(line.startswith("## @section") for line in lines if "@section" in line)
    described = [
        line.split(maxsplit=3)[3] for line in lines if line.lstrip().startswith("## @param")
    ]
    assert len(described) == len(list(_leaves(Values())))
    for text in described:
        assert text.endswith("."), text
        assert not text[0].islower(), text
        assert len(text.split()) >= 3, f"too terse for a sentence: {text}"


def test_the_readme_table_has_a_row_per_value():
    readme = (CHART / "README.md").read_text()
    for key, default in _leaves(Values()):
        assert f"| `{key}` |" in readme, key
        assert f"`{json.dumps(default)}`" in readme


def test_the_schema_closes_every_object():
    schema = json.loads((CHART / "values.schema.json").read_text())
    definitions = schema["$defs"]

    def walk(node, path):
        if "$ref" in node:
            assert node["$ref"].removeprefix("#/$defs/") in definitions, path
        if node.get("type") == "object" and "properties" in node:
            assert node["additionalProperties"] is False, path
            for key, child in node["properties"].items():
                assert child.get("description"), f"{path}.{key} has no description"
                walk(child, f"{path}.{key}")

    walk(schema, "")
    for name, definition in definitions.items():
        walk(definition, f"$defs.{name}")


def test_the_schema_states_each_repeated_shape_once():
    text = (CHART / "values.schema.json").read_text()
    schema = json.loads(text)
    for shape in ("Probe", "Resources", "Security", "AppImage", "InfraImage", "Persistence"):
        assert shape in schema["$defs"], shape
    assert text.count('"periodSeconds"') == 2  # the Probe definition: its property, required
    liveness = schema["$defs"]["Probes"]["properties"]["liveness"]
    assert liveness["$ref"] == "#/$defs/Probe"


@pytest.mark.parametrize("env", ENVIRONMENTS, ids=lambda e: e.name)
def test_environment_files_are_the_model_with_their_changes(env):
    on_disk = yaml.safe_load((ROOT / "values" / f"{env.name}.yaml").read_text())
    merged = dataclasses.asdict(Values())

    def merge(base, extra):
        for key, value in extra.items():
            if isinstance(value, dict) and isinstance(base.get(key), dict):
                merge(base[key], value)
            else:
                base[key] = value

    merge(merged, on_disk)
    assert merged == dataclasses.asdict(env.values)


@pytest.mark.parametrize("env", ENVIRONMENTS, ids=lambda e: e.name)
def test_no_environment_breaks_the_contract(env):
    values = env.values
    for app in (values.gateway, values.inventory, values.billing):
        assert app.autoscaling.maxReplicas == 3
        assert app.autoscaling.targetCPUUtilizationPercentage == 60
    for db in (values.inventoryDb, values.billingDb):
        assert db.persistence.size == "5Gi"
        assert db.service.port == 5432
    assert (values.inventory.service.port, values.billing.service.port) == (8080, 8080)
    assert values.gateway.containerPort == 3000


def test_no_password_is_committed_in_any_values_file():
    for path in [CHART / "values.yaml", *(ROOT / "values").glob("*.yaml")]:
        for line in path.read_text().splitlines():
            if line.strip().startswith("password:"):
                assert line.strip() == 'password: ""', f"{path}: {line}"


def test_override_refuses_an_unknown_key():
    with pytest.raises(TypeError):
        override(Values(), {"gateway.replica": 2})
    assert override(Values(), {"gateway.replicas": 4}).gateway.replicas == 4
