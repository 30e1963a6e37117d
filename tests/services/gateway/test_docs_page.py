"""GET /api/docs in a real headless Chromium (Debian's): the page renders every operation of
/api/openapi.json, each request it makes goes to the gateway and succeeds, and a screenshot is
kept: docs/images/api-docs.png with MOVIES_RECORD=1, build/api-docs.png otherwise."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

from tests.support.tools import REPO, chromium

DOC = json.loads((REPO / "services/gateway/openapi.json").read_text())
SCREENSHOT = REPO / ("docs/images" if os.environ.get("MOVIES_RECORD") else "build") / "api-docs.png"
# Enough virtual time for Swagger UI to fetch the document and render it.
BUDGET_MS = "20000"


def browse(url: str, profile: Path, *action: str) -> subprocess.CompletedProcess[str]:
    command = [
        chromium(), "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", "--disable-dev-shm-usage", f"--user-data-dir={profile}",
        "--enable-logging=stderr", "--v=0", f"--virtual-time-budget={BUDGET_MS}", *action, url,
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def requests_logged(log: str) -> list[dict]:
    entries = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    return [e for e in entries if e.get("msg") == "request" or "status" in e]


def operation_ids() -> list[str]:
    return [
        op["operationId"]
        for item in DOC["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    ]


def test_the_page_loads_nothing_from_another_host(make_gateway):
    page = make_gateway().simulate_get("/api/docs")
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")
    links = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert links
    assert all(link.startswith("/api/docs/assets/") for link in links), links


def test_chromium_renders_every_operation_with_no_failed_request(stack, tmp_path):
    url = f"{stack.gateway.url}/api/docs"
    seen_before = len(requests_logged(stack.gateway.logs()))

    dom = browse(url, tmp_path / "profile-dom", "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    missing = [op for op in operation_ids() if f'-{op}"' not in dom.stdout]
    assert missing == [], "operations Swagger UI did not render"
    assert "Failed to load resource" not in dom.stderr
    assert "Refused to" not in dom.stderr  # a Content-Security-Policy violation

    served = requests_logged(stack.gateway.logs())[seen_before:]
    paths = {entry["path"] for entry in served}
    assert {"/api/docs", "/api/openapi.json", "/api/docs/assets/swagger-ui-bundle.js",
            "/api/docs/assets/swagger-ui.css"} <= paths  # fmt: skip
    failed = [(e["path"], e["status"]) for e in served if int(e["status"]) >= 400]
    assert failed == []

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    shot = browse(url, tmp_path / "profile-shot", f"--screenshot={SCREENSHOT}",
                  "--window-size=1280,1600", "--hide-scrollbars")  # fmt: skip
    assert shot.returncode == 0, shot.stderr[-2000:]
    assert SCREENSHOT.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert SCREENSHOT.stat().st_size > 20_000  # a rendered page, not a blank one
