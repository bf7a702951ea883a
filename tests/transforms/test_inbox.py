"""Finding submissions in the inbox: lock files ignored, folder hints kept."""

from transforms.inbox import scan_inbox, select_files


def test_scan_ignores_lock_and_temporary_files(tmp_path):
    for name in ("a.xlsx", "~$a.xlsx", ".~lock.a.xlsx#", "b.xlsx.crdownload", ".hidden.xlsx"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "教育局").mkdir()
    (tmp_path / "教育局" / "c.xls").write_bytes(b"x")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "d.xlsx").write_bytes(b"x")
    found = [(f.path.name, f.folder) for f in scan_inbox(tmp_path)]
    assert found == [("a.xlsx", None), ("c.xls", "教育局")]


def test_select_by_file_name_or_relative_path(tmp_path):
    (tmp_path / "教育局").mkdir()
    for path in ("a.xlsx", "b.xlsx", "教育局/c.xls"):
        (tmp_path / path).write_bytes(b"x")
    assert [f.path.name for f in select_files(tmp_path, ["b.xlsx"])] == ["b.xlsx"]
    assert [f.path.name for f in select_files(tmp_path, ["教育局/c.xls"])] == ["c.xls"]
    assert len(select_files(tmp_path)) == 3
    assert select_files(tmp_path, []) == []
