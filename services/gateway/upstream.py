"""Forwarding requests to inventory over pooled keep-alive connections."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import urllib3
from urllib3.exceptions import (
    EmptyPoolError,
    HTTPError,
    NewConnectionError,
)
from urllib3.exceptions import TimeoutError as UpstreamTimeout

from services.common.errors import DependencyTimeout, DependencyUnavailable
from services.gateway.config import UpstreamSettings


class BadUpstream(Exception):
    """Inventory answered with something that is not an HTTP response: answer 502."""


@dataclass(frozen=True)
class UpstreamResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes


class InventoryClient:
    def __init__(self, settings: UpstreamSettings) -> None:
        self._base = settings.base_url
        # How long a request may wait for a free pooled connection (urllib3 wants whole seconds).
        self._pool_wait = max(1, math.ceil(settings.connect_timeout))
        self._timeout = urllib3.Timeout(
            connect=settings.connect_timeout, read=settings.read_timeout
        )
        # One keep-alive connection per gateway worker thread; block so a burst queues briefly
        # instead of opening throwaway connections.
        self._pool = urllib3.connection_from_url(
            settings.base_url, maxsize=settings.pool_size, block=True, timeout=self._timeout
        )

    def request(
        self, method: str, path: str, *, headers: Mapping[str, str], body: bytes | None = None
    ) -> UpstreamResponse:
        try:
            response = self._pool.urlopen(
                method,
                path,
                body=body,
                headers=dict(headers),
                retries=False,
                redirect=False,
                timeout=self._timeout,
                pool_timeout=self._pool_wait,
            )
        # NewConnectionError subclasses the timeout errors: refused must be caught first.
        except (NewConnectionError, EmptyPoolError) as error:
            raise DependencyUnavailable("inventory is unavailable") from error
        except UpstreamTimeout as error:
            raise DependencyTimeout("inventory did not answer in time") from error
        except (HTTPError, OSError) as error:
            raise BadUpstream("inventory sent a broken response") from error
        return UpstreamResponse(response.status, response.headers, response.data)

    def ping(self) -> None:
        response = self.request("GET", "/healthz", headers={})
        if response.status != 200:
            raise DependencyUnavailable(f"inventory /healthz answered {response.status}")

    def close(self) -> None:
        self._pool.close()
