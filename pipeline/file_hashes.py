"""The sha256 of each inbox file as of what `lstat` last said of it, kept under var/: a
file that has not changed is not read again only to learn that it has not changed.

The key is what no writer can keep while changing the bytes: the inode, the size, the
modification time and the status-change time (which every write moves and no tool can
set back). The warehouse, not this file, decides whether a hash is new.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path

Signature = tuple[int, int, int, int, int]


def signature(status: os.stat_result) -> Signature:
    return (status.st_mode, status.st_ino, status.st_size, status.st_mtime_ns,
            status.st_ctime_ns)


class FileHashes:
    """{path: (signature, sha256)}, loaded once and written back once per run."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._known: dict[str, tuple[Signature, str]] = {}
        self._dirty = False
        with contextlib.suppress(OSError, ValueError, TypeError):
            for name, (mark, sha) in json.loads(path.read_text(encoding="utf-8")).items():
                self._known[name] = (tuple(mark), sha)  # type: ignore[assignment]

    def get(self, path: Path, status: os.stat_result) -> str | None:
        known = self._known.get(str(path))
        return known[1] if known is not None and known[0] == signature(status) else None

    def put(self, path: Path, status: os.stat_result, sha256: str) -> None:
        if self._known.get(str(path)) != (signature(status), sha256):
            self._known[str(path)] = (signature(status), sha256)
            self._dirty = True

    def save(self) -> None:
        """Written back when something was learnt, without the files no longer there."""
        if not self._dirty:
            return
        self._known = {name: known for name, known in self._known.items()
                       if os.path.lexists(name)}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, staged = tempfile.mkstemp(dir=self.path.parent, prefix=".hashes-")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump({name: [list(mark), sha] for name, (mark, sha) in self._known.items()},
                      out)
        os.replace(staged, self.path)
        self._dirty = False
