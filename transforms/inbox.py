"""Find the submitted files in the inbox, with the sub-folder each was dropped in."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

# Lock and temporary files that Excel, WPS and LibreOffice leave next to open workbooks.
_IGNORED_PREFIXES = ("~$", ".~lock", "~", ".")
_IGNORED_SUFFIXES = (".tmp", ".crdownload", ".part")


@dataclass(frozen=True, slots=True)
class InboxFile:
    path: Path
    folder: str | None  # the first sub-folder under the inbox, a department hint

    @property
    def display_name(self) -> str:
        return f"{self.folder}/{self.path.name}" if self.folder else self.path.name


def scan_inbox(inbox: Path) -> Iterator[InboxFile]:
    if not inbox.is_dir():
        return
    for path in sorted(inbox.rglob("*")):
        relative = path.relative_to(inbox)
        if not path.is_file() or any(part.startswith(".") for part in relative.parts):
            continue
        if path.name.startswith(_IGNORED_PREFIXES) or path.name.endswith(_IGNORED_SUFFIXES):
            continue
        folder = relative.parts[0] if len(relative.parts) > 1 else None
        yield InboxFile(path, folder)


def select_files(inbox: Path, names: Iterable[str] | None = None) -> list[InboxFile]:
    """The inbox files, or only those named (by path relative to the inbox, or file name)."""
    found = list(scan_inbox(inbox))
    if names is None:
        return found
    wanted = set(names)
    return [f for f in found
            if f.path.name in wanted or str(f.path.relative_to(inbox)) in wanted]
