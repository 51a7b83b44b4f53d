"""Errors raised by the volunteers domain."""

from collections.abc import Iterator
from contextlib import contextmanager

from core.errors import Conflict, Forbidden, InvalidInput, NotFound


class ShiftNotFound(NotFound):
    code = "shift_not_found"


class SignupNotFound(NotFound):
    code = "signup_not_found"


class NotShiftOwner(Forbidden):
    code = "not_shift_owner"


class AlreadySignedUp(Conflict):
    code = "already_signed_up"


class OverlappingShift(Conflict):
    code = "overlapping_shift"


class ShiftClosed(Conflict):
    code = "shift_closed"


class InvalidShift(InvalidInput):
    code = "invalid_shift"


class InvalidAttendance(InvalidInput):
    code = "invalid_attendance"


@contextmanager
def named_in_form() -> Iterator[None]:
    """A record named in a form field that does not exist is a mistake in the input: the form
    shows it at the field (the API answers the NotFound itself, with the same fields)."""
    try:
        yield
    except NotFound as exc:
        if not exc.fields:
            raise
        raise InvalidInput(exc.message, fields=exc.fields) from exc
