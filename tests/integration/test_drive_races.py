"""Drive-day contention with real threads, on SQLite and PostgreSQL: many volunteers after the last units, one
volunteer sending many reservations, many desks scanning one voucher, a cancel racing a redeem. Each ends with
exactly the outcome the rules allow, and the ledger check clean."""
from __future__ import annotations

from collections import Counter

import pytest
from flask import Flask
from flask_babel import Babel

from tests.drive_helpers import RICE, balance, collide, make_city, stock_of, volunteer_with
from timebank.drives import desk, errors, reservations
from timebank.ledger.check import check_ledger
from timebank.receipts.services import AlreadyCancelled, AlreadyRedeemed


@pytest.fixture(autouse=True)
def babel_context():
    app = Flask(__name__)
    Babel(app)
    with app.test_request_context():
        yield


def reserve_call(db, city, volunteer_id: int, quantity: int = 1):
    return lambda: reservations.reserve(db, actor=city.volunteer_actor(volunteer_id), drive_id=city.drive.id,
                                        center="JK01", lines=[{"sku": "RICE-5KG", "quantity": quantity}])


def outcome(result) -> str:
    return getattr(result, "code", repr(result)) if isinstance(result, Exception) else result.status


def test_twenty_volunteers_after_the_last_five_units_leave_exactly_five_held(db):
    city = make_city(db, rice_stock=5)
    volunteers = [volunteer_with(db, city.jk, 50_00) for _ in range(20)]
    results = collide([reserve_call(db, city, v.id) for v in volunteers])
    assert Counter(map(outcome, results)) == {"held": 5, "out_of_stock": 15}, results
    assert stock_of(db, city.drive.id, "JK01", "RICE-5KG") == (5, 5, 0)
    assert sum(balance(db, v.id).held for v in volunteers) == 5 * RICE
    assert check_ledger(db) == []


def test_a_volunteer_with_credits_for_one_sending_ten_reservations_at_once_gets_one(db):
    city = make_city(db, rice_limit=None)
    wang = volunteer_with(db, city.jk, RICE + 5_00)
    results = collide([reserve_call(db, city, wang.id) for _ in range(10)])
    assert Counter(map(outcome, results)) == {"held": 1, "insufficient_credits": 9}, results
    assert stock_of(db, city.drive.id, "JK01", "RICE-5KG") == (10, 1, 0)
    assert check_ledger(db) == []


def test_the_limit_holds_against_one_volunteers_concurrent_reservations(db):
    city = make_city(db, rice_limit=3)
    wang = volunteer_with(db, city.jk, 500_00)
    results = collide([reserve_call(db, city, wang.id, quantity=2) for _ in range(6)])
    assert Counter(map(outcome, results)) == {"held": 1, "limit_exceeded": 5}, results
    assert check_ledger(db) == []


def test_ten_desks_scanning_one_voucher_at_once_hand_it_over_once(db):
    city = make_city(db)
    wang = volunteer_with(db, city.jk, 100_00)
    held = reserve_call(db, city, wang.id, quantity=2)()
    staff = city.staff(city.jk)
    results = collide([lambda: desk.redeem_voucher(db, actor=staff, text=held.voucher_short_code)
                       for _ in range(10)])
    assert sum(isinstance(r, desk.Redemption) for r in results) == 1, results
    assert all(isinstance(r, (desk.Redemption, AlreadyRedeemed)) for r in results), results
    assert stock_of(db, city.drive.id, "JK01", "RICE-5KG") == (10, 0, 2)
    assert balance(db, wang.id).balance == 100_00 - 2 * RICE
    assert check_ledger(db) == []


def test_a_cancel_racing_a_redeem_leaves_exactly_one_of_them(db):
    city = make_city(db)
    wang = volunteer_with(db, city.jk, 100_00)
    held = reserve_call(db, city, wang.id)()
    results = collide([
        lambda: desk.redeem_voucher(db, actor=city.staff(city.jk), text=held.voucher_short_code),
        lambda: reservations.cancel_reservation(db, actor=city.volunteer_actor(wang.id), reservation_id=held.id)])
    won = [r for r in results if not isinstance(r, Exception)]
    assert len(won) == 1, results
    assert all(isinstance(r, (errors.NotHeld, AlreadyCancelled, AlreadyRedeemed)) for r in results if r not in won)
    assert check_ledger(db) == []
