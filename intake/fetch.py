"""One pass over the office mailbox: every new message is handled exactly once.

For each message the raw bytes are archived under `var/mail/`, then in one warehouse
transaction its identity on the server (folder, UIDVALIDITY, UID) and its outcome are
recorded while its spreadsheets are written next to their place in the inbox under
names the inbox ignores; after the commit they are renamed into place, and only then is
the message moved to the done folder. A pass killed anywhere either left no record (the
message is handled again, rewriting the same files) or left one (the files are renamed
into place if they were not yet, the message is filed, nothing is processed twice).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from alerts.content import nothing_usable_mail, unverified_mail
from alerts.stage import keep_mail, mail_context
from config import Settings
from config.clock import local_now, local_text, to_local
from intake.attachments import Attachment, safe_name, unpack
from intake.authenticity import FAIL, GRAY, VERDICT_ZH, Verdict, judge
from intake.imap import Fetched, Mailbox, MailboxUnavailable, open_mailbox
from intake.message import IncomingMail, parse_mail
from schemas.departments import Department, Registry
from warehouse.engine import is_warehouse_down
from warehouse.mail_log import attachments_of, by_key, handled, mark_filed, thread_owner
from warehouse.models import MailAttachment, MailMessage
from warehouse.run_lock import RunLock, WarehouseBusy
from warehouse.store import Warehouse

MAILBOX_LOCK = "mailbox"
OFF_ZH = "未配置邮箱（HUIZONG_IMAP_HOST），不收取邮件，只处理放入收件箱的文件。"
_PENDING_SUFFIX = ".part"  # with a leading dot: the inbox ignores the file until renamed
log = logging.getLogger(__name__)
_said_off = threading.Event()
# Told of the files a pass puts into the inbox, each with its size and time in ns (serve's
# inbox watcher: the pass runs on them itself).
Saved = list[tuple[Path, tuple[int, int]]]
_saved_listeners: list[Callable[[Saved], None]] = []


@contextmanager
def announcing_saved(listener: Callable[[Saved], None]) -> Iterator[None]:
    """While inside, `listener` hears of every file a pass puts into the inbox."""
    _saved_listeners.append(listener)
    try:
        yield
    finally:
        _saved_listeners.remove(listener)


@dataclass(slots=True)
class IntakeReport:
    messages: int = 0  # new messages handled in this pass
    saved: list[str] = field(default_factory=list)  # saved files, relative to the inbox
    unused: int = 0  # messages nothing was taken from (listed in the office's summary)
    replies: int = 0  # short answers queued for senders who sent nothing usable
    skipped_zh: str = ""  # why the mailbox was not looked at
    problem_zh: str = ""  # the mailbox's problem, if it had one

    def lines_zh(self) -> list[str]:
        if self.skipped_zh:
            return [self.skipped_zh]
        lines = []
        if self.messages or not self.problem_zh:
            lines.append(f"邮箱：收到 {self.messages} 封新邮件，"
                         f"保存 {len(self.saved)} 个表格到收件箱"
                         + (f"；{self.unused} 封没有可采用的表格（列入联席办日报"
                            + (f"，已回复 {self.replies} 封" if self.replies else "") + "）"
                            if self.unused else "") + "。")
        if self.problem_zh:
            lines.append(f"邮箱问题：{self.problem_zh}")
        return lines


def intake_configured(settings: Settings) -> bool:
    """Whether a mailbox is configured; says once per process, in the log, when not."""
    if settings.imap_host:
        return True
    if not _said_off.is_set():
        _said_off.set()
        log.info("%s", OFF_ZH)
    return False


def fetch_mail(warehouse: Warehouse, settings: Settings) -> IntakeReport:
    if not intake_configured(settings):
        return IntakeReport(skipped_zh=OFF_ZH)
    lock = RunLock(warehouse.engine, stale_after=settings.lock_stale_seconds, name=MAILBOX_LOCK)
    try:
        lock.acquire(0)
    except WarehouseBusy:
        return IntakeReport(skipped_zh="另一个邮箱收取正在进行，本次跳过。")
    report = IntakeReport()
    try:
        with open_mailbox(settings) as mailbox:
            _take_new(mailbox, warehouse, settings, report)
    except MailboxUnavailable as error:
        report.problem_zh = str(error)
        log.warning("邮箱问题：%s", error)
    finally:
        lock.release()
    if report.messages:
        log.info("%s", " ".join(report.lines_zh()))
    return report


def _take_new(mailbox: Mailbox, warehouse: Warehouse, settings: Settings,
              report: IntakeReport) -> None:
    uids = mailbox.uids()
    with warehouse.begin() as session:
        known = {uid: mail.id for uid, mail in
                 handled(session, settings.imap_folder, mailbox.uidvalidity, uids).items()}
    filed_uids, filed_ids = [], []
    for uid in uids:
        if uid in known:  # handled by a pass that stopped before filing it
            _finish_saving(warehouse, settings, known[uid], report)
            filed_uids.append(uid)
            filed_ids.append(known[uid])
            continue
        fetched = mailbox.fetch(uid)
        if fetched is None:
            continue  # deleted meanwhile
        try:
            mail_id = _take(fetched, mailbox.uidvalidity, warehouse, settings, report)
        except Exception as error:
            if is_warehouse_down(error):
                raise
            mail_id = _record_failure(fetched, mailbox.uidvalidity, warehouse, settings, report)
        filed_uids.append(uid)
        filed_ids.append(mail_id)
    mailbox.file_away(filed_uids)
    with warehouse.begin() as session:
        mark_filed(session, filed_ids)


def _archive(settings: Settings, fetched: Fetched) -> Path:
    digest = hashlib.sha256(fetched.raw).hexdigest()
    folder = settings.mail_archive_dir / to_local(fetched.arrived_at).strftime("%Y-%m")
    target = folder / f"{to_local(fetched.arrived_at):%Y%m%d-%H%M%S}-{digest[:16]}.eml"
    if not target.exists():
        folder.mkdir(parents=True, exist_ok=True)
        temporary = target.with_suffix(".tmp")
        temporary.write_bytes(fetched.raw)
        temporary.replace(target)
    return target


def _read(fetched: Fetched) -> IncomingMail | None:
    try:
        return parse_mail(fetched.raw)
    except Exception:  # a message the email package chokes on is the sender's, not ours
        log.warning("无法解析邮件 UID %d", fetched.uid, exc_info=True)
        return None


def _take(fetched: Fetched, uidvalidity: int, warehouse: Warehouse, settings: Settings,
          report: IntakeReport) -> int:
    mail = _read(fetched)
    archived = _archive(settings, fetched)
    registry = warehouse.registry
    department = registry.by_address(mail.sender) if mail else None
    verdict = judge(mail.authentication_results, mail.received, settings.imap_authserv_id,
                    mail.sender) if mail else None
    pending: list[Path] = []
    try:
        with warehouse.begin() as session:
            row = _row(fetched, uidvalidity, settings, mail, department, archived)
            row.sender_check = verdict.kind if verdict else ""
            items = _decide(session, row, mail, department, registry, settings, verdict)
            session.add(row)
            session.flush()
            folder = _mail_folder(department, fetched, registry.office)
            for item in items:
                saved = _save_pending(settings, folder, item, fetched.arrived_at, pending) \
                    if item.taken else ""
                session.add(MailAttachment(
                    mail_id=row.id, name=item.name[:500], refusal_zh=item.refusal_zh,
                    sha256=hashlib.sha256(item.data).hexdigest() if item.taken else "",
                    saved_path=saved))
            if department is not None and row.outcome in ("refused", "no_spreadsheet"):
                _answer_nothing_usable(session, settings, registry, department, row, items)
                report.replies += 1
            if department is not None and row.outcome in ("forged", "held"):
                _tell_unverified(session, settings, registry, department, row, items)
            mail_id, outcome = row.id, row.outcome
    except BaseException:
        for path in pending:  # nothing was recorded: leave nothing behind
            path.unlink(missing_ok=True)
        raise
    report.messages += 1
    report.unused += outcome not in ("saved", "duplicate")
    # Announced before they appear: a watcher must never see them unannounced (dated when
    # the mail arrived, they look settled at once).
    announce_saved([_final_path(path) for path in pending], pending)
    finals = _into_place(pending)
    report.saved += [str(final.relative_to(settings.inbox_dir)) for final in finals]
    return mail_id


def _row(fetched: Fetched, uidvalidity: int, settings: Settings, mail: IncomingMail | None,
         department: Department | None, archived: Path) -> MailMessage:
    """The message's record, as if everything in it can be used (`_decide` says if not)."""
    key = mail.key if mail else f"sha256:{hashlib.sha256(fetched.raw).hexdigest()}"
    return MailMessage(
        folder=settings.imap_folder, uidvalidity=uidvalidity, uid=fetched.uid,
        message_key=key[:300], message_id=(mail.message_id if mail else "")[:300],
        references=" ".join(mail.references) if mail else "",
        sender=(mail.sender if mail else "")[:300],
        sender_name=(mail.sender_name if mail else "")[:300],
        subject=mail.subject if mail else "", sent_at=mail.sent_at if mail else None,
        arrived_at=fetched.arrived_at, department_code=department.code if department else None,
        archived_path=str(archived), outcome="saved")


