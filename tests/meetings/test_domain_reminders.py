from __future__ import annotations

import datetime as dt

import pytest

from services.meetings.domain.labels import format_when, meeting_title
from services.meetings.domain.meeting_types import Channel, MeetingKind
from services.meetings.domain.reminders import DueReminder, reminder_text, reminder_times
from tests.meetings.test_domain_factories import OFFICE, booking, sthlm, utc

H = dt.timedelta(hours=1)


def test_due_times_for_24h_and_2h() -> None:
    start = sthlm(2026, 3, 10, 10)
    assert reminder_times(start) == [DueReminder(utc(2026, 3, 9, 9), 24 * H), DueReminder(utc(2026, 3, 10, 7), 2 * H)]


def test_due_times_skip_what_has_passed_at_booking() -> None:
    start = sthlm(2026, 3, 10, 10)
    assert [r.offset for r in reminder_times(start, now=sthlm(2026, 3, 10, 7))] == [2 * H]
    assert reminder_times(start, now=sthlm(2026, 3, 10, 8)) == []  # due exactly now: too late to be useful
    assert len(reminder_times(start, now=sthlm(2026, 3, 1))) == 2


def test_due_times_across_the_autumn_change_are_elapsed() -> None:
    # Monday 26 October 09:00 CET; 24 hours before is Sunday 09:00 CET, i.e. 08:00 UTC.
    reminders = reminder_times(sthlm(2026, 10, 26, 9), [24 * H])
    assert reminders[0].due_at == utc(2026, 10, 25, 8)


def test_offsets_are_checked_and_deduplicated() -> None:
    assert len(reminder_times(sthlm(2026, 3, 10, 10), [2 * H, 2 * H, 24 * H])) == 2
    with pytest.raises(ValueError):
        reminder_times(sthlm(2026, 3, 10, 10), [dt.timedelta(0)])


def test_text_in_swedish_and_english() -> None:
    text = reminder_text(booking(start=sthlm(2026, 1, 6, 9, 30), reference="K7MQ-2XD9"))
    assert text.sv == ("Påminnelse: Du har ett möte tisdag 6 januari 2026 kl. 09.30 (på plats). "
                       f"Plats: {OFFICE}. Bokningsnummer: K7MQ-2XD9.")
    assert text.en == ("Reminder: You have a meeting on Tuesday 6 January 2026 at 09:30 (in person). "
                       f"Place: {OFFICE}. Booking reference: K7MQ-2XD9.")
    assert text.in_language("en") == text.en


def test_phone_and_video_texts_tell_how() -> None:
    phone = reminder_text(booking(channel=Channel.PHONE, start=sthlm(2026, 6, 1, 13)))
    assert "(telefon). Vi ringer dig." in phone.sv and "(phone). We will call you." in phone.en
    assert OFFICE not in phone.sv  # nowhere to go
    video = reminder_text(booking(channel=Channel.VIDEO, start=sthlm(2026, 6, 1, 13)))
    assert "länken till mötet i appen" in video.sv and "http" not in video.sv


def test_summer_time_is_shown_as_local_time() -> None:
    text = reminder_text(booking(start=utc(2026, 7, 1, 7)))
    assert "onsdag 1 juli 2026 kl. 09.00" in text.sv


def test_protected_identity_never_shows_a_place() -> None:
    text = reminder_text(booking(protected_identity=True, start=sthlm(2026, 3, 10, 10)))
    for body in (text.sv, text.en):
        assert OFFICE not in body and "Storgatan" not in body and "Plats" not in body and "Place" not in body
    assert "tisdag 10 mars 2026 kl. 10.00 (på plats)" in text.sv  # still says when and how
    assert "Tuesday 10 March 2026 at 10:00 (in person)" in text.en


def test_home_visit_has_no_address() -> None:
    text = reminder_text(booking(kind=MeetingKind.HOME_VISIT, location=None, start=sthlm(2026, 3, 10, 10)))
    assert text.sv.startswith("Påminnelse: Du har ett hembesök tisdag 10 mars 2026 kl. 10.00")
    assert "Vi kommer hem till dig." in text.sv and "Plats" not in text.sv


