"""Times for people and for machines.

Everything is stored in UTC. A person reads local time (`HUIZONG_TIMEZONE`, default
Asia/Shanghai) without seconds unless they matter; a machine file gets ISO 8601 with the
offset, so SQLite (which hands back naive UTC) and PostgreSQL (aware) write the same text.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from config.settings import get_settings


def local_zone() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def as_utc(moment: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def to_local(moment: dt.datetime) -> dt.datetime:
    return as_utc(moment).astimezone(local_zone())


def local_now() -> dt.datetime:
    return dt.datetime.now(local_zone())


def iso_local(moment: dt.datetime | None) -> str:
    """`2026-11-28T02:04:08+08:00`, or "" for no time."""
    return to_local(moment).isoformat(timespec="seconds") if moment else ""


def local_text(moment: dt.datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """A time as a clerk reads it, or "—" for no time."""
    return to_local(moment).strftime(pattern) if moment else "—"


def age_text(seconds: float) -> str:
    """`45 秒` / `12 分钟` / `3 小时 5 分钟`."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} 秒"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} 分钟"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} 小时 {minutes} 分钟" if minutes else f"{hours} 小时"
