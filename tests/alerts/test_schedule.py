"""When reminders go out, on fixed dates, without a mail server (outbox only)."""

import datetime as dt

import pytest
from sqlalchemy import func, select, update

from alerts.stage import run_alerts
from tests.warehouse.helpers import example_warehouse
from warehouse.models import Alert


@pytest.fixture
def warehouse_without_org(tmp_path):
    with example_warehouse(tmp_path, leave_out=("市委组织部填报表.xlsx",)) as loaded:
        yield loaded


def _run_on(warehouse, settings, day: dt.date, kind: str) -> int:
    """Run the alert stage as on `day`; how many mails of `kind` it composed."""
    with warehouse.begin() as session:
        before = session.scalar(select(func.max(Alert.id))) or 0
    report = run_alerts(warehouse, settings, today=day)
    # Date what was just recorded on that day, as if the run had happened then.
    moment = dt.datetime.combine(day, dt.time(2), tzinfo=dt.UTC)
    with warehouse.begin() as session:
        session.execute(update(Alert).where(Alert.id > before).values(created_at=moment))
    return report.composed.get(kind, 0)


def test_reminder_schedule_around_the_deadline(warehouse_without_org):
    warehouse, settings = warehouse_without_org
    days = [dt.date(2026, 11, 30), dt.date(2026, 12, 1), dt.date(2026, 12, 8),
            dt.date(2026, 12, 9), dt.date(2026, 12, 12), dt.date(2026, 12, 14),
            dt.date(2026, 12, 16), dt.date(2026, 12, 17), dt.date(2026, 12, 18)]
    sent = {day.isoformat(): _run_on(warehouse, settings, day, "reminder") for day in days}
    assert sent == {
        "2026-11-30": 1,  # the first time
        "2026-12-01": 0,
        "2026-12-08": 1,  # 7 days before the deadline
        "2026-12-09": 0,
        "2026-12-12": 1,  # 3 days before
        "2026-12-14": 1,  # 1 day before
        "2026-12-16": 1,  # overdue: 2 days after the last one
        "2026-12-17": 0,
        "2026-12-18": 1,
    }
    mails = sorted(settings.outbox_dir.glob("*_reminder_org.eml"))
    assert len(mails) == 6


def test_unchanged_problems_are_resent_only_after_a_week(warehouse_without_org):
    warehouse, settings = warehouse_without_org
    days = [dt.date(2026, 11, 30), dt.date(2026, 12, 3), dt.date(2026, 12, 7),
            dt.date(2026, 12, 8)]
    sent = [_run_on(warehouse, settings, day, "issues") for day in days]
    assert sent == [6, 0, 6, 0]  # resend_after_days = 7
