"""'Recommended for you': shifts scored by skill overlap, distance and weekly availability."""

from datetime import datetime

from core.clock import zone
from core.geo import haversine_km
from core.i18n import _
from volunteers.models import DAYS, PARTS, SKILLS, Shift, VolunteerProfile

WEIGHTS = {"skills": 0.5, "distance": 0.3, "availability": 0.2}
DAY_KEYS = list(DAYS)
# Within this many kilometres a shift counts as near; the score halves at this distance.
NEAR_KM = 10.0


def part_of_day(moment: datetime) -> str:
    if moment.hour < 12:
        return "morning"
    return "afternoon" if moment.hour < 18 else "evening"


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
    local = shift.starts_at.astimezone(zone(time_zone))
    day = DAY_KEYS[local.weekday()]
    part = part_of_day(local)
    if part in (profile.availability or {}).get(day, []):
        total += WEIGHTS["availability"]
        reasons.append(
            _("You are usually free: %(day)s, %(part)s") % {"day": DAYS[day], "part": PARTS[part]}
        )
    return round(total, 4), reasons


def rank(
    profile: VolunteerProfile | None, shifts: list[Shift], zones: dict[int, str]
) -> list[tuple[Shift, float, list[str]]]:
    """Best first; ties go to the sooner shift."""
    scored = [(s, *score(profile, s, zones.get(s.incident_id))) for s in shifts]
    scored.sort(key=lambda item: (-item[1], item[0].starts_at, item[0].id))
    return scored
