"""Try files as a run would — isolated reading, validation — without loading anything:
what `huizong check` shows a clerk who just received a file."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from config import Settings
from pipeline.validation import validate_isolating
from schemas.catalogue import get_catalogue
from schemas.departments import get_registry
from schemas.issue import Issue
from schemas.observation import ReadResult
from schemas.round import get_round
from transforms.inbox import InboxFile, NotARegularFile, read_regular_file
from transforms.sandbox import ReaderPool, ReadFailure, ReadJob

NOT_CHECKED_ZH = "检查这个文件时程序内部出错（不是文件的问题），请把日志发给技术支持。"


@dataclass(slots=True)
class TrialFile:
    item: InboxFile
    result: ReadResult | None = None  # None: not read (a link, a FIFO) or our reader broke
    issues: list[Issue] = field(default_factory=list)
    problem: str = ""  # why there is no result, in Chinese
    detail: str = ""  # the traceback of an internal error


def try_files(items: Sequence[InboxFile], settings: Settings) -> list[TrialFile]:
    trials = [TrialFile(item) for item in items]
    jobs: list[tuple[TrialFile, ReadJob]] = []
    for trial in trials:
        if trial.item.refusal:
            trial.problem = trial.item.refusal
            continue
        try:
            sha = hashlib.sha256(read_regular_file(trial.item.path)).hexdigest()
        except (NotARegularFile, FileNotFoundError):
            trial.problem = NotARegularFile.__doc__ or ""
            continue
        jobs.append((trial, ReadJob(trial.item.path, trial.item.path.name, trial.item.folder,
                                    sha)))
    catalogue = get_catalogue()
    with (ReaderPool(catalogue, get_registry(), settings, get_round().round.years) as pool,
          ThreadPoolExecutor(1) as background):
        reading = background.submit(lambda: list(pool.read([job for _, job in jobs])))
        # Validation needs pandas and pandera (half a second of imports): load them while
        # the workers start and read, not after.
        from schemas.validate import validate

        for position, outcome in reading.result():
            trial = jobs[position][0]
            if isinstance(outcome, ReadFailure):
                trial.problem, trial.detail = NOT_CHECKED_ZH, outcome.detail
            else:
                trial.result = outcome
    read = [(t, t.result) for t in trials if t.result is not None]
    validated = validate_isolating([result for _, result in read], validate)
    for position, detail in validated.failures:
        read[position][0].problem, read[position][0].detail = NOT_CHECKED_ZH, detail
    for positions, validation in validated.groups:
        by_file: dict[str, list[Issue]] = {}
        for issue in validation.issues:
            by_file.setdefault(issue.file_sha256, []).append(issue)
        for position in positions:
            trial, result = read[position]
            trial.issues = by_file.get(result.file_sha256, [])
    return trials
