"""The public ledger: append-only, hash-chained entries per incident, and their verification.

Each entry's `hash` is SHA-256 over the canonical JSON of its FIELDS plus `prev_hash` (sorted
keys, no whitespace, UTF-8, amounts as integers, `recorded_at` as UTC ISO 8601 with "Z").
The first entry of an incident's chain has `prev_hash` = 64 zeros. There is no update or
delete path: a correction is a new `reversal` entry (see service.spending.reverse_entry).
"""

import csv
import hashlib
import io
import json
import textwrap
from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import utcnow
from core.drills import not_drill
from core.events import publish
from core.i18n import _
from donations.errors import LedgerEntryNotFound
from donations.models import GENESIS_HASH, LedgerEntry, LedgerHead, ledger_time

FIELDS = (
    "seq",
    "incident_id",
    "kind",
    "amount_minor",
    "currency",
    "project_id",
    "need_id",
    "donation_id",
    "disbursement_id",
    "reverses_seq",
    "counterparty",
    "reference",
    "description",
    "recorded_at",
)
EXPORT_FIELDS = ("id", *FIELDS, "prev_hash", "hash")

# Shown on the ledger page; tests run it against a real download, so it cannot drift.
VERIFY_SNIPPET = f"""import hashlib, json

FIELDS = {list(FIELDS)!r}
entries = json.load(open("ledger.json", encoding="utf-8"))["entries"]
prev = "0" * 64
for e in entries:
    body = {{k: e[k] for k in FIELDS}}
    body["prev_hash"] = prev
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert e["prev_hash"] == prev, f"entry {{e['seq']}}: prev_hash does not follow the chain"
    assert e["hash"] == digest, f"entry {{e['seq']}}: contents do not match its hash"
    prev = e["hash"]
print("ledger verified:", len(entries), "entries, head", prev)
"""


def entry_fields(entry: LedgerEntry) -> dict[str, Any]:
    data = {name: getattr(entry, name) for name in FIELDS}
    data["recorded_at"] = ledger_time(entry.recorded_at)
    return data


def compute_hash(fields: dict[str, Any], prev_hash: str) -> str:
    body = {name: fields[name] for name in FIELDS} | {"prev_hash": prev_hash}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def public_entry(entry: LedgerEntry) -> dict[str, Any]:
    return {"id": entry.id, **entry_fields(entry), "prev_hash": entry.prev_hash, "hash": entry.hash}


async def _ensure_head(session: AsyncSession, incident_id: int) -> None:
    dialect = session.bind.dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    await session.execute(
        insert(LedgerHead)
        .values(incident_id=incident_id, seq=0, hash=GENESIS_HASH)
        .on_conflict_do_nothing(index_elements=["incident_id"])
    )


async def append(
    session: AsyncSession,
    *,
    incident_id: int,
    kind: str,
    amount_minor: int,
    currency: str,
    counterparty: str,
    reference: str = "",
    description: str = "",
    project_id: int | None = None,
    need_id: int | None = None,
    donation_id: int | None = None,
    disbursement_id: int | None = None,
    reverses_seq: int | None = None,
) -> LedgerEntry:
    """Add the next entry of the incident's chain.

    Bumping the head row first takes its row lock (PostgreSQL) or runs inside BEGIN IMMEDIATE
    (SQLite), so a concurrent append waits and then chains onto this one; the unique
    (incident_id, seq) and (incident_id, prev_hash) constraints are the backstop.
    """
    await _ensure_head(session, incident_id)
    seq, prev_hash = (
        await session.execute(
            update(LedgerHead)
            .where(LedgerHead.incident_id == incident_id)
            .values(seq=LedgerHead.seq + 1)
            .returning(LedgerHead.seq, LedgerHead.hash)
            .execution_options(synchronize_session=False)
        )
    ).one()
    entry = LedgerEntry(
        incident_id=incident_id,
        seq=seq,
        kind=kind,
        amount_minor=amount_minor,
        currency=currency,
        project_id=project_id,
        need_id=need_id,
        donation_id=donation_id,
        disbursement_id=disbursement_id,
        reverses_seq=reverses_seq,
        counterparty=counterparty,
        reference=reference,
        description=description,
        recorded_at=utcnow(),
        prev_hash=prev_hash,
        hash="",
    )
    entry.hash = compute_hash(entry_fields(entry), prev_hash)
    session.add(entry)
    await session.flush()
    await session.execute(
        update(LedgerHead)
        .where(LedgerHead.incident_id == incident_id)
        .values(hash=entry.hash)
        .execution_options(synchronize_session=False)
    )
    # Money received or spent: the public funds figures move.
    publish(session, incident_id, "donation")
    return entry


async def get_entry(session: AsyncSession, entry_id: int) -> LedgerEntry:
    entry = await session.get(LedgerEntry, entry_id)
    if entry is None:
        raise LedgerEntryNotFound(_("No such ledger entry."))
    return entry


async def entries(
    session: AsyncSession,
    *,
    incident_id: int | None = None,
    limit: int | None = None,
    offset: int = 0,
    newest_first: bool = False,
) -> tuple[list[LedgerEntry], int]:
    query = select(LedgerEntry)
    count = select(func.count()).select_from(LedgerEntry)
    if incident_id is not None:
        query = query.where(LedgerEntry.incident_id == incident_id)
        count = count.where(LedgerEntry.incident_id == incident_id)
    else:
        # The platform-wide ledger leaves drills out (a drill's own ledger shows its entries).
        query = query.where(not_drill(LedgerEntry.incident_id))
        count = count.where(not_drill(LedgerEntry.incident_id))
    if newest_first:
        query = query.order_by(LedgerEntry.incident_id, LedgerEntry.seq.desc())
    else:
        query = query.order_by(LedgerEntry.incident_id, LedgerEntry.seq)
    if limit is not None:
        query = query.limit(limit).offset(offset)
    rows = list(await session.scalars(query))
    return rows, (await session.execute(count)).scalar_one()


