"""Who is asking: the session cookie, the CSRF token of every POST, login and 退出."""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import secrets
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Form, Header, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from config import Settings
from console.context import Console, console_of, render
from warehouse.accounts import (
    SessionPolicy,
    Signed,
    attempt_login,
    end_session,
    log_event,
    signed_in,
    start_session,
)

SESSION_COOKIE = "huizong_session"
LOGIN_COOKIE = "huizong_login_csrf"  # double-submit token of the login form
log = logging.getLogger("huizong.console")
router = APIRouter()


class NeedLogin(Exception):
    """No live session: the browser is sent to the login page."""


class CsrfRefused(Exception):
    """A POST without this session's CSRF token."""


def policy(settings: Settings) -> SessionPolicy:
    return SessionPolicy(idle=dt.timedelta(minutes=settings.console_idle_minutes),
                         absolute=dt.timedelta(hours=settings.console_absolute_hours),
                         failures_allowed=settings.console_login_failures,
                         lockout=dt.timedelta(minutes=settings.console_lockout_minutes))


def client_of(request: Request) -> str:
    return request.client.host if request.client else ""


def current(request: Request) -> Signed:
    """The signed-in user of this request, or NeedLogin."""
    console = console_of(request)
    token = request.cookies.get(SESSION_COOKIE, "")
    if not token:
        raise NeedLogin
    with console.warehouse.begin() as session:
        signed = signed_in(session, token, policy(console.settings))
    if signed is None:
        raise NeedLogin
    request.state.signed = signed
    return signed


def checked(request: Request, signed: Annotated[Signed, Depends(current)],
            csrf_token: Annotated[str, Form()] = "",
            x_csrf_token: Annotated[str, Header()] = "") -> Signed:
    """The user of a POST that carries their session's CSRF token (form field, or the
    header htmx sends)."""
    offered = csrf_token or x_csrf_token
    if not offered or not hmac.compare_digest(offered, signed.csrf_token):
        console = console_of(request)
        with console.warehouse.begin() as session:
            log_event(session, signed.user.name, "csrf_refused", request.url.path,
                      client_of(request))
        log.warning("CSRF 校验失败：%s %s", signed.user.name, request.url.path)
        raise CsrfRefused
    return signed


def _secure(request: Request, settings: Settings) -> bool:
    return settings.console_https_only or request.url.scheme == "https"


def safe_path(target: str) -> str:
    """Only a path of ours: never another site after login."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/", error: str = "") -> Response:
    console = console_of(request)
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", login_csrf=token, next=safe_path(next),
                      error=error, error_zh=login_error_zh(error, console))
    response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict",
                        secure=_secure(request, console.settings), path="/login")
    return response


LOGIN_REFUSED_ZH = {
    "bad": "用户名或密码不正确。",
    "throttled": "登录失败次数过多，请 {minutes} 分钟后再试；如忘记密码，请联系联席办重设。",
    "expired": "登录已过期，请重新登录。",
}


@router.post("/login")
def login(request: Request, username: Annotated[str, Form()] = "",
          password: Annotated[str, Form()] = "", login_csrf: Annotated[str, Form()] = "",
          next: Annotated[str, Form()] = "/") -> Response:
    console = console_of(request)
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, login_csrf):
        return _back_to_login("expired", next)
    name = username.strip()
    with console.warehouse.begin() as session:
        outcome = attempt_login(session, name, password, policy(console.settings))
        if outcome.user is None:
            log_event(session, name, "login_throttled" if outcome.refusal == "throttled"
                      else "login_failed", "", client_of(request))
        else:
            token = start_session(session, outcome.user)
            log_event(session, name, "login", "", client_of(request))
    if outcome.user is None:
        log.warning("登录失败（%s）：%s，来自 %s", outcome.refusal, name, client_of(request))
        return _back_to_login(outcome.refusal, next)
    log.info("登录：%s，来自 %s", name, client_of(request))
    response = RedirectResponse(safe_path(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax",
                        secure=_secure(request, console.settings), path="/")
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


def _back_to_login(refusal: str, next: str) -> Response:
    return RedirectResponse(f"/login?error={refusal}&next={quote(safe_path(next))}",
                            status_code=303)


@router.post("/logout")
def logout(request: Request, signed: Annotated[Signed, Depends(checked)]) -> Response:
    console = console_of(request)
    with console.warehouse.begin() as session:
        end_session(session, signed.session_id)
        log_event(session, signed.user.name, "logout", "", client_of(request))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def login_error_zh(error: str, console: Console) -> str:
    """The login page's one line for why the last try failed ("" for none)."""
    text = LOGIN_REFUSED_ZH.get(error, "")
    return text.format(minutes=int(console.settings.console_lockout_minutes))
