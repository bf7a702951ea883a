import re
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from config import PROJECT_ROOT
from flows.cli import app

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
