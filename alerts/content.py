"""Every sentence a department or the office reads in a mail: subjects, plain-text and
HTML bodies. User-typed text (values, file names) is escaped in HTML."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from html import escape

from schemas.issue import HELD_BACK_RULES
from schemas.labels import LEDGER_ZH, SEVERITY_ZH

# Inline styles only: many mail clients (and government webmail) drop a <style> block.
BODY_STYLE = "font-family:'Microsoft YaHei',SimSun,sans-serif;font-size:14px"
TABLE_STYLE = "border-collapse:collapse"
CELL_STYLE = "border:1px solid #999;padding:4px 8px;vertical-align:top"
HEADER_STYLE = f"{CELL_STYLE};background:#ddebf7"
ROW_STYLE = {"error": "background:#ffc7ce", "warning": "background:#ffeb9c"}
MISSING_RULE = "missing_value"


@dataclass(frozen=True, slots=True)
class IssueLine:
    severity: str
    place: str
    indicator: str
    year: int | None
    raw: str
    problem: str
    suggestion: str
    rule: str = ""
    file_name: str = ""  # the file holding the problem

    @property
    def about_file(self) -> bool:
        """A problem of a whole file (refused, unknown rows), not of a figure."""
        return not (self.indicator and self.year)

    @property
    def place_zh(self) -> str:
        if self.place:
            return self.place
        if self.about_file:
            return f"《{self.file_name}》整个文件" if self.file_name else "整个文件"
        return "表中没有这一项"


# How a department explains a warned figure, on any layout: the reader takes a column
# headed 备注 wherever it is, including one the clerk adds at the right of the table.
EXPLAIN_ZH = ("如确属实，请在该行“备注”栏写明原因后重新报送（表中没有“备注”栏的，在表格最右侧"
              "加一列、表头写“备注”即可），写明原因后不再提醒")


@dataclass(frozen=True, slots=True)
class ChangeLine:
    place: str
    indicator: str
    year: int
    old: str
    new: str


@dataclass(slots=True)
class Mail:
    subject: str
    text: str
    html: str


@dataclass(slots=True)
class Context:
    city: str
    office: str
    deadline: dt.date
    today: dt.date
    extras: dict[str, str] = field(default_factory=dict)
    contact_zh: str = ""  # who at the office to call: person, phone, mailbox

    @property
    def prefix(self) -> str:
        return f"【{self.city}青年发展数据】"

    @property
    def deadline_zh(self) -> str:
        return f"{self.deadline.year}年{self.deadline.month}月{self.deadline.day}日"

    @property
    def signature(self) -> str:
        lines = ["感谢支持配合！", *([self.contact_zh] if self.contact_zh else []), "",
                 self.office, f"{self.today.year}年{self.today.month}月{self.today.day}日"]
        return "\n".join(lines)


def _html(paragraphs: list[str], tables: list[str]) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs[:-1]) + "".join(tables)
    return (f"<html><head><meta charset='utf-8'></head><body style=\"{BODY_STYLE}\">{body}"
            f"<p>{paragraphs[-1]}</p></body></html>")


def _table(header: list[str], rows: list[list[str]], kinds: list[str] | None = None) -> str:
    head = "".join(f"<th style=\"{HEADER_STYLE}\">{escape(h)}</th>" for h in header)
    lines = "".join(
        f"<tr style=\"{ROW_STYLE.get((kinds or [''] * len(rows))[n], '')}\">"
        + "".join(f"<td style=\"{CELL_STYLE}\">{escape(str(v))}</td>" for v in row) + "</tr>"
        for n, row in enumerate(rows))
    return f"<table style=\"{TABLE_STYLE}\"><tr>{head}</tr>{lines}</table>"


def _one_line(value: object) -> str:
    """A file name may hold a line break; a table row must not."""
    return " ".join(str(value).split("\n")).replace("\r", " ")


def _text_table(rows: list[list[str]]) -> str:
    return "\n".join("  " + " | ".join(_one_line(v) for v in row) for row in rows)


def _files(names: list[str]) -> str:
    return "".join(f"《{name}》" for name in names)


UNUSED_NOTE = ("以下文件未能读取，其中的内容没有采用；贵单位应报的数据已从其他文件采用，"
               "这些文件无需再处理：")
UNUSED_HEADER = ["文件", "未能读取的原因"]


def _unused_parts(unused: list[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """(text lines, html tables) naming the files that were settled unused."""
    if not unused:
        return [], []
    rows = [[name, reason] for name, reason in unused]
    return (["", UNUSED_NOTE, _text_table([UNUSED_HEADER, *rows])],
            [f"<p>{escape(UNUSED_NOTE)}</p>" + _table(UNUSED_HEADER, rows)])


@dataclass(frozen=True, slots=True)
class Tally:
    """What a department's open problems come to, as its mail's subject says it."""

    refused_files: list[str]
    file_errors: int
    errors: int
    missing: int
    figure_warnings: int
    file_warnings: int
    held_back: int = 0  # values not taken until the office decides: nothing to fix

    @classmethod
    def of(cls, issues: list[IssueLine]) -> Tally:
        file_errors = sum(1 for i in issues if i.severity == "error" and i.about_file)
        return cls(
            sorted({i.file_name for i in issues if i.severity == "error" and i.about_file
                    and i.file_name}),
            file_errors, sum(1 for i in issues if i.severity == "error") - file_errors,
            sum(1 for i in issues if i.rule == MISSING_RULE),
            sum(1 for i in issues if i.severity == "warning" and i.rule != MISSING_RULE
                and i.rule not in HELD_BACK_RULES and not i.about_file),
            sum(1 for i in issues if i.severity == "warning" and i.about_file),
            sum(1 for i in issues if i.rule in HELD_BACK_RULES))

    @property
    def verdict_zh(self) -> str:
        """As the ledger says: an error or a missing value is 待修改; only warnings ask to
        check; nothing open has passed."""
        if self.errors or self.missing or self.file_errors:
            return "填报数据需修改"
        if self.figure_warnings + self.file_warnings:
            return "填报数据请核对"
        return "部分数值待联席办确认" if self.held_back else "数据已通过校验"

    @property
    def counts_zh(self) -> str:
        warnings = self.figure_warnings + self.file_warnings
        return "，".join(x for x in (
            f"{len(self.refused_files) or self.file_errors}个文件未能采用"
            if self.file_errors else "",
            f"{self.errors}项错误" if self.errors else "",
            f"{self.missing}项未填" if self.missing else "",
            f"{warnings}项提醒" if warnings else "",
            f"{self.held_back}项待联席办确认" if self.held_back else "") if x)


def issues_mail(ctx: Context, department: str, contact: str, issues: list[IssueLine],
                changes: list[ChangeLine], resolved: list[str], *,
                attached: list[str] | None = None, not_marked: list[str] | None = None,
                unused: list[tuple[str, str]] | None = None) -> Mail:
    """`attached`: the annotated copies this mail carries; `not_marked`: the department's
    files that could not be used at all, so that nothing of them could be marked;
    `unused`: (file, reason) of refused files it need not send again."""
    attached, not_marked = attached or [], not_marked or []
    tally = Tally.of(issues)
    refused_files, file_errors, errors = tally.refused_files, tally.file_errors, tally.errors
    missing, figure_warnings, file_warnings = (tally.missing, tally.figure_warnings,
                                               tally.file_warnings)
    need, counts = tally.verdict_zh, tally.counts_zh
    subject = f"{ctx.prefix}{department} {need}（{counts}）"
    ordered = sorted(issues, key=lambda i: i.severity != "error")
    header = ["级别", "表/单元格", "指标", "年度", "填报值", "问题", "修改建议"]
    rows = [[SEVERITY_ZH[i.severity], i.place_zh, i.indicator, str(i.year or ""),
             i.raw, i.problem, i.suggestion] for i in ordered]
    intro = f"{contact}同志：您好！贵单位报送的青年发展数据已完成校验，" + "；".join(x for x in (
        f"{_files(refused_files)}未能采用，原因见下表" if refused_files else
        (f"有 {file_errors} 项文件问题，该文件未能采用" if file_errors else ""),
        f"有 {errors} 项错误，这些数值暂未采用，请修改后重新报送" if errors else "",
        f"有 {missing} 项数据未填写，请补报" if missing else "",
        f"有 {figure_warnings} 项提醒，这些数值已采用，请核对，{EXPLAIN_ZH}"
        if figure_warnings else "",
        f"有 {file_warnings} 项提醒涉及整个文件或表中无法识别的内容，请核对"
        if file_warnings else "",
        f"有 {tally.held_back} 项数值与已采用的数值不同（如修订了往年数据），暂不采用，待联席办确认"
        "后告知，贵单位无需为此重新报送" if tally.held_back else "") if x) + "。"
    how = []
    if attached:
        how.append(f"附件是贵单位报送的{_files(attached)}，问题单元格已标红（错误）或标黄（提醒）"
                   "并附批注，第一张工作表“问题清单”可直接点击跳转。请在附件中修改后保存，"
                   f"于 {ctx.deadline_zh} 前回复本邮件发回，收到后会重新校验。")
    if not_marked:
        how.append(f"{_files(not_marked)}无法读取其中的数据，因此没有附上标注后的副本；请按上表"
                   f"说明处理后，于 {ctx.deadline_zh} 前重新发送填报表，收到后会重新校验。")
    if not how:
        how.append(f"请按上表说明处理后，于 {ctx.deadline_zh} 前重新发送填报表，"
                   "收到后会重新校验。")
    paragraphs, tables, text_parts = [escape(intro)], [], [intro, "", _text_table([header, *rows])]
    tables.append(_table(header, rows, [i.severity for i in ordered]))
    if changes or resolved:
        change_rows = [[c.place, c.indicator, str(c.year), c.old or "（空）", c.new or "（空）"]
                       for c in changes]
        note = f"与上一版相比，本次修改了 {len(changes)} 个单元格，解决了 {len(resolved)} 项问题。"
        tables.append(f"<p>{escape(note)}</p>"
                      + _table(["单元格", "指标", "年度", "原值", "新值"], change_rows))
        if resolved:
            tables.append("<p>已解决：</p><ul>"
                          + "".join(f"<li>{escape(r)}</li>" for r in resolved) + "</ul>")
        text_parts += ["", note, _text_table(change_rows), *(f"  已解决：{r}" for r in resolved)]
    unused_text, unused_html = _unused_parts(unused or [])
    text_parts += unused_text
    tables += unused_html
    paragraphs += [*(escape(h) for h in how), escape(ctx.signature).replace("\n", "<br>")]
    text = "\n".join([*text_parts, "", *how, "", ctx.signature])
    return Mail(subject, text, _html(paragraphs, tables))


def confirmation_mail(ctx: Context, department: str, contact: str, resolved: list[str],
                      unused: list[tuple[str, str]] | None = None) -> Mail:
    subject = f"{ctx.prefix}{department} 数据已通过校验"
    body = (f"{contact}同志：您好！贵单位重新报送的数据已通过校验，此前提示的问题已全部解决"
            f"（共 {len(resolved)} 项）。" if resolved else
            f"{contact}同志：您好！贵单位应报的数据已通过校验，已全部采用"
            + ("（有的文件未能读取，见下表）。" if unused else "。"))
    items = "".join(f"<li>{escape(r)}</li>" for r in resolved)
    unused_text, unused_html = _unused_parts(unused or [])
    text = "\n".join([body, *(f"  已解决：{r}" for r in resolved), *unused_text, "",
                      ctx.signature])
    return Mail(subject, text, _html([escape(body), escape(ctx.signature).replace("\n", "<br>")],
                                     ([f"<ul>{items}</ul>"] if items else []) + unused_html))


def _plain(ctx: Context, subject: str, body: str, header: list[str],
           rows: list[list[str]]) -> Mail:
    """A short mail: a paragraph, an optional table, the signature."""
    text = "\n".join([body, *(["", _text_table([header, *rows])] if rows else []), "",
                      ctx.signature])
    return Mail(subject, text, _html([escape(body), escape(ctx.signature).replace("\n", "<br>")],
                                     [_table(header, rows)] if rows else []))


def nothing_usable_mail(ctx: Context, department: str, contact: str, their_subject: str,
                        refused: list[tuple[str, str]]) -> Mail:
    """The answer to a department's message that brought no workbook we could take."""
    what = ("没有附件" if not refused else "附件中没有可以处理的填报表")
    body = (f"{contact}同志：您好！已收到贵单位的邮件《{their_subject or '（无主题）'}》，但邮件"
            f"{what}，数据没有更新。请把填好的填报表（.xlsx、.xls 或 .et 文件，也可打包为 .zip）"
            f"作为附件回复本邮件，于 {ctx.deadline_zh} 前发回，收到后会自动校验。")
    return _plain(ctx, f"{ctx.prefix}{department} 邮件已收到，但没有可处理的填报表", body,
                  ["附件", "未处理的原因"], [[name, reason] for name, reason in refused])


