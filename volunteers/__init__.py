"""Volunteers: profiles, shifts, sign-ups and waitlists, attendance, calendar, mail delivery."""
