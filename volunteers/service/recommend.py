"""'Recommended for you': shifts scored by skill overlap, distance and weekly availability.

Distance and time windows are judged by the matching engine's own functions (haversine_km,
window_overlap), so a volunteer and an offer are near, and free, by the same rules."""

from datetime import datetime, time, timedelta

from core.clock import zone
from core.geo import haversine_km, window_overlap
from core.i18n import _
from volunteers.models import DAYS, PARTS, SKILLS, Shift, VolunteerProfile

WEIGHTS = {"skills": 0.5, "distance": 0.3, "availability": 0.2}
DAY_KEYS = list(DAYS)
# Within this many kilometres a shift counts as near; the score halves at this distance.
NEAR_KM = 10.0


# The local hours each part of the day covers.
PART_HOURS = {"morning": (0, 12), "afternoon": (12, 18), "evening": (18, 24)}


def score(
    profile: VolunteerProfile | None, shift: Shift, time_zone: str | None = None
) -> tuple[float, list[str]]:
    """A score in [0, 1] and the reasons for it, in the order they weigh."""
    if profile is None:
        return 0.0, []
    reasons: list[str] = []
    total = 0.0
    have = set(profile.skills or [])
    wanted = set(shift.skills or [])
    if wanted:
        overlap = have & wanted
        total += WEIGHTS["skills"] * len(overlap) / len(wanted)
        if overlap:
            reasons.append(
                _("Matches your skills: %(skills)s")
                % {"skills": ", ".join(str(SKILLS.get(s, s)) for s in sorted(overlap))}
            )
    else:
        # Open to everyone: half credit, so skilled matches still rank above it.
        total += WEIGHTS["skills"] / 2
        reasons.append(_("No special skills needed"))
    if profile.lat is not None and profile.lon is not None:
        km = haversine_km(profile.lat, profile.lon, shift.lat, shift.lon)
        total += WEIGHTS["distance"] / (1 + km / NEAR_KM)
        reasons.append(_("%(km)s km from you") % {"km": f"{km:.1f}"})
    free, windows = _free_share(profile, shift, time_zone)
    if free > 0:
        total += WEIGHTS["availability"] * free
        day, part = windows[0]
        reasons.append(
            _("You are usually free: %(day)s, %(part)s") % {"day": DAYS[day], "part": PARTS[part]}
        )
    return round(total, 4), reasons


def _free_share(
    profile: VolunteerProfile, shift: Shift, time_zone: str | None
) -> tuple[float, list[tuple[str, str]]]:
    """How much of the shift falls in the volunteer's usual free parts of the week (0..1),
    and those parts, first first."""
    tz = zone(time_zone)
    begin, end = shift.starts_at.astimezone(tz), shift.ends_at.astimezone(tz)
    length = (end - begin).total_seconds()
    if length <= 0:
        end, length = begin, 0.0
    covered, windows = 0.0, []
    day = begin.date()
    while day <= end.date():
        key = DAY_KEYS[day.weekday()]
        for part in (profile.availability or {}).get(key, []):
            hours = PART_HOURS.get(part)
            if hours is None:
                continue
            midnight = datetime.combine(day, time(), tz)
            free_from, free_until = (
                midnight + timedelta(hours=hours[0]),
                midnight + timedelta(hours=hours[1]),
            )
            start, stop = window_overlap(begin, end, free_from, free_until)
            # A shift of no length counts as free where it starts.
            if start < stop or (length == 0 and free_from <= begin < free_until):
                covered += (stop - start).total_seconds()
                windows.append((start, key, part))
        day += timedelta(days=1)
    share = 1.0 if length == 0 and windows else min(covered / length, 1.0) if length else 0.0
    return share, [(key, part) for _start, key, part in sorted(windows)]


def rank(
    profile: VolunteerProfile | None, shifts: list[Shift], zones: dict[int, str]
) -> list[tuple[Shift, float, list[str]]]:
    """Best first; ties go to the sooner shift."""
    scored = [(s, *score(profile, s, zones.get(s.incident_id))) for s in shifts]
    scored.sort(key=lambda item: (-item[1], item[0].starts_at, item[0].id))
    return scored
