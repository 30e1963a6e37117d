"""The channel between a running `local` and `local stop|start|status` in another terminal:
supervisord's XML-RPC API (the `supervisor.*` methods of its documentation) on the Unix socket
in the state folder. supervisorctl reaches the same socket (`supervisorctl -c
.orchestrator/local/supervisord.conf status`)."""

from __future__ import annotations

import hashlib
import http.client
import socket
import tempfile
import xmlrpc.client
from pathlib import Path
from typing import Any

from orchestrator.errors import OrchestratorError

Info = dict[str, Any]  # one process as getProcessInfo describes it
# AF_UNIX paths are limited to 108 bytes on Linux; a deep checkout falls back to /tmp.
_MAX_SOCKET_PATH = 100
_TIMEOUT = 60.0


def socket_path(state_dir: Path) -> Path:
    path = state_dir.resolve() / "supervisord.sock"
    if len(str(path).encode()) <= _MAX_SOCKET_PATH:
        return path
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"movies-local-{digest}.sock"


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: Path, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(str(self._path))


class _UnixTransport(xmlrpc.client.Transport):
    """xmlrpc.client speaks HTTP over TCP; supervisord's socket is a Unix one (the client
    library's documentation shows a Transport's make_connection replaced in the same way)."""

    def __init__(self, path: Path, timeout: float) -> None:
        super().__init__()
        self._path, self._timeout = path, timeout

    def make_connection(self, host: Any) -> http.client.HTTPConnection:
        return _UnixConnection(self._path, self._timeout)


class Control:
    def __init__(self, state_dir: Path, timeout: float = _TIMEOUT) -> None:
        self.socket = socket_path(state_dir)
        transport = _UnixTransport(self.socket, timeout)
        self._rpc = xmlrpc.client.ServerProxy("http://localhost/RPC2", transport=transport)

    def answers(self) -> bool:
        try:
            self._rpc.supervisor.getState()
        except OSError:
            return False
        return True

    def processes(self) -> dict[str, Info]:
        return {info["name"]: info for info in self._call("getAllProcessInfo")}

    def info(self, name: str) -> Info:
        return dict(self._call("getProcessInfo", name))

    def start(self, name: str) -> Info:
        self._call("startProcess", name, True)
        return self.info(name)

    def stop(self, name: str) -> Info:
        self._call("stopProcess", name, True)
        return self.info(name)

    def shutdown(self) -> None:
        self._call("shutdown")

    def _call(self, method: str, *args: Any) -> Any:
        try:
            return getattr(self._rpc.supervisor, method)(*args)
        except (FileNotFoundError, ConnectionRefusedError):
            raise OrchestratorError(
                "no `local` is running from this checkout: start it with `./orchestrator.sh local` "
                "in another terminal"
            ) from None
        except xmlrpc.client.Fault as fault:
            raise OrchestratorError(f"the running `local` refused: {fault.faultString}") from None
        except OSError as exc:
            raise OrchestratorError(f"the running `local` did not answer ({exc})") from None


def describe(info: Info) -> str:
    """A process's state in the words `local` uses."""
    state = info["statename"]
    if state == "STOPPED":
        return "stopped on request" if info["start"] else "not started"
    if state == "FATAL" and info["spawnerr"]:
        return f"could not start ({info['spawnerr']})"
    if state in ("EXITED", "FATAL"):
        return f"exited with code {info['exitstatus']}"
    return str(state).lower()
