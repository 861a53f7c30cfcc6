"""The case row: its content, state and version, its history, and the reads that list cases."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from kit.db import driver_connection
from services.applications.domain.access import CaseAccess
from services.applications.domain.content import DraftContent
from services.applications.domain.lifecycle import CaseState, CaseStatus, Outcome
from services.applications.domain.signing import RequiredSignatures, Signature, required_signers
from services.applications.store.signatures import signatures_from
from services.applications.store.sql import to_json


@dataclass
class CaseRecord:
    id: uuid.UUID
    household_id: uuid.UUID
    period: str
    kind: str
    unit: str
    status: CaseStatus
    outcome: Outcome | None
    source: str
    content: dict[str, Any] = field(repr=False)
    version: int
    applicant_pnr: str = field(repr=False)
    co_applicant_pnr: str | None = field(repr=False)
    co_applicant_status: str | None  # invited, joined, declined (None: no co-applicant)
    protected_identity: bool
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime
    submitted_at: dt.datetime | None
    decided_at: dt.datetime | None
    info_due: dt.date | None
    calculation: dict[str, Any] | None = field(repr=False)
    calculated_at: dt.datetime | None
    assigned: dict[str, str] = field(default_factory=dict)  # role -> sub
    trust_check: bool = False
    review_requested_at: dt.datetime | None = None  # the client asked a person to review an automated decision
    # The case's signatures, when they were read with it (get_case(signatures=True)); None: not read.
    signatures: list[Signature] | None = field(default=None, repr=False)

    @property
    def state(self) -> CaseState:
        return CaseState(self.status, self.outcome)

    @property
    def etag(self) -> str:
        return f'"{self.version}"'

    def draft(self) -> DraftContent:
        """The content as the model (validated once per loaded content: a submit reads it twice)."""
        cached = self.__dict__.get("_draft")
        if cached is None or cached[0] is not self.content:
            cached = (self.content, DraftContent.model_validate(self.content))
            self.__dict__["_draft"] = cached
        return cached[1]

    def required_signers(self) -> RequiredSignatures:
        """Who must sign, and the hash of the content as it is (hashed once per loaded content: a submit checks the
        signatures and then shows them)."""
        draft = self.draft()
        cached = self.__dict__.get("_required")
        if cached is None or cached[0] is not draft:
            cached = (draft, required_signers(draft))
            self.__dict__["_required"] = cached
        return cached[1]

    def access(self) -> CaseAccess:
        return CaseAccess(unit=self.unit, applicant_personal_number=self.applicant_pnr,
                          co_applicant_personal_number=self.co_applicant_pnr,
                          co_applicant_status=self.co_applicant_status,
                          assigned={role: frozenset({sub}) for role, sub in self.assigned.items()},
                          protected_identity=self.protected_identity)

    @property
    def co_applicant_joined(self) -> bool:
        return self.co_applicant_pnr is not None and self.co_applicant_status == "joined"

    @property
    def recipients(self) -> list[str]:
        """The parties: the applicant, and the co-applicant once they have joined (an invitee is not told)."""
        return [self.applicant_pnr, *([self.co_applicant_pnr] if self.co_applicant_joined else [])]


CASE_SELECT = (
    "SELECT c.*, "
    "COALESCE((SELECT jsonb_object_agg(a.role, a.sub) FROM assignments a WHERE a.case_id = c.id), '{}'::jsonb) "
    "AS assigned_map, EXISTS (SELECT 1 FROM trust_checks t WHERE t.case_id = c.id) AS flagged FROM cases c ")


def case_from_row(row: Any) -> CaseRecord:
    m = getattr(row, "_mapping", row)  # a SQLAlchemy row, or an asyncpg record
    return CaseRecord(
        id=m["id"], household_id=m["household_id"], period=m["period"], kind=m["kind"], unit=m["unit"],
        status=CaseStatus(m["status"]), outcome=Outcome(m["outcome"]) if m["outcome"] else None,
        source=m["source"], content=m["content"], version=m["version"], applicant_pnr=m["applicant_pnr"],
        co_applicant_pnr=m["co_applicant_pnr"], co_applicant_status=m["co_applicant_status"],
        protected_identity=m["protected_identity"],
        created_by=m["created_by"], created_at=m["created_at"], updated_at=m["updated_at"],
        submitted_at=m["submitted_at"], decided_at=m["decided_at"], info_due=m["info_due"],
        calculation=m["calculation"], calculated_at=m["calculated_at"], assigned=dict(m["assigned_map"] or {}),
        trust_check=bool(m["flagged"]), review_requested_at=m.get("review_requested_at"),
        signatures=signatures_from(m["signature_rows"]) if "signature_rows" in m else None,
    )


async def get_case(session: AsyncSession, case_id: uuid.UUID, *, lock: bool = False,
                   signatures: bool = False) -> CaseRecord | None:
    """``signatures``: read the case's signatures in the same statement (the submit needs them: one round trip
    fewer on the busiest write)."""
    # FOR UPDATE OF c: the case row is locked (until commit), its assignments are only read. asyncpg directly
    # (kit.db.driver_connection): every request on a case starts here.
    row = await (await driver_connection(session)).fetchrow(_GET_QUERIES[lock, signatures], case_id)
    return None if row is None else case_from_row(row)


_GET = CASE_SELECT + "WHERE c.id = $1 AND c.anonymised_at IS NULL"  # an anonymised case is gone
_GET_LOCKED = _GET + " FOR UPDATE OF c"
# As jsonb (decoded by the codec every connection has), not as anonymous records: asyncpg looks the types of those
# up on every new connection, three more statements.
_SIGNATURE_ROWS = ("(SELECT jsonb_agg(jsonb_build_array(s.role, s.personal_number, s.content_hash, s.signed_at, "
                   "s.method) ORDER BY s.signed_at, s.role) FROM signatures s WHERE s.case_id = c.id) "
                   "AS signature_rows, ")
_GET_SIGNED = _GET.replace("SELECT c.*, ", "SELECT c.*, " + _SIGNATURE_ROWS, 1)
_GET_QUERIES = {(False, False): _GET, (True, False): _GET_LOCKED,  # (lock, signatures)
                (False, True): _GET_SIGNED, (True, True): _GET_SIGNED + " FOR UPDATE OF c"}


async def insert_case(session: AsyncSession, *, household_id: uuid.UUID, content: DraftContent, unit: str,
                      source: str, applicant_pnr: str, co_applicant_pnr: str | None,
                      co_applicant_status: str | None, protected_identity: bool, created_by: str,
                      now: dt.datetime) -> uuid.UUID | None:
    """The new case's id, or None when the household already has a live application for the month."""
    case_id = uuid.uuid4()
    row = (await session.execute(text(
        "INSERT INTO cases (id, household_id, period, kind, unit, status, source, content, version, applicant_pnr, "
        "co_applicant_pnr, co_applicant_status, protected_identity, created_by, created_at, updated_at) VALUES (:id, "
        ":h, :period, :kind, :unit, 'draft', :source, CAST(:content AS jsonb), 1, :a, :co, :cos, :p, :by, :now, :now) "
        "ON CONFLICT (household_id, period) WHERE status <> 'withdrawn' DO NOTHING RETURNING id"),
        {"id": case_id, "h": household_id, "period": content.period, "kind": content.kind.value, "unit": unit,
         "source": source, "content": to_json(content.model_dump(mode="json", exclude_none=True)),
         "a": applicant_pnr, "co": co_applicant_pnr, "cos": co_applicant_status, "p": protected_identity,
         "by": created_by, "now": now})).first()
    return None if row is None else case_id


