"""Files the run could not process through no fault of their sender, and inbox entries it
refused to touch: kept for the office until they go away."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from schemas.labels import PROBLEM_STAGE_ZH
from warehouse.models import FileProblem, utcnow

INBOX_KINDS = ("not_regular_file", "outside_inbox")


def record_problem(session: Session, *, key: str, kind: str, stage: str, file_name: str,
                   message_zh: str, detail: str = "", run_id: int | None = None) -> None:
    """Open (or reopen, counting the attempt) the problem recorded under `key`."""
    now = utcnow()
    problem = session.scalars(select(FileProblem).where(FileProblem.key == key)).first()
    if problem is None:
        session.add(FileProblem(key=key, kind=kind, stage=stage, file_name=file_name,
                                message_zh=message_zh, detail=detail, run_id=run_id,
                                first_seen=now, last_seen=now))
        return
    if problem.resolved_at is None:
        problem.attempts += 1
    else:
        problem.attempts, problem.resolved_at, problem.first_seen = 1, None, now
    problem.kind, problem.stage, problem.file_name = kind, stage, file_name
    problem.message_zh, problem.detail, problem.run_id, problem.last_seen = \
        message_zh, detail, run_id, now


def resolve_problems(session: Session, keys: Iterable[str]) -> None:
    """The files under these keys were processed after all."""
    wanted = list(keys)
    if wanted:
        session.execute(update(FileProblem).where(
            FileProblem.key.in_(wanted), FileProblem.resolved_at.is_(None)
        ).values(resolved_at=utcnow()))


def resolve_inbox_problems_except(session: Session, still_there: Iterable[str]) -> None:
    """Refused inbox entries that are gone (the office removed the link) are resolved."""
    session.execute(update(FileProblem).where(
        FileProblem.kind.in_(INBOX_KINDS), FileProblem.resolved_at.is_(None),
        FileProblem.key.not_in(list(still_there))).values(resolved_at=utcnow()))


def open_problems(session: Session) -> list[FileProblem]:
    return list(session.scalars(select(FileProblem).where(FileProblem.resolved_at.is_(None))
                                .order_by(FileProblem.first_seen, FileProblem.id)))


def describe_problem(problem: FileProblem) -> str:
    """What happened to the file, for the office, in Chinese."""
    if problem.kind == "internal_error":
        return (f"{PROBLEM_STAGE_ZH[problem.stage]}时程序内部出错（已尝试 {problem.attempts} 次），"
                "不是报送单位的问题，下次运行会自动重试；如反复出现请联系技术支持")
    return problem.message_zh
