"""One settings object, read once; every path resolves from the project root.

Values come from `HUIZONG_*` environment variables (or a `.env` file in the project
root); relative paths are taken relative to the project root, never the current
directory, so `huizong` behaves the same wherever it is started from.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="HUIZONG_", env_file=PROJECT_ROOT / ".env", extra="ignore"
    )

    root: Path = PROJECT_ROOT
    inbox_dir: Path = Path("inbox")
    var_dir: Path = Path("var")
    outputs_dir: Path = Path("outputs")
    outbox_dir: Path = Path("outbox")
    warehouse_url: str = ""
    # The office's own catalogue (indicators, departments, round, report template);
    # unset: the example shipped with huizong. `huizong init --copy-catalogue` fills it.
    catalogue_dir: Path | None = None
    # Sheets that we add to workbooks ourselves and that never hold data.
    skip_sheets: tuple[str, ...] = ("填报说明", "问题清单")
    # Limits that keep a hostile workbook from exhausting memory.
    max_file_bytes: int = Field(default=50 * 1024 * 1024, gt=0)
    max_uncompressed_bytes: int = Field(default=200 * 1024 * 1024, gt=0)
    max_compression_ratio: float = Field(default=200.0, gt=1)
    max_sheet_cells: int = Field(default=2_000_000, gt=0)
    # Workbooks are parsed in child processes, each capped in address space and time, so
    # a parser that aborts, hangs or allocates without end costs one file: one worker
    # per core this process may use; the memory cap fits an office PC with 4 GiB.
    reader_workers: int = Field(default_factory=lambda: min(len(os.sched_getaffinity(0)), 64),
                                gt=0, le=64)
    reader_memory_mb: int = Field(default=1024, ge=256)
    reader_timeout_seconds: float = Field(default=60, gt=0)
    # Files validated together: pandera's cost is mostly per call, so a batch is large;
    # still bounds memory whatever the inbox holds (1,000 files: ~300 MiB peak either way).
    batch_size: int = Field(default=1000, gt=0)
    # How long a run waits for another run to finish before giving up.
    lock_wait_seconds: float = Field(default=600, ge=0)
    # A run refreshes its lock every quarter of this; a lock not refreshed for this long
    # belongs to a run that died (killed, machine off) and is taken over.
    lock_stale_seconds: float = Field(default=60, ge=4)
    # A file dropped into the inbox is taken once its size and time have not changed
    # for this long (a copy over the network pauses; a half-copied file is not read).
    settle_seconds: float = Field(default=1.0, ge=0)
    # The local Prefect server a command started stops after this long without use.
    server_idle_minutes: float = Field(default=30, gt=0)
    # Times people read are shown in this zone; machine files carry the offset.
    timezone: str = "Asia/Shanghai"
    # Logs: a rotating file under var/log/ (`huizong.log`); DEBUG for the most detail.
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Mail. With no SMTP host every message is only written to the outbox as .eml.
    smtp_host: str = ""
    smtp_port: int = Field(default=465, gt=0, lt=65536)
    smtp_security: Literal["ssl", "starttls", "plain"] = "ssl"
    smtp_user: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_timeout_seconds: float = Field(default=20, gt=0)
    # Delivery is its own step, never inside a data run: a mail that could not be sent is
    # tried again after each of these waits (minutes, measured across runs), then `failed`.
    smtp_retry_minutes: tuple[float, ...] = (1, 5, 15, 60, 180, 720)
    # One delivery pass stops after this long; what is left waits for the next pass.
    mail_pass_seconds: float = Field(default=120, gt=0)
    # How often `huizong serve` delivers queued mail.
    mail_every_minutes: float = Field(default=5, gt=0)
    mail_from: str = ""  # default: the office's address in the department registry
    # The office mailbox that departments send their workbooks to. With no IMAP host the
    # intake is off and only files dropped into the inbox are read.
    imap_host: str = ""
    imap_port: int = Field(default=993, gt=0, lt=65536)
    imap_security: Literal["ssl", "starttls", "plain"] = "ssl"
    imap_user: str = ""
    imap_password: SecretStr = SecretStr("")
    imap_folder: str = "INBOX"
    # Handled messages are moved here (created if missing); where the server cannot move,
    # they stay and are flagged.
    imap_done_folder: str = "已处理"
    imap_timeout_seconds: float = Field(default=30, gt=0)
    # `serve` waits for new mail with IDLE and looks again at least this often (a server
    # without IDLE is polled at this interval).
    imap_poll_seconds: float = Field(default=60, gt=0)
    # The office's receiving server's authserv-id, as it writes it in Authentication-Results:
    # only its verdicts count. A message that fails is never taken as the department's.
    imap_authserv_id: str = ""
    # A message nobody could verify: taken and marked 发件人未验证 (accept), or held for the
    # office (hold). Default: accept without an authserv-id, hold with one.
    mail_unverified: Literal["accept", "hold"] | None = None
    # Limits on what one message may bring (zip members count as attachments).
    mail_max_attachments: int = Field(default=20, gt=0)
    # The console (审核台). Sessions end after this long idle, and this long after login
    # in any case; `console_https_only` marks the cookie Secure (also set by
    # `--https-only`, or when a proxy in front says https and `console_trust_proxy` is on).
    console_idle_minutes: float = Field(default=30, gt=0)
    console_absolute_hours: float = Field(default=12, gt=0)
    console_https_only: bool = False
    console_trust_proxy: bool = False
    console_login_failures: int = Field(default=5, gt=0)
    console_lockout_minutes: float = Field(default=15, gt=0)

    @model_validator(mode="after")
    def _resolve_paths(self) -> Settings:
        self.root = self.root.resolve()
        for name in ("inbox_dir", "var_dir", "outputs_dir", "outbox_dir"):
            path = getattr(self, name)
            if not path.is_absolute():
                setattr(self, name, (self.root / path).resolve())
        if self.catalogue_dir is not None and not self.catalogue_dir.is_absolute():
            self.catalogue_dir = (self.root / self.catalogue_dir).resolve()
        if not self.warehouse_url:
            self.warehouse_url = f"sqlite:///{self.var_dir / 'huizong.db'}"
        return self

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"HUIZONG_TIMEZONE 不是已知的时区：{name}（例如 Asia/Shanghai）"
                             ) from None
        return name

    @field_validator("warehouse_url")
    @classmethod
    def _known_dialect(cls, url: str) -> str:
        if not url:
            return url
        from sqlalchemy.engine import make_url  # only when a URL is given: it costs 0.1 s
        from sqlalchemy.exc import ArgumentError

        try:
            parsed = make_url(url)
            parsed.port  # noqa: B018 - a port that is not a number raises here
        except (ArgumentError, ValueError):
            parsed = None
        if parsed is None or not url.startswith(("sqlite://", "postgresql")):
            raise ValueError(
                "HUIZONG_WAREHOUSE_URL 只支持 sqlite:///… 或 postgresql+psycopg://用户@主机:端口/"
                "数据库 形式的地址")
        return url

    @property
    def unverified_mail(self) -> str:
        """accept / hold: what becomes of a message whose sender could not be verified."""
        if self.mail_unverified is not None:
            return self.mail_unverified
        return "hold" if self.imap_authserv_id.strip() else "accept"

    @property
    def archive_dir(self) -> Path:
        return self.var_dir / "archive"

    @property
    def mail_archive_dir(self) -> Path:
        """Every message taken from the mailbox, as received (.eml)."""
        return self.var_dir / "mail"

    @property
    def log_dir(self) -> Path:
        return self.var_dir / "log"

    @property
    def prefect_home(self) -> Path:
        return self.var_dir / "prefect"

    def ensure_dirs(self) -> None:
        for path in (self.inbox_dir, self.var_dir, self.archive_dir, self.outputs_dir,
                     self.outbox_dir):
            path.mkdir(parents=True, exist_ok=True)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
