"""A bounded stream of requests in the background, recording every answer.

Bounded twice, as this machine requires: by the number of requests and by a deadline.
Each request is keyed by a number of its own (an order's user_id, a movie's title) so that
what the client was told can later be matched against what was stored.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import requests

# What one request did: its status (0 = no HTTP answer at all) and when it was answered.
Send = Callable[[requests.Session, int], int]


@dataclass(frozen=True)
class Answer:
    key: int
    status: int
    at: float
    seconds: float


@dataclass
class Flow:
    send: Send
    total: int
    rate: float | None = None  # requests per second across all workers; None = as fast as possible
    workers: int = 8
    deadline_seconds: float = 300.0
    answers: list[Answer] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> Flow:
        keys = itertools.count(1)
        started = time.monotonic()
        for _ in range(self.workers):
            thread = threading.Thread(target=self._work, args=(keys, started), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def join(self) -> Flow:
        for thread in self._threads:
            thread.join(timeout=self.deadline_seconds + 30)
        return self

    def stop(self) -> Flow:
        """Ends the flow early (after the requests in flight) and waits for it."""
        self._stop.set()
        return self.join()

    @property
    def done(self) -> bool:
        return not any(thread.is_alive() for thread in self._threads)

    def statuses(self) -> Counter[int]:
        with self._lock:
            return Counter(answer.status for answer in self.answers)

    def keys_with(self, status: int) -> set[int]:
        with self._lock:
            return {answer.key for answer in self.answers if answer.status == status}

    def slowest(self, status: int) -> float:
        """The longest time a request took to be answered with `status` (0.0 if none was)."""
        with self._lock:
            return max((a.seconds for a in self.answers if a.status == status), default=0.0)

    def times_of(self, status: int) -> list[float]:
        """When each request answered with `status` was answered, earliest first."""
        with self._lock:
            return sorted(a.at for a in self.answers if a.status == status)

    def first_success_after(self, moment: float) -> float | None:
        """When the first request sent after `moment` was answered 200."""
        with self._lock:
            times = [a.at for a in self.answers if a.status == 200 and a.at - a.seconds >= moment]
        return min(times) if times else None

    def _work(self, keys: itertools.count[int], started: float) -> None:
        session = requests.Session()
        end = started + self.deadline_seconds
        with self._lock:  # itertools.count is not documented as thread-safe
            key = next(keys)
        while key <= self.total and time.monotonic() < end and not self._stop.is_set():
            if self.rate:
                time.sleep(max(0.0, started + (key - 1) / self.rate - time.monotonic()))
            sent = time.monotonic()
            status = self._send_one(session, key)
            now = time.monotonic()
            with self._lock:
                self.answers.append(Answer(key, status, now, now - sent))
                key = next(keys)
        session.close()

    def _send_one(self, session: requests.Session, key: int) -> int:
        try:
            return self.send(session, key)
        except requests.RequestException:
            return 0


def order_body(user_id: int) -> dict[str, object]:
    return {"user_id": user_id, "number_of_items": 1 + user_id % 5, "total_amount": "12.50"}


def order_sender(gateway_url: str, *, timeout: float = 15.0) -> Send:
    def send(session: requests.Session, user_id: int) -> int:
        answer = session.post(
            f"{gateway_url}/api/billing", json=order_body(user_id), timeout=timeout
        )
        return answer.status_code

    return send


def movie_sender(gateway_url: str, *, timeout: float = 15.0) -> Send:
    """Odd keys create the movie `movie-<key>`, even keys search for one: writes and reads."""

    def send(session: requests.Session, key: int) -> int:
        if key % 2:
            movie = {"title": f"movie-{key}", "description": "fault injection"}
            answer = session.post(f"{gateway_url}/api/movies", json=movie, timeout=timeout)
        else:
            params = {"title": f"movie-{key - 1}"}
            answer = session.get(f"{gateway_url}/api/movies", params=params, timeout=timeout)
        return answer.status_code

    return send