def check_chain(incident_id: int, rows: Sequence[LedgerEntry], head_seq: int | None) -> dict:
    """Recompute one chain; every entry that does not fit is reported with why."""
    breaks: list[dict] = []
    prev = GENESIS_HASH
    expected_seq = 1
    for entry in rows:
        if entry.seq != expected_seq:
            breaks.append(
                _break(
                    incident_id,
                    entry,
                    f"entries {expected_seq}..{entry.seq - 1} are missing before this one",
                )
            )
        if entry.prev_hash != prev:
            breaks.append(
                _break(incident_id, entry, "prev_hash does not match the previous entry's hash")
            )
        if compute_hash(entry_fields(entry), entry.prev_hash) != entry.hash:
            breaks.append(_break(incident_id, entry, "the entry's contents do not match its hash"))
        prev = entry.hash
        expected_seq = entry.seq + 1
    if head_seq is not None and head_seq >= expected_seq:
        breaks.append(
            {
                "incident_id": incident_id,
                "seq": expected_seq,
                "entry_id": None,
                "reason": f"entries {expected_seq}..{head_seq} are missing at the end of the chain",
            }
        )
    return {
        "incident_id": incident_id,
        "entries": len(rows),
        "ok": not breaks,
        "head_hash": prev,
        "breaks": breaks,
    }


def _break(incident_id: int, entry: LedgerEntry, reason: str) -> dict:
    return {"incident_id": incident_id, "seq": entry.seq, "entry_id": entry.id, "reason": reason}


async def verify(session: AsyncSession, incident_id: int | None = None) -> dict:
    """Recompute every chain (or one incident's) from the stored rows."""
    rows, _total = await entries(session, incident_id=incident_id)
    heads_query = select(LedgerHead.incident_id, LedgerHead.seq)
    if incident_id is not None:
        heads_query = heads_query.where(LedgerHead.incident_id == incident_id)
    else:
        heads_query = heads_query.where(not_drill(LedgerHead.incident_id))
    heads = dict((await session.execute(heads_query)).all())
    by_incident: dict[int, list[LedgerEntry]] = {key: [] for key in heads}
    for row in rows:
        by_incident.setdefault(row.incident_id, []).append(row)
    chains = [check_chain(key, by_incident[key], heads.get(key)) for key in sorted(by_incident)]
    breaks = [b for chain in chains for b in chain.pop("breaks")]
    return {
        "ok": not breaks,
        "entries": len(rows),
        "chains": chains,
        "first_break": breaks[0] if breaks else None,
        "breaks": breaks,
    }


def to_json(rows: Sequence[LedgerEntry], incident_id: int) -> str:
    payload = {
        "incident_id": incident_id,
        "algorithm": "sha256",
        "genesis_prev_hash": GENESIS_HASH,
        "fields": list(FIELDS),
        "entries": [public_entry(row) for row in rows],
    }
    return json.dumps(payload, ensure_ascii=False, indent=1)


def to_csv(rows: Sequence[LedgerEntry]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(EXPORT_FIELDS)
    for row in rows:
        data = public_entry(row)
        writer.writerow([_cell(data[name]) for name in EXPORT_FIELDS])
    return buffer.getvalue()


# Entries per query batch and per chunk of a streamed download.
EXPORT_BATCH = 500


async def stream_entries(
    session: AsyncSession, incident_id: int, *, batch: int | None = None
) -> AsyncIterator[Sequence[LedgerEntry]]:
    """One incident's chain in order, a batch at a time from a server-side cursor."""
    batch = batch or EXPORT_BATCH
    query = (
        select(LedgerEntry)
        # A download is open data: a drill's chain is never in it.
        .where(LedgerEntry.incident_id == incident_id, not_drill(LedgerEntry.incident_id))
        .order_by(LedgerEntry.incident_id, LedgerEntry.seq)
        .execution_options(yield_per=batch)
    )
    result = await session.stream_scalars(query)
    async for page in result.partitions(batch):
        yield page


async def json_chunks(session: AsyncSession, incident_id: int) -> AsyncIterator[bytes]:
    """The bytes of `to_json`, streamed: no list of the whole chain is held."""
    empty = to_json((), incident_id)
    # `to_json` ends with the entries list, empty here: write it open and fill it as we go.
    opening, closing = empty[: -len("]\n}")], "\n ]\n}"
    yield opening.encode("utf-8")
    separator = "\n"
    async for page in stream_entries(session, incident_id):
        parts = []
        for row in page:
            text = json.dumps(public_entry(row), ensure_ascii=False, indent=1)
            parts.append(separator + textwrap.indent(text, "  "))
            separator = ",\n"
        yield "".join(parts).encode("utf-8")
    yield (closing if separator == ",\n" else "]\n}").encode("utf-8")


async def csv_chunks(session: AsyncSession, incident_id: int) -> AsyncIterator[bytes]:
    """The bytes of `to_csv`, streamed a batch at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(EXPORT_FIELDS)
    async for page in stream_entries(session, incident_id):
        for row in page:
            data = public_entry(row)
            writer.writerow([_cell(data[name]) for name in EXPORT_FIELDS])
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def _cell(value: Any) -> Any:
    # Spreadsheets run cells starting with these as formulas; the JSON download stays exact.
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
