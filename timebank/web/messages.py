"""Words that come from elsewhere (marshmallow, the services) shown on pages in the reader's language.

Marshmallow and the services speak English. A page shows a message it knows here in the current language and any
other as it came, so a new message is never hidden, only untranslated until it is added below.
"""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

ROLE_NAMES = {
    "admin": _l("City admin"),
    "staff": _l("Center staff"),
    "supervisor": _l("Supervisor"),
    "volunteer": _l("Volunteer"),
}

_REQUIRED = _l("This field is required.")

# Messages known word for word: marshmallow's defaults, then the sign-in and people services'.
_EXACT = {
    "Missing data for required field.": _REQUIRED,
    "Field may not be null.": _REQUIRED,
    "Invalid value.": _l("This value is not valid."),
    "Not a valid string.": _l("Please enter text."),
    "Not a valid integer.": _l("Please enter a whole number."),
    "Not a valid number.": _l("Please enter a number."),
    "Number too large.": _l("This number is too large."),
    "Not a valid boolean.": _l("Please choose yes or no."),
    "Not a valid list.": _l("This value is not valid."),
    "Unknown field.": _l("This field is not expected."),
    "unknown field": _l("This field is not expected."),
    "Invalid input type.": _l("This value is not valid."),
    "String does not match expected pattern.": _l("This value is not in the expected format."),
    # signing in and passwords
    "Wrong username or password.": _l("Wrong username or password."),
    "This account is deactivated. Ask the city's administrator.":
        _l("This account is deactivated. Ask the city's administrator."),
    "This password is too common; choose one that is harder to guess.":
        _l("This password is too common; choose one that is harder to guess."),
    "Do not use your username as your password.": _l("Do not use your username as your password."),
    "Choose a password different from the current one.": _l("Choose a password different from the current one."),
    "The current password is wrong.": _l("The current password is wrong."),
    "Your session has ended; sign in again.": _l("Your session has ended; sign in again."),
    # people
    "a phone number is required": _REQUIRED,
    "a name is required": _REQUIRED,
    "not a mainland mobile number (11 digits starting with 13–19)":
        _l("Not a mainland mobile number (11 digits starting with 13 to 19)."),
    "a center code is 1–32 letters, digits, '-' or '_'":
        _l("A center code is 1 to 32 letters, digits, '-' or '_'."),
    "a username is 3–60 letters, digits, '.', '_', '-' or '@', starting with a letter or digit":
        _l("A username is 3 to 60 letters, digits, '.', '_', '-' or '@', starting with a letter or digit."),
    "the ID card tail is 4 characters: 3 digits, then a digit or X":
        _l("The ID card tail is 4 characters: 3 digits, then a digit or X."),
    "not a year": _l("Not a year."),
    "staff need a center": _l("Staff need a center."),
    "only staff have a center": _l("Only staff have a center: leave it empty for this role."),
    "only supervisors are assigned centers": _l("Only supervisors supervise centers: choose none for this role."),
    "a volunteer user is linked to a volunteer profile": _l("A volunteer's sign-in needs the volunteer number."),
    "only volunteer users are linked to a volunteer profile":
        _l("Only a volunteer's sign-in has a volunteer number: leave it empty for this role."),
    "this volunteer already has a user": _l("This volunteer already has a sign-in."),
    "a display name has at most 60 characters": _l("A name has at most 60 characters."),
    "The last active admin cannot be deactivated or demoted: nobody could manage the city any more.":
        _l("The last active admin cannot be deactivated or given another role: nobody could manage the city any "
           "more."),
    "the file is empty: the first line must name the columns":
        _l("The file is empty: the first line must name the columns."),
    "the file is empty": _l("The file is empty."),
    "the file is too large": _l("The file is too large."),
    "the file is not UTF-8 or GB18030 text; save it from Excel as \"CSV UTF-8\"":
        _l("The file is not text in UTF-8 or GB18030. Save it from Excel as \"CSV UTF-8\"."),
}

