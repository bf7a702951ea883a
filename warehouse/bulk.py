"""Many rows in one go, in the caller's transaction: COPY on PostgreSQL, executemany on
SQLite.

On PostgreSQL a multi-row INSERT is parsed again for every statement (psycopg rewrites
each long statement's placeholders in Python, about 5 ms for 60 rows), while COPY streams
rows at tens of thousands a second; an upsert goes through a temporary table that the
transaction drops. SQLite runs in-process, where executemany is already a C loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session

from warehouse.upsert import upsert


def _copy(session: Session, table: str, columns: Sequence[str],
          rows: Sequence[dict[str, Any]]) -> None:
    connection = session.connection()
    cursor = connection.connection.driver_connection.cursor()  # psycopg 3
    names = ", ".join(f'"{c}"' for c in columns)
    statement = f'COPY "{table}" ({names}) FROM STDIN'
    dbapi = connection.dialect.loaded_dbapi
    try:
        with cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row([row[c] for c in columns])
    except dbapi.Error as error:
        # As SQLAlchemy raises for its own statements: a lost connection is an
        # OperationalError (the run stops, no file is blamed), a refused row an
        # IntegrityError.
        gone = connection.dialect.is_disconnect(error, connection.connection.dbapi_connection,
                                                cursor)
        if gone:
            connection.invalidate(error)
        raise DBAPIError.instance(statement, None, error, dbapi.Error,
                                  connection_invalidated=gone,
                                  dialect=connection.dialect) from error


def _postgres(session: Session) -> bool:
    return session.connection().dialect.name == "postgresql"


def _with_defaults(model: type[DeclarativeBase], rows: Sequence[dict[str, Any]]
                   ) -> list[dict[str, Any]]:
    """The rows with the model's Python-side defaults filled in, as an ORM flush would."""
    defaults: dict[str, Any] = {}
    for column in model.__table__.columns:
        if column.name in rows[0] or column.default is None or column.primary_key:
            continue
        if not (column.default.is_scalar or column.default.is_callable):
            raise ValueError(f"{model.__tablename__}.{column.name}: an SQL default must be "
                             "given in the rows")
        defaults[column.name] = column.default
    if not defaults:
        return list(rows)
    return [{**row, **{name: default.arg(None) if default.is_callable else default.arg
                       for name, default in defaults.items()}} for row in rows]


def insert_rows(session: Session, model: type[DeclarativeBase],
                rows: Sequence[dict[str, Any]]) -> None:
    """Plain inserts of rows that all have the same keys; the model's Python-side
    defaults are filled in."""
    if not rows:
        return
    rows = _with_defaults(model, rows)
    if _postgres(session):
        _copy(session, model.__tablename__, list(rows[0]), rows)
    else:
        session.connection().execute(insert(model.__table__), list(rows))


def upsert_rows(session: Session, model: type[DeclarativeBase],
                rows: Sequence[dict[str, Any]], keys: Sequence[str],
                update: Sequence[str] | None = None) -> None:
    """Insert `rows`, or update the columns `update` (default: all but `keys`) on conflict;
    no two rows may share their keys."""
    if not rows:
        return
    if not _postgres(session):
        upsert(session, model, rows, keys=keys, update=update)
        return
    columns = list(rows[0])
    changed = update if update is not None else [c for c in columns if c not in keys]
    table = model.__tablename__
    staging = f"staging_{table}"
    connection = session.connection()
    connection.exec_driver_sql(
        f'CREATE TEMPORARY TABLE IF NOT EXISTS "{staging}" '
        f'(LIKE "{table}" INCLUDING DEFAULTS) ON COMMIT DROP')
    connection.exec_driver_sql(f'TRUNCATE "{staging}"')
    _copy(session, staging, columns, rows)
    names = ", ".join(f'"{c}"' for c in columns)
    assignments = ", ".join(f'"{c}" = excluded."{c}"' for c in changed)
    connection.exec_driver_sql(
        f'INSERT INTO "{table}" ({names}) SELECT {names} FROM "{staging}" '
        f'ON CONFLICT ({", ".join(keys)}) DO UPDATE SET {assignments}')
