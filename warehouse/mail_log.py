"""What the warehouse knows of the office mailbox: which messages were handled (by the
server's UID and by Message-ID), what they brought, and which still await an answer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from warehouse.models import Alert, File, MailAttachment, MailMessage, Submission, utcnow

# Outcomes the office must hear about: nothing from these reached the inbox.
UNUSED_OUTCOMES = ("unknown_sender", "no_spreadsheet", "refused", "unreadable", "failed",
                   "forged", "held")


@dataclass(frozen=True, slots=True)
class Answerable:
    """A department's message whose files were saved, and the ones that are loaded."""

    mail: MailMessage
    attachments: list[MailAttachment]
    loaded: list[str]  # sha256 of its files that the warehouse has read
    owners: set[str]  # the departments its files were loaded as (by their 填报单位)

    @property
    def processed(self) -> bool:
        return len(self.loaded) == sum(1 for a in self.attachments if a.saved_path)


def handled(session: Session, folder: str, uidvalidity: int, uids: list[int]
            ) -> dict[int, MailMessage]:
    if not uids:
        return {}
    rows = session.scalars(select(MailMessage).where(
        MailMessage.folder == folder, MailMessage.uidvalidity == uidvalidity,
        MailMessage.uid.in_(uids)))
    return {row.uid: row for row in rows}


def by_key(session: Session, key: str) -> MailMessage | None:
    return session.scalars(select(MailMessage).where(MailMessage.message_key == key)
                           .order_by(MailMessage.id).limit(1)).first()


def attachments_of(session: Session, mail_id: int) -> list[MailAttachment]:
    return list(session.scalars(select(MailAttachment).where(MailAttachment.mail_id == mail_id)
                                .order_by(MailAttachment.id)))


def thread_owner(session: Session, references: list[str]) -> str | None:
    """The department our mail in this thread was sent to, if the thread has one."""
    if not references:
        return None
    return session.scalars(select(Alert.department_code).where(
        Alert.message_id.in_(references)).order_by(Alert.id.desc()).limit(1)).first()


def mark_filed(session: Session, ids: list[int]) -> None:
    for mail in session.scalars(select(MailMessage).where(MailMessage.id.in_(ids))):
        mail.filed_at = utcnow()


def unanswered(session: Session, department: str) -> list[Answerable]:
    """The department's messages with saved files that no mail of ours answered yet,
    oldest first."""
    mails = session.scalars(select(MailMessage).where(
        MailMessage.department_code == department, MailMessage.outcome == "saved",
        MailMessage.answered_by_alert_id.is_(None)).order_by(MailMessage.id)).all()
    found = []
    for mail in mails:
        attachments = attachments_of(session, mail.id)
        hashes = [a.sha256 for a in attachments if a.saved_path]
        loaded = list(session.scalars(select(File.sha256).where(File.sha256.in_(hashes))))
        owners = set(session.scalars(
            select(Submission.department_code).join(File, File.id == Submission.file_id)
            .where(File.sha256.in_(hashes), Submission.department_code.is_not(None))))
        found.append(Answerable(mail, attachments, loaded, owners))
    return found


def unused_since(session: Session, since: dt.datetime | None) -> list[MailMessage]:
    """Messages nothing was taken from, for the office's summary."""
    query = select(MailMessage).where(MailMessage.outcome.in_(UNUSED_OUTCOMES))
    if since is not None:
        query = query.where(MailMessage.processed_at > since)
    return list(session.scalars(query.order_by(MailMessage.id)))


def mail_totals(session: Session) -> tuple[int, dt.datetime | None]:
    """How many messages were taken from the mailbox, and when the newest arrived."""
    count, newest = session.execute(
        select(func.count(), func.max(MailMessage.arrived_at))).one()
    return count, newest


def mail_source(session: Session, sha256s: list[str]) -> dict[str, MailMessage]:
    """The message that brought each file, where a message did (the latest one)."""
    if not sha256s:
        return {}
    rows = session.execute(
        select(MailAttachment.sha256, MailMessage)
        .join(MailMessage, MailMessage.id == MailAttachment.mail_id)
        .where(MailAttachment.sha256.in_(sha256s), MailAttachment.saved_path != "")
        .order_by(MailMessage.id))
    return {sha: mail for sha, mail in rows}


def latest_message(session: Session, department: str) -> MailMessage | None:
    """The department's newest message to the mailbox: the thread it reads."""
    return session.scalars(select(MailMessage).where(MailMessage.department_code == department)
                           .order_by(MailMessage.id.desc()).limit(1)).first()


UNVERIFIED_ZH = "发件人未验证"


def sender_zh(mail: MailMessage) -> str:
    """`张三 <a@b>`, marked when the office's server could not verify the sender."""
    shown = f"{mail.sender_name} <{mail.sender}>".strip()
    return f"{shown}（{UNVERIFIED_ZH}）" if mail.sender_check == "gray" else shown


HELD_OUTCOMES = ("forged", "held")