def elsewhere_mail(ctx: Context, department: str, contact: str, files: list[str],
                   owners: list[str]) -> Mail:
    """The answer to a message whose workbooks say they are another department's."""
    names, whose = "、".join(f"《{f}》" for f in files), "、".join(owners)
    body = (f"{contact}同志：您好！已收到贵单位发来的{names}。表内“填报单位”是{whose}，"
            f"已作为{whose}的数据处理，校验结果将发给{whose}。如果发错了文件，请把贵单位的"
            "填报表作为附件回复本邮件。")
    return _plain(ctx, f"{ctx.prefix}{department} 邮件已收到（表格属于{whose}）", body, [], [])


def reminder_mail(ctx: Context, department: str, contact: str, submitted: bool,
                  missing: dict[int, list[str]]) -> Mail:
    overdue = ctx.today > ctx.deadline
    when = (f"已超过报送截止时间（{ctx.deadline_zh}）" if overdue
            else f"报送截止时间为 {ctx.deadline_zh}")
    subject = (f"{ctx.prefix}{department} 请尽快报送数据（{'已逾期' if overdue else '截止'}"
               f"{ctx.deadline.month}月{ctx.deadline.day}日）")
    state = "尚有以下指标未报送" if submitted else "尚未报送青年发展数据"
    body = f"{contact}同志：您好！{when}，贵单位{state}。请使用下发的填报表填写后报送。"
    rows = [[str(year), "、".join(names)] for year, names in sorted(missing.items()) if names]
    text = "\n".join([body, "", _text_table([["年度", "未报送指标"], *rows]), "", ctx.signature])
    return Mail(subject, text, _html([escape(body), escape(ctx.signature).replace("\n", "<br>")],
                                     [_table(["年度", "未报送指标"], rows)]))


