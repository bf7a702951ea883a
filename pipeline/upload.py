"""A workbook uploaded on the console takes the path a mailed one takes: refused at the
door if it cannot be a workbook, otherwise saved into the department's inbox folder
(under a sanitised name, in a folder of its own), then read by the same isolated reader,
validated, archived and versioned by an ordinary run. Only the channel differs."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

from sqlalchemy import select, update

from config import Settings
from config.clock import local_now
from intake.attachments import judge, safe_name
from intake.fetch import announce_saved
from schemas.departments import Department
from transforms.container import sniff
from warehouse.accounts import log_event
from warehouse.models import Upload, User, utcnow
from warehouse.store import Warehouse

_PENDING_PREFIX = "."  # the inbox ignores dot-files while they are being written


@dataclass(frozen=True, slots=True)
class Received:
    upload_id: int
    saved_path: str  # relative to the inbox; "" when refused
    refusal_zh: str


def receive(warehouse: Warehouse, settings: Settings, user: User, department: Department,
            name: str | None, data: bytes, client: str = "") -> Received:
    """Judge the bytes, and save them into the inbox when they may be a workbook."""
    clean = safe_name(name, fallback="网页上传.xlsx")
    verdict = judge(clean, data, settings)
    refusal = verdict.refusal_zh
    if not refusal and (issue := sniff(data)) is not None:
        refusal = issue.message_zh
    with warehouse.begin() as session:
        row = Upload(user_id=user.id, department_code=department.code, name=clean[:500],
                     size=len(data), state="refused" if refusal else "saved",
                     refusal_zh=refusal)
        session.add(row)
        session.flush()
        saved = "" if refusal else _save(settings, department, row.id, clean, data)
        row.saved_path, row.sha256 = saved, "" if refusal else hashlib.sha256(data).hexdigest()
        if refusal:
            row.finished_at = utcnow()
        log_event(session, user.name, "upload_refused" if refusal else "upload",
                  f"{department.name}《{clean}》{len(data)} 字节" + (f"：{refusal}" if refusal
                                                                  else ""), client)
        received = Received(row.id, saved, refusal)
    if saved:
        announce_saved([settings.inbox_dir / saved])  # `serve`'s watcher leaves it to us
    return received


def _save(settings: Settings, department: Department, upload_id: int, name: str,
          data: bytes) -> str:
    """`市教育局/网页上传20261201-093000-7/教育局填报表.xlsx`: a folder per upload keeps the
    user's file name; the department's folder says whose it is."""
    relative = f"{department.name}/网页上传{local_now():%Y%m%d-%H%M%S}-{upload_id}/{name}"
    final = settings.inbox_dir / relative
    final.parent.mkdir(parents=True, exist_ok=True)
    pending = final.with_name(_PENDING_PREFIX + final.name)
    with open(pending, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(pending, final)
    return relative


def waiting(warehouse: Warehouse) -> list[Received]:
    """Uploads saved but not yet run (the console stopped before their run finished)."""
    with warehouse.begin() as session:
        rows = session.scalars(select(Upload).where(Upload.state == "saved")
                               .order_by(Upload.id))
        return [Received(row.id, row.saved_path, "") for row in rows]


def finish(warehouse: Warehouse, upload_id: int, run_id: int | None, failed: bool) -> None:
    with warehouse.begin() as session:
        session.execute(update(Upload).where(Upload.id == upload_id).values(
            state="failed" if failed else "done", run_id=run_id, finished_at=utcnow()))
