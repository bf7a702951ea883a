"""The console (审核台) as an ASGI application: pages, security headers, error pages."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from config import Settings
from console import auth, decisions, pages, uploads
from console.context import HERE, Console, make_templates, render
from console.worker import UploadWorker
from schemas.round import get_round
from warehouse.accounts import log_event
from warehouse.store import Warehouse

log = logging.getLogger("huizong.console")
# Scripts and styles only from the console itself: the intranet has no internet, and a
# value a department typed can never become a script.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
FORM_OVERHEAD = 64 * 1024  # the multipart envelope around an upload's bytes


class BodyLimit:
    """Refuse a request body larger than the upload limit before it is read in full."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await _too_large(send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await _too_large(send)


class _TooLarge(Exception):
    pass


async def _too_large(send: Send) -> None:
    body = "文件太大，超过上传上限。".encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def create_app(settings: Settings, warehouse: Warehouse,
               worker: UploadWorker | None = None) -> FastAPI:
    app = FastAPI(title="审核台", docs_url=None, redoc_url=None, openapi_url=None)
    templates = make_templates()
    registry = warehouse.registry
    templates.env.globals.update(
        city=get_round().city, office_name=registry.office.full_name,
        department_names={d.code: d.name for d in registry.departments},
        indicator_names={i.code: i.name for i in warehouse.catalogue.indicators})
    app.state.console = Console(settings, warehouse, templates, worker)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for router in (auth.router, pages.router, uploads.router, decisions.router):
        app.include_router(router)
    app.add_middleware(BodyLimit, limit=settings.max_file_bytes + FORM_OVERHEAD)

    @app.middleware("http")
    async def security_headers(request: Request, call_next) -> Response:  # noqa: ANN001
        if not request.url.path.startswith("/static/"):
            warehouse.follow_round()  # a new round opened from the command line shows at once
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        if not request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.exception_handler(auth.NeedLogin)
    async def need_login(request: Request, _: Exception) -> Response:
        target = f"/login?next={request.url.path}"
        if request.headers.get("HX-Request"):  # htmx follows this header, not a 303
            return Response(status_code=200, headers={"HX-Redirect": "/login?error=expired"})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(auth.CsrfRefused)
    async def csrf_refused(request: Request, _: Exception) -> HTMLResponse:
        return render(request, "error.html", status_code=403, title="页面已过期",
                      message="这个页面已过期或不是从审核台打开的，操作没有执行。请刷新页面后重试。")

    @app.exception_handler(HTTPException)
    async def not_found(request: Request, error: HTTPException) -> HTMLResponse:
        signed = getattr(request.state, "signed", None)
        if error.status_code == 404 and signed is not None:
            with warehouse.begin() as session:
                log_event(session, signed.user.name, "denied", request.url.path,
                          auth.client_of(request))
        if error.status_code == 405:
            return render(request, "error.html", status_code=405, title="无法执行",
                          message="这个地址不能这样打开。请从审核台页面上的按钮操作。")
        return render(request, "error.html", status_code=404, title="找不到页面",
                      message="找不到这个页面，或您没有查看它的权限。")

    return app
