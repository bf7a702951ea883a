"""Round and report parameters (`data/round.yaml`): the city, the years of the round,
its deadline and reminder schedule, and the non-figure values of the report."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.catalogue import DATA_DIR
from schemas.yaml_file import load_yaml

ROUND_FILE = DATA_DIR / "round.yaml"


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
            raise ValueError("need first_year <= last_year < report_year")
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
            raise ValueError("round.yaml still holds a literal XX placeholder")
        unlabelled = set(self.report) - set(self.report_labels)
        if unlabelled:
            raise ValueError(f"round.yaml report values without a report_labels entry: "
                             f"{sorted(unlabelled)}")
        return self


def load_round(path: Path = ROUND_FILE) -> RoundParameters:
    return RoundParameters.model_validate(load_yaml(path))


@lru_cache(maxsize=1)
def get_round() -> RoundParameters:
    return load_round()
