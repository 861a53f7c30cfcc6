"""Gallring in SQL: one function per record type of domain/retention.py, each acting on one batch.

Due rows are claimed with FOR UPDATE SKIP LOCKED: two replicas running the pass at once each take different rows,
and a row another transaction is changing (a caseworker deciding it) is left for the next pass.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from kit.retention import Action, Rule
from services.applications.domain import retention as policy

_OPEN = "{a}.status = ANY(CAST(:open AS text[]))"
_LAST_ENTRY = ("GREATEST({a}.updated_at, {a}.decided_at, "
               "(SELECT max(h.at) FROM case_history h WHERE h.case_id = {a}.id))")
# What keeps a case (and, through the personakt rule, every case of the same people): a recent entry, open,
# a pending appeal, or a decision still within its appeal period.
# Unknown (a NULL somewhere) counts as keeping.
_KEEPS = ("COALESCE(" + _LAST_ENTRY + " >= :cutoff OR " + _OPEN + " OR {a}.appeal_pending "
          "OR COALESCE({a}.decided_at > :decided_after, false), true)")
_SAMPLE = ("({a}.{col} ~ '^[0-9]{{12}}$' AND CAST(substr({a}.{col}, 7, 2) AS integer) % 60 "
           "= ANY(CAST(:sample_days AS integer[])))")

_DUE_CASES = text(
    "SELECT c.id, c.household_id FROM cases c WHERE c.anonymised_at IS NULL "  # noqa: S608 - constant fragments
    "AND NOT " + _KEEPS.format(a="c") + " "
    "AND NOT COALESCE(" + _SAMPLE.format(a="c", col="applicant_pnr") + ", false) "
    "AND NOT COALESCE(" + _SAMPLE.format(a="c", col="co_applicant_pnr") + ", false) "
    "AND NOT EXISTS (SELECT 1 FROM cases o WHERE o.anonymised_at IS NULL AND o.id <> c.id AND ("
    "o.household_id = c.household_id OR o.applicant_pnr IN (c.applicant_pnr, c.co_applicant_pnr) "
    "OR o.co_applicant_pnr IN (c.applicant_pnr, c.co_applicant_pnr)) AND " + _KEEPS.format(a="o") + ") "
    "ORDER BY c.updated_at LIMIT :n FOR UPDATE OF c SKIP LOCKED")


def _params(cutoff: dt.datetime, now: dt.datetime) -> dict[str, Any]:
    return {"cutoff": cutoff, "open": list(policy.OPEN_STATUSES),
            "decided_after": now - policy.APPEAL_PERIOD - policy.DELIVERY_MARGIN,
            "sample_days": list(policy.SAMPLE_DAYS)}


async def cull_cases(session: AsyncSession, rule: Rule, cutoff: dt.datetime, now: dt.datetime, limit: int) -> int:
    rows = (await session.execute(_DUE_CASES, {**_params(cutoff, now), "n": limit})).all()
    if not rows:
        return 0
    ids: list[uuid.UUID] = [r.id for r in rows]
    households = sorted({r.household_id for r in rows})
    p = {"ids": ids, "now": now}
    # What only the person's file needs goes either way: signatures, attachments, requests, staff on the case.
    for statement in ("DELETE FROM document_requests WHERE case_id = ANY(:ids)",
                      "DELETE FROM attachments WHERE case_id = ANY(:ids)",  # their contents cascade
                      "DELETE FROM signatures WHERE case_id = ANY(:ids)",
                      "DELETE FROM assignments WHERE case_id = ANY(:ids)",
                      "DELETE FROM trust_checks WHERE case_id = ANY(:ids)",
                      # appeals follow the case (kept while it is kept): the client's own words go with the file
                      "DELETE FROM appeals WHERE case_id = ANY(:ids)",
                      # an automated approval a person undid: the decision as it was, with who undid it and why
                      "DELETE FROM undone_decisions WHERE case_id = ANY(:ids)"):
        await session.execute(text(statement), {"ids": ids})
    if rule.action is Action.DELETE:
        await session.execute(text("DELETE FROM cases WHERE id = ANY(:ids)"), {"ids": ids})  # history, decision
    else:
        await session.execute(text(
            "UPDATE case_history SET actor = NULL, reason = NULL, details = NULL WHERE case_id = ANY(:ids)"), p)
        await session.execute(text(
            "UPDATE decisions SET decided_by = NULL, input_hash = NULL, calculation_result = '{}'::jsonb, "
            "decision = '{}'::jsonb WHERE case_id = ANY(:ids)"), p)
        # The proposal's checks compared the person's incomes with the registers': only its outcome, fast lane and
        # number of discrepancies stay, for the figures.
        await session.execute(text(
            "UPDATE decision_proposals SET proposal = '{}'::jsonb WHERE case_id = ANY(:ids)"), p)
        await session.execute(text(
            "UPDATE cases SET applicant_pnr = NULL, co_applicant_pnr = NULL, co_applicant_status = NULL, "
            "content = '{}'::jsonb, calculation = NULL, created_by = NULL, anonymised_at = :now "
            "WHERE id = ANY(:ids)"), p)
    # Who belonged to a household goes when nothing of the household's is left to cull.
    await session.execute(text(
        "DELETE FROM household_members m WHERE m.household_id = ANY(:h) AND m.since < :cutoff "
        "AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.household_id = m.household_id AND c.anonymised_at IS NULL)"),
        {"h": households, "cutoff": cutoff})
    if rule.action is Action.DELETE:
        await session.execute(text(
            "DELETE FROM households h WHERE h.id = ANY(:h) AND NOT EXISTS (SELECT 1 FROM cases c "
            "WHERE c.household_id = h.id) AND NOT EXISTS (SELECT 1 FROM household_members m "
            "WHERE m.household_id = h.id)"), {"h": households})
    return len(ids)


async def cull_client_profiles(session: AsyncSession, rule: Rule, cutoff: dt.datetime, now: dt.datetime,
                               limit: int) -> int:
    """A profile goes with the person's last case (kept while any case still names them)."""
    result = await session.execute(text(
        "DELETE FROM client_profiles WHERE personal_number IN (SELECT p.personal_number FROM client_profiles p "
        "WHERE p.updated_at < :cutoff AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.anonymised_at IS NULL "
        "AND p.personal_number IN (c.applicant_pnr, c.co_applicant_pnr)) "
        "LIMIT :n FOR UPDATE OF p SKIP LOCKED)"), {"cutoff": cutoff, "n": limit})
    return int(result.rowcount)  # type: ignore[attr-defined]


