"""Setting drives up and changing them through the services, on SQLite and PostgreSQL; and a stale reservation whose
hold the ledger's own sweep timed out first."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask_babel import Babel

from tests.drive_helpers import SYSTEM, balance, make_city, stock_of, volunteer_with
from timebank.drives import errors, reservations
from timebank.drives.planning import create_drive, update_drive
from timebank.drives.queries import get_drive
from timebank.drives.reservation_queries import get_reservation
from timebank.drives.stale import void_stale_reservations
from timebank.errors import ValidationFailed
from timebank.ledger import standalone
from timebank.ledger.check import check_ledger
from timebank.ledger.postings import Cause


@pytest.fixture(autouse=True)
def babel_context():
    app = Flask(__name__)
    app.config["BABEL_DEFAULT_LOCALE"] = "en"
    Babel(app)
    with app.test_request_context():
        yield


@pytest.fixture
def city(db):
    return make_city(db)


def setup(city, **changes):
    values = dict(name="冬季兑换", centers=["JK01"], opens_at=city.opened + timedelta(days=1),
                  closes_at=city.opened + timedelta(days=2), pickup_until=city.opened + timedelta(days=3),
                  items=[{"sku": "RICE-5KG", "center": "JK01", "stock": 5, "limit_per_volunteer": 1}], now=city.opened)
    return {**values, **changes}


def test_a_drive_names_every_problem_of_its_setup_at_once(db, city):
    with pytest.raises(ValidationFailed) as refused:
        create_drive(db, actor=SYSTEM, **setup(city, centers=["JK01", "JK01"], items=[
            {"sku": "RICE-5KG", "center": "JK01", "stock": 5, "limit_per_volunteer": 1},
            {"sku": "RICE-5KG", "center": "RZ01", "stock": 5, "limit_per_volunteer": 2},
            {"sku": "OIL-5L", "center": "JK01", "stock": -1, "limit_per_volunteer": None}],
            pickup_until=city.opened))
    fields = {k: [str(m) for m in v] for k, v in refused.value.fields.items()}
    assert set(fields) == {"centers", "items", "pickup_until"}
    assert any("RZ01" in m for m in fields["items"]) and any("two different limits" in m for m in fields["items"])
    with pytest.raises(ValidationFailed) as unknown:
        create_drive(db, actor=SYSTEM, **setup(city, centers=["JK01", "NOPE"]))
    assert "centers" in unknown.value.fields
    with pytest.raises(ValidationFailed) as no_item:
        create_drive(db, actor=SYSTEM, **setup(city, items=[{"sku": "FLOUR", "center": "JK01", "stock": 1}]))
    assert "FLOUR" in str(no_item.value.fields["items"][0])


def test_before_it_opens_a_drive_may_change_anything_and_after_only_its_stock(db, city):
    drive = create_drive(db, actor=SYSTEM, **setup(city))
    moved = update_drive(db, actor=SYSTEM, drive_id=drive.id, closes_at=city.opened + timedelta(days=5),
                         pickup_until=city.opened + timedelta(days=6), centers=["RZ01"], now=city.opened,
                         items=[{"sku": "OIL-5L", "center": "RZ01", "stock": 4, "limit_per_volunteer": None}])
    assert moved.centers == ("JK01", "RZ01") and moved.closes_at == city.opened + timedelta(days=5)
    assert {(e.sku, e.center, e.stock) for e in moved.items} == {("RICE-5KG", "JK01", 5), ("OIL-5L", "RZ01", 4)}
    with pytest.raises(errors.DriveStarted):
        update_drive(db, actor=SYSTEM, drive_id=drive.id, closes_at=city.opened + timedelta(days=4),
                     now=drive.opens_at)
    with pytest.raises(ValidationFailed):  # the merged times must still make sense
        update_drive(db, actor=SYSTEM, drive_id=drive.id, pickup_until=city.opened + timedelta(days=4),
                     now=city.opened)


def test_a_drive_that_would_be_closed_already_is_refused(db, city):
    """A year mistyped (2025 for 2026) would set up a drive nobody can ever reserve in: refused, beside its field."""
    last_year = {name: moment - timedelta(days=365) for name, moment in setup(city).items()
                 if name in ("opens_at", "closes_at", "pickup_until")}
    with pytest.raises(ValidationFailed) as refused:
        create_drive(db, actor=SYSTEM, **setup(city, **last_year))
    assert list(refused.value.fields) == ["closes_at"]
    assert "later than now" in str(refused.value.fields["closes_at"][0])
    upcoming = create_drive(db, actor=SYSTEM, **setup(city))
    with pytest.raises(ValidationFailed) as moved:
        update_drive(db, actor=SYSTEM, drive_id=upcoming.id, now=city.opened,
                     opens_at=city.opened - timedelta(days=3), closes_at=city.opened - timedelta(days=2))
    assert list(moved.value.fields) == ["closes_at"]
    assert get_drive(db, actor=SYSTEM, drive_id=upcoming.id).closes_at == city.opened + timedelta(days=2)


def test_stock_is_added_to_after_opening_but_never_taken_below_what_is_held_and_sold(db, city):
    wang = volunteer_with(db, city.jk, 100_00)
    reservations.reserve(db, actor=city.volunteer_actor(wang.id), drive_id=city.drive.id, center="JK01",
                         lines=[{"sku": "OIL-5L", "quantity": 3}], now=city.opened)
    entry = {"sku": "OIL-5L", "center": "JK01", "limit_per_volunteer": None}
    with pytest.raises(errors.StockBelowReserved) as refused:
        update_drive(db, actor=SYSTEM, drive_id=city.drive.id, items=[{**entry, "stock": 2}], now=city.opened)
    assert "3" in str(refused.value)
    assert stock_of(db, city.drive.id, "JK01", "OIL-5L") == (5, 3, 0)
    update_drive(db, actor=SYSTEM, drive_id=city.drive.id, items=[{**entry, "stock": 3}], now=city.opened)
    update_drive(db, actor=SYSTEM, drive_id=city.drive.id, items=[{**entry, "stock": 50}], now=city.opened)
    assert stock_of(db, city.drive.id, "JK01", "OIL-5L") == (50, 3, 0)
    # More rice at one center, its limit left unnamed: the limit stays; named, it changes for every center.
    update_drive(db, actor=SYSTEM, drive_id=city.drive.id, items=[{"sku": "RICE-5KG", "center": "JK01", "stock": 20}],
                 now=city.opened)
    assert {e.limit_per_volunteer for e in get_drive(db, actor=SYSTEM, drive_id=city.drive.id).items
            if e.sku == "RICE-5KG"} == {3}
    update_drive(db, actor=SYSTEM, drive_id=city.drive.id, now=city.opened,
                 items=[{"sku": "RICE-5KG", "center": "RZ01", "stock": 2, "limit_per_volunteer": None}])
    assert {e.limit_per_volunteer for e in get_drive(db, actor=SYSTEM, drive_id=city.drive.id).items
            if e.sku == "RICE-5KG"} == {None}
    assert check_ledger(db) == []


def test_a_reservation_whose_hold_the_ledger_timed_out_first_is_voided_all_the_same(db, city):
    wang = volunteer_with(db, city.jk, 100_00)
    held = reservations.reserve(db, actor=city.volunteer_actor(wang.id), drive_id=city.drive.id, center="JK01",
                                lines=[{"sku": "RICE-5KG", "quantity": 2}], now=city.opened)
    hold_id = db.transaction(lambda s: s.execute(
        reservations.R.select().where(reservations.R.c.id == held.id)).one().hold_transfer_id)
    after = city.drive.pickup_until + timedelta(minutes=1)
    standalone.time_out_hold(db, hold_id=hold_id, cause=Cause.job("void-stale-holds", 1), now=after)
    assert void_stale_reservations(db, now=after) == 1
    assert get_reservation(db, actor=SYSTEM, reservation_id=held.id).status == "voided"
    assert stock_of(db, city.drive.id, "JK01", "RICE-5KG") == (10, 0, 0)
    assert balance(db, wang.id).available == 100_00
    assert check_ledger(db) == []
