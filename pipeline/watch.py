"""Notice files dropped into the inbox, but only once they have stopped changing.

A file still being copied changes size or time; it is handed out only when both have
stayed the same for `settle_seconds`, and only once per content version (the ingestion
skips bytes it already loaded). A file already quiet when first seen (it was there
before the watcher started) is handed out at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from transforms.inbox import InboxFile, scan_inbox

Signature = tuple[int, int]  # size, mtime in ns


@dataclass(slots=True)
class InboxWatcher:
    inbox: Path
    settle_seconds: float = 1.0
    clock: Callable[[], float] = time.time
    # path -> (signature, when it was first seen with that signature)
    _seen: dict[Path, tuple[Signature, float]] = field(default_factory=dict)
    _handed_out: dict[Path, Signature] = field(default_factory=dict)

    def poll(self) -> list[InboxFile]:
        """Files that are complete and new or changed since they were last handed out."""
        now = self.clock()
        ready, seen = [], {}
        for item in scan_inbox(self.inbox):
            try:
                stat = item.path.stat()
            except FileNotFoundError:
                continue  # removed between listing and looking
            signature = (stat.st_size, stat.st_mtime_ns)
            previous = self._seen.get(item.path)
            if previous is not None and previous[0] == signature:
                since = previous[1]
            else:  # new or changed: quiet since its last write, as far as we know
                since = min(now, stat.st_mtime_ns / 1e9) if previous is None else now
            seen[item.path] = (signature, since)
            if now - since >= self.settle_seconds and \
                    self._handed_out.get(item.path) != signature:
                ready.append(item)
                self._handed_out[item.path] = signature
        self._seen = seen
        return ready

    def seconds_to_next(self) -> float | None:
        """When a file still settling may be ready, or None if none is waiting."""
        waiting = [since + self.settle_seconds - self.clock()
                   for path, (signature, since) in self._seen.items()
                   if self._handed_out.get(path) != signature]
        return max(0.0, min(waiting)) if waiting else None

    def taken(self, files: list[tuple[Path, Signature]]) -> None:
        """Someone else runs these (the mailbox pass, on what it saved; told before they
        appear): not handed out unless they change."""
        for path, signature in files:
            self._handed_out[path] = signature

    def forget(self, items: list[InboxFile]) -> None:
        """Hand these out again once they are stable (their run could not start)."""
        for item in items:
            self._handed_out.pop(item.path, None)
