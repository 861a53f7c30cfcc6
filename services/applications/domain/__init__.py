"""The applications service: First and monthly applications, attachments, signing, the case from intake to decision.

The domain is pure (no I/O, no web framework). Read it in this order:
    content.py        what a client applies with (DraftContent); personnummer is values.personal_number
    texts.py          the client's texts: English ids, Swedish/English/Arabic from ../locales (gettext catalogs)
    completeness.py   what is missing (stable codes, in the client's language), the submit check -> ApplicationContent
    prefill.py        the monthly re-application from last month
    signing.py        canonical JSON + SHA-256; signatures void when the content changes
    lifecycle.py      the case's state machine: states, events, who may do what
    attachments.py    file sniffing, limits, requested documents
    decision.py       amounts per component, outcome, reasons, legal basis, appeal; pdf.py renders it
    need_reasons.py   the reason for need (försörjningshinder), Socialstyrelsen's categories, with each decision
    client_view.py    "Mina sidor" status texts
    trust_checks.py   the monthly random sample (ekonomisk avstämning)
    figures.py        a unit's monthly figures for its team lead: what they are, months, channels, CSV
    access.py         who may read which case and which part of it (BOLA)
Errors carry stable codes (errors.DomainError) for problem+json.
"""
