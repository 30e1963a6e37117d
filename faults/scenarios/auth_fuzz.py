"""Bad `Authorization` headers against a gateway with API_TOKENS set, sent as raw bytes."""

from __future__ import annotations

import random
import secrets
import socket
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from faults.context import Context
from faults.result import Result
from faults.stack import FaultStack

NAME = "auth-fuzz"
CLAIM = (
    "A gateway with API_TOKENS set gets writes with malformed, oversized (past the header "
    "limit) and repeated `Authorization` headers, tokens with whitespace, control bytes and "
    "unicode, and a long run of wrong tokens: no answer is a 500 or goes unanswered, every "
    "one of them is refused (401; waitress's own 431 past the header limit, 400 for control "
    "bytes, which HTTP forbids in a header) and changes no row, no "
    "token tried appears in any service's log, and the configured tokens still pass."
)
# waitress's default max_request_header_size is 262144 bytes.
OVERSIZED = 300 * 1024
# Tokens this short are also words and numbers of ordinary log lines: not searched for.
SEARCHABLE = 12


REFUSED = frozenset({401})
# Refused by waitress before the app sees them: past its header limit, or bytes RFC 9110
# forbids in a field value.
TOO_LARGE = frozenset({401, 431})
FORBIDDEN_BYTES = frozenset({400, 401})


@dataclass(frozen=True)
class Attempt:
    label: str
    headers: tuple[bytes, ...]  # whole `Authorization: ...` lines, sent as they are
    refused: frozenset[int] = REFUSED

    def tokens(self) -> Iterator[str]:
        for header in self.headers:
            value = header.partition(b":")[2].strip()
            for word in value.decode("utf-8", errors="replace").replace(",", " ").split():
                if len(word) >= SEARCHABLE and word.lower() != "bearer":
                    yield word


def send(port: int, method: str, path: str, headers: tuple[bytes, ...]) -> int | None:
    """One request on its own connection; its status, or None when nothing came back."""
    head = f"{method} {path} HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n".encode()
    body = b'{"title": "intruder"}' if method in ("POST", "PUT") else b""
    extra = b"Content-Type: application/json\r\n" if body else b""
    request = head + extra + b"".join(h + b"\r\n" for h in headers)
    request += f"Content-Length: {len(body)}\r\n\r\n".encode() + body
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(request)
            answer = sock.recv(64)
    except OSError:
        return None
    parts = answer.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def auth(value: bytes) -> bytes:
    return b"Authorization: " + value


def bad_attempts(tokens: tuple[str, ...], rng: random.Random, count: int) -> list[Attempt]:
    right = tokens[0].encode()
    fixed = {
        "no header": (),
        "empty": (auth(b""),),
        "scheme only": (auth(b"Bearer"),),
        "scheme and spaces": (auth(b"Bearer    "),),
        "other scheme": (auth(b"Basic " + right),),
        "no scheme": (auth(right),),
        "scheme glued to token": (auth(b"Bearer" + right),),
        "two tokens": (auth(b"Bearer " + right + b" " + tokens[1].encode()),),
        "token then garbage": (auth(b"Bearer " + right + b" x"),),
        "comma list": (auth(b"Bearer " + right + b", Bearer " + right),),
        "token cut short": (auth(b"Bearer " + right[:-1]),),
        "token one longer": (auth(b"Bearer " + right + b"A"),),
        "token in quotes": (auth(b'Bearer "' + right + b'"'),),
        "zero-width space": (auth(b"Bearer " + right + "\u200b".encode()),),
        "accented token": (auth(b"Bearer " + right + "\u00e9".encode()),),
        "unicode token": (auth("Bearer t\u00f6k\u00e9n-\u30c8\u30fc\u30af\u30f3-\u05d0".encode()),),
        "latin-1 bytes": (auth(b"Bearer " + right + b"\xe9\xff"),),
        "repeated, right then wrong": (auth(b"Bearer " + right), auth(b"Bearer wrong")),
        "repeated, wrong then right": (auth(b"Bearer wrong"), auth(b"Bearer " + right)),
        "repeated, both right": (auth(b"Bearer " + right), auth(b"Bearer " + right)),
        "repeated, lower-case name": (auth(b"Bearer " + right), b"authorization: Bearer x"),
        "60 KiB token": (auth(b"Bearer " + b"A" * 60 * 1024),),
    }
    attempts = [Attempt(label, headers) for label, headers in fixed.items()]
    attempts += [
        Attempt("oversized", (auth(b"Bearer " + b"A" * OVERSIZED),), TOO_LARGE),
        Attempt("oversized, right token first",
                (auth(b"Bearer " + right + b" " + b"A" * OVERSIZED),), TOO_LARGE),
        Attempt("control bytes", (auth(b"Bearer " + right + b"\x00\x01\x7f"),), FORBIDDEN_BYTES),
        Attempt("vertical tab inside",
                (auth(b"Bearer " + right[:8] + b"\x0b" + right[8:]),), FORBIDDEN_BYTES),
    ]  # fmt: skip
    for index in range(count):
        attempts.append(Attempt(f"wrong token {index + 1}", (auth(b"Bearer " + wrong(rng)),)))
    return attempts


