"""Who is asking: passwords, revocable browser sessions, bearer tokens, roles, login throttling."""

import asyncio
import hashlib
import ipaddress
import math
import secrets
import time
from datetime import timedelta
from functools import cache, cached_property
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from core.clock import utcnow
from core.db import get_session
from core.errors import Forbidden, NotAuthenticated, PendingVerification, Throttled, error_json
from core.i18n import _
from core.models import ApiToken, Organization, Role, User, UserSession
from core.settings import Settings

# argon2 and limits are loaded by the first sign-in or throttled request: a web worker that
# only serves public pages never needs them (issue 11's memory per worker).
if TYPE_CHECKING:
    from argon2 import PasswordHasher
    from limits import RateLimitItemPerSecond
    from limits.aio.strategies import MovingWindowRateLimiter

USER_KEY = "commons.user"
ORG_KEY = "commons.organization"
SESSION_KEY = "commons.user_session"
READ_METHODS = ("GET", "HEAD", "OPTIONS")
# How stale a session's last_seen_at may get before a request that writes anyway updates it.
SEEN_EVERY = timedelta(minutes=5)


@cache
def _hasher() -> "PasswordHasher":
    """argon2 at the configured cost (production-strong by default, cheap under test)."""
    from argon2 import PasswordHasher

    settings = Settings()
    return PasswordHasher(
        time_cost=settings.password_time_cost,
        memory_cost=settings.password_memory_cost,
        parallelism=settings.password_parallelism,
    )


@cache
def _dummy_hash() -> str:
    # A hash to verify against when the email is unknown, so timing does not tell.
    return _hasher().hash(secrets.token_urlsafe(16))


def _verify(password_hash: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def hash_password(password: str) -> str:
    """The argon2 hash, computed in a worker thread so the event loop keeps serving."""
    return await asyncio.to_thread(_hasher().hash, password)


async def check_password_timing_safe(user: User | None, password: str) -> bool:
    """Whether `password` is the user's, taking as long for an unknown user as a known one."""
    if user is None:
        await asyncio.to_thread(_verify, _dummy_hash(), password)
        return False
    return await asyncio.to_thread(_verify, user.password_hash, password)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> tuple[str, str]:
    """A random bearer token and the hash we store; the token itself is never stored."""
    token = "rc_" + secrets.token_urlsafe(32)
    return token, hash_token(token)


# Built once: every API request runs it, and building it cost more CPU than running it. The
# token's id only, not its row: one entity for the ORM to load per request, not two.
_BEARER = (
    select(User, ApiToken.id)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None))
)


async def current_user(conn: HTTPConnection) -> User | None:
    """The signed-in user from a bearer token or a live browser session, cached per request."""
    if USER_KEY in conn.scope:
        return conn.scope[USER_KEY]
    user = None
    session = get_session(conn)
    authorization = conn.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        token_hash = hash_token(authorization[7:].strip())
        row = await session.execute(_BEARER, {"token_hash": token_hash})
        found = row.first()
        if found is None:
            raise NotAuthenticated(_("The bearer token is invalid or revoked."))
        user = found[0]
        conn.scope["commons.token_id"] = found[1]
    elif "session" in conn.scope and conn.session.get("uid"):
        user = await _live_session_user(conn, session)
    if user is not None and not user.is_active:
        if "session" in conn.scope:
            _forget(conn)
        user = None
    conn.scope[USER_KEY] = user
    return user


async def _live_session_user(conn: HTTPConnection, session: AsyncSession) -> User | None:
    """The cookie's user if its session id is one we issued and nobody has ended since."""
    sid = conn.session.get("sid")
    found = None
    if isinstance(sid, str):
        row = await session.execute(
            select(User, UserSession)
            .join(UserSession, UserSession.user_id == User.id)
            .where(
                UserSession.sid_hash == hash_token(sid),
                UserSession.revoked_at.is_(None),
                User.id == conn.session["uid"],
            )
        )
        found = row.first()
    if found is None:
        _forget(conn)
        return None
    user, user_session = found
    conn.scope[SESSION_KEY] = user_session
    now = utcnow()
    writes = conn.scope.get("method") not in READ_METHODS
    # Only requests that write anyway note the time, so reading a page stays a read.
    if writes and now - user_session.last_seen_at > SEEN_EVERY:
        user_session.last_seen_at = now
    return user