def test_nothing_sensitive_in_any_reminder() -> None:
    for kind in MeetingKind:
        for channel in Channel:
            location = None if kind is MeetingKind.HOME_VISIT else OFFICE
            bk = booking(kind=kind, channel=channel, location=location, client_id="198903149808",
                         caseworker_id="cw-anna.andersson")
            for body in (reminder_text(bk).sv, reminder_text(bk).en, reminder_text(bk).ar):
                lowered = body.lower()
                for word in ("socialtjänst", "bistånd", "försörjningsstöd", "198903149808", "anna", "tolk",
                             "interpreter", "social"):
                    assert word not in lowered, (kind, channel, word)


def test_labels() -> None:
    assert meeting_title(MeetingKind.MULTI_PARTY, Channel.VIDEO) == "Samordnat möte (video)"
    assert meeting_title(MeetingKind.PHONE, Channel.PHONE, "en") == "Meeting (phone)"
    assert meeting_title(MeetingKind.DROP_IN, Channel.IN_PERSON) == "Öppen mottagning"
    assert format_when(utc(2026, 10, 25, 1, 30)) == "söndag 25 oktober 2026 kl. 02.30"  # the first 02:30 (CEST)
    assert format_when(utc(2026, 10, 25, 2, 30), "en") == "Sunday 25 October 2026 at 03:30"


ARABIC_DAYS_AND_MONTHS = ("الثلاثاء", "يناير", "مارس")


def arabic_only(text: str, *latin: str) -> bool:
    """Every letter is Arabic, apart from the given Latin parts (a reference, an address)."""
    for part in latin:
        text = text.replace(part, "")
    return all("\u0600" <= ch <= "\u06ff" for ch in text if ch.isalpha())


def test_text_in_arabic() -> None:
    text = reminder_text(booking(start=sthlm(2026, 1, 6, 9, 30), reference="K7MQ-2XD9"))
    assert text.ar == ("تذكير: لديك اجتماع يوم الثلاثاء 6 يناير 2026 الساعة 09:30 (حضوريًا). "
                       f"المكان: {OFFICE}. رقم الحجز: K7MQ-2XD9.")
    assert text.in_language("ar") == text.ar and text.in_language("ar-SE") == text.ar
    assert text.in_language("xx") == text.sv  # an unknown language gets Swedish
    assert arabic_only(text.ar, OFFICE, "K7MQ-2XD9")


def test_arabic_home_visit_and_protected_identity_show_no_place() -> None:
    visit = reminder_text(booking(kind=MeetingKind.HOME_VISIT, location=None, start=sthlm(2026, 3, 10, 10)))
    assert visit.ar.startswith("تذكير: لديك زيارة منزلية يوم الثلاثاء 10 مارس 2026 الساعة 10:00")
    assert "سنزورك في منزلك." in visit.ar and "المكان" not in visit.ar
    protected = reminder_text(booking(protected_identity=True, start=sthlm(2026, 3, 10, 10)))
    assert OFFICE not in protected.ar and "Storgatan" not in protected.ar and "المكان" not in protected.ar
    phone = reminder_text(booking(channel=Channel.PHONE, start=sthlm(2026, 6, 1, 13)))
    assert "(هاتف). سنتصل بك." in phone.ar


def test_labels_in_arabic() -> None:
    assert meeting_title(MeetingKind.MULTI_PARTY, Channel.VIDEO, "ar") == "اجتماع مشترك (فيديو)"
    assert meeting_title(MeetingKind.HOME_VISIT, Channel.IN_PERSON, "ar") == "زيارة منزلية"
    assert format_when(utc(2026, 10, 25, 2, 30), "ar") == "الأحد 25 أكتوبر 2026 الساعة 03:30"
    assert meeting_title(MeetingKind.PHONE, Channel.PHONE, "xx") == "Möte (telefon)"
