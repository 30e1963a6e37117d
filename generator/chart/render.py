"""From synthesized objects to Helm template text.

jsii checks types: a field typed as a number rejects ``{{ .Values.x }}``, and an object
field rejects a ``toYaml`` block. So the constructs put stand-ins there (a sentinel number,
a plain-word token, or an extra key that stands for whole lines), and ``expand`` swaps each
one for its template expression after the YAML is written. The tokens are plain words and
the writer never folds lines, so no stand-in is ever quoted or split.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

_NUMBER_BASE = 900_000_000  # far above any real port, size or count in this chart


class Helm:
    """Hands out stand-ins for template expressions and swaps them back afterwards."""

    def __init__(self) -> None:
        self._words: dict[str, str] = {}
        self._numbers: dict[str, str] = {}
        self._lines: dict[str, str] = {}

    def text(self, expression: str) -> str:
        """A string stand-in for ``{{ expression }}``."""
        token = f"hlmtok{len(self._words):05d}x"
        self._words[token] = "{{ " + expression + " }}"
        return token

    def value(self, path: str) -> str:
        """A string stand-in for the quoted value at ``.Values.<path>``."""
        return self.text(f".Values.{path} | quote")

    def number(self, path: str) -> int:
        """A number stand-in for the unquoted value at ``.Values.<path>``."""
        sentinel = _NUMBER_BASE + len(self._numbers)
        self._numbers[str(sentinel)] = "{{ .Values." + path + " }}"
        return sentinel

    def lines(self, template: str) -> str:
        """A key stand-in for whole lines; ``NINDENT`` (``NINDENT+n``) becomes the nested indent."""
        token = f"hlmline{len(self._lines):05d}x"
        self._lines[token] = template
        return token

    def expand(self, text: str) -> str:
        text = re.sub(r"^( *)(hlmline\d{5}x): hlmline\d{5}x$", self._expand_line, text, flags=re.M)
        text = re.sub(r"\bhlmtok\d{5}x\b", lambda m: self._words[m.group(0)], text)
        return re.sub(r"\b9\d{8}\b", lambda m: self._numbers.get(m.group(0), m.group(0)), text)

    def _expand_line(self, match: re.Match[str]) -> str:
        indent = match.group(1)
        template = re.sub(
            r"NINDENT(?:\+(\d+))?",
            lambda m: str(len(indent) + 2 + int(m.group(1) or 0)),
            self._lines[match.group(2)],
        )
        return "\n".join(indent + line for line in template.splitlines())


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
                _target(manifest, insert.at)[self.helm.lines(insert.template)] = None
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


def _target(manifest: Any, path: Sequence[str | int]) -> dict[str, Any]:
    node = manifest
    for step in path:
        node = node[step]
    return node


class _Dumper(yaml.SafeDumper):
    """Block style, lists indented under their key, lines never folded."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_none_key(dumper: _Dumper, data: dict[str, Any]) -> yaml.MappingNode:
    # Insert keys carry None; write them as `token: token` so the line pattern is fixed.
    items = [(k, k if v is None and k.startswith("hlmline") else v) for k, v in data.items()]
    return dumper.represent_mapping("tag:yaml.org,2002:map", items)


_Dumper.add_representer(dict, _represent_none_key)


def dump(manifest: Mapping[str, Any]) -> str:
    return yaml.dump(manifest, Dumper=_Dumper, sort_keys=False, width=1_000_000)


def documents(text: str) -> Iterator[dict[str, Any]]:
    """The non-empty YAML documents of rendered output."""
    yield from (doc for doc in yaml.safe_load_all(text) if doc)