async def cull_staff(session: AsyncSession, rule: Rule, cutoff: dt.datetime, now: dt.datetime, limit: int) -> int:
    result = await session.execute(text(
        "DELETE FROM staff WHERE sub IN (SELECT s.sub FROM staff s WHERE s.last_seen < :cutoff "
        "LIMIT :n FOR UPDATE SKIP LOCKED)"), {"cutoff": cutoff, "n": limit})
    return int(result.rowcount)  # type: ignore[attr-defined]


async def cull_representations(session: AsyncSession, rule: Rule, cutoff: dt.datetime, now: dt.datetime,
                               limit: int) -> int:
    """A representation goes once it ended (or was revoked) before the cutoff and no case names its client."""
    result = await session.execute(text(
        "DELETE FROM representations WHERE id IN (SELECT r.id FROM representations r "
        "WHERE LEAST(r.revoked_at, (r.valid_until + 1)::timestamptz) "  # LEAST skips a NULL revoked_at
        "< :cutoff AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.anonymised_at IS NULL "
        "AND r.client_pnr IN (c.applicant_pnr, c.co_applicant_pnr)) LIMIT :n FOR UPDATE OF r SKIP LOCKED)"),
        {"cutoff": cutoff, "n": limit})
    return int(result.rowcount)  # type: ignore[attr-defined]


PURGES = {policy.CASES: cull_cases, policy.CLIENT_PROFILES: cull_client_profiles, policy.STAFF: cull_staff,
          policy.REPRESENTATIONS: cull_representations}
