"""Who sees what: every route, as nobody, as the office and as a department."""

import re

import pytest
from sqlalchemy import select

from tests.console.conftest import login
from warehouse.models import Alert, AuditEvent, Submission

OTHER = "science"  # 科技局, for the 教育局 clerk


def _routes(example_round, department: str) -> list[str]:
    """Every GET route that shows or hands over one department's data."""
    with example_round.warehouse.begin() as session:
        version = session.scalars(select(Submission.id).where(
            Submission.department_code == department)).first()
        mail = session.scalars(select(Alert.id).where(Alert.department_code == department)).first()
    assert version is not None and mail is not None
    return [f"/departments/{department}", f"/departments/{department}/versions/{version}/file",
            f"/departments/{department}/versions/{version}/annotated",
            f"/departments/{department}/template",
            f"/departments/{department}/mails/{mail}"]


def test_the_login_page_asks_for_a_user_name_and_password(client):
    page = client.get("/login")
    assert page.status_code == 200
    for label in ("用户名", "密码", "登录"):
        assert label in page.text
    assert "退出" not in page.text


def test_every_page_asks_a_stranger_to_log_in(client, example_round):
    for path in ["/", "/issues", "/upload", "/uploads/1", "/outputs/report.docx",
                 *_routes(example_round, "edu")]:
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/login"), path


def test_the_office_sees_all_nine_departments_and_each_page(office, example_round):
    page = office.get("/")
    assert page.status_code == 200
    departments = example_round.warehouse.registry.submitting
    for department in departments:
        assert f'href="/departments/{department.code}">{department.name}</a>' in page.text
        assert office.get(f"/departments/{department.code}").status_code == 200
    assert "退出" in page.text
    assert office.get("/issues").status_code == 200


def test_a_department_sees_its_own_pages(education, example_round):
    home = education.get("/", follow_redirects=False)
    assert home.headers["location"] == "/departments/edu"
    page = education.get("/departments/edu")
    assert page.status_code == 200 and "青源市教育局" in page.text and "退出" in page.text
    for path in _routes(example_round, "edu")[1:]:
        answer = education.get(path)
        # The annotated copy exists only where a problem is marked in that file.
        assert answer.status_code in (200, 404) if path.endswith("annotated") else \
            answer.status_code == 200, path
        if answer.status_code == 200 and not path.endswith("edu"):
            assert answer.headers["content-disposition"].startswith("attachment;"), path


@pytest.mark.parametrize("index", range(5))
def test_another_departments_page_file_or_download_is_not_found(education, example_round,
                                                                 index):
    path = _routes(example_round, OTHER)[index]
    answer = education.get(path)
    assert answer.status_code == 404, path
    for secret in ("科技局", "science", "青年科技特派员"):
        assert secret not in answer.text, (path, secret)


def test_office_pages_are_not_found_for_a_department(education):
    for path in ["/issues", "/outputs/report.docx", "/outputs/indicator_table.xlsx",
                 "/departments/nowhere"]:
        assert education.get(path).status_code == 404, path


def test_a_refused_look_is_logged_with_user_and_time(education, example_round):
    education.get("/departments/science")
    with example_round.warehouse.begin() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "denied")
                                .order_by(AuditEvent.id.desc())).first()
    assert event.user_name == "jyj" and event.detail == "/departments/science"
    assert event.at is not None


def test_products_download_as_attachments_with_chinese_names(office):
    answer = office.get("/outputs/report.docx")
    assert answer.status_code == 200
    assert answer.content[:2] == b"PK"
    assert "filename*=UTF-8''" in answer.headers["content-disposition"]
    assert office.get("/outputs/../var/huizong.db").status_code == 404
    assert office.get("/outputs/issues.csv").status_code == 404  # not a listed product


def test_the_issues_page_filters(office, example_round):
    everything = office.get("/issues")
    only = office.get("/issues?department=edu&severity=error")
    count = lambda page: int(re.search(r"共 (\d+) 项", page.text).group(1))  # noqa: E731
    assert 0 < count(only) < count(everything)
    assert "青源市教育局" not in only.text or "市教育局" in only.text


def test_pages_carry_security_headers_and_a_strict_cookie(client):
    answer = login(client, "wumin")
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    assert "Secure" not in cookie  # plain http on the intranet unless --https-only
    page = client.get("/")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"
