"""SQLAlchemy models. Changes go through an Alembic migration (`warehouse/migrations`)."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    select,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from config.clock import as_utc as as_utc  # re-exported for every reader of stored times

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar = {dt.datetime: DateTime(timezone=True)}


class Department(Base):
    __tablename__ = "departments"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(200))


class Indicator(Base):
    __tablename__ = "indicators"

    code: Mapped[str] = mapped_column(String(120), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(20))
    base_unit: Mapped[str] = mapped_column(String(20))
    factor: Mapped[float] = mapped_column(Float)
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"))
    kind: Mapped[str] = mapped_column(String(20))
    additive: Mapped[bool] = mapped_column(Boolean, server_default=false())
    section: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)  # order in the catalogue
    # Names it had before a rename (、-separated): still recognised in a file.
    former_names: Mapped[str] = mapped_column(Text, default="")
    # Set when it left the catalogue: its rows are told 该指标本轮已停用.
    retired_at: Mapped[dt.datetime | None]


class File(Base):
    """One row per distinct content: the same bytes arriving twice are one file."""

    __tablename__ = "files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    original_name: Mapped[str] = mapped_column(String(500))
    folder: Mapped[str | None] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(BigInteger)
    file_format: Mapped[str] = mapped_column(String(10))
    received_at: Mapped[dt.datetime]
    archived_path: Mapped[str] = mapped_column(String(500))


class Run(Base):
    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trigger: Mapped[str] = mapped_column(String(20))  # schedule / inbox / manual
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]
    # running / succeeded / failed / stopped (interrupted) / crashed (killed; found by the
    # run that took over)
    outcome: Mapped[str] = mapped_column(String(20), default="running")
    flow_run_id: Mapped[str | None] = mapped_column(String(40))  # Prefect's, where one exists
    files_seen: Mapped[int] = mapped_column(Integer, default=0)
    files_new: Mapped[int] = mapped_column(Integer, default=0)
    submissions: Mapped[int] = mapped_column(Integer, default=0)
    values_accepted: Mapped[int] = mapped_column(Integer, default=0)
    errors_new: Mapped[int] = mapped_column(Integer, default=0)
    warnings_new: Mapped[int] = mapped_column(Integer, default=0)
    resolved: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(Text, default="")


class ReportingRound(Base):
    """One yearly collection: its years, deadline and, once closed, where its products
    were kept and the table it ended with (JSON). At most one round is open."""

    __tablename__ = "rounds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    first_year: Mapped[int] = mapped_column(Integer)
    last_year: Mapped[int] = mapped_column(Integer)
    report_year: Mapped[int] = mapped_column(Integer)
    deadline: Mapped[dt.date] = mapped_column(Date)
    opened_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    opened_by: Mapped[str] = mapped_column(String(80))
    closed_at: Mapped[dt.datetime | None]
    closed_by: Mapped[str] = mapped_column(String(80), default="")
    products_folder: Mapped[str] = mapped_column(String(200), default="")  # under outputs/
    closing_table: Mapped[str] = mapped_column(Text, default="")


def open_round_id():  # noqa: ANN201 - a scalar subquery, usable as a value and a default
    """The open round's id, as SQL: every new submission, issue and decision takes it."""
    return (select(ReportingRound.id).where(ReportingRound.closed_at.is_(None))
            .order_by(ReportingRound.id.desc()).limit(1).scalar_subquery())


