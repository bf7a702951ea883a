"""The office's decisions about a department's data. Each is a row that is never changed
or deleted, with who, when, the value it is about and the reason; the pipeline applies
them the same way on every run.

确认采用 (accept): a warned value is confirmed by the office. Its warning is settled as
「联席办确认：<理由>」 and is not raised again while the department sends the same value;
the report drops its 【待核】 mark and 附件二 cites the confirmation.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from warehouse.models import AcceptedValue, Decision, Issue
from warehouse.scope import Scope, visible

CONFIRMED_PREFIX = "联席办确认："
SYSTEM_USER = "（命令行）"


class DecisionRefused(ValueError):
    """A decision that cannot be taken as asked (message in Chinese, for the operator)."""


def confirmation(reason: str) -> str:
    return f"{CONFIRMED_PREFIX}{reason}"


def accept(session: Session, department: str, indicator: str, year: int, reason: str,
           by: str = SYSTEM_USER) -> Decision:
    """Confirm the warned value of (department, indicator, year)."""
    reason = reason.strip()
    if not reason:
        raise DecisionRefused("每个决定都要写明理由（--reason）。")
    warned = list(session.scalars(select(Issue).where(
        Issue.department_code == department, Issue.indicator_code == indicator,
        Issue.year == year, Issue.severity == "warning", Issue.state == "open",
        Issue.rule != "missing_value").with_for_update()))
    if not warned:
        raise DecisionRefused("这个数值没有待核的提醒，无需确认"
                              "（可能已被他人确认，或单位已改正）。")
    decision = Decision(by_name=by[:80], action="accept", department_code=department,
                        indicator_code=indicator, year=year, raw_value=warned[0].raw_value,
                        reason=reason, issue_id=warned[0].id)
    session.add(decision)
    for issue in warned:
        issue.state, issue.explanation = "explained", confirmation(reason)
    session.execute(update(AcceptedValue).where(
        AcceptedValue.indicator_code == indicator, AcceptedValue.year == year,
        AcceptedValue.observation_id.is_not(None)).values(explanation=confirmation(reason)))
    session.flush()
    return decision


def confirmed_values(session: Session, department: str | None
                     ) -> dict[tuple[str, int], tuple[str, str]]:
    """(indicator, year) -> (the value confirmed, as typed; its reason): the newest
    accept of each value, which a later file sending the same value keeps."""
    if department is None:
        return {}
    rows = session.execute(
        select(Decision.indicator_code, Decision.year, Decision.raw_value, Decision.reason)
        .where(Decision.department_code == department, Decision.action == "accept")
        .order_by(Decision.id))
    return {(code, year): (raw, reason) for code, year, raw, reason in rows}


def history(session: Session, scope: Scope, department: str | None = None) -> list[Decision]:
    query = (select(Decision).where(visible(scope, Decision.department_code))
             .order_by(Decision.id.desc()))
    if department is not None:
        query = query.where(Decision.department_code == department)
    return list(session.scalars(query))
