from __future__ import annotations

import os
from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from kit.settings import KitSettings

DEV_LINK_SECRET = "dev-insecure-meetings-link-secret"  # noqa: S105 - the public development default, warned about


class MeetingsSettings(KitSettings):
    """Environment variables start with MEETINGS_ (or BISTAND_ for values shared by all services)."""

    model_config = SettingsConfigDict(env_prefix="MEETINGS_", extra="ignore")
    service_name: ClassVar[str] = "meetings"

    # Where booking events and reminders go: the messaging service (BISTAND_MESSAGING_URL is set by `make run`).
    # No URL: events stay in the outbox, undelivered, until one is configured.
    messaging_url: str | None = None

    # The owner of protected identity: the registers service (the population register behind it; BISTAND_REGISTERS_URL
    # is set by `make run`), asked with this service's client credentials (audience registers). No URL, or the
    # register unavailable (503): nobody can tell, so meetings fails closed (a write that names a client answers
    # 503, displays show every client as if protected).
    registers_url: str | None = None
    # Applications, asked who may act for whom (ombud: X-Representation; BISTAND_APPLICATIONS_URL). Unset: every
    # representative is answered 503.
    applications_url: str | None = None
    # How long an answer of the owner is reused in this process (per personnummer).
    protection_cache_seconds: float = 60.0
    # Service clients that may ask for a person's data for their register extract (POST /internal/subject-access).
    subject_access_clients: str = "applications"

    # Paper letters (POST /internal/letters) about a booking: the service clients that may ask for one (messaging's
    # post room), the sender printed at the top, the social services' contact (how to change or cancel by phone or
    # post; unset: a neutral sentence instead) and a Unicode TrueType font (Arabic letters need one).
    letter_clients: str = "messaging"
    municipality: str = "Exempelkommunen"
    letter_postal_address: str | None = Field(default=None, max_length=200)
    letter_phone: str | None = Field(default=None, max_length=40)
    pdf_font_path: str | None = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

    def pdf_font(self) -> str | None:
        """The font file when it is there."""
        return self.pdf_font_path if self.pdf_font_path and os.path.isfile(self.pdf_font_path) else None

    # The workers: reminders that fall due become outbox events; the outbox relay delivers them.
    worker_enabled: bool = True  # tests turn it off and call the workers' run_once()
    worker_poll_seconds: float = 5.0
    outbox_backoff_seconds: float = 5.0
    outbox_max_backoff_seconds: float = 600.0

    # Links handed out: the video room per booking, the one-time join link, the caseworker's calendar feed.
    video_base_url: str = "https://video.kommun.example/m"
    join_base_url: str = "https://minasidor.kommun.example/api/meetings/join"
    feed_base_url: str = "https://minasidor.kommun.example/api/meetings/feeds"
    # Derives each booking's video room token (HMAC), so the room URL can be shown again without storing it.
    link_secret: str = DEV_LINK_SECRET

    # A caseworker's clearance for protected identity is read from their own token on each request and stored; for
    # decisions about someone else (offering their times to a protected client, making them the lead or a participant
    # of a protected client's meeting) a stored clearance older than this counts as none. A working day by default:
    # a withdrawn clearance stops counting within it, and a cleared caseworker who logged in today still counts.
    clearance_max_age_seconds: int = 12 * 3600
    # A calendar feed URL works this long (and stops at once when its owner changes unit, loses the clearance it
    # was made under, or deletes it).
    feed_token_days: int = 90

    # How far back a caseworker's feed reaches (cancelled bookings stay in it this long as CANCELLED).
    feed_past_days: int = 30
    feed_future_days: int = 92
