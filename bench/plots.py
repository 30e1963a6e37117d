"""The scale curves as PNG images next to the tables (matplotlib, no display needed)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: the bench runs where no display is

import matplotlib.pyplot as plt

LIST_PNG = "list-scale.png"
CONNECTIONS_PNG = "connections-scale.png"


def draw(results: dict[str, Any], folder: Path) -> None:
    _list(results["list"]["points"], folder / LIST_PNG)
    _connections(results["connections"], folder / CONNECTIONS_PNG)


def _list(points: list[dict[str, Any]], path: Path) -> None:
    sizes = [p["movies"] for p in points]
    fig, axes = plt.subplots(2, 2, figsize=(10, 7), constrained_layout=True)
    fig.suptitle("GET /api/movies through the gateway, by movies stored")
    done = [p for p in points if p["requests"]]  # a size where no request completed has no p99
    _line(axes[0][0], sizes, [p["rps"] for p in points], "requests/s")
    _line(axes[0][1], [p["movies"] for p in done], [p["p99_ms"] for p in done], "p99 latency, ms")
    for name in ("inventory", "gateway"):
        cpu = [p["cpu_ms_per_request"][name] for p in points]
        _line(axes[1][0], sizes, cpu, "CPU ms per request", label=name)
        rss = [p["peak_rss_mib"][name] for p in points]
        _line(axes[1][1], sizes, rss, "peak RSS, MiB", label=name)
    for ax in axes[1]:
        ax.legend()
    for ax in axes.flat:
        ax.set_xlabel("movies stored")
    axes[1][1].set_yscale("linear")  # memory stays flat: a linear axis from 0 shows it
    axes[1][1].set_ylim(bottom=0)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _connections(points: list[dict[str, Any]], path: Path) -> None:
    counts = [p["connections"] for p in points]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), constrained_layout=True)
    fig.suptitle("GET /api/movies/{id} through the gateway, by open connections")
    _line(axes[0], counts, [p["rps"] for p in points], "requests/s")
    axes[0].set_yscale("linear")
    axes[0].set_ylim(bottom=0)
    _line(axes[1], counts, [p["p99_ms"] for p in points], "p99 latency, ms")
    for point in points:
        if point["errors"]:
            axes[1].annotate(f"{point['errors']} errors", (point["connections"], point["p99_ms"]))
    for ax in axes:
        ax.set_xlabel("connections (wrk)")
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _line(
    ax: Any, xs: list[int], ys: list[float | None], ylabel: str, label: str | None = None
) -> None:
    # None (no request completed within that load) leaves a gap rather than a zero.
    ax.plot(xs, [math.nan if y is None else y for y in ys], marker="o", label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylabel(ylabel)
    ax.grid(True, which="both", alpha=0.3)
