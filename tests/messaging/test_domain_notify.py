"""Notification texts say that there is something and where, never what; contact details are validated."""

from __future__ import annotations

import datetime as dt

import pytest

from services.messaging.domain import notify
from services.messaging.domain.notify import Channel, Kind

BASE = "https://minasidor.kommun.example/"
REVEALING = ("socialtjänst", "bistånd", "försörjningsstöd", "handläggare", "enhet", "kronor", "kr ", "avslag",
             "bifall", "social", "welfare", "assistance", "caseworker", "rejected", "approved")


@pytest.mark.parametrize("kind", list(Kind))
@pytest.mark.parametrize("lang", ["sv", "en"])
def test_texts_reveal_nothing_and_say_where(kind, lang):
    text = notify.text(kind, lang, BASE)
    for part in (text.subject, text.sms, text.email):
        for word in REVEALING:
            assert word not in part.lower(), (word, part)
    assert notify.link(kind, BASE) in text.sms and notify.link(kind, BASE) in text.email
    assert len(text.sms) <= 160  # one SMS segment
    assert "//" not in notify.link(kind, BASE).removeprefix("https://")


def test_swedish_and_english():
    assert notify.text(Kind.MESSAGE, "sv", BASE).sms == (
        "Du har ett nytt meddelande att läsa. Logga in för att läsa: https://minasidor.kommun.example/meddelanden")
    assert notify.text(Kind.MESSAGE, "en", BASE).subject == "New message"


def test_topics():
    assert notify.kind_for_topic("application.decided") == (True, Kind.DECISION)
    assert notify.kind_for_topic("application.info_requested") == (True, Kind.INFO_REQUESTED)
    assert notify.kind_for_topic("application.submitted") == (True, None)
    assert notify.kind_for_topic("application.exploded") == (False, None)


def test_never_for_protected_identity():
    assert notify.should_notify(protected_identity=True, channels=frozenset(Channel)) == frozenset()
    assert notify.should_notify(protected_identity=False, channels=frozenset({Channel.SMS})) == {Channel.SMS}


@pytest.mark.parametrize(("raw", "e164"), [("070-123 45 67", "+46701234567"), ("+46 70 123 45 67", "+46701234567"),
                                           ("0046701234567", "+46701234567"), ("(070) 123.45.67", "+46701234567"),
                                           ("+4915112345678", "+4915112345678")])
def test_phone_numbers(raw, e164):
    assert notify.normalise_phone(raw) == e164


@pytest.mark.parametrize("raw", ["12", "abc", "+0701234567", "070-123 45 67 89 12 34 56", ""])
def test_bad_phone_numbers(raw):
    with pytest.raises(notify.ContactInvalid):
        notify.normalise_phone(raw)


@pytest.mark.parametrize("raw", ["a@b", "a b@example.se", "<a@example.se>", "a@-x.se", "@example.se",
                                 "a@example.se\nBcc: x@evil.example"])
def test_bad_email_addresses(raw):
    with pytest.raises(notify.ContactInvalid):
        notify.normalise_email(raw)


def test_email_domain_is_lowercased():
    assert notify.normalise_email(" Anna.A@Example.SE ") == "Anna.A@example.se"


def test_make_contact():
    contact = notify.make_contact(phone="0701234567", email=None, channels=["sms"], protected_identity=False)
    assert contact.channels == {Channel.SMS}
    assert "0701234567" not in repr(contact) and "+46" not in repr(contact)
    with pytest.raises(notify.ContactInvalid) as without:
        notify.make_contact(phone=None, email=None, channels=["email"], protected_identity=False)
    assert without.value.code == "contact-channel-without-address"
    with pytest.raises(notify.ContactNotUsed):
        notify.make_contact(phone="0701234567", email=None, channels=["sms"], protected_identity=True)
    # No channels: details kept, nothing sent.
    assert notify.make_contact(phone="0701234567", email=None, channels=[], protected_identity=False).channels == set()


def test_masks():
    assert notify.mask_phone("+46701234567") == "+467******67"
    assert notify.mask_email("anna@example.se") == "a***@example.se"
    assert notify.mask_phone(None) is None and notify.mask_email(None) is None


def test_meeting_texts_say_when_in_swedish_time_never_where():
    winter = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)  # 10.00 in Stockholm (CET)
    summer = dt.datetime(2026, 6, 2, 8, 30, tzinfo=dt.UTC)  # 10.30 in Stockholm (CEST)
    reminder = notify.text(Kind.MEETING_REMINDER, "sv", BASE, winter)
    assert reminder.sms == ("Påminnelse: du har en bokad tid tisdag 1 december kl. 10.00. "
                            "Logga in för att se mer: https://minasidor.kommun.example/moten")
    assert "on Tuesday 2 June at 10:30" in notify.text(Kind.MEETING_BOOKED, "en", BASE, summer).sms
    for kind in notify.MEETING_KINDS:
        for lang in ("sv", "en"):
            text = notify.text(kind, lang, BASE, winter)
            assert len(text.sms) <= 160
            assert "10" in text.sms and "/moten" in text.sms


def test_meeting_topics():
    assert notify.kind_for_topic("meeting.reminder") == (True, Kind.MEETING_REMINDER)
    assert notify.kind_for_topic("meeting.cancelled") == (True, Kind.MEETING_CANCELLED)
