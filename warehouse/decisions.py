"""The office's decisions about a department's data. Each is a row that is never changed
or deleted, with who, when, the value before and after and the reason; the pipeline
applies them the same way on every run (`impose` after each load, `held` before it).

- 确认采用 (accept): a warned value is confirmed. Its warning is settled as
  「联席办确认：<理由>」 and is not raised again while the department sends the same
  value; a value held back (it disagreed with an office entry) is taken.
- 不采用 (reject): the value becomes a gap with the reason and an error for the
  department, until a new version of that cell or a later decision.
- 录入数值 (set): a value the office confirmed (phone, letter) fills the cell, cited as
  「联席办录入（<理由>，<人>，<时间>）」; a later file that disagrees is held for the office.
- 选用文件 (choose): one file of the department is taken (of two conflicting, or one
  held after approval); the pipeline re-applies it.
- 审核通过 (approve) freezes the department's values: a later file is kept but held;
  退回修改 (return) unfreezes and asks the department to correct.
- 定稿 (lock) / 解除定稿 (unlock): the round's signed products (pipeline.signoff).
- 上轮已采用 (carry): opening a round, each value accepted for a year still in the window
  is carried into it; a file that sends a different value for it is a 修订 (revision)
  for the office, and the carried value stays until the office accepts the revision or
  declines it (不采用修订, keep).

Every decision belongs to the round it was taken in; only the open round's are applied.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from config.clock import local_text
from schemas.issue import ENTRY_DIFFERS_RULE, HELD_BACK_RULES, REVISION_RULE
from warehouse.models import (
    AcceptedValue,
    Decision,
    File,
    Indicator,
    Issue,
    Observation,
    Submission,
    utcnow,
)
from warehouse.rounds import in_open_round
from warehouse.scope import Scope, visible

CONFIRMED_PREFIX = "联席办确认："
REJECTED_PREFIX = "联席办不采用："
ENTERED_PREFIX = "联席办录入"
SYSTEM_USER = "命令行"  # who decided, when no one was named with --by
# The office's own problems on a cell: a value it refused, a file disagreeing with its entry.
REJECTED_RULE = "office_rejected"
CARRIED_ACTIONS = ("carry", "keep")
VALUE_ACTIONS = ("accept", "reject", "set", *CARRIED_ACTIONS)
REVIEW_ACTIONS = ("approve", "return")
ROUND_ACTIONS = ("lock", "unlock")


class DecisionRefused(ValueError):
    """A decision that cannot be taken as asked (message in Chinese, for the operator)."""


def taken() -> ColumnElement[bool]:
    """An accepted value in use: from a file, or entered by the office."""
    return AcceptedValue.observation_id.is_not(None) | (
        AcceptedValue.decision_id.is_not(None) & AcceptedValue.value.is_not(None))


def confirmation(reason: str) -> str:
    return f"{CONFIRMED_PREFIX}{reason}"


def entry_citation(decision: Decision) -> str:
    return f"{ENTERED_PREFIX}（{decision.reason}，{decision.by_name}，{local_text(decision.at)}）"


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise DecisionRefused("每个决定都要写明理由（--reason）。")
    return reason


def _record(session: Session, action: str, by: str, reason: str, **fields: object) -> Decision:
    decision = Decision(action=action, by_name=(by or SYSTEM_USER)[:80], reason=_reason(reason),
                        **fields)
    session.add(decision)
    session.flush()
    return decision


def _indicator_name(session: Session, code: str) -> str:
    indicator = session.get(Indicator, code)
    return indicator.name if indicator is not None else code


def _cell(session: Session, department: str, indicator: str, year: int) -> AcceptedValue | None:
    return session.scalars(select(AcceptedValue).where(
        AcceptedValue.indicator_code == indicator, AcceptedValue.year == year,
        AcceptedValue.department_code == department).with_for_update()).first()


def _cell_issues(session: Session, department: str, indicator: str, year: int,
                 states: tuple[str, ...] = ("open",)) -> list[Issue]:
    return list(session.scalars(select(Issue).where(
        Issue.department_key == department, Issue.indicator_code == indicator,
        Issue.year == year, Issue.state.in_(states), in_open_round(Issue.round_id))
        .with_for_update()))


def _settle(issues: list[Issue], explanation: str) -> None:
    now = utcnow()
    for issue in issues:
        issue.state, issue.explanation, issue.resolved_at = "resolved", explanation, now


# ── 确认采用 ─────────────────────────────────────────────────────────────────
def accept(session: Session, department: str, indicator: str, year: int, reason: str,
           by: str = SYSTEM_USER) -> Decision:
    """Confirm the warned value of (department, indicator, year)."""
    reason = _reason(reason)
    warned = [i for i in _cell_issues(session, department, indicator, year)
              if i.severity == "warning" and i.rule != "missing_value"]
    if not warned:
        raise DecisionRefused("这个数值没有待核的提醒，无需确认"
                              "（可能已被他人确认，或单位已改正）。")
    row = _cell(session, department, indicator, year)
    before = _shown(session, row)
    decision = _record(session, "accept", by, reason, department_code=department,
                       indicator_code=indicator, year=year, raw_value=warned[0].raw_value,
                       issue_id=warned[0].id, before=before, after=warned[0].raw_value)
    for issue in warned:
        issue.state, issue.explanation = "explained", confirmation(reason)
    held_back = next((i for i in warned if i.rule in HELD_BACK_RULES), None)
    if held_back is not None and row is not None:
        # The file's value the office's entry held back is taken now.
        observation = session.scalars(select(Observation).where(
            Observation.submission_id == held_back.last_submission_id,
            Observation.indicator_code == indicator, Observation.year == year)).first()
        if observation is not None:
            row.value, row.observation_id, row.decision_id = (observation.value, observation.id,
                                                              None)
            row.not_applicable = observation.parse_status == "not_applicable"
            row.rejected_observation_id, row.flagged = None, False
            decision.observation_id = observation.id
        if held_back.rule == REVISION_RULE:
            decision.detail = json.dumps({"revision": True})
    session.execute(update(AcceptedValue).where(
        AcceptedValue.indicator_code == indicator, AcceptedValue.year == year,
        AcceptedValue.observation_id.is_not(None)).values(explanation=confirmation(reason)))
    session.flush()
    return decision


def is_revision(decision: Decision) -> bool:
    """An accept that took a past year's revised value."""
    return decision.action == "accept" and bool(json.loads(decision.detail or "{}")
                                                .get("revision"))


