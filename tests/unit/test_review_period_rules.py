"""The pure rules of review periods: two months on the city's clock, the small-count rule, names kept out."""
from __future__ import annotations

from datetime import datetime, timezone

from timebank.supervision import rules


def test_a_period_is_two_months_on_the_citys_clock():
    # 31 December 23:30 in Zhenjiang is still November–December; half an hour later, January–February
    late = rules.period_of(datetime(2026, 12, 31, 15, 30, tzinfo=timezone.utc), "Asia/Shanghai")
    early = rules.period_of(datetime(2026, 12, 31, 16, 0, tzinfo=timezone.utc), "Asia/Shanghai")
    assert (late.year, late.number, early.year, early.number) == (2026, 6, 2027, 1)
    assert early.starts_at == late.ends_at == datetime(2026, 12, 31, 16, tzinfo=timezone.utc)
    assert rules.period_label(2027, 2, chinese=True) == "2027年3–4月"
    assert rules.period_label(2027, 2, chinese=False) == "Mar–Apr 2027"


def test_figures_about_fewer_than_five_people_are_withheld():
    assert rules.shown_if_enough("3.5", 4) is None
    assert rules.shown_if_enough("3.5", 5) == "3.5"


def test_a_published_comment_names_nobody():
    text = rules.without_names("王小英和王小 都很好，电话 13800000001", ["王小", "王小英", "李"])
    assert text == "＊＊和＊＊ 都很好，电话 ＊＊"


def test_a_long_day_is_recognised_by_its_volunteer_and_date_whatever_records_join_it():
    assert rules.anomaly_key("over_8h_day", [3, 1], volunteer_id=7, day="2026-11-02") == "over_8h_day:7:2026-11-02"
    assert rules.anomaly_key("late_entry", [9]) == "late_entry:9"
    assert rules.anomaly_key("two_centers_at_once", [5, 2]) == "two_centers_at_once:2-5"
