"""Whose data a console user may see. Every console query for a department's data puts
its department column through `visible`; a route that names a department asks
`allows` first and answers 404 when not."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, true

from warehouse.models import User


@dataclass(frozen=True, slots=True)
class Scope:
    departments: frozenset[str] | None  # None: every department (the office)

    @property
    def everything(self) -> bool:
        return self.departments is None

    def allows(self, department_code: str | None) -> bool:
        if self.departments is None:
            return True
        return department_code is not None and department_code in self.departments


def scope_of(user: User) -> Scope:
    if user.role == "office":
        return Scope(None)
    return Scope(frozenset({user.department_code} if user.department_code else ()))


def visible(scope: Scope, department_column: ColumnElement[str | None]
            ) -> ColumnElement[bool]:
    """The condition that keeps a query to the user's departments."""
    if scope.departments is None:
        return true()
    return department_column.in_(sorted(scope.departments))
