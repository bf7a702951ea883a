"""Sessions end when they should, forms need their CSRF token, guessing is throttled."""

import datetime as dt

from sqlalchemy import select, update
from typer.testing import CliRunner

from tests.console.conftest import PASSWORDS, csrf_of, login
from warehouse.accounts import add_user, disable_user, set_password, token_hash
from warehouse.models import AuditEvent, ConsoleSession, LoginThrottle, Upload, utcnow


def _signed_in(client) -> bool:
    return client.get("/upload", follow_redirects=False).status_code == 200


def _age_sessions(example_round, **ago):
    with example_round.warehouse.begin() as session:
        session.execute(update(ConsoleSession).where(ConsoleSession.ended_at.is_(None))
                        .values(**{column: utcnow() - delta for column, delta in ago.items()}))


def test_a_session_ends_after_30_idle_minutes(science, example_round):
    assert _signed_in(science)
    _age_sessions(example_round, last_seen_at=dt.timedelta(minutes=29))
    assert _signed_in(science)  # and being used, it is kept alive
    _age_sessions(example_round, last_seen_at=dt.timedelta(minutes=31))
    answer = science.get("/departments/science", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


def test_a_session_ends_12_hours_after_login_however_busy(science, example_round):
    _age_sessions(example_round, created_at=dt.timedelta(hours=12, minutes=1))
    assert not _signed_in(science)


def test_logout_ends_the_session_and_its_token_is_stored_hashed(client, example_round):
    login(client, "kjj")
    token = client.cookies.get("huizong_session")
    assert len(token) >= 22  # 128 bits, url-safe
    with example_round.warehouse.begin() as session:
        stored = session.scalars(select(ConsoleSession.token_hash)).all()
    assert token_hash(token) in stored and token not in stored
    answer = client.post("/logout", data={"csrf_token": csrf_of(client)}, follow_redirects=False)
    assert answer.status_code == 303
    client.cookies.set("huizong_session", token)  # a copy of the cookie opens nothing
    assert not _signed_in(client)


def test_each_login_gets_a_new_token(client):
    login(client, "kjj")
    first = client.cookies.get("huizong_session")
    login(client, "kjj")
    assert client.cookies.get("huizong_session") != first


def test_disabling_or_a_new_password_ends_every_session(client, example_round):
    with example_round.warehouse.begin() as session:
        add_user(session, "temp-clerk", "department", "science", "临时账号的密码123")
    login(client, "temp-clerk", "临时账号的密码123")
    assert _signed_in(client)
    with example_round.warehouse.begin() as session:
        set_password(session, "temp-clerk", "新的临时账号密码456")
    assert not _signed_in(client)
    assert login(client, "temp-clerk", "临时账号的密码123").headers["location"].startswith(
        "/login?error=bad")
    login(client, "temp-clerk", "新的临时账号密码456")
    assert _signed_in(client)
    with example_round.warehouse.begin() as session:
        disable_user(session, "temp-clerk")
    assert not _signed_in(client)
    assert "error=bad" in login(client, "temp-clerk", "新的临时账号密码456").headers["location"]


def test_a_post_without_the_csrf_token_changes_nothing(science, example_round):
    with example_round.warehouse.begin() as session:
        before = len(session.scalars(select(Upload.id)).all())
    refused = science.post("/upload", files={"workbook": ("a.xlsx", b"PK\x03\x04", "x")})
    assert refused.status_code == 403 and "页面已过期" in refused.text
    forged = science.post("/logout", data={"csrf_token": "not-the-token"})
    assert forged.status_code == 403
    assert _signed_in(science)  # the forged 退出 did not end the session
    with example_round.warehouse.begin() as session:
        assert len(session.scalars(select(Upload.id)).all()) == before
        assert session.scalars(select(AuditEvent).where(
            AuditEvent.action == "csrf_refused")).first() is not None


def test_no_state_changes_through_get(science):
    assert science.get("/logout").status_code == 405
    assert _signed_in(science)


def test_a_login_form_not_from_our_page_is_refused(client):
    answer = client.post("/login", data={"username": "kjj", "password": PASSWORDS["kjj"],
                                         "login_csrf": "forged"}, follow_redirects=False)
    assert "error=expired" in answer.headers["location"]
    assert not _signed_in(client)


def test_five_failures_lock_the_name_for_15_minutes(client, example_round):
    with example_round.warehouse.begin() as session:
        add_user(session, "guessed", "department", "science", "正确的密码正确的密码")
    for _ in range(4):
        assert "error=bad" in login(client, "guessed", "wrong-guess!").headers["location"]
    assert "error=throttled" in login(client, "guessed", "wrong-guess!").headers["location"]
    locked = login(client, "guessed", "正确的密码正确的密码")
    assert "error=throttled" in locked.headers["location"]  # even the right one, for now
    assert "15 分钟后再试" in client.get(locked.headers["location"]).text
    with example_round.warehouse.begin() as session:
        session.execute(update(LoginThrottle).where(LoginThrottle.name == "guessed")
                        .values(locked_until=utcnow() - dt.timedelta(seconds=1)))
    assert login(client, "guessed", "正确的密码正确的密码").headers["location"] == "/"
    with example_round.warehouse.begin() as session:
        actions = [e.action for e in session.scalars(
            select(AuditEvent).where(AuditEvent.user_name == "guessed").order_by(AuditEvent.id))]
    assert actions == ["login_failed"] * 4 + ["login_throttled"] * 2 + ["login"]


def test_an_unknown_name_is_answered_like_a_wrong_password(client):
    assert "error=bad" in login(client, "nobody-here", "whatever-password").headers["location"]


def test_https_only_marks_the_cookie_secure(example_round, monkeypatch):
    from starlette.testclient import TestClient

    from console.app import create_app

    settings = example_round.settings.model_copy(update={"console_https_only": True})
    app = create_app(settings, example_round.warehouse)
    with TestClient(app, base_url="https://testserver") as secure:
        assert "Secure" in login(secure, "kjj").headers["set-cookie"]


def test_the_user_commands(example_round):
    from flows.cli import app

    runner = CliRunner()
    added = runner.invoke(app, ["user", "add", "cli-clerk", "--role", "department",
                                "--department", "检察院", "--password-stdin"],
                          input="命令行账号的密码99\n")
    assert added.exit_code == 0 and "已新增账号“cli-clerk”（责任单位）" in added.output
    short = runner.invoke(app, ["user", "add", "cli-short", "--role", "office",
                                "--password-stdin"], input="short\n")
    assert short.exit_code == 2 and "密码至少 10 个字符" in short.output
    unknown = runner.invoke(app, ["user", "add", "x", "--role", "department", "-d", "气象局",
                                  "--password-stdin"], input="足够长的密码足够长\n")
    assert unknown.exit_code == 2
    listed = runner.invoke(app, ["user", "list"])
    assert "cli-clerk" in listed.output and "市人民检察院" in listed.output
    assert runner.invoke(app, ["user", "disable", "cli-clerk"]).exit_code == 0
    assert "已停用" in runner.invoke(app, ["user", "list"]).output
    assert runner.invoke(app, ["user", "disable", "no-such"]).exit_code == 2
