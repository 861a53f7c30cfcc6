"""Appeals of a decision (överklagande, förvaltningslagen (2017:900) 43–46 §§): the client's on Mina sidor, a paper
one registered by staff, the unit's queue, and the authority's steps (forward to förvaltningsrätten, reconsider,
dismiss as late, the court's ruling). Each change commits with a history row on the case and an audit entry; the
case's ``appeal_pending`` follows its open appeals (gallring keeps the case meanwhile)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from kit import audit
from kit.auth import Principal
from kit.idempotency import Idempotency, StoredAnswer
from kit.problems import Problem, not_found
from services.applications.domain import appeal_texts
from services.applications.domain.access import (
    PROTECTED_PERMISSION,
    AccessPrincipal,
    CaseAccess,
    Section,
    readable_sections,
)
from services.applications.domain.appeals import (
    MAX_OPEN_PER_CASE,
    OPEN,
    Action,
    AppealInTime,
    AppealSource,
    AppealStatus,
    CourtOutcome,
    Extent,
    TooManyAppeals,
    allowed_actions,
    check_received_on,
    check_step_date,
    next_status,
    timeliness,
)
from services.applications.domain.lifecycle import ActorRole, CaseStatus
from services.applications.service.context import CaseContext, load_case
from services.applications.service.runtime import STOCKHOLM, Runtime
from services.applications.service.views import local
from services.applications.store import appeals, cases, decisions

STAFF = (ActorRole.CASEWORKER, ActorRole.TEAM_LEAD)


# --- views -----------------------------------------------------------------------------------------------------

def appeal_out(row: dict[str, Any], period: str | None = None) -> dict[str, Any]:
    """The appeal as staff see it (the case's caseworker or team lead)."""
    status = AppealStatus(row["status"])
    return {"id": str(row["id"]), "case_id": str(row["case_id"]), **({"period": period} if period else {}),
            "decision_decided_at": local(row["decision_decided_at"]), "appellant_role": row["appellant_role"],
            "source": row["source"], "text": row["text"], "received_on": row["received_on"].isoformat(),
            "last_day": row["last_day"].isoformat(), "in_time": row["in_time"], "late": not row["in_time"],
            "registered_at": local(row["registered_at"]), "status": status.value, "status_at": local(row["status_at"]),
            "open": status in OPEN,
            **{k: (row[k].isoformat() if isinstance(row[k], dt.date) else row[k])
               for k in ("forwarded_on", "reconsidered_on", "reconsideration", "dismissed_on", "dismissal_reason",
                         "court_outcome", "ruled_on", "note")},
            "actions": [a.value for a in allowed_actions(status, row["in_time"])]}


def client_appeal_out(row: dict[str, Any], lang: str) -> dict[str, Any]:
    """The appeal as the client sees it on Mina sidor: what they wrote, when it came in, where it is, in words."""
    status = AppealStatus(row["status"])
    out = {"id": str(row["id"]), "received_on": row["received_on"].isoformat(), "source": row["source"],
           "text": row["text"], "status": status.value, "status_text": appeal_texts.status_text(status, lang),
           "in_time": row["in_time"], "last_day": row["last_day"].isoformat(),
           "timeliness_text": appeal_texts.timeliness_text(row["in_time"], row["last_day"], lang),
           "forwarded_on": row["forwarded_on"].isoformat() if row["forwarded_on"] else None,
           "court_outcome": row["court_outcome"], "ruled_on": row["ruled_on"].isoformat() if row["ruled_on"] else None}
    if row["court_outcome"]:
        out["court_outcome_text"] = appeal_texts.court_text(CourtOutcome(row["court_outcome"]), lang)
    return out


async def client_appeals(session: AsyncSession, case_id: uuid.UUID, lang: str) -> list[dict[str, Any]]:
    return [client_appeal_out(r, lang) for r in await appeals.appeals_of_case(session, case_id)]


# --- registering an appeal -------------------------------------------------------------------------------------

async def _decided_at(session: AsyncSession, ctx: CaseContext) -> dt.datetime:
    """The time of the decision in force (the one appealed); 409 when the case has none yet. Asked only after the
    caller was found to be a party or the case's staff (the dependency): others got 404 before this."""
    row = await decisions.decision_row(session, ctx.case.id) if ctx.case.status in (
        CaseStatus.DECIDED, CaseStatus.PAID) else None
    if row is None:
        raise Problem(409, "appeal-no-decision", "There is no decision to appeal",
                      "A decision can be appealed once it has been made.", state=ctx.case.status.value)
    return row["decided_at"]  # type: ignore[no-any-return]


async def _register(session: AsyncSession, ctx: CaseContext, *, text: str, received_on: dt.date,
                    decided_at: dt.datetime, source: AppealSource, appellant_role: str) -> dict[str, Any]:
    if await appeals.open_count(session, ctx.case.id) >= MAX_OPEN_PER_CASE:
        raise TooManyAppeals("Add to an open appeal instead: contact the social services.")
    now = ctx.runtime.now()
    when = timeliness(received_on, decided_at)
    row = await appeals.add_appeal(session, case_id=ctx.case.id, decision_decided_at=decided_at,
                                   appellant_role=appellant_role, source=source.value, body=text,
                                   received_on=received_on, last_day=when.last_day, in_time=when.in_time,
                                   registered_by=ctx.principal.sub, now=now)
    await _history(session, ctx, "appeal_received", now, row, source=source.value, in_time=when.in_time,
                   received_on=received_on.isoformat())
    _audit(session, ctx, "appeal", row, source=source.value, in_time=when.in_time)
    return row


async def client_appeal(session: AsyncSession, ctx: CaseContext, idem: Idempotency, text: str,
                        lang: str) -> dict[str, Any] | StoredAnswer:
    """A party to the case appeals its decision from Mina sidor; received today (Swedish time)."""
    payload = {"case_id": str(ctx.case.id), "text": text}
    if (answer := await idem.claim(session, f"{ctx.principal.sub}:appeals", payload)) is not None:
        return answer
    decided_at = await _decided_at(session, ctx)
    role = "applicant" if ctx.role is ActorRole.CLIENT else "co_applicant"
    row = await _register(session, ctx, text=text, received_on=ctx.runtime.today(), decided_at=decided_at,
                          source=AppealSource.DIGITAL, appellant_role=role)
    out = client_appeal_out(row, lang)
    await idem.complete(session, 201, out)
    await session.commit()
    return out


async def staff_appeal(session: AsyncSession, ctx: CaseContext, idem: Idempotency, payload: dict[str, Any], *,
                       text: str, received_on: dt.date, source: AppealSource,
                       appellant_role: str) -> dict[str, Any] | StoredAnswer:
    """A caseworker registers an appeal that came on paper, at a visit, or by phone (confirmed in writing)."""
    if (answer := await idem.claim(session, f"{ctx.principal.sub}:staff-appeals",
                                   {"case_id": str(ctx.case.id), **payload})) is not None:
        return answer
    decided_at = await _decided_at(session, ctx)
    check_received_on(received_on, decided_at, ctx.runtime.today())
    if appellant_role == "co_applicant" and not ctx.case.co_applicant_joined:
        raise Problem(422, "appellant-not-party", "The appellant is not a party to the case",
                      "The case has no co-applicant who joined it.",
                      errors=[{"field": "body.appellant", "message": "not a party to the case",
                               "code": "appellant_not_party"}])
    row = await _register(session, ctx, text=text, received_on=received_on, decided_at=decided_at, source=source,
                          appellant_role=appellant_role)
    out = appeal_out(row, ctx.case.period)
    await idem.complete(session, 201, out)
    await session.commit()
    return out


# --- the authority's steps ---------------------------------------------------------------------------------------

async def load_appeal(session: AsyncSession, rt: Runtime, principal: Principal, appeal_id: uuid.UUID,
                      reason: str | None) -> tuple[CaseContext, dict[str, Any]]:
    """The appeal and its case, locked, for the case's caseworker or team lead. One 404 for an appeal that does not
    exist and one of a case the caller may not see (another unit's, a protected one without clearance)."""
    case_id = await appeals.case_of(session, appeal_id)
    if case_id is None:
        raise not_found("appeal")
    try:
        ctx = await load_case(session, rt, principal, case_id, lock=True, reason=reason)
    except Problem as exc:
        if exc.status == 404:
            raise not_found("appeal") from None
        raise
    if not ctx.can(Section.DECISION):
        raise not_found("appeal")
    ctx.require_role(*STAFF)
    row = await appeals.get_appeal(session, appeal_id, lock=True)
    assert row is not None  # the case row is locked and appeals go only with it
    return ctx, row


def _today(ctx: CaseContext) -> dt.date:
    return ctx.runtime.now().astimezone(STOCKHOLM).date()


async def _step(session: AsyncSession, ctx: CaseContext, row: dict[str, Any], action: Action, status: AppealStatus,
                **columns: Any) -> dict[str, Any]:
    now = ctx.runtime.now()
    await appeals.update_appeal(session, row["id"], status=status.value, now=now, **columns)
    pending = await appeals.set_pending(session, ctx.case.id)
    details = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in columns.items()
               if k in ("forwarded_on", "reconsidered_on", "dismissed_on", "ruled_on", "court_outcome")}
    await _history(session, ctx, f"appeal_{action.value}", now, row, status=status.value,
                   appeal_pending=pending, **details)
    _audit(session, ctx, f"appeal-{action.value.replace('_', '-')}", row, status=status.value)
    updated = await appeals.get_appeal(session, row["id"])
    assert updated is not None
    out = appeal_out(updated, ctx.case.period)
    await session.commit()
    return out


