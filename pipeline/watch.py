"""Notice files dropped into the inbox, but only once they have stopped changing.

A file still being copied grows between two looks; it is handed out only when its size
and modification time are the same on two consecutive polls, and only once per
content version (the ingestion skips bytes it already loaded).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from transforms.inbox import InboxFile, scan_inbox


@dataclass(slots=True)
class InboxWatcher:
    inbox: Path
    _last_look: dict[Path, tuple[int, int]] = field(default_factory=dict)
    _handed_out: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def poll(self) -> list[InboxFile]:
        """Files that are complete and new or changed since they were last handed out."""
        ready, look = [], {}
        for item in scan_inbox(self.inbox):
            try:
                stat = item.path.stat()
            except FileNotFoundError:
                continue  # removed between listing and looking
            signature = (stat.st_size, stat.st_mtime_ns)
            look[item.path] = signature
            stable = self._last_look.get(item.path) == signature
            if stable and self._handed_out.get(item.path) != signature:
                ready.append(item)
                self._handed_out[item.path] = signature
        self._last_look = look
        return ready

    def forget(self, items: list[InboxFile]) -> None:
        """Hand these out again once they are stable (their run could not start)."""
        for item in items:
            self._handed_out.pop(item.path, None)