def _decide(session: Session, row: MailMessage, mail: IncomingMail | None,
           department: Department | None, registry: Registry,
           settings: Settings, verdict: Verdict | None = None) -> list[Attachment]:
    """Set the message's outcome; what it brings, taken or refused. A message in a
    department's name whose sender failed verification is never taken as the
    department's; one nobody could verify is held when the office asks for that."""
    if mail is None:
        row.outcome = "unreadable"
        row.note_zh = f"邮件格式损坏，无法读取；原件已保存在 {row.archived_path}。"
        return []
    earlier = by_key(session, row.message_key)
    if earlier is not None:
        row.outcome = "duplicate"
        row.note_zh = (f"与 {local_text(earlier.arrived_at)} 收到的邮件相同（重复投递），"
                       "未重复处理。")
        return []
    if department is None:
        row.outcome = "unknown_sender"
        row.note_zh = _unknown_sender_zh(session, mail, registry, Path(row.archived_path))
        return [Attachment(safe_name(name), b"", "发件人不在单位名录中，未处理。")
                for name, _ in mail.parts]
    items = unpack(mail.parts, settings)
    if verdict is not None and (verdict.kind == FAIL or (
            verdict.kind == GRAY and settings.unverified_mail == "hold")):
        forged = verdict.kind == FAIL
        row.outcome = "forged" if forged else "held"
        row.note_zh = (f"一封自称来自{department.name}的邮件"
                       + ("未通过发件人验证，附件未采用" if forged else
                          "无法验证发件人，附件暂未采用，待联席办决定（huizong review choose）")
                       + f"（{verdict.describe_zh()}）。")
        refusal = f"发件人验证{VERDICT_ZH[verdict.kind]}，未采用"
        return [Attachment(item.name, b"", item.refusal_zh or refusal) for item in items]
    if not any(item.taken for item in items):
        row.outcome = "refused" if items else "no_spreadsheet"
        row.note_zh = ("附件中没有可处理的表格：" + "；".join(
            f"{i.name}：{i.refusal_zh}" for i in items) if items else "邮件没有附件。")
    return items


