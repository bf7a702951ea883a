"""INSERT … ON CONFLICT DO UPDATE in the dialect's own syntax, as one executemany.

The statement is built once per shape and cached, and the rows go to Core as
parameters, so SQLAlchemy batches them with insertmanyvalues; the ORM's per-row
bookkeeping is not needed for bulk rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Insert, Row
from sqlalchemy.orm import DeclarativeBase, Session


@lru_cache(maxsize=64)
def _statement(dialect: str, model: type[DeclarativeBase], keys: tuple[str, ...],
               columns: tuple[str, ...], returning: tuple[str, ...]) -> Insert:
    # Only the dialect in use is imported: PostgreSQL's costs a SQLite user 50 ms a command.
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(model.__table__)
    if not columns:
        upserting = statement.on_conflict_do_nothing(index_elements=list(keys))
    else:
        upserting = statement.on_conflict_do_update(
            index_elements=list(keys), set_={c: statement.excluded[c] for c in columns})
    if returning:
        table = model.__table__
        return upserting.returning(*(table.c[name] for name in returning))
    return upserting


def upsert(session: Session, model: type[DeclarativeBase], rows: Sequence[dict[str, Any]],
           keys: Sequence[str], update: Sequence[str] | None = None,
           returning: Sequence[str] = ()) -> list[Row[Any]]:
    """Insert `rows`, or update the columns `update` (default: all but `keys`) on conflict;
    with `returning`, those columns of every row written (one statement, not a select
    after it)."""
    if not rows:
        return []
    columns = update if update is not None else [c for c in rows[0] if c not in keys]
    connection = session.connection()
    statement = _statement(connection.dialect.name, model, tuple(keys), tuple(columns),
                           tuple(returning))
    result = connection.execute(statement, list(rows))
    return list(result.all()) if returning else []
