"""The ledger's pure rules: credit text, minting arithmetic, FIFO allocation and request fingerprints. No database."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from timebank.ledger.rules import (
    MAX_AMOUNT,
    AllocationShortfall,
    LotView,
    allocate_fifo,
    credits_for_minutes,
    fingerprint,
    format_credits,
    parse_credits,
)

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def lot(lot_id: int, remaining: int, days: int) -> LotView:
    return LotView(lot_id, remaining, T0 + timedelta(days=days))


# ------------------------------------------------------------------------------------------------------ credit text

@pytest.mark.parametrize(("text", "hundredths"), [
    ("0", 0), ("0.0", 0), ("0.00", 0), ("1", 100), ("1.5", 150), ("1.50", 150), ("1.05", 105), ("0.01", 1),
    ("12.34", 1234), ("9999999999.99", 999_999_999_999),
])
def test_credit_text_is_read_as_hundredths(text, hundredths):
    assert parse_credits(text) == hundredths


@pytest.mark.parametrize("text", [
    "", " ", "1.", ".5", "1.234", "-1.00", "+1.00", "01", "00.50", "1,50", "1.5 ", " 1.5", "1e2", "abc", "NaN",
    "１.００", "12345678901", "0x10", "1_000",
    "1\n", "1.50\n", "0\n",  # a trailing newline is not part of an amount
])
def test_malformed_credit_text_is_refused(text):
    with pytest.raises(ValueError):
        parse_credits(text)


@pytest.mark.parametrize("value", [None, 1, 1.5, b"1.50"])
def test_only_text_is_parsed_as_credits(value):
    with pytest.raises(ValueError):
        parse_credits(value)


@pytest.mark.parametrize(("hundredths", "text"), [
    (0, "0.00"), (1, "0.01"), (10, "0.10"), (99, "0.99"), (100, "1.00"), (150, "1.50"), (123456, "1234.56"),
    (-1, "-0.01"), (-150, "-1.50"),
])
def test_credits_are_shown_with_exactly_two_decimals(hundredths, text):
    assert format_credits(hundredths) == text


@given(st.integers(min_value=0, max_value=MAX_AMOUNT - 1))
def test_formatted_credits_read_back_as_the_same_amount(amount):
    assert parse_credits(format_credits(amount)) == amount


@given(st.integers(min_value=-MAX_AMOUNT, max_value=MAX_AMOUNT))
def test_formatted_credits_have_a_sign_only_when_negative_and_two_decimals(amount):
    text = format_credits(amount)
    assert text.startswith("-") == (amount < 0)
    whole, _, frac = text.lstrip("-").partition(".")
    assert len(frac) == 2 and whole.isdigit() and (whole == "0" or not whole.startswith("0"))


@given(st.from_regex(r"\A(0|[1-9][0-9]{0,9})(\.[0-9]{1,2})?\Z"))
def test_any_well_formed_credit_text_survives_a_round_trip_in_canonical_form(text):
    amount = parse_credits(text)
    assert 0 <= amount < MAX_AMOUNT
    canonical = format_credits(amount)
    assert parse_credits(canonical) == amount
    whole, _, frac = text.partition(".")
    assert canonical == f"{whole}.{(frac + '00')[:2]}"


# ----------------------------------------------------------------------------------------------- minting arithmetic

@pytest.mark.parametrize(("minutes", "rate", "credits"), [
    (60, 100, 100),   # one hour of a standard service is 1.00
    (90, 100, 150),
    (1, 100, 1),      # 1.666… hundredths rounds down to 0.01
    (59, 100, 98),    # 98.33 → 98
    (45, 150, 112),   # 112.5 → 112: never rounded up
    (10, 5, 0),       # 0.83 hundredths → nothing
    (0, 100, 0),
    (720, 100, 1200),  # the longest record, 12 h
    (61, 0, 0),
])
def test_credits_for_minutes_is_minutes_times_rate_over_sixty_rounded_down(minutes, rate, credits):
    assert credits_for_minutes(minutes, rate) == credits


@given(st.integers(0, 24 * 60), st.integers(0, 10_000))
def test_credits_for_minutes_is_never_more_than_the_exact_value_and_within_a_hundredth(minutes, rate):
    credits = credits_for_minutes(minutes, rate)
    assert isinstance(credits, int)
    assert credits * 60 <= minutes * rate < (credits + 1) * 60


@given(st.integers(0, 24 * 60), st.integers(0, 24 * 60), st.integers(0, 10_000))
def test_more_minutes_never_earn_fewer_credits(a, b, rate):
    low, high = sorted((a, b))
    assert credits_for_minutes(low, rate) <= credits_for_minutes(high, rate)


@pytest.mark.parametrize(("minutes", "rate"), [(-1, 100), (60, -1)])
def test_negative_minutes_or_rates_are_refused(minutes, rate):
    with pytest.raises(ValueError):
        credits_for_minutes(minutes, rate)


# -------------------------------------------------------------------------------------------------- FIFO allocation

def test_allocation_drains_the_earliest_expiry_first_whatever_the_order_given():
    lots = [lot(1, 100, days=300), lot(2, 100, days=10), lot(3, 100, days=100)]
    assert allocate_fifo(lots, 150) == [(2, 100), (3, 50)]


def test_allocation_within_one_lot_takes_only_what_is_asked():
    assert allocate_fifo([lot(7, 100, days=5)], 30) == [(7, 30)]


def test_lots_expiring_together_are_taken_in_id_order():
    lots = [lot(9, 50, days=10), lot(4, 50, days=10), lot(6, 50, days=10)]
    assert allocate_fifo(lots, 120) == [(4, 50), (6, 50), (9, 20)]


def test_empty_lots_are_skipped():
    lots = [lot(1, 0, days=1), lot(2, 40, days=2), lot(3, 0, days=3), lot(4, 40, days=4)]
    assert allocate_fifo(lots, 60) == [(2, 40), (4, 20)]


def test_the_first_lot_is_drained_before_older_ones():
    lots = [lot(1, 100, days=1), lot(2, 100, days=2), lot(3, 100, days=700)]
    assert allocate_fifo(lots, 150, first=3) == [(3, 100), (1, 50)]


def test_the_first_lot_alone_when_it_covers_the_amount():
    lots = [lot(1, 100, days=1), lot(3, 100, days=700)]
    assert allocate_fifo(lots, 60, first=3) == [(3, 60)]


def test_a_first_lot_that_is_empty_or_absent_changes_nothing():
    lots = [lot(1, 100, days=1), lot(2, 0, days=0), lot(3, 100, days=700)]
    assert allocate_fifo(lots, 150, first=2) == [(1, 100), (3, 50)]
    assert allocate_fifo(lots, 150, first=99) == [(1, 100), (3, 50)]


def test_allocation_of_exactly_everything_empties_every_lot():
    lots = [lot(1, 30, days=1), lot(2, 70, days=2)]
    assert allocate_fifo(lots, 100) == [(1, 30), (2, 70)]


def test_a_shortfall_is_refused_with_the_missing_amount():
    with pytest.raises(AllocationShortfall, match="short by 1"):
        allocate_fifo([lot(1, 30, days=1), lot(2, 70, days=2)], 101)
    with pytest.raises(AllocationShortfall, match="short by 5"):
        allocate_fifo([], 5)


@pytest.mark.parametrize("amount", [0, -1])
def test_allocating_nothing_or_less_is_refused(amount):
    with pytest.raises(ValueError):
        allocate_fifo([lot(1, 30, days=1)], amount)


lot_lists = st.lists(
    st.tuples(st.integers(0, 500), st.integers(0, 20)), min_size=0, max_size=8,
).map(lambda specs: [lot(i + 1, remaining, days) for i, (remaining, days) in enumerate(specs)])


@given(lot_lists, st.integers(1, 5000), st.one_of(st.none(), st.integers(1, 9)))
def test_allocation_takes_exactly_the_amount_without_overdrawing_any_lot_or_reports_a_shortfall(lots, amount, first):
    available = sum(each.remaining for each in lots)
    if amount > available:
        with pytest.raises(AllocationShortfall):
            allocate_fifo(lots, amount, first=first)
        return
    taken = allocate_fifo(lots, amount, first=first)
    by_id = {each.id: each for each in lots}
    assert sum(take for _, take in taken) == amount
    assert len({lot_id for lot_id, _ in taken}) == len(taken)  # each lot at most once
    assert all(0 < take <= by_id[lot_id].remaining for lot_id, take in taken)
    # Only the last lot touched may be left partly full: every earlier one is drained.
    assert all(take == by_id[lot_id].remaining for lot_id, take in taken[:-1])


@given(lot_lists, st.integers(1, 5000))
def test_no_lot_expiring_later_is_touched_while_an_earlier_one_has_credits_left(lots, amount):
    if amount > sum(each.remaining for each in lots):
        return
    taken = dict(allocate_fifo(lots, amount))
    order = sorted(lots, key=lambda each: (each.expires_at, each.id))
    left_over = [each for each in order if each.remaining - taken.get(each.id, 0) > 0]
    touched_positions = [order.index(each) for each in order if each.id in taken]
    if left_over and touched_positions:
        # Whatever still has credits comes no earlier than the last lot that was touched.
        assert order.index(left_over[0]) >= max(touched_positions)


@given(lot_lists, st.integers(1, 5000), st.randoms())
def test_allocation_does_not_depend_on_the_order_the_lots_are_given_in(lots, amount, random):
    if amount > sum(each.remaining for each in lots):
        return
    shuffled = list(lots)
    random.shuffle(shuffled)
    assert allocate_fifo(shuffled, amount) == allocate_fifo(lots, amount)


# ----------------------------------------------------------------------------------------------------- fingerprints

def test_a_fingerprint_is_the_same_for_the_same_request_whatever_the_argument_order():
    expires = datetime(2027, 5, 1, 12, tzinfo=timezone.utc)
    one = fingerprint("mint", account=1, issuer=2, amount=150, expires_at=expires)
    two = fingerprint("mint", expires_at=expires, amount=150, issuer=2, account=1)
    assert one == two
    assert len(one) == 64 and int(one, 16) >= 0  # a SHA-256 hex digest fits the 64-character column


def test_a_fingerprint_is_stable_across_releases():
    """Stored fingerprints must keep matching replays after an upgrade: the digest of a request never changes."""
    assert fingerprint("post", hold=42) == "4686b5329467ecec4db206acd3ef0caea69bca11b066ab6402dc9d9c758e8015"
    expires = datetime(2027, 5, 1, 12, tzinfo=timezone.utc)
    assert fingerprint("mint", account=1, issuer=2, amount=150, expires_at=expires) == (
        "9de214a51590838853c3539dd369ebdeeaec445aa26fbf724d5f50d590c951e9"
    )


@pytest.mark.parametrize("other", [
    ("mint", {"account": 1, "issuer": 2, "amount": 151}),
    ("mint", {"account": 3, "issuer": 2, "amount": 150}),
    ("mint", {"account": 1, "issuer": 2, "amount": 150, "extra": None}),
    ("hold", {"account": 1, "issuer": 2, "amount": 150}),
    ("mint", {"account": 1, "issuer": 2, "amount": "150"}),
])
def test_a_fingerprint_changes_with_any_part_of_the_request(other):
    operation, params = other
    assert fingerprint("mint", account=1, issuer=2, amount=150) != fingerprint(operation, **params)


def test_a_fingerprint_tells_instants_a_microsecond_apart():
    utc = datetime(2027, 5, 1, 12, tzinfo=timezone.utc)
    assert fingerprint("mint", expires_at=utc) != fingerprint("mint", expires_at=utc + timedelta(microseconds=1))


def test_a_fingerprint_refuses_values_it_cannot_spell_canonically():
    with pytest.raises(TypeError):
        fingerprint("mint", amount=object())


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=8,
)


@given(st.text(min_size=1, max_size=10), st.dictionaries(st.from_regex(r"\A[a-z_]{1,8}\Z"), json_values, max_size=4))
def test_a_fingerprint_is_a_pure_function_of_the_request(operation, params):
    params.pop("op", None)  # the operation's own slot
    assert fingerprint(operation, **params) == fingerprint(operation, **dict(reversed(list(params.items()))))


def test_the_largest_amount_round_trips_through_text():
    assert parse_credits(format_credits(MAX_AMOUNT)) == MAX_AMOUNT
    with pytest.raises(ValueError):
        parse_credits(format_credits(MAX_AMOUNT + 1))


def test_one_instant_in_two_offsets_is_one_request():
    from datetime import datetime, timedelta, timezone

    utc = datetime(2026, 11, 27, 4, 0, tzinfo=timezone.utc)
    shanghai = utc.astimezone(timezone(timedelta(hours=8)))
    assert fingerprint("mint", expires_at=utc) == fingerprint("mint", expires_at=shanghai)
    assert fingerprint("mint", expires_at=utc) != fingerprint("mint", expires_at=utc + timedelta(seconds=1))


@pytest.mark.parametrize("lot_id", [1, 7, 1_000_000, 2**62])
def test_an_expiry_fingerprint_hashes_the_json_the_expiry_sql_writes(lot_id):
    """The batch expiry computes ``fingerprint("expire-lot", lot=…)`` in SQL, from this exact text
    (``postings._EXPIRE_FINGERPRINT_OF_LOT``): a change to the canonical JSON must change both."""
    text = '{"lot":' + str(lot_id) + ',"op":"expire-lot"}'
    assert fingerprint("expire-lot", lot=lot_id) == hashlib.sha256(text.encode()).hexdigest()