def round_mail(ctx: Context, department: str, contact: str, round_name: str,
               years: tuple[int, ...], carried: int, template_name: str) -> Mail:
    """A round opens: the department's template, its past years filled in."""
    first, last = years[0], years[-1]
    filled = (f"其中 {first}—{last - 1} 年已填入往年已采用的数值（灰色单元格，共 {carried} 个），"
              "请核对：无误不必改动，有误直接改写并在备注中说明原因，改动的往年数值经联席办确认后"
              f"采用；{last} 年及空白单元格请填写。" if carried else
              f"请填写 {first}—{last} 年各年度的数值。")
    body = (f"{contact}同志：您好！{round_name}现已开始，请报送贵单位 {first}—{last} 年的青年发展"
            f"数据，截止时间为 {ctx.deadline_zh}。附件《{template_name}》是贵单位的填报表，{filled}"
            "填好后直接回复本邮件并附上填报表即可（请保持 .xlsx 格式），收到后会自动校验。")
    return _plain(ctx, f"{ctx.prefix}{department} {round_name}通知（截止 {ctx.deadline_zh}）",
                  body, [], [])


def summary_mail(ctx: Context, ledger: list[list[str]], loaded: list[list[str]],
                 opened: int, resolved: int, problems: list[list[str]] | None = None,
                 operations: list[list[str]] | None = None,
                 mailbox: list[list[str]] | None = None,
                 report: list[list[str]] | None = None,
                 revisions: list[list[str]] | None = None) -> Mail:
    """`problems`: [file, what happened] of files nobody's sender is to blame for;
    `operations`: [time, what happened] of the pipeline itself (a run that died, mail that
    could not be delivered); `mailbox`: [time, sender, subject, what happened] of messages
    in the office mailbox nothing was taken from; `report`: [what, why] of the report's
    figures that are missing (待补) or rest on a flagged value (待核); `revisions`:
    [department, what, file and cell] of past years revised, waiting for the office."""
    subject = f"{ctx.prefix}报送情况日报（{ctx.today.month}月{ctx.today.day}日）"
    counts = {status: sum(1 for row in ledger if row[-1] == LEDGER_ZH[status])
              for status in LEDGER_ZH}
    body = (f"截至今日：已报 {counts['submitted'] + counts['approved']} 个单位，"
            f"待修改 {counts['needs_fix']} 个，未报 {counts['not_submitted']} 个"
            f"（截止 {ctx.deadline_zh}）"
            + (f"，已报的单位中已审核通过 {counts['approved']} 个" if counts["approved"] else "")
            + "。自上次日报以来，"
            f"收到 {len(loaded)} 个新版本，新发现问题 {opened} 项，解决 {resolved} 项。")
    ledger_header = ["单位", "应报", "已采用", "待改错误", "待核提醒", "状态"]
    loaded_header = ["单位", "文件", "版本", "结果"]
    sections = [  # (what it is, its columns, its rows): only those with rows are written
        (f"修订往年数据、待联席办决定的数值（共 {len(revisions or [])} 项，已采用的数值暂不变，"
         "用 huizong review accept / reject 或审核台决定）：",
         ["单位", "修订", "文件、单元格"], revisions),
        ("以下文件未能处理（不是报送单位的问题，未通知单位）：", ["文件", "情况"], problems),
        ("系统运行情况（无需各单位处理）：", ["时间", "情况"], operations),
        ("邮箱中以下邮件没有可采用的填报表，请查看：", ["收到时间", "发件人", "主题", "情况"],
         mailbox),
        (f"报告初稿中待补的数据和基于有提醒数值的数字（共 {len(report or [])} 处，"
         "正文中以【待补】【待核】标出）：", ["报告中的数字", "情况"], report),
    ]
    written = [(note, header, rows) for note, header, rows in sections if rows]
    text = "\n".join([body, "", _text_table([ledger_header, *ledger]), "",
                      "新收到的版本：", _text_table([loaded_header, *loaded]) if loaded else "  无",
                      *(line for note, header, rows in written
                        for line in ("", note, _text_table([header, *rows]))),
                      "", ctx.signature])
    tables = [_table(ledger_header, ledger),
              "<p>新收到的版本：</p>" + (_table(loaded_header, loaded) if loaded else "<p>无</p>"),
              *(f"<p>{escape(note)}</p>" + _table(header, rows) for note, header, rows in written)]
    return Mail(subject, text, _html([escape(body), escape(ctx.signature).replace("\n", "<br>")],
                                     tables))


