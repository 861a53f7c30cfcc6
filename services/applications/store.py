"""Tables and queries of the applications service (the migration 0002 is the source of truth).

Functions take the session first and never commit: the route does, so a change, its history row, its
audit entry and its outbox event commit together or not at all.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from kit.db import driver_connection
from services.applications.domain.access import CaseAccess
from services.applications.domain.assignment import StaffMember
from services.applications.domain.attachments import DocumentRequest, DocumentStatus, DocumentType
from services.applications.domain.content import DraftContent
from services.applications.domain.lifecycle import CaseState, CaseStatus, Outcome
from services.applications.domain.signing import Signature


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


# --- households ---------------------------------------------------------------------------------------------

async def household_of(session: AsyncSession, personal_number: str, *,
                       lock: bool = False) -> tuple[uuid.UUID, str] | None:
    """The person's household and its unit. ``lock``: hold the membership row (FOR SHARE) until commit, so the
    person cannot move to another household (join_household) while a case is being made in this one."""
    sql = ("SELECT h.id, h.unit FROM household_members m JOIN households h ON h.id = m.household_id "
           "WHERE m.personal_number = :p")
    row = (await session.execute(text(sql + (" FOR SHARE OF m" if lock else "")),
                                 {"p": personal_number})).first()
    return None if row is None else (row.id, row.unit)


async def create_household(session: AsyncSession, unit: str, members: list[str], now: dt.datetime) -> uuid.UUID:
    household_id = uuid.uuid4()
    await session.execute(text("INSERT INTO households (id, unit, created_at) VALUES (:id, :u, :now)"),
                          {"id": household_id, "u": unit, "now": now})
    for pnr in members:
        await session.execute(text(
            "INSERT INTO household_members (personal_number, household_id, since) VALUES (:p, :h, :now) "
            "ON CONFLICT (personal_number) DO NOTHING"), {"p": pnr, "h": household_id, "now": now})
    return household_id


async def is_member(session: AsyncSession, household_id: uuid.UUID, personal_number: str) -> bool:
    return bool((await session.execute(text(
        "SELECT EXISTS (SELECT 1 FROM household_members WHERE personal_number = :p AND household_id = :h)"),
        {"p": personal_number, "h": household_id})).scalar_one())


async def join_household(session: AsyncSession, household_id: uuid.UUID, personal_number: str,
                         now: dt.datetime) -> bool:
    """Make an accepting co-applicant a member of the household. True when they are (now) a member; False when
    they belong to another household they cannot leave by themselves: one with other members or with any
    application that is not withdrawn (theirs to withdraw first, or the unit's to sort out).

    The membership row is the lock of "which household am I in": this takes it FOR UPDATE, a new case takes it
    FOR SHARE (household_of(lock=True)), so a move and a new application of the same person never interleave."""
    await session.execute(text(
        "INSERT INTO household_members (personal_number, household_id, since) VALUES (:p, :h, :now) "
        "ON CONFLICT (personal_number) DO NOTHING"), {"p": personal_number, "h": household_id, "now": now})
    current = (await session.execute(text(
        "SELECT household_id FROM household_members WHERE personal_number = :p FOR UPDATE"),
        {"p": personal_number})).scalar_one()
    if current == household_id:
        return True
    # A new statement (a new snapshot): sees the cases committed while we waited for the lock.
    movable = (await session.execute(text(
        "SELECT NOT EXISTS (SELECT 1 FROM household_members WHERE household_id = :old AND personal_number <> :p) "
        "AND NOT EXISTS (SELECT 1 FROM cases WHERE household_id = :old AND status <> 'withdrawn')"),
        {"old": current, "p": personal_number})).scalar_one()
    if not movable:
        return False
    await session.execute(text(
        "UPDATE household_members SET household_id = :h, since = :now WHERE personal_number = :p"),
        {"h": household_id, "now": now, "p": personal_number})
    return True


# --- cases --------------------------------------------------------------------------------------------------

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

    @property
    def state(self) -> CaseState:
        return CaseState(self.status, self.outcome)

    @property
    def etag(self) -> str:
        return f'"{self.version}"'

    def draft(self) -> DraftContent:
        return DraftContent.model_validate(self.content)

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


_CASE_SELECT = (
    "SELECT c.*, "
    "COALESCE((SELECT jsonb_object_agg(a.role, a.sub) FROM assignments a WHERE a.case_id = c.id), '{}'::jsonb) "
    "AS assigned_map, EXISTS (SELECT 1 FROM trust_checks t WHERE t.case_id = c.id) AS flagged FROM cases c ")


def _case(row: Any) -> CaseRecord:
    m = row._mapping
    return CaseRecord(
        id=m["id"], household_id=m["household_id"], period=m["period"], kind=m["kind"], unit=m["unit"],
        status=CaseStatus(m["status"]), outcome=Outcome(m["outcome"]) if m["outcome"] else None,
        source=m["source"], content=m["content"], version=m["version"], applicant_pnr=m["applicant_pnr"],
        co_applicant_pnr=m["co_applicant_pnr"], co_applicant_status=m["co_applicant_status"],
        protected_identity=m["protected_identity"],
        created_by=m["created_by"], created_at=m["created_at"], updated_at=m["updated_at"],
        submitted_at=m["submitted_at"], decided_at=m["decided_at"], info_due=m["info_due"],
        calculation=m["calculation"], calculated_at=m["calculated_at"], assigned=dict(m["assigned_map"] or {}),
        trust_check=bool(m["flagged"]),
    )


async def get_case(session: AsyncSession, case_id: uuid.UUID, *, lock: bool = False) -> CaseRecord | None:
    # FOR UPDATE OF c: the case row is locked (until commit), its assignments are only read.
    row = (await session.execute(text(_CASE_SELECT + "WHERE c.id = :id" + (" FOR UPDATE OF c" if lock else "")),
                                 {"id": case_id})).first()
    return None if row is None else _case(row)


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
         "source": source, "content": _json(content.model_dump(mode="json", exclude_none=True)),
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
        {"content": _json(content.model_dump(mode="json", exclude_none=True)), "co": co_applicant_pnr,
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
                       actor_role, event, case.status.value, reason, _json(details) if details is not None else None]
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
         "t": to_status, "reason": reason, "details": _json(details) if details is not None else None})


async def history(session: AsyncSession, case_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = (await session.execute(text(
        "SELECT at, actor, actor_role, event, from_status, to_status, reason FROM case_history "
        "WHERE case_id = :c ORDER BY id"), {"c": case_id})).mappings().all()
    return [dict(r) for r in rows]


async def set_calculation(session: AsyncSession, case_id: uuid.UUID, result: dict[str, Any],
                          now: dt.datetime) -> None:
    await session.execute(text(
        "UPDATE cases SET calculation = CAST(:r AS jsonb), calculated_at = :now WHERE id = :id"),
        {"r": _json(result), "now": now, "id": case_id})


async def cases_of_person(session: AsyncSession, personal_number: str) -> list[CaseRecord]:
    rows = (await session.execute(text(
        _CASE_SELECT + "WHERE c.applicant_pnr = :p OR (c.co_applicant_pnr = :p AND c.co_applicant_status = 'joined') "
        "ORDER BY c.period DESC, c.created_at DESC"),
        {"p": personal_number})).all()
    return [_case(r) for r in rows]


async def invitations_of(session: AsyncSession, personal_number: str) -> list[CaseRecord]:
    """Drafts that name the person as co-applicant and wait for their answer."""
    rows = (await session.execute(text(
        _CASE_SELECT + "WHERE c.co_applicant_pnr = :p AND c.co_applicant_status = 'invited' AND c.status = 'draft' "
        "ORDER BY c.period DESC, c.created_at DESC"), {"p": personal_number})).all()
    return [_case(r) for r in rows]


async def latest_case_of_household(session: AsyncSession, household_id: uuid.UUID,
                                   before_period: str) -> CaseRecord | None:
    """The household's latest application before the month that got past the draft (the prefill source)."""
    row = (await session.execute(text(
        _CASE_SELECT + "WHERE c.household_id = :h AND c.period < :p AND c.status NOT IN ('draft', 'withdrawn') "
        "ORDER BY c.period DESC LIMIT 1"), {"h": household_id, "p": before_period})).first()
    return None if row is None else _case(row)


async def support_months(session: AsyncSession, household_id: uuid.UUID, before_period: str) -> list[str]:
    """Months the household got support (approved or partly), for jobbstimulans."""
    rows = (await session.execute(text(
        "SELECT period FROM cases WHERE household_id = :h AND period < :p AND status IN ('decided', 'paid') "
        "AND outcome IN ('approved', 'partly_approved') ORDER BY period"), {"h": household_id, "p": before_period}))
    return [r.period for r in rows]


# --- signatures ---------------------------------------------------------------------------------------------

async def add_signature(session: AsyncSession, case_id: uuid.UUID, signature: Signature, recorded_by: str) -> None:
    await session.execute(text(
        "INSERT INTO signatures (id, case_id, role, personal_number, content_hash, signed_at, method, recorded_by) "
        "VALUES (:id, :c, :role, :pnr, :hash, :at, :method, :by) "
        "ON CONFLICT (case_id, role, content_hash) DO NOTHING"),
        {"id": uuid.uuid4(), "c": case_id, "role": signature.role.value, "pnr": signature.personal_number.value,
         "hash": signature.content_hash, "at": signature.signed_at, "method": signature.method, "by": recorded_by})


async def signatures(session: AsyncSession, case_id: uuid.UUID) -> list[Signature]:
    rows = await (await driver_connection(session)).fetch(
        "SELECT role, personal_number, content_hash, signed_at, method FROM signatures WHERE case_id = $1 "
        "ORDER BY signed_at", case_id)
    return [Signature.model_validate(dict(r)) for r in rows]


# --- attachments --------------------------------------------------------------------------------------------

@dataclass
class AttachmentMeta:
    id: uuid.UUID
    case_id: uuid.UUID
    filename: str
    media_type: str
    size: int
    sha256: str
    category: str
    uploaded_by: str
    created_at: dt.datetime


async def count_attachments(session: AsyncSession, case_id: uuid.UUID) -> int:
    return int((await session.execute(text("SELECT count(*) FROM attachments WHERE case_id = :c"),
                                      {"c": case_id})).scalar_one())


async def add_attachment(session: AsyncSession, *, case_id: uuid.UUID, uploaded_by: str, filename: str,
                         media_type: str, sha256: str, category: str, content: bytes,
                         now: dt.datetime) -> AttachmentMeta:
    attachment_id = uuid.uuid4()
    await session.execute(text(
        "INSERT INTO attachments (id, case_id, uploaded_by, filename, media_type, size, sha256, category, created_at) "
        "VALUES (:id, :c, :by, :fn, :mt, :size, :sha, :cat, :now)"),
        {"id": attachment_id, "c": case_id, "by": uploaded_by, "fn": filename, "mt": media_type,
         "size": len(content), "sha": sha256, "cat": category, "now": now})
    await session.execute(text("INSERT INTO attachment_contents (attachment_id, content) VALUES (:id, :content)"),
                          {"id": attachment_id, "content": content})
    return AttachmentMeta(attachment_id, case_id, filename, media_type, len(content), sha256, category, uploaded_by,
                          now)


async def list_attachments(session: AsyncSession, case_id: uuid.UUID) -> list[AttachmentMeta]:
    rows = (await session.execute(text(
        "SELECT id, case_id, filename, media_type, size, sha256, category, uploaded_by, created_at FROM attachments "
        "WHERE case_id = :c ORDER BY created_at, id"), {"c": case_id})).all()
    return [AttachmentMeta(*r) for r in rows]


async def get_attachment(session: AsyncSession, case_id: uuid.UUID,
                         attachment_id: uuid.UUID) -> tuple[AttachmentMeta, bytes] | None:
    row = (await session.execute(text(
        "SELECT a.id, a.case_id, a.filename, a.media_type, a.size, a.sha256, a.category, a.uploaded_by, a.created_at, "
        "c.content FROM attachments a JOIN attachment_contents c ON c.attachment_id = a.id "
        "WHERE a.id = :id AND a.case_id = :c"), {"id": attachment_id, "c": case_id})).first()
    if row is None:
        return None
    return AttachmentMeta(*row[:9]), bytes(row[9])


# --- requested documents ------------------------------------------------------------------------------------

@dataclass
class DocumentRecord:
    id: uuid.UUID
    case_id: uuid.UUID
    request: DocumentRequest
    attachment_id: uuid.UUID | None
    requested_by: str
    requested_at: dt.datetime
    due_date: dt.date | None


async def add_document_request(session: AsyncSession, case_id: uuid.UUID, request: DocumentRequest, *,
                               requested_by: str, due_date: dt.date | None, now: dt.datetime) -> uuid.UUID:
    request_id = uuid.uuid4()
    await session.execute(text(
        "INSERT INTO document_requests (id, case_id, type, text, status, requested_by, requested_at, due_date, "
        "updated_at) VALUES (:id, :c, :type, :text, :status, :by, :now, :due, :now)"),
        {"id": request_id, "c": case_id, "type": request.type.value, "text": request.text,
         "status": request.status.value, "by": requested_by, "now": now, "due": due_date})
    return request_id


def _document(m: Any) -> DocumentRecord:
    return DocumentRecord(
        id=m["id"], case_id=m["case_id"],
        request=DocumentRequest(type=DocumentType(m["type"]), text=m["text"], status=DocumentStatus(m["status"]),
                                rejection_reason=m["rejection_reason"]),
        attachment_id=m["attachment_id"], requested_by=m["requested_by"], requested_at=m["requested_at"],
        due_date=m["due_date"])


async def document_requests(session: AsyncSession, case_id: uuid.UUID) -> list[DocumentRecord]:
    rows = (await session.execute(text(
        "SELECT * FROM document_requests WHERE case_id = :c ORDER BY seq"), {"c": case_id})).mappings()
    return [_document(r) for r in rows.all()]


async def get_document_request(session: AsyncSession, case_id: uuid.UUID, request_id: uuid.UUID,
                               *, lock: bool = False) -> DocumentRecord | None:
    row = (await session.execute(text(
        "SELECT * FROM document_requests WHERE id = :id AND case_id = :c"  # noqa: S608 - a constant suffix
        + (" FOR UPDATE" if lock else "")),
        {"id": request_id, "c": case_id})).mappings().first()
    return None if row is None else _document(row)


async def update_document_request(session: AsyncSession, request_id: uuid.UUID, *, status: DocumentStatus,
                                  rejection_reason: str | None, attachment_id: uuid.UUID | None,
                                  now: dt.datetime) -> None:
    await session.execute(text(
        "UPDATE document_requests SET status = :s, rejection_reason = :r, "
        "attachment_id = COALESCE(CAST(:a AS uuid), attachment_id), updated_at = :now WHERE id = :id"),
        {"s": status.value, "r": rejection_reason, "a": attachment_id, "now": now, "id": request_id})


# --- decisions ----------------------------------------------------------------------------------------------

async def add_decision(session: AsyncSession, case_id: uuid.UUID, decision: dict[str, Any], *,
                       decided_at: dt.datetime, decided_by: str, outcome: str, granted: int, input_hash: str,
                       calculation_result: dict[str, Any]) -> None:
    await session.execute(text(
        "INSERT INTO decisions (case_id, decided_at, decided_by, outcome, granted, input_hash, calculation_result, "
        "decision) VALUES (:c, :at, :by, :o, :g, :h, CAST(:r AS jsonb), CAST(:d AS jsonb))"),
        {"c": case_id, "at": decided_at, "by": decided_by, "o": outcome, "g": granted, "h": input_hash,
         "r": _json(calculation_result), "d": _json(decision)})


async def get_decision(session: AsyncSession, case_id: uuid.UUID) -> dict[str, Any] | None:
    return (await session.execute(text("SELECT decision FROM decisions WHERE case_id = :c"),
                                  {"c": case_id})).scalar_one_or_none()


# --- assignments --------------------------------------------------------------------------------------------

async def assign(session: AsyncSession, case_id: uuid.UUID, role: str, sub: str, *, by: str,
                 now: dt.datetime) -> None:
    await session.execute(text(
        "INSERT INTO assignments (case_id, role, sub, assigned_by, assigned_at) VALUES (:c, :r, :s, :by, :now) "
        "ON CONFLICT (case_id, role) DO UPDATE SET sub = EXCLUDED.sub, assigned_by = EXCLUDED.assigned_by, "
        "assigned_at = EXCLUDED.assigned_at"), {"c": case_id, "r": role, "s": sub, "by": by, "now": now})


# --- staff seen -------------------------------------------------------------------------------------------

async def record_staff(session: AsyncSession, member: StaffMember, name: str | None) -> None:
    await session.execute(text(
        "INSERT INTO staff (sub, name, roles, units, protected_access, first_seen, last_seen) "
        "VALUES (:sub, :name, :roles, :units, :pa, :now, :now) ON CONFLICT (sub) DO UPDATE SET name = EXCLUDED.name, "
        "roles = EXCLUDED.roles, units = EXCLUDED.units, protected_access = EXCLUDED.protected_access, "
        "last_seen = GREATEST(staff.last_seen, EXCLUDED.last_seen)"),
        {"sub": member.sub, "name": name, "roles": sorted(member.roles), "units": sorted(member.units),
         "pa": member.protected_access, "now": member.last_seen})


async def get_staff(session: AsyncSession, sub: str) -> StaffMember | None:
    row = (await session.execute(text(
        "SELECT sub, roles, units, protected_access, last_seen FROM staff WHERE sub = :s"), {"s": sub})).first()
    return None if row is None else StaffMember(row.sub, frozenset(row.roles), frozenset(row.units),
                                                row.protected_access, row.last_seen)


# --- work queue ---------------------------------------------------------------------------------------------

async def queue(session: AsyncSession, *, sub: str, units: list[str], protected_access: bool, view: str,
                statuses: list[str] | None, month: str | None, submitted_before: dt.datetime | None,
                flagged: bool | None, after: tuple[dt.datetime, uuid.UUID] | None, limit: int) -> list[CaseRecord]:
    """Oldest waiting first (fairness: first come, first served), keyset-paginated on (submitted_at, id)."""
    rows = (await session.execute(text(
        _CASE_SELECT + "WHERE c.status <> 'draft' "  # noqa: S608 - constant fragments, values are bound
        "AND (c.unit = ANY(CAST(:units AS text[])) OR EXISTS (SELECT 1 FROM assignments a WHERE a.case_id = c.id "
        "AND a.sub = :sub)) AND (NOT c.protected_identity OR :pa) "
        "AND (:view <> 'unassigned' OR NOT EXISTS (SELECT 1 FROM assignments a WHERE a.case_id = c.id "
        "AND a.role = 'caseworker')) "
        "AND (:view <> 'mine' OR EXISTS (SELECT 1 FROM assignments a WHERE a.case_id = c.id AND a.sub = :sub)) "
        "AND (CAST(:statuses AS text[]) IS NULL OR c.status = ANY(CAST(:statuses AS text[]))) "
        "AND (CAST(:month AS text) IS NULL OR c.period = :month) "
        "AND (CAST(:before AS timestamptz) IS NULL OR c.submitted_at <= :before) "
        "AND (CAST(:flagged AS boolean) IS NULL OR EXISTS (SELECT 1 FROM trust_checks t WHERE t.case_id = c.id) "
        "= :flagged) "
        "AND (CAST(:after_at AS timestamptz) IS NULL OR (c.submitted_at, c.id) > (:after_at, :after_id)) "
        "ORDER BY c.submitted_at, c.id LIMIT :limit"),
        {"units": units, "sub": sub, "pa": protected_access, "view": view, "statuses": statuses, "month": month,
         "before": submitted_before, "flagged": flagged, "after_at": after[0] if after else None,
         "after_id": after[1] if after else uuid.UUID(int=0), "limit": limit})).all()
    return [_case(r) for r in rows]


# --- trust checks -------------------------------------------------------------------------------------------

async def decided_cases_for_draw(session: AsyncSession, unit: str, month: str) -> list[tuple[str, str]]:
    rows = (await session.execute(text(
        "SELECT c.id, d.decided_by FROM cases c JOIN decisions d ON d.case_id = c.id "
        "WHERE c.unit = :u AND c.period = :m AND c.status IN ('decided', 'paid')"), {"u": unit, "m": month})).all()
    return [(str(r.id), r.decided_by) for r in rows]


async def get_draw(session: AsyncSession, unit: str, month: str) -> dict[str, Any] | None:
    row = (await session.execute(text(
        "SELECT d.*, ARRAY(SELECT t.case_id FROM trust_checks t WHERE t.draw_id = d.id ORDER BY t.caseworker_sub, "
        "t.case_id) AS case_ids FROM trust_check_draws d WHERE d.unit = :u AND d.month = :m"),
        {"u": unit, "m": month})).mappings().first()
    return None if row is None else dict(row)


async def record_draw(session: AsyncSession, *, unit: str, month: str, per_caseworker: int, seed_id: str,
                      population: int, chosen: list[tuple[str, str]], drawn_by: str, now: dt.datetime) -> bool:
    """False when the month was already drawn for the unit (the first draw stands)."""
    draw_id = uuid.uuid4()
    inserted = (await session.execute(text(
        "INSERT INTO trust_check_draws (id, unit, month, per_caseworker, seed_id, population, drawn_by, drawn_at) "
        "VALUES (:id, :u, :m, :n, :seed, :pop, :by, :now) ON CONFLICT (unit, month) DO NOTHING RETURNING id"),
        {"id": draw_id, "u": unit, "m": month, "n": per_caseworker, "seed": seed_id, "pop": population,
         "by": drawn_by, "now": now})).first()
    if inserted is None:
        return False
    for case_id, caseworker in chosen:
        await session.execute(text(
            "INSERT INTO trust_checks (draw_id, case_id, caseworker_sub) VALUES (:d, :c, :cw) "
            "ON CONFLICT DO NOTHING"), {"d": draw_id, "c": uuid.UUID(case_id), "cw": caseworker})
    return True


# --- client profiles ----------------------------------------------------------------------------------------

async def get_profile(session: AsyncSession, personal_number: str) -> dict[str, Any] | None:
    row = (await session.execute(text("SELECT * FROM client_profiles WHERE personal_number = :p"),
                                 {"p": personal_number})).mappings().first()
    return None if row is None else dict(row)


async def upsert_profile(session: AsyncSession, personal_number: str, values: dict[str, Any],
                         now: dt.datetime) -> None:
    columns = ["preferred_language", "interpreter_needed", "interpreter_language", "phone", "email", "address"]
    given = {k: v for k, v in values.items() if k in columns}
    names = ", ".join(["personal_number", "updated_at", *given])
    params = ", ".join([":personal_number", ":updated_at", *(f":{k}" for k in given)])
    updates = ", ".join(["updated_at = EXCLUDED.updated_at", *(f"{k} = EXCLUDED.{k}" for k in given)])
    await session.execute(text(
        f"INSERT INTO client_profiles ({names}) VALUES ({params}) "  # noqa: S608 - column names from a fixed list
        f"ON CONFLICT (personal_number) DO UPDATE SET {updates}"),
        {"personal_number": personal_number, "updated_at": now, **given})


async def mark_protected(session: AsyncSession, personal_numbers: list[str], now: dt.datetime) -> None:
    """Tighten only (a client's own token claim): mark them protected, and their cases with them."""
    for pnr in personal_numbers:
        if not await any_protected(session, [pnr]):
            await set_person_protection(session, pnr, True, now)


async def set_person_protection(session: AsyncSession, personal_number: str, protected: bool,
                                now: dt.datetime) -> tuple[bool, int]:
    """Set the person's status (the owner's fact) and bring every case they are a party to in line: a case is
    protected while any of its parties is (the applicant, the co-applicant once joined); closed cases too, since
    they hold the same data. (changed, number of cases whose flag changed)."""
    before = (await session.execute(text(
        "SELECT protected_identity FROM client_profiles WHERE personal_number = :p FOR UPDATE"),
        {"p": personal_number})).scalar_one_or_none()
    await session.execute(text(
        "INSERT INTO client_profiles (personal_number, protected_identity, updated_at) VALUES (:p, :v, :now) "
        "ON CONFLICT (personal_number) DO UPDATE SET protected_identity = EXCLUDED.protected_identity, "
        "updated_at = EXCLUDED.updated_at"), {"p": personal_number, "v": protected, "now": now})
    updated = (await session.execute(text(
        "WITH wanted AS (SELECT c.id, EXISTS (SELECT 1 FROM client_profiles cp WHERE cp.protected_identity AND "
        "(cp.personal_number = c.applicant_pnr OR (cp.personal_number = c.co_applicant_pnr AND "
        "c.co_applicant_status = 'joined'))) AS protected FROM cases c WHERE c.applicant_pnr = :p OR "
        "(c.co_applicant_pnr = :p AND c.co_applicant_status = 'joined')) "
        "UPDATE cases c SET protected_identity = w.protected FROM wanted w "
        "WHERE c.id = w.id AND c.protected_identity IS DISTINCT FROM w.protected RETURNING c.id"),
        {"p": personal_number})).all()
    return bool(before) != protected, len(updated)


async def set_protected(session: AsyncSession, case_id: uuid.UUID) -> None:
    await session.execute(text("UPDATE cases SET protected_identity = true WHERE id = :id"), {"id": case_id})


async def any_protected(session: AsyncSession, personal_numbers: list[str]) -> bool:
    return bool((await session.execute(text(
        "SELECT EXISTS (SELECT 1 FROM client_profiles WHERE protected_identity AND "
        "personal_number = ANY(CAST(:p AS text[])))"), {"p": personal_numbers})).scalar_one())


async def protected_among(session: AsyncSession, personal_numbers: list[str]) -> list[str]:
    """Those of ``personal_numbers`` who have protected identity, sorted."""
    rows = await session.execute(text(
        "SELECT personal_number FROM client_profiles WHERE protected_identity AND "
        "personal_number = ANY(CAST(:p AS text[])) ORDER BY personal_number"), {"p": personal_numbers})
    return [r[0] for r in rows]
