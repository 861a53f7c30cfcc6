"""The look-up audit (table ``lookups``): append-only rows, the person kept as a fingerprint and sealed."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.registers import Purpose, SectionStatus
from kit.context import current_request_id
from kit.sealing import Sealer
from services.registers.domain.access import AuditScope
from services.registers.domain.audit import Kind, Lookup, LookupRow, Outcome, Who

_COLUMNS = ("id, made_at, kind, client_id, process, caseworker, requested_by, case_id, unit, purpose, legal_basis, "
            "period, outcomes, answer_sha256")


def _where(row_id: uuid.UUID) -> str:
    return f"lookups/subject/{row_id}"


_INSERT = ("INSERT INTO lookups (id, made_at, kind, client_id, process, caseworker, requested_by, subject_fingerprint, "
           "subject_sealed, case_id, unit, purpose, legal_basis, period, outcomes, answer_sha256, request_id) VALUES ")
_VALUES = ("(:id{n}, :made_at{n}, :kind{n}, :client_id{n}, :process{n}, :caseworker{n}, :requested_by{n}, "
           ":fingerprint{n}, CAST(:sealed{n} AS jsonb), :case_id{n}, :unit{n}, :purpose{n}, :legal_basis{n}, "
           ":period{n}, CAST(:outcomes{n} AS jsonb), :sha{n}, :request_id{n})")


async def add(session: AsyncSession, sealer: Sealer, rows: Sequence[Lookup]) -> None:
    """All the rows in one INSERT (one round trip, where executemany cost a statement's CPU per row)."""
    if not rows:
        return
    params: dict[str, Any] = {}
    for n, row in enumerate(rows):
        params.update({f"{key}{n}": value for key, value in _params(sealer, row).items()})
    await session.execute(text(_INSERT + ", ".join(_VALUES.format(n=n) for n in range(len(rows)))), params)


def _params(sealer: Sealer, row: Lookup) -> dict[str, Any]:
    return {"id": row.id, "made_at": row.made_at, "kind": row.kind.value, "client_id": row.asker.client_id,
            "process": row.asker.process, "caseworker": row.asker.caseworker,
            "requested_by": row.asker.requested_by, "fingerprint": sealer.fingerprint(row.subject),
            "sealed": orjson.dumps(sealer.seal_json(row.subject, _where(row.id))).decode(),
            "case_id": row.case_id, "unit": row.unit, "purpose": row.purpose.value, "legal_basis": row.legal_basis,
            "period": row.period, "outcomes": orjson.dumps([o.as_json() for o in row.outcomes]).decode(),
            "sha": row.answer_sha256, "request_id": current_request_id()}


async def about(session: AsyncSession, sealer: Sealer, personal_number: str, limit: int) -> list[LookupRow]:
    """The look-ups about one person, newest first (found under every key of the ring: rotation loses none)."""
    fingerprints = [sealer.fingerprint(personal_number, kid) for kid in sealer.keyring.kids]
    rows = (await session.execute(text(
        f"SELECT {_COLUMNS} FROM lookups WHERE subject_fingerprint = ANY(CAST(:f AS text[])) "  # noqa: S608 - constant
        "ORDER BY made_at DESC, id LIMIT :limit"), {"f": fingerprints, "limit": limit})).all()
    return [_row(r) for r in rows]


async def search(session: AsyncSession, scope: AuditScope, *, case_id: uuid.UUID | None,
                 since: dt.datetime | None, until: dt.datetime | None, limit: int) -> list[LookupRow]:
    clauses, params = ["TRUE"], {"limit": limit}
    if scope.units is not None:
        clauses.append("unit = ANY(CAST(:units AS text[]))")
        params["units"] = sorted(scope.units)
    if case_id is not None:
        clauses.append("case_id = :case_id")
        params["case_id"] = case_id
    if since is not None and until is not None:
        clauses.append("made_at >= :since AND made_at < :until")
        params.update(since=since, until=until)
    rows = (await session.execute(text(
        f"SELECT {_COLUMNS} FROM lookups WHERE {' AND '.join(clauses)} ORDER BY made_at DESC, id LIMIT :limit"),  # noqa: S608
        params)).all()  # the clauses are constants above; every value is a bound parameter
    return [_row(r) for r in rows]


async def get(session: AsyncSession, row_id: uuid.UUID) -> LookupRow | None:
    row = (await session.execute(text(f"SELECT {_COLUMNS} FROM lookups WHERE id = :id"),  # noqa: S608 - constant
                                 {"id": row_id})).first()
    return _row(row) if row is not None else None


def _row(r: Any) -> LookupRow:
    return LookupRow(
        id=r.id, made_at=r.made_at, kind=Kind(r.kind), client_id=r.client_id, process=r.process,
        requested_by=r.requested_by, who=Who.CASEWORKER if r.caseworker else Who.AUTOMATED_PROCESS,
        case_id=r.case_id, unit=r.unit, purpose=Purpose(r.purpose), legal_basis=r.legal_basis, period=r.period,
        outcomes=tuple(Outcome(o["source"], SectionStatus(o["status"]), o.get("error")) for o in r.outcomes),
        answer_sha256=r.answer_sha256)
