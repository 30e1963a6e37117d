"""Two questions `local` and the test harness ask of this machine's network."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def probe(url: str, timeout: float = 1.0) -> tuple[int | None, str]:
    """GET url: its status and the start of its body, or None and why nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:  # noqa: S310 - our http://
            return answer.status, answer.read(200).decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read(200).decode(errors="replace")
    except (OSError, ValueError) as error:
        return None, str(error)