async def forward(session: AsyncSession, ctx: CaseContext, row: dict[str, Any], on: dt.date,
                  note: str | None) -> dict[str, Any]:
    """Sent with the case documents to förvaltningsrätten (also a late one the caseworker does not dismiss)."""
    status = next_status(AppealStatus(row["status"]), Action.FORWARD)
    check_step_date(on, row["received_on"], _today(ctx), "body.forwarded_on")
    return await _step(session, ctx, row, Action.FORWARD, status, forwarded_on=on, note=note)


async def reconsider(session: AsyncSession, ctx: CaseContext, row: dict[str, Any], extent: Extent, on: dt.date,
                     what: str) -> dict[str, Any]:
    """Omprövning (39 §): the caseworker changed the decision. In full as asked, the appeal lapses (46 §); in part,
    it still goes to the court. The changed decision is recorded here in words: a person's decision on a case is
    not re-made in this service (its one decision in force stays as it was)."""
    status = next_status(AppealStatus(row["status"]), Action.RECONSIDER, extent)
    check_step_date(on, row["received_on"], _today(ctx), "body.decided_on")
    return await _step(session, ctx, row, Action.RECONSIDER, status, reconsidered_on=on, reconsideration=what)


async def dismiss(session: AsyncSession, ctx: CaseContext, row: dict[str, Any], on: dt.date,
                  reason: str) -> dict[str, Any]:
    """Avvisning (45 §): only an appeal that came in late."""
    status = next_status(AppealStatus(row["status"]), Action.DISMISS)
    if row["in_time"]:
        raise AppealInTime("The appeal came in time: reconsider the decision or forward the appeal.")
    check_step_date(on, row["received_on"], _today(ctx), "body.dismissed_on")
    return await _step(session, ctx, row, Action.DISMISS, status, dismissed_on=on, dismissal_reason=reason)