async def user_organization(conn: HTTPConnection, user: User | None) -> Organization | None:
    if ORG_KEY not in conn.scope:
        org = None
        if user is not None and user.organization_id is not None:
            org = await get_session(conn).get(Organization, user.organization_id)
        conn.scope[ORG_KEY] = org
    return conn.scope[ORG_KEY]


async def require(conn: HTTPConnection, *roles: str, verified: bool = True) -> User:
    """The signed-in user if their role is one of `roles` (any role when empty).

    Officials and NGO members also need a verified organization unless `verified=False`.
    """
    user = await current_user(conn)
    if user is None:
        raise NotAuthenticated(_("Please sign in first."))
    if roles and user.role not in roles:
        raise Forbidden(_("Your role may not do this."))
    if verified and user.role in (Role.official, Role.ngo):
        org = await user_organization(conn, user)
        if org is None or not org.is_verified():
            raise PendingVerification(
                _("Your organization is waiting for verification by an administrator.")
            )
    return user


async def sign_in(conn: HTTPConnection, user: User) -> None:
    """Start a fresh session: everything but the language choice is dropped, with a new id,
    and the session it replaces (another sign-in in the same browser) ends."""
    await sign_out(conn)
    sid = secrets.token_urlsafe(32)
    conn.session["uid"] = user.id
    conn.session["sid"] = sid
    user_agent = conn.headers.get("user-agent", "")[:300] or None
    now = utcnow()
    row = UserSession(
        user_id=user.id,
        sid_hash=hash_token(sid),
        created_at=now,
        last_seen_at=now,
        user_agent=user_agent,
    )
    session = get_session(conn)
    session.add(row)
    await session.flush()
    conn.scope[SESSION_KEY] = row
    conn.scope[USER_KEY] = user


async def sign_out(conn: HTTPConnection) -> None:
    """End this browser's session, on the server too, so a copy of the cookie opens nothing."""
    row: UserSession | None = conn.scope.pop(SESSION_KEY, None)
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        await get_session(conn).flush()
    _forget(conn)
    conn.scope[USER_KEY] = None


def _forget(conn: HTTPConnection) -> None:
    locale = conn.session.get("locale")
    conn.session.clear()
    if locale:
        conn.session["locale"] = locale


async def end_sessions(session: AsyncSession, user_id: int) -> None:
    """Every browser session and bearer token of the user stops working: a new password,
    deactivation, a deleted account."""
    now = utcnow()
    await session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


