"""Validate many files at once, and only when that breaks, one at a time: a defect
that one file triggers in validation costs that file, not its batch."""

from __future__ import annotations

import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from schemas.observation import ReadResult
from warehouse.engine import is_warehouse_down

if TYPE_CHECKING:  # pandas and pandera: imported by whoever validates, when it does
    from schemas.validate import ValidationResult


@dataclass(slots=True)
class Validated:
    groups: list[tuple[list[int], ValidationResult]] = field(default_factory=list)
    failures: list[tuple[int, str]] = field(default_factory=list)  # (position, traceback)


def validate_isolating(results: Sequence[ReadResult],
                       check: Callable[[list[ReadResult]], ValidationResult]) -> Validated:
    """`check` over all `results`; if it raises, over each alone. Positions index
    `results`; a warehouse that is down is re-raised, never blamed on a file."""
    outcome = Validated()
    try:
        outcome.groups.append((list(range(len(results))), check(list(results))))
        return outcome
    except Exception as error:
        if is_warehouse_down(error):
            raise
        if len(results) == 1:
            outcome.failures.append((0, traceback.format_exc()))
            return outcome
    for position, result in enumerate(results):
        single = validate_isolating([result], check)
        outcome.groups.extend(([position], validation) for _, validation in single.groups)
        outcome.failures.extend((position, detail) for _, detail in single.failures)
    return outcome
