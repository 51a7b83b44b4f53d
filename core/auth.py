"""Who is asking: passwords, browser sessions, bearer tokens, role checks, login throttling."""

import asyncio
import hashlib
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from limits import RateLimitItemPerSecond
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string
from sqlalchemy import select
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from core.db import get_session
from core.errors import DomainError, Forbidden, NotAuthenticated, PendingVerification, error_json
from core.i18n import _
from core.models import ApiToken, Organization, Role, User
from core.settings import Settings

USER_KEY = "commons.user"
ORG_KEY = "commons.organization"


@cache
def _hasher() -> PasswordHasher:
    """argon2 at the configured cost (production-strong by default, cheap under test)."""
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


async def current_user(conn: HTTPConnection) -> User | None:
    """The signed-in user from a bearer token or the session cookie, cached per request."""
    if USER_KEY in conn.scope:
        return conn.scope[USER_KEY]
    user = None
    session = get_session(conn)
    authorization = conn.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        token_hash = hash_token(authorization[7:].strip())
        row = await session.execute(
            select(User, ApiToken)
            .join(ApiToken, ApiToken.user_id == User.id)
            .where(ApiToken.token_hash == token_hash, ApiToken.revoked_at.is_(None))
        )
        found = row.first()
        if found is None:
            raise NotAuthenticated(_("The bearer token is invalid or revoked."))
        user = found[0]
        conn.scope["commons.token_id"] = found[1].id
    elif "session" in conn.scope and conn.session.get("uid"):
        user = await session.get(User, conn.session["uid"])
    if user is not None and not user.is_active:
        if "session" in conn.scope:
            conn.session.clear()
        user = None
    conn.scope[USER_KEY] = user
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


def sign_in(conn: HTTPConnection, user: User) -> None:
    """Start a fresh session: everything but the language choice is dropped, with a new id."""
    locale = conn.session.get("locale")
    conn.session.clear()
    conn.session["uid"] = user.id
    conn.session["sid"] = secrets.token_urlsafe(16)
    if locale:
        conn.session["locale"] = locale
    conn.scope[USER_KEY] = user


def sign_out(conn: HTTPConnection) -> None:
    locale = conn.session.get("locale")
    conn.session.clear()
    if locale:
        conn.session["locale"] = locale
    conn.scope[USER_KEY] = None


class LoginThrottle:
    """Counts failed sign-ins per account and per address in a moving window."""

    def __init__(self, settings: Settings):
        self.item = RateLimitItemPerSecond(
            settings.login_failures_allowed, settings.login_failure_window_seconds
        )
        uri = settings.rate_limit_storage
        # Redis (shared by every worker process) through redis-py's asyncio client.
        options = {"implementation": "redispy"} if uri.startswith(("redis", "rediss")) else {}
        self.limiter = MovingWindowRateLimiter(storage_from_string("async+" + uri, **options))

    async def close(self) -> None:
        """Release a Redis connection pool, if the storage has one."""
        client = getattr(getattr(self.limiter.storage, "bridge", None), "storage", None)
        if client is not None:
            await client.aclose()

    def _keys(self, email: str, address: str) -> list[tuple[str, str]]:
        return [("login-account", email.strip().lower()), ("login-address", address)]

    async def check(self, email: str, address: str) -> None:
        for kind, key in self._keys(email, address):
            if not await self.limiter.test(self.item, kind, key):
                raise DomainError(
                    _("Too many failed sign-in attempts. Please wait 15 minutes and try again."),
                    429,
                    "rate_limited",
                    {"email": _("too many failed attempts")},
                )

    async def failed(self, email: str, address: str) -> None:
        for kind, key in self._keys(email, address):
            await self.limiter.hit(self.item, kind, key)

    async def succeeded(self, email: str) -> None:
        await self.limiter.clear(self.item, "login-account", email.strip().lower())


class AuthMiddleware:
    """Settles who is asking before the handler runs, so pages render from the request alone."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
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