async def case_for_month(session: AsyncSession, household_id: uuid.UUID, period: str) -> uuid.UUID | None:
    return (await session.execute(text(
        "SELECT id FROM cases WHERE household_id = :h AND period = :p AND status <> 'withdrawn'"),
        {"h": household_id, "p": period})).scalar_one_or_none()


async def update_content(session: AsyncSession, case_id: uuid.UUID, content: DraftContent, *, expected_version: int,
                         co_applicant_pnr: str | None, co_applicant_status: str | None,
                         now: dt.datetime) -> int | None:
    """The new version, or None when someone else saved first (the optimistic check, in the WHERE)."""
    return (await session.execute(text(
        "UPDATE cases SET content = CAST(:content AS jsonb), version = version + 1, co_applicant_pnr = :co, "
        "co_applicant_status = :cos, updated_at = :now WHERE id = :id AND version = :v RETURNING version"),
        {"content": to_json(content.model_dump(mode="json", exclude_none=True)), "co": co_applicant_pnr,
         "cos": co_applicant_status, "now": now, "id": case_id, "v": expected_version})).scalar_one_or_none()


async def set_co_applicant_status(session: AsyncSession, case_id: uuid.UUID, status: str, now: dt.datetime) -> None:
    # The version (the ETag of the content) stays: the answer changes no one's edit, like a signature.
    await session.execute(text(
        "UPDATE cases SET co_applicant_status = :s, updated_at = :now WHERE id = :id"),
        {"s": status, "now": now, "id": case_id})


