"""上传: a workbook sent on the page takes the mail's path and is answered on the page with
what the mail says."""

import io
import re
import time
import zipfile
from collections import Counter
from pathlib import Path

from lxml import html
from sqlalchemy import select
from starlette.testclient import TestClient

from console.app import create_app
from samples.example_inbox import corrected_example
from tests.alerts.facts import Row, parse_outbox
from tests.console.conftest import csrf_of, login
from warehouse.models import Alert, Submission, Upload


def _science_workbook(value_2025: object) -> bytes:
    return corrected_example("科技局填报表.xlsx", "I5", value_2025)


def _upload(client, example_round, name: str, data: bytes, department: str = ""):
    """Upload, wait for the upload's run, and read the verdict page."""
    answer = client.post("/upload", data={"csrf_token": csrf_of(client),
                                          "department": department},
                         files={"workbook": (name, data, "application/octet-stream")},
                         follow_redirects=False)
    assert answer.status_code == 303, answer.text
    example_round.worker.jobs.join()
    page = client.get(answer.headers["location"])
    assert page.status_code == 200
    upload_id = int(answer.headers["location"].rsplit("/", 1)[1])
    with example_round.warehouse.begin() as session:
        return page, session.get(Upload, upload_id)


def _verdict_rows(page) -> Counter:
    tree = html.fromstring(page.text)
    rows: Counter = Counter()
    for tr in tree.xpath('//div[@id="verdict"]//table[contains(@class,"issues")]/tbody/tr'):
        severity, _file, place, indicator, year, raw, *_ = [
            td.text_content().strip() for td in tr.xpath("./td")]
        rows[Row(severity, place, indicator, year, raw)] += 1
    return rows


def _run_mail(example_round, upload):
    with example_round.warehouse.begin() as session:
        alert = session.scalars(select(Alert).where(
            Alert.department_code == upload.department_code,
            Alert.kind.in_(("issues", "confirmation")),
            Alert.created_at >= upload.uploaded_at).order_by(Alert.id.desc())).first()
    assert alert is not None
    # The newest of the department's mails with that subject (outbox names sort by time).
    mail = [m for m in parse_outbox(example_round.settings.outbox_dir)
            if m.subject == alert.subject and m.department == upload.department_code][-1]
    return alert, mail


def test_an_error_is_shown_on_the_page_as_the_mail_lists_it(science, example_round):
    started = time.perf_counter()
    page, upload = _upload(science, example_round, "科技局-更正.xlsx", _science_workbook("三十"))
    took = time.perf_counter() - started
    assert upload.state == "done"
    assert "填报数据需修改（1项错误）" in page.text
    shown = _verdict_rows(page)
    assert [row.place for row in shown] == ["填报表!I5"]
    alert, mail = _run_mail(example_round, upload)
    assert mail.subject.endswith("填报数据需修改（1项错误）")
    assert shown == mail.rows  # the same cells, indicators, years and typed values
    assert f"已生成通知邮件《{alert.subject}》" in page.text
    annotated = science.get(re.search(r'href="([^"]+/annotated)"', page.text).group(1))
    assert annotated.status_code == 200
    assert "科技局-更正（问题已标注）.xlsx" in annotated.headers["content-disposition"] or \
        "%E7%A7%91%E6%8A%80%E5%B1%80" in annotated.headers["content-disposition"]
    print(f"upload → verdict {took:.2f} s")


def test_a_corrected_workbook_passes_and_is_a_version_sent_on_the_web(science, example_round):
    page, upload = _upload(science, example_round, "科技局-再更正.xlsx", _science_workbook(22))
    assert "数据已通过校验" in page.text
    with example_round.warehouse.begin() as session:
        submission = session.scalars(select(Submission).where(
            Submission.department_code == "science").order_by(Submission.id.desc())).first()
    assert submission.status == "accepted" and submission.run_id == upload.run_id
    assert f"已作为第 {submission.version} 版入库" in page.text
    dossier = science.get("/departments/science").text
    tree = html.fromstring(dossier)
    newest = [td.text_content() for td in tree.xpath('//table[contains(@class,"versions")]'
                                                     '/tbody/tr[1]/td')]
    assert newest[0].strip() == str(submission.version)
    assert "网页上传" in newest[2] and "kjj" in newest[2]
    assert "科技局-再更正.xlsx" in newest[3]
    assert "修改了 1 个单元格" in newest[5] and "三十 → 22" in newest[5]
    _, mail = _run_mail(example_round, upload)
    assert mail.subject.endswith("数据已通过校验")