def wrong(rng: random.Random) -> bytes:
    """A wrong token: URL-safe, printable ASCII, or arbitrary UTF-8, 1 to 512 characters."""
    length = rng.randint(1, 512)
    kind = rng.randrange(3)
    if kind == 0:
        return secrets.token_urlsafe(length)[:length].encode()
    if kind == 1:
        return bytes(rng.randint(0x21, 0x7E) for _ in range(length))
    text = "".join(chr(rng.choice([rng.randint(0xA1, 0x2FF), rng.randint(0x3040, 0x30FF)]))
                   for _ in range(length))  # fmt: skip
    return text.encode()


def right_attempts(tokens: tuple[str, ...]) -> list[Attempt]:
    found = []
    for token in tokens:
        for scheme in (b"Bearer", b"bearer", b"BEARER"):
            found.append(
                Attempt(f"{scheme.decode()} right", (auth(scheme + b" " + token.encode()),))
            )
        found.append(Attempt("two spaces", (auth(b"Bearer  " + token.encode()),)))
        found.append(Attempt("trailing space", (auth(b"Bearer " + token.encode() + b"  "),)))
    return found


def movies(stack: FaultStack) -> list[tuple[object, ...]]:
    return [
        tuple(row) for row in stack.stack.inventory_db.query("SELECT * FROM movies ORDER BY id")
    ]


def run(ctx: Context) -> Result:
    result = Result(NAME, CLAIM)
    tokens = (secrets.token_urlsafe(24), secrets.token_urlsafe(32))
    stack = FaultStack.create(ctx.workdir / NAME, API_TOKENS=", ".join(tokens)).start()
    try:
        probe(ctx, result, stack, tokens)
    finally:
        stack.destroy()
    return result


def probe(ctx: Context, result: Result, stack: FaultStack, tokens: tuple[str, ...]) -> None:
    port = stack.gateway.port
    kept = send(port, "POST", "/api/movies", right_attempts(tokens)[0].headers)
    result.expect(kept == 200, f"a movie could not be created with a right token: {kept}")
    before = movies(stack)
    statuses: Counter[int] = Counter()
    wrong_answers: Counter[str] = Counter()
    bad = bad_attempts(tokens, ctx.random(NAME), ctx.scale(1500, 300))
    started = time.monotonic()
    writes = [("POST", "/api/movies"), ("DELETE", "/api/movies"), ("POST", "/api/billing")]
    for index, attempt in enumerate(bad):
        method, path = writes[index % len(writes)]
        status = send(port, method, path, attempt.headers)
        statuses[status or 0] += 1
        if status not in attempt.refused:
            wrong_answers[f"{attempt.label}: {status}"] += 1
    elapsed = time.monotonic() - started
    result.expect(not wrong_answers, f"answers other than a refusal: {dict(wrong_answers)}")
    result.expect(movies(stack) == before, "a refused write changed the movies table")
    stack.settle()  # an order that slipped through would be stored by now
    result.expect(stack.stored_count() == 0, "a refused order was stored")

    right = right_attempts(tokens)
    passed = [send(port, "GET", "/api/movies", ())]
    passed += [send(port, "DELETE", "/api/movies/999999999", a.headers) for a in right]
    statuses.update(status or 0 for status in passed)
    result.expect(passed[0] == 200, f"a read without a token answered {passed[0]}")
    refused = [a.label for a, s in zip(right, passed[1:], strict=True) if s != 404]
    result.expect(not refused, f"right tokens were refused: {refused}")
    result.count_statuses(statuses)

    logs = stack.gateway.logs() + stack.inventory.logs() + stack.billing.logs()
    tried = {token for attempt in bad + right for token in attempt.tokens()} | set(tokens)
    leaked = sorted(token[:16] + "..." for token in tried if token in logs)
    result.expect(not leaked, f"{len(leaked)} tokens appear in the logs: {leaked[:5]}")
    result.expect(stack.gateway.running, "the gateway exited")
    result.notes.append(
        f"{len(bad)} bad Authorization headers in {elapsed:.1f} s ({len(bad) / elapsed:.0f}/s), "
        f"{len(right)} right ones; {len(tried)} distinct tokens searched for in "
        f"{len(logs.splitlines())} log lines, {len(leaked)} found"
    )
