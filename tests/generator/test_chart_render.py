"""The stand-in mechanism of render.py and the key order of the written manifests."""

from __future__ import annotations

import pytest
import yaml

from generator.chart.render import Helm, Insert, Templates, dump, in_written_order


class Synthesized:
    """What Templates.add takes: anything with jsii's ``to_json``."""

    def __init__(self, manifest: dict) -> None:
        self._manifest = manifest

    def to_json(self) -> dict:
        return self._manifest


def test_each_kind_of_stand_in_becomes_unquoted_template_text():
    helm = Helm()
    word, number = helm.value("a.b"), helm.number("c.d")
    line = helm.lines("{{- if .x }}\nx: {{ 1 }}\ny: NINDENT+2\n{{- end }}")
    text = helm.expand(dump({"spec": {"s": word, "n": number, line: None, "z": [word]}}))
    assert text == (
        "spec:\n"
        "  s: {{ .Values.a.b | quote }}\n"
        "  n: {{ .Values.c.d }}\n"
        "  {{- if .x }}\n"
        "  x: {{ 1 }}\n"
        "  y: 6\n"
        "  {{- end }}\n"
        "  z:\n"
        "    - {{ .Values.a.b | quote }}\n"
    )


def test_stand_ins_survive_the_writer_unquoted_and_unfolded():
    helm = Helm()
    words = [helm.text(f".Values.key{i} | quote") for i in range(3)]
    long_line = " ".join(words * 200)
    assert helm.expand(dump({"a": long_line})).count("{{ .Values.key1 | quote }}") == 200


def test_a_number_that_only_looks_like_a_stand_in_is_left_alone():
    helm = Helm()
    helm.number("a")
    assert helm.expand("size: 900000007\nother: 987654321\n") == (
        "size: 900000007\nother: 987654321\n"
    )


def test_a_stand_in_that_cannot_be_expanded_where_it_stands_fails():
    helm = Helm()
    line = helm.lines("x: 1")
    with pytest.raises(ValueError, match="cannot be expanded"):
        helm.expand(dump({"items": [{line: None, "name": "a"}]}))
    with pytest.raises(ValueError, match="cannot be expanded"):
        helm.expand("value: hlm99999x\n")


def test_a_line_stand_in_sorts_as_the_key_it_writes():
    helm = Helm()
    replicas = helm.lines("{{- if not .auto }}\nreplicas: 2\n{{- end }}")
    assert helm.key_of(replicas) == "replicas"
    assert helm.key_of("template") == "template"
    spec = {"selector": {}, "template": {}, replicas: None}
    assert list(in_written_order(spec, helm.key_of)) == [replicas, "selector", "template"]


def test_keys_come_in_the_order_people_write_them():
    container = {
        "env": [],
        "image": "x",
        "livenessProbe": {"failureThreshold": 3, "httpGet": {}, "periodSeconds": 1},
        "name": "app",
        "ports": [{"containerPort": 1, "name": "http"}],
        "resources": {},
        "volumeMounts": [],
    }
    manifest = {
        "spec": {"template": {"spec": {"volumes": [], "containers": [container]}}},
        "metadata": {"labels": {}, "name": "app"},
        "kind": "Deployment",
        "apiVersion": "apps/v1",
    }
    ordered = in_written_order(manifest)
    assert list(ordered) == ["apiVersion", "kind", "metadata", "spec"]
    assert list(ordered["metadata"]) == ["name", "labels"]
    pod = ordered["spec"]["template"]["spec"]
    assert list(pod) == ["containers", "volumes"]
    written = pod["containers"][0]
    assert list(written) == [
        "name",
        "image",
        "ports",
        "env",
        "resources",
        "livenessProbe",
        "volumeMounts",
    ]
    assert list(written["ports"][0]) == ["name", "containerPort"]
    assert list(written["livenessProbe"]) == ["httpGet", "periodSeconds", "failureThreshold"]


def test_templates_insert_order_and_expand_in_one_pass():
    out = Templates()
    manifest = {"spec": {"template": {}, "selector": {"app": out.helm.text(".Release.Name")}}}
    out.add("x.yaml", Synthesized(manifest), inserts=[Insert(("spec",), "replicas: 3")])
    out.resolve()
    text = out.render("x.yaml")
    assert (
        text
        == "---\nspec:\n  replicas: 3\n  selector:\n    app: {{ .Release.Name }}\n  template: {}\n"
    )
    assert yaml.safe_load(text.replace("{{ .Release.Name }}", "r"))["spec"]["replicas"] == 3


def test_an_insert_into_a_list_adds_template_items():
    out = Templates()
    manifest = {"env": [{"name": "A", "value": "1"}], "args": [out.helm.text("x")]}
    item = "{{- if .on }}\n- name: B\n  value: NINDENT\n{{- end }}"
    out.add("x.yaml", Synthesized(manifest), inserts=[Insert(("env",), item)])
    out.resolve()
    assert out.render("x.yaml") == (
        "---\nargs:\n  - {{ x }}\nenv:\n  - name: A\n    value: '1'\n"
        "  {{- if .on }}\n  - name: B\n    value: 4\n  {{- end }}\n"
    )
