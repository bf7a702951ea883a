"""The office's decisions taken on the console: a button on the value, with a 理由 field."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from console.auth import checked, safe_path
from console.context import console_of, require_department, require_office
from pipeline.review import UnknownIndicator, accept
from warehouse.accounts import Signed
from warehouse.decisions import DecisionRefused

router = APIRouter()


@router.post("/decisions/accept")
def accept_value(request: Request, signed: Annotated[Signed, Depends(checked)],
                 department: Annotated[str, Form()], indicator: Annotated[str, Form()],
                 year: Annotated[int, Form()], reason: Annotated[str, Form()] = "",
                 back: Annotated[str, Form()] = "/issues") -> Response:
    require_office(request)
    require_department(request, department)
    console = console_of(request)
    try:
        accept(console.warehouse, console.settings, department, indicator, year,
                          reason, signed.user.name)
    except (DecisionRefused, UnknownIndicator):
        return _back(back, "error=refused")
    return _back(back, "done=accepted")  # the decision's own row says who, when and why


def _back(target: str, outcome: str) -> Response:
    """Back to the list the decision was taken on, saying how it went by a code: a text
    in the address could be anyone's words shown on our page."""
    path = safe_path(target)
    joiner = "&" if "?" in path else "?"
    return RedirectResponse(f"{path}{joiner}{outcome}", status_code=303)
