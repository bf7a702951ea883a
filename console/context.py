"""What every page needs: the settings, the warehouse, the templates, the upload worker."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import StrictUndefined

from config import Settings
from config.clock import local_now, local_text
from schemas.describe import format_number
from schemas.labels import (
    CELL_STATUS_ZH,
    CHANNEL_ZH,
    DECISION_ZH,
    LEDGER_ZH,
    MAIL_STATUS_ZH,
    MAIL_ZH,
    OUTCOME_ZH,
    SEVERITY_ZH,
    SUBMISSION_STATUS_ZH,
    UPLOAD_STATE_ZH,
    issue_state_zh,
)
from warehouse.accounts import Signed
from warehouse.scope import Scope, scope_of
from warehouse.store import Warehouse

if TYPE_CHECKING:
    from console.worker import UploadWorker

HERE = Path(__file__).resolve().parent
ROLE_ZH = {"office": "联席办", "department": "责任单位"}


@dataclass(slots=True)
class Console:
    settings: Settings
    warehouse: Warehouse
    templates: Jinja2Templates
    worker: UploadWorker | None = None

    def submitting_codes(self) -> set[str]:
        return {d.code for d in self.warehouse.registry.submitting}


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=HERE / "templates")  # autoescapes .html
    templates.env.undefined = StrictUndefined  # a misspelt name fails, never prints nothing
    templates.env.globals.update(
        SEVERITY_ZH=SEVERITY_ZH, LEDGER_ZH=LEDGER_ZH, CELL_STATUS_ZH=CELL_STATUS_ZH,
        CHANNEL_ZH=CHANNEL_ZH, DECISION_ZH=DECISION_ZH, MAIL_ZH=MAIL_ZH,
        MAIL_STATUS_ZH=MAIL_STATUS_ZH,
        SUBMISSION_STATUS_ZH=SUBMISSION_STATUS_ZH, UPLOAD_STATE_ZH=UPLOAD_STATE_ZH,
        ROLE_ZH=ROLE_ZH, OUTCOME_ZH=OUTCOME_ZH, issue_state_zh=issue_state_zh)
    templates.env.filters["local"] = local_text
    templates.env.filters["number"] = lambda value: "" if value is None else format_number(value)
    return templates


def console_of(request: Request) -> Console:
    return request.app.state.console


def scope(request: Request) -> Scope:
    signed: Signed = request.state.signed
    return scope_of(signed.user)


def require_department(request: Request, code: str) -> str:
    """The department named in the path, if the user may see it; 404 otherwise, the same
    answer as for a department that does not exist."""
    if not scope(request).allows(code) or code not in console_of(request).submitting_codes():
        raise HTTPException(status_code=404)
    return code


def require_office(request: Request) -> None:
    if not scope(request).everything:
        raise HTTPException(status_code=404)


def render(request: Request, template: str, status_code: int = 200,
           **context: Any) -> HTMLResponse:
    signed: Signed | None = getattr(request.state, "signed", None)
    return console_of(request).templates.TemplateResponse(
        request, template, {"signed": signed, "now": local_now(), "page": "", "done": "",
                            "error": "", "round_signed": False, **context},
        status_code=status_code)
