"""Keep the departments and indicators tables in step with the catalogue and registry,
remembering what the catalogue no longer says: an indicator's former names (a rename)
and the indicators that left it (retired, their open issues closed)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from schemas.catalogue import Catalogue, Retired
from schemas.departments import Registry
from schemas.names import normalise_name
from warehouse.models import Department, Indicator, Issue, utcnow
from warehouse.upsert import upsert

RETIRED_ZH = "指标已停用"
NAME_SEPARATOR = "、"


@dataclass(frozen=True, slots=True)
class Synced:
    catalogue: Catalogue  # as runs use it: with former names and retired indicators
    changes: list[str]  # what differs from the warehouse's copy, one Chinese line each


def sync_reference_data(session: Session, catalogue: Catalogue, registry: Registry
                        ) -> Synced:
    """Write the catalogue and the registry, and say what changed since the last time."""
    stored = {i.code: i for i in session.scalars(select(Indicator))}
    departments = {d.code: d.name for d in session.scalars(select(Department))}
    former = _former_names(catalogue, stored)
    changes = _changes(catalogue, registry, stored, departments)
    upsert(session, Department, [
        {"code": d.code, "name": d.name, "full_name": d.full_name, "email": str(d.email)}
        for d in registry.departments
    ], keys=["code"])
    upsert(session, Indicator, [
        {"code": i.code, "name": i.name, "unit": i.unit, "base_unit": catalogue.base_unit(i),
         "factor": catalogue.factor(i), "department_code": i.department, "kind": i.kind,
         "additive": i.additive, "section": i.section, "position": position,
         "former_names": NAME_SEPARATOR.join(former.get(i.code, ())), "retired_at": None}
        for position, i in enumerate(catalogue.indicators)
    ], keys=["code"])
    retired = _retire(session, catalogue, stored)
    return Synced(catalogue.with_history(former, retired), changes)


def _changes(catalogue: Catalogue, registry: Registry, stored: dict[str, Indicator],
             departments: dict[str, str]) -> list[str]:
    if not stored:
        return []  # a new warehouse: nothing changed, everything is new
    lines = [f"新增责任单位「{d.name}」" for d in registry.departments
             if d.code not in departments]
    for indicator in catalogue.indicators:
        row = stored.get(indicator.code)
        if row is None or row.retired_at is not None:
            lines.append(f"新增指标「{indicator.name}」")
        elif row.name != indicator.name:
            lines.append(f"指标「{row.name}」改名为「{indicator.name}」（原名称仍可识别）")
        elif (row.unit, row.department_code, row.section, row.kind, row.additive) != (
                indicator.unit, indicator.department, indicator.section, indicator.kind,
                indicator.additive):
            lines.append(f"指标「{indicator.name}」的单位、责任单位、报告部分或类型有变化")
    known = {i.code for i in catalogue.indicators}
    lines += [f"停用指标「{row.name}」" for code, row in stored.items()
              if code not in known and row.retired_at is None]
    return lines


def _former_names(catalogue: Catalogue, stored: dict[str, Indicator]
                  ) -> dict[str, tuple[str, ...]]:
    former: dict[str, tuple[str, ...]] = {}
    for indicator in catalogue.indicators:
        row = stored.get(indicator.code)
        if row is None:
            continue
        names = [n for n in row.former_names.split(NAME_SEPARATOR) if n]
        if row.name != indicator.name:
            names.append(row.name)
        current = {normalise_name(n) for n in indicator.names}
        kept = tuple(dict.fromkeys(n for n in names if normalise_name(n) not in current))
        if kept:
            former[indicator.code] = kept
    return former


def _retire(session: Session, catalogue: Catalogue, stored: dict[str, Indicator]
            ) -> tuple[Retired, ...]:
    known = {i.code for i in catalogue.indicators}
    gone = [row for code, row in stored.items() if code not in known]
    if not gone:
        return ()
    now = utcnow()
    for row in gone:
        if row.retired_at is None:
            row.retired_at = now
    session.execute(update(Issue).where(Issue.indicator_code.in_([r.code for r in gone]),
                                        Issue.state.in_(("open", "explained")))
                    .values(state="closed", resolved_at=now, explanation=RETIRED_ZH))
    return tuple(Retired(code=r.code, name=r.name, department=r.department_code)
                 for r in gone)