@dataclass(frozen=True, slots=True)
class Decided:
    """A department's decisions in force in the open round, read in one query for all of
    its files of a run (loading a file never takes a decision)."""

    # The newest approve or return.
    review: Decision | None = None
    # (indicator, year) -> the newest accept / reject / set / carry / keep on it.
    values: dict[tuple[str, int], Decision] = field(default_factory=dict)
    # (indicator, year) -> (the value confirmed, as typed; its reason): the newest accept
    # of each value, which a later file sending the same value keeps.
    confirmed: dict[tuple[str, int], tuple[str, str]] = field(default_factory=dict)
    # Files the office chose after the newest approval.
    chosen: frozenset[int] = frozenset()

    @classmethod
    def of(cls, session: Session, department: str | None) -> Decided:
        if department is None:
            return cls()
        rows = list(session.scalars(select(Decision).where(
            Decision.department_code == department, in_open_round(Decision.round_id))
            .order_by(Decision.id)))
        reviews = [d for d in rows if d.action in REVIEW_ACTIONS]
        review = reviews[-1] if reviews else None
        return cls(review,
                   {(d.indicator_code, d.year): d for d in rows if d.action in VALUE_ACTIONS},
                   {(d.indicator_code, d.year): (d.raw_value, d.reason) for d in rows
                    if d.action == "accept"},
                   frozenset(d.file_id for d in rows if d.action == "choose" and d.file_id
                             and review is not None and d.id > review.id))

    def holds(self, file_id: int) -> bool:
        """A file of an approved department waits for the office, unless it chose it."""
        return (self.review is not None and self.review.action == "approve"
                and file_id not in self.chosen)


def _shown(session: Session, row: AcceptedValue | None) -> str:
    """The cell's current value as the department typed it (or the office entered it)."""
    if row is None:
        return ""
    if row.observation_id is not None:
        observation = session.get(Observation, row.observation_id)
        return observation.raw_value if observation is not None else ""
    if row.decision_id is not None and row.value is not None:
        return session.get(Decision, row.decision_id).after
    return ""


# ── 不采用 ───────────────────────────────────────────────────────────────────
def reject(session: Session, department: str, indicator: str, year: int, reason: str,
           by: str = SYSTEM_USER) -> Decision:
    """Take the cell's value out: a gap with the reason, an error for the department.
    Of a revision waiting for the office, it is the revision that is declined (keep)."""
    if revision_pending(session, department, indicator, year):
        return keep(session, department, indicator, year, reason, by)
    row = _cell(session, department, indicator, year)
    if row is None or (row.observation_id is None and row.decision_id is None) or (
            row.value is None and not row.not_applicable):
        raise DecisionRefused("这个数值目前没有被采用，无需“不采用”"
                              "（可能已被他人处理，或单位尚未报送）。")
    observation = session.get(Observation, row.observation_id) if row.observation_id else None
    decision = _record(session, "reject", by, reason, department_code=department,
                       indicator_code=indicator, year=year,
                       raw_value=observation.raw_value if observation else "",
                       before=_shown(session, row), after="",
                       observation_id=observation.id if observation else None)
    _settle(_cell_issues(session, department, indicator, year), f"{REJECTED_PREFIX}{reason}")
    _gap(session, row, decision, observation)
    session.flush()
    return decision


