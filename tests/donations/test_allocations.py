"""Restricted and general funds: which gifts a disbursement draws from, and the property test
over random sequences of gifts, receipts, disbursements and reversals."""

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from core.errors import DomainError
from donations.models import Allocation, Disbursement, Donation, DonationStatus, LedgerEntry
from donations.schemas import DisbursementCreate, DonationCreate, ReceiptCreate
from donations.service import donations, funds, ledger, spending, trail
from recovery.models import Incident, Project
from tests.donations.conftest import TODAY, need_row
from tests.donations.test_money import disburse, pledge, receive

pytestmark = pytest.mark.asyncio


async def gift(client, world, amount, who="donor", **overrides) -> int:
    donation = (await pledge(client, world, who=who, amount_minor=amount, **overrides)).json()
    assert (await receive(client, world, donation["id"])).status_code == 200
    return donation["id"]


async def trail_of(client, world, donation_id, who="donor"):
    response = await client.get(
        f"/api/v1/donations/{donation_id}/trail", headers=world.headers[who]
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_restricted_gift_pays_only_its_project(client, world):
    general = await gift(client, world, 30_000)
    school = await gift(client, world, 50_000, project_id=world.project.id)
    tents = await gift(client, world, 20_000, need_id=world.needs[1].id)
    # A general disbursement may not touch the school's or the tents' money.
    refused = await disburse(client, world, 30_001, project_id=None)
    assert refused.status_code == 409
    assert "300.00" in refused.json()["error"]["message"]
    assert (await disburse(client, world, 10_000, project_id=None)).status_code == 201
    # The school draws its own gift first, then the general fund.
    assert (await disburse(client, world, 60_000)).status_code == 201
    school_trail = await trail_of(client, world, school)
    general_trail = await trail_of(client, world, general)
    tents_trail = await trail_of(client, world, tents)
    assert [a["amount_minor"] for a in school_trail["allocations"]] == [50_000]
    assert school_trail["allocations"][0]["purpose"] == "Rebuild Willow school"
    assert school_trail["unspent_minor"] == 0
    assert [a["amount_minor"] for a in general_trail["allocations"]] == [10_000, 10_000]
    assert [a["purpose"] for a in general_trail["allocations"]] == [
        "General recovery funds",
        "Rebuild Willow school",
    ]
    assert general_trail["unspent_minor"] == 10_000
    assert tents_trail["allocations"] == [] and tents_trail["unspent_minor"] == 20_000


async def test_official_may_refuse_the_general_fund(client, world):
    await gift(client, world, 100_000)
    await gift(client, world, 5_000, project_id=world.project.id)
    refused = await disburse(client, world, 6_000, allow_general_fund=False)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "insufficient_funds"
    assert "amount_minor" in refused.json()["error"]["fields"]
    assert (await disburse(client, world, 5_000, allow_general_fund=False)).status_code == 201


async def test_oldest_gift_is_drawn_first(client, world):
    first = await gift(client, world, 1_000)
    second = await gift(client, world, 1_000, who="donor2")
    assert (await disburse(client, world, 1_500, project_id=None)).status_code == 201
    assert (await trail_of(client, world, first))["unspent_minor"] == 0
    assert (await trail_of(client, world, second, "donor2"))["unspent_minor"] == 500


async def test_reversed_disbursement_gives_the_money_back_to_its_gifts(client, world):
    donation = await gift(client, world, 10_000)
    spent = (await disburse(client, world, 4_000)).json()
    entries = (await client.get("/api/v1/ledger")).json()["items"]
    entry = next(e for e in entries if e["disbursement_id"] == spent["id"])
    allocation = next(e for e in entries if e["kind"] == "allocation")
    # An allocation is not reversed alone; its disbursement is.
    alone = await client.post(
        f"/api/v1/ledger/{allocation['id']}/reverse",
        json={"reason": "wrong"},
        headers=world.headers["official"],
    )
    assert alone.status_code == 409
    # A receipt that paid for something cannot be reversed before the spending is.
    receipt = next(e for e in entries if e["kind"] == "receipt")
    early = await client.post(
        f"/api/v1/ledger/{receipt['id']}/reverse",
        json={"reason": "bounced"},
        headers=world.headers["official"],
    )
    assert early.status_code == 409
    undone = await client.post(
        f"/api/v1/ledger/{entry['id']}/reverse",
        json={"reason": "invoice cancelled"},
        headers=world.headers["official"],
    )
    assert undone.status_code == 201
    after = await trail_of(client, world, donation)
    assert after["allocations"] == [] and after["unspent_minor"] == 10_000
    kinds = [e["kind"] for e in (await client.get("/api/v1/ledger")).json()["items"]]
    assert kinds == ["receipt", "disbursement", "allocation", "reversal", "reversal"]
    assert (await client.get("/api/v1/ledger/verify")).json()["ok"] is True


async def test_trail_is_private_unless_the_gift_is_named(client, world):
    hidden = await gift(client, world, 10_000)
    named = await gift(client, world, 10_000, public_name="Ma Lin")
    await disburse(client, world, 15_000, project_id=None)
    assert (await client.get(f"/api/v1/donations/{hidden}/trail")).status_code == 401
    other = await client.get(f"/api/v1/donations/{hidden}/trail", headers=world.headers["donor2"])
    assert other.status_code == 403
    assert (await trail_of(client, world, hidden, "official"))["unspent_minor"] == 0
    public = await client.get(f"/api/v1/donations/{named}/trail")
    assert public.status_code == 200
    body = public.json()
    assert body["public_name"] == "Ma Lin"
    assert body["received_minor"] == 10_000
    assert [a["amount_minor"] for a in body["allocations"]] == [5_000]
    assert body["unspent_minor"] == 5_000
    page = await client.get(f"/donations/{named}")
    assert page.status_code == 200
    assert "General recovery funds" in page.text and "Ma Lin" in page.text
    assert (await client.get(f"/donations/{hidden}")).status_code in (401, 303, 302)


async def test_public_ledger_names_the_project_and_the_gifts_drawn(client, world):
    await gift(client, world, 10_000, public_name="Ma Lin")
    await gift(client, world, 10_000, who="donor2", project_id=world.project.id)
    assert (await disburse(client, world, 15_000)).status_code == 201
    page = await client.get(f"/ledger?incident_id={world.incident.id}")
    assert page.status_code == 200
    assert "for Rebuild Willow school" in page.text
    assert "project #" not in page.text
    assert "from the gift of Anonymous: ¥100.00" in page.text or "Anonymous" in page.text
    assert "from the gift of Ma Lin" in page.text
    # The donor's real name never reaches the public page.
    assert "Eastern Textiles" not in page.text


# ---- the property test

PURPOSES = ("general", "project", "need", "other_project")
amounts = st.integers(min_value=1, max_value=5_000)
spends = st.integers(min_value=1, max_value=2_000)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("pledge"), st.sampled_from(PURPOSES), amounts),
        st.tuples(st.just("receive"), st.integers(0, 20), st.one_of(st.none(), amounts)),
        st.tuples(st.just("unpledged"), st.sampled_from(PURPOSES), amounts),
        st.tuples(st.just("disburse"), st.sampled_from(PURPOSES), spends, st.booleans()),
        st.tuples(st.just("reverse_disbursement"), st.integers(0, 20)),
        st.tuples(st.just("reverse_receipt"), st.integers(0, 20)),
    ),
    min_size=1,
    max_size=20,
)


