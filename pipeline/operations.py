"""How the pipeline itself stands, as `huizong status` and the console's 总览 say it: the
run lock, the last run, the mail queue and the office mailbox."""

from __future__ import annotations

import datetime as dt

from config import Settings
from config.clock import age_text, local_text
from schemas.labels import MAIL_STATUS_ZH, OUTCOME_ZH, TRIGGER_ZH
from warehouse.alert_state import failed_mail, mail_counts
from warehouse.mail_log import mail_totals, unused_since
from warehouse.models import as_utc, utcnow
from warehouse.store import Warehouse


def operations_zh(warehouse: Warehouse, settings: Settings) -> list[str]:
    """Who holds the run lock, how the last run ended, where the mail stands."""

    holder = warehouse.lock_holder()
    lines = [f"正在运行：{holder.describe_zh()}。" if holder else "当前没有正在进行的汇总运行。"]
    last = warehouse.last_finished_run()
    if last is not None:
        ended = as_utc(last.finished_at or last.started_at)
        took = age_text((ended - as_utc(last.started_at)).total_seconds())
        outcome = OUTCOME_ZH.get(last.outcome, last.outcome)
        lines.append(f"上次运行：#{last.id}（{TRIGGER_ZH.get(last.trigger, last.trigger)}），"
                     f"{local_text(last.started_at)} 开始，结果：{outcome}，用时 {took}，"
                     f"{age_text((utcnow() - ended).total_seconds())}前结束。")
    with warehouse.begin() as session:
        counts = mail_counts(session)
        failed = failed_mail(session)
    lines.append("邮件：" + "，".join(f"{MAIL_STATUS_ZH[state]} {counts.get(state, 0)} 封"
                                   for state in MAIL_STATUS_ZH) + "。")
    lines += [f"  发送失败：{alert.recipient}《{alert.subject}》（{alert.attempts} 次，"
              f"{local_text(alert.created_at, '%m-%d %H:%M')} 生成）：{alert.last_error}"
              for alert in failed]
    return lines + _mailbox_zh(warehouse, settings)


def _mailbox_zh(warehouse: Warehouse, settings: Settings) -> list[str]:
    """The office mailbox: what was taken, and this week's messages nothing came from."""
    if not settings.imap_host:
        return ["邮箱收件：未配置（HUIZONG_IMAP_HOST），只处理放入收件箱的文件。"]
    with warehouse.begin() as session:
        count, newest = mail_totals(session)
        unused = unused_since(session, utcnow() - dt.timedelta(days=7))
    lines = [f"邮箱收件：{settings.imap_user}@{settings.imap_host} 的“{settings.imap_folder}”，"
             f"已收取 {count} 封，最近一封 {local_text(newest)} 收到；"
             f"近 7 天没有可采用表格的邮件 {len(unused)} 封" + ("：" if unused else "。")]
    lines += [f"  {local_text(m.arrived_at, '%m-%d %H:%M')} {m.sender or '（无发件人）'}"
              f"《{m.subject or '无主题'}》：{m.note_zh}" for m in unused[-10:]]
    return lines
