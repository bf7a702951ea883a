"""Local Prefect defaults that just work, applied before Prefect is imported.

With no configuration, Prefect keeps its home inside the project (`var/prefect`, not the
user's ~/.prefect), starts a temporary local server when a flow runs, sends no
telemetry, and gives a cold machine time to start. Anything the user set wins:
`PREFECT_API_URL` pointing at a real server is honoured.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from config import get_settings

DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
    "PREFECT_UI_ENABLED": "true",
    "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
}


def apply() -> None:
    settings = get_settings()
    os.environ.setdefault("PREFECT_HOME", str(settings.prefect_home))
    Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
    for name, value in DEFAULTS.items():
        os.environ.setdefault(name, value)
    # Prefect's own chatter is only worth the log file when someone asks for detail.
    os.environ.setdefault("PREFECT_LOGGING_LEVEL",
                          "DEBUG" if settings.log_level == "DEBUG" else "WARNING")


@contextmanager
def without_heartbeats() -> Iterator[None]:
    """Flow runs started inside end at once. Prefect joins its heartbeat thread at the end
    of every flow run, and that thread sleeps in whole seconds: a second added to each run,
    a third of an upload's answer. Our run lock detects dead runs itself (and marks their
    flow runs Crashed), so the flows this process runs send no heartbeats."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield
