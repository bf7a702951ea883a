"""Property-based: a department's files of one run loaded together (`Shared`: one COPY
of all their observations, their values applied in memory and written once, their
observation ids read only for the values still in use) leave the warehouse exactly as
loading them one at a time does (the path a run falls back to after a failure), on
SQLite and PostgreSQL."""

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from schemas.validate import validate
from transforms import ParseStatus, ReadResult, read_file
from warehouse.decisions import Decided
from warehouse.load import (
    IncomingFile,
    Shared,
    department_key,
    load_submission,
    prior_values,
    retire_unused,
)
from warehouse.models import AcceptedValue, Issue, Observation, Submission

CELLS = 8  # of 市残联's template, enough for every mix below
# What a file holds in a cell: the template's figure, another figure, a text that fails,
# a blank cell, or nothing (the row left out of the file).
KINDS = ("same", "changed", "text", "blank", "absent")
a_file = st.lists(st.sampled_from(KINDS), min_size=CELLS, max_size=CELLS)


@pytest.fixture(scope="module")
def template(corpus) -> ReadResult:
    result = read_file(corpus.filled_template("disabled").path)
    return dataclasses.replace(result, observations=result.observations[:CELLS])


def _file(template: ReadResult, number: int, kinds: list[str]) -> ReadResult:
    sha = f"{number:064x}"
    observations = []
    for observation, kind in zip(template.observations, kinds, strict=True):
        if kind == "absent":
            continue
        observation = dataclasses.replace(observation, file_sha256=sha)
        if kind == "changed":
            value = (observation.value or 0) + number + 1
            observation = dataclasses.replace(observation, value=value, raw_value=str(value))
        elif kind == "text":
            observation = dataclasses.replace(observation, value=None, raw_value="见附件",
                                              parse_status=ParseStatus.UNPARSED)
        elif kind == "blank":
            observation = dataclasses.replace(observation, value=None, raw_value="",
                                              parse_status=ParseStatus.BLANK)
        observations.append(observation)
    return dataclasses.replace(template, file_name=f"{number}.xlsx", file_sha256=sha,
                               observations=observations)


def _load(session: Session, batch: list[ReadResult], together: bool) -> None:
    """One run's files of the department: validated together, as a run validates them."""
    if not batch:
        return
    assessments, issues = validate(batch, prior_values(session, [batch[0].department])).by_file()
    start = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    files = [(IncomingFile(r.file_sha256, r.file_name, None, 1,
                           start + dt.timedelta(minutes=int(r.file_sha256, 16)), Path("archive")),
              r) for r in batch]
    key = department_key(batch[0])
    decided = Decided.of(session, batch[0].department)
    shared = Shared.of(session, key, files, assessments, None, decided) if together else None
    newest = None
    for incoming, result in files:
        outcome = load_submission(session, incoming, result, assessments[result.file_sha256],
                                  issues.get(result.file_sha256, []), None, retire=False,
                                  decided=decided, shared=shared)
        newest = outcome.submission_id or newest
    if shared is not None:
        shared.finish(session)
    retire_unused(session, key, newest)
    session.flush()


