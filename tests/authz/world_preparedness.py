"""Side A's preparedness objects for the authorization matrix: NGO A's team and warehouse, a
deployment of the team, a plan, an alert, and a mail subscription's confirm and stop tokens."""

from datetime import timedelta

from sqlalchemy import select

from core import clock
from core.models import OutboxMessage
from preparedness.models import AlertSubscription
from preparedness.service import alerts


def _today(days: int = 0) -> str:
    return (clock.today("Asia/Shanghai") + timedelta(days=days)).isoformat()


def team(i):
    return {
        "capabilities": ["collapsed_structure_sar"],
        "members": 12,
        "certifications": [
            {"name": "USAR light", "issuer": "Provincial EMD", "expires_on": _today(300)}
        ],
        "base_lat": 30.62,
        "base_lon": 114.31,
        "response_radius_km": 100,
    }


def zone(i):
    return {"max_teams": 3}


def deployment(i):
    return {
        "incident_id": i["incident"], "team_org_id": i["org_ngo_a"], "area_id": i["area"],
        "capability": "collapsed_structure_sar", "starts_on": _today(), "ends_on": _today(3),
    }  # fmt: skip


def position(i):
    return {"lat": 30.6, "lon": 114.3}


def daily_report(i):
    return {"work_done": "Searched two blocks", "people_helped": 4}


def warehouse(i):
    return {"name": "NGO A depot", "lat": 30.61, "lon": 114.31}


def receive(i):
    return {"kind": "receive", "category": "shelter", "unit": "tents", "quantity": 5}


def plan(i):
    return {
        "name": "Flood plan", "incident_type": "flood",
        "levels": [{"level": 4, "tasks": [{"title": "Open shelters",
                                           "responsible_org_id": i["org_ngo_a"],
                                           "due_offset_days": 1}]}],
    }  # fmt: skip


def activate(i):
    return {"plan_id": i["plan"], "level": 4}


def plan_form(i):
    return {
        "name": "Quake plan", "incident_type": "earthquake", "rows.0.level": "4",
        "rows.0.title": "Open shelters", "rows.0.responsible_org_id": str(i["org_ngo_a"]),
        "rows.0.due_offset_days": "1",
    }  # fmt: skip


def activate_form(i):
    return {"plan_id": str(i["plan"]), "level": "4"}


def alert(i):
    return {
        "event": "Flood", "category": "Met", "urgency": "Immediate", "severity": "Severe",
        "certainty": "Observed", "headline": "River rising", "description": "Leave low ground.",
        "area_ids": [i["area"]],
        "expires": (clock.utcnow() + timedelta(hours=6)).replace(microsecond=0).isoformat(),
    }  # fmt: skip


def subscription(i):
    return {"email": "resident@authz.org", "area_id": i["area"]}


async def build(app, call, ids) -> None:
    """Made through the API by their owners, like the rest of the world."""
    await call("PUT", f"/api/v1/organizations/{ids['org_ngo_a']}/team", "ngo_a", json=team(ids))
    made = await call("POST", "/api/v1/deployments", "official_a", json=deployment(ids))
    ids["deployment"] = made["id"]
    made = await call("POST", "/api/v1/warehouses", "ngo_a", json=warehouse(ids))
    ids["warehouse"] = made["id"]
    await call(
        "POST", f"/api/v1/warehouses/{ids['warehouse']}/movements", "ngo_a", json=receive(ids)
    )
    ids["plan"] = (await call("POST", "/api/v1/plans", "official_a", json=plan(ids)))["id"]
    ids["alert"] = (await call("POST", "/api/v1/alerts", "official_a", json=alert(ids)))["id"]
    await call(
        "POST", "/api/v1/alert-subscriptions", "anonymous", expect=(202,), json=subscription(ids)
    )
    async with app.state.database.session() as session:
        mail = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.kind == "alert.confirm")
        )
        link = mail.body.split("/alerts/subscriptions/", 1)[1].split()[0]
        ids["subscription_token"] = link
        subscribed = await session.scalar(select(AlertSubscription))
        ids["unsubscribe_token"] = alerts.unsubscribe_token(session, subscribed)
