"""The channel between a running `local` and `local stop|start|status` in another terminal:
a Unix socket in the state folder, one JSON request and one JSON answer per connection.

The listener only hands requests over; the supervisor's own loop acts on them, so every change
to the processes happens on one thread."""

from __future__ import annotations

import contextlib
import hashlib
import json
import queue
import socket
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator.errors import OrchestratorError

Answer = dict[str, Any]
# AF_UNIX paths are limited to 108 bytes on Linux; a deep checkout falls back to /tmp.
_MAX_SOCKET_PATH = 100
_ANSWER_TIMEOUT = 60.0


def socket_path(state_dir: Path) -> Path:
    path = state_dir.resolve() / "control.sock"
    if len(str(path).encode()) <= _MAX_SOCKET_PATH:
        return path
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"movies-local-{digest}.sock"


@dataclass
class Request:
    verb: str
    service: str | None
    answers: queue.Queue[Answer] = field(default_factory=lambda: queue.Queue(maxsize=1))

    def answer(self, **fields: Any) -> None:
        self.answers.put(fields)


class ControlListener:
    """Accepts requests on the socket and queues them for the supervisor."""

    def __init__(self, path: Path, requests: queue.Queue[Request]) -> None:
        self._path = path
        self._requests = requests
        self._server = _bind(path)
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.close()
        with contextlib.suppress(FileNotFoundError):
            self._path.unlink()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(_ANSWER_TIMEOUT)
            try:
                message = json.loads(_read_line(conn))
                request = Request(str(message["verb"]), message.get("service"))
            except (OSError, ValueError, KeyError, TypeError):
                return
            self._requests.put(request)
            try:
                answer = request.answers.get(timeout=_ANSWER_TIMEOUT)
            except queue.Empty:
                answer = {"ok": False, "message": "the running `local` did not answer in time"}
            with contextlib.suppress(OSError):
                conn.sendall(json.dumps(answer).encode() + b"\n")


def _bind(path: Path) -> socket.socket:
    if ask(path, "ping", timeout=2.0, missing_ok=True) is not None:
        raise OrchestratorError(
            f"`local` is already running from this checkout (its socket is {path}): "
            "see it with `./orchestrator.sh local status`"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        path.unlink()  # left by a `local` that was killed
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    path.chmod(0o600)
    server.listen(8)
    return server


def ask(
    path: Path,
    verb: str,
    service: str | None = None,
    *,
    timeout: float = _ANSWER_TIMEOUT,
    missing_ok: bool = False,
) -> Answer | None:
    """Sends one request to the running `local`; None (with `missing_ok`) when none runs."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(timeout)
            conn.connect(str(path))
            conn.sendall(json.dumps({"verb": verb, "service": service}).encode() + b"\n")
            return dict(json.loads(_read_line(conn)))
    except (FileNotFoundError, ConnectionRefusedError):
        if missing_ok:
            return None
        raise OrchestratorError(
            "no `local` is running from this checkout: start it with `./orchestrator.sh local` "
            "in another terminal"
        ) from None
    except (OSError, ValueError) as exc:
        raise OrchestratorError(f"the running `local` did not answer ({exc})") from None


def _read_line(conn: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    return data
