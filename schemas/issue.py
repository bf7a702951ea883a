"""The issue record every stage speaks: the reader's file notes, validation failures."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning", "info"]
# A file's value the office's record held back, waiting for its decision: it disagreed
# with the office's entry, or revised a past year accepted in an earlier round.
ENTRY_DIFFERS_RULE, REVISION_RULE = "entry_differs", "revision"
HELD_BACK_RULES = (ENTRY_DIFFERS_RULE, REVISION_RULE)
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True, slots=True)
class Issue:
    department: str | None
    file: str
    file_sha256: str
    sheet: str
    cell: str
    indicator_code: str
    year: int | None
    raw_value: str
    rule: str
    severity: Severity
    message_zh: str
    # Every cell the rule looked at, for cross-indicator rules (`填报表!E7`, …).
    cells: tuple[str, ...] = ()
    # The department's explanation from the row's 备注; only a warning can be explained.
    explanation: str = ""

    @property
    def identity(self) -> tuple[str | None, str, int | None, str]:
        """Stable across versions, so a later submission can resolve the issue."""
        return (self.department, self.indicator_code, self.year, self.rule)

    @property
    def explained(self) -> bool:
        return self.severity == "warning" and bool(self.explanation)

    @property
    def place(self) -> str:
        return f"{self.sheet}!{self.cell}" if self.cell else ""