def _record_failure(fetched: Fetched, uidvalidity: int, warehouse: Warehouse,
                    settings: Settings, report: IntakeReport) -> int:
    """A defect of ours costs this message only: it is kept, listed for the office and
    filed, and the pass goes on."""
    log.exception("处理邮件 UID %d 时程序内部出错", fetched.uid)
    archived = _archive(settings, fetched)
    with warehouse.begin() as session:
        row = _row(fetched, uidvalidity, settings, None, None, archived)
        row.outcome = "failed"
        row.note_zh = (f"处理这封邮件时程序内部出错（不是发件单位的问题），未处理；原件保存在 "
                       f"{archived}，请手工把附件放入收件箱，并把日志发给技术支持。")
        session.add(row)
        session.flush()
        report.messages += 1
        report.unused += 1
        return row.id


def _unknown_sender_zh(session: Session, mail: IncomingMail, registry: Registry,
                       archived: Path) -> str:
    owner_code = thread_owner(session, list(mail.references))
    note = (f"发件人 {mail.sender or '（无）'} 不在单位名录中，附件未处理（原件保存在 "
            f"{archived}）")
    if owner_code:
        owner = registry.get(owner_code)
        note += (f"。这封邮件回复的是发给{owner.name}的通知：如确是该单位的邮箱，请把这个地址加入"
                 "单位名录（departments.yaml 中该单位的 addresses），再请对方重新发送")
    return note + "。"


def _mail_folder(department: Department | None, fetched: Fetched, office: Department) -> str:
    """`市教育局/邮件20261129-101500-37`: a folder per message keeps the sender's file names;
    the department's folder tells the reader whose it is (the office's own mail goes to
    the inbox's top, where the workbook itself says whose it is)."""
    own = f"邮件{to_local(fetched.arrived_at):%Y%m%d-%H%M%S}-{fetched.uid}"
    if department is None or department == office:
        return own
    return f"{department.name}/{own}"


def _unique(folder: str, name: str, taken: set[str]) -> str:
    stem, dot, suffix = name.rpartition(".")
    candidate, number = name, 1
    while candidate in taken:
        number += 1
        candidate = f"{stem}（{number}）.{suffix}" if dot else f"{name}（{number}）"
    return f"{folder}/{candidate}"


def _pending_path(final: Path) -> Path:
    return final.with_name(f".{final.name}{_PENDING_SUFFIX}")


def _final_path(pending: Path) -> Path:
    return pending.with_name(pending.name[1:].removesuffix(_PENDING_SUFFIX))


