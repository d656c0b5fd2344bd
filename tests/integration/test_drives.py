"""Reservations, cancellations, the pickup desk and the stale sweep through their services, on SQLite and PostgreSQL:
what each holds, refuses, returns and hands over, and that the ledger check stays clean (or catches corruption)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask_babel import Babel
from sqlalchemy import text

from tests.drive_helpers import OIL, RICE, SYSTEM, balance, make_city, stock_of, volunteer_with
from timebank.drives import desk, errors, reservations
from timebank.drives.reservation_queries import get_reservation, list_reservations
from timebank.drives.stale import void_stale_reservations
from timebank.errors import ValidationFailed
from timebank.ledger.check import check_ledger
from timebank.receipts.codec import Kind, receipt_text
from timebank.receipts.services import AlreadyCancelled, AlreadyRedeemed, check_receipt

PREFIX = "HTTPS://TIMEBANK.EXAMPLE.CN"


@pytest.fixture(autouse=True)
def babel_context():
    """Messages and times are rendered lazily; give them an app to render in (English, to read them here)."""
    app = Flask(__name__)
    app.config["BABEL_DEFAULT_LOCALE"] = "en"
    Babel(app)
    with app.test_request_context():
        yield


@pytest.fixture
def city(db):
    return make_city(db)


def reserve(db, city, volunteer, lines, *, center="JK01", actor=None, now=None):
    return reservations.reserve(db, actor=actor or city.volunteer_actor(volunteer.id), drive_id=city.drive.id,
                                center=center, lines=[{"sku": sku, "quantity": q} for sku, q in lines],
                                now=now or city.opened)


def test_a_reservation_holds_credits_and_stock_and_carries_a_valid_voucher(db, city):
    wang = volunteer_with(db, city.jk, 100_00)
    held = reserve(db, city, wang, [("RICE-5KG", 2), ("OIL-5L", 1)])
    assert (held.status, held.total) == ("held", 2 * RICE + OIL)
    assert [(line.sku, line.quantity, line.unit_price) for line in held.lines] == [("OIL-5L", 1, OIL),
                                                                                  ("RICE-5KG", 2, RICE)]
    account = balance(db, wang.id)
    assert (account.balance, account.held, account.available) == (100_00, 55_00, 45_00)
    assert stock_of(db, city.drive.id, "JK01", "RICE-5KG") == (10, 2, 0)
    check = check_receipt(db, code=held.voucher_short_code, kind=Kind.VOUCHER, now=city.opened)
    assert check.valid and check.verdict.receipt.amount == 55_00 and check.verdict.receipt.reference == held.id
    assert check.verdict.receipt.expires_at == city.drive.pickup_until
    assert check_ledger(db) == []


def test_staff_reserve_for_a_volunteer_of_any_center_at_their_own_desk_only(db, city):
    zhao = volunteer_with(db, city.rz, 50_00, name="赵六")  # 通存通兑: earned at RZ01, spent at JK01
    held = reservations.reserve(db, actor=city.staff(city.jk), drive_id=city.drive.id, center="JK01",
                                volunteer_id=zhao.id, lines=[{"sku": "RICE-5KG", "quantity": 1}], now=city.opened)
    assert (held.volunteer_id, held.center) == (zhao.id, "JK01")
    with pytest.raises(ValidationFailed) as refused:
        reservations.reserve(db, actor=city.staff(city.jk), drive_id=city.drive.id, center="RZ01",
                             volunteer_id=zhao.id, lines=[{"sku": "RICE-5KG", "quantity": 1}], now=city.opened)
    assert "center" in refused.value.fields


def test_a_volunteer_reserves_only_for_themselves(db, city):
    wang = volunteer_with(db, city.jk, 50_00)
    li = volunteer_with(db, city.jk, 50_00, name="李四")
    with pytest.raises(ValidationFailed) as refused:
        reservations.reserve(db, actor=city.volunteer_actor(wang.id), drive_id=city.drive.id, center="JK01",
                             volunteer_id=li.id, lines=[{"sku": "RICE-5KG", "quantity": 1}], now=city.opened)
    assert "volunteer_id" in refused.value.fields


def test_a_second_line_out_of_stock_holds_nothing_at_all(db, city):
    wang = volunteer_with(db, city.jk, 500_00)
    with pytest.raises(errors.OutOfStock) as refused:
        reserve(db, city, wang, [("RICE-5KG", 2), ("OIL-5L", 6)])  # 5 oil in stock
    assert refused.value.code == "out_of_stock" and "5 left, 6 asked for" in str(refused.value)
    assert "Cooking oil" in str(refused.value)
    assert stock_of(db, city.drive.id, "JK01", "RICE-5KG") == (10, 0, 0)
    assert stock_of(db, city.drive.id, "JK01", "OIL-5L") == (5, 0, 0)
    assert balance(db, wang.id).held == 0
    assert list_reservations(db, actor=SYSTEM).total == 0
    assert check_ledger(db) == []


def test_not_enough_credits_is_refused_and_holds_nothing(db, city):
    wang = volunteer_with(db, city.jk, 20_00)
    with pytest.raises(errors.InsufficientCredits) as refused:
        reserve(db, city, wang, [("RICE-5KG", 2)])
    assert refused.value.code == "insufficient_credits" and "25.00" in str(refused.value)
    assert "20.00" in str(refused.value)
    assert stock_of(db, city.drive.id, "JK01", "RICE-5KG") == (10, 0, 0)


def test_the_limit_per_volunteer_counts_every_reservation_in_the_drive_at_any_center(db, city):
    wang = volunteer_with(db, city.jk, 500_00)
    reserve(db, city, wang, [("RICE-5KG", 2)])
    with pytest.raises(errors.LimitExceeded) as refused:
        reserve(db, city, wang, [("RICE-5KG", 1)], center="RZ01")
        reserve(db, city, wang, [("RICE-5KG", 2)], center="RZ01")
    assert refused.value.code == "limit_exceeded" and "at most 3" in str(refused.value)
    assert "already has 3" in str(refused.value)
    cancelled = list_reservations(db, actor=SYSTEM, volunteer_id=wang.id).items[-1]
    reservations.cancel_reservation(db, actor=SYSTEM, reservation_id=cancelled.id, now=city.opened)
    assert reserve(db, city, wang, [("RICE-5KG", 2)]).status == "held"  # a cancelled one no longer counts


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_drive_takes_reservations_only_while_it_is_open(db, city, when):
    wang = volunteer_with(db, city.jk, 100_00)
    moment = city.drive.opens_at - timedelta(seconds=1) if when == "before" else city.drive.closes_at
    with pytest.raises(errors.DriveClosed) as refused:
        reserve(db, city, wang, [("RICE-5KG", 1)], now=moment)
    assert refused.value.code == "drive_closed"
    assert reserve(db, city, wang, [("RICE-5KG", 1)], now=city.drive.opens_at).status == "held"


def test_bad_lines_are_refused_with_every_problem(db, city):
    wang = volunteer_with(db, city.jk, 100_00)
    with pytest.raises(ValidationFailed) as refused:
        reserve(db, city, wang, [("RICE-5KG", 0), ("OIL-5L", 1), ("oil-5l", 2)])
    assert [str(m) for m in refused.value.fields["lines"]] == ["A quantity is a whole number from 1 to 99.",
                                                               "SKU OIL-5L is listed twice."]
    with pytest.raises(ValidationFailed) as unknown:
        reserve(db, city, wang, [("FLOUR", 1)])
    assert "FLOUR" in str(unknown.value.fields["lines"][0])
    with pytest.raises(ValidationFailed):
        reserve(db, city, wang, [])


def test_cancel_returns_the_credits_and_the_stock_and_the_voucher_reads_cancelled(db, city):
    wang = volunteer_with(db, city.jk, 100_00)
    held = reserve(db, city, wang, [("RICE-5KG", 2), ("OIL-5L", 1)])
    cancelled = reservations.cancel_reservation(db, actor=city.volunteer_actor(wang.id), reservation_id=held.id,
                                                now=city.opened + timedelta(hours=1))
    assert cancelled.status == "cancelled"
    account = balance(db, wang.id)
    assert (account.balance, account.held, account.available) == (100_00, 0, 100_00)
    assert stock_of(db, city.drive.id, "JK01", "RICE-5KG") == (10, 0, 0)
    assert stock_of(db, city.drive.id, "JK01", "OIL-5L") == (5, 0, 0)
    assert check_receipt(db, code=held.voucher_short_code, now=city.opened).verdict.status == "cancelled"
    with pytest.raises(errors.NotHeld):
        reservations.cancel_reservation(db, actor=SYSTEM, reservation_id=held.id, now=city.opened)
    with pytest.raises(AlreadyCancelled):
        desk.redeem_voucher(db, actor=city.staff(city.jk), text=held.voucher_short_code, now=city.opened)
    assert check_ledger(db) == []


def test_a_volunteer_cannot_cancel_another_volunteers_reservation(db, city):
    wang = volunteer_with(db, city.jk, 100_00)
    li = volunteer_with(db, city.jk, 100_00, name="李四")
    held = reserve(db, city, wang, [("RICE-5KG", 1)])
    with pytest.raises(errors.ReservationNotFound):
        reservations.cancel_reservation(db, actor=city.volunteer_actor(li.id), reservation_id=held.id)
    with pytest.raises(errors.ReservationNotFound):
        reservations.cancel_reservation(db, actor=city.staff(city.rz), reservation_id=held.id)


def test_redeeming_posts_the_hold_sells_the_stock_and_uses_the_voucher_up(db, city):
    wang = volunteer_with(db, city.jk, 100_00)
    held = reserve(db, city, wang, [("RICE-5KG", 2)])
    scanned = receipt_text(PREFIX, held.voucher_token)
    done = desk.redeem_voucher(db, actor=city.staff(city.jk), text=scanned, now=city.opened + timedelta(days=8))
    assert (done.status, done.reservation.status, done.reservation.id) == ("fulfilled", "fulfilled", held.id)
    account = balance(db, wang.id)
    assert (account.balance, account.held) == (75_00, 0)
    assert stock_of(db, city.drive.id, "JK01", "RICE-5KG") == (10, 0, 2)
    check = check_receipt(db, code=held.voucher_short_code, now=city.opened)
    assert check.verdict.status == "redeemed" and check.redeemed_center_code == "JK01"
    assert check_ledger(db) == []


def test_a_second_redeem_says_when_and_where_the_first_was(db, city):
    wang = volunteer_with(db, city.jk, 100_00)
    held = reserve(db, city, wang, [("RICE-5KG", 1)])
    first = city.opened + timedelta(days=2, hours=3)
    desk.redeem_voucher(db, actor=city.staff(city.jk), text=held.voucher_short_code.lower(), now=first)
    with pytest.raises(AlreadyRedeemed) as refused:
        desk.redeem_voucher(db, actor=city.staff(city.jk), text=held.voucher_token, now=first + timedelta(hours=1))
    message = str(refused.value)
    assert refused.value.code == "already_redeemed"
    assert first.strftime("%Y-%m-%d") in message and "京口区大市口中心" in message and "JK01" in message
    assert balance(db, wang.id).balance == 100_00 - RICE  # posted once
    assert check_ledger(db) == []


def test_staff_of_another_center_are_told_which_center_the_voucher_is_for(db, city):
    wang = volunteer_with(db, city.jk, 100_00)
    held = reserve(db, city, wang, [("RICE-5KG", 1)])
    with pytest.raises(errors.WrongCenter) as refused:
        desk.redeem_voucher(db, actor=city.staff(city.rz), text=held.voucher_short_code, now=city.opened)
    assert refused.value.code == "wrong_center"
    assert "京口区大市口中心" in str(refused.value) and "JK01" in str(refused.value)
    assert get_reservation(db, actor=SYSTEM, reservation_id=held.id).status == "held"
    assert stock_of(db, city.drive.id, "JK01", "RICE-5KG") == (10, 1, 0)


def test_what_is_not_a_voucher_is_refused_at_the_desk(db, city):
    with pytest.raises(errors.VoucherNotValid):
        desk.redeem_voucher(db, actor=city.staff(city.jk), text="HTTPS://TIMEBANK.EXAMPLE.CN/R/12345678901234567890"
                                                                "123456789012345678901234567890", now=city.opened)
    with pytest.raises(ValidationFailed) as mistyped:
        desk.redeem_voucher(db, actor=city.staff(city.jk), text="K7QXM-3PA9X", now=city.opened)
    assert "text" in mistyped.value.fields


def test_a_walk_up_is_reserved_and_handed_over_at_once(db, city):
    zhao = volunteer_with(db, city.rz, 100_00, name="赵六")
    done = desk.walk_up(db, actor=city.staff(city.jk), drive_id=city.drive.id, center="JK01", volunteer_id=zhao.id,
                        lines=[{"sku": "OIL-5L", "quantity": 2}], now=city.opened + timedelta(days=9))
    assert (done.status, done.total, done.walk_up) == ("fulfilled", 2 * OIL, True)
    assert balance(db, zhao.id).balance == 100_00 - 2 * OIL
    assert stock_of(db, city.drive.id, "JK01", "OIL-5L") == (5, 0, 2)
    assert check_receipt(db, code=done.voucher_short_code, now=city.opened).verdict.status == "redeemed"
    with pytest.raises(errors.PickupOver):
        desk.walk_up(db, actor=city.staff(city.jk), drive_id=city.drive.id, center="JK01", volunteer_id=zhao.id,
                     lines=[{"sku": "OIL-5L", "quantity": 1}], now=city.drive.pickup_until)
    assert check_ledger(db) == []


def test_reservations_not_picked_up_in_time_are_voided_and_their_vouchers_expire(db, city):
    wang = volunteer_with(db, city.jk, 100_00)
    li = volunteer_with(db, city.jk, 100_00, name="李四")
    stale = reserve(db, city, wang, [("RICE-5KG", 2), ("OIL-5L", 1)])
    picked = reserve(db, city, li, [("RICE-5KG", 1)])
    desk.redeem_voucher(db, actor=city.staff(city.jk), text=picked.voucher_short_code, now=city.opened)
    assert void_stale_reservations(db, now=city.drive.pickup_until - timedelta(seconds=1)) == 0
    after = city.drive.pickup_until + timedelta(minutes=5)
    assert void_stale_reservations(db, now=after) == 1
    assert void_stale_reservations(db, now=after) == 0  # a second run finds nothing to do
    assert get_reservation(db, actor=SYSTEM, reservation_id=stale.id).status == "voided"
    account = balance(db, wang.id)
    assert (account.balance, account.held, account.available) == (100_00, 0, 100_00)
    assert stock_of(db, city.drive.id, "JK01", "RICE-5KG") == (10, 0, 1)
    assert stock_of(db, city.drive.id, "JK01", "OIL-5L") == (5, 0, 0)
    assert check_receipt(db, code=stale.voucher_short_code, now=after).verdict.status == "expired"
    with pytest.raises(errors.VoucherExpired):
        desk.redeem_voucher(db, actor=city.staff(city.jk), text=stale.voucher_short_code, now=after)
    assert check_ledger(db) == []


def test_a_held_reservation_past_pickup_cannot_be_redeemed_before_the_sweep_runs(db, city):
    wang = volunteer_with(db, city.jk, 100_00)
    held = reserve(db, city, wang, [("RICE-5KG", 1)])
    with pytest.raises(errors.VoucherExpired):
        desk.redeem_voucher(db, actor=city.staff(city.jk), text=held.voucher_short_code,
                            now=city.drive.pickup_until)
    assert get_reservation(db, actor=SYSTEM, reservation_id=held.id).status == "held"


def test_the_ledger_check_catches_stock_that_disagrees_with_the_reservations(db, city):
    wang = volunteer_with(db, city.jk, 100_00)
    held = reserve(db, city, wang, [("RICE-5KG", 1)])
    assert check_ledger(db) == []
    db.transaction(lambda s: s.execute(text("UPDATE drive_stock SET held = held + 1 WHERE item_id = "
                                            "(SELECT id FROM catalog_item WHERE sku = 'RICE-5KG')")))
    db.transaction(lambda s: s.execute(text("UPDATE reservation SET status = 'fulfilled', fulfilled_at = created_at "
                                            "WHERE id = :id"), {"id": held.id}))
    found = {violation.rule for violation in check_ledger(db)}
    assert {"drive-stock-matches-reservations", "reservation-hold", "reservation-voucher"} <= found
