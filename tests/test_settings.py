import os

import pytest
from pydantic import ValidationError

from config import PROJECT_ROOT, Settings


def test_defaults_resolve_from_the_project_root(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("HUIZONG_"):
            monkeypatch.delenv(name)
    settings = Settings()
    assert settings.inbox_dir == PROJECT_ROOT / "inbox"
    assert settings.var_dir == PROJECT_ROOT / "var"
    assert settings.warehouse_url == f"sqlite:///{PROJECT_ROOT / 'var' / 'huizong.db'}"
    assert settings.prefect_home == PROJECT_ROOT / "var" / "prefect"


def test_relative_paths_from_the_environment_are_project_relative(monkeypatch):
    monkeypatch.setenv("HUIZONG_OUTPUTS_DIR", "custom/out")
    assert Settings().outputs_dir == PROJECT_ROOT / "custom" / "out"


def test_warehouse_url_is_validated(monkeypatch):
    monkeypatch.setenv("HUIZONG_WAREHOUSE_URL", "mysql://root@localhost/test")
    with pytest.raises(ValidationError, match="postgresql"):
        Settings()
    monkeypatch.setenv("HUIZONG_WAREHOUSE_URL", "postgresql+psycopg://127.0.0.1/test")
    assert Settings().warehouse_url.startswith("postgresql+psycopg")