def _gap(session: Session, row: AcceptedValue, decision: Decision,
         observation: Observation | None) -> Issue | None:
    """The refused value is no value; the department is asked for the right one."""
    row.value, row.not_applicable, row.flagged = None, False, False
    row.observation_id, row.decision_id = None, decision.id
    row.rejected_observation_id = observation.id if observation else None
    row.explanation, row.updated_at = f"{REJECTED_PREFIX}{decision.reason}", utcnow()
    if observation is None:
        return None
    submission = session.get(Submission, observation.submission_id)
    name = _indicator_name(session, decision.indicator_code)
    message = (f"「{name}」{decision.year}年填报“{observation.raw_value}”，联席办不采用："
               f"{decision.reason}。请核实后重新报送该项。")
    return _raise(session, decision, REJECTED_RULE, "error", message, observation, submission)


def _raise(session: Session, decision: Decision, rule: str, severity: str, message: str,
           observation: Observation, submission: Submission) -> Issue | None:
    """Open (or reopen) the office's own issue on a cell; the new one, if it is new."""
    department = decision.department_code or ""
    existing = session.scalars(select(Issue).where(
        Issue.department_key == department, Issue.indicator_code == decision.indicator_code,
        Issue.year == decision.year, Issue.rule == rule, Issue.scope == "",
        in_open_round(Issue.round_id))).first()
    now = utcnow()
    fields = {"severity": severity, "state": "open", "message_zh": message, "explanation": "",
              "raw_value": observation.raw_value, "sheet": observation.sheet,
              "cell": observation.cell, "cells": f"{observation.sheet}!{observation.cell}",
              "file_id": submission.file_id, "last_submission_id": submission.id,
              "last_seen": now, "resolved_at": None, "resolved_by_submission_id": None}
    if existing is not None:
        was_open = existing.state == "open" and existing.message_zh == message
        for name, value in fields.items():
            setattr(existing, name, value)
        return None if was_open else existing
    issue = Issue(department_key=department, department_code=department,
                  indicator_code=decision.indicator_code, year=decision.year, rule=rule,
                  scope="", first_submission_id=submission.id, first_seen=now, **fields)
    session.add(issue)
    session.flush()
    return issue


# ── 录入数值 ─────────────────────────────────────────────────────────────────
def enter(session: Session, department: str, indicator: str, year: int, value: float,
          typed: str, reason: str, by: str = SYSTEM_USER) -> Decision:
    """Fill or replace the cell with a value the office confirmed (base unit `value`,
    `typed` as the office wrote it in the reporting unit)."""
    row = _cell(session, department, indicator, year)
    decision = _record(session, "set", by, reason, department_code=department,
                       indicator_code=indicator, year=year, before=_shown(session, row),
                       after=typed, value=value,
                       observation_id=row.observation_id if row is not None else None)
    _settle(_cell_issues(session, department, indicator, year),
            entry_citation(decision))
    if row is None:
        row = AcceptedValue(indicator_code=indicator, year=year, department_code=department)
        session.add(row)
    _entered(row, decision)
    session.flush()
    return decision


def _entered(row: AcceptedValue, decision: Decision) -> None:
    row.value, row.not_applicable, row.flagged = decision.value, False, False
    row.observation_id, row.rejected_observation_id = None, None
    row.decision_id, row.explanation = decision.id, entry_citation(decision)
    row.updated_at = utcnow()


def _differs(session: Session, decision: Decision, observation: Observation) -> Issue | None:
    submission = session.get(Submission, observation.submission_id)
    name = _indicator_name(session, decision.indicator_code)
    message = (f"「{name}」{decision.year}年填报“{observation.raw_value}”，与联席办录入的数值"
               f"“{decision.after}”（{decision.reason}）不同，暂不采用，待联席办确认。")
    return _raise(session, decision, ENTRY_DIFFERS_RULE, "warning", message, observation,
                  submission)


# ── applied on every run ─────────────────────────────────────────────────────
def in_force(session: Session, department: str) -> dict[tuple[str, int], Decision]:
    """(indicator, year) -> the newest accept / reject / set / carry / keep on it."""
    return Decided.of(session, department).values


