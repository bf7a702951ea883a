"""What the console shows of a department, each query kept to the user's scope."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.clock import local_text
from warehouse.alert_state import Change, changes_between
from warehouse.mail_log import HELD_OUTCOMES, attachments_of, mail_source, sender_zh
from warehouse.models import (
    AcceptedValue,
    Alert,
    File,
    Issue,
    MailAttachment,
    MailMessage,
    Observation,
    Run,
    Submission,
    Upload,
    User,
)
from warehouse.rounds import in_open_round
from warehouse.scope import Scope, visible


@dataclass(slots=True)
class Version:
    submission: Submission
    file: File
    channel: str  # inbox / mail / upload (schemas.labels.CHANNEL_ZH)
    by_zh: str  # who sent it, where known
    changes: list[Change] = field(default_factory=list)  # against the version before


def versions(session: Session, scope: Scope, department: str) -> list[Version]:
    """Every version the department sent, newest first, with how it came and what it
    changed against the one before."""
    rows = session.execute(
        select(Submission, File).join(File, File.id == Submission.file_id)
        .where(Submission.department_code == department,
               visible(scope, Submission.department_code), in_open_round(Submission.round_id))
        .order_by(Submission.version)).all()
    shas = [file.sha256 for _, file in rows]
    mails = mail_source(session, shas)
    uploads = uploads_by_sha(session, scope, shas)
    found: list[Version] = []
    for submission, file in rows:
        if file.sha256 in uploads:
            channel, by = "upload", uploads[file.sha256]
        elif file.sha256 in mails:
            channel, by = "mail", sender_zh(mails[file.sha256])
        else:
            channel, by = "inbox", ""
        changes = changes_between(session, found[-1].submission.id, submission.id) \
            if found else []
        found.append(Version(submission, file, channel, by, changes))
    return found[::-1]


def uploads_by_sha(session: Session, scope: Scope, shas: list[str]) -> dict[str, str]:
    """Who uploaded each of these files on the console (`姓名 12-01 09:30`)."""
    if not shas:
        return {}
    rows = session.execute(
        select(Upload.sha256, User.name, Upload.uploaded_at).join(User, User.id == Upload.user_id)
        .where(Upload.sha256.in_(shas), Upload.state != "refused",
               visible(scope, Upload.department_code))
        .order_by(Upload.id))
    return {sha: f"{name}，{local_text(at, '%m-%d %H:%M')}" for sha, name, at in rows}


def version_file(session: Session, scope: Scope, department: str,
                 submission_id: int) -> File | None:
    return session.execute(
        select(File).join(Submission, Submission.file_id == File.id)
        .where(Submission.id == submission_id, Submission.department_code == department,
               visible(scope, Submission.department_code))).scalar()


def issues(session: Session, scope: Scope, department: str | None = None,
           severity: str | None = None, indicator: str | None = None,
           states: tuple[str, ...] = ("open", "explained")) -> list[tuple[Issue, str]]:
    """Issues in these states with the file they were last seen in, errors first."""
    query = (select(Issue, File.original_name).outerjoin(File, File.id == Issue.file_id)
             .where(Issue.state.in_(states), visible(scope, Issue.department_code))
             .order_by(Issue.department_key, Issue.severity, Issue.indicator_code, Issue.year))
    if department is not None:
        query = query.where(Issue.department_code == department)
    if severity is not None:
        query = query.where(Issue.severity == severity)
    if indicator is not None:
        query = query.where(Issue.indicator_code == indicator)
    return [(issue, name or "") for issue, name in session.execute(query)]


def value_versions(session: Session, scope: Scope, department: str
                   ) -> dict[tuple[str, int], int]:
    """(indicator, year) -> the submission whose value is in use."""
    rows = session.execute(
        select(AcceptedValue.indicator_code, AcceptedValue.year, Observation.submission_id)
        .join(Observation, Observation.id == AcceptedValue.observation_id)
        .where(AcceptedValue.department_code == department,
               visible(scope, AcceptedValue.department_code)))
    return {(code, year): submission for code, year, submission in rows}


def mails(session: Session, scope: Scope, department: str) -> list[Alert]:
    return list(session.scalars(
        select(Alert).where(Alert.department_code == department,
                            visible(scope, Alert.department_code))
        .order_by(Alert.id.desc())))


def mail(session: Session, scope: Scope, department: str, alert_id: int) -> Alert | None:
    return session.scalars(
        select(Alert).where(Alert.id == alert_id, Alert.department_code == department,
                            visible(scope, Alert.department_code))).first()


def upload(session: Session, scope: Scope, upload_id: int) -> Upload | None:
    return session.scalars(select(Upload).where(
        Upload.id == upload_id, visible(scope, Upload.department_code))).first()


def upload_submission(session: Session, scope: Scope, upload: Upload) -> Submission | None:
    """The version the upload's bytes became (the newest, if they were sent before)."""
    return session.scalars(
        select(Submission).join(File, File.id == Submission.file_id)
        .where(File.sha256 == upload.sha256, Submission.department_code == upload.department_code,
               visible(scope, Submission.department_code))
        .order_by(Submission.id.desc()).limit(1)).first()


def run_mail(session: Session, scope: Scope, department: str, run_id: int) -> Alert | None:
    """The issue or confirmation mail a run wrote to the department, if it wrote one."""
    run = session.get(Run, run_id)
    if run is None:
        return None
    query = (select(Alert).where(Alert.department_code == department,
                                 Alert.kind.in_(("issues", "confirmation")),
                                 Alert.created_at >= run.started_at,
                                 visible(scope, Alert.department_code))
             .order_by(Alert.id.desc()).limit(1))
    if run.finished_at is not None:
        query = query.where(Alert.created_at <= run.finished_at)
    return session.scalars(query).first()


def held_mail(session: Session, scope: Scope, department: str | None = None
              ) -> list[tuple[MailMessage, list[MailAttachment]]]:
    """Messages in a department's name waiting for the office (forged-looking, or not
    verifiable), with their attachments."""
    query = select(MailMessage).where(visible(scope, MailMessage.department_code),
                                      MailMessage.outcome.in_(HELD_OUTCOMES))
    if department is not None:
        query = query.where(MailMessage.department_code == department)
    return [(mail, attachments_of(session, mail.id))
            for mail in session.scalars(query.order_by(MailMessage.id))]
