"""HTTP resources for /api/movies and /api/movies/{id}."""

from __future__ import annotations

import falcon

from services.common.bodies import read_json
from services.inventory.listing import one_page, parse_paging, stream_all
from services.inventory.storage import MovieStore
from services.inventory.validation import parse_movie_update, parse_new_movie, parse_title_filter


def _not_found(movie_id: int) -> falcon.HTTPNotFound:
    return falcon.HTTPNotFound(title="Not Found", description=f"no movie with id {movie_id}")


class MoviesResource:
    def __init__(self, store: MovieStore, *, max_body_bytes: int) -> None:
        self._store = store
        self._max_body = max_body_bytes

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        needle = parse_title_filter(req.get_param("title"))
        paging = parse_paging(req)
        resp.content_type = falcon.MEDIA_JSON
        if paging is None:
            resp.stream = stream_all(self._store, needle)
            return
        resp.data, link = one_page(self._store, paging, needle)
        if link:
            resp.set_header("Link", link)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        fields = parse_new_movie(read_json(req, max_bytes=self._max_body))
        movie = self._store.create(fields.title or "", fields.description or "")
        resp.media = movie.to_dict()

    def on_delete(self, req: falcon.Request, resp: falcon.Response) -> None:
        deleted = self._store.delete_all()
        resp.media = {"message": f"deleted {deleted} movies", "deleted": deleted}


class MovieResource:
    def __init__(self, store: MovieStore, *, max_body_bytes: int) -> None:
        self._store = store
        self._max_body = max_body_bytes

    def on_get(self, req: falcon.Request, resp: falcon.Response, movie_id: int) -> None:
        movie = self._store.get_json(movie_id)
        if movie is None:
            raise _not_found(movie_id)
        resp.content_type = falcon.MEDIA_JSON
        resp.data = movie.encode()

    def on_put(self, req: falcon.Request, resp: falcon.Response, movie_id: int) -> None:
        changes = parse_movie_update(read_json(req, max_bytes=self._max_body))
        movie = self._store.update(movie_id, changes.title, changes.description)
        if movie is None:
            raise _not_found(movie_id)
        resp.media = movie.to_dict()

    def on_delete(self, req: falcon.Request, resp: falcon.Response, movie_id: int) -> None:
        if not self._store.delete(movie_id):
            raise _not_found(movie_id)
        resp.media = {"message": f"deleted movie {movie_id}", "deleted": 1, "id": movie_id}