class LoginThrottle:
    """Slows down guessing without locking anyone else out.

    Failed sign-ins are counted per account and address (per address alone when the email is
    no account's), so one address's failures never refuse another address, nor another
    account behind the same address. After `login_failures_allowed` failures each further
    attempt of that pair waits twice as long as the one before, up to `login_delay_cap_seconds`;
    a success forgets the pair's failures, and failures are forgotten
    `login_failure_window_seconds` after the first. The counters live in the `limits` storage
    (Redis when several workers share them); the waits are measured on core.clock.
    """

    def __init__(self, settings: Settings):
        self.settings = settings
        self.allowed = settings.login_failures_allowed
        self.window = settings.login_failure_window_seconds
        self.cap = settings.login_delay_cap_seconds

    @cached_property
    def limiter(self) -> "MovingWindowRateLimiter":
        """The `limits` limiter on the configured storage, made on first use."""
        from limits.aio.strategies import MovingWindowRateLimiter
        from limits.storage import storage_from_string

        uri = self.settings.rate_limit_storage
        # Redis (shared by every worker process) through redis-py's asyncio client.
        options = {"implementation": "redispy"} if uri.startswith(("redis", "rediss")) else {}
        return MovingWindowRateLimiter(storage_from_string("async+" + uri, **options))

    @property
    def storage(self):
        return self.limiter.storage

    @cached_property
    def reset_mails(self) -> "RateLimitItemPerSecond":
        return rate_item(self.settings.reset_mails_allowed, self.settings.reset_mail_window_seconds)

    async def close(self) -> None:
        """Release a Redis connection pool, if the storage has one (and was ever made)."""
        if "limiter" not in self.__dict__:
            return
        client = getattr(getattr(self.storage, "bridge", None), "storage", None)
        if client is not None:
            await client.aclose()

    def _key(self, email: str, address: str, known: bool) -> str:
        if known:
            return f"login/account/{email.strip().lower()}/{address}"
        return f"login/address/{address}"

    async def check(self, email: str, address: str, *, known: bool) -> None:
        """Refuse (429 with Retry-After) an attempt that comes before its wait is over."""
        key = self._key(email, address, known)
        failures = await self.storage.get(f"{key}/failures")
        if failures < self.allowed:
            return
        wait_ms = await self.storage.get(f"{key}/until/{failures}") - _now_ms()
        if wait_ms > 0:
            seconds = math.ceil(wait_ms / 1000)
            raise Throttled(
                _("Too many failed sign-in attempts. Please try again in %(seconds)d s.")
                % {"seconds": seconds},
                retry_after=seconds,
                fields={"email": _("too many failed attempts")},
            )

    async def failed(self, email: str, address: str, *, known: bool) -> None:
        key = self._key(email, address, known)
        failures = await self.storage.incr(f"{key}/failures", self.window)
        if failures < self.allowed:
            return
        delay = min(2 ** min(failures - self.allowed, 32), self.cap)
        # Each count is returned to one caller only, so this key has one writer.
        until = f"{key}/until/{failures}"
        await self.storage.clear(until)
        await self.storage.incr(until, self.window, amount=_now_ms() + delay * 1000)

    async def succeeded(self, email: str, address: str) -> None:
        await self.storage.clear(f"{self._key(email, address, True)}/failures")

    async def may_mail_reset(self, email: str) -> bool:
        """Whether another password-reset mail may go to `email` now; counts it if so."""
        return await self.limiter.hit(self.reset_mails, "password-reset", email.strip().lower())


def rate_item(count: int, seconds: int) -> "RateLimitItemPerSecond":
    """`count` hits per `seconds`, as the `limits` limiter counts them."""
    from limits import RateLimitItemPerSecond

    return RateLimitItemPerSecond(count, seconds)


async def seconds_to_wait(
    limiter: "MovingWindowRateLimiter", item: "RateLimitItemPerSecond", *identifiers: str
) -> int:
    """Count one hit of `item` for `identifiers`: 0 when it is within the limit, else the
    seconds until another is allowed (limits measures its windows on the wall clock)."""
    if await limiter.hit(item, *identifiers):
        return 0
    stats = await limiter.get_window_stats(item, *identifiers)
    return max(1, math.ceil(stats.reset_time - time.time()))


def _now_ms() -> int:
    return int(utcnow().timestamp() * 1000)


class AuthMiddleware:
    """Settles who is asking before the handler runs, so pages render from the request alone."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # /metrics checks its own bearer token (COMMONS_METRICS_TOKEN), not an account's.
        if (
            scope["type"] != "http"
            or scope["path"].startswith("/static/")
            or (scope["path"] == "/metrics")
        ):
            await self.app(scope, receive, send)
            return
        conn = HTTPConnection(scope)
        try:
            user = await current_user(conn)
            await user_organization(conn, user)
        except NotAuthenticated as exc:
            response = error_json(exc.status_code, exc.code, exc.message, exc.fields)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def client_address(conn: HTTPConnection) -> str:
    return conn.client.host if conn.client else "unknown"


def address_key(address: str) -> str:
    """Who a per-address limit counts: an IPv4 address, or an IPv6 address's /64 (one phone
    or one household's line is given a whole /64, so its other addresses are the same asker)."""
    try:
        found = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(found, ipaddress.IPv6Address):
        if found.ipv4_mapped is not None:
            return str(found.ipv4_mapped)
        return str(ipaddress.ip_network(f"{found}/64", strict=False))
    return str(found)