async def _place(app, world) -> dict:
    """A fresh incident per example, so examples do not see each other's money."""
    async with app.state.database.transaction() as session:
        incident = Incident(
            name="Property flood", started_on=TODAY, lead_org_id=world.official.organization_id
        )
        session.add(incident)
        await session.flush()
        projects = [
            Project(
                incident_id=incident.id,
                title=title,
                lead_org_id=world.ngo.organization_id,
                currency="CNY",
                starts_on=TODAY,
                due_on=TODAY + timedelta(days=90),
            )
            for title in ("School", "Bridge")
        ]
        need = need_row(incident.id)
        session.add_all([*projects, need])
        await session.flush()
        return {
            "incident_id": incident.id,
            "general": {},
            "project": {"project_id": projects[0].id},
            "other_project": {"project_id": projects[1].id},
            "need": {"need_id": need.id},
        }


def _pick(rows: list, index: int):
    return rows[index % len(rows)] if rows else None


async def _apply(app, world, place, op, state) -> None:
    kind, *args = op
    incident_id = place["incident_id"]
    async with app.state.database.transaction() as session:
        if kind == "pledge":
            purpose, amount = args
            body = DonationCreate(
                incident_id=incident_id, amount_minor=amount, currency="CNY", **place[purpose]
            )
            answer, _replayed = await donations.pledge(session, donor=world.donor, data=body)
            state["pledged"].append(answer["id"])
        elif kind == "receive":
            index, amount = args
            donation_id = _pick(state["pledged"], index)
            if donation_id is None:
                return
            state["pledged"].remove(donation_id)
            await donations.receive(
                session, donation_id=donation_id, reference="R", actor=world.official,
                amount_minor=amount,
            )  # fmt: skip
            state["received"].append(donation_id)
        elif kind == "unpledged":
            purpose, amount = args
            body = ReceiptCreate(
                incident_id=incident_id, amount_minor=amount, currency="CNY", reference="T",
                **place[purpose],
            )  # fmt: skip
            row = await donations.record_receipt(session, data=body, actor=world.official)
            state["received"].append(row.id)
        elif kind == "disburse":
            purpose, amount, allow = args
            body = DisbursementCreate(
                incident_id=incident_id, amount_minor=amount, currency="CNY",
                description="spent", allow_general_fund=allow, **place[purpose],
            )  # fmt: skip
            available = await _expected_available(session, incident_id, body)
            try:
                row = await spending.disburse(session, data=body, actor=world.official)
            except DomainError as refusal:
                assert refusal.code == "insufficient_funds" and amount > available
                raise
            assert amount <= available
            state["disbursed"].append(row.id)
        else:
            pool = state["disbursed"] if kind == "reverse_disbursement" else state["received"]
            target = _pick(pool, args[0])
            if target is None:
                return
            column = (
                LedgerEntry.disbursement_id
                if kind == "reverse_disbursement"
                else LedgerEntry.donation_id
            )
            entry = await session.scalar(
                select(LedgerEntry).where(
                    column == target,
                    LedgerEntry.kind.in_(["disbursement", "receipt"]),
                )
            )
            await spending.reverse_entry(
                session, entry_id=entry.id, reason="correction", actor=world.official
            )


