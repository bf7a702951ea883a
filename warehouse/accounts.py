"""Console accounts, login sessions and login throttling.

Passwords are kept as argon2id hashes (pwdlib). A session is a random 128-bit token in
the browser's cookie; only its SHA-256 is stored, so a copy of the database opens
nothing. A session ends when it has been idle too long, when it is too old, at 退出, and
for every session of an account whose password changes or which is disabled.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from functools import lru_cache

from pwdlib import PasswordHash
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from warehouse.models import AuditEvent, ConsoleSession, LoginThrottle, User, as_utc, utcnow

MIN_PASSWORD_CHARS = 10
ROLES = ("office", "department")


class AccountError(ValueError):
    """Something the operator typed that cannot be an account (message in Chinese)."""


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    idle: dt.timedelta
    absolute: dt.timedelta
    failures_allowed: int
    lockout: dt.timedelta


@dataclass(frozen=True, slots=True)
class Login:
    """What a login attempt gives: a user, or why not (`bad` or `throttled`)."""

    user: User | None
    refusal: str = ""


@dataclass(frozen=True, slots=True)
class Signed:
    """The signed-in user of a request and the CSRF token of their session."""

    user: User
    session_id: int
    csrf_token: str


@lru_cache(maxsize=1)
def _hasher() -> PasswordHash:
    return PasswordHash.recommended()


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    """Checked for a name with no account, so that the answer takes as long."""
    return _hasher().hash(secrets.token_hex(16))


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(f"密码至少 {MIN_PASSWORD_CHARS} 个字符。")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def find_user(session: Session, name: str) -> User | None:
    return session.scalars(select(User).where(User.name == name)).first()


def _existing(session: Session, name: str) -> User:
    user = find_user(session, name)
    if user is None:
        raise AccountError(f"没有名为“{name}”的账号。")
    return user


def add_user(session: Session, name: str, role: str, department_code: str | None,
             password: str) -> User:
    name = name.strip()
    if not name or len(name) > 80:
        raise AccountError("用户名不能为空，且不超过 80 个字符。")
    if role not in ROLES:
        raise AccountError("角色只能是 office（联席办）或 department（责任单位）。")
    if role == "department" and not department_code:
        raise AccountError("责任单位账号要用 --department 指定所属单位。")
    if role == "office":
        department_code = None
    if find_user(session, name) is not None:
        raise AccountError(f"已有名为“{name}”的账号。")
    check_password(password)
    user = User(name=name, role=role, department_code=department_code,
                password_hash=_hasher().hash(password), active=True)
    session.add(user)
    session.flush()
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.role.desc(), User.name)))


def _end_sessions(session: Session, user_id: int) -> None:
    session.execute(update(ConsoleSession)
                    .where(ConsoleSession.user_id == user_id, ConsoleSession.ended_at.is_(None))
                    .values(ended_at=utcnow()))


def set_password(session: Session, name: str, password: str) -> None:
    user = _existing(session, name)
    check_password(password)
    user.password_hash = _hasher().hash(password)
    user.password_changed_at = utcnow()
    _end_sessions(session, user.id)


def disable_user(session: Session, name: str) -> None:
    user = _existing(session, name)
    user.active = False
    _end_sessions(session, user.id)


def log_event(session: Session, user_name: str, action: str, detail: str = "",
              client: str = "") -> None:
    session.add(AuditEvent(user_name=user_name[:80], action=action, detail=detail,
                           client=client[:100]))


def attempt_login(session: Session, name: str, password: str, policy: SessionPolicy,
                  now: dt.datetime | None = None) -> Login:
    """The user, if the name and password are right, the account active and the name not
    throttled. Every refusal looks the same to the person typing, except throttling."""
    now = now or utcnow()
    throttle = session.get(LoginThrottle, name[:80])
    if throttle is not None and throttle.locked_until is not None \
            and as_utc(throttle.locked_until) > now:
        return Login(None, "throttled")
    user = find_user(session, name)
    known = user is not None and user.active
    hashed = user.password_hash if user is not None else _decoy_hash()
    if _hasher().verify(password, hashed) and known:
        if throttle is not None:
            session.delete(throttle)
        return Login(user)
    if throttle is None:
        throttle = LoginThrottle(name=name[:80], failures=0)
        session.add(throttle)
    elif throttle.locked_until is not None or now - as_utc(throttle.last_failure_at) \
            > policy.lockout:
        throttle.failures, throttle.locked_until = 0, None  # an old streak is forgotten
    throttle.failures += 1
    throttle.last_failure_at = now
    if throttle.failures >= policy.failures_allowed:
        throttle.locked_until = now + policy.lockout
        return Login(None, "throttled")
    return Login(None, "bad")


def start_session(session: Session, user: User) -> str:
    """A new session for the user; its token, for the cookie."""
    token = secrets.token_urlsafe(16)  # 128 bits
    session.add(ConsoleSession(token_hash=token_hash(token), user_id=user.id,
                               csrf_token=secrets.token_urlsafe(32)))
    session.flush()
    return token


def signed_in(session: Session, token: str, policy: SessionPolicy,
              now: dt.datetime | None = None) -> Signed | None:
    """The session's user, while the session is live (and it is kept alive)."""
    now = now or utcnow()
    row = session.execute(
        select(ConsoleSession, User).join(User, User.id == ConsoleSession.user_id)
        .where(ConsoleSession.token_hash == token_hash(token))).first()
    if row is None:
        return None
    live, user = row
    expired = (now - as_utc(live.last_seen_at) > policy.idle
               or now - as_utc(live.created_at) > policy.absolute)
    if live.ended_at is not None or not user.active or expired:
        if live.ended_at is None:
            live.ended_at = now
        return None
    live.last_seen_at = now
    return Signed(user, live.id, live.csrf_token)


def end_session(session: Session, session_id: int) -> None:
    session.execute(update(ConsoleSession).where(ConsoleSession.id == session_id)
                    .values(ended_at=utcnow()))
