"""What the alerts stage needs to know from the warehouse, and what it records there."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from warehouse.models import Alert, File, Issue, Observation, Submission, utcnow


@dataclass(frozen=True, slots=True)
class Change:
    indicator_code: str
    year: int
    place: str  # sheet!cell in the new version
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class LatestVersion:
    submission: Submission
    file: File
    previous: Submission | None


def last_alert(session: Session, department: str, kinds: tuple[str, ...]) -> Alert | None:
    return session.scalars(
        select(Alert).where(Alert.department_code == department, Alert.kind.in_(kinds))
        .order_by(Alert.id.desc()).limit(1)).first()


def latest_version(session: Session, department: str) -> LatestVersion | None:
    rows = session.execute(
        select(Submission, File).join(File, File.id == Submission.file_id)
        .where(Submission.department_code == department)
        .order_by(Submission.version.desc()).limit(2)).all()
    if not rows:
        return None
    return LatestVersion(rows[0][0], rows[0][1], rows[1][0] if len(rows) > 1 else None)


def changes_between(session: Session, old_id: int, new_id: int) -> list[Change]:
    """Cells whose typed value differs between two versions of a department."""
    old, new = aliased(Observation), aliased(Observation)
    rows = session.execute(
        select(new.indicator_code, new.year, new.sheet, new.cell, old.raw_value, new.raw_value)
        .join(old, (old.indicator_code == new.indicator_code) & (old.year == new.year)
              & (old.submission_id == old_id))
        .where(new.submission_id == new_id, old.raw_value != new.raw_value)
        .order_by(new.indicator_code, new.year))
    return [Change(code, year, f"{sheet}!{cell}", before, after)
            for code, year, sheet, cell, before, after in rows]


def resolved_by(session: Session, submission_id: int) -> list[Issue]:
    return list(session.scalars(select(Issue).where(
        Issue.resolved_by_submission_id == submission_id, Issue.severity != "info")))


def record_alert(session: Session, *, department: str | None, recipient: str, kind: str,
                 subject: str, digest: str, message_path: str) -> Alert:
    alert = Alert(department_code=department, recipient=recipient, kind=kind, subject=subject,
                  digest=digest, message_path=message_path, status="pending")
    session.add(alert)
    session.flush()
    return alert


def undelivered(session: Session) -> list[Alert]:
    return list(session.scalars(select(Alert).where(Alert.status.in_(("pending", "failed")))
                                .order_by(Alert.id)))


def mark_delivered(session: Session, alert_id: int, error: str | None) -> None:
    alert = session.get(Alert, alert_id)
    alert.attempts += 1
    if error is None:
        alert.status, alert.sent_at, alert.last_error = "sent", utcnow(), ""
    else:
        alert.status, alert.last_error = "failed", error[:2000]


def activity_since(session: Session, moment: dt.datetime | None
                   ) -> tuple[list[tuple[Submission, File]], list[Issue], list[Issue]]:
    """Versions loaded, issues opened and issues resolved since `moment` (all if None)."""
    since = moment or dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    loaded = session.execute(
        select(Submission, File).join(File, File.id == Submission.file_id)
        .where(Submission.loaded_at > since).order_by(Submission.loaded_at)).all()
    opened = session.scalars(select(Issue).where(
        Issue.first_seen > since, Issue.severity != "info", Issue.state != "resolved")).all()
    resolved = session.scalars(select(Issue).where(
        Issue.resolved_at > since, Issue.severity != "info")).all()
    return [tuple(row) for row in loaded], list(opened), list(resolved)
