"""Typed settings read from COMMONS_* environment variables and DATABASE_URL."""

from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COMMONS_", extra="ignore")

    database_url: str = Field(
        default="sqlite+aiosqlite:///./commons.db",
        validation_alias=AliasChoices("DATABASE_URL", "COMMONS_DATABASE_URL"),
    )
    secret_key: str = "dev-insecure-change-me"
    secure_cookies: bool = False
    session_max_age: int = 14 * 24 * 3600
    default_locale: str = "en"
    time_zone: str = "UTC"
    currency: str = "CNY"
    tile_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    tile_attribution: str = "&copy; OpenStreetMap contributors"
    # Failed sign-ins per account and address before each further attempt waits 1, 2, 4 … s.
    login_failures_allowed: int = 10
    login_failure_window_seconds: int = 24 * 3600
    login_delay_cap_seconds: int = 15 * 60
    reset_mails_allowed: int = 10
    reset_mail_window_seconds: int = 15 * 60
    rate_limit_storage: str = "memory://"
    max_body_bytes: int = 1024 * 1024
    max_upload_bytes: int = 20 * 1024 * 1024
    verification_valid_days: int = 365
    # argon2id cost; the defaults are argon2-cffi's (RFC 9106 low-memory profile).
    password_time_cost: int = 3
    password_memory_cost: int = 65536
    password_parallelism: int = 4
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = True
    mail_from: str = "Recovery Commons <noreply@localhost>"
    mail_dir: Path = ROOT / "var" / "mail"
    upload_dir: Path = ROOT / "var" / "uploads"
    base_url: str = "http://127.0.0.1:8000"
    # The SMS gateway (residents/service/sms.py documents its HTTP format) and the secret
    # both directions carry in the X-Gateway-Secret header; unset, SMS is off.
    sms_gateway_url: str | None = None
    sms_secret: str | None = None
    debug: bool = False

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
