"""上传: a department (or the office on its behalf) sends a workbook and sees the verdict."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from console.auth import checked, client_of, current
from console.context import console_of, render, scope
from pipeline import dossier as dossiers
from pipeline.upload import receive
from schemas.departments import Department
from warehouse.accounts import Signed

router = APIRouter(dependencies=[Depends(current)])


def _departments(request: Request) -> list[Department]:
    registry = console_of(request).warehouse.registry
    allowed = scope(request)
    return [d for d in registry.submitting if allowed.allows(d.code)]


@router.get("/upload")
def upload_page(request: Request, department: str = "") -> Response:
    return render(request, "upload.html", page="upload",
                  departments=_departments(request), chosen=department,
                  limit_mb=console_of(request).settings.max_file_bytes // 1048576)


@router.post("/upload")
def upload(request: Request, signed: Annotated[Signed, Depends(checked)],
           workbook: Annotated[UploadFile, File()],
           department: Annotated[str, Form()] = "") -> Response:
    console = console_of(request)
    choices = {d.code: d for d in _departments(request)}
    code = department if signed.user.role == "office" else signed.user.department_code
    if code not in choices:
        raise HTTPException(status_code=404)
    limit = console.settings.max_file_bytes
    data = workbook.file.read(limit + 1)  # one byte over says it is too big
    received = receive(console.warehouse, console.settings, signed.user, choices[code],
                       workbook.filename, data, client_of(request))
    if not received.refusal_zh and console.worker is not None:
        console.worker.submit(received)
    return RedirectResponse(f"/uploads/{received.upload_id}", status_code=303)


def _verdict(request: Request, upload_id: int) -> dossiers.UploadVerdict:
    verdict = dossiers.upload_verdict(console_of(request).warehouse, scope(request), upload_id)
    if verdict is None:
        raise HTTPException(status_code=404)
    return verdict


@router.get("/uploads/{upload_id}")
def upload_result(request: Request, upload_id: int) -> Response:
    return render(request, "upload_result.html", page="upload",
                  verdict=_verdict(request, upload_id))


@router.get("/uploads/{upload_id}/verdict")
def upload_verdict_part(request: Request, upload_id: int) -> Response:
    """The part the result page asks for until the run is done (htmx)."""
    return render(request, "_verdict.html", verdict=_verdict(request, upload_id))
