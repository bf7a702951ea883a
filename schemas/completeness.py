"""Which expected indicators each department still owes, per year of the round."""

from __future__ import annotations

from collections.abc import Iterable

from schemas.catalogue import Catalogue


def missing_indicators(
    submitted: Iterable[tuple[str, str, int]],
    departments: Iterable[str],
    catalogue: Catalogue,
    years: tuple[int, ...],
) -> dict[str, dict[int, list[str]]]:
    """{department: {year: [indicator codes]}} of what has neither a value nor `不适用`.

    `submitted` holds (department, indicator code, year) of every accepted value,
    不适用 included: not applicable counts as submitted.
    """
    have = set(submitted)
    return {
        department: {
            year: [i.code for i in catalogue.owned_by(department)
                   if (department, i.code, year) not in have]
            for year in years
        }
        for department in departments
    }
