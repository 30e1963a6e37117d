"""The metrics listener over a real socket: it serves the app's registry, then lets go."""

from __future__ import annotations

import socket
import urllib.request

from prometheus_client import CollectorRegistry, Counter

from orchestrator.local.net import free_port
from services.common.metrics_server import MetricsServer, MetricsSettings


def test_it_serves_the_registry_and_stops():
    registry = CollectorRegistry()
    Counter("probe_total", "a counter to find", registry=registry).inc(3)
    port = free_port()
    server = MetricsServer(registry, MetricsSettings("127.0.0.1", port))
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
            assert answer.headers["Content-Type"].startswith("text/plain")
            assert "probe_total 3.0" in answer.read().decode()
    finally:
        server.close()
    with socket.socket() as sock:
        # as a restarted server binds (TIME_WAIT allowed); a live listener would still refuse
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
