"""Authorization rows for volunteers: profiles, shifts, sign-ups, attendance, calendars."""

from tests.authz import bodies as b
from tests.authz.matrix import NGO_A, ORGANIZERS, PUBLIC, VOLUNTEER, row

# fmt: off
# Columns: an v1 v2 d1 d2 np op nA nB oA oB ad (see tests/authz/matrix.py).
ROWS = [
    row("GET /api/v1/volunteers/me", VOLUNTEER),
    row("PUT /api/v1/volunteers/me", VOLUNTEER),
    row("DELETE /api/v1/volunteers/me", VOLUNTEER),
    row("GET /api/v1/volunteers/me/export", VOLUNTEER),
    row("GET /api/v1/volunteers/me/signups", VOLUNTEER),
    row("GET /api/v1/volunteers/me/shifts.ics", VOLUNTEER),
    row("POST /api/v1/volunteers/me/calendar", VOLUNTEER),
    row("POST /api/v1/volunteers/me/calendar/reset", VOLUNTEER),
    row("GET /api/v1/volunteers/calendar/{token:str}.ics", PUBLIC, token='calendar_token'),
    row("GET /api/v1/volunteers/me/certificate.pdf", VOLUNTEER),
    row("GET /api/v1/certificates/{code:str}", "N N N N N N N N N N N N", code='=ABCD-EFGH'),
    row("POST /api/v1/shifts", "L F F F F F F A A A F F", body=b.shift),
    row("GET /api/v1/shifts", PUBLIC),
    row("GET /api/v1/shifts/{id:int}", PUBLIC, id='shift'),
    row("PATCH /api/v1/shifts/{id:int}", NGO_A, id='shift'),
    row("POST /api/v1/shifts/{id:int}/cancel", NGO_A, id='shift'),
    row("POST /api/v1/shifts/{id:int}/signup", VOLUNTEER, id='shift'),
    row("DELETE /api/v1/shifts/{id:int}/signup", VOLUNTEER, id='shift'),
    row("GET /api/v1/shifts/{id:int}/signups", NGO_A, id='shift'),
    row("POST /api/v1/shifts/{id:int}/attendance", NGO_A, id='shift', body=b.attendance),
    row("GET /volunteers/shifts", PUBLIC),
    row("GET /volunteers/shifts/new", ORGANIZERS),
    row("POST /volunteers/shifts/new", "L F F F F F F A A A F F", body=b.shift_form),
    row("GET /volunteers/shifts/{id:int}", PUBLIC, id='shift'),
    row("GET /volunteers/shifts/{id:int}/edit", NGO_A, id='shift'),
    row("POST /volunteers/shifts/{id:int}/edit", NGO_A, id='shift'),
    row("POST /volunteers/shifts/{id:int}/cancel", NGO_A, id='shift'),
    row("POST /volunteers/shifts/{id:int}/signup", VOLUNTEER, id='shift'),
    row("POST /volunteers/shifts/{id:int}/cancel-signup", VOLUNTEER, id='shift'),
    row("POST /volunteers/shifts/{id:int}/attendance", NGO_A, id='shift', body=b.attendance_form),
    row("GET /volunteers/organize", ORGANIZERS),
    row("GET /volunteers/me", VOLUNTEER),
    row("POST /volunteers/me", VOLUNTEER),
    row("POST /volunteers/me/calendar", VOLUNTEER),
    row("GET /volunteers/me/shifts.ics", VOLUNTEER),
    row("GET /volunteers/me/certificate.pdf", VOLUNTEER),
    row("GET /volunteers/me/export.json", VOLUNTEER),
    row("GET /certificates/{code:str}", "N N N N N N N N N N N N", code='=ABCD-EFGH'),
    row("GET /volunteers/me/delete", VOLUNTEER),
    row("POST /volunteers/me/delete", VOLUNTEER),
]
# fmt: on
