"""Broken and hostile files: exactly one Chinese file-level issue each, the run goes on."""

import resource
import subprocess
import sys
import textwrap

import pytest

from samples.corpus import write_hostile
from transforms import read_file

RULES = {
    "file_corrupt": "文件已损坏",
    "file_not_spreadsheet": "不是 Excel 表格",
    "file_docx": "Word 文档",
    "file_encrypted": "文件已加密，请取消密码后重新提交",
    "workbook_empty": "工作簿是空的",
    "sheet_too_large": "范围异常大",
    "zip_bomb": "压缩炸弹",
    "xml_entities": "实体定义",
    "file_empty": "0 字节",
}


@pytest.fixture(scope="module")
def hostile_inbox(tmp_path_factory, corpus):
    inbox = tmp_path_factory.mktemp("hostile_inbox")
    valid = corpus.filled_template("edu", "valid_for_hostile.xlsx")
    files = write_hostile(inbox, valid.path)
    good = corpus.filled_template("disabled", "good.xlsx")
    return files, good


def test_each_hostile_file_yields_exactly_one_issue(hostile_inbox):
    files, good = hostile_inbox
    assert set(files) == set(RULES)
    for expected_rule, path in files.items():
        result = read_file(path)
        assert len(result.issues) == 1, (path.name, result.issues)
        [issue] = result.issues
        rule = "file_not_spreadsheet" if expected_rule == "file_docx" else expected_rule
        assert (issue.rule, issue.severity) == (rule, "error"), path.name
        assert RULES[expected_rule] in issue.message_zh, issue.message_zh
        assert result.observations == []
        assert not result.readable
    # The run over the other files still succeeds.
    result = read_file(good.path)
    assert result.issues == [] and len(result.observations) == 45


def test_a_refused_file_still_names_its_department_when_it_can(hostile_inbox):
    files, _good = hostile_inbox
    in_folder = read_file(files["file_encrypted"], folder="教育局")
    assert in_folder.department == "edu"
    assert [i.rule for i in in_folder.issues] == ["file_encrypted"]
    assert read_file(files["file_encrypted"]).department is None


def test_renamed_wps_file_gets_a_save_as_hint(tmp_path):
    path = tmp_path / "数据.et"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024)
    [issue] = read_file(path).issues
    assert issue.rule == "file_unsupported_format" and "另存为" in issue.message_zh


def test_hostile_files_stay_within_bounded_memory(hostile_inbox):
    """Read every hostile file in a child process whose address space is capped."""
    files, _good = hostile_inbox
    before = resource.getrlimit(resource.RLIMIT_AS)
    limit = 1536 * 1024 * 1024
    script = textwrap.dedent(f"""
        import resource, sys
        from pathlib import Path
        resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
        from transforms import read_file
        for name in sys.argv[1:]:
            result = read_file(Path(name))
            print(result.issues[0].rule)
    """)
    run = subprocess.run([sys.executable, "-c", script, *map(str, files.values())],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert len(run.stdout.split()) == len(files)
    assert resource.getrlimit(resource.RLIMIT_AS) == before  # only the child was capped
