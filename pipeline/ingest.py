"""Pick up new or re-dropped files, read and validate them as one batch, and load each
into the warehouse in its own transaction, oldest first."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select

from config import Settings
from schemas.issue import Issue as IssueRecord
from schemas.validate import validate
from transforms import ReadResult, read_file
from transforms.inbox import InboxFile
from warehouse.archive import archive_bytes
from warehouse.load import IncomingFile, LoadOutcome, load_submission
from warehouse.models import File, Submission, as_utc
from warehouse.store import Warehouse


@dataclass(frozen=True, slots=True)
class Arrival:
    source: InboxFile
    incoming: IncomingFile
    data: bytes


@dataclass(slots=True)
class IngestReport:
    files_seen: int = 0
    results: list[ReadResult] = field(default_factory=list)
    outcomes: list[tuple[str, LoadOutcome]] = field(default_factory=list)
    issues: list[IssueRecord] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(outcome.changed for _, outcome in self.outcomes)

    @property
    def departments(self) -> list[str]:
        return sorted({o.department for _, o in self.outcomes if o.changed and o.department})


def _received_at(source: InboxFile) -> dt.datetime:
    return dt.datetime.fromtimestamp(source.path.stat().st_mtime, dt.UTC)


def new_arrivals(warehouse: Warehouse, files: Iterable[InboxFile], settings: Settings,
                 *, force: bool = False) -> tuple[list[Arrival], int]:
    """Files whose bytes are new, or were dropped again after they were last loaded.

    An unchanged file costs a hash and a stat. The bytes of every arrival are archived
    before anything else is done with them.
    """
    with warehouse.begin() as session:
        last_loaded = dict(session.execute(
            select(File.sha256, func.max(Submission.received_at))
            .join(Submission, Submission.file_id == File.id).group_by(File.sha256)).all())
    arrivals, seen = [], 0
    for source in files:
        seen += 1
        data = source.path.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        received = _received_at(source)
        loaded = last_loaded.get(sha)
        if loaded is not None and not force and received <= as_utc(loaded):
            continue
        archived = archive_bytes(settings.archive_dir, sha, source.path.name, data)
        arrivals.append(Arrival(source, IncomingFile(
            sha, source.path.name, source.folder, len(data), received, archived), data))
    # "Newer" is received later: file time first, then the order we found them in.
    arrivals.sort(key=lambda a: a.incoming.received_at)
    return arrivals, seen


def ingest(warehouse: Warehouse, arrivals: list[Arrival], run_id: int | None,
           *, reprocess: bool = False) -> IngestReport:
    report = IngestReport()
    results = [read_file(a.source.path, data=a.data, file_name=a.incoming.original_name,
                         folder=a.source.folder, catalogue=warehouse.catalogue,
                         registry=warehouse.registry) for a in arrivals]
    report.results = results
    departments = sorted({r.department for r in results if r.department})
    validation = validate(results, warehouse.prior_values(departments),
                          catalogue=warehouse.catalogue)
    by_file: dict[str, list] = {}
    for assessment in validation.assessments:
        by_file.setdefault(assessment.observation.file_sha256, []).append(assessment)
    issues_by_file: dict[str, list[IssueRecord]] = {}
    for issue in validation.issues:
        issues_by_file.setdefault(issue.file_sha256, []).append(issue)
    for arrival, result in zip(arrivals, results, strict=True):
        sha = result.file_sha256
        with warehouse.begin() as session:
            outcome = load_submission(session, arrival.incoming, result, by_file.get(sha, []),
                                      issues_by_file.get(sha, []), run_id, reprocess=reprocess)
        report.outcomes.append((arrival.incoming.original_name, outcome))
        if outcome.changed:
            report.issues.extend(issues_by_file.get(sha, []))
    return report
