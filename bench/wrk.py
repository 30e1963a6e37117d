"""Driving wrk (Debian's HTTP load generator) and reading back its latency percentiles."""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPORT_LUA = Path(__file__).with_name("lua") / "report.lua"
_MARKER = "BENCH_RESULT "


class BenchError(Exception):
    """The bench cannot run or a measurement is invalid; the message is the one line to print."""


@dataclass(frozen=True)
class Body:
    """A request body for POST loads; wrk sends the same bytes on every request."""

    json: str
    method: str = "POST"


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @classmethod
    def combine(cls, rounds: list[LoadResult]) -> LoadResult:
        """Rounds of one load as one: summed counts, median latencies (one noisy round on a
        shared machine should not decide the figure)."""
        return cls(
            requests=sum(r.requests for r in rounds),
            seconds=sum(r.seconds for r in rounds),
            p50_ms=round(statistics.median(r.p50_ms for r in rounds), 2),
            p99_ms=round(statistics.median(r.p99_ms for r in rounds), 2),
            max_ms=max(r.max_ms for r in rounds),
            errors=sum(r.errors for r in rounds),
        )

    def as_dict(self) -> dict[str, float | int]:
        return {
            "requests": self.requests,
            "seconds": round(self.seconds, 2),
            "rps": round(self.rps, 1),
            "p50_ms": self.p50_ms,
            "p99_ms": self.p99_ms,
            "max_ms": self.max_ms,
            "errors": self.errors,
        }


def require_wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise BenchError("wrk is missing: install Debian's package (apt-get install -y wrk)")
    return path


def run_wrk(
    url: str,
    *,
    connections: int,
    seconds: int,
    threads: int = 1,
    body: Body | None = None,
    timeout: int = 5,
) -> LoadResult:
    """One bounded wrk run (`seconds` long) against a loopback URL."""
    if not url.startswith(("http://127.", "http://localhost")):
        raise BenchError(f"refusing to load a non-loopback address: {url}")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_script(body))
    command = [
        require_wrk(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        f"{timeout}s",
        "-s",
        script.name,
        url,
    ]
    try:
        out = subprocess.run(
            command, capture_output=True, text=True, timeout=seconds + timeout + 30
        )
    finally:
        Path(script.name).unlink()
    return _parse(out.stdout, out.stderr)


def _script(body: Body | None) -> str:
    setup = ""
    if body is not None:
        setup = (
            f"wrk.method = {json.dumps(body.method)}\n"
            f"wrk.body = {json.dumps(body.json)}\n"
            'wrk.headers["Content-Type"] = "application/json"\n'
        )
    return setup + REPORT_LUA.read_text()


def _parse(stdout: str, stderr: str) -> LoadResult:
    line = next((ln for ln in stdout.splitlines() if ln.startswith(_MARKER)), None)
    if line is None:
        raise BenchError(f"wrk printed no result: {stderr.strip() or stdout.strip()}"[:300])
    raw = json.loads(line[len(_MARKER) :])
    errors = sum(raw[k] for k in raw if k.endswith("errors") or k == "timeouts")
    return LoadResult(
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        p50_ms=round(raw["p50_us"] / 1000, 2),
        p99_ms=round(raw["p99_us"] / 1000, 2),
        max_ms=round(raw["max_us"] / 1000, 2),
        errors=errors,
    )
