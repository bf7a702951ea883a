"""The observation record: what the reader produces and validation and loading consume.

It sits in schemas/ so that every layer above (transforms, validation, warehouse) points
down to it; nothing here imports a stage."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

Severity = Literal["error", "warning", "info"]


class ParseStatus(StrEnum):
    NUMBER = "number"
    APPROXIMATE = "approximate"  # 约300, 300余, 300多: value kept, flagged
    NOT_APPLICABLE = "not_applicable"  # —, /, 无, 不适用: submitted, distinct from 0
    BLANK = "blank"  # nothing typed: not submitted
    UNPARSED = "unparsed"  # anything else; the raw text is kept for the message


@dataclass(frozen=True, slots=True)
class Observation:
    department: str | None
    indicator_code: str
    year: int
    value: float | None  # in the indicator's base unit
    raw_value: str
    parse_status: ParseStatus
    note: str
    file_sha256: str
    sheet: str
    cell: str


@dataclass(frozen=True, slots=True)
class FileIssue:
    """A problem or note about the file as a whole, or a row the reader could not use."""

    severity: Severity
    rule: str
    message_zh: str
    sheet: str = ""
    cell: str = ""
    indicator_code: str = ""
    year: int | None = None
    raw_value: str = ""
    # Every cell the issue is about, when it is more than its own (`Sheet1!E7`, …).
    cells: tuple[str, ...] = ()

    @property
    def places(self) -> tuple[str, ...]:
        if self.cells:
            return self.cells
        return (f"{self.sheet}!{self.cell}",) if self.cell else ()


@dataclass(slots=True)
class ReadResult:
    file_name: str
    file_sha256: str
    file_format: str = ""
    department: str | None = None
    observations: list[Observation] = field(default_factory=list)
    issues: list[FileIssue] = field(default_factory=list)

    @property
    def readable(self) -> bool:
        return not any(i.rule in UNREADABLE_RULES for i in self.issues)


# Rules after which nothing of the file could be read.
UNREADABLE_RULES = frozenset({
    "file_empty", "file_too_large", "file_corrupt", "file_encrypted", "file_not_spreadsheet",
    "file_unsupported_format", "zip_bomb", "xml_entities", "sheet_too_large", "no_table",
    "workbook_empty", "file_unreadable",
})