@dataclass(frozen=True, slots=True)
class DecisionNotice:
    """What the department is told about one of the office's decisions."""

    action: str
    reason: str
    by: str
    at_zh: str
    indicator: str = ""  # its Chinese name
    year: int | None = None
    before: str = ""
    after: str = ""
    unit: str = ""
    file_name: str = ""
    revision: bool = False  # an accept of a past year's revision


APPROVED_ZH = "审核通过"  # the reason of an approval nobody wrote one for


def decision_mail(ctx: Context, department: str, contact: str, notice: DecisionNotice) -> Mail:
    """The department hears each decision about its data, with the reason, the same day."""
    what = f"「{notice.indicator}」{notice.year}年" if notice.indicator else ""
    again = (f"请核实后于 {ctx.deadline_zh} 前重新报送（可直接回复本邮件，附上改好的填报表），"
             "收到后会自动校验。")
    action = "accept_revision" if notice.revision and notice.action == "accept" else \
        notice.action
    subject, body = {
        "accept_revision": ("联席办已确认采用一项修订",
                            f"贵单位对{what}的修订“{notice.after}”（上轮已采用“{notice.before}”），"
                            f"经联席办核实，确认采用，汇总按修订后的数值计。理由：{notice.reason}。"),
        "keep": ("联席办不采用一项修订",
                 f"贵单位对{what}的修订“{notice.before}”，联席办不采用，仍采用上轮已采用的数值"
                 f"“{notice.after}”。理由：{notice.reason}。如有疑问请与联席办联系。"),
        "accept": ("联席办已确认采用一项有提醒的数值",
                   f"贵单位填报的{what}数值“{notice.after}”有校验提醒，经联席办核实，确认采用。"
                   f"理由：{notice.reason}。该项无需再修改。"),
        "reject": ("联席办不采用一项数值，请核实后重新报送",
                   f"贵单位填报的{what}数值“{notice.before}”，联席办不采用，理由：{notice.reason}。"
                   f"该项现为空缺。{again}"),
        "set": ("联席办已录入一项数值",
                f"贵单位的{what}数值已由联席办录入为“{notice.after}”{notice.unit}"
                + (f"（原为“{notice.before}”）" if notice.before else "（原未报送）")
                + f"，理由：{notice.reason}（{notice.by}，{notice.at_zh}）。贵单位以后报送的该项"
                  "数值与此不同时，将由联席办确认后再采用。"),
        "choose": (f"联席办已选用《{notice.file_name}》",
                   f"贵单位报送的《{notice.file_name}》已由联席办选用，其中的数值按校验结果采用。"
                   f"理由：{notice.reason}。"),
        "approve": ("本轮数据已审核通过",
                    "贵单位本轮报送的数据已经联席办审核通过"
                    + ("" if notice.reason == APPROVED_ZH else f"（意见：{notice.reason}）")
                    + "。此后如需修改，"
                    "请先与联席办联系；再报送的文件将存档，待联席办决定后再采用。"),
        "return": ("本轮数据退回修改",
                   f"贵单位本轮报送的数据经联席办审核，退回修改。理由：{notice.reason}。{again}"),
    }[action]
    return _plain(ctx, f"{ctx.prefix}{department} {subject}", f"{contact}同志：您好！{body}",
                  [], [])


