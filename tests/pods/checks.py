"""What each running container is, checked from inside it and against the rendered chart:
uid/gid, no capabilities, no new privileges, seccomp, a read-only root filesystem, the
resource limits, the env from the ConfigMap and Secrets and the mounted volumes."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from tests.pods.convert import Plan, Workload, played_mount_path
from tests.pods.podman import Podman

_UNITS = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "k": 10**3, "M": 10**6, "G": 10**9}


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def quantity_bytes(value: str) -> int:
    number, unit = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", str(value)).groups()  # type: ignore[union-attr]
    return int(float(number) * _UNITS.get(unit, 1))


def quantity_nanocpus(value: str) -> int:
    text = str(value)
    return int(text[:-1]) * 10**6 if text.endswith("m") else int(float(text) * 10**9)


def env_sources(plan: Plan) -> dict[tuple[str, str, str], str]:
    """(kind, object, key) -> value, for every ConfigMap and Secret the chart renders."""
    found = {}
    for config in plan.config_maps:
        for key, value in (config.get("data") or {}).items():
            found[("configMapKeyRef", config["metadata"]["name"], key)] = str(value)
    for secret in plan.secrets:
        for key, value in (secret.get("data") or {}).items():
            found[("secretKeyRef", secret["metadata"]["name"], key)] = base64.b64decode(
                value
            ).decode()
    return found


def check_workload(podman: Podman, plan: Plan, workload: Workload) -> Iterator[Check]:
    pod_context = workload.rendered["spec"].get("securityContext", {})
    for container in workload.rendered["spec"]["containers"]:
        name = f"{workload.name}-{container['name']}"
        context = {**pod_context, **container.get("securityContext", {})}
        inspect = podman.json("inspect", name)[0]
        yield _identity(podman, name, context)
        yield _read_only(podman, name)
        yield _limits(name, inspect, container.get("resources", {}).get("limits", {}))
        yield _env(name, inspect, container.get("env", []), env_sources(plan))
        yield _mounts(name, inspect, container.get("volumeMounts", []), workload.claims)


def _status(podman: Podman, name: str) -> dict[str, str]:
    text = podman.exec(name, "cat", "/proc/1/status").stdout
    return dict(line.split(":\t", 1) for line in text.splitlines() if ":\t" in line)


def _identity(podman: Podman, name: str, context: Mapping[str, Any]) -> Check:
    status = _status(podman, name)
    uid, gid = status.get("Uid", "").split(), status.get("Gid", "").split()
    want_uid, want_gid = str(context.get("runAsUser")), str(context.get("runAsGroup"))
    facts = {
        "uid": set(uid) == {want_uid},
        "gid": set(gid) == {want_gid},
        "CapEff=0": int(status.get("CapEff", "1"), 16) == 0,
        "CapPrm=0": int(status.get("CapPrm", "1"), 16) == 0,
        "NoNewPrivs=1": status.get("NoNewPrivs", "").strip() == "1",
        # 2: a seccomp filter is in force (RuntimeDefault).
        "seccomp": status.get("Seccomp", "").strip() == "2",
    }
    failed = [fact for fact, ok in facts.items() if not ok]
    detail = (
        f"uid {uid[0] if uid else '?'} gid {gid[0] if gid else '?'}, CapEff "
        f"{status.get('CapEff', '?').strip()}, NoNewPrivs {status.get('NoNewPrivs', '?').strip()}, "
        f"Seccomp {status.get('Seccomp', '?').strip()}"
    )
    return Check(f"{name}: identity", not failed, detail + (f"; wrong: {failed}" if failed else ""))


def _read_only(podman: Podman, name: str) -> Check:
    done = podman.exec(name, "sh", "-c", "echo x > /.movies-pods-write-test")
    refused = done.returncode != 0 and "Read-only file system" in done.stderr
    return Check(f"{name}: read-only root", refused, done.stderr.strip() or "the write succeeded")


def _limits(name: str, inspect: Mapping[str, Any], limits: Mapping[str, str]) -> Check:
    host = inspect["HostConfig"]
    memory, want_memory = host.get("Memory", 0), quantity_bytes(limits.get("memory", "0"))
    period, quota = host.get("CpuPeriod", 0), host.get("CpuQuota", 0)
    cpus = host.get("NanoCpus") or (quota * 10**9 // period if period else 0)
    want_cpus = quantity_nanocpus(limits.get("cpu", "0"))
    ok = memory == want_memory and cpus == want_cpus
    return Check(
        f"{name}: limits",
        ok,
        f"memory {memory} (chart {want_memory}), cpu {cpus / 1e9:g} (chart {want_cpus / 1e9:g})",
    )


def _env(
    name: str,
    inspect: Mapping[str, Any],
    env: list[Mapping[str, Any]],
    sources: Mapping[tuple[str, str, str], str],
) -> Check:
    actual = dict(item.split("=", 1) for item in inspect["Config"]["Env"])
    wrong = []
    for item in env:
        if "value" in item:
            want = item["value"]
        else:
            ((kind, ref),) = item["valueFrom"].items()
            want = sources.get((kind, ref["name"], ref["key"]))
        if actual.get(item["name"]) != want:
            wrong.append(item["name"])
    return Check(
        f"{name}: env",
        not wrong and bool(env),
        f"{len(env) - len(wrong)}/{len(env)} variables as the ConfigMap, Secrets and values say"
        + (f"; wrong: {wrong}" if wrong else ""),
    )


def _mounts(
    name: str, inspect: Mapping[str, Any], mounts: list[Mapping[str, Any]], claims: tuple[str, ...]
) -> Check:
    present = {m["Destination"]: m.get("Name", "") for m in inspect["Mounts"]}
    wanted = [played_mount_path(m["mountPath"]) for m in mounts]
    missing = [path for path in wanted if path not in present]
    persistent = sorted(f"{path}={vol}" for path, vol in present.items() if vol in claims)
    return Check(
        f"{name}: volumes",
        not missing,
        f"{len(wanted) - len(missing)}/{len(wanted)} mounts"
        + (f", claims {', '.join(persistent)}" if persistent else "")
        + (f"; missing {missing}" if missing else ""),
    )
