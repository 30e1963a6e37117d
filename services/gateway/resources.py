"""The gateway's own resources: the movie proxy, order intake and the OpenAPI document."""

from __future__ import annotations

import json
import logging
import uuid
from importlib.resources import files
from urllib.parse import quote

import falcon

from services.common.bodies import read_bounded, read_json
from services.common.middleware import REQUEST_ID_HEADER, is_valid_token
from services.common.orders import InvalidOrder, parse_order
from services.gateway.publisher import OrderPublisher
from services.gateway.upstream import BadUpstream, InventoryClient

log = logging.getLogger(__name__)

IDEMPOTENCY_HEADER = "Idempotency-Key"
_FORWARDED_REQUEST_HEADERS = ("Content-Type", "Accept")
# (name, the lower-case key of the upstream answer's headers)
_FORWARDED_RESPONSE_HEADERS = tuple(
    (name, name.lower())
    for name in ("Content-Type", "Allow", "Cache-Control", "ETag", "Location", "Link")
)


class MovieProxy:
    """Forwards one request to inventory and relays its answer as it is."""

    def __init__(self, inventory: InventoryClient, *, max_body_bytes: int) -> None:
        self._inventory = inventory
        self._max_body = max_body_bytes

    def forward(self, req: falcon.Request, resp: falcon.Response, path: str) -> None:
        has_body = req.method in ("POST", "PUT")
        body = read_bounded(req, max_bytes=self._max_body) if has_body else None
        headers = {h: v for h in _FORWARDED_REQUEST_HEADERS if (v := req.get_header(h))}
        headers[REQUEST_ID_HEADER] = req.context.request_id
        target = f"{path}?{req.query_string}" if req.query_string else path
        try:
            answer = self._inventory.request(req.method, target, headers=headers, body=body)
        except BadUpstream as error:
            log.warning("bad answer from inventory: %s", error.__cause__)
            raise falcon.HTTPBadGateway(title="Bad Gateway", description=str(error)) from error
        resp.status = answer.status
        if answer.stream is None:
            resp.data = answer.body
        else:
            resp.stream = answer.stream
        for name, key in _FORWARDED_RESPONSE_HEADERS:
            if (value := answer.headers.get(key)) is not None:
                resp.set_header(name, value)


class MoviesProxyResource:
    def __init__(self, proxy: MovieProxy) -> None:
        self._proxy = proxy

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        self._proxy.forward(req, resp, "/api/movies")

    on_post = on_get
    on_delete = on_get


class MovieProxyResource:
    def __init__(self, proxy: MovieProxy) -> None:
        self._proxy = proxy

    def on_get(self, req: falcon.Request, resp: falcon.Response, movie_id: str) -> None:
        # Rebuilt from the route parameter, re-quoted: a decoded "?" or "/" in the id must
        # not turn into another path or query upstream.
        self._proxy.forward(req, resp, f"/api/movies/{quote(movie_id, safe='')}")

    on_put = on_get
    on_delete = on_get


class BillingResource:
    def __init__(self, publisher: OrderPublisher, *, max_body_bytes: int) -> None:
        self._publisher = publisher
        self._max_body = max_body_bytes

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        data = read_json(req, max_bytes=self._max_body, exact_decimals=True)
        try:
            order = parse_order(data)
        except InvalidOrder as error:
            raise falcon.HTTPBadRequest(title="Invalid order", description=str(error)) from None
        message_id = _message_id(req.get_header(IDEMPOTENCY_HEADER), order.user_id)
        self._publisher.publish(
            order.to_message(), message_id=message_id, request_id=req.context.request_id
        )
        # On the request's access-log line, not a line of its own: a second line per order
        # was 7% of the gateway's CPU per order (py-spy), and says nothing the first can't.
        req.context.log_fields = {"message_id": message_id}
        resp.media = {"message": "order queued", "order_id": message_id, **order.to_json()}


def _message_id(idempotency_key: str | None, user_id: int) -> str:
    """A client's Idempotency-Key becomes the message id, so a retry of an order whose 503
    hid a confirm that was lost (the broker took it) is stored once, not twice. Scoped by
    user so that two clients' keys never collide."""
    if idempotency_key is None:
        return uuid.uuid4().hex
    if not is_valid_token(idempotency_key):
        raise falcon.HTTPBadRequest(
            title="Invalid Idempotency-Key",
            description="use 1 to 128 of the characters A-Z a-z 0-9 . _ : -",
        )
    return f"idem:{user_id}:{idempotency_key}"


class OpenApiResource:
    def __init__(self, document: bytes) -> None:
        self._document = document

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = falcon.MEDIA_JSON
        resp.data = self._document


def load_openapi() -> bytes:
    document = files("services.gateway").joinpath("openapi.json").read_bytes()
    json.loads(document)  # fail at start, not on the first request, if the file is broken
    return document
