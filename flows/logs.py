"""Where the pipeline's logs go: a rotating file under var/log/ for everything, and the
terminal for what the person at it needs.

Set up before Prefect is imported, so Prefect keeps our root handlers (it leaves a root
logger with handlers of its user alone) and its own loggers land in the same file. The
file's times are local with their offset. The terminal of a command shows only the lines
the command prints itself (a traceback there helps nobody at the 联席办; the log has it),
`serve` and `watch` also show warnings, as a service manager's journal expects.
"""

from __future__ import annotations

import datetime as dt
import logging
import logging.handlers
import sys

from config.clock import local_zone
from config.settings import get_settings

# Lines for the person at the terminal in every mode (a run waiting for another, say).
NOTICE = logging.getLogger("huizong.notice")
LOG_FILE = "huizong.log"
OUR_PACKAGES = ("alerts", "config", "flows", "forms", "huizong", "intake", "pipeline", "report",
                "schemas", "transforms", "warehouse")
MAX_BYTES = 5 * 1024 * 1024
BACKUPS = 5


class _LocalTimeFormatter(logging.Formatter):
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        moment = dt.datetime.fromtimestamp(record.created, local_zone())
        return moment.isoformat(timespec="milliseconds")


class _Terminal(logging.StreamHandler):  # type: ignore[type-arg]
    """Ours, so that later calls to `configure` find and adjust it. Shows records at
    `threshold` and above, and every notice."""

    threshold = logging.CRITICAL + 1

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= self.threshold or record.name == NOTICE.name


def configure(terminal_level: int = logging.CRITICAL + 1) -> None:
    """Idempotent: a second call only changes what the terminal shows."""
    root = logging.getLogger()
    terminal = next((h for h in root.handlers if isinstance(h, _Terminal)), None)
    if terminal is None:
        settings = get_settings()
        level = logging.getLevelName(settings.log_level)
        settings.log_dir.mkdir(parents=True, exist_ok=True)
        file = logging.handlers.RotatingFileHandler(
            settings.log_dir / LOG_FILE, maxBytes=MAX_BYTES, backupCount=BACKUPS,
            encoding="utf-8", delay=True)
        file.setFormatter(_LocalTimeFormatter(
            "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"))
        file.setLevel(level)
        terminal = _Terminal(sys.stderr)
        terminal.setFormatter(_LocalTimeFormatter("%(asctime)s %(message)s"))
        root.addHandler(file)
        root.addHandler(terminal)
        # Our packages at the chosen level; libraries' chatter only with DEBUG.
        root.setLevel(level if level == logging.DEBUG else logging.WARNING)
        for package in OUR_PACKAGES:
            logging.getLogger(package).setLevel(level)
    terminal.threshold = terminal_level
    # A served flow run imports Prefect (and its terminal handler) before our modules.
    for handler in root.handlers:
        if type(handler).__name__ == "PrefectConsoleHandler":
            handler.setLevel(terminal_level)