# Messages with a value inside, each matched by a pattern whose named groups fill the translation.
_PATTERNS = (
    (r"Length must be between (?P<min>\d+) and (?P<max>\d+)\.", _l("Enter between %(min)s and %(max)s characters.")),
    (r"Longer than maximum length (?P<max>\d+)\.", _l("Enter at most %(max)s characters.")),
    (r"Shorter than minimum length (?P<min>\d+)\.", _l("Enter at least %(min)s characters.")),
    (r"Must be greater than or equal to (?P<min>\S+) and less than or equal to (?P<max>\S+)\.",
     _l("Enter a value from %(min)s to %(max)s.")),
    (r"Must be one of: (?P<choices>.*)\.", _l("Choose one of: %(choices)s.")),
    (r"Use at least (?P<count>\d+) characters\.", _l("Use at least %(count)s characters.")),
    (r"Use at most (?P<count>\d+) characters\.", _l("Use at most %(count)s characters.")),
    (r"Too many failed sign-ins\. Try again in (?P<minutes>\d+) minute\(s\)\.",
     _l("Too many failed sign-ins. Try again in %(minutes)s minutes.")),
    (r"a (?P<what>name|district) has at most (?P<max>\d+) characters", _l("Enter at most %(max)s characters.")),
    (r"a (?P<what>name|district) is required", _REQUIRED),
    (r"a name may not contain (?P<char>.+)", _l("A name may not contain %(char)s.")),
    (r"a birth year is between 1900 and (?P<year>\d+)", _l("A year of birth is between 1900 and %(year)s.")),
    (r"not a year: (?P<value>.+)", _l("Not a year: %(value)s.")),
    (r"a center with code (?P<code>\S+) already exists", _l("A center with code %(code)s already exists.")),
    (r"the username (?P<username>\S+) is taken", _l("The username %(username)s is taken.")),
    (r"the phone number (?P<phone>\S+) is already registered",
     _l("The phone number %(phone)s is already registered.")),
    (r"no center with code (?P<code>\S*)", _l("There is no center with code %(code)s.")),
    (r"center (?P<code>\S+) is inactive", _l("Center %(code)s is deactivated.")),
    (r"no volunteer (?P<id>\d+)", _l("There is no volunteer number %(id)s.")),
    (r"must be one of (?P<choices>.*)", _l("Choose one of: %(choices)s.")),
    # the CSV import's line reasons
    (r"missing (?P<column>name|phone|center)", _l("This line has no value in a required column.")),
    (r"bad phone (?P<value>.+?): .*", _l("Not a mainland mobile number: %(value)s.")),
    (r"bad birth year (?P<value>.+?): .*", _l("Not a year of birth between 1900 and this year: %(value)s.")),
    (r"bad ID card tail (?P<value>.+?): .*", _l("Not the last 4 characters of an ID card: %(value)s.")),
    (r"duplicate phone (?P<phone>\S+): already on line (?P<line>\d+)",
     _l("The phone number %(phone)s is already on line %(line)s.")),
    (r"unknown center code (?P<code>\S*)", _l("There is no center with code %(code)s.")),
    (r"phone (?P<phone>\S+) is already registered to volunteer (?P<id>\d+) \((?P<name>.*)\) with different details",
     _l("The phone number %(phone)s belongs to volunteer %(name)s (number %(id)s), with other details.")),
    (r"phone (?P<phone>\S+) is already registered at another center",
     _l("The phone number %(phone)s is already registered at another center.")),
    (r"too many lines: at most (?P<count>\d+) volunteers per file; split the file",
     _l("Too many lines: at most %(count)s volunteers per file. Split the file.")),
    (r"a value in a column without a header .*", _l("A value stands in a column without a header.")),
    (r"unknown column (?P<label>.+) \(column (?P<position>\d+)\); expected .*",
     _l("Unknown column %(label)s (column %(position)s). Expected 姓名/name, 手机号/phone, 服务中心/center, "
        "身份证后四位/id_card_tail, 出生年份/birth_year.")),
    (r"column (?P<label>.+) appears twice", _l("The column %(label)s appears twice.")),
    (r"missing column (?P<column>\w+) \((?P<label>.+)\)", _l("The column %(label)s (%(column)s) is missing.")),
)
_COMPILED = tuple((re.compile(f"^{pattern}$"), text) for pattern, text in _PATTERNS)

# What a page says for a refusal whose message it does not know, by the error's code.
_CODES = {
    "not_found": _l("Not found: it does not exist or is not yours to see."),
    "forbidden": _l("Your role may not do this."),
    "unauthorized": _l("Wrong username or password."),
    "too_many_attempts": _l("Too many failed sign-ins. Please wait a few minutes and try again."),
    "password_change_required": _l("Please change your one-time password first."),
    "own_account": _l("You cannot deactivate your own account: ask another admin."),
    "last_admin": _EXACT["The last active admin cannot be deactivated or demoted: nobody could manage the city "
                         "any more."],
}


def translate(message: str, *, code: str | None = None) -> str:
    """``message`` in the current language when it is known, else as it came."""
    known = _EXACT.get(message)
    if known is not None:
        return str(known)
    for pattern, text in _COMPILED:
        match = pattern.match(message)
        if match:
            return str(text) % match.groupdict()
    if code in _CODES:
        return str(_CODES[code])
    return message
