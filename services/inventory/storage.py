"""Movies in PostgreSQL: the only module that knows the SQL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pg8000.native

from services.common.db import ConnectionPool, migrate_with_lock

_SCHEMA = [
    """
    CREATE TABLE IF NOT EXISTS movies (
        id          BIGSERIAL PRIMARY KEY,
        title       TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
        updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
    )
    """,
]
_MIGRATION_LOCK = 0x6D6F7669  # "movi": one key per database, any constant works
_COLUMNS = "id, title, description"


@dataclass(frozen=True)
class Movie:
    id: int
    title: str
    description: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "description": self.description}


def migrate(conn: pg8000.native.Connection) -> None:
    migrate_with_lock(conn, _MIGRATION_LOCK, _SCHEMA)


class MovieStore:
    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool

    def list(self, title_contains: str | None = None) -> list[Movie]:
        if title_contains:
            rows = self._pool.run_read(
                f"SELECT {_COLUMNS} FROM movies "
                "WHERE strpos(lower(title), lower(:needle)) > 0 ORDER BY id",
                needle=title_contains,
            )
        else:
            rows = self._pool.run_read(f"SELECT {_COLUMNS} FROM movies ORDER BY id")
        return [Movie(*row) for row in rows]

    def get(self, movie_id: int) -> Movie | None:
        rows = self._pool.run_read(f"SELECT {_COLUMNS} FROM movies WHERE id = :id", id=movie_id)
        return Movie(*rows[0]) if rows else None

    def create(self, title: str, description: str) -> Movie:
        rows = self._pool.run(
            f"INSERT INTO movies (title, description) VALUES (:title, :description) "
            f"RETURNING {_COLUMNS}",
            title=title,
            description=description,
        )
        return Movie(*rows[0])

    def update(self, movie_id: int, title: str | None, description: str | None) -> Movie | None:
        rows = self._pool.run(
            "UPDATE movies SET title = COALESCE(:title, title), "
            "description = COALESCE(:description, description), updated_at = now() "
            f"WHERE id = :id RETURNING {_COLUMNS}",
            id=movie_id,
            title=title,
            description=description,
        )
        return Movie(*rows[0]) if rows else None

    def delete(self, movie_id: int) -> bool:
        rows = self._pool.run("DELETE FROM movies WHERE id = :id RETURNING id", id=movie_id)
        return bool(rows)

    def delete_all(self) -> int:
        rows = self._pool.run(
            "WITH gone AS (DELETE FROM movies RETURNING 1) SELECT count(*) FROM gone"
        )
        return int(rows[0][0])

    def ping(self) -> None:
        self._pool.ping()
