"""Translations: Babel catalogs from platform/translations, the request's locale, gettext."""

import gettext as _gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import LazyProxy
from starlette.types import ASGIApp, Receive, Scope, Send

from core.settings import ROOT

TRANSLATIONS_DIR = ROOT / "platform" / "translations"
LOCALES = ("en", "zh_Hans")
LOCALE_NAMES = {"en": "English", "zh_Hans": "简体中文"}
HTML_LANG = {"en": "en", "zh_Hans": "zh-Hans"}

current_locale: ContextVar[str] = ContextVar("current_locale", default="en")


@cache
def translations(locale: str) -> _gettext.NullTranslations:
    """All of a locale's .po files (one per domain) merged, compiled in memory once."""
    folder = TRANSLATIONS_DIR / locale / "LC_MESSAGES"
    merged: _gettext.NullTranslations = _gettext.NullTranslations()
    for po_path in sorted(Path(folder).glob("*.po")) if folder.is_dir() else []:
        with po_path.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        buffer = BytesIO()
        write_mo(buffer, catalog, use_fuzzy=False)
        buffer.seek(0)
        part = _gettext.GNUTranslations(buffer)
        if isinstance(merged, _gettext.GNUTranslations):
            merged._catalog.update(part._catalog)  # type: ignore[attr-defined]
        else:
            merged = part
    return merged


@cache
def babel_locale(code: str) -> Locale:
    """The parsed Babel Locale, once per code: Babel parses a string locale on every call."""
    return Locale.parse(code)


def locale_object() -> Locale:
    """The request's locale as a Babel Locale, for format_decimal and friends."""
    return babel_locale(current_locale.get())


def gettext(message: str) -> str:
    return translations(current_locale.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_locale.get()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """A word whose meaning depends on where it is ("Received" funds, a "Received" request)."""
    return translations(current_locale.get()).pgettext(context, message)


def npgettext(context: str, singular: str, plural: str, n: int) -> str:
    return translations(current_locale.get()).npgettext(context, singular, plural, n)


def lazy_gettext(message: str) -> LazyProxy:
    """For module-level labels, translated when shown rather than when imported."""
    return LazyProxy(gettext, message, enable_cache=False)


def lazy_pgettext(context: str, message: str) -> LazyProxy:
    """A module-level label with a context (extract with -k lazy_pgettext:1c,2)."""
    return LazyProxy(pgettext, context, message, enable_cache=False)


_ = gettext


@contextmanager
def using_locale(locale: str | None) -> Iterator[str]:
    """Translate in `locale`, e.g. a mail in its recipient's language (unknown: unchanged)."""
    chosen = locale if locale in LOCALES else current_locale.get()
    token = current_locale.set(chosen)
    try:
        yield chosen
    finally:
        current_locale.reset(token)


def negotiate(accept_language: str, default: str) -> str:
    """Pick a supported locale from an Accept-Language header, in the listed order of q."""
    choices = []
    for index, part in enumerate(accept_language.split(",")):
        tag, _, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            weight = 0.0
        choices.append((-weight, index, tag.strip().lower()))
    for _weight, _index, tag in sorted(choices):
        if tag.startswith("zh"):
            return "zh_Hans"
        if tag.startswith("en"):
            return "en"
    return default


def request_locale(scope: Scope, default: str) -> str:
    """The request's locale: the session's choice, else Accept-Language, else `default`."""
    chosen = scope.get("session", {}).get("locale")
    if chosen not in LOCALES:
        accept = b""
        for name, value in scope.get("headers") or ():
            if name == b"accept-language":
                accept = value
        chosen = negotiate(accept.decode("latin-1"), default)
    return chosen


class LocaleMiddleware:
    """Sets the request's locale: the session's choice, else Accept-Language, else the default."""

    def __init__(self, app: ASGIApp, default: str = "en"):
        self.app = app
        self.default = default if default in LOCALES else "en"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chosen = request_locale(scope, self.default)
        scope["commons.locale"] = chosen
        token = current_locale.set(chosen)
        try:
            await self.app(scope, receive, send)
        finally:
            current_locale.reset(token)
