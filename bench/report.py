"""Writing a run's figures as bench/results/latest.json and a Markdown table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench import plots
from bench.targets import BY_ID, Target, evaluate

SEP = "|---|---|---|---|---|---|---|---|"


def write(results: dict[str, Any], folder: Path) -> str:
    """Adds the target verdicts to `results`, writes both files and the plots, returns the
    Markdown."""
    targets = evaluate(results)
    results["targets"] = [t.as_dict() for t in targets]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    plots.draw(results, folder)
    markdown = render(results, targets)
    (folder / "latest.md").write_text(markdown)
    return markdown


def render(results: dict[str, Any], targets: list[Target]) -> str:
    parts = [
        _header(results["meta"]),
        _targets(targets),
        _sweep(results["sweep"]),
        _http(results["http"]),
        _list(results["list"], _noop_rps(results)),
        _connections(results["connections"], results["log_lines_per_request"], _noop_rps(results)),
        _stall(results["stall"]),
        _drain(results["drain"], results["ceilings"]["postgres"]),
        _ceilings(results["ceilings"]),
        _memory(results["rss_mib"]),
    ]
    return "\n\n".join(parts) + "\n"


def _header(meta: dict[str, Any]) -> str:
    start = ", ".join(str(x) for x in meta["load_average_at_start"])
    end = ", ".join(str(x) for x in meta.get("load_average_at_end", []))
    return (
        f"Run {meta['when']} on {meta['cores']} cores, services on "
        f"{meta.get('server', 'waitress')}, load average {start} at start and "
        f"{end} at the end (1, 5, 15 min). wrk, 1 thread, {meta['connections']} connections, "
        f"2 s warm-up; reads alternate gateway, inventory and the no-op ceiling in "
        f"{meta['rounds']} rounds of "
        f"{meta['seconds_per_round']} s a side (req/s over all rounds; p50, p99 and the ratio "
        f"are medians of the rounds), orders load {meta['seconds_per_load']} s. "
        f"Whole run {meta.get('wall_seconds', '?')} s."
    )


def _targets(targets: list[Target]) -> str:
    rows = ["| figure | measured | target | before | met |", "|---|---|---|---|---|"]
    for t in targets:
        bound = ("<=" if t.inclusive else "<") if t.at_most else ">="
        goal = f"{bound} {_num(t.goal)}{t.unit}"
        met = "yes" if t.met else "**no**"
        rows.append(f"| {t.figure} | {_num(t.measured)}{t.unit} | {goal} | {t.seed} | {met} |")
    return "\n".join(rows)


SWEPT = {
    "noop": "no-op ceiling",
    "inventory": "inventory, GET by id straight",
    "gateway": "gateway, GET by id through it",
}


def _sweep(found: dict[str, Any]) -> str:
    rows = [
        f"Thread sweep: each server at THREADS {', '.join(map(str, found['threads']))}, "
        f"{found['rounds']} rounds of {found['seconds_per_round']} s a setting, the settings "
        "interleaved; each gateway with an inventory of its own at inventory's declared "
        f'THREADS. "of no-op" is of the no-op at its best, {found["noop_best_threads"]} '
        "threads, the ceiling of every ratio below.",
        "",
        "| server | THREADS | req/s | req/s by round | p99 ms | errors | of no-op "
        "| CPU µs per request |",
        SEP,
    ]
    for name, settings in found["rows"].items():
        for r in settings:
            by_round = " / ".join(_num(x) for x in r["rps_by_round"])
            rows.append(
                f"| {SWEPT[name]} | {r['threads']} | {_num(r['rps'])} | {by_round} "
                f"| {r['p99_ms']} | {r['errors']} | {r['of_noop']:.2f} "
                f"| {_cpu(r['cpu_us_per_request'])} |"
            )
    return "\n".join(rows)


def _stall(found: dict[str, Any]) -> str:
    rows = [
        f"| GET /api/movies/{{id}} via the gateway, {found['connections']} connections "
        "| req/s | p50 ms | p99 ms | max ms | errors | CPU µs per GET |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, key in (
        ("alone", "quiet"),
        (
            f"while {found['streams']} client reads the {found['movies']:,}-movie list over and "
            f"over ({found['lists_read']} whole lists, {found['lists_failed']} failed)",
            "while_listing",
        ),
    ):
        r = found[key]
        rows.append(
            f"| {label} | {_num(r['rps'])} | {r['p50_ms']} | {r['p99_ms']} | {r['max_ms']} "
            f"| {r['errors']} | {_cpu(r['cpu_us_per_request'])} |"
        )
    return "\n".join(rows)


def _http(http: dict[str, Any]) -> str:
    rows = [
        "| request | served by | req/s | p50 ms | p99 ms | errors | of no-op "
        "| CPU µs per request |",
        SEP,
    ]
    for name, sides in http.items():
        for side in ("gateway", "inventory", "noop", "noop_own"):
            if side in sides:
                share = sides["of_noop"].get(side)
                rows.append(_http_row(name, side, sides[side], share))
        for side, share in sides.get("of_own_noop", {}).items():
            rows.append(f"| {name} | {side}, of the no-op on its own server | {share:.2f} |||||")
        if "ratio" in sides:
            cpu_ratio = f"x{sides['path_cpu_ratio']} through the gateway"
            rows.append(
                f"| {name} | gateway/inventory | {sides['ratio']:.2f} | | | | | {cpu_ratio} |"
            )
    return "\n".join(rows)


def _http_row(name: str, side: str, r: dict[str, Any], share: float | None) -> str:
    served_by = {"noop": "no-op ceiling", "noop_own": "no-op on the services' server"}.get(
        side, side
    )
    of_noop = "" if share is None else f"{share:.2f}"
    return (
        f"| {name} | {served_by} | {_num(r['rps'])} | {r['p50_ms']} | {r['p99_ms']} | "
        f"{r['errors']} | {of_noop} | {_cpu(r['cpu_us_per_request'])} |"
    )


def _noop_rps(results: dict[str, Any]) -> float:
    """The ceiling's req/s beside GET by id in this run: what every other read is a fraction
    of."""
    return float(results["http"][BY_ID]["noop"]["rps"])


def _list(curve: dict[str, Any], noop_rps: float) -> str:
    rows = [
        "| GET /api/movies via the gateway | connections | req/s | of no-op | p99 ms | errors "
        "| CPU ms per request | peak RSS MiB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for p in curve["points"]:
        cpu_ms = ", ".join(f"{k} {v}" for k, v in p["cpu_ms_per_request"].items())
        rss = ", ".join(f"{k} {v}" for k, v in p["peak_rss_mib"].items())
        rows.append(
            f"| {p['movies']:,} movies | {p['connections']} | {_num(p['rps'])} "
            f"| {p['rps'] / noop_rps:.4f} | {p['p99_ms']} | {p['errors']} | {cpu_ms} | {rss} |"
        )
    w = curve["whole_list"]
    rss = ", ".join(f"{k} {v}" for k, v in w["peak_rss_mib"].items())
    rows += [
        "",
        "| one client reads every movie via the gateway | status | movies received "
        "| in id order | MB | seconds | CPU ms for the list | peak RSS MiB |",
        "|---|---|---|---|---|---|---|---|",
        f"| {w['movies']:,} stored | {w['status']} | {w['received']:,} | "
        f"{'yes' if w['in_id_order'] else 'no'} | {w['bytes'] / 1e6:.1f} | {w['seconds']} "
        f"| {_cpu_ms(w.get('cpu_ms', {}))} | {rss} |",
        "",
        f"![the list at each size]({plots.LIST_PNG})",
    ]
    return "\n".join(rows)


def _connections(points: list[dict[str, Any]], lines: dict[str, float], noop_rps: float) -> str:
    rows = [
        "| GET /api/movies/{id} via the gateway | req/s | of no-op | p50 ms | p99 ms | errors "
        "| CPU µs per request | log lines per request |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for p in points:
        per_request = ", ".join(f"{k} {v}" for k, v in p["log_lines_per_request"].items())
        rows.append(
            f"| {p['connections']} connections | {_num(p['rps'])} | {p['rps'] / noop_rps:.2f} "
            f"| {p['p50_ms']} | {p['p99_ms']} | {p['errors']} "
            f"| {_cpu(p.get('cpu_us_per_request', {}))} | {per_request} |"
        )
    per_request = ", ".join(f"{name} {n}" for name, n in lines.items())
    rows += [
        "",
        f"Log lines per request over all these loads: {per_request}.",
        "",
        f"![GET by id at each connection count]({plots.CONNECTIONS_PNG})",
    ]
    return "\n".join(rows)


def _cpu(per_unit: dict[str, int]) -> str:
    return ", ".join(f"{name} {us}" for name, us in per_unit.items() if us)


def _cpu_ms(spent: dict[str, float]) -> str:
    return ", ".join(f"{name} {ms}" for name, ms in spent.items())


def _drain(drain: dict[str, Any], pg: dict[str, Any]) -> str:
    rate = drain["orders_per_s"]
    return "\n".join(
        [
            "| billing drain | orders | seconds | orders/s | of batched-insert ceiling "
            "| of single-insert ceiling | CPU µs per order |",
            "|---|---|---|---|---|---|---|",
            f"| 10,000 queued, billing stopped, then started | {drain['orders']} | "
            f"{drain['seconds']} | {_num(rate)} | {rate / pg['batched_rows_per_s']:.3f} | "
            f"{rate / pg['single_inserts_per_s']:.1f} | {_cpu(drain['cpu_us_per_order'])} |",
        ]
    )


def _ceilings(ceilings: dict[str, Any]) -> str:
    pg, mq = ceilings["postgres"], ceilings["rabbitmq"]
    rows = [
        ("PostgreSQL primary-key selects/s (pgbench -S, 8 connections)", pg["pk_selects_per_s"]),
        ("PostgreSQL single-row committed inserts/s (1 connection)", pg["single_inserts_per_s"]),
        ("PostgreSQL rows/s inserted 500 per transaction (1 connection)", pg["batched_rows_per_s"]),
        ("RabbitMQ persistent publishes/s, waiting for each confirm", mq["confirm_each_per_s"]),
        ("RabbitMQ persistent publishes/s, confirms pipelined", mq["confirm_pipelined_per_s"]),
        ("RabbitMQ persistent publishes/s, no confirms", mq["no_confirm_per_s"]),
    ]
    lines = ["| ceiling (same run, services stopped) | per second |", "|---|---|"]
    return "\n".join(lines + [f"| {what} | {_num(value)} |" for what, value in rows])


def _memory(rss: dict[str, Any]) -> str:
    rows = ["| service | RSS idle MiB | peak RSS under load MiB |", "|---|---|---|"]
    for name, idle in rss["idle"].items():
        rows.append(f"| {name} | {idle} | {rss['under_load'].get(name, '')} |")
    return "\n".join(rows)


def _num(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.2f}"
