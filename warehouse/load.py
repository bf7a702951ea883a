"""Load one submission — file row, version, observations, accepted values, issues — in
the caller's transaction, so that either all of it is written or none of it."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from schemas.issue import Issue as IssueRecord
from schemas.observation import UNREADABLE_RULES, ParseStatus, ReadResult
from schemas.round import get_round
from warehouse.bulk import insert_rows, upsert_rows
from warehouse.decisions import Decided, confirmation, impose, taken
from warehouse.models import (
    AcceptedValue,
    File,
    Indicator,
    Issue,
    Observation,
    Submission,
    open_round_id,
    utcnow,
)
from warehouse.rounds import in_open_round
from warehouse.upsert import upsert

if TYPE_CHECKING:  # validation brings pandas; commands that only read must not pay for it
    from schemas.validate import Assessment


@dataclass(frozen=True, slots=True)
class IncomingFile:
    """A file as it arrived: its bytes are already in the archive."""

    sha256: str
    original_name: str
    folder: str | None
    size: int
    received_at: dt.datetime
    archived_path: Path


@dataclass(slots=True)
class LoadOutcome:
    department: str | None
    submission_id: int | None = None
    version: int | None = None
    # unchanged / accepted / partially_accepted / rejected / held (the department's values
    # were approved: the file waits for the office)
    status: str = "unchanged"
    values_accepted: int = 0
    new_issues: list[int] = field(default_factory=list)
    reopened_issues: list[int] = field(default_factory=list)
    resolved_issues: list[int] = field(default_factory=list)
    # Severity of each new or reopened issue, for the run summary.
    new_severities: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.status != "unchanged"


def department_key(result: ReadResult) -> str:
    """Files of an unknown department are kept apart, one key per file."""
    return result.department or f"?{result.file_sha256}"


def current_versions(session: Session) -> set[str]:
    """The sha256 of every department's newest version."""
    newest = (select(Submission.department_key, func.max(Submission.version).label("version"))
              .group_by(Submission.department_key).subquery())
    return set(session.scalars(
        select(File.sha256).join(Submission, Submission.file_id == File.id)
        .join(newest, (newest.c.department_key == Submission.department_key)
              & (newest.c.version == Submission.version))))


IssueIdentity = tuple[str, str, int, str, str]
Cell = tuple[str, int]  # indicator, year


@dataclass(slots=True)
class Shared:
    """What a department's files of one run share, read and written once for all of
    them rather than once per file: their file rows, their new versions (numbered in
    order) with all their observations, the department's issues of the open round (kept
    current in memory as each file is loaded) and, while no decision of the office or
    refused file needs them between two files, their accepted values (applied in order
    in memory); all flushed together at the end (`finish`)."""

    files: dict[str, File]
    versions: list[Submission | None]  # in load order; None: the newest version again
    new_version_ids: list[int]  # the versions whose observations were just copied
    issues: dict[IssueIdentity, Issue]
    values_later: bool
    _observation_ids: dict[int, dict[Cell, int]] | None = None
    # cell -> (a whole row, or only its refusal; the row)
    _values: dict[Cell, tuple[bool, dict[str, Any]]] = field(default_factory=dict)
    # (cell, observation_id or rejected_observation_id) -> the version it comes from: the
    # ids of only the observations still in use at the end are read, not all of them.
    _sources: dict[tuple[Cell, str], int] = field(default_factory=dict)
    _ids_wanted: list[tuple[list[int], Issue]] = field(default_factory=list)

    @classmethod
    def of(cls, session: Session, key: str, files: Sequence[tuple[IncomingFile, ReadResult]],
           assessments: dict[str, list[Assessment]], run_id: int | None,
           decided: Decided) -> Shared:
        known: dict[str, File] = {}
        shas = sorted({incoming.sha256 for incoming, _ in files})
        for start in range(0, len(shas), 500):
            known.update((f.sha256, f) for f in session.scalars(
                select(File).where(File.sha256.in_(shas[start:start + 500]))))
        added = [known.setdefault(incoming.sha256, _new_file(incoming, result))
                 for incoming, result in files if incoming.sha256 not in known]
        session.add_all(added)
        session.flush()
        versions = _new_versions(session, key, files, known, run_id)
        new = {v.id: assessments.get(incoming.sha256, [])
               for (incoming, _), v in zip(files, versions, strict=True) if v is not None}
        _insert_observations(session, new)
        values_later = not decided.values and all(r.readable for _, r in files)
        versions.reverse()  # taken from the end, in load order
        return cls(known, versions, list(new), _issues_of(session, key), values_later)

    def observation_ids(self, session: Session, submission_id: int) -> dict[Cell, int]:
        """A new version's observation ids, read for all the new versions at the first
        need."""
        if self._observation_ids is None:
            self._observation_ids = _observation_ids(session, self.new_version_ids)
        return self._observation_ids[submission_id]

    def later(self, ids: list[int], issue: Issue) -> None:
        """Append the issue's id to `ids` once it has one."""
        if issue.id is not None:
            ids.append(issue.id)
        else:
            self._ids_wanted.append((ids, issue))

    def apply(self, submission_id: int, accepted: list[dict[str, Any]],
              rejected: list[dict[str, Any]]) -> None:
        """A file's accepted and refused cells (their observation ids still to be read)
        over those of the files before it: a refused cell keeps the value before it and
        only notes the refusal."""
        for row in accepted:
            cell = (row["indicator_code"], row["year"])
            self._values[cell] = (True, row)
            self._sources[(cell, "observation_id")] = submission_id
            self._sources.pop((cell, "rejected_observation_id"), None)
        for row in rejected:
            cell = (row["indicator_code"], row["year"])
            if cell in self._values:
                self._values[cell][1]["updated_at"] = row["updated_at"]
            else:
                self._values[cell] = (False, row)
            self._sources[(cell, "rejected_observation_id")] = submission_id

    def finish(self, session: Session) -> None:
        session.flush()
        for ids, issue in self._ids_wanted:
            ids.append(issue.id)
        self._ids_wanted.clear()
        ids = _observation_ids(session, sorted(set(self._sources.values())))
        for (cell, column), submission_id in self._sources.items():
            self._values[cell][1][column] = ids[submission_id][cell]
        self._sources.clear()
        keys = ["indicator_code", "year"]
        upsert_rows(session, AcceptedValue, [r for whole, r in self._values.values() if whole],
                    keys)
        upsert_rows(session, AcceptedValue,
                    [r for whole, r in self._values.values() if not whole], keys,
                    update=["rejected_observation_id", "updated_at"])
        self._values.clear()