async def court_ruling(session: AsyncSession, ctx: CaseContext, row: dict[str, Any], outcome: CourtOutcome,
                       on: dt.date, note: str | None) -> dict[str, Any]:
    """The court's ruling settles the appeal; the case is no longer held for it once no other appeal is open."""
    status = next_status(AppealStatus(row["status"]), Action.COURT_RULING)
    check_step_date(on, row["received_on"], _today(ctx), "body.ruled_on")
    return await _step(session, ctx, row, Action.COURT_RULING, status, court_outcome=outcome.value, ruled_on=on,
                       note=note)


# --- the unit's queue ------------------------------------------------------------------------------------------

async def queue(session: AsyncSession, principal: Principal, *, open_only: bool, limit: int) -> list[dict[str, Any]]:
    """The appeals of the caller's units' cases (protected ones only with clearance), oldest first."""
    units = sorted(set(principal.units) | ({principal.unit} if principal.unit else set()))
    rows = await appeals.queue(session, units, include_protected=principal.can(PROTECTED_PERMISSION),
                               open_only=open_only, limit=limit)
    who = AccessPrincipal.from_principal(principal)
    out = []
    for r in rows:
        # The access rules again (a unit's staff see its cases; protected ones with clearance): one source of truth.
        if Section.DECISION not in readable_sections(who, CaseAccess(unit=r["unit"],
                                                                     protected_identity=r["protected_identity"])):
            continue
        status = AppealStatus(r["status"])
        out.append({"id": str(r["id"]), "case_id": str(r["case_id"]), "period": r["period"],
                    "decision_outcome": r["decision_outcome"], "received_on": r["received_on"].isoformat(),
                    "last_day": r["last_day"].isoformat(), "in_time": r["in_time"], "source": r["source"],
                    "status": status.value, "status_at": local(r["status_at"]), "court_outcome": r["court_outcome"],
                    "actions": [a.value for a in allowed_actions(status, r["in_time"])]})
    return out


# --- history and audit -------------------------------------------------------------------------------------------

async def _history(session: AsyncSession, ctx: CaseContext, event: str, now: dt.datetime, row: dict[str, Any],
                   **details: Any) -> None:
    """A history row on the case (the case's status stays; an appeal is not a lifecycle step)."""
    assert ctx.role is not None
    await cases.add_history(session, ctx.case.id, actor=ctx.principal.sub, actor_role=ctx.role.value, event=event,
                            from_status=ctx.case.status.value, to_status=ctx.case.status.value, now=now,
                            details={"appeal_id": str(row["id"]), **details})


def _audit(session: AsyncSession, ctx: CaseContext, action: str, row: dict[str, Any], **details: Any) -> None:
    """Every appeal change is audited, the client's own too: a legal step on the person's case."""
    audit.record(session, ctx.principal, action, "appeal", str(row["id"]), subject=ctx.subject, purpose=action,
                 details={"case_id": str(ctx.case.id), **details})
