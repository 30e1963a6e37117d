"""From synthesized objects to Helm template text.

jsii checks types: a number field rejects ``{{ .Values.x }}`` and an object field rejects a
``toYaml`` block. So the constructs put a *stand-in* there, and ``Helm.expand`` swaps every
stand-in for its template text once the YAML is written. That is the whole mechanism:

- each stand-in is entry ``i`` of one table and is written in one of three spellings, chosen
  by the type jsii expects: the word ``hlm<i>x`` (a string), the number ``900000000 + i`` (an
  integer far above any port, size or count here) or a key ``hlm<i>x`` holding nothing (an
  object's extra lines, whose first ``key:`` line says where they sort);
- the YAML writer never quotes a plain word or a number and never folds a line, so one
  pattern, ``STAND_IN``, finds all three in the written text;
- an insert into a list is an item that is a line stand-in (``- key``), whose lines are
  list items of their own (a conditional entry of a container's ``env``, say);
- ``expand`` replaces each with its text (lines re-indented to where their key or item
  stood), and raises where one cannot be replaced rather than let it reach the chart.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml

_NUMBER_BASE = 900_000_000
# A word stand-in, a number stand-in, or a line stand-in as the writer spells it (`key: key`).
STAND_IN = re.compile(r"\bhlm(\d{5})x\b|\b9(\d{8})\b")
# A line stand-in as the writer spells it: a key (`key: key`) or a list item (`- key`).
_LINE = re.compile(r"^( *)(?:hlm(\d{5})x: hlm\2x|- hlm(\d{5})x)$", flags=re.M)
_NINDENT = re.compile(r"NINDENT(?:\+(\d+))?")
_FIRST_KEY = re.compile(r"^([A-Za-z][\w.-]*):", flags=re.M)

Kind = Literal["text", "number", "lines"]


@dataclass(frozen=True)
class _Entry:
    kind: Kind
    template: str


class Helm:
    """Hands out stand-ins for template text and swaps them back afterwards."""

    def __init__(self) -> None:
        self._table: list[_Entry] = []

    def text(self, expression: str) -> str:
        """A string stand-in for ``{{ expression }}``."""
        return f"hlm{self._add('text', '{{ ' + expression + ' }}'):05d}x"

    def value(self, path: str) -> str:
        """A string stand-in for the quoted value at ``.Values.<path>``."""
        return self.text(f".Values.{path} | quote")

    def number(self, path: str) -> int:
        """A number stand-in for the unquoted value at ``.Values.<path>``."""
        return _NUMBER_BASE + self._add("number", "{{ .Values." + path + " }}")

    def lines(self, template: str) -> str:
        """A key stand-in for whole lines of ``template``, whose ``NINDENT`` (``NINDENT+n``)
        becomes the indent of a block nested under the key's position (plus n)."""
        return f"hlm{self._add('lines', template):05d}x"

    def key_of(self, key: str) -> str:
        """The key a mapping key stands for: a line stand-in's first ``key:``, else itself."""
        entry = self._lookup(key)
        if entry is None or entry.kind != "lines":
            return key
        found = _FIRST_KEY.search(entry.template)
        return found.group(1) if found else key

    def expand(self, text: str) -> str:
        return STAND_IN.sub(self._expand_inline, _LINE.sub(self._expand_lines, text))

    def _add(self, kind: Kind, template: str) -> int:
        self._table.append(_Entry(kind, template))
        return len(self._table) - 1

    def _lookup(self, spelled: str) -> _Entry | None:
        match = STAND_IN.fullmatch(spelled)
        if match is None:
            return None
        index = int(match.group(1) or match.group(2))
        return self._table[index] if index < len(self._table) else None

    def _expand_lines(self, match: re.Match[str]) -> str:
        indent, entry = match.group(1), self._table[int(match.group(2) or match.group(3))]
        if entry.kind != "lines":
            return match.group(0)  # a list item that is a word stand-in, expanded inline
        nested = len(indent) + 2
        body = _NINDENT.sub(lambda m: str(nested + int(m.group(1) or 0)), entry.template)
        return "\n".join(indent + line for line in body.splitlines())

    def _expand_inline(self, match: re.Match[str]) -> str:
        entry = self._lookup(match.group(0))
        if match.group(2) and (entry is None or entry.kind != "number"):
            return match.group(0)  # a real number that only looks like a stand-in
        if entry is None or entry.kind != ("text" if match.group(1) else "number"):
            raise ValueError(f"stand-in {match.group(0)} cannot be expanded where it stands")
        return entry.template


@dataclass(frozen=True)
class Insert:
    """Lines of template to put into an object at ``at`` (a path of keys and indexes)."""

    at: tuple[str | int, ...]
    template: str


@dataclass(frozen=True)
class Entry:
    manifest: Mapping[str, Any]
    when: str | None
    prelude: str