async def set_state(session: AsyncSession, case: CaseRecord, state: CaseState, *, actor: str, actor_role: str,
                    event: str, now: dt.datetime, reason: str | None = None,
                    details: dict[str, Any] | None = None, **columns: Any) -> None:
    """Change the status (and given columns) and write the history row: who, when, from, to, why."""
    # One round trip for both (the case row is locked until commit, so fewer trips hold it for less time).
    args: list[Any] = [case.id, state.status.value, state.outcome.value if state.outcome else None, now, actor,
                       actor_role, event, case.status.value, reason, to_json(details) if details is not None else None]
    sets = ["status = $2", "outcome = $3", "version = version + 1", "updated_at = $4"]
    for name, value in columns.items():
        args.append(value)
        sets.append(f"{name} = ${len(args)}")
    await (await driver_connection(session)).execute(
        f"WITH changed AS (UPDATE cases SET {', '.join(sets)} WHERE id = $1 RETURNING id) "  # noqa: S608 - names are ours
        "INSERT INTO case_history (case_id, at, actor, actor_role, event, from_status, to_status, reason, details) "
        "SELECT id, $4::timestamptz, $5::text, $6::text, $7::text, $8::text, $2::text, $9::text, $10::jsonb "
        "FROM changed", *args)


async def add_history(session: AsyncSession, case_id: uuid.UUID, *, actor: str, actor_role: str, event: str,
                      from_status: str | None, to_status: str, now: dt.datetime, reason: str | None = None,
                      details: dict[str, Any] | None = None) -> None:
    await session.execute(text(
        "INSERT INTO case_history (case_id, at, actor, actor_role, event, from_status, to_status, reason, details) "
        "VALUES (:c, :at, :actor, :role, :event, :f, :t, :reason, CAST(:details AS jsonb))"),
        {"c": case_id, "at": now, "actor": actor, "role": actor_role, "event": event, "f": from_status,
         "t": to_status, "reason": reason, "details": to_json(details) if details is not None else None})


async def history(session: AsyncSession, case_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = (await session.execute(text(
        "SELECT at, actor, actor_role, event, from_status, to_status, reason, details->'representation' AS acting "
        "FROM case_history WHERE case_id = :c ORDER BY id"), {"c": case_id})).mappings().all()
    return [dict(r) for r in rows]


async def set_calculation(session: AsyncSession, case_id: uuid.UUID, result: dict[str, Any],
                          now: dt.datetime) -> None:
    await session.execute(text(
        "UPDATE cases SET calculation = CAST(:r AS jsonb), calculated_at = :now WHERE id = :id"),
        {"r": to_json(result), "now": now, "id": case_id})


async def cases_of_person(session: AsyncSession, personal_number: str) -> list[CaseRecord]:
    rows = (await session.execute(text(
        CASE_SELECT + "WHERE c.applicant_pnr = :p OR (c.co_applicant_pnr = :p AND c.co_applicant_status = 'joined') "
        "ORDER BY c.period DESC, c.created_at DESC"),
        {"p": personal_number})).all()
    return [case_from_row(r) for r in rows]


async def invitations_of(session: AsyncSession, personal_number: str) -> list[CaseRecord]:
    """Drafts that name the person as co-applicant and wait for their answer."""
    rows = (await session.execute(text(
        CASE_SELECT + "WHERE c.co_applicant_pnr = :p AND c.co_applicant_status = 'invited' AND c.status = 'draft' "
        "ORDER BY c.period DESC, c.created_at DESC"), {"p": personal_number})).all()
    return [case_from_row(r) for r in rows]


async def latest_case_of_household(session: AsyncSession, household_id: uuid.UUID,
                                   before_period: str) -> CaseRecord | None:
    """The household's latest application before the month that got past the draft (the prefill source)."""
    row = (await session.execute(text(
        CASE_SELECT + "WHERE c.household_id = :h AND c.period < :p AND c.status NOT IN ('draft', 'withdrawn') "
        "AND c.anonymised_at IS NULL ORDER BY c.period DESC LIMIT 1"),  # an anonymised case has nothing to prefill
        {"h": household_id, "p": before_period})).first()
    return None if row is None else case_from_row(row)


async def support_months(session: AsyncSession, household_id: uuid.UUID, before_period: str) -> list[str]:
    """Months the household got support (approved or partly), for jobbstimulans."""
    rows = (await session.execute(text(
        "SELECT period FROM cases WHERE household_id = :h AND period < :p AND status IN ('decided', 'paid') "
        "AND outcome IN ('approved', 'partly_approved') ORDER BY period"), {"h": household_id, "p": before_period}))
    return [r.period for r in rows]


async def set_protected(session: AsyncSession, case_id: uuid.UUID, protected: bool) -> None:
    """The case's copy of its parties' protection, as the population register said when the parties changed."""
    await session.execute(text("UPDATE cases SET protected_identity = :p WHERE id = :id"),
                          {"id": case_id, "p": protected})
