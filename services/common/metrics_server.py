"""/metrics on a listener of its own (METRICS_PORT), so that the public port never shows the
internal counters: prometheus_client's own HTTP server, on a daemon thread beside the app's."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, start_http_server

from services.common.config import ConfigError, Reader


@dataclass(frozen=True)
class MetricsSettings:
    host: str
    port: int

    @classmethod
    def from_env(cls, read: Reader) -> MetricsSettings:
        """On the service's HOST; a METRICS_PORT equal to PORT is refused at start."""
        port = read.integer("METRICS_PORT", minimum=1)
        if port == read.integer("PORT", minimum=1):
            raise ConfigError(f"METRICS_PORT must differ from PORT, both are {port}")
        return cls(host=read.text("HOST"), port=port)


class MetricsServer:
    """Bound when built: a taken port raises ``MetricsPortTaken`` before the app serves."""

    def __init__(self, registry: CollectorRegistry, settings: MetricsSettings) -> None:
        try:
            self._server, self._thread = start_http_server(
                settings.port, settings.host, registry=registry
            )
        except OSError as error:
            raise MetricsPortTaken(
                f"cannot listen on METRICS_PORT {settings.host}:{settings.port}: "
                f"{error.strerror or error}"
            ) from None

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class MetricsPortTaken(ConfigError):
    """The one line a process prints when its metrics port cannot be bound."""
