"""The migrations and the models describe the same schema; init is repeatable."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from warehouse.migrate import alembic_config, current_revision, head_revision
from warehouse.models import Base
from warehouse.store import Warehouse


def test_migrations_match_the_models(warehouse):
    with warehouse.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        assert compare_metadata(context, Base.metadata) == []


def test_init_twice_is_harmless_and_syncs_the_catalogue(warehouse, catalogue):
    warehouse.init()
    tables = set(inspect(warehouse.engine).get_table_names())
    assert {"files", "submissions", "observations", "accepted_values", "issues", "alerts",
            "runs", "departments", "indicators", "locks", "alembic_version"} <= tables
    with warehouse.engine.connect() as connection:
        count = connection.exec_driver_sql("select count(*) from indicators").scalar()
    assert count == len(catalogue.indicators)


def test_sqlite_pragmas(tmp_path):
    warehouse = Warehouse(f"sqlite:///{tmp_path / 'huizong.db'}")
    warehouse.init()
    with warehouse.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 60000


def test_the_quick_head_check_agrees_with_alembic(warehouse):
    assert head_revision() == ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert current_revision(warehouse.engine) == head_revision()
