"""The reports' pure parts: periods on the city's clock, hours as text, the fast JSON of the hours' rows, and the
chart's SVG made fit for a page whose CSP allows no inline style."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, datetime, timezone

import pytest

from timebank.reports import rules
from timebank.reports.charts import inline_svg
from timebank.reports.queries import HoursRow
from timebank.reports.schemas import HoursRowSchema, hours_row_json


def test_a_period_is_local_days_both_included():
    period = rules.period(date(2026, 3, 1), date(2026, 3, 31), "Asia/Shanghai")
    assert period.starts == datetime(2026, 2, 28, 16, 0, tzinfo=timezone.utc)
    assert period.ends == datetime(2026, 3, 31, 16, 0, tzinfo=timezone.utc)
    assert rules.period(None, None, "Asia/Shanghai").starts is None


@pytest.mark.parametrize(("first", "last", "problem"), [
    (date(2026, 5, 1), date(2026, 4, 30), ("to", "to_before_from")),
    (date(1999, 12, 31), None, ("from", "too_far")),
])
def test_a_period_that_is_none_names_its_field(first, last, problem):
    with pytest.raises(ValueError) as refused:
        rules.period(first, last, "Asia/Shanghai")
    assert refused.value.args == problem


def test_hours_are_rounded_half_up_to_two_places():
    assert [rules.hours_text(m) for m in (0, 20, 90, 61, 1)] == ["0.00", "0.33", "1.50", "1.02", "0.02"]
    assert rules.twelve_months_back(date(2026, 2, 15)) == (date(2025, 3, 1), date(2026, 2, 15))
    assert rules.twelve_months_back(date(2026, 12, 2)) == (date(2026, 1, 1), date(2026, 12, 2))


def test_the_hours_rows_json_is_what_the_schema_would_dump():
    row = HoursRow("JK01", "京口中心", "visit", "探访", "Visit", "2026-11", 3, 95, 158)
    assert hours_row_json(row) == HoursRowSchema().dump(row)


def test_a_chart_keeps_no_inline_style_and_says_its_title():
    made = ('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10pt" height="5pt" '
            'viewBox="0 0 10 5"><metadata>x</metadata><defs><style>*{stroke-linecap: butt}</style></defs>'
            '<path d="M 0 0 L 1 1" style="fill: #ffffff; stroke: #000; stroke-width: 0.8; unknown: x"/></svg>')
    svg = ET.fromstring(inline_svg(made, title="每月服务时长 <&>"))
    path = svg.find("{http://www.w3.org/2000/svg}path")
    assert path.get("fill") == "#ffffff" and path.get("stroke-width") == "0.8" and path.get("style") is None
    assert path.get("unknown") is None
    assert svg.find("{http://www.w3.org/2000/svg}title").text == "每月服务时长 <&>"
    assert svg.get("width") is None and svg.get("viewBox") == "0 0 10 5"
    assert not list(svg.iter("{http://www.w3.org/2000/svg}style"))
