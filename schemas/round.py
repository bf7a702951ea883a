"""Round and report parameters (`data/round.yaml`): the city, the years of the round,
its deadline and reminder schedule, and the non-figure values of the report."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.office_files import SHIPPED, office_file
from schemas.yaml_file import validated

ROUND_FILE = SHIPPED["round.yaml"]


class Round(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    report_year: int
    first_year: int
    last_year: int
    deadline: dt.date
    remind_days_before: tuple[int, ...] = ()
    overdue_every_days: int = Field(default=2, gt=0)
    resend_after_days: int = Field(default=7, gt=0)

    @model_validator(mode="after")
    def _years_in_order(self) -> Round:
        if not self.first_year <= self.last_year < self.report_year:
            raise ValueError("年度须满足 first_year ≤ last_year < report_year")
        return self

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(range(self.first_year, self.last_year + 1))


class RoundParameters(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    city: str = Field(min_length=2)
    city_short: str = Field(min_length=1)
    province: str = Field(min_length=2)
    province_short: str = Field(min_length=1)
    round: Round
    # Each value fills one non-figure placeholder of the report.
    report: dict[str, str | int]
    # What each of them is, in Chinese (the report lists them as 据本轮设置).
    report_labels: dict[str, str]

    @model_validator(mode="after")
    def _no_placeholder_left(self) -> RoundParameters:
        texts = [self.city, self.city_short, self.province, *map(str, self.report.values())]
        if any("XX" in text.upper() for text in texts):
            raise ValueError("round.yaml 中仍有未填写的 XX")
        unlabelled = set(self.report) - set(self.report_labels)
        if unlabelled:
            raise ValueError(f"round.yaml 的 report 中这些项在 report_labels 中没有说明："
                             f"{sorted(unlabelled)}")
        return self


def load_round(path: Path | None = None) -> RoundParameters:
    return validated(RoundParameters, path or office_file("round.yaml"))


@lru_cache(maxsize=1)
def configured_round() -> RoundParameters:
    """round.yaml as written: its `round` is the first round, until the warehouse has one."""
    return load_round()


_open: list[RoundParameters] = []  # the warehouse's open round, once a warehouse said it


def get_round() -> RoundParameters:
    """The round parameters in force: round.yaml's, with the warehouse's open round."""
    return _open[0] if _open else configured_round()


def activate(current: Round | None) -> RoundParameters:
    """Take the warehouse's open round as the round in force in this process."""
    _open.clear()
    if current is not None:
        _open.append(configured_round().model_copy(update={"round": current}))
    return get_round()