@dataclass
class Templates:
    """The chart's template files: which objects go where, and under which condition."""

    helm: Helm = field(default_factory=Helm)
    files: dict[str, list[Entry]] = field(default_factory=dict)
    pending: list[tuple[str, Any, str | None, str, Sequence[Insert]]] = field(default_factory=list)

    def add(
        self,
        file: str,
        api_object: Any,
        *,
        when: str | None = None,
        prelude: str = "",
        inserts: Sequence[Insert] = (),
    ) -> None:
        """Put ``api_object`` into ``templates/<file>``, rendered only if ``when`` holds."""
        self.pending.append((file, api_object, when, prelude, inserts))

    def resolve(self) -> dict[str, list[Entry]]:
        """Turn every added object into its final manifest (after all constructs exist)."""
        for file, api_object, when, prelude, inserts in self.pending:
            manifest = api_object.to_json()
            for insert in inserts:
                node, key = _target(manifest, insert.at), self.helm.lines(insert.template)
                if isinstance(node, list):
                    node.append(key)
                else:
                    node[key] = None
            manifest = in_written_order(manifest, self.helm.key_of)
            self.files.setdefault(file, []).append(Entry(manifest, when, prelude))
        self.pending.clear()
        return self.files

    def render(self, file: str) -> str:
        return "\n".join(self._render_entry(entry) for entry in self.files[file])

    def _render_entry(self, entry: Entry) -> str:
        body = self.helm.expand(dump(entry.manifest))
        parts = [entry.prelude] if entry.prelude else []
        parts.append("---\n" + body)
        text = "\n".join(parts)
        if entry.when:
            text = "{{- if " + entry.when + " }}\n" + text + "{{- end }}\n"
        return text


def _target(manifest: Any, path: Sequence[str | int]) -> Any:
    node = manifest
    for step in path:
        node = node[step]
    return node


class _Dumper(yaml.SafeDumper):
    """Block style, lists indented under their key, lines never folded."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_none_key(dumper: _Dumper, data: dict[str, Any]) -> yaml.MappingNode:
    # Line stand-ins carry None; written as `key: key`, each is a line of its own to find.
    items = [(k, k if v is None and STAND_IN.fullmatch(k) else v) for k, v in data.items()]
    return dumper.represent_mapping("tag:yaml.org,2002:map", items)


_Dumper.add_representer(dict, _represent_none_key)


def dump(manifest: Mapping[str, Any]) -> str:
    return yaml.dump(manifest, Dumper=_Dumper, sort_keys=False, width=1_000_000)


def documents(text: str) -> Iterator[dict[str, Any]]:
    """The non-empty YAML documents of rendered output."""
    yield from (doc for doc in yaml.safe_load_all(text) if doc)


# Keys in the order people write them; the rest keep their place between the two lists
# (alphabetical, as the synthesizer emits them). A pod spec has its own order.
_WRITTEN_FIRST = (
    "apiVersion", "kind", "metadata", "name", "namespace", "labels", "annotations", "type",
    "scaleTargetRef", "minReplicas", "maxReplicas", "replicas", "serviceName",
    "podManagementPolicy", "strategy", "selector", "podSelector", "policyTypes", "image",
    "imagePullPolicy", "command", "args", "path", "pathType", "port", "containerPort", "from",
    "ports", "env", "httpGet", "exec", "tcpSocket",
)  # fmt: skip
_WRITTEN_LAST = (
    "initialDelaySeconds", "periodSeconds", "timeoutSeconds", "failureThreshold",
    "resources", "startupProbe", "livenessProbe", "readinessProbe", "securityContext",
    "volumeMounts", "template", "volumeClaimTemplates",
)  # fmt: skip
_POD_FIRST = (
    "automountServiceAccountToken", "enableServiceLinks", "securityContext",
    "initContainers", "containers", "volumes",
)  # fmt: skip
_POD_LAST = ("nodeSelector", "affinity")


def _rank(first: Sequence[str], last: Sequence[str]) -> Callable[[str], tuple[int, str]]:
    order = {key: i for i, key in enumerate(first)}
    order.update({key: len(first) + 1 + i for i, key in enumerate(last)})
    middle = len(first)
    return lambda key: (order.get(key, middle), key if key not in order else "")


_OBJECT_RANK = _rank(_WRITTEN_FIRST, _WRITTEN_LAST)
_POD_RANK = _rank(_POD_FIRST, _POD_LAST)


def in_written_order(node: Any, key_of: Callable[[str], str] = str) -> Any:
    """``node`` with every mapping's keys in the order people write them (``key_of`` names
    the key a line stand-in stands for)."""
    if isinstance(node, list):
        return [in_written_order(item, key_of) for item in node]
    if not isinstance(node, dict):
        return node
    rank = _POD_RANK if "containers" in node else _OBJECT_RANK
    keys = sorted(node, key=lambda key: rank(key_of(key)))
    return {key: in_written_order(node[key], key_of) for key in keys}