def _observation_row(submission_id: int, a: Assessment) -> dict[str, Any]:
    return {"submission_id": submission_id, "indicator_code": a.observation.indicator_code,
            "year": a.observation.year, "value": a.observation.value,
            "raw_value": a.observation.raw_value,
            "parse_status": a.observation.parse_status.value, "note": a.observation.note,
            "sheet": a.observation.sheet, "cell": a.observation.cell, "accepted": a.accepted,
            "flagged": a.flagged}


def _observation_rows(new: dict[int, Sequence[Assessment]]) -> list[dict[str, Any]]:
    """The versions' observations; a cell read twice (a row repeated) is written once, as
    its last reading: one statement may not touch a row twice."""
    return [row for submission_id, assessments in new.items()
            for row in {(a.observation.indicator_code, a.observation.year):
                        _observation_row(submission_id, a) for a in assessments}.values()]


def _insert_observations(session: Session, new: dict[int, Sequence[Assessment]]) -> None:
    """The observations of new versions (which have none yet)."""
    insert_rows(session, Observation, _observation_rows(new))


def _observation_ids(session: Session, submissions: Sequence[int]
                     ) -> dict[int, dict[Cell, int]]:
    ids: dict[int, dict[Cell, int]] = {submission_id: {} for submission_id in submissions}
    for start in range(0, len(submissions), 500):
        for submission_id, code, year, id_ in session.execute(
                select(Observation.submission_id, Observation.indicator_code,
                       Observation.year, Observation.id)
                .where(Observation.submission_id.in_(submissions[start:start + 500]))):
            ids[submission_id][(code, year)] = id_
    return ids


def _new_versions(session: Session, key: str,
                  files: Sequence[tuple[IncomingFile, ReadResult]], known: dict[str, File],
                  run_id: int | None) -> list[Submission | None]:
    """A version for each file, numbered in order (None: the newest version again),
    written in one go and read back as the session's objects: a multi-row INSERT of a
    thousand versions costs PostgreSQL a quarter of a second to parse, COPY a tenth of
    that."""
    latest = _latest(session, key)
    before, newest_file = (latest.version, latest.file_id) if latest else (0, None)
    number = before
    # Read once: as the column's default it would be a subquery in every row.
    round_id = session.scalar(select(open_round_id()))
    rows: list[dict[str, Any]] = []
    for incoming, result in files:
        file_id = known[incoming.sha256].id
        if file_id == newest_file:
            rows.append({})
            continue
        number, newest_file = number + 1, file_id
        rows.append({"round_id": round_id, "department_key": key,
                     "department_code": result.department, "file_id": file_id,
                     "run_id": run_id, "version": number, "status": "loading",
                     "received_at": incoming.received_at})
    insert_rows(session, Submission, [row for row in rows if row])
    written = {v.version: v for v in session.scalars(select(Submission).where(
        Submission.department_key == key, Submission.version > before))}
    return [written[row["version"]] if row else None for row in rows]


