"""`python -m services.billing`: consume orders and serve probes and metrics."""

from __future__ import annotations

import logging
import threading

from prometheus_client import CollectorRegistry

from services.billing.app import create_app
from services.billing.config import BillingConfig
from services.billing.consumer import BillingConsumer, ConsumerState
from services.billing.metrics import BillingMetrics
from services.billing.storage import OrderStore, migrate
from services.common.app import load_config_or_exit
from services.common.db import ConnectionPool
from services.common.server import build_server, serve_until_stopped, stop_on_signals


def main() -> None:
    config = load_config_or_exit("billing", BillingConfig.from_env)
    registry = CollectorRegistry()
    pool = ConnectionPool(config.db, migrate)
    store, state = OrderStore(pool), ConsumerState()
    consumer = BillingConsumer(
        broker=config.broker,
        settings=config.consumer,
        store=store,
        metrics=BillingMetrics(registry),
        state=state,
    )
    server = build_server(
        create_app(store=store, state=state, registry=registry), config.server, name="billing"
    )
    stop, http_stop = threading.Event(), threading.Event()
    stop_on_signals(stop)
    http = threading.Thread(
        target=serve_until_stopped,
        args=(server, http_stop, config.server.drain_seconds),
        daemon=True,
    )
    http.start()
    try:
        consumer.run(stop)  # returns once the in-flight batch is stored and acknowledged
    except Exception:
        # Unexpected: log it as JSON and exit non-zero so the orchestrator restarts us; the
        # unacknowledged messages go back to the queue with the connection.
        logging.getLogger("billing").exception("consumer crashed")
        raise SystemExit(1) from None
    finally:
        http_stop.set()
        http.join(timeout=5)
        pool.close_all()


if __name__ == "__main__":
    main()
