"""Rounds in the warehouse: the open one (every new submission, issue and decision
takes it), opening the next, and the history. The first round is round.yaml's."""

from __future__ import annotations

import logging
from functools import lru_cache

from sqlalchemy import ColumnElement, ScalarSelect, select, update
from sqlalchemy.orm import Session

from schemas.round import Round
from warehouse.models import Decision, Issue, ReportingRound, Submission, open_round_id, utcnow

ROUND_END_ZH = "上一轮已结束"
NOTICE = logging.getLogger("huizong.notice")


@lru_cache(maxsize=1)
def _open_round_id() -> ScalarSelect[int]:
    # One expression for every query: built once, its compiled form cached by SQLAlchemy.
    return open_round_id()


def in_open_round(column: ColumnElement[int | None]) -> ColumnElement[bool]:
    return column == _open_round_id()


def open_round(session: Session) -> ReportingRound | None:
    return session.scalars(select(ReportingRound).where(ReportingRound.closed_at.is_(None))
                           .order_by(ReportingRound.id.desc()).limit(1)).first()


def every_round(session: Session) -> list[ReportingRound]:
    return list(session.scalars(select(ReportingRound).order_by(ReportingRound.id)))


def as_round(record: ReportingRound, configured: Round) -> Round:
    """The round in force: the warehouse's years and deadline, round.yaml's schedule."""
    return configured.model_copy(update={
        "name": record.name, "first_year": record.first_year, "last_year": record.last_year,
        "report_year": record.report_year, "deadline": record.deadline})


def ensure_open(session: Session, configured: Round, by: str) -> ReportingRound:
    """The open round; the first time, round.yaml's, which then owns everything the
    warehouse held before rounds were recorded."""
    record = open_round(session)
    if record is not None:
        if record.name == configured.name and record.deadline != configured.deadline:
            NOTICE.warning("round.yaml 中本轮的截止日期（%s）与数据仓库中的（%s）不同，以数据仓库"
                           "为准；调整截止日期请用 huizong round deadline 日期。",
                           configured.deadline, record.deadline)
        return record
    record = _add(session, configured, by)
    for model in (Submission, Issue, Decision):
        session.execute(update(model).where(model.round_id.is_(None))
                        .values(round_id=record.id))
    return record


def _add(session: Session, new: Round, by: str) -> ReportingRound:
    record = ReportingRound(name=new.name, first_year=new.first_year, last_year=new.last_year,
                            report_year=new.report_year, deadline=new.deadline, opened_by=by)
    session.add(record)
    session.flush()
    return record


def open_next(session: Session, new: Round, by: str, *, products_folder: str,
              closing_table: str) -> tuple[ReportingRound, ReportingRound]:
    """Close the open round (its open issues closed with it) and open `new`:
    (closed, opened)."""
    current = open_round(session)
    if current is None:
        raise RuntimeError("no open round: Warehouse.init() opens the first one")
    now = utcnow()
    session.execute(update(Issue).where(Issue.round_id == current.id,
                                        Issue.state.in_(("open", "explained")))
                    .values(state="closed", resolved_at=now, explanation=ROUND_END_ZH))
    current.closed_at, current.closed_by = now, by
    current.products_folder, current.closing_table = products_folder, closing_table
    session.flush()
    return current, _add(session, new, by)
