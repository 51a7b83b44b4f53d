"""Typed settings read from COMMONS_* environment variables and DATABASE_URL."""

from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET_KEY = "dev-insecure-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COMMONS_", extra="ignore")

    database_url: str = Field(
        default="sqlite+aiosqlite:///./commons.db",
        validation_alias=AliasChoices("DATABASE_URL", "COMMONS_DATABASE_URL"),
    )
    # "production" makes start-up refuse the development defaults below (check_production).
    env: str = "development"
    secret_key: str = DEV_SECRET_KEY
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
    # A help request's photo: larger files are refused (phones on weak connections).
    help_photo_max_bytes: int = 5 * 1024 * 1024
    # Public help requests (the /help form and POST /api/v1/help-requests) one address and
    # one phone number may send per window; more get 429. The phone limit is the one that
    # fits a household; the address limit only stops a script. After a disaster a shelter's
    # Wi-Fi, an emergency cell on wheels or a carrier's NAT puts hundreds of households behind
    # one IPv4 address, all asking in the same hours, so it allows five a minute (IPv6 counts
    # per /64, one line's). Behind a proxy the address is the proxy's X-Forwarded-For.
    help_requests_per_address: int = Field(300, ge=1)
    help_requests_per_phone: int = Field(5, ge=1)
    help_request_window_seconds: int = Field(3600, ge=1)
    # Site-wide searches (the /search page and GET /api/v1/search) one address may make per
    # window; more get 429. Typing people search a few times a minute, and behind a shelter's
    # or a carrier's shared address many people search at once; repeats are cached anyway.
    searches_per_address: int = Field(120, ge=1)
    search_window_seconds: int = Field(60, ge=1)
    # Days after a help request closes (or a complaint is resolved) before its personal
    # contact data is erased: names, phones, mail, place, photo, and the texts sent to it.
    resident_contact_retention_days: int = Field(90, ge=1)
    verification_valid_days: int = 365
    # A document an organization uploads for its verification (PDF, JPEG or PNG).
    organization_document_max_bytes: int = 5 * 1024 * 1024
    # Days overdue work waits at each step before it is escalated up the territory: to the
    # agency responsible for its area, then to the parent area's agency, and so on.
    escalation_days: int = Field(3, ge=1)
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
    # Host names the app answers to (COMMONS_ALLOWED_HOSTS='["example.org"]'); empty = any.
    allowed_hosts: list[str] = []
    # Connections per web or job worker process: pool + overflow, never more. `commons serve`
    # refuses to start when workers × (pool + overflow) would reach PostgreSQL's
    # max_connections minus the reserve (kept for job workers, migrations and psql).
    # On two cores a few connections a worker keep PostgreSQL busy: more only add backends
    # contending for the same cores (the load bench's random need pages: 0.47x Fortunes with
    # 8 + 4, 0.55x with 3 + 0, and the 2-worker sign-up storm faster).
    db_pool_size: int = 3
    db_max_overflow: int = 0
    db_connection_reserve: int = 20
    # SQLite's own page cache per pooled connection, in KiB (PRAGMA cache_size; SQLite's
    # default is 2,000): each of a worker's connections fills its own, on top of the
    # operating system's cache of the same file. Half the default cost the page benches
    # nothing measurable; a quarter made a need page's miss a third dearer.
    sqlite_cache_kib: int = Field(1000, ge=64)
    # Seconds a request waits for a pooled connection before it is answered 503.
    db_pool_timeout: float = 30.0
    # True when DATABASE_URL points at PgBouncer in transaction mode (asyncpg caches off).
    pgbouncer: bool = False
    # Background jobs in the web process: None means yes on SQLite (so `make run` alone
    # delivers mail), no on PostgreSQL (run `commons worker`).
    jobs_in_process: bool | None = None
    # A job whose worker stopped beating for this long is picked up by another worker.
    job_heartbeat_seconds: float = 30.0
    # The job workers' direct database URL when DATABASE_URL goes through PgBouncer.
    queue_database_url: str | None = None
    # Bearer token that unlocks GET /metrics; unset, /metrics answers 404.
    metrics_token: str | None = None
    # "json" (one JSON object a line, with the request id) or "text"; for serve and worker.
    log_format: str = "json"
    log_level: str = "INFO"
    # Live updates: event streams one web worker holds at most (503 beyond), and a direct
    # PostgreSQL URL for LISTEN when DATABASE_URL goes through PgBouncer (it cannot LISTEN).
    live_max_connections: int = 500
    # Seconds a web worker trusts the public versions it read (core/cache.py): a cached
    # public page then costs no database round trip, and another worker's write shows
    # within this long (twice as long while a busy worker reads them again, see
    # VersionMemo.renewing). 0 reads the versions on every request.
    public_version_ttl: float = 1.0
    listen_database_url: str | None = None

    def production_problems(self) -> list[str]:
        """Each setting that is unsafe in production, named; empty outside production."""
        if self.env != "production":
            return []
        problems = []
        if self.secret_key == DEV_SECRET_KEY or len(self.secret_key) < 32:
            problems.append("COMMONS_SECRET_KEY is the development key or shorter than 32 chars")
        if not self.secure_cookies:
            problems.append("COMMONS_SECURE_COOKIES must be true (cookies only over HTTPS)")
        if not self.allowed_hosts:
            problems.append("COMMONS_ALLOWED_HOSTS is missing (the host names to answer to)")
        if self.debug:
            problems.append("COMMONS_DEBUG must be false")
        return problems

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
