"""The caseworkers' work queue and the monthly trust-check draw (ekonomisk avstämning)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import uuid
from typing import Any

import orjson
from sqlmodel.ext.asyncio.session import AsyncSession

from kit import audit
from kit.auth import Principal
from kit.problems import Problem
from services.applications.domain.access import PROTECTED_PERMISSION, Role
from services.applications.domain.lifecycle import CaseStatus
from services.applications.domain.trust_checks import draw_trust_checks
from services.applications.service.context import access_reason
from services.applications.service.runtime import Runtime
from services.applications.service.views import local
from services.applications.store import automation, proposals, queue, trust_checks
from services.applications.store.cases import CaseRecord


def _cursor(case: CaseRecord) -> str:
    raw = orjson.dumps([case.submitted_at.isoformat() if case.submitted_at else None, str(case.id)])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _after(cursor: str | None) -> tuple[dt.datetime, uuid.UUID] | None:
    if not cursor:
        return None
    try:
        at, case_id = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return dt.datetime.fromisoformat(at), uuid.UUID(case_id)
    except (ValueError, TypeError):
        raise Problem(400, "bad-cursor", "Bad cursor", "Use the next_cursor of the previous page.") from None


async def work_queue(session: AsyncSession, rt: Runtime, principal: Principal, *, view: str,
                     status: list[CaseStatus] | None, month: str | None, min_waiting_days: int | None,
                     flag: str | None, cursor: str | None, limit: int, reason: str | None) -> dict[str, Any]:
    """The unit's cases waiting (oldest first), or mine; one page and the cursor of the next. The listing is
    audited (``reason``: the caller's X-Access-Reason)."""
    now = rt.now()
    before = now - dt.timedelta(days=min_waiting_days) if min_waiting_days is not None else None
    rows = await queue.queue(session, sub=principal.sub, units=sorted(principal.units),
                             protected_access=principal.can(PROTECTED_PERMISSION), view=view,
                             statuses=[s.value for s in status] if status else None, month=month,
                             submitted_before=before, flagged=True if flag else None, after=_after(cursor),
                             limit=min(limit, rt.settings.queue_max_limit) + 1)
    page, more = rows[:limit], len(rows) > limit
    officer_only = not (principal.roles & {Role.CASEWORKER, Role.TEAM_LEAD})
    ids = [c.id for c in page]
    states = await proposals.states_of(session, ids)  # the decision proposal's state, once made
    automated = await automation.automated_cases(session, ids)
    items: list[dict[str, Any]] = []
    for c in page:
        waiting = (now - c.submitted_at) if c.submitted_at else dt.timedelta(0)
        state = states.get(c.id)
        flags = [f for f, on in (("trust_check", c.trust_check), ("protected_identity", c.protected_identity),
                                 ("info_overdue", bool(c.info_due and c.info_due < now.date())),
                                 ("fast_lane", bool(state and state["fast_lane"])), ("automated", c.id in automated),
                                 ("review_requested", c.review_requested_at is not None)) if on]
        item = {"id": str(c.id), "period": c.period, "kind": c.kind, "unit": c.unit, "status": c.status.value,
                "source": c.source, "submitted_at": local(c.submitted_at),
                "waiting_days": waiting.days, "assigned": c.assigned, "flags": flags,
                "info_due": c.info_due.isoformat() if c.info_due else None, "proposal": state}
        if officer_only:
            item.pop("source")  # employment officers: the work facts only
            item.pop("proposal")  # nor the register checks
        items.append(item)
    # The queue shows no personal data (no names, no numbers), but which cases staff listed is still logged.
    audit.record(session, principal, "list", "queue", None, purpose=access_reason(reason, "work queue"),
                 details={"view": view, "count": len(items)})
    await session.commit()
    return {"items": items, "next_cursor": _cursor(page[-1]) if more and page else None}


async def draw_trust_checks_for_month(session: AsyncSession, rt: Runtime, principal: Principal,
                                      month: str) -> tuple[dict[str, Any], bool]:
    """Draw the month's trust checks for the team lead's unit, reproducibly and once: (the draw, newly drawn)."""
    settings = rt.settings
    unit = principal.unit
    assert unit is not None
    existing = await trust_checks.get_draw(session, unit, month)
    drawn = False
    if existing is None:
        population = await trust_checks.decided_cases_for_draw(session, unit, month)
        chosen_ids = draw_trust_checks(population, settings.trust_checks_per_caseworker, month,
                                       settings.trust_check_seed)
        by_case = dict(population)
        # The seed stays secret; its fingerprint shows which seed a recorded draw used.
        seed_id = hashlib.sha256(settings.trust_check_seed.encode()).hexdigest()[:16]
        await trust_checks.record_draw(session, unit=unit, month=month,
                                       per_caseworker=settings.trust_checks_per_caseworker, seed_id=seed_id,
                                       population=len(population), chosen=[(cid, by_case[cid]) for cid in chosen_ids],
                                       drawn_by=principal.sub, now=rt.now())
        audit.record(session, principal, "draw", "trust_checks", f"{unit}:{month}", purpose="ekonomisk avstämning",
                     details={"population": len(population), "chosen": len(chosen_ids)})
        existing = await trust_checks.get_draw(session, unit, month)
        drawn = True
    await session.commit()
    assert existing is not None
    return _draw_out(existing), drawn


async def recorded_draw(session: AsyncSession, principal: Principal, month: str) -> dict[str, Any]:
    """A month's recorded draw for the caller's unit."""
    assert principal.unit is not None
    found = await trust_checks.get_draw(session, principal.unit, month)
    if found is None:
        raise Problem(404, "not-found", "Not found", "No draw for that month yet.")
    return _draw_out(found)


def _draw_out(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(row["id"]), "unit": row["unit"], "month": row["month"], "per_caseworker": row["per_caseworker"],
            "seed_id": row["seed_id"], "population": row["population"], "drawn_by": row["drawn_by"],
            "drawn_at": local(row["drawn_at"]), "case_ids": [str(c) for c in row["case_ids"]]}