def impose(session: Session, department: str | None,
           decided: Decided | None = None) -> list[Issue]:
    """After a file was loaded: a refused value that came back stays refused, an
    entered value stays while a file disagreeing with it is held for the office, a
    carried value stays while a revision of it waits. Returns the issues this opened."""
    if department is None:
        return []
    opened = []
    values = (decided or Decided.of(session, department)).values
    for (indicator, year), decision in values.items():
        row = session.get(AcceptedValue, (indicator, year))
        if row is None or row.decision_id == decision.id:
            continue
        observation = session.get(Observation, row.observation_id) \
            if row.observation_id is not None else None
        if decision.action == "reject" and observation is not None \
                and observation.id == decision.observation_id:
            opened.append(_gap(session, row, decision, observation))
        elif decision.action == "set":
            if observation is not None and observation.value != decision.value:
                opened.append(_differs(session, decision, observation))
            _entered(row, decision)
        elif decision.action in CARRIED_ACTIONS and observation is not None \
                and not _same(observation, decision):
            opened.append(_revised(session, decision, observation))
            _carried(row, decision)
    return [issue for issue in opened if issue is not None]


# ── 上轮已采用 / 修订 ────────────────────────────────────────────────────────
def carry_over(session: Session, years: tuple[int, ...], reason: str, by: str) -> int:
    """In a round just opened: every value taken for one of its years becomes the
    round's carried value (上轮已采用); the rest of the old round's cells leave the
    live table (they stay in its observations and in its closing table)."""
    rows = list(session.scalars(select(AcceptedValue)))
    carried = 0
    for row in rows:
        if row.year not in years or not _is_taken(row):
            session.delete(row)
            continue
        decision = _record(session, "carry", by, reason, department_code=row.department_code,
                           indicator_code=row.indicator_code, year=row.year,
                           before=_shown(session, row), after=_shown(session, row),
                           value=row.value, observation_id=row.observation_id,
                           detail=json.dumps({"not_applicable": row.not_applicable,
                                              "explanation": row.explanation},
                                             ensure_ascii=False))
        _carried(row, decision)
        carried += 1
    session.flush()
    return carried


def _is_taken(row: AcceptedValue) -> bool:
    return row.observation_id is not None or (row.decision_id is not None
                                              and (row.value is not None or row.not_applicable))


def _same(observation: Observation, decision: Decision) -> bool:
    kept = json.loads(decision.detail or "{}")
    if observation.parse_status == "not_applicable" or kept.get("not_applicable"):
        return observation.parse_status == "not_applicable" and bool(kept.get("not_applicable"))
    # A carried value written into a template in the reporting unit (0.35 万人次) reads
    # back as 3500.0000000000005: the same value.
    return observation.value is not None and decision.value is not None and math.isclose(
        observation.value, decision.value, rel_tol=1e-9, abs_tol=1e-9)


def _carried(row: AcceptedValue, decision: Decision) -> None:
    kept = json.loads(decision.detail or "{}")
    row.value, row.not_applicable, row.flagged = decision.value, bool(
        kept.get("not_applicable")), False
    row.observation_id, row.rejected_observation_id = decision.observation_id, None
    row.decision_id, row.explanation = decision.id, str(kept.get("explanation", ""))
    row.updated_at = utcnow()


def _revised(session: Session, decision: Decision, observation: Observation) -> Issue | None:
    submission = session.get(Submission, observation.submission_id)
    name = _indicator_name(session, decision.indicator_code)
    note = f"（单位备注：{observation.note}）" if observation.note else ""
    kept = decision.after or "不适用"
    if decision.action == "keep" and observation.raw_value == decision.raw_value:
        message = (f"「{name}」{decision.year}年填报“{observation.raw_value}”，联席办此前已不采用"
                   f"这一修订（{decision.reason}），仍采用上轮已采用值“{kept}”{note}；"
                   "如需采用请联席办确认。")
    else:
        message = (f"「{name}」{decision.year}年填报“{observation.raw_value}”，与上轮已采用值"
                   f"“{kept}”不同，待联席办确认{note}；确认前仍采用上轮的数值。")
    return _raise(session, decision, REVISION_RULE, "warning", message, observation,
                  submission)


