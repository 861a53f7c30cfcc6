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
    # Protected identity: a letter-only contact, and nothing else (no phone, no e-mail, no other channel).
    letters = notify.make_contact(phone=None, email=None, channels=["letter"], language="ar", protected_identity=True)
    assert (letters.phone, letters.email, letters.channels, letters.language) == (None, None, {Channel.LETTER}, "ar")
    for refused in (dict(phone="0701234567", email=None, channels=["letter"]),
                    dict(phone=None, email="a@example.se", channels=["letter"]),
                    dict(phone=None, email="a@example.se", channels=["letter", "email"]),
                    dict(phone=None, email=None, channels=[])):
        with pytest.raises(notify.ContactNotUsed):
            notify.make_contact(**refused, protected_identity=True)
    # A letter-only contact keeps no phone or e-mail, for anyone: those are for SMS and e-mail alone.
    kept = notify.make_contact(phone="0701234567", email="a@example.se", channels=["letter"], protected_identity=False)
    assert (kept.phone, kept.email) == (None, None)
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


# --- Arabic (right to left): the same rule, in the client's language -------------------------------------------

REVEALING_AR = ("اجتماعي", "اجتماعية", "مساعدة", "إعانة", "موظف", "رفض", "موافقة", "كرونة")
GSM7 = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
           "¿abcdefghijklmnopqrstuvwxyzäöñüà")


def sms_parts(body: str) -> int:
    """How many SMS a gateway sends: 160/153 characters in GSM 7-bit, 70/67 in UCS-2 (any other character)."""
    single, multi = (160, 153) if set(body) <= GSM7 else (70, 67)
    return 1 if len(body) <= single else -(-len(body) // multi)


def arabic_only(part: str, link: str) -> bool:
    """Every letter outside the link is Arabic."""
    return all("\u0600" <= ch <= "\u06ff" for ch in part.replace(link, "") if ch.isalpha())


@pytest.mark.parametrize("kind", list(Kind))
def test_arabic_texts_are_arabic_reveal_nothing_and_say_where_to_log_in(kind):
    winter = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    text = notify.text(kind, "ar", BASE, winter if kind in notify.MEETING_KINDS else None)
    where = notify.link(kind, BASE)
    assert text.lang == "ar"
    for part in (text.subject, text.sms, text.email):
        assert arabic_only(part, where), part
        for word in REVEALING + REVEALING_AR:
            assert word not in part.lower(), (word, part)
    for part in (text.sms, text.email):
        assert "سجّل الدخول" in part and where in part  # "log in", and where
    assert text.email.startswith("مرحبًا،\n\n") and "لا ترد عليها" in text.email  # "do not reply to it"
    assert sms_parts(text.sms) <= 2  # UCS-2: 67 characters a part when split


def test_arabic_meeting_time_and_days():
    summer = dt.datetime(2026, 6, 2, 8, 30, tzinfo=dt.UTC)  # Tuesday 10.30 in Stockholm
    assert notify.when_text(summer, "ar") == "يوم الثلاثاء 2 يونيو الساعة 10:30"
    reminder = notify.text(Kind.MEETING_REMINDER, "ar", BASE, summer)
    assert reminder.subject == "تذكير"
    assert reminder.sms == ("تذكير: لديك موعد محجوز يوم الثلاثاء 2 يونيو الساعة 10:30. "
                            "سجّل الدخول لمعرفة المزيد: https://minasidor.kommun.example/moten")
    assert notify.text(Kind.MEETING_CANCELLED, "ar", BASE).sms.startswith("تم إلغاء موعدك قريبًا.")


def test_swedish_and_english_sms_stay_gsm_one_part():
    winter = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    for kind in Kind:
        for lang in ("sv", "en"):
            assert sms_parts(notify.text(kind, lang, BASE, winter).sms) == 1, (kind, lang)


def test_an_unknown_language_gets_swedish():
    assert notify.text(Kind.MESSAGE, "xx", BASE) == notify.text(Kind.MESSAGE, "sv", BASE)


def test_contact_languages():
    for lang in ("sv", "en", "ar"):
        contact = notify.make_contact(phone="0701234567", email=None, channels=["sms"], language=lang,
                                      protected_identity=False)
        assert contact.language == lang
    with pytest.raises(notify.ContactInvalid) as refused:
        notify.make_contact(phone="0701234567", email=None, channels=["sms"], language="xx", protected_identity=False)
    assert refused.value.code == "contact-invalid-language" and "ar" in str(refused.value)
