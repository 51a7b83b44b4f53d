"""What every request model shares: ids the database can hold, dates in a sane range, text
without control characters, and numbers and booleans kept apart."""

import re
import types
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Annotated, Any, Union, get_args, get_origin

from babel.numbers import get_currency_precision
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError
from starlette.convertors import Convertor, IntegerConvertor

from core.errors import NotFound
from core.i18n import _

# Every id column is an `integer`: 32 bits on PostgreSQL (64 on SQLite); ids and offsets
# stay within what both hold.
DB_INT_MAX = 2**31 - 1
# Money columns are BIGINT; an amount (and a sum of many) stays far inside 2**63.
MONEY_MINOR_MAX = 10**15


def to_minor(amount: str, currency: str) -> str | None:
    """An amount typed in major units ("2,500.50") in minor units ("250050"), or None when it
    does not parse or has more decimals than the currency, so validation refuses it by name."""
    try:
        value = Decimal(amount.replace(",", "").strip())
        digits = get_currency_precision(currency.upper()) if len(currency) == 3 else 2
    except (InvalidOperation, ValueError):
        return None
    minor = value.scaleb(digits)
    return str(int(minor)) if minor.is_finite() and minor == minor.to_integral_value() else None


def to_major(minor: int | None, currency: str) -> str:
    """Minor units as the plain major-unit text a money field shows back ("2500.50")."""
    if minor is None:
        return ""
    digits = get_currency_precision(currency.upper()) if len(currency or "") == 3 else 2
    return f"{Decimal(minor).scaleb(-digits):f}"


FIRST_YEAR, LAST_YEAR = 1900, 2200
# C0 and C1 controls except tab, newline and carriage return, lone surrogates, U+FFFE and
# U+FFFF: nobody types them, PostgreSQL refuses NUL and XML 1.0 cannot hold most of them.
UNSAFE_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def printable(text: str) -> str:
    """`text` without the characters input refuses: for XML and feed writers, whatever is
    stored."""
    return UNSAFE_CHARACTERS.sub("", text)


def _whole_number(value: Any) -> Any:
    if isinstance(value, bool):
        raise PydanticCustomError("int_type", _("Give a whole number, not true or false."))
    return value


DbId = Annotated[int, BeforeValidator(_whole_number), Field(ge=1, le=DB_INT_MAX)]
Offset = Annotated[int, BeforeValidator(_whole_number), Field(ge=0, le=DB_INT_MAX)]


def as_db_id(value: Any) -> int | None:
    """An id from a form or query value, or None when it is not one (never an exception)."""
    text = str(value or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    number = int(text)
    return number if 1 <= number <= DB_INT_MAX else None


def as_offset(value: Any) -> int:
    """A list offset from a query value; 0 when it is not one."""
    text = str(value or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return 0
    return min(int(text), DB_INT_MAX)


def _unsafe(value: Any) -> bool:
    if isinstance(value, str):
        return UNSAFE_CHARACTERS.search(value) is not None
    if isinstance(value, list | tuple):
        return any(_unsafe(item) for item in value)
    if isinstance(value, dict):
        return any(_unsafe(key) or _unsafe(item) for key, item in value.items())
    return False


def _flatten(annotation: Any) -> set:
    origin = get_origin(annotation)
    if origin is Annotated:
        return _flatten(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return set().union(*(_flatten(arg) for arg in get_args(annotation)))
    if origin is None and isinstance(annotation, type):
        return {annotation}
    if isinstance(origin, type):
        return {origin}
    return {object}  # Any, Literal: pydantic's own check decides


@cache
def _kinds(model: type[BaseModel], name: str) -> frozenset:
    return frozenset(_flatten(model.model_fields[name].annotation))


# A worker builds a model's validators and serializers when it first uses it, not at import:
# of some 300 models a web worker serves a few dozen, and building all cost 4.5 MB each.
DEFERRED = ConfigDict(defer_build=True)


class Output(BaseModel):
    """The base of every response and export model."""

    model_config = DEFERRED


class Input(BaseModel):
    """The base of every request model (JSON bodies, queries, forms, imported rows).

    Text may hold no control characters; a number field refuses true/false and a yes/no
    field refuses numbers (forms still send "12" and "on"); NaN and infinity are refused;
    dates lie between the years FIRST_YEAR and LAST_YEAR.
    """

    model_config = ConfigDict(allow_inf_nan=False, defer_build=True)

    @field_validator("*", mode="before")
    @classmethod
    def _plain(cls, value: Any, info: ValidationInfo) -> Any:
        if info.field_name is not None:
            kinds = _kinds(cls, info.field_name)
            if isinstance(value, bool):
                if not kinds & {bool, object}:
                    raise PydanticCustomError(
                        "bool_not_allowed", _("Give a value here, not true or false.")
                    )
            elif isinstance(value, int | float) and kinds <= {bool, type(None)}:
                raise PydanticCustomError("bool_type", _("Give true or false."))
        if _unsafe(value):
            raise PydanticCustomError(
                "control_characters", _("Remove the control characters (such as NUL) from this.")
            )
        return value

    @field_validator("*", mode="after")
    @classmethod
    def _sane_dates(cls, value: Any) -> Any:
        if isinstance(value, date) and not FIRST_YEAR <= value.year <= LAST_YEAR:
            raise PydanticCustomError(
                "date_range",
                _("Give a date between the years %(first)s and %(last)s.")
                % {"first": FIRST_YEAR, "last": LAST_YEAR},
            )
        return value


class IdConvertor(IntegerConvertor):
    """`{id:int}` in a path: an id out of the database's range is a 404, never a 500."""

    regex = "[0-9]+"

    def convert(self, value: str) -> int:
        number = as_db_id(value)
        if number is None and value.strip("0"):
            raise NotFound(_("Page not found"))
        return number or 0

    def to_string(self, value: int) -> str:
        return str(int(value))


class TextConvertor(Convertor[str]):
    """`{name}` in a path: control characters in it are a 404 (PostgreSQL refuses NUL)."""

    regex = "[^/]+"

    def convert(self, value: str) -> str:
        if UNSAFE_CHARACTERS.search(value):
            raise NotFound(_("Page not found"))
        return value

    def to_string(self, value: str) -> str:
        value = str(value)
        assert "/" not in value and value, "A path segment, not empty"
        return value
