"""GET /api/movies: every movie streamed page by page, or one page when the client asks."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlencode

import falcon

from services.common.errors import DependencyTimeout, DependencyUnavailable
from services.common.ids import MAX_ID
from services.inventory.storage import JsonPage, MovieStore

log = logging.getLogger(__name__)

# Movies per database round trip when streaming the whole list: ~100 KB of JSON, so memory
# stays flat however many movies there are, and 100,000 movies take 100 short statements.
STREAM_PAGE = 1000
DEFAULT_PAGE = 100
MAX_PAGE = 1000


@dataclass(frozen=True)
class Paging:
    limit: int
    after: int


def parse_paging(req: falcon.Request) -> Paging | None:
    """None when the client asked for neither `limit` nor `after`: the whole list."""
    limit = req.get_param_as_int("limit", min_value=1, max_value=MAX_PAGE)
    after = req.get_param_as_int("after", min_value=0, max_value=MAX_ID)
    if limit is None and after is None:
        return None
    return Paging(limit=limit or DEFAULT_PAGE, after=after or 0)


def one_page(store: MovieStore, paging: Paging, needle: str | None) -> tuple[bytes, str | None]:
    """The page as a JSON array and, when more movies follow, the Link header to them."""
    page = store.page_json(after=paging.after, limit=paging.limit, title_contains=needle)
    body = f"[{page.objects}]".encode()
    if not page.more or page.last_id is None:
        return body, None
    query: dict[str, str | int] = {"limit": paging.limit, "after": page.last_id}
    if needle:
        query["title"] = needle
    return body, f'</api/movies?{urlencode(query)}>; rel="next"'


def stream_all(store: MovieStore, needle: str | None) -> Iterator[bytes]:
    """The whole list as one JSON array, one chunk per page.

    The first page is read before this returns, so that a database that is down is still a
    503 with a JSON body; a failure after that can only cut the response short, which the
    client sees as a broken chunked body rather than a truncated array that parses."""
    first = store.page_json(after=0, limit=STREAM_PAGE, title_contains=needle)
    return _chunks(store, needle, first)


def _chunks(store: MovieStore, needle: str | None, page: JsonPage) -> Iterator[bytes]:
    yield f"[{page.objects}".encode()
    while page.more and page.last_id is not None:
        try:
            page = store.page_json(after=page.last_id, limit=STREAM_PAGE, title_contains=needle)
        except (DependencyUnavailable, DependencyTimeout) as error:
            log.warning("movie list cut short after id %s: %s", page.last_id, error)
            raise
        if page.objects:
            yield f",{page.objects}".encode()
    yield b"]"