def _state(session: Session) -> dict[str, list]:
    """What the warehouse says, by content (ids differ between the two paths)."""
    taken, refused = aliased(Observation), aliased(Observation)
    taken_from, refused_from = aliased(Submission), aliased(Submission)
    values = session.execute(
        select(AcceptedValue.indicator_code, AcceptedValue.year, AcceptedValue.value,
               AcceptedValue.not_applicable, AcceptedValue.flagged, AcceptedValue.explanation,
               taken_from.version, taken.raw_value, taken.cell, refused_from.version,
               refused.raw_value)
        .outerjoin(taken, taken.id == AcceptedValue.observation_id)
        .outerjoin(taken_from, taken_from.id == taken.submission_id)
        .outerjoin(refused, refused.id == AcceptedValue.rejected_observation_id)
        .outerjoin(refused_from, refused_from.id == refused.submission_id)
        .order_by(AcceptedValue.indicator_code, AcceptedValue.year)).all()
    versions = session.execute(
        select(Submission.version, Submission.status, Submission.values_total,
               Submission.values_accepted, Submission.errors, Submission.warnings)
        .order_by(Submission.version)).all()
    first, last = aliased(Submission), aliased(Submission)
    problems = session.execute(
        select(Issue.indicator_code, Issue.year, Issue.rule, Issue.scope, Issue.state,
               Issue.severity, Issue.cell, first.version, last.version)
        .join(first, first.id == Issue.first_submission_id)
        .join(last, last.id == Issue.last_submission_id)
        .order_by(Issue.indicator_code, Issue.year, Issue.rule, Issue.scope)).all()
    observations = session.execute(
        select(Submission.version, Observation.indicator_code, Observation.year,
               Observation.raw_value, Observation.parse_status, Observation.accepted)
        .join(Submission, Submission.id == Observation.submission_id)
        .order_by(Submission.version, Observation.indicator_code, Observation.year)).all()
    return {"values": [tuple(r) for r in values], "versions": [tuple(r) for r in versions],
            "issues": [tuple(r) for r in problems],
            "observations": [tuple(r) for r in observations]}


def _sources_by_rule(observations: list[tuple]) -> dict[tuple[str, int], tuple]:
    """What each cell's value should rest on, from the observations alone: the newest
    accepted one, and a refused one sent after it (still to be fixed)."""
    sources: dict[tuple[str, int], list] = {}
    for version, code, year, _, status, accepted in observations:  # in version order
        if accepted:
            sources[(code, year)] = [version, None]
        elif status != ParseStatus.BLANK.value:
            sources.setdefault((code, year), [None, None])[1] = version
    return {cell: tuple(source) for cell, source in sources.items()}


def _state_after(warehouse, earlier: list[ReadResult], batch: list[ReadResult],
                 together: bool) -> dict[str, list]:
    with Session(warehouse.engine) as session, session.begin():
        _load(session, earlier, together=False)
        _load(session, batch, together)
        state = _state(session)
        session.rollback()  # every example starts from the same empty warehouse
    return state


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(earlier=st.lists(a_file, max_size=2), files=st.lists(a_file, min_size=1, max_size=4))
def test_files_loaded_together_leave_what_one_at_a_time_leaves(warehouse, template, earlier,
                                                              files):
    """`earlier`: the department's files of a run before, whose values and problems the
    run's files replace, keep or resolve."""
    first = [_file(template, number, kinds) for number, kinds in enumerate(earlier)]
    batch = [_file(template, len(earlier) + number, kinds) for number, kinds in enumerate(files)]
    alone = _state_after(warehouse, first, batch, together=False)
    assert len(alone["versions"]) == len(earlier) + len(files)
    assert {(code, year): (taken, refused)
            for code, year, *_, taken, _, _, refused, _ in alone["values"]} == \
        _sources_by_rule(alone["observations"])
    assert _state_after(warehouse, first, batch, together=True) == alone


@pytest.mark.postgres
@pytest.mark.parametrize("warehouse_url", ["postgresql"], indirect=True)  # COPY is PostgreSQL's
def test_a_connection_lost_during_a_copy_is_the_warehouse_down(warehouse_url):
    """COPY goes past SQLAlchemy to psycopg: its errors are still SQLAlchemy's, so that
    a lost connection stops the run instead of blaming the department's files."""
    from sqlalchemy import create_engine, text

    from tests.warehouse.conftest import POSTGRES
    from warehouse.bulk import insert_rows
    from warehouse.engine import is_warehouse_down
    from warehouse.models import Department
    from warehouse.store import Warehouse

    store = Warehouse(warehouse_url)
    store.init()
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with Session(store.engine) as session:
        pid = session.scalar(text("SELECT pg_backend_pid()"))
        with admin.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with pytest.raises(Exception) as raised:
            insert_rows(session, Department, [{"code": "x", "name": "x", "full_name": "x",
                                               "email": "x@example.gov.cn"}])
    admin.dispose()
    assert is_warehouse_down(raised.value), repr(raised.value)
