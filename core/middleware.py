"""Pure ASGI middleware: security headers on every response, and request body size limits."""

import json
import secrets

import asgi_csrf
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.settings import Settings


def content_security_policy(settings: Settings) -> str:
    tile_origin = settings.tile_url.split("/{", 1)[0]
    tile_origin = "/".join(tile_origin.split("/")[:3]) if "://" in tile_origin else ""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src 'self' data: {tile_origin}".strip(),
            "connect-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings):
        self.app = app
        self.headers = {
            "Content-Security-Policy": content_security_policy(settings),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "strict-origin-when-cross-origin",
            "X-Frame-Options": "DENY",
            "Permissions-Policy": "geolocation=(self), camera=(), microphone=()",
        }
        if settings.secure_cookies:
            self.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        # As MutableHeaders.setdefault would add them, encoded once.
        self._raw = [
            (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in self.headers.items()
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                # A response's own value wins; the others are added (one scan, not five).
                headers = message["headers"] = [
                    (key, _each_once(value)) if key == b"vary" else (key, value)
                    for key, value in message.get("headers", ())
                ]
                present = {key.lower() for key, _value in headers}
                headers.extend(pair for pair in self._raw if pair[0] not in present)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _each_once(vary: bytes) -> bytes:
    """A Vary value naming each header once: the layers that add to it (the page's own, the
    session's, the CSRF token's, gzip's) each add theirs without reading the others'."""
    seen: dict[bytes, bytes] = {}
    for name in vary.split(b","):
        name = name.strip()
        if name:
            seen.setdefault(name.lower(), name)
    return b", ".join(seen.values())


class SessionReadVary:
    """What Starlette's SessionMiddleware adds to the response of a request whose session was
    read, as LocaleMiddleware reads every one: `Vary: Cookie`. For an answer made without
    those two layers (core/pages.py's lane), so it carries the same headers."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_vary(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                MutableHeaders(scope=message).add_vary_header("Cookie")
            await send(message)

        await self.app(scope, receive, send_with_vary)


class BodyLimitMiddleware:
    """413 for bodies over the limit; multipart uploads (spreadsheets, receipts) may be larger."""

    def __init__(self, app: ASGIApp, settings: Settings):
        self.app = app
        self.limit = settings.max_body_bytes
        self.upload_limit = settings.max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        content_type = headers.get(b"content-type", b"")
        limit = self.upload_limit if content_type.startswith(b"multipart/") else self.limit
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._reject(scope, send, limit)
            return
        received = 0
        too_large = False

        async def limited_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    too_large = True
                    raise BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except BodyTooLarge:
            await self._reject(scope, send, limit)

    async def _reject(self, scope: Scope, send: Send, limit: int) -> None:
        message = f"The request body is larger than {limit // 1024} KiB."
        if scope["path"].startswith("/api/"):
            body = json.dumps(
                {"error": {"code": "too_large", "message": message, "fields": {"body": message}}}
            ).encode()
            content_type = b"application/json"
        else:
            body = message.encode()
            content_type = b"text/plain; charset=utf-8"
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", content_type),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class BodyTooLarge(Exception):
    pass


class MultipartCSRFCheck:
    """Checks the CSRF form field of multipart posts, which asgi-csrf 0.11 cannot parse.

    asgi-csrf calls python-multipart with an argument its current releases removed, so it
    would fail on every upload; here the body (already size-limited) is buffered, the
    `csrftoken` field compared with the cookie, and the request marked so asgi-csrf lets it
    through. Requests carrying the token in the header never reach this parsing.
    """

    def __init__(self, app: ASGIApp, on_failure, exempt):
        self.app = app
        self.on_failure = on_failure
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS", "TRACE"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        content_type = headers.get(b"content-type", b"")
        if (
            not content_type.startswith(b"multipart/form-data")
            or headers.get(b"x-csrftoken")
            or not headers.get(b"cookie")
            or self.exempt(scope)
        ):
            await self.app(scope, receive, send)
            return
        messages, body = [], b""
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        cookie = _cookie(headers.get(b"cookie", b""), "csrftoken")
        token = _multipart_field(content_type, body, "csrftoken")
        if not cookie or token is None or not secrets.compare_digest(token, cookie):
            await self.on_failure(scope, send, None)
            return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app({**scope, "commons.csrf_checked": True}, replay, send)


def _cookie(raw: bytes, name: str) -> str | None:
    from http.cookies import SimpleCookie

    jar = SimpleCookie()
    try:
        jar.load(raw.decode("latin-1"))
    except Exception:  # a malformed Cookie header means no usable token
        return None
    return jar[name].value if name in jar else None


def _multipart_field(content_type: bytes, body: bytes, name: str) -> str | None:
    from python_multipart.multipart import FormParser, parse_options_header

    _, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if not boundary:
        return None
    found: dict[str, str] = {}
    # Each uploaded part is buffered by python-multipart, past 1 MiB in a temporary file:
    # only the token is wanted here, so every part is closed (and its file removed) at once.
    files: list = []

    def on_field(field) -> None:
        if field.field_name == name.encode() and field.value is not None:
            found[name] = field.value.decode("utf-8", "replace")

    try:
        parser = FormParser("multipart/form-data", on_field, files.append, boundary=boundary)
        parser.write(body)
        parser.finalize()
    except Exception:  # an unparsable body has no valid token either
        return None
    finally:
        for file in files:
            file.close()
    return found.get(name)


class LazyCsrfToken:
    """asgi-csrf around `app`, except for a safe request (GET, HEAD, OPTIONS, TRACE) that
    carries no `csrftoken` cookie: asgi-csrf signs a new token for each such request whether
    or not the page uses it, and a shared page (core/pages.py), served to everybody, never
    does. Here the token is signed when the page first asks for it, and the response then
    gets what asgi-csrf would give it: `Vary: Cookie` and the cookie. Unsafe requests, and
    safe ones with the cookie, go through asgi-csrf itself (which checks nothing on a safe
    request)."""

    SAFE = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

    def __init__(self, app: ASGIApp, wrapped: ASGIApp, signing_secret: str, cookie_secure: bool):
        from itsdangerous.url_safe import URLSafeSerializer

        self.app = app
        self.wrapped = wrapped
        self.signer = URLSafeSerializer(signing_secret)
        self.cookie_tail = "; ".join(
            [
                f"Path={asgi_csrf.DEFAULT_COOKIE_PATH}",
                f"SameSite={asgi_csrf.DEFAULT_COOKIE_SAMESITE}",
            ]
            + (["Secure"] if cookie_secure else [])
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in self.SAFE or self._has_cookie(scope):
            await self.wrapped(scope, receive, send)
            return
        token: str | None = None

        def get_csrftoken() -> str:
            nonlocal token
            if token is None:
                token = self.signer.dumps(
                    asgi_csrf.make_secret(16), asgi_csrf.DEFAULT_SIGNING_NAMESPACE
                )
            return token

        async def send_with_token(message: Message) -> None:
            if message["type"] == "http.response.start" and token is not None:
                headers = []
                found_vary = False
                for key, value in message.get("headers") or []:
                    if key == b"vary":
                        found_vary = True
                        bits = [v.strip() for v in value.split(b",")]
                        if b"Cookie" not in bits:
                            bits.append(b"Cookie")
                        value = b", ".join(bits)
                    headers.append((key, value))
                if not found_vary:
                    headers.append((b"vary", b"Cookie"))
                cookie = f"{asgi_csrf.DEFAULT_COOKIE_NAME}={token}; {self.cookie_tail}"
                headers.append((b"set-cookie", cookie.encode("utf-8")))
                message = {**message, "headers": headers}
            await send(message)

        await self.app({**scope, asgi_csrf.SCOPE_KEY: get_csrftoken}, receive, send_with_token)

    @staticmethod
    def _has_cookie(scope: Scope) -> bool:
        for name, value in scope.get("headers") or ():
            if name == b"cookie" and asgi_csrf.DEFAULT_COOKIE_NAME.encode() + b"=" in value:
                return True
        return False
