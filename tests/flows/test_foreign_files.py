"""Spreadsheets nobody here wrote (public libraries' test suites: corrupt, fuzzed,
encrypted, odd formats): every one gets a clean outcome, in `check` and in a whole run."""

import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from config import PROJECT_ROOT, Settings
from pipeline.trial import try_files
from tests.alerts.facts import (
    assert_issue_mails_tell_the_facts,
    assert_reminders_tell_the_ledger,
    assert_settled_refusals_are_named,
    assert_summary_tells_the_ledger,
    parse_outbox,
)
from transforms.inbox import InboxFile
from warehouse.models import File, Submission
from warehouse.store import Warehouse

FOREIGN = PROJECT_ROOT.parent / "shared" / "foreign-files"
pytestmark = pytest.mark.skipif(not FOREIGN.is_dir(),
                                reason="../shared/foreign-files is not on this machine")
# The whole command, workers included, must fit the address space of a small office PC.
MEMORY_LIMIT = 3 * 1024**3
HUIZONG = Path(sys.executable).with_name("huizong")


def _foreign_files() -> list[Path]:
    return sorted(p for p in FOREIGN.rglob("*")
                  if p.is_file() and p.name not in ("MANIFEST.tsv", "README.md"))


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _env(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUIZONG_")}
    env.update(HUIZONG_ROOT=str(root), PREFECT_HOME=str(root / "prefect"))
    return env


def test_every_foreign_file_gets_a_clean_outcome(tmp_path):
    files = [InboxFile(path, None) for path in _foreign_files()]
    trials = try_files(files, Settings(root=tmp_path))
    assert len(trials) == len(files) >= 300
    for trial in trials:
        assert not trial.detail, (trial.item.path, trial.detail)  # no internal error
        assert trial.result is not None, trial.item.path
        refused = [i for i in trial.result.issues if i.severity == "error" and not i.cell]
        for issue in refused:
            assert issue.message_zh.endswith(("。", "）")), issue.message_zh


def test_check_over_the_foreign_files_never_shows_a_traceback(tmp_path):
    run = subprocess.run([HUIZONG, "check", str(FOREIGN)], capture_output=True, text=True,
                         env=_env(tmp_path), preexec_fn=_limited, timeout=600)
    assert run.returncode == 1, run.stderr[-3000:]  # errors found: exit 1, not a crash
    assert "Traceback" not in run.stdout + run.stderr
    assert "读取与校验结果" in run.stdout


def test_a_run_with_foreign_files_in_department_folders_exits_0(tmp_path):
    shutil.copytree(PROJECT_ROOT / "inbox", tmp_path / "inbox")
    folders = ["教育局", "团市委", "残联", "人社局", "检察院"]
    placed_in: dict[str, list[str]] = {folder: [] for folder in folders}
    for n, path in enumerate(_foreign_files()[::7]):
        target = tmp_path / "inbox" / folders[n % len(folders)]
        target.mkdir(exist_ok=True)
        shutil.copyfile(path, target / path.name)
        placed_in[folders[n % len(folders)]].append(path.name)
    run = subprocess.run([HUIZONG, "run"], capture_output=True, text=True,
                         env=_env(tmp_path), preexec_fn=_limited, timeout=900)
    assert run.returncode == 0, (run.stdout[-3000:], run.stderr[-3000:])
    assert "Traceback" not in run.stdout + run.stderr
    for name in ("indicator_table.xlsx", "indicator_table.csv", "report.docx", "issues.csv"):
        assert (tmp_path / "outputs" / name).exists(), name
    # What each department is told, sentence by sentence, against the warehouse: every
    # foreign file in its folder is its file, refused by name or read with its problems.
    warehouse = Warehouse(f"sqlite:///{tmp_path / 'var' / 'huizong.db'}")
    assert_issue_mails_tell_the_facts(warehouse, tmp_path / "outbox")
    assert_summary_tells_the_ledger(tmp_path / "outbox", tmp_path / "outputs" / "ledger.csv")
    assert_settled_refusals_are_named(warehouse, tmp_path / "outbox")
    assert_reminders_tell_the_ledger(tmp_path / "outbox", tmp_path / "outputs" / "ledger.csv")
    told_to: dict[str, str] = {}
    for mail in parse_outbox(tmp_path / "outbox"):
        told_to[mail.department] = told_to.get(mail.department, "") + mail.text
    codes = {folder: warehouse.registry.match(folder).code for folder in folders}
    for folder, placed in placed_in.items():
        told = told_to[codes[folder]]
        named = [name for name in placed if f"《{name}》" in told or f"  {name} | " in told]
        with warehouse.begin() as session:
            used = set(session.scalars(select(File.original_name).join(
                Submission, Submission.file_id == File.id).where(
                Submission.department_code == codes[folder],
                Submission.status.in_(("accepted", "partially_accepted")))))
        # A file is either named in the mail (refused, with its reason) or was taken.
        assert set(placed) <= set(named) | used, (folder, set(placed) - set(named) - used)
    assert "未识别单位" not in next(m for m in parse_outbox(tmp_path / "outbox")
                                  if m.kind == "summary").text
    # A second run over the same inbox is just as clean (nothing is crashed into twice).
    again = subprocess.run([HUIZONG, "run"], capture_output=True, text=True,
                           env=_env(tmp_path), preexec_fn=_limited, timeout=900)
    assert again.returncode == 0 and "Traceback" not in again.stdout + again.stderr
