"""The console in a real headless Chromium (Debian's package, driven by Playwright): the
office sees the nine departments; a department uploads a corrected workbook and reads the
verdict on the page; both log out. Screenshots go to HUIZONG_SCREENSHOTS when it is set
(the README's pictures in docs/ are made that way)."""

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import select

from samples.example_inbox import corrected_example
from tests.console.conftest import PASSWORDS
from warehouse.models import Issue

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None and not os.environ.get("CI"):
    pytest.skip("没有安装 Debian 的 chromium（apt-get install chromium），跳过浏览器测试",
                allow_module_level=True)
pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def served(example_round):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(example_round.app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    assert CHROMIUM, "CI 上必须有 chromium：.ci/run 会安装它"
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def _shot(page, name: str) -> None:
    folder = os.environ.get("HUIZONG_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / name), full_page=True)


def _log_in(page, base: str, name: str) -> None:
    page.goto(base + "/")
    page.get_by_label("用户名").fill(name)
    page.get_by_label("密码").fill(PASSWORDS[name])
    page.get_by_role("button", name="登录").click()


def test_the_office_sees_the_nine_departments(browser, served, example_round):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    _log_in(page, served, "wumin")
    sync_api.expect(page.get_by_role("heading", name="报送总览")).to_be_visible()
    rows = page.locator("table.ledger tbody tr")
    sync_api.expect(rows).to_have_count(9)
    for department in example_round.warehouse.registry.submitting:
        sync_api.expect(page.locator("table.ledger").get_by_role(
            "link", name=department.name, exact=True)).to_be_visible()
    _shot(page, "console_overview.png")
    page.locator("table.ledger").get_by_role("link", name="市教育局", exact=True).click()
    sync_api.expect(page.get_by_role("heading", name="青源市教育局")).to_be_visible()
    _shot(page, "console_department.png")
    page.get_by_role("button", name="退出").click()
    sync_api.expect(page.get_by_role("button", name="登录")).to_be_visible()
    page.goto(served + "/issues")
    sync_api.expect(page.get_by_role("button", name="登录")).to_be_visible()  # really out
    page.close()


def test_a_department_uploads_a_correction_and_reads_the_verdict(browser, served, tmp_path):
    corrected = tmp_path / "科技局填报表（更正）.xlsx"
    corrected.write_bytes(corrected_example("科技局填报表.xlsx", "I5", 22))
    page = browser.new_page(viewport={"width": 1024, "height": 768})  # a tablet
    _log_in(page, served, "kjj")
    sync_api.expect(page.get_by_role("heading", name="青源市科学技术局")).to_be_visible()
    page.get_by_role("link", name="上传", exact=True).click()
    page.get_by_label("选择填报表文件").set_input_files(str(corrected))
    started = time.perf_counter()
    page.get_by_role("button", name="上传并校验").click()
    verdict = page.locator("#verdict h2")
    sync_api.expect(verdict).to_have_text("数据已通过校验", timeout=20_000)
    print(f"browser upload → verdict {time.perf_counter() - started:.2f} s")
    sync_api.expect(page.get_by_text("已作为第")).to_be_visible()
    _shot(page, "console_upload.png")
    page.get_by_role("link", name="查看本单位全部数据").click()
    sync_api.expect(page.locator("table.versions tbody tr").first).to_contain_text("网页上传")
    page.get_by_role("button", name="退出").click()
    sync_api.expect(page.get_by_role("button", name="登录")).to_be_visible()
    page.close()


def _open_warning(example_round) -> Issue:
    """An open warning on a figure that no other console test decides on."""
    with example_round.warehouse.begin() as session:
        return session.scalars(select(Issue).where(
            Issue.severity == "warning", Issue.state == "open", Issue.year > 0,
            Issue.department_code.is_not(None), Issue.rule != "missing_value",
            Issue.department_code != "procuratorate").order_by(Issue.id)).first()


def test_the_office_accepts_returns_locks_and_unlocks(browser, served, example_round):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    _log_in(page, served, "wumin")
    warning = _open_warning(example_round)
    assert warning is not None, "示例数据中应有带提醒的数值"
    page.goto(f"{served}/issues?department={warning.department_code}"
              f"&indicator={warning.indicator_code}")
    row = page.locator("table.issues tbody tr").filter(
        has=page.get_by_role("button", name="确认采用")).first
    row.get_by_label("理由").fill("已电话核实，数值属实")
    row.get_by_role("button", name="确认采用").click()
    sync_api.expect(page.get_by_role("status")).to_contain_text("已确认采用，记入决定记录")
    with example_round.warehouse.begin() as session:
        decided = session.get(Issue, warning.id)
        assert (decided.state, decided.explanation) == (
            "explained", "联席办确认：已电话核实，数值属实")

    page.goto(f"{served}/departments/youth_league")
    page.get_by_label("理由或意见").fill("规范注册青年志愿者人数2023年单位有误，请改正后重报")
    page.get_by_role("button", name="退回修改").click()
    sync_api.expect(page.get_by_role("status")).to_contain_text("已退回修改")
    sync_api.expect(page.locator("p.lead .state")).to_have_text("待修改")
    _shot(page, "console_return.png")

    page.goto(f"{served}/")
    page.locator("section.signoff").get_by_label("理由").fill("报市委审定稿")
    page.get_by_role("button", name="定稿", exact=True).click()
    sync_api.expect(page.get_by_role("status")).to_contain_text("已定稿")
    sync_api.expect(page.locator("section.signoff")).to_contain_text("定稿后没有变化")
    _shot(page, "console_signed.png")
    page.locator("section.signoff").get_by_label("理由").fill("市领导要求补充数据")
    page.get_by_role("button", name="解除定稿").click()
    sync_api.expect(page.get_by_role("status")).to_contain_text("已解除定稿")
    sync_api.expect(page.get_by_role("button", name="定稿", exact=True)).to_be_visible()
    page.close()
