"""A remembered hash is used only while the file is provably the same bytes."""

import os

from pipeline.file_hashes import FileHashes


def test_a_rewrite_of_the_same_size_and_time_is_not_taken_for_the_old_bytes(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    workbook = inbox / "教育局.xlsx"
    workbook.write_bytes(b"version one")
    remembered = FileHashes(tmp_path / "hashes.json")
    remembered.put(workbook, workbook.lstat(), "sha-one")
    remembered.save()

    again = FileHashes(tmp_path / "hashes.json")
    assert again.get(workbook, workbook.lstat()) == "sha-one"
    stamp = workbook.stat()
    workbook.write_bytes(b"version two")  # same size; the modification time put back
    os.utime(workbook, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert again.get(workbook, workbook.lstat()) is None


def test_files_no_longer_there_are_forgotten_and_a_damaged_store_is_no_store(tmp_path):
    kept, gone = tmp_path / "kept.xlsx", tmp_path / "gone.xlsx"
    for path in (kept, gone):
        path.write_bytes(b"x")
    store = FileHashes(tmp_path / "hashes.json")
    store.put(kept, kept.lstat(), "a")
    store.put(gone, gone.lstat(), "b")
    gone.unlink()
    store.save()
    assert "gone.xlsx" not in (tmp_path / "hashes.json").read_text()
    (tmp_path / "hashes.json").write_text("{not json")
    assert FileHashes(tmp_path / "hashes.json").get(kept, kept.lstat()) is None
