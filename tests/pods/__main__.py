"""`python -m tests.pods [--record]`: build the images, run the chart's pods under podman,
report one line per step and `N passed, N failed`; exit 1 when anything failed."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime

from tests.pods import convert, images, scenario
from tests.pods.cluster import VALUES, render, running
from tests.pods.podman import Podman
from tests.pods.report import RECORDED, SCRATCH, Report


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.pods")
    parser.add_argument("--record", action="store_true", help=f"write {RECORDED.name} too")
    args = parser.parse_args(argv)
    began = time.monotonic()
    podman, report = Podman(), Report()
    service_images = images.ServiceImages()
    try:
        images.build_all(podman, service_images, report.note)
    except Exception as exc:
        report.step("build the images", False, str(exc))
        print(report.summary)
        return 1
    built = time.monotonic() - began
    report.step("build the images", True, f"{built:.0f}s")
    plan = convert.plan(render())
    with running(podman, plan) as cluster:
        scenario.run_all(report, cluster)
    header = _header(podman, built, time.monotonic() - began)
    for path in (SCRATCH, RECORDED) if args.record else (SCRATCH,):
        report.write(path, header)
    print(report.summary)
    return 1 if report.failed else 0


def _header(podman: Podman, built: float, total: float) -> list[str]:
    version = podman.run("version", "--format", "{{.Client.Version}}").stdout.strip()
    rows = [f"| `{name}` | {size / 1e6:.0f} MB |" for name, size in images.sizes(podman)]
    return [
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with podman {version}; chart rendered "
        f"with {', '.join(str(v.relative_to(images.REPO)) for v in VALUES)}.",
        f"Images ready in {built:.0f}s; whole run {total:.0f}s.",
        "",
        "| image | size (layers shared between images count in each) |",
        "|---|---|",
        *rows,
    ]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
