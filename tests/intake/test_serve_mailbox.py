"""`huizong serve` with the office mailbox: a department's reply is answered in its
thread within seconds, by a real serve process, real Dovecot and a real SMTP server."""

import email
import signal
import time
from email import policy

from sqlalchemy import func, select

from tests.flows.test_serve import _caught_up, _start, _stops_in_time, _wait_for_line
from tests.intake.conftest import DONE, department_mail
from tests.intake.test_mail_loop import DISABLED, _corrected_reply
from warehouse.models import Run
from warehouse.store import Warehouse

ANSWER_WITHIN = 60


def _runs(root) -> dict[str, int]:
    with Warehouse(f"sqlite:///{root / 'var' / 'huizong.db'}").begin() as session:
        return dict(session.execute(select(Run.trigger, func.count()).group_by(Run.trigger))
                    .all())


def _mail_to(smtp_mailbox, address, seconds, count=1):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = [email.message_from_bytes(content, policy=policy.default)
                 for _, to, content in list(smtp_mailbox.received) if to == [address]]
        if len(found) >= count:
            return found
        time.sleep(0.05)
    raise AssertionError(f"no mail #{count} to {address} within {seconds} s")


def test_serve_answers_a_reply_in_its_thread_within_seconds(office_mailbox, smtp, tmp_path,
                                                             monkeypatch):
    smtp_mailbox, _ = smtp
    monkeypatch.setenv("HUIZONG_IMAP_POLL_SECONDS", "30")
    process = _start(tmp_path, "serve", "--port", "0", "--interval", "30", external_api=True)
    try:
        _wait_for_line(process, "Prefect 界面", 240)
        _caught_up(tmp_path, 180)
        [issues] = _mail_to(smtp_mailbox, DISABLED, 120)
        inbox_runs = _runs(tmp_path).get("inbox", 0)
        timings = []
        for attempt in range(3):
            reply = _corrected_reply(issues) if attempt == 0 else department_mail(
                DISABLED, f"再发一次 {attempt}", [("残联填报表.xlsx",
                                                (tmp_path / "inbox" / "残联填报表.xlsx")
                                                .read_bytes())], answers=issues)
            started = time.monotonic()
            office_mailbox.deliver(reply)
            answers = _mail_to(smtp_mailbox, DISABLED, ANSWER_WITHIN, count=2 + attempt)
            timings.append(time.monotonic() - started)
            assert answers[-1]["In-Reply-To"].strip() == reply["Message-ID"].strip()
        print("reply arrived -> answer sent, serve running: "
              + ", ".join(f"{t:.2f} s" for t in timings))
        assert "数据已通过校验" in answers[1]["Subject"]
        assert len(office_mailbox.messages(DONE)) == 3
        # Each reply is one run, the pass's own: the inbox watcher leaves its files alone.
        runs = _runs(tmp_path)
        assert runs["mail"] == 3 and runs.get("inbox", 0) == inbox_runs, runs
        _stops_in_time(process, signal.SIGTERM)
    finally:
        if process.poll() is None:
            process.kill()
