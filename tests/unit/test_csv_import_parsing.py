"""Reading a center's volunteer spreadsheet, without a database: encodings, headers, line numbers, reasons."""
from __future__ import annotations

from datetime import date

import pytest

from timebank.errors import ValidationFailed
from timebank.volunteers.csv_import import decode_csv, parse_rows

CHINESE = "姓名,手机号,服务中心,身份证后四位,出生年份\n王秀英,13805291234,JK01,123X,1956\n"


def reasons(errors):
    return [(e.line, e.field, e.reason) for e in errors]


@pytest.mark.parametrize("encoding, expected", [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"),
                                                ("gb18030", "gb18030"), ("utf-16", "utf-16")])
def test_files_from_excel_and_editors_are_decoded(encoding, expected):
    text, found = decode_csv(CHINESE.encode(encoding))
    assert (text, found) == (CHINESE, expected)


def test_bytes_in_no_known_encoding_are_refused():
    with pytest.raises(ValidationFailed):
        decode_csv(b"\x81\x30\xff\xff\xfe,name\n")


def test_chinese_and_english_headers_in_any_order_give_the_same_rows():
    [chinese], errors = parse_rows(CHINESE)
    assert errors == []
    [english], errors = parse_rows("birth_year,Phone,name,center,ID_Card_Tail\n1956,13805291234,王秀英,jk01,123x\n")
    assert errors == []
    assert chinese == english
    assert (chinese.name, chinese.phone, chinese.center, chinese.id_card_tail, chinese.birth_year) == (
        "王秀英", "13805291234", "JK01", "123X", 1956)


def test_optional_columns_may_be_missing_entirely():
    [row], errors = parse_rows("name,phone,center\n李四,138 0529 1235,JK01\n")
    assert errors == [] and row.id_card_tail is None and row.birth_year is None


def test_every_bad_line_is_reported_with_its_line_number_and_reason():
    text = ("姓名,手机号,服务中心,身份证后四位,出生年份\n"
            "王秀英,13805291234,JK01,,1956\n"       # line 2: good
            ",13805291235,JK01,,\n"                 # line 3: no name
            "李四,12345,JK01,,\n"                   # line 4: bad phone
            "\n"                                    # line 5: blank, skipped
            "赵五,13805291234,JK01,,\n"             # line 6: same phone as line 2
            "钱六,13805291236,,,1850\n"              # line 7: no center, bad year
            "孙七,13805291237,JK01,12,\n")          # line 8: bad ID tail
    rows, errors = parse_rows(text)
    assert reasons(errors) == [
        (3, "name", "This line has no value in the column 姓名/name."),
        (4, "phone", "12345: Please enter a mainland mobile number: 11 digits starting with 13 to 19."),
        (6, "phone", "The phone number 13805291234 is already on line 2."),
        (7, "center", "This line has no value in the column 服务中心/center."),
        (7, "birth_year", f"1850: Please enter a year of birth from 1900 to {date.today().year}."),
        (8, "id_card_tail", "12: The ID card tail is 4 characters: 3 digits, then a digit or X."),
    ]
    assert [(row.line, row.bad) for row in rows] == [(2, False), (3, True), (4, True), (6, True), (7, True),
                                                     (8, True)]


def test_a_quoted_cell_over_two_lines_keeps_the_following_line_numbers_right():
    rows, errors = parse_rows('name,phone,center\n"王\n秀英",13805291234,JK01\n李四,bad,JK01\n')
    assert [row.line for row in rows] == [2, 4]
    assert reasons(errors)[0][:2] == (4, "phone")


def test_an_unknown_or_missing_column_is_reported_on_line_1():
    _, errors = parse_rows("姓名,手机号,地址\n王秀英,13805291234,京口区\n")
    assert [e.line for e in errors] == [1, 1]
    assert "Unknown column 地址" in str(errors[0].reason)
    assert str(errors[1].reason).startswith("The column 服务中心 (center) is missing")


def test_an_empty_file_is_reported():
    assert reasons(parse_rows("")[1]) == [(1, None, "The file is empty: the first line must name the columns.")]


def test_excel_scientific_notation_gets_a_hint():
    _, [error] = parse_rows("name,phone,center\n王秀英,1.38053E+10,JK01\n")
    assert "format the column as text" in str(error.reason)


def test_a_value_beyond_the_named_columns_is_reported_but_trailing_empty_cells_are_not():
    rows, errors = parse_rows("name,phone,center\n王秀英,13805291234,JK01,,\n李四,13805291235,JK01,extra\n")
    assert reasons(errors)[0][:2] == (3, None)
    assert [row.bad for row in rows] == [False, True]


def test_semicolons_tabs_and_fullwidth_commas_are_understood_as_separators():
    for separator in (";", "\t", "，"):
        [row], errors = parse_rows(separator.join(["姓名", "手机号", "服务中心"]) + "\n"
                                   + separator.join(["王秀英", "13805291234", "JK01"]) + "\n")
        assert errors == [] and row.phone == "13805291234"
