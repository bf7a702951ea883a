"""One Prefect test server per session; every test gets its own project folder."""

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from prefect.testing.utilities import prefect_test_harness

from config import PROJECT_ROOT, Settings, get_settings


@pytest.fixture(scope="session")
def prefect_server():
    with prefect_test_harness(server_startup_timeout=180):
        yield


PROJECT_SETTINGS = ("INBOX_DIR", "VAR_DIR", "OUTPUTS_DIR", "OUTBOX_DIR", "WAREHOUSE_URL",
                    "SMTP_HOST", "IMAP_HOST")


@contextmanager
def project_at(root: Path) -> Iterator[Settings]:
    """Settings resolving inside `root` (no mail servers), for a fixture wider than one
    test."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HUIZONG_ROOT", str(root))
        for name in PROJECT_SETTINGS:
            patch.delenv(f"HUIZONG_{name}", raising=False)
        get_settings.cache_clear()
        try:
            yield get_settings()
        finally:
            get_settings.cache_clear()


@pytest.fixture
def project(tmp_path, monkeypatch, prefect_server):
    """A project root with an empty inbox; settings resolve inside it."""
    monkeypatch.setenv("HUIZONG_ROOT", str(tmp_path))
    for name in ("INBOX_DIR", "VAR_DIR", "OUTPUTS_DIR", "OUTBOX_DIR", "WAREHOUSE_URL"):
        monkeypatch.delenv(f"HUIZONG_{name}", raising=False)
    get_settings.cache_clear()
    (tmp_path / "inbox").mkdir()
    yield get_settings()
    get_settings.cache_clear()


@pytest.fixture
def example_inbox(project):
    shutil.copytree(PROJECT_ROOT / "inbox", project.inbox_dir, dirs_exist_ok=True)
    return project


HUIZONG = Path(sys.executable).with_name("huizong")


def huizong(*args: str, timeout: float = 600, cwd: Path | None = None,
            **env: str) -> subprocess.CompletedProcess:
    """The real command in its own process, talking to this session's Prefect server."""
    from prefect.settings import PREFECT_API_URL

    api = PREFECT_API_URL.value()
    environment = {**os.environ, **({"PREFECT_API_URL": str(api)} if api else {}), **env}
    return subprocess.run([HUIZONG, *args], capture_output=True, text=True,
                          env=environment, timeout=timeout, cwd=cwd)
