"""Every warehouse test runs against a real SQLite file and the real PostgreSQL."""

import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from config import Settings
from warehouse.engine import get_engine
from warehouse.store import Warehouse

POSTGRES = os.environ.get("HUIZONG_TEST_POSTGRES_URL",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _postgres_schema_url() -> tuple[str, str]:
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    schema = f"hz_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL must run in CI: {error}")
        pytest.skip(f"PostgreSQL not reachable: {error}")
    finally:
        admin.dispose()
    return f"{POSTGRES}?options=-csearch_path%3D{schema}", schema


def _drop_schema(schema: str) -> None:
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def warehouse_url(request, tmp_path):
    if request.param == "sqlite":
        url, schema = f"sqlite:///{tmp_path / 'var' / 'huizong.db'}", None
    else:
        url, schema = _postgres_schema_url()
    yield url
    get_engine(url).dispose()
    get_engine.cache_clear()
    if schema:
        _drop_schema(schema)


@pytest.fixture
def settings(tmp_path, warehouse_url) -> Settings:
    return Settings(root=tmp_path, inbox_dir=Path("inbox"), var_dir=Path("var"),
                    outputs_dir=Path("outputs"), outbox_dir=Path("outbox"),
                    warehouse_url=warehouse_url)


@pytest.fixture
def warehouse(settings) -> Warehouse:
    settings.ensure_dirs()
    store = Warehouse(settings.warehouse_url)
    store.init()
    return store