def _latest(session: Session, key: str) -> Submission | None:
    return session.scalars(
        select(Submission).where(Submission.department_key == key)
        .order_by(Submission.version.desc()).limit(1)).first()


def _issues_of(session: Session, key: str) -> dict[IssueIdentity, Issue]:
    return {_identity_of(i): i for i in session.scalars(
        select(Issue).where(Issue.department_key == key, in_open_round(Issue.round_id)))}


def load_submission(session: Session, incoming: IncomingFile, result: ReadResult,
                    assessments: Sequence[Assessment], issues: Sequence[IssueRecord],
                    run_id: int | None, *, reprocess: Submission | None = None,
                    retire: bool = True, decided: Decided | None = None,
                    shared: Shared | None = None) -> LoadOutcome:
    """Load a new version, or with `reprocess` re-apply an archived version in place
    (after a catalogue or rule fix): the same input gives the same rows. `retire=False`
    leaves superseding the older versions to the caller (`retire_unused` once after a
    department's files of a run: per file it costs a query over every earlier version);
    `decided`, the department's decisions, and `shared` (`Shared.of` the department's
    files, called in the same order), read once for all its files of a run."""
    outcome = LoadOutcome(result.department)
    key = department_key(result)
    alone = shared is None and reprocess is None
    decided = decided or Decided.of(session, result.department)
    if reprocess is not None:
        file = _file_row(session, incoming, result)
        # The caller's copy may come from an earlier session: this one's is written.
        submission = session.get(Submission, reprocess.id) or reprocess
    else:
        shared = shared or Shared.of(session, key, [(incoming, result)],
                                     {incoming.sha256: list(assessments)}, run_id, decided)
        file, planned = shared.files[incoming.sha256], shared.versions.pop()
        if planned is None:
            return outcome  # the newest version again: nothing to do
        submission = planned

    observation_ids = None if shared is not None else \
        _write_observations(session, submission.id, assessments)
    if decided.holds(file.id) and (
            reprocess is None or submission.status == "held"):
        submission.status, submission.values_total = "held", len(assessments)
        submission.loaded_at = utcnow()
        outcome.submission_id, outcome.version = submission.id, submission.version
        outcome.status = submission.status
        return outcome
    confirmed = decided.confirmed
    outcome.values_accepted = _apply_accepted_values(session, result, assessments, submission.id,
                                                     observation_ids, confirmed, shared)
    _write_issues(session, key, file, submission, result, issues, outcome, confirmed,
                  shared)
    for issue in impose(session, result.department, decided):
        outcome.new_issues.append(issue.id)
        outcome.new_severities.append(issue.severity)

    errors = sum(1 for i in issues if i.severity == "error")
    warnings = sum(1 for i in issues if i.severity == "warning")
    submitted = sum(1 for a in assessments
                    if a.observation.parse_status != ParseStatus.BLANK)
    if outcome.values_accepted == 0 and (submitted or errors):
        submission.status = "rejected"
    else:
        submission.status = "partially_accepted" if errors else "accepted"
    submission.values_total = len(assessments)
    submission.values_accepted = outcome.values_accepted
    submission.errors, submission.warnings = errors, warnings
    submission.loaded_at = utcnow()
    if alone and shared is not None:
        shared.finish(session)
    if retire:
        retire_unused(session, key, submission.id)
    outcome.submission_id, outcome.version = submission.id, submission.version
    outcome.status = submission.status
    return outcome


def retire_unused(session: Session, key: str, newest_id: int) -> None:
    """A department's submission is the set of its files still in use: an older version
    is superseded only once none of its values is taken (or pending) and none of its
    problems is open — a second file holding other indicators does not replace the first.
    A refused file was never used: it stays 未采用."""
    earlier = list(session.scalars(select(Submission).where(
        Submission.department_key == key, Submission.id != newest_id,
        in_open_round(Submission.round_id),
        Submission.status.in_(("accepted", "partially_accepted")))))
    if not earlier:
        return
    ids = [s.id for s in earlier]
    backing = set(session.scalars(select(Observation.submission_id).where(
        Observation.submission_id.in_(ids),
        Observation.id.in_(select(AcceptedValue.observation_id))
        | Observation.id.in_(select(AcceptedValue.rejected_observation_id)))))
    open_files = set(session.scalars(select(Issue.file_id).where(
        Issue.department_key == key, Issue.state.in_(("open", "explained")),
        in_open_round(Issue.round_id))))
    for version in earlier:
        if version.id not in backing and version.file_id not in open_files:
            version.status = "superseded"


