import re
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from config import PROJECT_ROOT
from flows.cli import app
from tests.flows.conftest import huizong
from warehouse.store import Warehouse

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def _commands() -> list[str]:
    import typer.main

    return sorted(typer.main.get_command(app).commands)


def test_every_command_is_documented_in_the_readme():
    for name in _commands():
        assert re.search(rf"huizong {name}\b", README), f"README does not document `{name}`"


def test_help_is_chinese():
    for args in ([], *([name] for name in _commands())):
        output = CliRunner().invoke(app, [*args, "--help"]).output
        assert "用法" in output and "显示本帮助并退出" in output
        assert "Show this message" not in output


def test_the_console_script_runs_from_any_directory(tmp_path):
    script = Path(sys.executable).with_name("huizong")
    result = subprocess.run([script, "init"], cwd=tmp_path, capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", "HUIZONG_VAR_DIR": str(tmp_path / "v"),
                                 "HUIZONG_OUTPUTS_DIR": str(tmp_path / "o"),
                                 "HUIZONG_OUTBOX_DIR": str(tmp_path / "m")},
                            check=True)
    assert "已就绪" in result.stdout
    assert (tmp_path / "v" / "archive").is_dir() and (tmp_path / "m").is_dir()
    assert not (tmp_path / "inbox").exists()  # the inbox resolved to the project, not cwd


def _one_line(result: subprocess.CompletedProcess, code: int, text: str) -> None:
    """The operator reads one Chinese line and no traceback."""
    assert result.returncode == code, result.stdout + result.stderr
    output = (result.stdout + result.stderr).strip()
    assert text in output and "\n" not in output and "Traceback" not in output, output


def test_mistakes_an_operator_can_fix_are_one_line_and_exit_2(tmp_path):
    env = {"HUIZONG_ROOT": str(tmp_path)}
    _one_line(huizong("status", HUIZONG_WAREHOUSE_URL="postgresql+psycopg://x@127.0.0.1:1/db",
                      **env), 2, "无法连接数据仓库 postgresql+psycopg://x@127.0.0.1:1/db：连接被拒绝")
    _one_line(huizong("run", HUIZONG_WAREHOUSE_URL="postgresql+psycopg://u:secret@h:port/db",
                      **env), 2, "设置有误（HUIZONG_WAREHOUSE_URL）")
    _one_line(huizong("run", "--warehouse", "mysql://x", **env), 2,
              "设置有误（HUIZONG_WAREHOUSE_URL）")
    _one_line(huizong("status", HUIZONG_TIMEZONE="Mars/Base", **env), 2,
              "HUIZONG_TIMEZONE 不是已知的时区")
    _one_line(huizong("check", str(tmp_path / "没有这个文件.xlsx"), **env), 2, "找不到")
    _one_line(huizong("rerun", "-d", "不存在的局", **env), 2, "不存在的局")
    _one_line(huizong("run", "--inbox", "没有这个收件箱", cwd=tmp_path, **env), 2,
              f"找不到收件箱 {tmp_path / '没有这个收件箱'}")


def test_paths_typed_on_the_command_line_are_the_callers(tmp_path, prefect_server, corpus):
    """`huizong run --inbox inbox` in a clerk's folder reads that folder's inbox and
    writes there, never into the project."""
    root, caller = tmp_path / "project", tmp_path / "clerk"
    (caller / "inbox").mkdir(parents=True)
    sample = corpus.filled_template("science", "科技局.xlsx")
    (caller / "inbox" / "科技局.xlsx").write_bytes(sample.path.read_bytes())
    result = huizong("run", "--inbox", "inbox", "--out", "产出", "--outbox", "邮件", cwd=caller,
                     HUIZONG_ROOT=str(root))
    assert result.returncode == 0, result.stdout + result.stderr
    assert (caller / "产出" / "indicator_table.xlsx").exists()
    mails = sorted(p.name for p in (caller / "邮件").glob("*.eml"))
    assert not [name for name in mails if "_science" in name]  # all accepted: nothing to say
    assert [name for name in mails if "reminder_edu" in name]  # the others owe their data
    assert not (root / "outputs").exists() and not (root / "outbox").exists()
    ledger = (caller / "产出" / "ledger.csv").read_text(encoding="utf-8-sig").splitlines()
    assert [line for line in ledger if line.startswith("市科学技术局,5,5,5,0,0,")]


def test_check_attributes_a_file_by_its_folder_as_a_run_does(tmp_path, corpus):
    """A file without 填报单位 in a department's folder is that department's."""
    sample = corpus.long_table("science", "无单位.xlsx", "科技局")
    folder = tmp_path / "科技局"
    folder.mkdir()
    (folder / "数据.xlsx").write_bytes(sample.path.read_bytes())
    result = huizong("check", "科技局/数据.xlsx", cwd=tmp_path, HUIZONG_ROOT=str(tmp_path))
    assert "市科学技术局" in result.stdout and "无法确定报送单位" not in result.stdout


def test_a_run_that_finds_the_warehouse_busy_says_for_whom_it_waits(tmp_path,
                                                                    prefect_server):
    env = {"HUIZONG_ROOT": str(tmp_path), "HUIZONG_LOCK_WAIT_SECONDS": "3"}
    (tmp_path / "inbox").mkdir()
    warehouse = Warehouse(f"sqlite:///{tmp_path / 'var' / 'huizong.db'}")
    warehouse.init()
    with warehouse.exclusive(stale_after=60) as lock:
        run_id = warehouse.start_run("schedule")
        lock.attach(run_id)
        status = huizong("status", **env)
        busy = huizong("run", **env)
    assert f"正在运行：运行 #{run_id}（夜间定时）" in status.stdout
    assert busy.returncode == 2, busy.stdout + busy.stderr
    # While waiting it says for whom; then one line saying why it gave up.
    assert "等待其结束" in busy.stderr and f"运行 #{run_id}（夜间定时）" in busy.stderr
    _one_line(subprocess.CompletedProcess(busy.args, busy.returncode, busy.stdout, ""), 2,
              f"另一个汇总任务正在运行（运行 #{run_id}（夜间定时）")
