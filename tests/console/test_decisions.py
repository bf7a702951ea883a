"""确认采用 on the console: a button with a 理由 field on the issue list, for the office only."""

from sqlalchemy import select

from samples.example_inbox import corrected_example
from tests.alerts.facts import parse_outbox
from tests.console.conftest import csrf_of, login
from warehouse.models import Decision, Issue

ARRESTED = "procuratorate.crimes_against_minors.arrest_persons"
FORM = {"department": "procuratorate", "indicator": ARRESTED, "year": "2023",
        "back": "/issues?department=procuratorate"}


def _warning(example_round) -> Issue:
    with example_round.warehouse.begin() as session:
        return session.scalars(select(Issue).where(
            Issue.indicator_code == ARRESTED, Issue.year == 2023,
            Issue.severity == "warning")).one()


def test_the_office_confirms_a_warned_value_with_a_reason(office, example_round):
    page = office.get("/issues?department=procuratorate")
    assert 'action="/decisions/accept"' in page.text and "确认采用" in page.text
    refused = office.post("/decisions/accept", data={**FORM, "reason": " ",
                                                     "csrf_token": csrf_of(office)},
                          follow_redirects=False)
    assert refused.headers["location"].endswith("error=reason")
    assert _warning(example_round).state == "open"
    reason = {"reason": "已电话核实，一案多人", "csrf_token": csrf_of(office)}
    done = office.post("/decisions/accept", data={**FORM, **reason})
    assert "已确认采用，记入决定记录" in done.text
    warning = _warning(example_round)
    assert (warning.state, warning.explanation) == ("explained", "联席办确认：已电话核实，一案多人")
    with example_round.warehouse.begin() as session:
        decision = session.scalars(select(Decision).order_by(Decision.id.desc())).first()
    assert (decision.by_name, decision.reason, decision.raw_value) == (
        "wumin", "已电话核实，一案多人", "10")
    dossier = office.get("/departments/procuratorate").text
    assert "已电话核实，一案多人" in dossier and "确认采用" in dossier
    report = (example_round.settings.outputs_dir / "report.md").read_text(encoding="utf-8")
    assert "2023年：数值已采用（联席办确认：已电话核实，一案多人）" in report


def test_a_department_cannot_decide_and_a_forged_form_changes_nothing(client, example_round):
    login(client, "jyj")
    mine = {**FORM, "department": "edu", "indicator": "edu.disabled_children.enrollment_rate",
            "year": "2024", "reason": "自己确认", "csrf_token": csrf_of(client)}
    assert client.post("/decisions/accept", data=mine).status_code == 404
    login(client, "wumin")
    forged = client.post("/decisions/accept", data={**FORM, "reason": "伪造"})
    assert forged.status_code == 403
    with example_round.warehouse.begin() as session:
        assert not session.scalars(select(Decision).where(Decision.reason.in_(
            ("自己确认", "伪造")))).all()


def test_the_office_returns_a_department_with_a_reason(office, client, example_round):
    back = "/departments/disabled"
    form = {"department": "disabled", "back": back}
    refused = office.post("/decisions/return", data={**form, "reason": "",
                                                     "csrf_token": csrf_of(office)},
                          follow_redirects=False)
    assert refused.headers["location"] == f"{back}?error=reason"
    reason = "2024年残疾青年就业人数与年报不一致，请核对"
    page = office.post("/decisions/return", data={**form, "reason": reason,
                                                  "csrf_token": csrf_of(office)})
    assert "已退回修改，已发邮件告知单位理由" in page.text
    assert "退回修改：" in page.text and reason in page.text
    ledger = {r.department_code: r.status for r in example_round.warehouse.current_ledger()}
    assert ledger["disabled"] == "needs_fix"
    mails = [m for m in parse_outbox(example_round.settings.outbox_dir)
             if m.kind == "decision" and m.department == "disabled"]
    assert mails and f"退回修改。理由：{reason}。" in mails[-1].text
    with example_round.warehouse.begin() as session:
        decision = session.scalars(select(Decision).where(
            Decision.action == "return", Decision.department_code == "disabled")).one()
    assert (decision.by_name, decision.department_code, decision.reason) == (
        "wumin", "disabled", reason)

    login(client, "jyj")  # a department neither sees the form nor may post it
    assert "退回修改" not in client.get("/departments/edu").text
    denied = client.post("/decisions/return", data={"department": "edu", "reason": "自己退回",
                                                     "csrf_token": csrf_of(client)})
    assert denied.status_code == 404


def test_the_office_locks_and_unlocks_the_round(office, example_round):
    outputs = example_round.settings.outputs_dir
    try:
        page = office.post("/decisions/lock", data={"reason": "报市委审定稿",
                                                    "csrf_token": csrf_of(office)})
        assert "已定稿：当前的汇总表和报告已保存为定稿版本" in page.text
        assert "本轮已于" in page.text and "定稿后没有变化" in page.text
        folder = max((outputs / "定稿").iterdir())  # the newest signed version
        assert (folder / "report.docx").is_file() and (folder / "indicator_table.xlsx").is_file()
        assert 'action="/decisions/unlock"' in page.text
        again = office.post("/decisions/lock", data={"reason": "再定一次",
                                                     "csrf_token": csrf_of(office)},
                            follow_redirects=False)
        assert again.headers["location"] == "/?error=refused"
    finally:
        page = office.post("/decisions/unlock", data={"reason": "市领导要求补充数据",
                                                      "csrf_token": csrf_of(office)})
    assert "已解除定稿：汇总表和报告已按当前数据重新生成" in page.text
    assert 'action="/decisions/lock"' in page.text
    with example_round.warehouse.begin() as session:
        actions = list(session.scalars(select(Decision.action).where(
            Decision.action.in_(("lock", "unlock"))).order_by(Decision.id)))
    assert actions[-2:] == ["lock", "unlock"]


def test_after_approval_an_upload_is_kept_and_the_page_says_so(office, example_round):
    from tests.console.test_upload import _upload

    approved = office.post("/decisions/approve", data={
        "department": "org", "back": "/departments/org", "csrf_token": csrf_of(office)})
    assert "已审核通过，该单位的数值已冻结" in approved.text
    assert '<span class="state approved">审核通过</span>' in approved.text
    try:
        workbook = corrected_example("市委组织部填报表.xlsx", "I5", 56)
        page, _ = _upload(office, example_round, "组织部更正.xlsx", workbook,
                          department="org")
        assert "文件已收到，待联席办决定" in page.text and "数据已通过校验" not in page.text
        assert "暂未采用，已采用的数据不变" in page.text
        overview = office.get("/").text
        assert "《组织部更正.xlsx》" in overview and "该单位已审核通过后报送" in overview
    finally:
        office.post("/decisions/return", data={"department": "org", "reason": "测试结束，解除冻结",
                                               "csrf_token": csrf_of(office)})
