"""The indicator catalogue: loaded from `data/indicators.yaml`, validated by pydantic."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from schemas.names import normalise_name, split_unit
from schemas.office_files import SHIPPED, office_file
from schemas.yaml_file import validated

CATALOGUE_FILE = SHIPPED["indicators.yaml"]

IndicatorCode = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+){1,3}$")]
Severity = Literal["error", "warning"]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Unit(Frozen):
    base: str
    factor: float = Field(gt=0)


class Defaults(Frozen):
    yoy_jump_ratio: float = Field(gt=1)
    rate_tolerance_points: float = Field(ge=0)


class Checks(Frozen):
    minimum: float | None = None
    minimum_exclusive: bool = False
    maximum: float | None = None
    integer: bool = False
    # None means: use the catalogue default.
    yoy_jump_ratio: float | None = Field(default=None, gt=1)

    @model_validator(mode="after")
    def _bounds_in_order(self) -> Checks:
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValueError("最小值（minimum）大于最大值（maximum）")
        if self.minimum_exclusive and self.minimum is None:
            raise ValueError("写了 minimum_exclusive 却没有写最小值（minimum）")
        return self


class Indicator(Frozen):
    code: IndicatorCode
    name: str = Field(min_length=2)
    aliases: tuple[str, ...] = ()
    unit: str
    department: str
    kind: Literal["count", "amount", "percent"]
    additive: bool  # the years may be added up (a flow), or not (a stock, a roster)
    section: int = Field(ge=1)
    definition: str = Field(min_length=4)
    checks: Checks = Checks()

    @property
    def names(self) -> tuple[str, ...]:
        """Every name the indicator answers to: canonical name, aliases and code."""
        return (self.name, *self.aliases, self.code)


class PartsWithinTotal(Frozen):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    rule: Literal["parts_within_total"]
    total: IndicatorCode
    parts: tuple[IndicatorCode, ...] = Field(min_length=1)
    severity: Severity = "error"

    @property
    def codes(self) -> tuple[str, ...]:
        return (*self.parts, self.total)


class AtLeast(Frozen):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    rule: Literal["at_least"]
    larger: IndicatorCode
    smaller: IndicatorCode
    severity: Severity = "warning"

    @property
    def codes(self) -> tuple[str, ...]:
        return (self.larger, self.smaller)


class RateMatches(Frozen):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    rule: Literal["rate_matches"]
    rate: IndicatorCode
    numerator: tuple[IndicatorCode, ...] = Field(min_length=1)
    denominator: IndicatorCode
    severity: Severity = "warning"

    @property
    def codes(self) -> tuple[str, ...]:
        return (self.rate, *self.numerator, self.denominator)


class Retired(Frozen):
    """An indicator that left the catalogue: a row of it still arriving is told so."""

    code: str
    name: str
    department: str


Relation = Annotated[PartsWithinTotal | AtLeast | RateMatches, Field(discriminator="rule")]


class Catalogue(Frozen):
    version: int
    units: dict[str, Unit]
    defaults: Defaults
    sections: dict[int, str]
    indicators: tuple[Indicator, ...] = Field(min_length=1)
    relations: tuple[Relation, ...] = ()
    # Filled from the warehouse (Catalogue.with_history), never written in the YAML.
    retired: tuple[Retired, ...] = ()

    @field_validator("units")
    @classmethod
    def _bases_are_units(cls, units: dict[str, Unit]) -> dict[str, Unit]:
        for name, unit in units.items():
            if unit.base not in units or units[unit.base].factor != 1:
                raise ValueError(f"单位“{name}”的基本单位“{unit.base}”须是 units 中 "
                                 "factor 为 1 的单位")
        return units

    @model_validator(mode="after")
    def _consistent(self) -> Catalogue:
        codes = [indicator.code for indicator in self.indicators]
        duplicates = {code for code in codes if codes.count(code) > 1}
        if duplicates:
            raise ValueError(f"指标代码重复：{'、'.join(sorted(duplicates))}")
        for indicator in self.indicators:
            if indicator.unit not in self.units:
                raise ValueError(f"{indicator.code}：单位（unit）“{indicator.unit}”不在 units 中")
            if indicator.section not in self.sections:
                raise ValueError(f"{indicator.code}：报告部分（section）{indicator.section} "
                                 "不在 sections 中")
        known = set(codes)
        ids = [relation.id for relation in self.relations]
        if len(ids) != len(set(ids)):
            raise ValueError("relations 的 id 重复")
        for relation in self.relations:
            unknown = [code for code in relation.codes if code not in known]
            if unknown:
                raise ValueError(f"关系 {relation.id} 引用了目录中没有的指标"
                                 f"（unknown indicators）："
                                 f"{'、'.join(unknown)}")
            departments = {self.indicator(code).department for code in relation.codes}
            if len(departments) > 1:
                raise ValueError(f"关系 {relation.id} 涉及多个单位："
                                 f"{'、'.join(sorted(departments))}")
        self._check_name_collisions()
        return self

    def _check_name_collisions(self) -> None:
        owner: dict[str, str] = {}
        for indicator in self.indicators:
            for name in indicator.names:
                key = normalise_name(name)
                if owner.setdefault(key, indicator.code) != indicator.code:
                    raise ValueError(f"{indicator.code} 的名称“{name}”与 {owner[key]} 重名"
                                     "（collides）")

    @cached_property
    def _by_code(self) -> dict[str, Indicator]:
        return {indicator.code: indicator for indicator in self.indicators}

    @cached_property
    def _by_name(self) -> dict[str, Indicator]:
        return {
            normalise_name(name): indicator
            for indicator in self.indicators
            for name in indicator.names
        }

    def indicator(self, code: str) -> Indicator:
        return self._by_code[code]

    def has(self, code: str) -> bool:
        return code in self._by_code

    def match(self, text: str) -> Indicator | None:
        """The indicator a typed name, alias or code refers to, if any.

        A unit written into the name (`…人次（万人次）`) is ignored here; the reader
        asks `split_unit` for it separately.
        """
        name, _unit = split_unit(text, self.units)
        return self._by_code.get(name) or self._by_name.get(normalise_name(name))

    def retired_match(self, text: str) -> Retired | None:
        """The retired indicator a typed name refers to, if any."""
        name, _unit = split_unit(text, self.units)
        wanted = normalise_name(name)
        return next((r for r in self.retired
                     if wanted in (normalise_name(r.name), normalise_name(r.code))), None)

    def with_history(self, former_names: dict[str, tuple[str, ...]],
                     retired: tuple[Retired, ...]) -> Catalogue:
        """This catalogue, also answering to the names its indicators had before a rename
        and knowing the indicators that left it. A former name that another indicator now
        uses is left out: the current catalogue wins."""
        if not former_names and not retired:
            return self
        taken = set(self._by_name)
        data = self.model_dump()
        for entry in data["indicators"]:
            extra = [n for n in former_names.get(entry["code"], ())
                     if normalise_name(n) not in taken]
            entry["aliases"] = [*entry["aliases"], *extra]
            taken.update(normalise_name(n) for n in extra)
        data["retired"] = [r.model_dump() for r in retired
                           if normalise_name(r.name) not in taken]
        return Catalogue.model_validate(data)

    def owned_by(self, department: str) -> tuple[Indicator, ...]:
        return tuple(i for i in self.indicators if i.department == department)

    def base_unit(self, indicator: Indicator) -> str:
        return self.units[indicator.unit].base

    def factor(self, indicator: Indicator) -> float:
        """Multiply a value in the reporting unit by this to get the base unit."""
        return self.units[indicator.unit].factor

    def jump_ratio(self, indicator: Indicator) -> float:
        return indicator.checks.yoy_jump_ratio or self.defaults.yoy_jump_ratio

    def relations_of(self, codes: Iterable[str]) -> tuple[Relation, ...]:
        wanted = set(codes)
        return tuple(r for r in self.relations if wanted & set(r.codes))


def load_catalogue(path: Path | None = None) -> Catalogue:
    return validated(Catalogue, path or office_file("indicators.yaml"))


@lru_cache(maxsize=1)
def get_catalogue() -> Catalogue:
    return load_catalogue()