def test_the_same_bytes_again_are_not_a_new_version(science, example_round):
    data = _science_workbook(22)
    _upload(science, example_round, "科技局-第三次.xlsx", data)
    page, _ = _upload(science, example_round, "科技局-第三次.xlsx", data)
    assert "内容完全相同，未重复入库" in page.text


def test_the_office_uploads_on_a_departments_behalf(office, example_round):
    page, upload = _upload(office, example_round, "代报.xlsx", _science_workbook(23),
                           department="science")
    assert upload.department_code == "science" and "数据已通过校验" in page.text
    assert "wumin" in office.get("/departments/science").text


def test_a_department_cannot_upload_for_another(science, example_round):
    _, upload = _upload(science, example_round, "冒充.xlsx", _science_workbook(24),
                        department="edu")
    assert upload.department_code == "science"  # its own, whatever the form says


def test_a_word_file_is_refused_at_the_door(science, example_round):
    page, upload = _upload(science, example_round, "说明.docx", b"PK\x03\x04word")
    assert upload.state == "refused" and not upload.saved_path
    assert "文件未接收" in page.text and "不是表格文件" in page.text


def test_a_word_document_named_xlsx_is_refused_by_the_reader(science, example_round):
    import docx

    document = docx.Document()
    document.add_paragraph("青年科技特派员 2025年 22人")
    buffer = io.BytesIO()
    document.save(buffer)
    page, upload = _upload(science, example_round, "伪装的表格.xlsx", buffer.getvalue())
    assert upload.state == "done"
    assert "文件是 Word 文档，不是 Excel 表格" in page.text
    assert "这个文件未能采用" in page.text


def test_a_picture_is_refused_at_the_door(science, example_round):
    page, upload = _upload(science, example_round, "拍照.xlsx", b"\x89PNG\r\n\x1a\n" + b"0" * 99)
    assert upload.state == "refused" and "图片或 PDF" in page.text


def test_a_zip_bomb_is_refused_by_the_reader_without_unpacking(science, example_round):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bomb:
        bomb.writestr("[Content_Types].xml", "<Types/>")
        bomb.writestr("xl/worksheets/sheet1.xml", b"\0" * (example_round.settings
                                                           .max_uncompressed_bytes + 1))
    page, _ = _upload(science, example_round, "炸弹.xlsx", buffer.getvalue())
    assert len(buffer.getvalue()) < 1_000_000
    assert "疑似压缩炸弹" in page.text


def test_a_name_with_dots_and_slashes_stays_in_its_folder(science, example_round):
    _, upload = _upload(science, example_round, "../../../etc/科技局..xlsx",
                           _science_workbook(22))
    inbox = example_round.settings.inbox_dir
    saved = (inbox / upload.saved_path).resolve()
    assert saved.is_relative_to(inbox.resolve() / "市科学技术局")
    assert ".." not in Path(upload.saved_path).parts and saved.name == "科技局..xlsx"
    assert saved.is_file()


def test_an_oversized_file_is_refused_before_it_is_read(example_round):
    settings = example_round.settings.model_copy(update={"max_file_bytes": 2 * 1048576})
    app = create_app(settings, example_round.warehouse)
    with TestClient(app, base_url="http://testserver") as client:
        login(client, "kjj")
        answer = client.post("/upload", data={"csrf_token": csrf_of(client)},
                             files={"workbook": ("大.xlsx", b"PK\x03\x04" + b"0" * 3 * 1048576)})
        assert answer.status_code == 413 and "文件太大" in answer.text
        over = b"PK\x03\x04" + b"0" * 2 * 1048576
        just_over = client.post("/upload", data={"csrf_token": csrf_of(client)},
                                files={"workbook": ("稍大.xlsx", over)})
        assert "文件未接收" in just_over.text and "超过 2 MB 的上限" in just_over.text


def test_another_departments_upload_is_not_found(client, example_round):
    login(client, "kjj")
    _, theirs = _upload(client, example_round, "科技局的.xlsx", _science_workbook(25))
    login(client, "jyj")
    for path in (f"/uploads/{theirs.id}", f"/uploads/{theirs.id}/verdict"):
        answer = client.get(path)
        assert answer.status_code == 404 and "科技局" not in answer.text, path


def test_html_in_a_file_name_or_a_cell_is_shown_as_text(science, example_round):
    script = "<script>alert(1)</script>"
    page, upload = _upload(science, example_round, f'<img src=x onerror="alert(1)">{script}.xlsx',
                           _science_workbook(script))
    assert "<script>alert" not in page.text and "<img src=x" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text  # the typed value, as text
    assert "<" not in upload.name and ">" not in upload.name
