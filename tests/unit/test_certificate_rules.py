"""The certificate's pure rules: what it shows of a person, its hours, the period asked for, and the year a
service counts in (the city's, not UTC's)."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from timebank.certificates.rules import (
    Period,
    ServedRow,
    check_period,
    hours_text,
    mask_id_card,
    mask_phone,
    summarize,
    utc_bounds,
)

CITY = ZoneInfo("Asia/Shanghai")


def test_a_certificate_shows_only_what_identifies_without_exposing():
    assert mask_phone("13805291234") == "138****1234"
    assert mask_id_card("123X") == "**************123X" and mask_id_card(None) is None
    assert [hours_text(m) for m in (90, 120, 80, 0)] == ["1.5", "2", "1.33", "0"]


def test_a_period_must_be_in_order_and_not_in_the_future():
    today = date(2026, 12, 1)
    assert check_period(date(2026, 1, 1), date(2026, 12, 1), today=today) == {}
    assert set(check_period(date(2026, 5, 1), date(2026, 4, 1), today=today)) == {"to"}
    assert set(check_period(date(1999, 1, 1), date(2027, 1, 1), today=today)) == {"from", "to"}
    start, end = utc_bounds(Period(date(2026, 1, 1), date(2026, 1, 31)), CITY)
    assert (start, end) == (datetime(2025, 12, 31, 16, tzinfo=timezone.utc),
                            datetime(2026, 1, 31, 16, tzinfo=timezone.utc))


def test_a_service_counts_in_the_year_it_started_on_the_citys_clock():
    rows = [ServedRow(datetime(2025, 12, 31, 17, tzinfo=timezone.utc), 60, "visit", "上门探访", "Home visit"),
            ServedRow(datetime(2025, 12, 31, 15, tzinfo=timezone.utc), 30, "sing", "教唱歌", "Songs"),
            ServedRow(datetime(2025, 6, 1, 1, tzinfo=timezone.utc), 45, "visit", "上门探访", "Home visit")]
    figures = summarize(rows, CITY)
    assert [(y.year, y.records, y.minutes) for y in figures.by_year] == [(2025, 2, 75), (2026, 1, 60)]
    assert [(t.code, t.minutes) for t in figures.by_service_type] == [("visit", 105), ("sing", 30)]
    assert (figures.records, figures.minutes, figures.first_day, figures.last_day) == (
        3, 135, date(2025, 6, 1), date(2026, 1, 1))
