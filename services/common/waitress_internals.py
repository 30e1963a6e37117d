"""What the services need of waitress beyond its public API, in one place.

waitress has no graceful shutdown: its `run()` ends the event loop on SIGTERM and strands the
answers that worker threads are still writing, so a rolling update would drop requests. To
drain instead, the server's loop is turned here one step at a time, the listening socket
closed, and the task queue and the channels asked whether anything is still in flight. The
one busy-server line per interval replaces the logger of this server's task dispatcher.

None of these names start with an underscore, but waitress documents none of them:
pyproject.toml pins waitress to one release, and tests/unit/services/common/
test_waitress_internals.py fails when an upgrade renames or changes one of them.
"""

from __future__ import annotations

from collections.abc import Sized
from typing import Any, Protocol

from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer

# The dispatcher gives in-flight tasks this long once draining is over.
DISPATCHER_STOP_SECONDS = 2


class QueueLogger(Protocol):
    def warning(self, msg: str, depth: int, *args: object) -> None: ...


# The server's socket map: the dict passed to create_server(map=...), which waitress fills
# with the listening socket and one channel per connection.
SocketMap = dict[int, Any]


def turn_loop(sockets: SocketMap, timeout: float) -> None:
    """One pass of the event loop: accept, read and write whatever is ready."""
    wasyncore.loop(timeout=timeout, map=sockets, use_poll=True, count=1)


def stop_accepting(server: BaseWSGIServer) -> None:
    server.del_channel()
    server.socket.close()


def in_flight(server: BaseWSGIServer, sockets: SocketMap) -> bool:
    """A request is queued or running, or an answer is not fully sent yet."""
    dispatcher = server.task_dispatcher
    if dispatcher.active_count or dispatcher.queue:
        return True
    return any(
        isinstance(channel, HTTPChannel) and (channel.requests or channel.total_outbufs_len)
        for channel in list(sockets.values())
    )


def close(server: BaseWSGIServer, sockets: SocketMap) -> None:
    server.task_dispatcher.shutdown(cancel_pending=True, timeout=DISPATCHER_STOP_SECONDS)
    wasyncore.close_all(sockets)


def replace_queue_logger(server: BaseWSGIServer, logger: QueueLogger) -> Sized:
    """Routes this server's "task queue depth" warnings to `logger` (the dispatcher's own,
    not the class's) and returns the queue of tasks waiting for a worker thread."""
    dispatcher = server.task_dispatcher
    dispatcher.queue_logger = logger
    queue: Sized = dispatcher.queue
    return queue
