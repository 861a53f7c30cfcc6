"""The register extract (registerutdrag): the applications service's own part, gathered in-process.

What the person sees of their own cases on Mina sidor and in the case view, every case however old: the cases
they are a party to (applicant, or co-applicant once joined) with the form as sent (every other person's
personnummer shown as a birth date only), signatures by role, the list of files, requested documents, the
calculation, the decision and the case's history (steps by role, not by whom); drafts that name them and wait for
their answer (the month and who invited them, as /me/invitations shows); their profile; and the audit rows about
them or their cases: when, which role of which unit read or changed what, and why. Staff are never named here.
The representations (ombud) they are the client or the representative of: the other person by the name staff
wrote, never their personnummer.
"""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.subject_access import Item, Section, SubjectAccessAnswer, audit_section, entry, local_time, text
from kit import audit
from services.applications.domain.subject_access import CONTENT_TITLES, flatten, mask_others
from services.applications.service.runtime import Runtime
from services.applications.store import (
    appeals,
    attachments,
    cases,
    decisions,
    documents,
    profiles,
    representations,
    signatures,
)
from services.applications.store.cases import CaseRecord

PROFILE_FIELDS = (("preferred_language", "Språk", "Language"), ("interpreter_needed", "Behöver tolk", "Needs an "
                  "interpreter"), ("interpreter_language", "Tolkspråk", "Interpreter language"),
                  ("phone", "Telefon", "Phone"), ("email", "E-post", "E-mail"), ("address", "Adress", "Address"),
                  ("protected_identity", "Skyddade personuppgifter", "Protected identity"))


def _content_items(case: CaseRecord, subject: str) -> list[Item]:
    content = mask_others(case.content, subject)
    items = []
    for part, value in content.items():
        if part in ("kind", "period"):
            continue
        title = CONTENT_TITLES.get(part, CONTENT_TITLES["other"])
        items.append(Item(heading=title, entries=flatten(value, part)))
    return items


def _calculation(calc: dict[str, Any]) -> Item:
    totals = calc.get("totals") or {}
    return Item(heading=text("Beräkning", "Calculation"), entries=[
        entry("entitlement", "Beräknat bistånd", "Computed assistance", calc.get("entitlement"), "kronor"),
        entry("norm_year", "Normår", "Norm year", calc.get("norm_year"), "number"),
        *(entry(f"totals.{k}", f"Summa {k}", f"Total {k}", v, "kronor") for k, v in totals.items()
          if isinstance(v, int)),
    ], items=[Item(heading=text(str((ln.get("text") or {}).get("sv") or ln.get("component")),
                                str((ln.get("text") or {}).get("en") or ln.get("component"))), entries=[
        entry("component", "Post", "Item", ln.get("component")), entry("member", "Person", "Member", ln.get("member")),
        entry("amount", "Belopp", "Amount", ln.get("amount"), "kronor"),
        entry("legal_reference", "Lagrum", "Legal basis", (ln.get("legal_reference") or {}).get("sv"))])
        for ln in calc.get("lines", [])])


def _decision(d: dict[str, Any]) -> Item:
    return Item(heading=text("Beslut", "Decision"), entries=[
        entry("outcome", "Utfall", "Outcome", d.get("outcome")),
        entry("granted", "Beviljat", "Granted", d.get("granted"), "kronor"),
        entry("computed_entitlement", "Beräknat", "Computed", d.get("computed_entitlement"), "kronor"),
        entry("decided_at", "Beslutsdatum", "Decided", d.get("decided_at"), "time"),
        entry("automated", "Automatiskt beslut", "Automated decision", d.get("decided_by") == "system", "bool"),
        entry("reasons_sv", "Skäl", "Reasons (Swedish)", d.get("reasons_sv")),
        entry("reasons_en", "Skäl (engelska)", "Reasons", d.get("reasons_en")),
        entry("appeal", "Hur man överklagar", "How to appeal", (d.get("appeal") or {}).get("sv")),
    ], items=[Item(heading=text(f"{c.get('code')} {c.get('member') or ''}".strip(),
                                f"{c.get('code')} {c.get('member') or ''}".strip()), entries=[
        entry("computed", "Beräknat", "Computed", c.get("computed"), "kronor"),
        entry("decided", "Beslutat", "Decided", c.get("decided"), "kronor"),
        entry("reason", "Skäl", "Reason", c.get("reason"))]) for c in d.get("components", [])])


