"""The register extract (registerutdrag, GDPR art. 15) as pure rules: how a case's content is shown (nobody
else's personnummer), why a service's part may be missing, and how the parts make one extract.

Each service answers for its own data (contracts.subject_access); the extract keeps every service's answer as a
part, and a service that did not answer as a part marked missing with the reason: never an empty part that
looks like "nothing held".
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from contracts.subject_access import Entry, Text, entry, text
from values.personal_number import normalise_personal_number

MAX_ENTRIES = 500  # per flattened content section: a sanity bound, the form's own limits are far below


class Missing(StrEnum):
    """Why a service's part is not in the extract."""

    NOT_CONFIGURED = "not_configured"  # no address for the service in this installation
    UNAVAILABLE = "unavailable"  # no answer: connection refused, time-out
    REFUSED = "refused"  # it answered with an error
    INVALID_ANSWER = "invalid_answer"  # it answered something that is not the contract


MISSING_TEXTS: dict[Missing, Text] = {
    Missing.NOT_CONFIGURED: text("Tjänsten är inte ansluten till registerutdraget här.",
                                 "The service is not connected to the register extract here."),
    Missing.UNAVAILABLE: text("Tjänsten svarade inte i tid. Uppgifterna finns kvar där; begär ett nytt utdrag.",
                              "The service did not answer in time. The data is still held there; ask again."),
    Missing.REFUSED: text("Tjänsten svarade med ett fel. Uppgifterna finns kvar där; begär ett nytt utdrag.",
                          "The service answered with an error. The data is still held there; ask again."),
    Missing.INVALID_ANSWER: text("Tjänstens svar gick inte att läsa. Kontakta kommunen.",
                                 "The service's answer could not be read. Contact the municipality."),
}

SERVICE_TITLES: dict[str, Text] = {
    "applications": text("Ansökningar och beslut", "Applications and decisions"),
    "messaging": text("Meddelanden", "Messages"),
    "meetings": text("Möten", "Meetings"),
    "registers": text("Uppgifter hämtade från andra myndigheter", "Data fetched from other agencies"),
}


def service_title(service: str) -> Text:
    return SERVICE_TITLES.get(service, text(service, service))


def masked(pnr: str) -> str:
    """Another person's personnummer as the extract shows it: the birth date only."""
    try:
        value = normalise_personal_number(pnr)
    except ValueError:
        return "****"
    return f"{value[:8]}-****"


def mask_others(value: Any, subject: str) -> Any:
    """The content with every personnummer but the subject's own masked (a partner's, a child's): an extract is
    about the person who asked, and a copy leaves the system."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k == "personal_number" and isinstance(v, str):
                out[k] = v if _same(v, subject) else masked(v)
            else:
                out[k] = mask_others(v, subject)
        return out
    if isinstance(value, list):
        return [mask_others(v, subject) for v in value]
    return value


def _same(pnr: str, subject: str) -> bool:
    try:
        return normalise_personal_number(pnr) == subject
    except ValueError:
        return False


CONTENT_TITLES: dict[str, Text] = {
    "household": text("Hushåll", "Household"), "housing": text("Boende", "Housing"),
    "incomes": text("Inkomster", "Incomes"), "costs": text("Utgifter", "Costs"),
    "assets": text("Tillgångar", "Assets"), "plan": text("Planering", "Plan"),
    "message": text("Meddelande", "Message"), "other": text("Övrigt", "Other"),
}


def flatten(value: Any, prefix: str) -> list[Entry]:
    """A part of the form as labelled entries, one per leaf (``household.children.0.birth_date``)."""
    out: list[Entry] = []

    def walk(v: Any, path: str) -> None:
        if len(out) >= MAX_ENTRIES:
            return
        if isinstance(v, dict):
            for k, inner in v.items():
                walk(inner, f"{path}.{k}")
        elif isinstance(v, list):
            for i, inner in enumerate(v):
                walk(inner, f"{path}.{i}")
        else:
            scalar = v if isinstance(v, str | int | bool) or v is None else str(v)
            key = path.lower()[:64]
            kind = "bool" if isinstance(scalar, bool) else "number" if isinstance(scalar, int) else "text"
            key = key if key[:1].isalpha() else f"x{key}"[:64]
            out.append(entry(_key(key), path, path, scalar, kind))

    walk(value, prefix)
    return out


def _key(raw: str) -> str:
    return "".join(c if c.isalnum() or c in "_.-" else "_" for c in raw)


def extract_status(parts: list[dict[str, Any]]) -> str:
    return "complete" if all(p["status"] == "answered" for p in parts) else "partial"
