"""The office's decisions as the CLI and the console take them: what awaits one, taking
one (under the run lock, so no run writes meanwhile) and rebuilding the products and the
report at once, so that the table and the report say what was decided."""

from __future__ import annotations

from dataclasses import dataclass

from config import Settings
from pipeline.departments import resolve_department
from pipeline.outputs import export_products
from report.build import build_report
from schemas.catalogue import Catalogue, Indicator
from warehouse import decisions
from warehouse.models import Decision, Issue
from warehouse.scope import Scope
from warehouse.store import Warehouse
from warehouse.views import issues


class UnknownIndicator(ValueError):
    """找不到这个指标：请使用指标目录中的指标名称或代码。"""


def resolve_indicator(text: str, catalogue: Catalogue, department: str) -> Indicator:
    """An indicator of the department, by its Chinese name or its code."""
    wanted = text.strip()
    for indicator in catalogue.owned_by(department):
        if wanted in (indicator.code, indicator.name):
            return indicator
    raise UnknownIndicator(f"找不到这个单位的指标“{text}”：请使用指标目录中的指标名称或代码。")


@dataclass(frozen=True, slots=True)
class Awaiting:
    issue: Issue
    file_name: str


def awaiting(warehouse: Warehouse, scope: Scope) -> list[Awaiting]:
    """Warned values the office may confirm: open warnings on a figure."""
    with warehouse.begin() as session:
        found = issues(session, scope, severity="warning", states=("open",))
    return [Awaiting(issue, name) for issue, name in found
            if issue.indicator_code and issue.year and issue.rule != "missing_value"]


def accept(warehouse: Warehouse, settings: Settings, department_text: str,
           indicator_text: str, year: int, reason: str, by: str) -> Decision:
    code = resolve_department(department_text, warehouse.registry)
    indicator = resolve_indicator(indicator_text, warehouse.catalogue, code)
    with warehouse.exclusive(wait_seconds=settings.lock_wait_seconds,
                             stale_after=settings.lock_stale_seconds):
        with warehouse.begin() as session:
            decision = decisions.accept(session, code, indicator.code, year, reason, by)
        export_products(warehouse, settings.outputs_dir)
        build_report(warehouse, settings.outputs_dir)
    return decision