def _new_file(incoming: IncomingFile, result: ReadResult) -> File:
    return File(sha256=incoming.sha256, original_name=incoming.original_name,
                folder=incoming.folder, size=incoming.size,
                file_format=result.file_format or "unknown",
                received_at=incoming.received_at, archived_path=str(incoming.archived_path))


def _file_row(session: Session, incoming: IncomingFile, result: ReadResult) -> File:
    file = session.scalars(select(File).where(File.sha256 == incoming.sha256)).first()
    if file is None:
        file = _new_file(incoming, result)
        session.add(file)
        session.flush()
    return file


def _write_observations(session: Session, submission_id: int,
                        assessments: Sequence[Assessment]) -> dict[tuple[str, int], int]:
    written = upsert(session, Observation, _observation_rows({submission_id: assessments}),
                     keys=["submission_id", "indicator_code", "year"],
                     returning=("indicator_code", "year", "id"))
    return {(code, year): id_ for code, year, id_ in written}


def _apply_accepted_values(session: Session, result: ReadResult,
                           assessments: Sequence[Assessment], submission_id: int,
                           observation_ids: dict[Cell, int] | None,
                           confirmed: dict[Cell, tuple[str, str]],
                           shared: Shared | None) -> int:
    """A newer version replaces what it contains; its failed cells leave the old value in
    place and only mark it pending. A warned value the office confirmed keeps its
    confirmation while it is sent unchanged."""
    if result.department is None:
        return 0
    accepted, rejected = [], []
    now = utcnow()
    for a in assessments:
        o = a.observation
        row = {"indicator_code": o.indicator_code, "year": o.year,
               "department_code": result.department, "updated_at": now,
               "observation_id": None, "rejected_observation_id": None, "decision_id": None}
        if a.accepted:
            raw, reason = confirmed.get((o.indicator_code, o.year), (None, ""))
            explanation = confirmation(reason) if raw == o.raw_value else o.note
            accepted.append({**row, "value": o.value,
                             "not_applicable": o.parse_status == ParseStatus.NOT_APPLICABLE,
                             "flagged": a.flagged, "explanation": explanation if a.flagged else ""})
        elif o.parse_status != ParseStatus.BLANK:
            rejected.append({**row, "value": None, "not_applicable": False, "flagged": False,
                             "explanation": ""})
    if shared is not None and shared.values_later:
        shared.apply(submission_id, accepted, rejected)
        return len(accepted)
    if observation_ids is None and shared is not None:
        observation_ids = shared.observation_ids(session, submission_id)
    assert observation_ids is not None
    for column, rows in (("observation_id", accepted), ("rejected_observation_id", rejected)):
        for row in rows:
            row[column] = observation_ids[(row["indicator_code"], row["year"])]
    keys = ["indicator_code", "year"]
    upsert(session, AcceptedValue, accepted, keys=keys)
    upsert(session, AcceptedValue, rejected, keys=keys,
           update=["rejected_observation_id", "updated_at"])
    return len(accepted)


def _issue_identity(issue: IssueRecord, key: str) -> tuple[str, str, int, str, str]:
    """Cell-level problems are one issue across versions; file-level ones belong to a file,
    and to their cell when they have one: two unrecognised rows are two issues."""
    cell_level = bool(issue.indicator_code) and issue.year is not None
    if cell_level:
        scope = ""
    elif issue.cell:
        scope = hashlib.sha256(
            f"{issue.file_sha256}|{issue.sheet}!{issue.cell}".encode()).hexdigest()
    else:
        scope = issue.file_sha256
    return (key, issue.indicator_code, issue.year or 0, issue.rule, scope)


def _file_name(session: Session, file_id: int | None) -> str | None:
    file = session.get(File, file_id) if file_id is not None else None
    return file.original_name if file else None


