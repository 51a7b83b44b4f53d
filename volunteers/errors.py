"""Errors raised by the volunteers domain."""

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