class Submission(Base):
    """A file as one department's version. Re-dropping an older version's bytes makes a
    new submission pointing at the same file row."""

    __tablename__ = "submissions"
    __table_args__ = (UniqueConstraint("department_key", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id"), index=True,
                                                 default=open_round_id())
    # The department code, or `?<sha256>` while the department is unknown.
    department_key: Mapped[str] = mapped_column(String(80), index=True)
    department_code: Mapped[str | None] = mapped_column(ForeignKey("departments.code"))
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id"), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    version: Mapped[int] = mapped_column(Integer)
    # accepted / partially_accepted / rejected / superseded
    status: Mapped[str] = mapped_column(String(30))
    received_at: Mapped[dt.datetime]
    loaded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    values_total: Mapped[int] = mapped_column(Integer, default=0)
    values_accepted: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    warnings: Mapped[int] = mapped_column(Integer, default=0)


class Observation(Base):
    """Every value ever submitted, with its provenance."""

    __tablename__ = "observations"
    __table_args__ = (UniqueConstraint("submission_id", "indicator_code", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The submission and the indicator are not foreign keys: a trigger checks them once
    # per statement, not once per row (migration 0011).
    submission_id: Mapped[int] = mapped_column(Integer)
    indicator_code: Mapped[str] = mapped_column(String(120))
    year: Mapped[int] = mapped_column(Integer)
    value: Mapped[float | None] = mapped_column(Float)
    raw_value: Mapped[str] = mapped_column(Text, default="")
    parse_status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    sheet: Mapped[str] = mapped_column(String(100))
    cell: Mapped[str] = mapped_column(String(20))
    accepted: Mapped[bool] = mapped_column(Boolean)
    flagged: Mapped[bool] = mapped_column(Boolean)


class AcceptedValue(Base):
    """The current value of each indicator × year, and where it came from.

    `observation_id` is the accepted observation (None when nothing was ever accepted);
    `rejected_observation_id` is set while the latest submitted value failed validation;
    `decision_id` is the office's decision the value rests on: a value it entered (录入,
    no observation) or a value it would not take (不采用, no value).
    """

    __tablename__ = "accepted_values"

    indicator_code: Mapped[str] = mapped_column(ForeignKey("indicators.code"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), index=True)
    value: Mapped[float | None] = mapped_column(Float)
    not_applicable: Mapped[bool] = mapped_column(Boolean, default=False)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    explanation: Mapped[str] = mapped_column(Text, default="")
    observation_id: Mapped[int | None] = mapped_column(ForeignKey("observations.id"))
    rejected_observation_id: Mapped[int | None] = mapped_column(ForeignKey("observations.id"))
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Issue(Base):
    """A problem's life across versions. Identity: department, indicator, year, rule, and
    for file-level problems the file (`scope`)."""

    __tablename__ = "issues"
    __table_args__ = (
        UniqueConstraint("round_id", "department_key", "indicator_code", "year", "rule",
                         "scope"),
        Index("ix_issues_state", "department_key", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id"), index=True,
                                                 default=open_round_id())
    department_key: Mapped[str] = mapped_column(String(80))
    department_code: Mapped[str | None] = mapped_column(ForeignKey("departments.code"))
    indicator_code: Mapped[str] = mapped_column(String(120), default="")  # "" = file-level
    year: Mapped[int] = mapped_column(Integer, default=0)  # 0 = no year
    rule: Mapped[str] = mapped_column(String(80))
    scope: Mapped[str] = mapped_column(String(64), default="")
    severity: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(10))  # open / explained / resolved
    message_zh: Mapped[str] = mapped_column(Text)
    explanation: Mapped[str] = mapped_column(Text, default="")
    raw_value: Mapped[str] = mapped_column(Text, default="")
    sheet: Mapped[str] = mapped_column(String(100), default="")
    cell: Mapped[str] = mapped_column(String(20), default="")
    cells: Mapped[str] = mapped_column(Text, default="")  # 、-separated sheet!cell list
    file_id: Mapped[int | None] = mapped_column(ForeignKey("files.id"))
    first_submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"))
    last_submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"))
    resolved_by_submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"))
    first_seen: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[dt.datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[dt.datetime | None]


class Alert(Base):
    """What was sent to whom and when (filled by the alerts stage)."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department_code: Mapped[str | None] = mapped_column(ForeignKey("departments.code"))
    recipient: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))  # issues / confirmation / reminder / summary
    subject: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(64), default="")  # of the issues it listed
    # written (kept in the outbox only: no SMTP server configured) / queued / sent /
    # failed (after the last attempt)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")
    message_path: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None]
    # Ours, stable across retries: a department's reply names it in In-Reply-To/References.
    message_id: Mapped[str] = mapped_column(String(300), default="", index=True)


class MailMessage(Base):
    """A message taken from the office mailbox, processed exactly once.

    (folder, uidvalidity, uid) is the server's identity of the message, recorded in the
    same transaction as the files saved from it; `message_key` (its Message-ID, or a hash
    of its bytes) recognises the same message delivered twice.
    """

    __tablename__ = "mail_messages"
    __table_args__ = (UniqueConstraint("folder", "uidvalidity", "uid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    folder: Mapped[str] = mapped_column(String(200))
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    uid: Mapped[int] = mapped_column(BigInteger)
    message_key: Mapped[str] = mapped_column(String(300), index=True)
    message_id: Mapped[str] = mapped_column(String(300), default="")
    # The Message-IDs this message answers (In-Reply-To, then References), space-separated.
    references: Mapped[str] = mapped_column(Text, default="")
    sender: Mapped[str] = mapped_column(String(300))
    sender_name: Mapped[str] = mapped_column(String(300), default="")
    subject: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[dt.datetime | None]  # its Date header
    arrived_at: Mapped[dt.datetime]  # the server's INTERNALDATE
    department_code: Mapped[str | None] = mapped_column(ForeignKey("departments.code"))
    # saved / unknown_sender / no_spreadsheet / refused / duplicate / unreadable /
    # failed (a defect of ours; kept for the office) / forged (its sender failed
    # verification) / held (unverified, waiting for the office) / released (taken by the
    # office's decision)
    outcome: Mapped[str] = mapped_column(String(30))
    # pass / fail / gray: the office's receiving server's verdict on the sender (RFC 8601);
    # "" for messages taken before it was checked.
    sender_check: Mapped[str] = mapped_column(String(10), default="")
    note_zh: Mapped[str] = mapped_column(Text, default="")  # for the office
    archived_path: Mapped[str] = mapped_column(String(500), default="")
    processed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Set once the message is moved or flagged on the server.
    filed_at: Mapped[dt.datetime | None]
    # Our mail that answered it (sent as a reply in its thread).
    answered_by_alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"))


class MailAttachment(Base):
    """A file a message brought, saved into the inbox (or refused, with the reason)."""

    __tablename__ = "mail_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mail_id: Mapped[int] = mapped_column(ForeignKey("mail_messages.id", ondelete="CASCADE"),
                                         index=True)
    name: Mapped[str] = mapped_column(String(500))  # as the sender named it, sanitised
    sha256: Mapped[str] = mapped_column(String(64), default="", index=True)
    saved_path: Mapped[str] = mapped_column(String(500), default="")  # relative to the inbox
    refusal_zh: Mapped[str] = mapped_column(Text, default="")


class Lock(Base):
    """At most one pipeline run writes at a time."""

    __tablename__ = "locks"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    run_id: Mapped[int | None] = mapped_column(Integer)
    acquired_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    heartbeat_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class FileProblem(Base):
    """A file the run could not process through no fault of its sender (a defect of ours,
    `internal_error`), or an inbox entry that is not a plain file (`not_regular_file`,
    `outside_inbox`). The office hears of it; the department is not blamed or mailed.
    Internal errors are retried by every run until the file loads."""

    __tablename__ = "file_problems"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The file's sha256, or `path:<path in the inbox>` for an entry that was never read.
    key: Mapped[str] = mapped_column(String(600), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    stage: Mapped[str] = mapped_column(String(20))  # inbox / read / validate / load
    file_name: Mapped[str] = mapped_column(String(500))
    message_zh: Mapped[str] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text, default="")  # the traceback, for operators
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    first_seen: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[dt.datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[dt.datetime | None]


class User(Base):
    """A console account: the office (every department) or one department."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    role: Mapped[str] = mapped_column(String(20))  # office / department
    department_code: Mapped[str | None] = mapped_column(ForeignKey("departments.code"))
    password_hash: Mapped[str] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ConsoleSession(Base):
    """A login. Only the token's SHA-256 is stored: a copy of the database opens no
    session. `ended_at` is set at 退出, password change and disabling the account."""

    __tablename__ = "console_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[dt.datetime | None]


class LoginThrottle(Base):
    """Failed logins per user name typed (known or not, so that it tells nothing)."""

    __tablename__ = "login_throttle"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[dt.datetime | None]


class Upload(Base):
    """A workbook sent through the console, saved into the inbox like a mailed one."""

    __tablename__ = "uploads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), index=True)
    name: Mapped[str] = mapped_column(String(500))  # as the user named it, sanitised
    sha256: Mapped[str] = mapped_column(String(64), default="", index=True)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    saved_path: Mapped[str] = mapped_column(String(500), default="")  # relative to the inbox
    # refused (not saved) / saved (waiting for its run) / done / failed (a defect of ours)
    state: Mapped[str] = mapped_column(String(20))
    refusal_zh: Mapped[str] = mapped_column(Text, default="")
    uploaded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    finished_at: Mapped[dt.datetime | None]


class AuditEvent(Base):
    """Logins, refusals and uploads: who, when, what."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    user_name: Mapped[str] = mapped_column(String(80))
    # login / login_failed / login_throttled / logout / denied / csrf_refused / upload /
    # upload_refused
    action: Mapped[str] = mapped_column(String(30))
    detail: Mapped[str] = mapped_column(Text, default="")
    client: Mapped[str] = mapped_column(String(100), default="")


class Decision(Base):
    """A decision of the office about a department's data: append-only, each with its
    reason, applied by every run the same way (warehouse.decisions)."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id"), index=True,
                                                 default=open_round_id())
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    by_name: Mapped[str] = mapped_column(String(80))  # a console user, or the system user
    # accept / reject / set / choose / approve / return / lock / unlock
    action: Mapped[str] = mapped_column(String(20))
    # None for the round's own decisions (lock, unlock).
    department_code: Mapped[str | None] = mapped_column(ForeignKey("departments.code"),
                                                        index=True)
    indicator_code: Mapped[str] = mapped_column(String(120), default="")
    year: Mapped[int] = mapped_column(Integer, default=0)
    # The value as the department typed it, that the decision is about.
    raw_value: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text)
    issue_id: Mapped[int | None] = mapped_column(ForeignKey("issues.id"))
    # The value before and after, as a person reads them (reporting unit).
    before: Mapped[str] = mapped_column(Text, default="")
    after: Mapped[str] = mapped_column(Text, default="")
    # An entered value, in the indicator's base unit (set).
    value: Mapped[float | None] = mapped_column(Float)
    # The observation refused (reject), the file chosen (choose).
    observation_id: Mapped[int | None] = mapped_column(ForeignKey("observations.id"))
    file_id: Mapped[int | None] = mapped_column(ForeignKey("files.id"))
    # What the decision kept: the signed table at a lock, as JSON.
    detail: Mapped[str] = mapped_column(Text, default="")