def _save_pending(settings: Settings, folder: str, item: Attachment, arrived_at: dt.datetime,
                  pending: list[Path]) -> str:
    """Write a spreadsheet next to its place in the inbox (added to `pending`); its path
    relative to the inbox, unique among this message's files."""
    saved = _unique(folder, item.name, {_final_path(path).name for path in pending})
    pending.append(_write_pending(settings.inbox_dir / saved, item.data, arrived_at))
    return saved


def _into_place(pending: list[Path]) -> list[Path]:
    """After the commit: the pending files renamed to where the inbox sees them."""
    finals = [_final_path(path) for path in pending]
    for path, final in zip(pending, finals, strict=True):
        path.replace(final)
    return finals


def _write_pending(final: Path, data: bytes, arrived_at: dt.datetime) -> Path:
    """Written under a name the inbox ignores, dated when the mail arrived (the order of
    versions is the order the mails came in)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    pending = _pending_path(final)
    pending.write_bytes(data)
    moment = arrived_at.timestamp()
    os.utime(pending, (moment, moment))
    return pending


def _finish_saving(warehouse: Warehouse, settings: Settings, mail_id: int,
                   report: IntakeReport) -> None:
    """Put a recorded message's files into place if they are not yet, and hand them to
    this pass's run: the pass that saved them may have died before running on them (a
    file already loaded is skipped by its hash)."""
    with warehouse.begin() as session:
        saved = [a.saved_path for a in attachments_of(session, mail_id) if a.saved_path]
    places = [(settings.inbox_dir / relative, _pending_path(settings.inbox_dir / relative))
              for relative in saved]
    announce_saved([final for final, _ in places],
                   [pending if pending.exists() else final for final, pending in places])
    for (final, pending), relative in zip(places, saved, strict=True):
        if pending.exists():
            pending.replace(final)
        if final.exists():
            report.saved.append(relative)


def announce_saved(saved: list[Path], written: list[Path] | None = None) -> None:
    """Tell the listeners (the inbox watcher of `serve`) of files put into the inbox by
    someone who runs them itself. `written`: where each is now, when it is still to be
    renamed into place (a rename keeps its size and time)."""
    signed: Saved = []
    for final, now in zip(saved, written or saved, strict=True):
        try:
            stat = now.stat()
        except FileNotFoundError:
            continue
        signed.append((final, (stat.st_size, stat.st_mtime_ns)))
    for listener in _saved_listeners:
        listener(signed)


def _answer_nothing_usable(session: Session, settings: Settings, registry: Registry,
                           department: Department, row: MailMessage,
                           items: list[Attachment]) -> None:
    ctx = mail_context(registry, local_now().date())
    mail = nothing_usable_mail(ctx, department.name, department.contact, row.subject,
                               [(i.name, i.refusal_zh) for i in items])
    keep_mail(session, settings, registry.office, department, "mail_reply", mail,
              answers=[row])


def _tell_unverified(session: Session, settings: Settings, registry: Registry,
                     department: Department, row: MailMessage,
                     items: list[Attachment]) -> None:
    """The department hears at its registry address, in a new thread (the message's
    own thread and addresses are the sender's, whoever that is)."""
    ctx = mail_context(registry, local_now().date())
    mail = unverified_mail(ctx, department.name, department.contact, row.sender,
                           local_text(row.arrived_at), row.subject, [i.name for i in items],
                           forged=row.outcome == "forged")
    keep_mail(session, settings, registry.office, department, "sender_check", mail)


def release(warehouse: Warehouse, settings: Settings, mail_id: int, reason: str) -> list[Path]:
    """The office took a held (or forged-looking) message as the department's: its
    spreadsheets are saved into the department's inbox folder from the archived message,
    as if it had been taken when it came; the next run answers it in its thread."""
    pending: list[Path] = []
    try:
        with warehouse.begin() as session:
            row = session.get(MailMessage, mail_id)
            if row is None or row.outcome not in ("forged", "held"):
                return []
            mail = parse_mail(Path(row.archived_path).read_bytes())
            registry = warehouse.registry
            department = registry.get(row.department_code) if row.department_code else None
            folder = _mail_folder(department, Fetched(row.uid, b"", row.arrived_at),
                                  registry.office)
            recorded = {a.name: a for a in attachments_of(session, mail_id)}
            for item in unpack(mail.parts, settings):
                attachment = recorded.get(item.name[:500])
                if not item.taken or attachment is None:
                    continue
                attachment.saved_path = _save_pending(settings, folder, item, row.arrived_at,
                                                      pending)
                attachment.sha256 = hashlib.sha256(item.data).hexdigest()
                attachment.refusal_zh = ""
            row.outcome = "saved"
            row.note_zh += f"联席办决定采用：{reason}。"
    except BaseException:
        for path in pending:  # nothing was recorded: leave nothing behind
            path.unlink(missing_ok=True)
        raise
    return _into_place(pending)
