"""The office's decisions taken on the console: a button on the value, issue, file or
department, with a 理由 field; the decision is the signed-in user's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from console.auth import checked, safe_path
from console.context import console_of, require_department, require_office
from pipeline.review import BadValue, Review, UnknownIndicator
from pipeline.signoff import lock, unlock
from warehouse.accounts import Signed
from warehouse.decisions import DecisionRefused
from warehouse.models import Decision

router = APIRouter()
Text = Annotated[str, Form()]
Back = Annotated[str, Form()]


def _decide(request: Request, back: str, reason: str, done: str,
            take: Callable[[Review], object], department: str | None = None) -> Response:
    """Office only; a department the user may not see answers 404 as if it did not exist.
    The outcome is said by a code: a text in the address could be anyone's words."""
    require_office(request)
    if department is not None:
        require_department(request, department)
    if not reason.strip() and done != "approved":
        return _back(back, "error=reason")
    console = console_of(request)
    try:
        taken = take(Review(console.warehouse, console.settings))
    except BadValue:
        return _back(back, "error=value")
    except (DecisionRefused, UnknownIndicator):
        return _back(back, "error=refused")
    # Of a revision of a past year, 不采用 keeps the value carried from the round before.
    if isinstance(taken, Decision) and taken.action == "keep":
        done = "kept"
    return _back(back, f"done={done}")


@router.post("/decisions/set")
def enter_value(request: Request, signed: Annotated[Signed, Depends(checked)],
                department: Text, indicator: Text, year: Annotated[int, Form()],
                value: Text = "", reason: Text = "", back: Back = "/issues") -> Response:
    return _decide(request, back, reason, "entered", lambda review: review.enter(
        department, indicator, year, value, reason, signed.user.name), department)


@router.post("/decisions/choose")
def choose_file(request: Request, signed: Annotated[Signed, Depends(checked)],
                department: Text, file: Text, reason: Text = "",
                back: Back = "/issues") -> Response:
    return _decide(request, back, reason, "chosen", lambda review: review.choose(
        department, file, reason, signed.user.name), department)


@router.post("/decisions/approve")
def approve_department(request: Request, signed: Annotated[Signed, Depends(checked)],
                       department: Text, reason: Text = "", back: Back = "/") -> Response:
    return _decide(request, back, reason, "approved", lambda review: review.approve(
        department, reason, signed.user.name), department)


@router.post("/decisions/return")
def return_department(request: Request, signed: Annotated[Signed, Depends(checked)],
                      department: Text, reason: Text = "", back: Back = "/") -> Response:
    return _decide(request, back, reason, "returned", lambda review: review.return_(
        department, reason, signed.user.name), department)


@router.post("/decisions/lock")
def lock_round(request: Request, signed: Annotated[Signed, Depends(checked)],
               reason: Text = "") -> Response:
    return _decide(request, "/", reason, "locked", lambda review: lock(
        review.warehouse, review.settings, reason, signed.user.name))


@router.post("/decisions/unlock")
def unlock_round(request: Request, signed: Annotated[Signed, Depends(checked)],
                 reason: Text = "") -> Response:
    return _decide(request, "/", reason, "unlocked", lambda review: unlock(
        review.warehouse, review.settings, reason, signed.user.name))


# 确认采用 and 不采用 take the same form (one value, a reason): the button says which. Declared
# after the other decisions, whose fixed paths must match first.
ON_A_VALUE = {"accept": ("accepted", Review.accept), "reject": ("rejected", Review.reject)}


@router.post("/decisions/{action}")
def decide_value(request: Request, action: str, signed: Annotated[Signed, Depends(checked)],
                 department: Text, indicator: Text, year: Annotated[int, Form()],
                 reason: Text = "", back: Back = "/issues") -> Response:
    if action not in ON_A_VALUE:
        raise HTTPException(status_code=404)
    done, take = ON_A_VALUE[action]
    return _decide(request, back, reason, done, lambda review: take(
        review, department, indicator, year, reason, signed.user.name), department)



def _back(target: str, outcome: str) -> Response:
    """Back to the page the decision was taken on."""
    path = safe_path(target)
    joiner = "&" if "?" in path else "?"
    return RedirectResponse(f"{path}{joiner}{outcome}", status_code=303)
