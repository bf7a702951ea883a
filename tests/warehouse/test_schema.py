"""The migrations and the models describe the same schema; init is repeatable."""

import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, insert, inspect, select
from sqlalchemy.exc import IntegrityError

from warehouse.migrate import alembic_config, current_revision, head_revision
from warehouse.models import Base, File, Observation, Submission
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


def test_a_warehouse_from_before_rounds_is_upgraded_into_its_first_round(warehouse_url):
    """Data written before migration 0010 belongs, after it, to round.yaml's round; the
    migration goes down and up again."""
    from alembic import command
    from sqlalchemy import text

    from schemas.round import configured_round
    from warehouse.engine import get_engine

    engine = get_engine(warehouse_url)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0009")
        connection.execute(text(
            "INSERT INTO departments (code, name, full_name, email) VALUES "
            "('edu', '市教育局', '青源市教育局', 'a@example.gov.cn')"))
        connection.execute(text(
            "INSERT INTO issues (department_key, department_code, indicator_code, year, rule,"
            " scope, severity, state, message_zh, explanation, raw_value, sheet, cell, cells,"
            " first_seen, last_seen) VALUES ('edu', 'edu', 'edu.x', 2024, 'missing_value', '',"
            " 'error', 'open', '未填', '', '', '', '', '', CURRENT_TIMESTAMP,"
            " CURRENT_TIMESTAMP)"))
    store = Warehouse(warehouse_url)
    store.init()
    assert store.round.name == configured_round().round.name
    with store.engine.begin() as connection:
        [(round_id, name)] = connection.execute(text("SELECT id, name FROM rounds")).all()
        assert connection.execute(text("SELECT round_id FROM issues")).scalar() == round_id
        config.attributes["connection"] = connection
        command.downgrade(config, "0009")
        command.upgrade(config, "head")
    assert name == configured_round().round.name


@pytest.mark.parametrize("parent", ["submission", "indicator"])
def test_an_observation_of_no_submission_or_indicator_is_refused(warehouse, parent):
    """Its parents are checked by a trigger, once per statement on PostgreSQL (a COPY
    too), not by foreign keys row by row."""
    from warehouse.bulk import insert_rows

    now = dt.datetime.now(dt.UTC)
    with warehouse.begin() as session:
        file = File(sha256="0" * 64, original_name="a.xlsx", folder=None, size=1,
                    file_format="xlsx", received_at=now, archived_path="a")
        session.add(file)
        session.flush()
        submission = Submission(department_key="edu", department_code="edu", file_id=file.id,
                                version=1, status="accepted", received_at=now)
        session.add(submission)
        session.flush()
        submission_id = submission.id
    code = warehouse.catalogue.indicators[0].code
    good = {"submission_id": submission_id, "indicator_code": code, "year": 2024, "value": 1.0,
            "raw_value": "1", "parse_status": "ok", "note": "", "sheet": "填报表", "cell": "E5",
            "accepted": True, "flagged": False}
    bad = {**good, "year": 2025} | (
        {"submission_id": submission_id + 1000} if parent == "submission"
        else {"indicator_code": "no.such.indicator"})
    for statement in (lambda s, rows: s.execute(insert(Observation), rows),
                      lambda s, rows: insert_rows(s, Observation, rows)):
        with pytest.raises(IntegrityError, match="does not exist"), warehouse.begin() as session:
            statement(session, [good, bad])
    with warehouse.begin() as session:
        insert_rows(session, Observation, [good])
        assert session.scalar(select(func.count()).select_from(Observation)) == 1
