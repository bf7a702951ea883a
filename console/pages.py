"""The pages: 总览, 单位, 问题, and the downloads they link to."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from console.auth import current
from console.context import console_of, render, require_department, require_office, scope
from pipeline import dossier as dossiers
from pipeline.rounds import write_templates
from schemas.round import get_round
from warehouse import views
from warehouse.accounts import Signed

router = APIRouter(dependencies=[Depends(current)])
SignedIn = Annotated[Signed, Depends(current)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def attachment(data: bytes, name: str, media_type: str) -> Response:
    """A download under the name a clerk reads, never shown inline."""
    return Response(data, media_type=media_type, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})


@router.get("/")
def home(request: Request, signed: SignedIn, done: str = "", error: str = "") -> Response:
    if signed.user.role != "office":
        return RedirectResponse(f"/departments/{signed.user.department_code}", status_code=303)
    console = console_of(request)
    view = dossiers.overview(console.warehouse, console.settings, scope(request))
    return render(request, "overview.html", page="overview", view=view, done=done,
                  error=error, round_signed=view.signed is not None)


@router.get("/outputs/{name}")
def product(request: Request, name: str) -> Response:
    require_office(request)
    path = console_of(request).settings.outputs_dir / name
    if name not in dossiers.OFFICE_PRODUCTS or not path.is_file():
        raise HTTPException(status_code=404)
    media = DOCX if name.endswith(".docx") else XLSX
    return attachment(path.read_bytes(), f"{get_round().city}{name}", media)


@router.get("/departments/{code}")
def department(request: Request, code: str, done: str = "", error: str = "") -> Response:
    require_department(request, code)
    console = console_of(request)
    registry = console.warehouse.registry
    return render(request, "department.html", page="department",
                  view=dossiers.dossier(console.warehouse, scope(request), registry.get(code)),
                  done=done, error=error, round_signed=console.warehouse.locked())


@router.get("/departments/{code}/versions/{submission_id}/file")
def original(request: Request, code: str, submission_id: int) -> Response:
    require_department(request, code)
    console = console_of(request)
    file = dossiers.version_file(console.warehouse, scope(request), code, submission_id)
    if file is None or not Path(file.archived_path).is_file():
        raise HTTPException(status_code=404)
    return attachment(Path(file.archived_path).read_bytes(), file.original_name,
                      "application/octet-stream")


@router.get("/departments/{code}/versions/{submission_id}/annotated")
def annotated(request: Request, code: str, submission_id: int) -> Response:
    require_department(request, code)
    copy = dossiers.annotated_file(console_of(request).warehouse, scope(request), code,
                                   submission_id)
    if copy is None:
        raise HTTPException(status_code=404)
    return attachment(copy[1], copy[0], XLSX)


@router.get("/departments/{code}/template")
def template(request: Request, code: str) -> Response:
    require_department(request, code)
    console = console_of(request)
    department = console.warehouse.registry.get(code)
    with tempfile.TemporaryDirectory() as folder:
        (_, path, _), = write_templates(console.warehouse, Path(folder), [department])
        return attachment(path.read_bytes(), path.name, XLSX)


@router.get("/departments/{code}/mails/{alert_id}")
def mail(request: Request, code: str, alert_id: int) -> Response:
    require_department(request, code)
    path = dossiers.mail_file(console_of(request).warehouse, scope(request), code, alert_id)
    if path is None:
        raise HTTPException(status_code=404)
    return attachment(path.read_bytes(), path.name, "message/rfc822")


@router.get("/issues")
def issues(request: Request, department: str = "", severity: str = "",
           indicator: str = "", done: str = "", error: str = "") -> Response:
    require_office(request)
    console = console_of(request)
    warehouse = console.warehouse
    codes = console.submitting_codes()
    with warehouse.begin() as session:
        found = views.issues(session, scope(request), department if department in codes else None,
                             severity if severity in ("error", "warning", "info") else None,
                             indicator or None)
    chosen = {"department": department, "severity": severity, "indicator": indicator}
    return render(request, "issues.html", page="issues", issues=found,
                  departments=warehouse.registry.submitting,
                  chosen=chosen, done=done, error=error,
                  round_signed=warehouse.locked(),
                  back="/issues?" + urlencode({k: v for k, v in chosen.items() if v}))
