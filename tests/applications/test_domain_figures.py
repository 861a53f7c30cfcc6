"""The reason for need's categories and rule, and the figures' pure parts: months, Swedish month bounds, channels,
who may read, the CSV."""

from __future__ import annotations

import datetime as dt
import importlib.util
import pathlib

import pytest

from services.applications.domain.figures import (
    CHANNEL_OF_SOURCE,
    Channel,
    FiguresWindowInvalid,
    MonthFigures,
    may_read_figures,
    month_bounds,
    months_between,
    to_csv,
)
from services.applications.domain.need_reasons import (
    TEXTS,
    NeedReason,
    NeedReasonRequired,
    need_reason_out,
    reason_for_decision,
)

MIGRATION = pathlib.Path(__file__).parents[2] / "migrations/applications/versions/0008_figures.py"


def _migration():
    spec = importlib.util.spec_from_file_location("figures_migration", MIGRATION)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_reason_has_labels_and_plain_words_and_the_database_knows_it():
    assert set(TEXTS) == set(NeedReason)
    for text in TEXTS.values():
        for lang in ("sv", "en", "ar"):  # translated in every catalog language (not the English id)
            assert text.label(lang) and text.plain(lang)
            assert lang == "en" or (text.label(lang) != text.en and text.plain(lang) != text.plain("en"))
    assert set(_migration().CODES) == {r.value for r in NeedReason}


def test_a_persons_decision_names_the_reason_an_automated_one_inherits():
    assert reason_for_decision(automated=False, given=NeedReason.STUDIES) is NeedReason.STUDIES
    with pytest.raises(NeedReasonRequired) as refused:
        reason_for_decision(automated=False, given=None, inherited=NeedReason.STUDIES)
    assert refused.value.status == 422 and refused.value.extra["errors"][0]["field"] == "body.reason_for_need"
    assert reason_for_decision(automated=True, given=None, inherited=NeedReason.PARENTAL_LEAVE) \
        is NeedReason.PARENTAL_LEAVE
    assert reason_for_decision(automated=True, given=NeedReason.STUDIES, inherited=None) is None


def test_the_reason_as_shown():
    assert need_reason_out(None) is None
    assert need_reason_out("studies") == {"code": "studies", "sv": "Utbildning eller studier",
                                          "en": "Education or studies"}
    assert need_reason_out(NeedReason.STUDIES, "en")["text"].startswith("You are studying")


def test_months_between_and_their_limits():
    assert months_between("2025-11", "2026-02") == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert months_between("2026-03", "2026-03") == ["2026-03"]
    with pytest.raises(FiguresWindowInvalid):
        months_between("2026-03", "2026-02")
    assert len(months_between("2024-04", "2026-03")) == 24
    with pytest.raises(FiguresWindowInvalid):
        months_between("2024-03", "2026-03")


def test_month_bounds_are_swedish_midnights():
    start, end = month_bounds("2026-03", "2026-03")
    assert start == dt.datetime(2026, 2, 28, 23, 0, tzinfo=dt.UTC)  # winter time: +01:00
    assert end == dt.datetime(2026, 3, 31, 22, 0, tzinfo=dt.UTC)  # summer time since 29 March: +02:00
    assert month_bounds("2026-11", "2026-12")[1] == dt.datetime(2026, 12, 31, 23, 0, tzinfo=dt.UTC)


def test_every_source_of_a_case_has_a_channel():
    # migration 0002: CHECK (source IN ('digital', 'paper', 'phone', 'visit'))
    assert CHANNEL_OF_SOURCE == {"digital": Channel.DIGITAL, "paper": Channel.PAPER, "phone": Channel.STAFF_MADE,
                                 "visit": Channel.STAFF_MADE}


@pytest.mark.parametrize(("roles", "units", "unit", "may"), [
    ({"admin"}, set(), "nord", True),
    ({"team_lead"}, {"nord"}, "nord", True),
    ({"team_lead"}, {"nord"}, "syd", False),
    ({"caseworker"}, {"nord"}, "nord", False),
    ({"client"}, set(), "nord", False),
])
def test_who_may_read_a_units_figures(roles, units, unit, may):
    assert may_read_figures(roles, units, unit) is may


def test_csv_has_one_row_per_figure():
    month = MonthFigures(month="2026-03")
    month.applications.digital = month.applications.total = 3
    lines = to_csv("nord", [month]).splitlines()
    assert lines[0] == "unit,month,figure,value"
    assert "nord,2026-03,applications.digital,3" in lines
    assert "nord,2026-03,lead_time.median_hours," in lines
    assert "nord,2026-03,reasons_for_need.other,0" in lines
