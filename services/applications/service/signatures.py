"""Signing the application, and the named co-applicant's answer (accept, decline)."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from kit.problems import Problem
from services.applications.domain import representation as representation_rules
from services.applications.domain import signing
from services.applications.domain.lifecycle import ActorRole
from services.applications.service.cases import require_draft
from services.applications.service.context import CaseContext, load_case, on_behalf
from services.applications.service.households import join_case
from services.applications.service.views import case_view, signature_out
from services.applications.store import cases
from services.applications.store import signatures as signature_store


async def sign(session: AsyncSession, ctx: CaseContext, content_hash: str | None,
               personal_number: str | None) -> dict[str, Any]:
    """Sign the application as it is now: a party or invitee with their own e-ID, or staff recording a signed
    paper form (``personal_number``: who signed it). ``content_hash``: what the signer saw."""
    require_draft(ctx)
    draft = ctx.case.draft()
    if content_hash is not None and content_hash != signing.content_hash(draft):
        raise Problem(409, "content-changed", "The application changed since you read it",
                      "Read it again before you sign.")
    now = ctx.runtime.now()
    invitee = ctx.is_invitee
    if ctx.represented and (invitee or not representation_rules.may_sign(ctx.principal.acting.kind)):  # type: ignore[union-attr]
        # A god man or förvaltare (appointed by the court) signs for the client; under a fullmakt, or for an
        # invitation (joining a household is the person's own choice), the client signs with their own e-ID.
        raise Problem(403, "representative-may-not-sign", "The client signs this themselves",
                      "Your representation does not let you sign for the client.")
    if ctx.is_party or invitee:
        # Only the person's own token signs for them: the personnummer comes from the token, never the body.
        # (A representative's token: the client's personnummer, the signature recorded as made by the
        # representative, on the client's behalf, in its recorded_by, the history and the audit log.)
        signature = signing.sign(draft, ctx.principal.personal_number or "", now, method="e_id")
    elif ctx.role is ActorRole.CASEWORKER and ctx.case.source != "digital":
        if personal_number is None:
            raise Problem(422, "signer-required", "Say who signed the paper form", "Give personal_number.")
        signature = signing.sign(draft, personal_number, now, method="paper")
    else:
        raise Problem(403, "signature-not-a-signer", "Only the applicants sign",
                      "Only the applicant and the co-applicant sign their application.")
    # An invitee signing with their own e-ID accepts (the strongest consent there is); so does their signed
    # paper form, recorded by staff.
    await join_case(session, ctx, signature.personal_number.value, now)
    await signature_store.add_signature(session, ctx.case.id, signature, ctx.principal.sub)
    role = ActorRole.CO_APPLICANT.value if invitee else ctx.role.value if ctx.role else "unknown"
    await cases.add_history(session, ctx.case.id, actor=ctx.principal.sub, actor_role=role, event="sign",
                            from_status=ctx.case.status.value, to_status=ctx.case.status.value, now=now,
                            details=on_behalf(ctx.principal, role, {"role": signature.role.value,
                                                                    "method": signature.method}))
    ctx.audit_change(session, "sign-for-client" if ctx.represented else "sign-paper")
    out = await case_view(session, ctx)
    await session.commit()
    return {"signature": signature_out(signature, draft), "missing": out.get("missing", [])}


def _no_invitation() -> Problem:
    return Problem(409, "no-invitation", "There is no invitation for you",
                   "Only the co-applicant named in the application answers its invitation.")


async def accept_invitation(session: AsyncSession, ctx: CaseContext) -> dict[str, Any]:
    """The invited co-applicant joins the application and the applicant's household (own login only)."""
    if not ctx.is_invitee:
        if ctx.role is ActorRole.CO_APPLICANT:  # already joined: accepting again changes nothing
            return await case_view(session, ctx)
        raise _no_invitation()
    require_draft(ctx)
    now = ctx.runtime.now()
    await join_case(session, ctx, ctx.principal.personal_number or "", now)
    await cases.add_history(session, ctx.case.id, actor=ctx.principal.sub, actor_role=ActorRole.CO_APPLICANT.value,
                            event="accept", from_status=ctx.case.status.value, to_status=ctx.case.status.value,
                            now=now)
    joined = await load_case(session, ctx.runtime, ctx.principal, ctx.case.id, lock=False,
                             reason=ctx.reason)  # now as a party
    out = await case_view(session, joined)
    await session.commit()
    return out


async def decline_invitation(session: AsyncSession, ctx: CaseContext) -> None:
    """The invited co-applicant says no; the application is no longer shown to them."""
    if not ctx.is_invitee:
        raise _no_invitation()
    now = ctx.runtime.now()
    await cases.set_co_applicant_status(session, ctx.case.id, "declined", now)
    await cases.add_history(session, ctx.case.id, actor=ctx.principal.sub, actor_role=ActorRole.CO_APPLICANT.value,
                            event="decline", from_status=ctx.case.status.value, to_status=ctx.case.status.value,
                            now=now)
    await session.commit()
