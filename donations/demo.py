"""Demo data for donations: offers, a valued gift in kind, an appeal, money, one matching run."""

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.demo import DemoContext, Text
from donations.schemas import (
    DisbursementCreate,
    DonationCreate,
    DontSendCreate,
    FundraisingCreate,
    OfferCreate,
)
from donations.service import (
    donations,
    fundraising,
    giving,
    matches,
    matching,
    offers,
    proposals,
    spending,
)

DONT_SEND = (
    Text("Used clothing", "旧衣物"),
    Text(
        "Warehouses are full of donated clothes; please give money instead.",
        "仓库里捐赠的衣物已经堆满，请改为捐款。",
    ),
)
OFFER_TEXT = Text("Capacity offered by our teams in the county", "我们在县内的队伍可提供的能力")
COMPANY_OFFER = (
    Text("Family tents from our warehouse", "本公司仓库的家庭帐篷"),
    Text("tents", "顶"),
)
APPEAL = (
    Text("Warm homes before winter", "入冬前温暖安家"),
    Text(
        "An appeal for the families whose homes the flood damaged.",
        "为房屋被洪水损毁的家庭募捐。",
    ),
)
# The names the gifts are shown under (None: anonymous), by donor account.
PUBLIC_NAMES = {
    "donor": Text("Ma Lin", "马琳"),
    "company_donor": Text("Eastern Textiles Ltd.", "东方纺织有限公司"),
}
DISBURSEMENT = (
    Text("First instalment: materials for the rebuild", "第一期拨款：重建材料"),
    Text("Riverside Building Materials Co.", "长湖县建材有限公司"),
)


async def load(session: AsyncSession, ctx: DemoContext) -> None:
    incident = ctx.data.get("incident")
    if incident is None:  # the recovery demo did not run: nothing to give to
        return
    needs = list(ctx.data.get("needs") or [])
    projects = list(ctx.data.get("projects") or [])
    official, ngo, ngo2 = ctx.users["official"], ctx.users["ngo"], ctx.users["ngo2"]
    donor, company = ctx.users["donor"], ctx.users["company_donor"]
    today = clock.today(incident.time_zone)
    lat, lon = (needs[0].lat, needs[0].lon) if needs else (30.0, 120.0)

    await giving.add_dont_send(
        session,
        actor=official,
        data=DontSendCreate(
            incident_id=incident.id,
            category="livelihoods",
            label=ctx.pick(DONT_SEND[0]),
            reason=ctx.pick(DONT_SEND[1]),
        ),
    )
    # Offer what the needs ask for, in their own units, so the run has something to match.
    kinds = {(n.category, n.unit) for n in needs} or {("food", "meals")}
    owners = [ngo, ngo2]
    unit_keys = dict(ctx.data.get("unit_keys") or {})
    ordered = sorted(kinds, key=lambda kind: (kind[0], unit_keys.get(kind, kind[1])))
    for index, (category, unit) in enumerate(ordered):
        quantity = max(
            1, sum(n.quantity for n in needs if (n.category, n.unit) == (category, unit))
        )
        await offers.create_offer(
            session,
            owner=owners[index % 2],
            data=OfferCreate(
                incident_id=incident.id,
                category=category,
                quantity=max(1, quantity * 2 // 3),
                unit=unit,
                lat=lat,
                lon=lon,
                radius_km=60,
                available_from=today,
                available_until=today + timedelta(days=60),
                description=ctx.pick(OFFER_TEXT),
            ),
        )
    await offers.create_offer(
        session,
        owner=company,
        data=OfferCreate(
            incident_id=incident.id,
            category="shelter",
            quantity=40,
            unit=ctx.pick(COMPANY_OFFER[1]),
            lat=lat,
            lon=lon,
            radius_km=200,
            available_from=today,
            available_until=today + timedelta(days=30),
            description=ctx.pick(COMPANY_OFFER[0]),
            # In kind: shown at this estimate apart from cash, never in a balance.
            value_minor=3_200_000,
            value_currency=ctx.settings.currency,
        ),
    )
    appeal = await fundraising.create_activity(
        session,
        actor=official,
        data=FundraisingCreate(
            incident_id=incident.id,
            title=ctx.pick(APPEAL[0]),
            description=ctx.pick(APPEAL[1]),
            starts_on=today - timedelta(days=3),
            ends_on=today + timedelta(days=180),
            goal_minor=100_000_000,
            currency=ctx.settings.currency,
        ),
    )

    project = projects[0] if projects else None
    gifts = [
        (donor, 200_000, ctx.pick(PUBLIC_NAMES["donor"]), None),
        (donor, 50_000, None, None),
        (company, 5_000_000, ctx.pick(PUBLIC_NAMES["company_donor"]), project),
        (company, 1_000_000, None, project),
    ]
    received = []
    for index, (who, amount, name, target) in enumerate(gifts):
        answer, _replayed = await donations.pledge(
            session,
            donor=who,
            data=DonationCreate(
                incident_id=incident.id,
                project_id=target.id if target else None,
                amount_minor=amount,
                currency=ctx.settings.currency,
                public_name=name,
                # The individual gifts came in answer to the appeal.
                fundraising_id=appeal.id if who is donor else None,
            ),
            idempotency_key=f"demo-{index}",
        )
        received.append(answer["id"])
    for index, donation_id in enumerate(received[:3]):
        await donations.receive(
            session, donation_id=donation_id, reference=f"BANK-2026-{index + 1:04d}", actor=official
        )
    if project is not None:
        await spending.disburse(
            session,
            actor=official,
            data=DisbursementCreate(
                incident_id=incident.id,
                project_id=project.id,
                amount_minor=1_500_000,
                currency=ctx.settings.currency,
                description=ctx.pick(DISBURSEMENT[0]),
                receipt_reference="INV-2026-0001",
                payee_name=ctx.pick(DISBURSEMENT[1]),
                payee_kind="organization",
            ),
        )

    run = await matching.run(session, incident_id=incident.id, actor=official)
    _run, found, _unmet = await proposals.run_details(session, run.id)
    # One accepted match per offering party first, so each demo account has one to fulfil.
    chosen, owners_seen = [], set()
    for proposal in found:
        owner_id = (await offers.get_offer(session, proposal.offer_id)).owner_id
        if owner_id not in owners_seen:
            owners_seen.add(owner_id)
            chosen.append(proposal)
    chosen += [p for p in found if p not in chosen][: max(0, 3 - len(chosen))]
    for proposal in chosen:
        await matches.accept(session, match_id=proposal.id, actor=official)
    if chosen:
        first = chosen[0]
        offer = await offers.get_offer(session, first.offer_id)
        fulfiller = {u.id: u for u in (ngo, ngo2, company)}[offer.owner_id]
        await matches.fulfil(
            session, match_id=first.id, quantity=max(1, first.quantity // 2), actor=fulfiller
        )
