"""GET /api/docs in a real headless Chromium (Debian's): the page renders every operation of
/api/openapi.json under its strict Content-Security-Policy with no violation on the console,
each request it makes goes to the gateway and succeeds, and a screenshot is kept:
docs/images/api-docs.png with MOVIES_RECORD=1, build/api-docs.png otherwise."""

from __future__ import annotations

import http.server
import json
import os
import re
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.gateway.docs import POLICY
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


def policy_violations(stderr: str) -> list[str]:
    """Console lines (--enable-logging=stderr) where Chromium reports a blocked action:
    "... violates the following Content Security Policy directive ..." (and the older
    "Refused to ..." wording)."""
    return [
        line
        for line in stderr.splitlines()
        if ":CONSOLE" in line and ("Content Security Policy" in line or "Refused to" in line)
    ]


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
    policy = page.headers["Content-Security-Policy"]
    assert policy == POLICY
    assert policy.startswith("default-src 'none'; script-src 'self'; style-src 'self';")
    assert "unsafe" not in policy
    assert "<script>" not in page.text  # no inline script: it would need 'unsafe-inline'
    links = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert links
    assert all(link.startswith(("/api/docs/assets/", "/api/docs/static/")) for link in links)
    for link in links:
        assert make_gateway().simulate_get(link).status_code == 200, link


@pytest.fixture
def violating_page() -> Iterator[str]:
    """A page that breaks the docs page's own policy (an inline script and an inline style):
    the check below must see it, or it could not see a violation on /api/docs either."""
    body = (
        b"<!DOCTYPE html><html><body><script>document.title='ran'</script>"
        b"<p style='color:red'>inline</p></body></html>"
    )

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Security-Policy", POLICY)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_a_policy_violation_shows_on_the_console(violating_page, tmp_path):
    result = browse(violating_page, tmp_path / "profile", "--dump-dom")
    assert result.returncode == 0, result.stderr[-2000:]
    violations = policy_violations(result.stderr)
    assert any("script-src" in line for line in violations), result.stderr[-2000:]
    assert any("style-src" in line for line in violations), result.stderr[-2000:]


def test_chromium_renders_every_operation_with_no_failed_request(stack, tmp_path):
    url = f"{stack.gateway.url}/api/docs"
    seen_before = len(requests_logged(stack.gateway.logs()))

    dom = browse(url, tmp_path / "profile-dom", "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    missing = [op for op in operation_ids() if f'-{op}"' not in dom.stdout]
    assert missing == [], "operations Swagger UI did not render"
    assert "Failed to load resource" not in dom.stderr
    assert policy_violations(dom.stderr) == []

    served = requests_logged(stack.gateway.logs())[seen_before:]
    paths = {entry["path"] for entry in served}
    assert {"/api/docs", "/api/openapi.json", "/api/docs/assets/swagger-ui-bundle.js",
            "/api/docs/assets/swagger-ui.css", "/api/docs/static/swagger-init.js",
            } <= paths  # fmt: skip
    failed = [(e["path"], e["status"]) for e in served if int(e["status"]) >= 400]
    assert failed == []

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    shot = browse(url, tmp_path / "profile-shot", f"--screenshot={SCREENSHOT}",
                  "--window-size=1280,1600", "--hide-scrollbars")  # fmt: skip
    assert shot.returncode == 0, shot.stderr[-2000:]
    assert SCREENSHOT.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert SCREENSHOT.stat().st_size > 20_000  # a rendered page, not a blank one