async def _expected_available(session, incident_id: int, body: DisbursementCreate) -> int:
    """What the rules allow this disbursement to draw, worked out from the rows in Python."""
    wanted = _purpose(body)
    total = 0
    for donation in await session.scalars(
        select(Donation).where(
            Donation.incident_id == incident_id, Donation.status == DonationStatus.received
        )
    ):
        purpose = _purpose(donation)
        general = purpose == (None, None)
        if purpose == wanted or (general and body.allow_general_fund):
            total += donation.unspent_minor
    return total


def _purpose(row) -> tuple:
    return (row.project_id, row.need_id if row.project_id is None else None)


async def _check(app, place) -> None:
    incident_id = place["incident_id"]
    async with app.state.database.session(write=False) as session:
        gifts = {
            d.id: d
            for d in await session.scalars(
                select(Donation).where(Donation.incident_id == incident_id)
            )
        }
        spent = {
            d.id: d
            for d in await session.scalars(
                select(Disbursement).where(Disbursement.incident_id == incident_id)
            )
        }
        live = list(
            await session.scalars(
                select(Allocation).where(
                    Allocation.incident_id == incident_id, Allocation.reversed.is_(False)
                )
            )
        )
        for disbursement in spent.values():
            drawn = sum(a.amount_minor for a in live if a.disbursement_id == disbursement.id)
            assert drawn == (0 if disbursement.reversed else disbursement.amount_minor)
        for donation in gifts.values():
            drawn = sum(a.amount_minor for a in live if a.donation_id == donation.id)
            assert drawn == donation.allocated_minor
            received = donation.received_minor or 0
            if donation.status != DonationStatus.received:
                assert drawn == 0
            assert drawn <= received
        for allocation in live:
            gift_purpose = _purpose(gifts[allocation.donation_id])
            spending_purpose = _purpose(spent[allocation.disbursement_id])
            assert gift_purpose in ((None, None), spending_purpose)
            if gift_purpose == (None, None) and spending_purpose != (None, None):
                assert spent[allocation.disbursement_id].allow_general_fund
        figures = (await funds.incident_funds(session, incident_id))["funds"]
        received_rows = [d for d in gifts.values() if d.status == DonationStatus.received]
        assert figures["received_minor"] == sum(d.received_minor for d in received_rows)
        assert figures["disbursed_minor"] == sum(
            d.amount_minor for d in spent.values() if not d.reversed
        )
        assert figures["balance_minor"] == sum(d.unspent_minor for d in received_rows)
        for donation in gifts.values():
            shown = await trail.gift_trail(session, donation)
            paid = sum(a["amount_minor"] for a in shown["allocations"])
            assert paid == donation.allocated_minor
            assert shown["unspent_minor"] + paid == shown["received_minor"] or (
                donation.status != DonationStatus.received
            )
        assert (await ledger.verify(session, incident_id))["ok"]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations)
@example(ops=[("unpledged", "other_project", 1_000), ("disburse", "project", 500, False)])
@example(ops=[("unpledged", "need", 1_000), ("disburse", "general", 500, True)])
@example(ops=[("unpledged", "general", 900), ("disburse", "need", 500, True)] * 2)
async def test_allocations_hold_over_random_money_sequences(app, world, ops):
    place = await _place(app, world)
    state: dict[str, list[int]] = {"pledged": [], "received": [], "disbursed": []}
    for op in ops:
        try:
            await _apply(app, world, place, op, state)
        except DomainError as refusal:
            # Refusals are for money that is not there or already undone, nothing else.
            assert refusal.code in ("insufficient_funds", "invalid_state"), refusal
    await _check(app, place)
