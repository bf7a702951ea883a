"""What the alerts stage needs to know from the warehouse, and what it records there."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from schemas.observation import UNREADABLE_RULES
from warehouse.models import (
    Alert,
    File,
    Issue,
    Observation,
    ReportingRound,
    Run,
    Submission,
    utcnow,
)
from warehouse.rounds import in_open_round


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
    """The department's newest mail of these kinds in the open round: what it was told
    in the round before says nothing of this one."""
    ended = select(func.max(ReportingRound.closed_at)).scalar_subquery()
    return session.scalars(
        select(Alert).where(Alert.department_code == department, Alert.kind.in_(kinds),
                            Alert.created_at >= func.coalesce(ended, Alert.created_at))
        .order_by(Alert.id.desc()).limit(1)).first()


def latest_version(session: Session, department: str) -> LatestVersion | None:
    rows = session.execute(
        select(Submission, File).join(File, File.id == Submission.file_id)
        .where(Submission.department_code == department, in_open_round(Submission.round_id))
        .order_by(Submission.version.desc()).limit(2)).all()
    if not rows:
        return None
    return LatestVersion(rows[0][0], rows[0][1], rows[1][0] if len(rows) > 1 else None)


def files_by_id(session: Session, ids: list[int | None]) -> dict[int, File]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {f.id: f for f in session.scalars(select(File).where(File.id.in_(wanted)))}


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


def resolved_since(session: Session, department: str, since: dt.datetime | None) -> list[Issue]:
    """The department's issues resolved after `since` (its last mail), by any version:
    two corrections between mails resolve what both fixed."""
    query = select(Issue).where(Issue.department_code == department, Issue.state == "resolved",
                                Issue.severity != "info")
    if since is not None:
        query = query.where(Issue.resolved_at > since)
    return list(session.scalars(query.order_by(Issue.id)))


def untold_refusals(session: Session, department: str, since: dt.datetime | None
                    ) -> list[tuple[Issue, str]]:
    """Files of the department that could not be used, settled because its data came
    complete from other files (not by a corrected file of the same name) before any
    mail told it: (issue, file name), for the next mail to name them."""
    replaced_by = aliased(File)
    query = (select(Issue, File.original_name).join(File, File.id == Issue.file_id)
             .join(Submission, Submission.id == Issue.resolved_by_submission_id)
             .join(replaced_by, replaced_by.id == Submission.file_id)
             .where(Issue.department_code == department, Issue.state == "resolved",
                    Issue.rule.in_(UNREADABLE_RULES),
                    # settled by itself on arrival, or by another file's data
                    (Submission.file_id == Issue.file_id)
                    | (replaced_by.original_name != File.original_name)))
    if since is not None:
        query = query.where(Issue.first_seen > since)
    return [(issue, name) for issue, name in session.execute(query.order_by(Issue.id))]


def record_alert(session: Session, *, department: str | None, recipient: str, kind: str,
                 subject: str, digest: str, message_path: str, queued: bool,
                 message_id: str = "") -> Alert:
    """`queued` for the delivery step, or `written` (outbox only) without a mail server."""
    alert = Alert(department_code=department, recipient=recipient, kind=kind, subject=subject,
                  digest=digest, message_path=message_path, message_id=message_id,
                  status="queued" if queued else "written")
    session.add(alert)
    session.flush()
    return alert


def due_for_delivery(session: Session, now: dt.datetime) -> list[Alert]:
    return list(session.scalars(
        select(Alert).where(Alert.status == "queued",
                            (Alert.next_attempt_at.is_(None)) | (Alert.next_attempt_at <= now))
        .order_by(Alert.id)))


def mark_sent(session: Session, alert_id: int) -> None:
    alert = session.get(Alert, alert_id)
    alert.attempts += 1
    alert.status, alert.sent_at, alert.last_error = "sent", utcnow(), ""
    alert.next_attempt_at = None


def mark_attempt_failed(session: Session, alert_id: int, error: str,
                        retry_minutes: tuple[float, ...], *, final: bool = False) -> bool:
    """Schedule the next attempt, or give up after the last; True when given up."""
    alert = session.get(Alert, alert_id)
    alert.attempts += 1
    alert.last_error = error[:2000]
    if final or alert.attempts > len(retry_minutes):
        alert.status, alert.next_attempt_at = "failed", None
        return True
    alert.next_attempt_at = utcnow() + dt.timedelta(minutes=retry_minutes[alert.attempts - 1])
    return False


def requeue_failed(session: Session) -> int:
    alerts = failed_mail(session)
    for alert in alerts:
        alert.status, alert.attempts, alert.next_attempt_at = "queued", 0, None
    return len(alerts)


def mail_counts(session: Session) -> dict[str, int]:
    return dict(session.execute(select(Alert.status, func.count()).group_by(Alert.status)).all())


def failed_mail(session: Session, since: dt.datetime | None = None) -> list[Alert]:
    query = select(Alert).where(Alert.status == "failed")
    if since is not None:
        query = query.where(Alert.created_at > since)
    return list(session.scalars(query.order_by(Alert.id)))


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


def crashed_runs(session: Session, since: dt.datetime | None) -> list[Run]:
    query = select(Run).where(Run.outcome == "crashed")
    if since is not None:
        query = query.where(Run.finished_at > since)
    return list(session.scalars(query.order_by(Run.id)))
