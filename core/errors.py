"""Domain errors: failures the user can act on, with a status, a code and per-field messages."""

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from starlette.responses import JSONResponse, Response

from core.i18n import gettext, ngettext


class DomainError(Exception):
    """A failure the user can act on; `fields` maps a field name to its message, `headers`
    go out with the answer (a 429's Retry-After)."""

    status_code = 400
    code = "bad_request"
    headers: dict[str, str] = {}

    def __init__(
        self,
        message: str,
        status_code: int | None = None,
        code: str | None = None,
        fields: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code
        if code is not None:
            self.code = code
        self.fields = fields or {}


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


class NotAuthenticated(DomainError):
    status_code = 401
    code = "not_authenticated"


class PendingVerification(DomainError):
    status_code = 403
    code = "organization_pending"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class Throttled(DomainError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, fields: dict[str, str] | None = None):
        super().__init__(message, fields=fields)
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}


class InvalidInput(DomainError):
    status_code = 422
    code = "invalid"


class FieldError(ValueError):
    """A check across fields, raised in a model validator, that names the field to correct
    (pydantic would report it under the whole model)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def _number(value: object) -> str:
    # Bounds are small round numbers (0, 90, 180); a Decimal's exponent form is not for people.
    return f"{value:f}" if isinstance(value, Decimal) else str(value)


def _count(ctx: dict, key: str) -> int:
    value = ctx.get(key, 0)
    return value if isinstance(value, int) else 0


# pydantic's own error types, in words people use, from the catalogs (its English `msg` is
# neither translated nor written for people filling a form).
_BUILTIN: dict[str, Callable[[dict], str]] = {
    "missing": lambda c: gettext("This field is required"),
    "greater_than": lambda c: (
        gettext("Give a number greater than %(n)s.") % {"n": _number(c["gt"])}
    ),
    "greater_than_equal": lambda c: (
        gettext("Give a number of at least %(n)s.") % {"n": _number(c["ge"])}
    ),
    "less_than": lambda c: gettext("Give a number less than %(n)s.") % {"n": _number(c["lt"])},
    "less_than_equal": lambda c: (
        gettext("Give a number of at most %(n)s.") % {"n": _number(c["le"])}
    ),
    "multiple_of": lambda c: (
        gettext("Give a multiple of %(n)s.") % {"n": _number(c["multiple_of"])}
    ),
    "string_too_short": lambda c: (
        ngettext(
            "Give at least %(num)d character.",
            "Give at least %(num)d characters.",
            _count(c, "min_length"),
        )
        % {"num": _count(c, "min_length")}
    ),
    "string_too_long": lambda c: (
        ngettext(
            "Give at most %(num)d character.",
            "Give at most %(num)d characters.",
            _count(c, "max_length"),
        )
        % {"num": _count(c, "max_length")}
    ),
    "too_short": lambda c: (
        ngettext(
            "Choose at least %(num)d item.",
            "Choose at least %(num)d items.",
            _count(c, "min_length"),
        )
        % {"num": _count(c, "min_length")}
    ),
    "too_long": lambda c: (
        ngettext(
            "Choose at most %(num)d item.", "Choose at most %(num)d items.", _count(c, "max_length")
        )
        % {"num": _count(c, "max_length")}
    ),
    "int_parsing": lambda c: gettext("Give a whole number."),
    "int_type": lambda c: gettext("Give a whole number."),
    "int_from_float": lambda c: gettext("Give a whole number."),
    "int_parsing_size": lambda c: gettext("This number is too large."),
    "float_parsing": lambda c: gettext("Give a number."),
    "float_type": lambda c: gettext("Give a number."),
    "decimal_parsing": lambda c: gettext("Give a number."),
    "decimal_type": lambda c: gettext("Give a number."),
    "finite_number": lambda c: gettext("Give a number."),
    "decimal_max_digits": lambda c: (
        ngettext(
            "Give at most %(num)d digit.", "Give at most %(num)d digits.", _count(c, "max_digits")
        )
        % {"num": _count(c, "max_digits")}
    ),
    "decimal_max_places": lambda c: (
        ngettext(
            "Give at most %(num)d digit after the decimal point.",
            "Give at most %(num)d digits after the decimal point.",
            _count(c, "decimal_places"),
        )
        % {"num": _count(c, "decimal_places")}
    ),
    "decimal_whole_digits": lambda c: gettext("This number has too many digits."),
    "bool_parsing": lambda c: gettext("Give true or false."),
    "bool_type": lambda c: gettext("Give true or false."),
    "string_type": lambda c: gettext("Give text here."),
    "string_pattern_mismatch": lambda c: gettext("This is not in the expected form."),
    "enum": lambda c: gettext("Choose one of the options offered."),
    "literal_error": lambda c: gettext("Choose one of the options offered."),
    "date_parsing": lambda c: gettext("Give a date (year-month-day)."),
    "date_type": lambda c: gettext("Give a date (year-month-day)."),
    "date_from_datetime_parsing": lambda c: gettext("Give a date (year-month-day)."),
    "date_from_datetime_inexact": lambda c: gettext("Give a date without a time."),
    "datetime_parsing": lambda c: gettext("Give a date and time."),
    "datetime_type": lambda c: gettext("Give a date and time."),
    "datetime_from_date_parsing": lambda c: gettext("Give a date and time."),
    "datetime_object_invalid": lambda c: gettext("Give a date and time."),
    "time_parsing": lambda c: gettext("Give a time (hours:minutes)."),
    "time_type": lambda c: gettext("Give a time (hours:minutes)."),
    "timezone_aware": lambda c: gettext("Give the time with its time zone."),
    "timezone_naive": lambda c: gettext("Give the time without a time zone."),
    "date_past": lambda c: gettext("Give a date in the past."),
    "date_future": lambda c: gettext("Give a date in the future."),
    "datetime_past": lambda c: gettext("Give a time in the past."),
    "datetime_future": lambda c: gettext("Give a time in the future."),
    "url_parsing": lambda c: gettext("Give a web address starting with http:// or https://."),
    "url_type": lambda c: gettext("Give a web address starting with http:// or https://."),
    "url_scheme": lambda c: gettext("Give a web address starting with http:// or https://."),
    "url_too_long": lambda c: gettext("This web address is too long."),
    "uuid_parsing": lambda c: gettext("This is not in the expected form."),
    "uuid_type": lambda c: gettext("This is not in the expected form."),
    "json_invalid": lambda c: gettext("This is not valid JSON."),
    "json_type": lambda c: gettext("This is not valid JSON."),
    "extra_forbidden": lambda c: gettext("This field is not accepted here."),
    "list_type": lambda c: gettext("Give a list here."),
    "tuple_type": lambda c: gettext("Give a list here."),
    "set_type": lambda c: gettext("Give a list here."),
    "dict_type": lambda c: gettext("Give an object here."),
    "model_type": lambda c: gettext("Give an object here."),
    "model_attributes_type": lambda c: gettext("Give an object here."),
    "dataclass_type": lambda c: gettext("Give an object here."),
    "bytes_type": lambda c: gettext("Give text here."),
    "string_unicode": lambda c: gettext("Give text here."),
    "recursion_loop": lambda c: gettext("This is nested too deeply."),
}


# Money travels in minor units (`*_minor`, fen), but people type and read major units
# ("12.50"): a bound or a parse failure of such a field is phrased without the fen figures.
_MONEY = {
    "greater_than_equal": lambda c: (
        gettext("Give an amount above zero.") if c.get("ge", 1) else gettext("Give zero or more.")
    ),
    "greater_than": lambda c: gettext("Give an amount above zero."),
    "less_than_equal": lambda c: gettext("This amount is too large."),
    "less_than": lambda c: gettext("This amount is too large."),
    "int_parsing": lambda c: gettext(
        "Give an amount such as 12.50, with no more decimals than the currency has."
    ),
    "int_from_float": lambda c: gettext(
        "Give an amount such as 12.50, with no more decimals than the currency has."
    ),
}


def _is_money(err: Mapping[str, Any]) -> bool:
    loc = err.get("loc") or ()
    named = [part for part in loc if isinstance(part, str)]
    return bool(named) and named[-1].endswith("_minor")


def error_message(err: Mapping[str, Any]) -> str:
    """One pydantic error as a sentence in the current language.

    Our own checks (custom error types, ValueError in a validator) already carry a message
    written for people; it is looked up in the catalogs too, in case it was made in another
    language's request. pydantic's own types are phrased from `_BUILTIN`, money's bounds and
    parsing from `_MONEY`."""
    kind = err["type"]
    ctx = dict(err.get("ctx") or {})
    if kind in _MONEY and _is_money(err):
        return _MONEY[kind](ctx)
    if kind in ("value_error", "assertion_error"):
        cause = ctx.get("error")
        text = str(cause) if cause is not None else err["msg"]
        return gettext(text.removeprefix("Value error, ").removeprefix("Assertion failed, "))
    # A custom error (PydanticCustomError) has no documentation url; pydantic's own do.
    if "url" in err or kind not in _BUILTIN:
        phrase = _BUILTIN.get(kind)
        if phrase is not None:
            try:
                return phrase(ctx)
            except (KeyError, TypeError, ValueError):
                pass
        if "url" in err:
            return gettext("This value is not valid.")
    message = err["msg"]
    return gettext(message)


def fields_from_validation(exc: ValidationError) -> dict[str, str]:
    """Turn pydantic errors into {field: message}, the first message per field."""
    fields: dict[str, str] = {}
    for err in exc.errors():
        parts = [str(part) for part in err["loc"] if part != "__root__"]
        cause = err.get("ctx", {}).get("error")
        if isinstance(cause, FieldError):
            parts.append(cause.field)
        loc = ".".join(parts) or "body"
        fields.setdefault(loc, error_message(err))
    return fields


def validation_error(exc: ValidationError) -> InvalidInput:
    fields = fields_from_validation(exc)
    names = ", ".join(fields)
    return InvalidInput(gettext("Invalid input: %(fields)s") % {"fields": names}, fields=fields)


def error_json(
    status_code: int,
    code: str,
    message: str,
    fields: dict | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    return JSONResponse(body, status_code=status_code, headers=headers or None)
