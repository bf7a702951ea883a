"""The Chinese words for every code a clerk may see: one place, used by the exports, the
mails, the console and the report."""

SEVERITY_ZH = {"error": "错误", "warning": "提醒", "info": "说明"}
ISSUE_STATE_ZH = {"open": "待处理", "explained": "已说明", "resolved": "已解决",
                  "closed": "已关闭"}  # closed: the round ended, or the indicator retired
# A note (说明) is something the system did, for information: nobody has to act on it.
NOTE_STATE_ZH = "仅供知悉"


def issue_state_zh(severity: str, state: str) -> str:
    return NOTE_STATE_ZH if severity == "info" and state not in ("resolved", "closed") else \
        ISSUE_STATE_ZH[state]
LEDGER_ZH = {"submitted": "已报", "not_submitted": "未报", "needs_fix": "待修改",
             "approved": "审核通过"}
CELL_STATUS_ZH = {"ok": "已采用", "warning": "已采用（有提醒）", "pending": "待修改（沿用旧值）",
                  "rejected": "未通过校验", "missing": "未报送", "not_applicable": "不适用",
                  "entered": "联席办录入", "refused": "联席办不采用"}
SUBMISSION_STATUS_ZH = {"accepted": "全部采用", "partially_accepted": "部分采用（有错误）",
                        "rejected": "未采用", "superseded": "已被新版本替代",
                        "unchanged": "与上一版相同", "held": "已存档，待联席办决定（已审核通过）"}
TRIGGER_ZH = {"schedule": "夜间定时", "inbox": "收到新文件", "manual": "手动",
              "mail": "收到邮件", "upload": "网页上传"}
OUTCOME_ZH = {"running": "进行中", "succeeded": "完成", "failed": "出错", "stopped": "被停止",
              "crashed": "中断"}
MAIL_STATUS_ZH = {"queued": "待发送", "sent": "已发送", "failed": "发送失败",
                  "written": "仅保存（未配置邮件服务器）"}
MAIL_ZH = {"issues": "问题通知", "confirmation": "通过确认", "reminder": "催报提醒",
           "summary": "联席办日报", "mail_reply": "收件回复", "decision": "联席办决定",
           "sender_check": "发件人验证", "held": "存档待定", "round": "新一轮通知"}

# Where in the run a file's processing broke (an internal error, not the sender's fault).
PROBLEM_STAGE_ZH = {"inbox": "收件", "read": "读取", "validate": "校验", "load": "入库"}
UPLOAD_STATE_ZH = {"refused": "未接收", "saved": "正在校验", "done": "已校验",
                   "failed": "处理出错"}
CHANNEL_ZH = {"inbox": "收件箱", "mail": "邮件", "upload": "网页上传"}
DECISION_ZH = {"accept": "确认采用", "reject": "不采用", "set": "录入数值", "choose": "选用文件",
               "approve": "审核通过", "return": "退回修改", "lock": "定稿", "unlock": "解除定稿",
               "carry": "上轮已采用", "keep": "不采用修订"}
