from __future__ import annotations

from typing import ClassVar

from pydantic import field_validator
from pydantic_settings import SettingsConfigDict

from kit.settings import KitSettings
from services.messaging.domain import intake
from services.messaging.domain import letters as letters_rules
from services.messaging.store.crypto import DEV_KEYS, Keyring


class MessagingSettings(KitSettings):
    """Environment variables start with MESSAGING_ (or BISTAND_ for values shared by all services)."""

    model_config = SettingsConfigDict(env_prefix="MESSAGING_", extra="ignore")
    service_name: ClassVar[str] = "messaging"

    # "kid:base64key,kid:base64key", the first seals, all open. The default is a DEVELOPMENT key derived
    # from a public string (kid "dev-insecure"): set real keys in production (32 random bytes each).
    # They seal the kit's rows of this service too (idempotency answers, outbox payloads).
    encryption_keys: str = DEV_KEYS
    sealing_keys: str | None = None  # not used: see encryption_keys
    development_values: ClassVar[tuple[str, ...]] = (
        *KitSettings.development_values, DEV_KEYS.partition(":")[2],
        "pHXuHtmuloiw8MdEZX9nd1t1ViDQ6ogL8wk5l+LG+HU=")  # deploy/overlays/dev's key

    # The owner of protected identity: the registers service (BISTAND_REGISTERS_URL is set by `make run` and the
    # manifests), asked with audience registers before a thread is started. Unset: messaging relies on its own copy
    # (development only; refused in production).
    registers_url: str | None = None
    # Service clients that may ask for a person's data for their register extract (POST /internal/subject-access).
    subject_access_clients: str = "applications"

    # Where notifications point the client (never to the content itself).
    public_base_url: str = "https://minasidor.kommun.example"

    # Mail over SMTP. No host: e-mail notifications are skipped (logged), SMS still go.
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "Mina sidor <no-reply@kommun.example>"
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_timeout_seconds: float = 10.0

    # The SMS gateway (BISTAND_SMS_URL is set by `make run`). No URL: SMS notifications are skipped.
    sms_url: str | None = None
    sms_sender: str = "MinaSidor"

    # Delivery of notifications through the outbox.
    notify_relay_enabled: bool = True  # tests turn it off and call relay.run_once()
    notify_poll_seconds: float = 2.0
    notify_backoff_seconds: float = 5.0
    notify_max_backoff_seconds: float = 600.0
    notify_max_attempts: int = 12
    # Notification rows that are done with (sent, skipped, failed, cancelled) are purged by the kit's housekeeping
    # after this many days; pending ones never.
    notification_retention_days: float = 30.0
    notify_quiet_minutes: int = 15  # one notification per thread and person in this time, however many messages

    # Messages.
    retract_window_minutes: int = 5
    max_body_chars: int = 5000
    max_attachments_per_message: int = 5
    attachment_max_bytes: int = 10 * 1024 * 1024  # the applications service's cap is the upper bound
    sender_rate_per_minute: int = 10
    sender_rate_per_hour: int = 120

    # Live updates (Server-Sent Events).
    sse_heartbeat_seconds: float = 15.0
    sse_max_stream_seconds: float = 900.0  # also never past the token's expiry: the client reconnects
    sse_max_streams_per_user: int = 10  # a new stream beyond this ends the caller's oldest one

    # Which service (client_id of its token) may post which topics: "topic.*=client_id" pairs, comma-separated.
    # A topic no pair matches is refused (403), whoever sends it.
    event_topic_senders: str = "application.*=applications,meeting.*=meetings"
    # How far an event's occurred_at may run ahead of our clock, and how old it may be (else 422).
    event_max_ahead_seconds: int = 300
    event_max_age_days: int = 365

    # Letters for clients without digital access (the post room, domain/letters.py). The owners of a letter's content,
    # asked POST /internal/letters with our service token (BISTAND_APPLICATIONS_URL and BISTAND_MEETINGS_URL are set by
    # `make run` and the manifests); unset: that owner's letters wait in the outbox. Applications is also asked who
    # may act for whom (ombud: X-Representation); unset, every representative is answered 503.
    applications_url: str | None = None
    meetings_url: str | None = None
    letter_max_attempts: int = 12  # fetching a letter's PDF: give up (failed, logged) after this many tries
    # The sender on the envelope: a neutral return address ("line;line;postal code and city"), never the unit, the
    # social services or what the letter is about (checked at start).
    letter_return_address: str = "Kommunen;Box 1;123 45 Kommunstad"
    # Skatteverket's mail forwarding for people with protected identity (skatteverket.se: "Sending mail to someone
    # with protected identity", the mail-forwarding address): the outer envelope goes here, the inner one carries the
    # recipient's name and personnummer. Check it against Skatteverket's current instructions before production.
    letter_forwarding_address: str = "Skatteverket;Box 2820;403 20 Göteborg"
    # Recorded by the registers service as the legal basis of the address look-up made for a day's letters.
    letter_legal_basis: str = "FL (2017:900) 33 §; SoL (2025:400): underrättelse om beslut och kallelse per brev"

    @field_validator("letter_return_address")
    @classmethod
    def _neutral_return_address(cls, value: str) -> str:
        letters_rules.PostalAddress.parse(value)
        if letters_rules.tells_content(value):
            raise ValueError("the return address must not say what the letters are about")
        return value

    @field_validator("letter_forwarding_address")
    @classmethod
    def _forwarding_address(cls, value: str) -> str:
        letters_rules.PostalAddress.parse(value)
        return value

    def return_address(self) -> letters_rules.PostalAddress:
        return letters_rules.PostalAddress.parse(self.letter_return_address)

    def forwarding_address(self) -> letters_rules.PostalAddress:
        return letters_rules.PostalAddress.parse(self.letter_forwarding_address)

    @field_validator("event_topic_senders")
    @classmethod
    def _parse_topic_senders(cls, value: str) -> str:
        intake.parse_topic_senders(value)  # a malformed rule stops the start, not the first event
        return value

    def topic_rules(self) -> tuple[intake.TopicRule, ...]:
        return intake.parse_topic_senders(self.event_topic_senders)

    @property
    def event_senders(self) -> str:
        """The service clients that may post events at all (kit.auth.require_service_client's setting)."""
        return ",".join(sorted(intake.senders(self.topic_rules())))

    def sealing_keyring(self) -> Keyring:
        return Keyring.parse(self.encryption_keys)

    def insecure_settings(self) -> list[str]:
        out = super().insecure_settings()
        if not self.registers_url:  # without the owner of protected identity we would trust our copy alone
            out.append("BISTAND_REGISTERS_URL")
        return out
