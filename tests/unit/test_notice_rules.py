"""The notices' pure rules: the two windows, the city's day a lot expires on, and the words of the message; and the
page saying, in Chinese, exactly what the phone received."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import pytest
from flask import Flask
from flask_babel import force_locale

from timebank.notices.display import notice_sentence
from timebank.notices.rules import (SENDER, WITHIN_7_DAYS, WITHIN_30_DAYS, chinese_date, local_day, message_text,
                                    windows)
from timebank.web import i18n

NOW = datetime(2026, 12, 6, 1, 0, tzinfo=timezone.utc)


def test_the_windows_are_the_week_then_the_rest_of_the_month_without_overlap():
    week, month = windows(NOW)
    assert (week.kind, week.after, week.until) == (WITHIN_7_DAYS, NOW, NOW + timedelta(days=7))
    assert (month.kind, month.after, month.until) == (WITHIN_30_DAYS, NOW + timedelta(days=7),
                                                      NOW + timedelta(days=30))


def test_the_day_is_the_citys_not_utcs():
    evening_utc = datetime(2027, 1, 4, 16, 30, tzinfo=timezone.utc)  # 00:30 on 5 January in Shanghai
    assert local_day(evening_utc, "Asia/Shanghai") == date(2027, 1, 5)
    assert local_day(evening_utc, "UTC") == date(2027, 1, 4)


def test_a_date_is_written_as_people_write_it():
    assert chinese_date(date(2027, 1, 5)) == "2027年1月5日"
    assert chinese_date(date(2026, 12, 26)) == "2026年12月26日"


def test_the_message_names_the_amount_and_the_day_in_plain_words():
    expires = datetime(2027, 1, 4, 16, 30, tzinfo=timezone.utc)
    assert message_text(WITHIN_30_DAYS, amount=1250, expires_at=expires, zone="Asia/Shanghai") == \
        "【时间银行】您有 12.50 时间币将于 2027年1月5日 到期，请在兑换活动中使用。"
    assert message_text(WITHIN_7_DAYS, amount=5, expires_at=expires, zone="Asia/Shanghai") == \
        "【时间银行】您有 0.05 时间币将于 2027年1月5日 到期，只剩几天了，请尽快在兑换活动中使用。"


@pytest.mark.parametrize("kind", [WITHIN_30_DAYS, WITHIN_7_DAYS])
def test_the_page_says_in_chinese_what_the_phone_received_and_in_english_the_same(kind):
    app = Flask(__name__)
    i18n.init_app(app)  # the city's clock: Asia/Shanghai
    expires = datetime(2027, 1, 4, 16, 30, tzinfo=timezone.utc)
    with app.app_context():
        with force_locale("zh_CN"):
            chinese = re.sub(r"<[^>]+>", "", str(notice_sentence(kind, 1250, expires)))
        with force_locale("en"):
            english = re.sub(r"<[^>]+>", "", str(notice_sentence(kind, 1250, expires)))
    assert SENDER + chinese == message_text(kind, amount=1250, expires_at=expires, zone="Asia/Shanghai")
    assert english.startswith("You have 12.50 credits that expire on January 5, 2027")
