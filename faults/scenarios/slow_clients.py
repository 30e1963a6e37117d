"""Clients that send their requests a byte at a time, or stop halfway through a body."""

from __future__ import annotations

import contextlib
import socket
import threading
import time

from faults.accounting import account_flow
from faults.context import Context
from faults.flow import Flow, order_sender
from faults.result import Result
from faults.stack import FaultStack

NAME = "slow-clients"
CLAIM = (
    "Hundreds of connections to the gateway trickle a request a byte at a time, or send "
    "headers and half a body and go quiet, while orders flow: no worker thread waits on "
    "them, every order is answered 200 within 2 s and stored once."
)
LATENCY_BOUND = 2.0
_HEAD = b"POST /api/billing HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"


class Tricklers:
    """`count` sockets fed one byte per `gap` seconds, for at most `seconds`, from one thread."""

    def __init__(self, port: int, count: int, *, seconds: float, gap: float = 0.5) -> None:
        self._socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
        self._seconds, self._gap = seconds, gap
        self._thread = threading.Thread(target=self._feed, daemon=True)

    def start(self) -> Tricklers:
        half = len(self._socks) // 2
        for sock in self._socks[:half]:  # these stop halfway through a declared body
            sock.sendall(_HEAD + b"Content-Length: 60000\r\n\r\n" + b"{" * 30000)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._thread.join(timeout=self._seconds + 5)
        for sock in self._socks:
            with contextlib.suppress(OSError):
                sock.close()

    def _feed(self) -> None:
        half = len(self._socks) // 2
        request = _HEAD + b"Content-Length: 2\r\n\r\n{}"
        rounds = min(len(request), int(self._seconds / self._gap))
        for index in range(rounds):  # bounded by the request's length and by time
            for sock in self._socks[half:]:
                with contextlib.suppress(OSError):
                    sock.send(request[index : index + 1])
            time.sleep(self._gap)


def run(ctx: Context) -> Result:
    result = Result(NAME, CLAIM)
    stack = FaultStack.create(ctx.workdir / NAME).start()
    try:
        slow = Tricklers(stack.gateway.port, ctx.scale(400, 200), seconds=15).start()
        flow = Flow(order_sender(stack.gateway.url), total=ctx.scale(600, 300), rate=50).start()
        flow.join()
        slow.stop()
        account_flow(result, stack, flow, all_taken=True)
        slowest = flow.slowest(200)
        result.expect(slowest <= LATENCY_BOUND, f"an order took {slowest:.2f} s")
        result.notes.append(
            f"{ctx.scale(400, 200)} slow connections held open; slowest order {slowest:.2f} s"
        )
    finally:
        stack.destroy()
    return result
