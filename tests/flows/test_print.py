"""What `make run` produces, printed the way a clerk prints it: converted to PDF by
LibreOffice, page by page. Skipped, saying why, where LibreOffice is not installed
(README: `apt-get install libreoffice-calc-nogui libreoffice-writer-nogui`)."""

import re
import shutil
import subprocess

import openpyxl
import pytest

from flows.runs import nightly
from forms.layout import DATA_SHEET, GUIDE_SHEET
from tests.flows.conftest import huizong

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = pytest.mark.skipif(SOFFICE is None,
                                reason="LibreOffice (soffice) 未安装，无法转换 PDF")
PAGE = re.compile(rb"/Type\s*/Page[^s]")


def _pages(path, out_dir) -> int:
    subprocess.run([SOFFICE, "--headless", f"-env:UserInstallation=file://{out_dir}/lo",
                    "--convert-to", "pdf", "--outdir", str(out_dir), str(path)],
                   check=True, capture_output=True, timeout=180)
    pdf = out_dir / f"{path.stem}.pdf"
    if not pdf.exists():  # soffice says "source file could not be loaded" and exits 0
        pytest.skip(f"LibreOffice 缺少打开 {path.suffix} 的组件（calc 或 writer）")
    return len(PAGE.findall(pdf.read_bytes()))


def _only(path, sheet, target):
    workbook = openpyxl.load_workbook(path)
    for other in [s for s in workbook.sheetnames if s != sheet]:
        del workbook[other]
    workbook.save(target)
    return target


def test_products_print_on_few_pages(example_inbox, tmp_path):
    nightly("manual")
    assert huizong("templates", HUIZONG_ROOT=str(example_inbox.root)).returncode == 0
    out = tmp_path / "pdf"
    out.mkdir()
    assert _pages(example_inbox.outputs_dir / "indicator_table.xlsx", out) <= 6
    for template in sorted((example_inbox.outputs_dir / "templates").glob("*.xlsx")):
        data = _only(template, DATA_SHEET, out / f"data_{template.stem}.xlsx")
        guide = _only(template, GUIDE_SHEET, out / f"guide_{template.stem}.xlsx")
        assert _pages(data, out) == 1, template.name
        assert _pages(guide, out) <= 2, template.name


def test_the_report_prints_with_compact_appendices(example_inbox, tmp_path):
    nightly("manual")
    out = tmp_path / "pdf"
    out.mkdir()
    # The body is 8 pages; tables and print-sized charts keep the whole draft at 20 or
    # fewer (29 before), no appendix longer than the body.
    assert _pages(example_inbox.outputs_dir / "report.docx", out) <= 20


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext 未安装（poppler-utils）")
def test_reference_marks_never_start_a_line_or_sit_between_figures(example_inbox, tmp_path):
    nightly("manual")
    out = tmp_path / "pdf"
    out.mkdir()
    _pages(example_inbox.outputs_dir / "report.docx", out)
    text = subprocess.run(["pdftotext", "-layout", str(out / "report.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    body = text.split("附件一")[0]
    lines = [line.strip() for line in body.splitlines() if line.strip()]
    assert not [line for line in lines if line.startswith("[")]
    assert not re.search(r"\[\d+\]\s*\d", body), re.findall(r".{8}\[\d+\]\s*\d.{4}", body)
