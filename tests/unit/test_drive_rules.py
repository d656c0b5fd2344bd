"""The drives' and the catalog's pure rules: a drive's window and phase, the limit per volunteer, SKUs and prices."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from timebank.catalog.rules import MAX_PRICE, check_price, normalize_sku
from timebank.drives import rules

OPENS = datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)
CLOSES = OPENS + timedelta(days=7)
UNTIL = OPENS + timedelta(days=14)


def test_a_good_window_has_no_problems_and_a_bad_one_names_its_field():
    assert rules.window_problems(OPENS, CLOSES, UNTIL) == {}
    assert rules.window_problems(OPENS, CLOSES, CLOSES) == {}  # pickup may end when reservations close
    assert rules.window_problems(OPENS, OPENS, UNTIL) == {"closes_at": "closes_before_opening"}
    assert rules.window_problems(OPENS, CLOSES, CLOSES - timedelta(seconds=1)) == \
        {"pickup_until": "pickup_before_closing"}
    assert rules.window_problems(OPENS.replace(tzinfo=None), CLOSES, UNTIL) == {"opens_at": "naive"}


def test_a_new_drive_must_close_after_now():
    assert rules.new_drive_problems(CLOSES, now=OPENS) == {}
    assert rules.new_drive_problems(CLOSES, now=CLOSES) == {"closes_at": "closed_already"}
    assert rules.new_drive_problems(CLOSES - timedelta(days=365), now=OPENS) == {"closes_at": "closed_already"}


@pytest.mark.parametrize("moment, phase", [(OPENS - timedelta(seconds=1), "upcoming"), (OPENS, "open"),
                                           (CLOSES - timedelta(seconds=1), "open"), (CLOSES, "pickup"),
                                           (UNTIL - timedelta(seconds=1), "pickup"), (UNTIL, "over")])
def test_a_drives_phase_follows_the_clock(moment, phase):
    assert rules.phase(OPENS, CLOSES, UNTIL, moment) == phase
    assert rules.takes_reservations(OPENS, CLOSES, moment) is (phase == "open")
    assert rules.hands_over(OPENS, UNTIL, moment) is (phase in ("open", "pickup"))


def test_the_limit_counts_what_is_already_held_or_handed_over():
    assert not rules.over_limit(3, 1, 2)
    assert rules.over_limit(3, 2, 2)
    assert not rules.over_limit(None, 500, 99)


def test_a_line_costs_its_price_times_its_quantity_and_repeats_are_found_in_order():
    assert rules.line_amount(12_50, 3) == 37_50
    with pytest.raises(ValueError):
        rules.line_amount(-1, 1)
    assert rules.duplicates(["A", "B", "A", "C", "B", "A"]) == ["A", "B"]


def test_a_sku_is_kept_in_capitals_and_refused_when_it_is_not_one():
    assert normalize_sku(" rice-5kg ") == "RICE-5KG"
    assert normalize_sku("ＯＩＬ_５Ｌ") == "OIL_5L"  # full-width folded
    for bad in ("", "-RICE", "米", "A" * 33, None, 5):
        with pytest.raises(ValueError):
            normalize_sku(bad)


def test_a_price_is_more_than_nothing_and_bounded():
    assert check_price(1) == 1 and check_price(MAX_PRICE) == MAX_PRICE
    for bad in (0, -1, MAX_PRICE + 1, True, 1.5):
        with pytest.raises(ValueError):
            check_price(bad)
