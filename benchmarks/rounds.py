"""What the office waits for in the second year, with the example round and with many
submitted files.

    .venv/bin/python -m benchmarks.rounds [--files 200]

For each warehouse: `huizong run` loads the inbox; then, each timed as a whole command from
a cold shell, `huizong round new` (products kept, values carried, products, report and
pre-filled templates rebuilt, a notice per department), `huizong templates`, the run that
takes one department's pre-filled template back with a revised past year, and
`huizong review accept` of that revision. Prints numbers; never fails on time.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import openpyxl

from benchmarks.nightly import write_inbox
from benchmarks.perf import HUIZONG, project_env, say
from config import PROJECT_ROOT
from forms.layout import FIRST_DATA_ROW, FIXED_HEADERS
from schemas.round import configured_round

DEPARTMENT = "团市委"


def _timed(label: str, env: dict[str, str], *args: str, note: str = "") -> None:
    started = time.perf_counter()
    subprocess.run([HUIZONG, *args], env=env, check=True, capture_output=True)
    say(f"{label}：huizong {' '.join(args[:2])}", f"{time.perf_counter() - started:.2f} s",
        note)


def _fill(template: Path, target: Path) -> str:
    """The new year as the year before, one past year revised: the indicator revised."""
    book = openpyxl.load_workbook(template)
    sheet = book.worksheets[0]
    first = len(FIXED_HEADERS) + 1
    years = len(configured_round().round.years)
    for row in range(FIRST_DATA_ROW, sheet.max_row + 1):
        before = sheet.cell(row, first + years - 2).value
        sheet.cell(row, first + years - 1).value = before if before is not None else 1
    past = sheet.cell(FIRST_DATA_ROW, first + 1)
    past.value = (past.value or 0) + 3
    book.save(target)
    return str(sheet.cell(FIRST_DATA_ROW, 3).value)


def measure(label: str, inbox: Path) -> None:
    root = Path(tempfile.mkdtemp(prefix="huizong-rounds-bench-"))
    try:
        shutil.copytree(inbox, root / "inbox")
        env = project_env(root)
        subprocess.run([HUIZONG, "run"], env=env, check=True, capture_output=True)
        first = configured_round().round
        _timed(label, env, "round", "new", "--first-year", str(first.first_year + 1),
               "--last-year", str(first.last_year + 1), "--deadline",
               f"{first.deadline.year + 1}-12-15",
               note="冷启动，含产出归档、带入数值、汇总表和报告、预填填报表、通知邮件")
        _timed(label, env, "templates", note="冷启动，全部单位的预填填报表")
        template = next((root / "outputs" / "templates").glob(f"*_{DEPARTMENT}.xlsx"))
        name = _fill(template, root / "inbox" / f"{DEPARTMENT}新一轮.xlsx")
        _timed(label, env, "run", note="一份预填填报表回来，含一项修订")
        _timed(label, env, "review", "accept", "-d", DEPARTMENT, "--indicator", name,
               "--year", str(first.first_year + 2), "--reason", "基准测试：采用修订",
               note="冷启动，含汇总表和报告重新生成")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200)
    arguments = parser.parse_args()
    measure("示例数据", PROJECT_ROOT / "inbox")
    with tempfile.TemporaryDirectory() as folder:
        generated = Path(folder) / "inbox"
        write_inbox(generated, arguments.files)
        measure(f"{arguments.files} 份报送", generated)


if __name__ == "__main__":
    main()
