from __future__ import annotations

import os
from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from kit.settings import KitSettings, comma_list


class ApplicationsSettings(KitSettings):
    """Environment variables start with APPLICATIONS_ (or BISTAND_ for values shared by all services)."""

    model_config = SettingsConfigDict(env_prefix="APPLICATIONS_", extra="ignore")
    service_name: ClassVar[str] = "applications"

    # The unit a client's first digital application goes to (staff-registered ones go to the caseworker's unit).
    default_unit: str = "nord"
    municipality: str = "Exempelkommunen"
    # How many months ahead of the current one a client may apply for (the earliest month is fixed in domain/).
    months_ahead: int = Field(default=2, ge=0, le=36)

    # Other services (BISTAND_CALCULATION_URL / BISTAND_MESSAGING_URL are set by `make run`).
    calculation_url: str | None = None
    messaging_url: str | None = None
    # The owner of protected identity: the registers service (the population register behind it), asked with this
    # service's client credentials (audience registers). No URL: nobody can tell, so every write that sets a case's
    # protection (a new application, a co-applicant joining, another partner named) answers 503.
    registers_url: str | None = None
    # How long the registers' answer about a person is reused in this process (integration/registers.py says why
    # that is safe); at most a minute, 0: ask every time.
    protection_cache_seconds: float = Field(default=60.0, ge=0, le=60)

    # The decision proposal made on every submission (service/proposals.py).
    # Proposals made at once per replica: each mostly waits on the registers, so several overlap (database
    # connections: one per proposal in progress, plus the claim).
    proposal_job_concurrency: int = Field(default=16, ge=1, le=64)
    # ...and while this replica is answering requests: people waiting for an answer come first. At the month's
    # peak the proposals fall behind and catch up when it is quieter (bench/applications.py shows both).
    proposal_job_busy_concurrency: int = Field(default=2, ge=1, le=64)
    proposal_jobs_enabled: bool = True  # the worker that runs them (tests turn it off and call jobs.run_once())
    # Stated and register income of one kind and person may differ by this many kronor and still agree.
    proposal_income_tolerance: int = Field(default=100, ge=0, le=100_000)
    # The share of proposals drawn for a closer look (per mille), with the trust-check seed: reproducible.
    proposal_trust_check_per_mille: int = Field(default=20, ge=0, le=1000)
    register_legal_basis: str = Field(
        default="Socialtjänstlagen (2025:400), prövning av rätt till ekonomiskt bistånd; "
                "lag (2008:975) om uppgiftsskyldighet vid samordning mellan välfärdssystemen",
        min_length=1, max_length=200)
    # The day of the month payments run: an automated approval can be undone until the first payment day on or
    # after the decision (or until the case is marked paid, if that comes first).
    payout_day: int = Field(default=25, ge=1, le=28)
    meetings_url: str | None = None  # asked for its part of a register extract

    # Register extracts (registerutdrag, GDPR art. 15). The services asked for their part besides this one, each
    # at its ``<name>_url`` setting (BISTAND_<NAME>_URL), over POST /internal/subject-access. A listed service
    # without a URL shows as a part missing ("not connected").
    registerutdrag_services: str = "messaging,meetings,registers"
    registerutdrag_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    # How long a gathered extract is kept for the client to download again (the request row stays, purged of it).
    registerutdrag_keep_days: int = Field(default=30, ge=1, le=365)
    # A request like one made this recently by the same person (for the same client) gets that one back (200)
    # instead of asking every service again: a double click, or a script, costs nothing. 0: off.
    registerutdrag_reuse_seconds: int = Field(default=600, ge=0, le=86400)
    registerutdrag_purge_seconds: float = 3600.0  # how often the worker purges extracts whose time is up; 0: off
    # A Unicode TrueType font for the extract's PDF (any name prints as written); absent: core Helvetica (latin-1).
    pdf_font_path: str | None = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

    def pdf_font(self) -> str | None:
        """The font file when it is there (read once at start)."""
        return self.pdf_font_path if self.pdf_font_path and os.path.isfile(self.pdf_font_path) else None

    def registerutdrag_service_list(self) -> list[str]:
        return [s for s in comma_list(self.registerutdrag_services) if s != "applications"]

    # Paper letters (POST /internal/letters): the service clients that may ask for one (messaging's post room), and
    # the social services' contact printed in them (how to answer without e-ID); unset: a neutral sentence instead.
    letter_clients: str = "messaging"
    letter_postal_address: str | None = Field(default=None, max_length=200)
    letter_phone: str | None = Field(default=None, max_length=40)

    # Delivery of outbox events to messaging.
    relay_enabled: bool = True  # tests turn it off and call relay.run_once()
    relay_poll_seconds: float = 2.0
    # After a commit wakes the relay, the events of this long go to messaging in one batch (0: each at once).
    relay_linger_seconds: float = Field(default=0.05, ge=0, le=5)
    relay_backoff_seconds: float = 5.0
    relay_max_backoff_seconds: float = 600.0

    # Attachments.
    attachment_max_bytes: int = 10 * 1024 * 1024
    max_attachments: int = 30

    # Trust checks (ekonomisk avstämning): cases per caseworker and month, and the municipality's secret seed.
    trust_checks_per_caseworker: int = 5
    trust_check_seed: str = "dev-insecure-trust-check-seed"

    # Service clients (client_id of the service token) that may take a case's system steps, such as marking
    # it paid (the payment system). Other services' tokens read routing facts only.
    system_clients: str = "payments"

    def system_client_set(self) -> frozenset[str]:
        return frozenset(comma_list(self.system_clients))

    # Work queue page size limit.
    queue_max_limit: int = 200