def keep(session: Session, department: str, indicator: str, year: int, reason: str,
         by: str = SYSTEM_USER) -> Decision:
    """Decline a revision: the value carried from the round before stays."""
    revisions = [i for i in _cell_issues(session, department, indicator, year)
                 if i.rule == REVISION_RULE]
    carried = in_force(session, department).get((indicator, year))
    if not revisions or carried is None or carried.action not in CARRIED_ACTIONS:
        raise DecisionRefused("这个数值没有待确认的修订（可能已被他人处理）。")
    decision = _record(session, "keep", by, reason, department_code=department,
                       indicator_code=indicator, year=year, raw_value=revisions[0].raw_value,
                       issue_id=revisions[0].id, before=revisions[0].raw_value,
                       after=carried.after, value=carried.value,
                       observation_id=carried.observation_id, detail=carried.detail)
    _settle(revisions, f"联席办不采用修订：{decision.reason}")
    row = _cell(session, department, indicator, year)
    if row is not None:
        _carried(row, decision)
    session.flush()
    return decision


def revision_pending(session: Session, department: str, indicator: str, year: int) -> bool:
    return any(i.rule == REVISION_RULE
               for i in _cell_issues(session, department, indicator, year))


# ── 审核通过 / 退回修改 ──────────────────────────────────────────────────────
def review_state(session: Session, department: str) -> Decision | None:
    """The newest approve or return of the department."""
    return session.scalars(select(Decision).where(
        Decision.department_code == department, Decision.action.in_(REVIEW_ACTIONS),
        in_open_round(Decision.round_id))
        .order_by(Decision.id.desc()).limit(1)).first()


def review_states(session: Session) -> dict[str, Decision]:
    rows = session.scalars(select(Decision).where(Decision.action.in_(REVIEW_ACTIONS),
                                                  in_open_round(Decision.round_id))
                           .order_by(Decision.id))
    return {d.department_code: d for d in rows if d.department_code}


def approve(session: Session, department: str, reason: str, by: str = SYSTEM_USER) -> Decision:
    state = review_state(session, department)
    if state is not None and state.action == "approve":
        raise DecisionRefused(f"该单位已于 {local_text(state.at)} 审核通过（{state.by_name}）。")
    if session.scalar(select(Submission.id).where(
            Submission.department_code == department,
            in_open_round(Submission.round_id)).limit(1)) is None:
        raise DecisionRefused("该单位还没有报送，不能审核通过。")
    return _record(session, "approve", by, reason, department_code=department)


def return_(session: Session, department: str, reason: str, by: str = SYSTEM_USER) -> Decision:
    return _record(session, "return", by, reason, department_code=department)


def choose(session: Session, department: str, file: File, reason: str,
           by: str = SYSTEM_USER) -> Decision:
    return _record(session, "choose", by, reason, department_code=department, file_id=file.id,
                   raw_value=file.original_name, after=file.original_name)


def choose_mail(session: Session, department: str, name: str, mail_id: int, reason: str,
                by: str = SYSTEM_USER) -> Decision:
    """Take a held message's attachment as the department's (its sender unverified)."""
    return _record(session, "choose", by, reason, department_code=department, raw_value=name,
                   after=name, detail=json.dumps({"mail_id": mail_id}))


# ── 定稿 / 解除定稿 ──────────────────────────────────────────────────────────
def lock_state(session: Session) -> Decision | None:
    """The lock in force, if the round is signed."""
    newest = session.scalars(select(Decision).where(Decision.action.in_(ROUND_ACTIONS),
                                                    in_open_round(Decision.round_id))
                             .order_by(Decision.id.desc()).limit(1)).first()
    return newest if newest is not None and newest.action == "lock" else None


def ensure_open(session: Session) -> None:
    current = lock_state(session)
    if current is not None:
        raise DecisionRefused(f"本轮已于 {local_text(current.at)} 定稿（{current.by_name}），"
                              "如需修改请先解除定稿。")


def lock(session: Session, reason: str, by: str, signed: dict[str, object]) -> Decision:
    """`signed`: what the signed products showed, kept with the decision."""
    ensure_open(session)
    return _record(session, "lock", by, reason, detail=json.dumps(signed, ensure_ascii=False))


def unlock(session: Session, reason: str, by: str = SYSTEM_USER) -> Decision:
    if lock_state(session) is None:
        raise DecisionRefused("本轮尚未定稿，无需解除。")
    return _record(session, "unlock", by, reason)


def history(session: Session, scope: Scope, department: str | None = None) -> list[Decision]:
    """Every decision of the open round the scope may see, newest first (the values
    carried from the round before are not listed): a department sees its own, the
    office also the round's."""
    query = (select(Decision).where(visible(scope, Decision.department_code),
                                    in_open_round(Decision.round_id),
                                    Decision.action != "carry")
             .order_by(Decision.id.desc()))
    if department is not None:
        query = query.where(Decision.department_code == department)
    return list(session.scalars(query))
