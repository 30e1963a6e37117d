"""docs/configuration.md lists exactly the variables the services declare, as they declare them.

Each row of its table is checked against the services' ``ENVIRONMENT`` and the chart's wiring:
who reads the variable, its default, whether it is required or secret, and which ConfigMap or
Secret key (and chart value) sets it. Only the last column, what the variable does, is free
text. A failure prints the row as it should read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from generator.chart import wiring
from generator.chart.backends import EXTERNAL_KEYS, OPERATOR_KEYS
from services import contract
from services.billing.config import ENVIRONMENT as BILLING
from services.common.environment import Environment, Variable
from services.gateway.config import ENVIRONMENT as GATEWAY
from services.inventory.config import ENVIRONMENT as INVENTORY

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
DECLARED: dict[str, Environment] = {
    contract.GATEWAY.short: GATEWAY,
    contract.INVENTORY.short: INVENTORY,
    contract.BILLING.short: BILLING,
}
CHART_ENV: dict[str, dict[str, wiring.Source]] = {
    contract.GATEWAY.short: wiring.GATEWAY_ENV,
    contract.INVENTORY.short: wiring.INVENTORY_ENV,
    contract.BILLING.short: wiring.BILLING_ENV,
}
NOT_SET = "not set (built-in default)"


@dataclass(frozen=True)
class Row:
    """One row of the table; ``cells`` are the checked columns, ``purpose`` the free one."""

    name: str
    cells: tuple[str, ...]
    purpose: str

    def text(self) -> str:
        return "| " + " | ".join((f"`{self.name}`", *self.cells, self.purpose)) + " |"


def declarations() -> dict[str, dict[str, Variable]]:
    """Variable name -> service -> its declaration, in the order the services declare them."""
    found: dict[str, dict[str, Variable]] = {}
    for service, environment in DECLARED.items():
        for variable in environment:
            found.setdefault(variable.name, {})[service] = variable
    return found


def default_cell(by_service: dict[str, Variable]) -> str:
    by_default: dict[str | None, list[str]] = {}
    for service, variable in by_service.items():
        by_default.setdefault(variable.default, []).append(service)
    if len(by_default) == 1:
        (default,) = by_default
        return "required" if default is None else ("unset" if default == "" else f"`{default}`")
    return "; ".join(
        f"`{default}` {', '.join(services)}" for default, services in by_default.items()
    )


def credential_cell(source: wiring.FromCredential) -> str:
    """Where each mode of the backend puts the user or password."""
    backend, field = source.backend, source.field
    key = f"{backend.prefix}_{field}"
    external = f"{backend.key}.external"
    return (
        f"bundled: `{backend.bundled_secret}` `{key}` ← "
        f"`{wiring.bundled_credentials(backend)[key]}`; operator: `{backend.operator_secret}` "
        f"`{OPERATOR_KEYS[field]}`; external: `{external}.existingSecret` "
        f"`{external}.{EXTERNAL_KEYS[field]}`"
    )


def by_mode_cell(key: str) -> str:
    """A backend's host or port in app-config, as each mode sets it."""
    backend, what = wiring.BY_MODE[key]
    bundled = f"= `{backend.name}`" if what == "host" else f"← `{backend.bundled_port}`"
    operator = backend.operator_service if what == "host" else backend.operator_port
    return (
        f"`{contract.CONFIG_MAP}` `{key}`: bundled {bundled}; operator = `{operator}`; "
        f"external ← `{backend.key}.external.{what}`"
    )


def source_cell(source: wiring.Source) -> str:
    if isinstance(source, wiring.FromCredential):
        return credential_cell(source)
    assert isinstance(source, wiring.FromConfig), source
    if source.key in wiring.BY_MODE:
        return by_mode_cell(source.key)
    expression = wiring.CONFIG[source.key]
    paths = re.findall(r"\.Values\.([\w.]+)", expression)
    if paths:
        return f"`{contract.CONFIG_MAP}` `{source.key}` ← " + ", ".join(f"`{p}`" for p in paths)
    return f"`{contract.CONFIG_MAP}` `{source.key}` = `{expression.strip(chr(34))}` (fixed)"


# Set only with a value on: the gateway's tokens, from the Secret of gateway.auth.
CONDITIONAL = {
    wiring.API_TOKENS: f"`{wiring.GATEWAY_SECRET}` `{wiring.API_TOKENS}` with "
    "`gateway.auth.enabled` (or `gateway.auth.existingSecret`)"
}


def chart_cell(name: str, by_service: dict[str, Variable]) -> str:
    if name in CONDITIONAL:
        return CONDITIONAL[name]
    sources: list[str] = []
    for service in by_service:
        source = CHART_ENV[service].get(name)
        cell = NOT_SET if source is None else source_cell(source)
        if cell not in sources:
            sources.append(cell)
    return "; ".join(sources)


def expected_rows() -> dict[str, tuple[str, ...]]:
    rows = {}
    for name, by_service in declarations().items():
        first = next(iter(by_service.values()))
        rows[name] = (
            ", ".join(by_service),
            default_cell(by_service),
            "yes" if first.required else "no",
            "yes" if first.secret else "no",
            chart_cell(name, by_service),
        )
    return rows


def documented_rows() -> dict[str, Row]:
    rows = {}
    for line in DOC.read_text().splitlines():
        match = re.fullmatch(r"\| `([A-Z][A-Z0-9_]*)` \| (.*) \|", line)
        if match is None:
            continue
        cells = tuple(cell.strip() for cell in match.group(2).split(" | "))
        rows[match.group(1)] = Row(match.group(1), cells[:-1], cells[-1])
    return rows


def test_every_declared_variable_has_a_row():
    missing = expected_rows().keys() - documented_rows().keys()
    rows = "\n".join(Row(name, expected_rows()[name], "...").text() for name in sorted(missing))
    assert not missing, f"add to {DOC.name}:\n{rows}"


def test_no_row_names_a_variable_nobody_declares():
    extra = documented_rows().keys() - expected_rows().keys()
    assert not extra, f"{DOC.name} documents variables no service declares: {sorted(extra)}"


@pytest.mark.parametrize("name", sorted(declarations()))
def test_the_row_says_what_the_declaration_and_the_chart_say(name):
    row = documented_rows().get(name)
    if row is None:
        pytest.fail(f"{name} has no row in {DOC.name}")
    expected = Row(name, expected_rows()[name], row.purpose)
    assert row.cells == expected.cells, f"in {DOC.name}, the row should read:\n{expected.text()}"
    assert row.purpose, f"{name}: say what it does"
