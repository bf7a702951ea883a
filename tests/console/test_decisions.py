"""确认采用 on the console: a button with a 理由 field on the issue list, for the office only."""

from sqlalchemy import select

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
