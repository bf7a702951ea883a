"""Pick up new or re-dropped files, read and validate them in batches, and load each into
the warehouse in its own transaction, oldest first."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

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


@dataclass(slots=True)
class IngestReport:
    files_seen: int = 0
    files_new: int = 0
    outcomes: list[tuple[str, LoadOutcome]] = field(default_factory=list)
    issues: list[IssueRecord] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(outcome.changed for _, outcome in self.outcomes)


@dataclass(frozen=True, slots=True)
class Arrival:
    incoming: IncomingFile
    display_name: str


def new_arrivals(warehouse: Warehouse, files: Iterable[InboxFile],
                 settings: Settings) -> tuple[list[Arrival], int]:
    """Files whose bytes are new, or were dropped again after they were last loaded.

    An unchanged file costs a stat and a hash. The bytes of every arrival are archived
    before anything else is done with them.
    """
    with warehouse.begin() as session:
        last_loaded = dict(session.execute(
            select(File.sha256, func.max(Submission.received_at))
            .join(Submission, Submission.file_id == File.id).group_by(File.sha256)).all())
    arrivals, seen = [], 0
    for source in files:
        seen += 1
        received = dt.datetime.fromtimestamp(source.path.stat().st_mtime, dt.UTC)
        data = source.path.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        loaded = last_loaded.get(sha)
        if loaded is not None and received <= as_utc(loaded):
            continue
        archived = archive_bytes(settings.archive_dir, sha, source.path.name, data)
        arrivals.append(Arrival(IncomingFile(sha, source.path.name, source.folder, len(data),
                                             received, archived), source.display_name))
    # "Newer" is received later: file time first, then the order we found them in.
    arrivals.sort(key=lambda a: a.incoming.received_at)
    return arrivals, seen


def _chunks(items: Sequence[Arrival], size: int) -> Iterator[Sequence[Arrival]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _only_years(result: ReadResult, years: tuple[int, ...]) -> ReadResult:
    return dataclasses.replace(
        result,
        observations=[o for o in result.observations if o.year in years],
        issues=[i for i in result.issues if i.year is None or i.year in years])


def _read(warehouse: Warehouse, incoming: IncomingFile, folder: str | None) -> ReadResult:
    return read_file(incoming.archived_path, file_name=incoming.original_name, folder=folder,
                     catalogue=warehouse.catalogue, registry=warehouse.registry)


def ingest(warehouse: Warehouse, arrivals: Sequence[Arrival], run_id: int | None,
           settings: Settings, *, department: str | None = None,
           years: tuple[int, ...] | None = None) -> IngestReport:
    """Load the arrivals (of one department only, and only some years, if asked).

    Files are read and validated `settings.batch_size` at a time, so memory does not
    grow with the number of files and pandera's overhead is paid once per batch.
    """
    report = IngestReport(files_new=len(arrivals))
    for chunk in _chunks(arrivals, settings.batch_size):
        results = [_read(warehouse, a.incoming, a.incoming.folder) for a in chunk]
        pairs = [(a, r) for a, r in zip(chunk, results, strict=True)
                 if department is None or r.department == department]
        if years:
            pairs = [(a, _only_years(r, years)) for a, r in pairs]
        _validate_and_load(warehouse, pairs, run_id, report, years)
    return report


def reprocess_department(warehouse: Warehouse, department: str, run_id: int | None,
                         settings: Settings) -> IngestReport:
    """Re-read every archived version of a department, oldest first, and re-apply it in
    place — after a catalogue or rule fix. Running it twice changes nothing more."""
    with warehouse.begin() as session:
        versions = session.execute(
            select(Submission, File).join(File, File.id == Submission.file_id)
            .where(Submission.department_code == department)
            .order_by(Submission.version)).all()
    report = IngestReport(files_new=len(versions))
    for submission, file in versions:
        incoming = IncomingFile(file.sha256, file.original_name, file.folder, file.size,
                                submission.received_at, Path(file.archived_path))
        result = _read(warehouse, incoming, file.folder)
        _validate_and_load(warehouse, [(Arrival(incoming, file.original_name), result)],
                           run_id, report, None, reprocess=submission)
    return report


def _validate_and_load(warehouse: Warehouse, pairs: list[tuple[Arrival, ReadResult]],
                       run_id: int | None, report: IngestReport,
                       years: tuple[int, ...] | None, reprocess: Submission | None = None
                       ) -> None:
    results = [r for _, r in pairs]
    departments = sorted({r.department for r in results if r.department})
    validation = validate(results, warehouse.prior_values(departments),
                          catalogue=warehouse.catalogue, years=years)
    assessments: dict[str, list] = {}
    for assessment in validation.assessments:
        assessments.setdefault(assessment.observation.file_sha256, []).append(assessment)
    issues: dict[str, list[IssueRecord]] = {}
    for issue in validation.issues:
        issues.setdefault(issue.file_sha256, []).append(issue)
    for arrival, result in pairs:
        sha = result.file_sha256
        with warehouse.begin() as session:
            outcome = load_submission(session, arrival.incoming, result,
                                      assessments.get(sha, []), issues.get(sha, []), run_id,
                                      reprocess=reprocess)
        report.outcomes.append((arrival.display_name, outcome))
        if outcome.changed:
            report.issues.extend(issues.get(sha, []))
