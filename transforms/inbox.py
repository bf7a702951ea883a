"""Find the submitted files in the inbox, with the sub-folder each was dropped in.

The inbox is a shared folder: anything in it may be a link to somewhere else, a FIFO
that blocks whoever reads it, or a device. Such entries are listed with the reason they
are refused and are never opened; files are opened without following links.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

# Lock and temporary files that Excel, WPS and LibreOffice leave next to open workbooks.
_IGNORED_PREFIXES = ("~$", ".~lock", "~", ".")
_IGNORED_SUFFIXES = (".tmp", ".crdownload", ".part")


class NotARegularFile(Exception):
    """收件箱中的这一项不是普通文件（可能是快捷方式、管道或设备），未读取。"""


@dataclass(frozen=True, slots=True)
class InboxFile:
    path: Path
    folder: str | None  # the first sub-folder under the inbox, a department hint
    refusal: str | None = None  # why the entry is not read (Chinese), for the office
    refusal_kind: str = ""  # not_regular_file / outside_inbox

    @property
    def display_name(self) -> str:
        return f"{self.folder}/{self.path.name}" if self.folder else self.path.name


def _ignored(name: str) -> bool:
    return name.startswith(_IGNORED_PREFIXES) or name.endswith(_IGNORED_SUFFIXES)


def _refusal(path: Path, inbox: Path, mode: int) -> tuple[str, str] | None:
    if stat.S_ISLNK(mode):
        try:
            target = path.resolve(strict=True)
            inside = target.is_relative_to(inbox.resolve())
        except (OSError, RuntimeError):  # a dangling or looping link
            inside = False
        where = "收件箱内的另一个位置" if inside else "收件箱以外的位置"
        return ("outside_inbox",
                f"“{path.name}”是指向{where}的快捷方式（符号链接），为安全起见未读取、未归档；"
                "请把文件本身复制到收件箱。")
    if not stat.S_ISREG(mode):
        return ("not_regular_file",
                f"“{path.name}”不是普通文件（可能是管道、设备或套接字），未读取；请从收件箱中删除。")
    return None


def folder_of(path: Path, inbox: Path) -> str | None:
    """The department hint of a file looked at on its own, as a run would take it: its
    first sub-folder under the inbox, or else the folder it sits in."""
    path, root = path.absolute(), inbox.absolute()
    if path.is_relative_to(root):
        parts = path.relative_to(root).parts
        return parts[0] if len(parts) > 1 else None
    return path.parent.name or None


def scan_inbox(inbox: Path) -> Iterator[InboxFile]:
    """Every entry of the inbox worth looking at, links and special files included (with
    their refusal); sub-folders are entered, linked folders are not."""
    if not inbox.is_dir():
        return
    root = inbox.resolve()
    for directory, folders, names in os.walk(root, followlinks=False):
        base = Path(directory)
        folders[:] = sorted(f for f in folders if not f.startswith("."))
        # A linked folder is reported like a linked file, never entered.
        entries = sorted([*names, *(f for f in folders if (base / f).is_symlink())])
        folders[:] = [f for f in folders if not (base / f).is_symlink()]
        for name in entries:
            if _ignored(name):
                continue
            path = base / name
            relative = path.relative_to(root)
            folder = relative.parts[0] if len(relative.parts) > 1 else None
            try:
                mode = path.lstat().st_mode
            except FileNotFoundError:
                continue  # removed between listing and looking
            refusal = _refusal(path, root, mode)
            if refusal is None:
                yield InboxFile(path, folder)
            else:
                yield InboxFile(path, folder, refusal[1], refusal[0])


def read_regular_file(path: Path) -> bytes:
    """The bytes of `path`, opened without following a link and without blocking on a
    FIFO; `NotARegularFile` if it is not (or no longer) a plain file."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as error:
        if isinstance(error, FileNotFoundError):
            raise
        raise NotARegularFile(str(path)) from error
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise NotARegularFile(str(path))
        return handle.read()


def select_files(inbox: Path, names: Iterable[str] | None = None) -> list[InboxFile]:
    """The inbox entries, or only those named (by path relative to the inbox, or name)."""
    found = list(scan_inbox(inbox))
    if names is None:
        return found
    wanted = set(names)
    root = inbox.resolve()
    return [f for f in found
            if f.path.name in wanted or str(f.path.relative_to(root)) in wanted]
