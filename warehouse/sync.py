"""Keep the departments and indicators tables in step with the catalogue and registry."""

from __future__ import annotations

from sqlalchemy.orm import Session

from schemas.catalogue import Catalogue
from schemas.departments import Registry
from warehouse.models import Department, Indicator
from warehouse.upsert import upsert


def sync_reference_data(session: Session, catalogue: Catalogue, registry: Registry) -> None:
    upsert(session, Department, [
        {"code": d.code, "name": d.name, "full_name": d.full_name, "email": str(d.email)}
        for d in registry.departments
    ], keys=["code"])
    upsert(session, Indicator, [
        {"code": i.code, "name": i.name, "unit": i.unit, "base_unit": catalogue.base_unit(i),
         "factor": catalogue.factor(i), "department_code": i.department, "kind": i.kind,
         "additive": i.additive, "section": i.section, "position": position}
        for position, i in enumerate(catalogue.indicators)
    ], keys=["code"])
