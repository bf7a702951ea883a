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


def _pages(paths, out_dir) -> dict[str, int]:
    """Pages of each file printed to PDF, all in one LibreOffice start (each costs ~3 s)."""
    subprocess.run([SOFFICE, "--headless", f"-env:UserInstallation=file://{out_dir}/lo",
                    "--convert-to", "pdf", "--outdir", str(out_dir), *map(str, paths)],
                   check=True, capture_output=True, timeout=300)
    pages = {}
    for path in paths:
        pdf = out_dir / f"{path.stem}.pdf"
        if not pdf.exists():  # soffice says "source file could not be loaded" and exits 0
            pytest.skip(f"LibreOffice 缺少打开 {path.suffix} 的组件（calc 或 writer）")
        pages[path.stem] = len(PAGE.findall(pdf.read_bytes()))
    return pages


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
    templates = sorted((example_inbox.outputs_dir / "templates").glob("*.xlsx"))
    parts = [(_only(t, DATA_SHEET, out / f"data_{t.stem}.xlsx"),
              _only(t, GUIDE_SHEET, out / f"guide_{t.stem}.xlsx")) for t in templates]
    report = example_inbox.outputs_dir / "report.docx"
    pages = _pages([report, example_inbox.outputs_dir / "indicator_table.xlsx",
                    *(p for pair in parts for p in pair)], out)
    # The body is 8 pages; tables and print-sized charts keep the whole draft at 20 or
    # fewer (29 before), no appendix longer than the body.
    assert pages["report"] <= 20
    assert pages["indicator_table"] <= 6
    for template, (data, guide) in zip(templates, parts, strict=True):
        assert pages[data.stem] == 1, template.name
        assert pages[guide.stem] <= 2, template.name
    # Reference marks never start a line, never stand before a digit.
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext 未安装（poppler-utils），无法检查行首")
    text = subprocess.run(["pdftotext", "-layout", str(out / "report.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    body = text.split("附件一")[0]
    lines = [line.strip() for line in body.splitlines() if line.strip()]
    assert not [line for line in lines if line.startswith("[")]
    assert not re.search(r"\[\d+\]\s*\d", body), re.findall(r".{8}\[\d+\]\s*\d.{4}", body)