def _appeal(a: dict[str, Any]) -> Item:
    """An appeal of the case's decision (whoever of the parties made it: it is part of the case)."""
    def day(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    return Item(id=str(a["id"]), heading=text("Överklagande", "Appeal"), entries=[
        entry("received_on", "Inkom", "Received", day(a["received_on"]), "date"),
        entry("source", "Inkom via", "Came in by", a["source"]),
        entry("appellant", "Överklagat av (roll)", "Appealed by (role)", a["appellant_role"]),
        entry("text", "Överklagandet", "The appeal", a["text"]),
        entry("last_day", "Sista dag", "Last day", day(a["last_day"]), "date"),
        entry("in_time", "Kom in i tid", "In time", a["in_time"], "bool"),
        entry("status", "Status", "Status", a["status"]),
        entry("forwarded_on", "Skickat till förvaltningsrätten", "Sent to the administrative court",
              day(a["forwarded_on"]), "date"),
        entry("reconsidered_on", "Omprövat", "Reconsidered", day(a["reconsidered_on"]), "date"),
        entry("reconsideration", "Ändring", "Change", a["reconsideration"]),
        entry("dismissed_on", "Avvisat", "Dismissed", day(a["dismissed_on"]), "date"),
        entry("dismissal_reason", "Skäl för avvisning", "Why dismissed", a["dismissal_reason"]),
        entry("court_outcome", "Domstolens avgörande", "The court's ruling", a["court_outcome"]),
        entry("ruled_on", "Avgjort", "Ruled", day(a["ruled_on"]), "date"),
    ])


async def _case_item(session: AsyncSession, case: CaseRecord, subject: str) -> Item:
    role = "applicant" if case.applicant_pnr == subject else "co_applicant"
    items = _content_items(case, subject)
    sigs = await signatures.signatures(session, case.id)
    items += [Item(heading=text("Underskrift", "Signature"), entries=[
        entry("role", "Roll", "Role", s.role.value), entry("signed_at", "Signerad", "Signed", local_time(s.signed_at),
                                                          "time"),
        entry("method", "Sätt", "Method", s.method)]) for s in sigs]
    items += [Item(id=str(a.id), heading=text("Fil", "File"), entries=[
        entry("filename", "Filnamn", "File name", a.filename), entry("media_type", "Typ", "Type", a.media_type),
        entry("size", "Storlek (byte)", "Size (bytes)", a.size, "number"),
        entry("category", "Kategori", "Category", a.category),
        entry("uploaded_at", "Uppladdad", "Uploaded", local_time(a.created_at), "time")])
        for a in await attachments.list_attachments(session, case.id)]
    items += [Item(id=str(d.id), heading=text(f"Begärd handling: {d.request.label('sv')}",
                                              f"Requested document: {d.request.label('en')}"), entries=[
        entry("status", "Status", "Status", d.request.status.value),
        entry("requested_at", "Begärd", "Requested", local_time(d.requested_at), "time"),
        entry("due_date", "Senast", "Due", d.due_date.isoformat() if d.due_date else None, "date"),
        entry("rejection_reason", "Skäl för avslag", "Why rejected", d.request.rejection_reason)])
        for d in await documents.document_requests(session, case.id)]
    if case.calculation is not None:
        items.append(_calculation(case.calculation))
    decision = await decisions.get_decision(session, case.id)
    if decision is not None:
        items.append(_decision(decision))
    items += [_appeal(a) for a in await appeals.appeals_of_case(session, case.id)]
    items += [Item(heading=text("Händelse", "Event"), entries=[
        entry("at", "Tid", "Time", local_time(h["at"]), "time"), entry("event", "Händelse", "Event", h["event"]),
        entry("from", "Från", "From", h["from_status"]), entry("to", "Till", "To", h["to_status"]),
        entry("by_role", "Av (roll)", "By (role)", h["actor_role"]), entry("reason", "Skäl", "Reason", h["reason"])])
        for h in await cases.history(session, case.id)]
    return Item(id=str(case.id), heading=text(f"Ansökan {case.period}", f"Application {case.period}"), entries=[
        entry("period", "Månad", "Month", case.period), entry("kind", "Slag", "Kind", case.kind),
        entry("your_role", "Din roll", "Your role", role), entry("status", "Status", "Status", case.status.value),
        entry("outcome", "Utfall", "Outcome", case.outcome.value if case.outcome else None),
        entry("unit", "Enhet", "Unit", case.unit), entry("source", "Inkom via", "Came in by", case.source),
        entry("co_applicant", "Medsökande", "Co-applicant", case.co_applicant_status),
        entry("created_at", "Skapad", "Created", local_time(case.created_at), "time"),
        entry("submitted_at", "Inskickad", "Submitted", local_time(case.submitted_at), "time"),
        entry("decided_at", "Beslutad", "Decided", local_time(case.decided_at), "time"),
    ], items=items)


def _representation_item(r: representations.RepresentationRecord, subject: str) -> Item:
    mine = r.client_pnr == subject
    return Item(id=str(r.id), heading=text("Ombud för dig" if mine else "Du är ombud",
                                           "A representative for you" if mine else "You represent someone"), entries=[
        entry("your_role", "Din roll", "Your role", "client" if mine else "representative"),
        entry("other", "Ombud" if mine else "Huvudman", "Representative" if mine else "Client",
              r.representative_name if mine else r.client_name),
        entry("kind", "Slag", "Kind", r.kind), entry("scopes", "Omfattning", "Scopes", ", ".join(r.scopes)),
        entry("valid_from", "Från", "From", r.valid_from.isoformat(), "date"),
        entry("valid_until", "Till och med", "Until", r.valid_until.isoformat(), "date"),
        entry("document", "Grund", "Rests on", r.document),
        entry("registered_at", "Registrerad", "Registered", local_time(r.registered_at), "time"),
        entry("revoked_at", "Återkallad", "Revoked", local_time(r.revoked_at), "time")])


async def own_part(session: AsyncSession, rt: Runtime, subject: str) -> SubjectAccessAnswer:
    """This service's answer for ``subject`` (12 digits), as the other services give theirs over HTTP."""
    mine = await cases.cases_of_person(session, subject)
    case_items = [await _case_item(session, c, subject) for c in mine]
    invitations = [Item(id=str(c.id), heading=text(f"Inbjudan {c.period}", f"Invitation {c.period}"), entries=[
        entry("period", "Månad", "Month", c.period),
        entry("invited_by", "Inbjuden av", "Invited by",
              ((c.content.get("household") or {}).get("applicant") or {}).get("name")),
        entry("created_at", "Skapad", "Created", local_time(c.created_at), "time")])
        for c in await cases.invitations_of(session, subject)]
    profile = await profiles.get_profile(session, subject)
    profile_items = [] if profile is None else [Item(heading=text("Din profil", "Your profile"), entries=[
        entry(key, sv, en, profile.get(key), "bool" if isinstance(profile.get(key), bool) else "text")
        for key, sv, en in PROFILE_FIELDS])]
    rows = await audit.entries_about(session, subject, case_ids=[str(c.id) for c in mine])
    return SubjectAccessAnswer(service="applications", generated_at=rt.now(), sections=[
        Section(key="cases", title=text("Dina ansökningar", "Your applications"), items=case_items,
                note=text("Ansökningar där du är sökande eller medsökande. Andras personnummer visas som födelsedatum.",
                          "Applications where you apply or co-apply. Other people's personnummer show as birth "
                          "dates.")),
        Section(key="invitations", title=text("Inbjudningar att söka tillsammans", "Invitations to apply together"),
                items=invitations),
        Section(key="profile", title=text("Profil och kontaktuppgifter", "Profile and contact details"),
                items=profile_items),
        Section(key="representations", title=text("Ombud", "Representatives"),
                items=[_representation_item(r, subject) for r in await representations.involving(session, subject)]),
        audit_section(rows)])