def _owes_nothing(session: Session, department: str | None) -> bool:
    """Every indicator the department owes has an accepted value for every year."""
    if department is None:
        return False
    owned = session.scalar(select(func.count()).select_from(Indicator)
                           .where(Indicator.department_code == department)) or 0
    years = get_round().round.years
    accepted = session.scalar(select(func.count()).select_from(AcceptedValue).where(
        AcceptedValue.department_code == department, AcceptedValue.year.in_(years),
        taken())) or 0
    return owned > 0 and accepted >= owned * len(years)


def _write_issues(session: Session, key: str, file: File, submission: Submission,
                  result: ReadResult, issues: Sequence[IssueRecord],
                  outcome: LoadOutcome,
                  confirmed: dict[tuple[str, int], tuple[str, str]],
                  shared: Shared | None) -> None:
    incoming_name = file.original_name
    existing = shared.issues if shared is not None else _issues_of(session, key)
    now = utcnow()
    seen = set()
    created: list[tuple[Issue, str]] = []
    # A refused file of a department that owes nothing more is no problem to fix (as if
    # it had arrived before the file that made it complete); its mail still names it.
    covered_already = not result.readable and _owes_nothing(session, result.department)
    for record in issues:
        identity = _issue_identity(record, key)
        if identity in seen:
            continue
        seen.add(identity)
        state = "explained" if record.explained else "open"
        explanation = record.explanation
        raw, reason = confirmed.get((identity[1], identity[2]), (None, ""))
        if record.severity == "warning" and raw == record.raw_value:
            state, explanation = "explained", confirmation(reason)  # the office confirmed it
        settled = covered_already and record.rule in UNREADABLE_RULES
        fields = {
            "severity": record.severity, "state": state, "message_zh": record.message_zh,
            "explanation": explanation, "raw_value": record.raw_value,
            "sheet": record.sheet, "cell": record.cell, "cells": "、".join(record.cells),
            "file_id": file.id, "last_submission_id": submission.id, "last_seen": now,
            "resolved_at": None, "resolved_by_submission_id": None,
        }
        if settled:
            fields.update(state="resolved", resolved_at=now,
                          resolved_by_submission_id=submission.id)
        issue = existing.get(identity)
        if issue is None:
            created.append((Issue(department_key=key, department_code=result.department,
                                  indicator_code=identity[1], year=identity[2], rule=identity[3],
                                  scope=identity[4], first_submission_id=submission.id,
                                  first_seen=now, **fields), record.severity))
            continue
        if issue.state in ("resolved", "closed") and not settled:
            _id_of(issue, outcome.reopened_issues, shared)
            outcome.new_severities.append(record.severity)
        for name, value in fields.items():
            setattr(issue, name, value)
    # One INSERT for all new issues of the file (of the department's files, when shared),
    # not a round trip each.
    session.add_all([issue for issue, _ in created])
    if shared is None:
        session.flush()
    for issue, severity in created:
        if shared is not None:
            existing[_identity_of(issue)] = issue
        if issue.state == "resolved":
            continue  # settled at once: nothing for anyone to fix
        _id_of(issue, outcome.new_issues, shared)
        outcome.new_severities.append(severity)

    covered = {(o.indicator_code, o.year) for o in result.observations}
    for identity, issue in list(existing.items()):
        if identity in seen or issue.state in ("resolved", "closed"):
            continue
        fixed_here = (issue.indicator_code, issue.year) in covered
        older_file = issue.scope != "" and issue.file_id != file.id
        if older_file and issue.rule in UNREADABLE_RULES:
            # A refused file stays a problem until it is itself replaced, or nothing it
            # could have held is owed any more: three broken files are three issues.
            older_file = (result.readable and _file_name(session, issue.file_id)
                          == incoming_name) or _owes_nothing(session, result.department)
        if fixed_here or older_file:
            issue.state = "resolved"
            issue.resolved_at = now
            issue.resolved_by_submission_id = submission.id
            _id_of(issue, outcome.resolved_issues, shared)


def _identity_of(issue: Issue) -> IssueIdentity:
    return (issue.department_key, issue.indicator_code, issue.year, issue.rule, issue.scope)


def _id_of(issue: Issue, ids: list[int], shared: Shared | None) -> None:
    if shared is None:
        ids.append(issue.id)
    else:
        shared.later(ids, issue)


def prior_values(session: Session, departments: Sequence[str]
                 ) -> dict[tuple[str, str, int], float | None]:
    """The accepted values of these departments, as validation's `prior`."""
    rows = session.execute(
        select(AcceptedValue.department_code, AcceptedValue.indicator_code, AcceptedValue.year,
               AcceptedValue.value)
        .where(AcceptedValue.department_code.in_(list(departments)), taken()))
    return {(d, c, y): v for d, c, y, v in rows}
