"""Pick up new or re-dropped files, read them in isolated worker processes, validate them
in batches, and load each into the warehouse in its own transaction, oldest first.

A fault in one file costs that file: an exception of ours while reading, validating or
loading it becomes an `internal_error` record for the office (the traceback goes to the
log), its savepoint rolls back, the others go on, and the next run retries it. Only a
warehouse that cannot be reached stops the run. A department's files of one run are
committed together, so a run killed half-way leaves each department as it was or done.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import logging
import os
import traceback
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from config import Settings
from pipeline.file_hashes import FileHashes
from pipeline.validation import validate_isolating
from schemas.issue import Issue as IssueRecord
from schemas.labels import PROBLEM_STAGE_ZH
from schemas.observation import ReadResult
from transforms.inbox import InboxFile, NotARegularFile, read_regular_file
from transforms.sandbox import ReaderPool, ReadFailure, ReadJob
from warehouse.archive import archive_bytes, make_durable
from warehouse.decisions import Decided
from warehouse.engine import is_warehouse_down
from warehouse.load import (
    IncomingFile,
    LoadOutcome,
    Shared,
    current_versions,
    department_key,
    load_submission,
    retire_unused,
)
from warehouse.models import File, Submission, as_utc
from warehouse.problems import record_problem, resolve_inbox_problems_except, resolve_problems
from warehouse.rounds import in_open_round
from warehouse.store import Warehouse

log = logging.getLogger(__name__)
INTERNAL_ERROR_ZH = ("处理这个文件时程序内部出错（不是报送单位的问题），已跳过，"
                     "下次运行会自动重试；如反复出现，请把日志发给技术支持。")


@dataclass(frozen=True, slots=True)
class FileFailure:
    """A file skipped because of a defect of ours, for the run summary."""

    display_name: str
    stage: str  # read / validate / load


@dataclass(slots=True)
class IngestReport:
    files_seen: int = 0
    files_new: int = 0
    outcomes: list[tuple[str, LoadOutcome]] = field(default_factory=list)
    issues: list[IssueRecord] = field(default_factory=list)
    failures: list[FileFailure] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(outcome.changed for _, outcome in self.outcomes)


@dataclass(frozen=True, slots=True)
class Arrival:
    incoming: IncomingFile
    display_name: str


@dataclass(frozen=True, slots=True)
class _KnownBytes:
    """What the warehouse already holds, to tell new bytes from known ones."""

    last_loaded: dict[str, dt.datetime]
    current: set[str]

    @classmethod
    def of(cls, warehouse: Warehouse) -> _KnownBytes:
        with warehouse.begin() as session:
            last_loaded = dict(session.execute(
                select(File.sha256, func.max(Submission.received_at))
                .join(Submission, Submission.file_id == File.id).group_by(File.sha256)).all())
            return cls(last_loaded, current_versions(session))

    def nothing_new(self, sha: str, received: dt.datetime) -> bool:
        """The bytes of a department's current version, under any name or date, say
        nothing new; older bytes dropped again become the newest version."""
        loaded = self.last_loaded.get(sha)
        return sha in self.current or (loaded is not None and received <= as_utc(loaded))


def _hashes(settings: Settings) -> FileHashes:
    return FileHashes(settings.var_dir / "inbox_hashes.json")


def new_arrivals(warehouse: Warehouse, files: Iterable[InboxFile],
                 settings: Settings, run_id: int | None = None) -> tuple[list[Arrival], int]:
    """Files whose bytes are new, or an older version's bytes dropped again.

    An unchanged file costs a stat (its hash is remembered, see file_hashes), a copy of
    a current version under another name a hash. The bytes of every arrival are archived
    before anything else is done with them. Links and special files are recorded for the
    office and never opened.
    """
    files = list(files)
    known, hashes = _KnownBytes.of(warehouse), _hashes(settings)
    arrivals: list[Arrival] = []
    refused: list[InboxFile] = []
    for source, status, received, unchanged in _looked_at(files, known, hashes, refused):
        if unchanged:
            continue
        try:
            data = read_regular_file(source.path)
        except FileNotFoundError:
            continue  # removed between listing and reading: nothing arrived
        except NotARegularFile:
            refused.append(dataclasses.replace(
                source, refusal=NotARegularFile.__doc__, refusal_kind="not_regular_file"))
            continue
        sha = hashlib.sha256(data).hexdigest()
        hashes.put(source.path, status, sha)
        if known.nothing_new(sha, received):
            continue
        archived = archive_bytes(settings.archive_dir, sha, source.path.name, data)
        arrivals.append(Arrival(IncomingFile(sha, source.path.name, source.folder, len(data),
                                             received, archived), source.display_name))
    if arrivals:
        make_durable()
    hashes.save()
    record_refusals(warehouse, refused, run_id)
    # "Newer" is received later: file time first, then the order we found them in.
    arrivals.sort(key=lambda a: a.incoming.received_at)
    return arrivals, len(files)


def _looked_at(files: list[InboxFile], known: _KnownBytes, hashes: FileHashes,
               refused: list[InboxFile]
               ) -> Iterator[tuple[InboxFile, os.stat_result, dt.datetime, bool]]:
    """Each file with its stat, the time it was received and whether its remembered hash
    says it holds nothing new; entries refused go to `refused`, files gone are skipped."""
    for source in files:
        if source.refusal is not None:
            refused.append(source)
            continue
        try:
            status = source.path.lstat()
        except FileNotFoundError:
            continue
        received = dt.datetime.fromtimestamp(status.st_mtime, dt.UTC)
        remembered = hashes.get(source.path, status)
        yield source, status, received, (remembered is not None
                                         and known.nothing_new(remembered, received))


def known_inbox(warehouse: Warehouse, files: Iterable[InboxFile],
                settings: Settings) -> tuple[int, list[InboxFile]] | None:
    """(files seen, entries refused) when every file is known by its remembered hash and
    none is new, so that a run would load nothing; None as soon as one must be read."""
    files = list(files)
    refused: list[InboxFile] = []
    looked = _looked_at(files, _KnownBytes.of(warehouse), _hashes(settings), refused)
    if not all(unchanged for *_, unchanged in looked):
        return None
    return len(files), refused


def record_refusals(warehouse: Warehouse, refused: list[InboxFile],
                    run_id: int | None) -> None:
    keys = [f"path:{item.display_name}" for item in refused]
    with warehouse.begin() as session:
        for key, item in zip(keys, refused, strict=True):
            record_problem(session, key=key, kind=item.refusal_kind, stage="inbox",
                           file_name=item.display_name, message_zh=item.refusal or "",
                           run_id=run_id)
        resolve_inbox_problems_except(session, keys)


def _only_years(result: ReadResult, years: tuple[int, ...]) -> ReadResult:
    return dataclasses.replace(
        result,
        observations=[o for o in result.observations if o.year in years],
        issues=[i for i in result.issues if i.year is None or i.year in years])


def _job(incoming: IncomingFile) -> ReadJob:
    return ReadJob(incoming.archived_path, incoming.original_name, incoming.folder,
                   incoming.sha256)


def _pool(warehouse: Warehouse, settings: Settings) -> ReaderPool:
    return ReaderPool(warehouse.catalogue, warehouse.registry, settings, warehouse.years)


Pair = tuple[Arrival, ReadResult]


def ingest(warehouse: Warehouse, arrivals: Sequence[Arrival], run_id: int | None,
           settings: Settings, *, department: str | None = None,
           years: tuple[int, ...] | None = None) -> IngestReport:
    """Load the arrivals (of one department only, and only some years, if asked).

    Every file is read first (in parallel, isolated); then the files are validated
    `settings.batch_size` at a time, a department's files always in the same batch so
    that two files of one department contradicting each other are seen.
    """
    report = IngestReport(files_new=len(arrivals))
    pairs: list[Pair] = []
    with _pool(warehouse, settings) as pool:
        outcomes = dict(pool.read([_job(a.incoming) for a in arrivals]))
    for position, arrival in enumerate(arrivals):
        outcome = outcomes[position]
        if isinstance(outcome, ReadFailure):
            _failed(warehouse, report, arrival, "read", outcome.detail, run_id)
        elif department is None or outcome.department == department:
            pairs.append((arrival, _only_years(outcome, years) if years else outcome))
    for batch in _batches(pairs, settings.batch_size):
        _validate_and_load(warehouse, batch, run_id, report, years)
    return report


def _batches(pairs: list[Pair], size: int) -> Iterator[list[Pair]]:
    """Batches of about `size` files that never split a department, oldest first inside."""
    by_department: dict[str, list[Pair]] = {}
    for pair in pairs:
        by_department.setdefault(department_key(pair[1]), []).append(pair)
    batch: list[Pair] = []
    for group in by_department.values():
        if batch and len(batch) + len(group) > size:
            yield sorted(batch, key=lambda p: p[0].incoming.received_at)
            batch = []
        batch.extend(group)
    if batch:
        yield sorted(batch, key=lambda p: p[0].incoming.received_at)


def reprocess_department(warehouse: Warehouse, department: str, run_id: int | None,
                         settings: Settings) -> IngestReport:
    """Re-read every archived version of a department, oldest first, and re-apply it in
    place — after a catalogue or rule fix. Running it twice changes nothing more."""
    with warehouse.begin() as session:
        versions = session.execute(
            select(Submission, File).join(File, File.id == Submission.file_id)
            .where(Submission.department_code == department,
                   in_open_round(Submission.round_id))
            .order_by(Submission.version)).all()
    return reapply(warehouse, [(s, f) for s, f in versions], run_id, settings)


def reapply(warehouse: Warehouse, versions: Sequence[tuple[Submission, File]],
            run_id: int | None, settings: Settings) -> IngestReport:
    """Read archived versions again and apply each in place, one at a time, in order."""
    report = IngestReport(files_new=len(versions))
    incoming = [IncomingFile(file.sha256, file.original_name, file.folder, file.size,
                             submission.received_at, Path(file.archived_path))
                for submission, file in versions]
    with _pool(warehouse, settings) as pool:
        outcomes = dict(pool.read([_job(i) for i in incoming]))
    for position, (submission, file) in enumerate(versions):
        arrival, outcome = Arrival(incoming[position], file.original_name), outcomes[position]
        if isinstance(outcome, ReadFailure):
            _failed(warehouse, report, arrival, "read", outcome.detail, run_id)
            continue
        _validate_and_load(warehouse, [(arrival, outcome)], run_id, report, None,
                           reprocess=submission)
    return report


def _failed(warehouse: Warehouse, report: IngestReport, arrival: Arrival, stage: str,
            detail: str, run_id: int | None) -> None:
    incoming = arrival.incoming
    log.error("文件 %s（sha256 %s）在%s阶段出错，已跳过：\n%s", arrival.display_name,
              incoming.sha256, PROBLEM_STAGE_ZH[stage], detail)
    with warehouse.begin() as session:
        record_problem(session, key=incoming.sha256, kind="internal_error", stage=stage,
                       file_name=arrival.display_name, message_zh=INTERNAL_ERROR_ZH,
                       detail=detail, run_id=run_id)
    report.failures.append(FileFailure(arrival.display_name, stage))


def _validate_and_load(warehouse: Warehouse, pairs: list[Pair], run_id: int | None,
                       report: IngestReport, years: tuple[int, ...] | None,
                       reprocess: Submission | None = None) -> None:
    # pandas and pandera: only for a run that has files to validate.
    from schemas.validate import ValidationResult, validate

    def check(results: list[ReadResult]) -> ValidationResult:
        departments = sorted({r.department for r in results if r.department})
        return validate(results, warehouse.prior_values(departments),
                        catalogue=warehouse.catalogue, years=years)

    validated = validate_isolating([r for _, r in pairs], check)
    for position, detail in validated.failures:
        _failed(warehouse, report, pairs[position][0], "validate", detail, run_id)
    for positions, validation in validated.groups:
        batch = [pairs[p] for p in positions]
        assessments, issues = validation.by_file()
        for group in _by_department(batch):
            _load_department(warehouse, group, assessments, issues, run_id, report, reprocess)


def _by_department(batch: list[Pair]) -> list[list[Pair]]:
    groups: dict[str, list[Pair]] = {}
    for pair in batch:
        groups.setdefault(department_key(pair[1]), []).append(pair)
    return list(groups.values())


def _load_department(warehouse: Warehouse, group: list[Pair], assessments: dict[str, list],
                     issues: dict[str, list[IssueRecord]], run_id: int | None,
                     report: IngestReport, reprocess: Submission | None) -> None:
    """A department's files of one run were judged together (they may contradict each
    other), so they are committed together: a run killed half-way leaves all or none of
    them, and the next run judges the same set again.

    They are loaded without savepoints first: on PostgreSQL, more than 64 savepoints
    in one transaction make every later statement of it slower (the subtransaction
    cache overflows), and a department may send hundreds of files. Only if that raises
    is the group loaded again with a savepoint per file, so that an exception of ours
    while loading one file costs that file only."""
    key = department_key(group[0][1])  # the group is one department's (one key)

    def load(isolate: bool) -> tuple[list[tuple[Arrival, str, LoadOutcome]],
                                     list[tuple[Arrival, str]]]:
        loaded, broken = [], []
        with warehouse.begin() as session:
            decided = Decided.of(session, group[0][1].department)
            # Isolated, each file reads and writes its own rows inside its savepoint.
            shared = None if isolate or reprocess is not None else Shared.of(
                session, key, [(arrival.incoming, result) for arrival, result in group],
                assessments, run_id, decided)
            for arrival, result in group:
                sha = result.file_sha256
                try:
                    with session.begin_nested() if isolate else contextlib.nullcontext():
                        outcome = load_submission(session, arrival.incoming, result,
                                                  assessments.get(sha, []),
                                                  issues.get(sha, []), run_id,
                                                  reprocess=reprocess, retire=False,
                                                  decided=decided, shared=shared)
                except Exception as error:
                    if not isolate or is_warehouse_down(error):
                        raise
                    broken.append((arrival, traceback.format_exc()))
                    continue
                loaded.append((arrival, sha, outcome))
            if shared is not None:
                shared.finish(session)
            newest = [outcome.submission_id for _, _, outcome in loaded
                      if outcome.submission_id is not None
                      and outcome.status not in ("held", "unchanged")]
            if newest:
                retire_unused(session, key, newest[-1])
            resolve_problems(session, [sha for _, sha, _ in loaded])
        return loaded, broken

    try:
        loaded, broken = load(isolate=False)
    except Exception as error:
        if is_warehouse_down(error):
            raise
        loaded, broken = load(isolate=True)
    for arrival, detail in broken:
        _failed(warehouse, report, arrival, "load", detail, run_id)
    for arrival, sha, outcome in loaded:
        report.outcomes.append((arrival.display_name, outcome))
        if outcome.changed:
            report.issues.extend(issues.get(sha, []))
