"""INSERT … ON CONFLICT DO UPDATE in the dialect's own syntax, as one executemany.

The statement is compiled once and the rows go as parameters, so SQLAlchemy batches
them with insertmanyvalues instead of building a new statement per batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session


def upsert(session: Session, model: type[DeclarativeBase], rows: Sequence[dict[str, Any]],
           keys: Sequence[str], update: Sequence[str] | None = None) -> None:
    """Insert `rows`, or update the columns `update` (default: all but `keys`) on conflict."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(model)
    columns = update if update is not None else [c for c in rows[0] if c not in keys]
    if columns:
        statement = statement.on_conflict_do_update(
            index_elements=list(keys), set_={c: statement.excluded[c] for c in columns})
    else:
        statement = statement.on_conflict_do_nothing(index_elements=list(keys))
    session.execute(statement, list(rows))
