"""Valid bodies for the rows whose refusal depends on the object named (side A's incident)."""

import csv
import io
from datetime import timedelta

from core import clock


def _today(days: int = 0) -> str:
    return (clock.today("Asia/Shanghai") + timedelta(days=days)).isoformat()


def _at(days: int, hours: int = 0) -> str:
    base = clock.utcnow().replace(microsecond=0, minute=0) + timedelta(days=days, hours=hours)
    return base.isoformat()


def grant_b(i):
    return {"organization_id": i["org_official_b"]}


def area(i):
    return {"incident_id": i["incident"], "name": "Oak Township", "lat": 30.5, "lon": 114.2}


def area_form(i):
    return {k: v for k, v in area(i).items() if k != "incident_id"}


def need(i):
    return {
        "incident_id": i["incident"], "title": "Water tanks", "category": "shelter",
        "quantity": 5, "unit": "tents", "priority": "high", "needed_by": _today(7),
        "lat": 30.6, "lon": 114.3,
    }  # fmt: skip


def project(i):
    return {
        "incident_id": i["incident"], "title": "Bridge", "lead_org_id": i["org_official_a"],
        "budget_minor": 1_000, "currency": "CNY", "starts_on": _today(), "due_on": _today(60),
    }  # fmt: skip


def milestone(i):
    return {"title": "Piers", "due_on": _today(20)}


def task(i):
    return {"title": "Survey", "responsible_org_id": i["org_ngo_a"], "due_on": _today(10)}


def report(i):
    return {"incident_id": i["incident"], "title": "Week two", "body_markdown": "More tents."}


def incident_only(i):
    return {"incident_id": i["incident"]}


def spreadsheet(i):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["title", "category", "quantity", "unit", "priority", "needed_by"])
    writer.writerow(["Blankets", "shelter", 30, "blankets", "high", _today(5)])
    return {"file": ("needs.csv", buffer.getvalue().encode(), "text/csv")}


def shift(i):
    return {
        "incident_id": i["incident"], "title": "Cleanup", "starts_at": _at(4),
        "ends_at": _at(4, 3), "lat": 30.6, "lon": 114.3, "capacity": 3, "skills": [],
    }  # fmt: skip


def attendance(i):
    return {
        "volunteer_id": i["user_volunteer1"],
        "checked_in_at": _at(-2, 1),
        "checked_out_at": _at(-2, 3),
    }


def decide(i):
    return {"action": "decline"}


def fulfil(i):
    return {"quantity": 1}


def receive(i):
    return {"reference": "BANK-2"}


def disbursement(i):
    return {
        "incident_id": i["incident"], "amount_minor": 10, "currency": "CNY",
        "description": "Rope",
    }  # fmt: skip


def dont_send(i):
    return {"incident_id": i["incident"], "category": "food", "label": "Cakes", "reason": "Spoil"}


def reverse(i):
    return {"reason": "Entered twice"}


def verify(i):
    return {"note": "Called back"}


def reject(i):
    return {"reason": "Not in the area"}


def merge(i):
    return {"into_id": i["help_request2"]}


def convert(i):
    return {"need_id": i["need"]}


def resolve(i):
    return {"resolution": "Crew sent"}


def survey(i):
    return {
        "incident_id": i["incident"],
        "title": "Water supply",
        "invite": False,
        "questions": [{"kind": "text", "text": "What is missing?"}],
    }


def survey_response(i):
    return {"answers": [{"question_id": i["survey_question"], "value": 4}]}


def shift_form(i):
    local = {"starts_at": _at(4)[:16], "ends_at": _at(4, 3)[:16]}
    return shift(i) | local | {"skills": ""}


def attendance_form(i):
    return {"volunteer_id": i["user_volunteer1"], "action": "no_show"}


def disbursement_form(i):
    return {k: v for k, v in disbursement(i).items() if k != "amount_minor"} | {"amount": "0.10"}


def disclosure(i):
    return {"period_start": _today(-30), "period_end": _today(), "body_markdown": "Spent on tents."}


def payment_instructions(i):
    return {"account_holder": "Agency A", "bank": "County Bank", "account_number": "6222 0001"}


def refund(i):
    return {"amount_minor": 10, "reason": "The donor asked for it back"}


def receipt(i):
    return {
        "incident_id": i["incident"], "amount_minor": 500, "currency": "CNY",
        "reference": "CASH-9",
    }  # fmt: skip