def unverified_mail(ctx: Context, department: str, contact: str, sender: str,
                    arrived_zh: str, their_subject: str, files: list[str], forged: bool) -> Mail:
    """To the department's registry address, never to the message's own: a message in
    its name whose sender failed verification (forged) or could not be verified."""
    names = "".join(f"《{name}》" for name in files) or "（无可处理的附件）"
    head = (f"{contact}同志：您好！联席办邮箱于 {arrived_zh} 收到一封以贵单位名义（{sender}）"
            f"发送的邮件《{their_subject or '（无主题）'}》，附件 {names}。")
    if forged:
        return _plain(ctx, f"{ctx.prefix}{department} 有人以贵单位名义发送了填报表，未予采用",
                      head + "这封邮件未通过发件人验证：有人以贵单位名义发送了填报表，未予采用；"
                      "如确系贵单位发送，请联系联席办。", [], [])
    return _plain(ctx, f"{ctx.prefix}{department} 邮件已收到，发件人待确认",
                  head + "联席办邮件服务器无法验证这封邮件的发件人，附件暂未采用，待联席办确认后"
                  "处理；如确系贵单位发送，请联系联席办。", [], [])


def held_mail(ctx: Context, department: str, contact: str, file_name: str) -> Mail:
    """A file of a department whose data the office approved: kept, not taken."""
    return _plain(ctx, f"{ctx.prefix}{department} 文件已收到，待联席办决定",
                  f"{contact}同志：您好！贵单位本轮数据已经联席办审核通过。新报送的《{file_name}》"
                  "已收到并存档，暂未采用，已采用的数据不变；如需修改已通过的数据，请与联席办联系。",
                  [], [])
