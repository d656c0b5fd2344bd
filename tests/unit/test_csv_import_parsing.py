"""Reading a center's volunteer spreadsheet, without a database: encodings, XLSX, headers, line numbers, reasons,
and any bytes at all answered with a refusal, never a crash."""
from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from openpyxl import Workbook, load_workbook

from timebank.errors import ValidationFailed
from timebank.volunteers.csv_import import import_template, parse_rows, read_file
from timebank.spreadsheets.reading import MAX_CELLS_PER_ROW, MAX_IMPORT_BYTES, decode_csv

CHINESE = "姓名,手机号,服务中心,身份证后四位,出生年份\n王秀英,13805291234,JK01,123X,1956\n"


def reasons(errors):
    return [(e.line, e.field, e.reason) for e in errors]


def xlsx(rows) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def refusal(data: bytes) -> str:
    with pytest.raises(ValidationFailed) as caught:
        read_file(data)
    assert list(caught.value.fields) == ["file"]
    return caught.value.message


@pytest.mark.parametrize("encoding, expected", [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"),
                                                ("gb18030", "gb18030"), ("utf-16", "utf-16")])
def test_files_from_excel_and_editors_are_decoded(encoding, expected):
    text, found = decode_csv(CHINESE.encode(encoding))
    assert (text, found) == (CHINESE, expected)


def test_bytes_in_no_known_encoding_are_refused():
    with pytest.raises(ValidationFailed):
        decode_csv(b"\x81\x30\xff\xff\xfe,name\n")


@pytest.mark.parametrize("data", [b"\xef\xbb\xbf\xff\xfe", b"\xff\xfe" + "姓名".encode("utf-16-le") + b"\x00",
                                  b"\xfe\xff\x00", b"\xef\xbb\xbf\xc3"])
def test_a_broken_bom_or_an_odd_length_utf16_file_is_refused_not_a_crash(data):
    assert "UTF-8" in refusal(data) or "CSV or XLSX" in refusal(data)


def test_a_gbk_file_with_an_english_header_is_read_as_gbk_not_mojibake():
    data = "name,phone,center\n郑伟,13805291234,JK01\n".encode("gbk")
    data.decode("utf-8")  # the trap: these bytes are valid UTF-8 too (֣ΰ)
    parsed = read_file(data)
    assert parsed.encoding == "gb18030"
    assert [row.name for row in parsed.rows] == ["郑伟"]


def test_accented_latin_in_utf8_stays_utf8():
    parsed = read_file("name,phone,center\nJosé Müller,13805291234,JK01\n".encode("utf-8"))
    assert (parsed.encoding, parsed.rows[0].name) == ("utf-8", "José Müller")


@pytest.mark.parametrize("data", [
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10",  # an image
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01",  # a photo
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00",
    b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\x00",
])
def test_an_image_or_other_binary_is_not_a_csv_or_xlsx_file(data):
    assert "not a CSV or XLSX file" in refusal(data)


def test_a_zip_that_is_no_workbook_and_an_old_xls_are_named_for_what_they_are():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    assert "not a CSV or XLSX file" in refusal(out.getvalue())
    assert ".xls" in refusal(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)


def test_a_file_over_the_cap_is_refused_before_it_is_read():
    assert "too large" in refusal(b"name,phone,center\n" + b"x" * MAX_IMPORT_BYTES)


def test_an_xlsx_sheet_reads_like_the_csv():
    data = xlsx([["姓名", "手机号", "服务中心", "身份证后四位", "出生年份", "备注"],
                 ["王秀英", 13805291234, "jk01", "123X", 1956, "腿脚不便"],
                 [None, None, None],
                 ["李四", "13805291235", "JK01", "0123", date(1960, 5, 1).year]])
    parsed = read_file(data)
    assert parsed.encoding == "xlsx" and parsed.errors == []
    assert [(r.line, r.name, r.phone, r.center, r.id_card_tail, r.birth_year) for r in parsed.rows] == [
        (2, "王秀英", "13805291234", "JK01", "123X", 1956), (4, "李四", "13805291235", "JK01", "0123", 1960)]
    assert [(w.line, w.code) for w in parsed.warnings] == [(1, "unknown_column")]
    assert parsed.lines_in_file == 4


def test_a_zip_bomb_posing_as_xlsx_is_refused_unopened():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/sharedStrings.xml", b"<sst>" + b" " * (60 * 1024 * 1024) + b"</sst>")
    assert len(out.getvalue()) < MAX_IMPORT_BYTES
    assert "too large" in refusal(out.getvalue())


def test_a_sheet_row_with_a_million_cells_is_refused_before_openpyxl_builds_it():
    workbook = Workbook()
    workbook.active.append(["name", "phone", "center"])
    out = io.BytesIO()
    workbook.save(out)
    source = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    bombed = io.BytesIO()
    with zipfile.ZipFile(bombed, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(b"</sheetData>", b"<row r=\"2\">" + b"<c/>" * (MAX_CELLS_PER_ROW + 1)
                                          + b"</row></sheetData>")
            archive.writestr(item, content)
    assert "too large" in refusal(bombed.getvalue())


def test_a_damaged_xlsx_is_refused_with_a_reason():
    good = xlsx([["name", "phone", "center"]])
    source = zipfile.ZipFile(io.BytesIO(good))
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as archive:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content[: len(content) // 2]
            archive.writestr(item, content)
    assert "cannot be read" in refusal(broken.getvalue())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(
    st.binary(max_size=400),
    st.tuples(st.sampled_from([b"", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"PK\x03\x04", b"name,phone,center\n",
                               "姓名,手机号,服务中心\n".encode("gbk")]),
              st.binary(max_size=400)).map(lambda parts: parts[0] + parts[1]),
    st.text(max_size=300).map(lambda text: ("name,phone,center\n" + text).encode("utf-8")),
))
def test_any_bytes_give_rows_or_a_refusal_never_a_crash(data):
    try:
        parsed = read_file(data)
    except ValidationFailed as refused:
        assert refused.fields["file"] and refused.message
        return
    bad = {error.line for error in parsed.errors}
    assert 0 <= sum(1 for row in parsed.rows if row.line not in bad) <= len(parsed.rows)
    for problem in parsed.errors + parsed.warnings:
        assert problem.reason and problem.message


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
        (3, "name", "Name is empty on this line; it is required."),
        (4, "phone", "Not a mainland mobile number: 12345."),
        (6, "phone", "The phone number 13805291234 is already on line 2."),
        (7, "center", "Service center is empty on this line; it is required."),
        (7, "birth_year", "Not a year of birth between 1900 and this year: 1850."),
        (8, "id_card_tail", "Not the last 4 characters of an ID card: 12."),
    ]
    assert [e.code for e in errors] == ["missing_value", "bad_phone", "duplicate_phone", "missing_value",
                                        "bad_birth_year", "bad_id_card_tail"]
    assert [(row.line, row.bad) for row in rows] == [(2, False), (3, True), (4, True), (6, True), (7, True),
                                                     (8, True)]


def test_a_quoted_cell_over_two_lines_keeps_the_following_line_numbers_right():
    rows, errors = parse_rows('name,phone,center\n"王\n秀英",13805291234,JK01\n李四,bad,JK01\n')
    assert [row.line for row in rows] == [2, 4]
    assert reasons(errors)[0][:2] == (4, "phone")


def test_an_unknown_column_is_ignored_with_a_warning_and_a_missing_one_is_an_error():
    parsed = read_file("姓名,手机号,服务中心,备注\n王秀英,13805291234,JK01,腿脚不便\n".encode("utf-8"))
    assert parsed.errors == [] and [row.phone for row in parsed.rows] == ["13805291234"]
    [warning] = parsed.warnings
    assert (warning.line, warning.code) == (1, "unknown_column")
    assert "备注" in warning.reason and "ignored" in warning.reason

    parsed = read_file("姓名,手机号,地址\n王秀英,13805291234,京口区\n".encode("utf-8"))
    assert [(e.line, e.code, e.field) for e in parsed.errors] == [(1, "missing_column", "center")]
    assert "服务中心" in parsed.errors[0].reason  # the column's one name, as the instructions write it


def test_an_empty_file_is_reported():
    assert reasons(parse_rows("")[1]) == [(1, None, "The file is empty: the first line must name the columns.")]


def test_excel_scientific_notation_gets_a_hint():
    _, [error] = parse_rows("name,phone,center\n王秀英,1.38053E+10,JK01\n")
    assert "format the column as text" in str(error.reason)


def test_a_value_beyond_the_named_columns_is_ignored_with_a_warning():
    parsed = read_file("name,phone,center\n王秀英,13805291234,JK01,,\n李四,13805291235,JK01,extra\n".encode())
    assert parsed.errors == [] and len(parsed.rows) == 2
    assert [(w.line, w.code) for w in parsed.warnings] == [(3, "unnamed_column")]


def test_a_200000_character_field_is_one_bad_line_and_the_counts_stay_sane():
    text = "name,phone,center\n王秀英,13805291234,JK01\n李四," + "1" * 200_000 + ",JK01\n"
    parsed = read_file(text.encode("utf-8"))
    assert [(e.line, e.code) for e in parsed.errors] == [(3, "value_too_long")]
    bad = {e.line for e in parsed.errors}
    assert (len(parsed.rows), sum(1 for r in parsed.rows if r.line not in bad)) == (2, 1)


def test_a_long_bad_value_is_not_echoed_whole():
    _, [error] = parse_rows("name,phone,center\n王秀英," + "9" * 5000 + ",JK01\n")
    assert error.code == "bad_phone" and len(error.reason) < 120


def test_lines_in_the_file_count_the_header_and_blank_lines():
    parsed = read_file("name,phone,center\n\n王秀英,13805291234,JK01\n\n李四,13805291235,JK01\n\n".encode())
    assert (len(parsed.rows), parsed.lines_in_file) == (2, 5)


def test_semicolons_tabs_and_fullwidth_commas_are_understood_as_separators():
    for separator in (";", "\t", "，"):
        [row], errors = parse_rows(separator.join(["姓名", "手机号", "服务中心"]) + "\n"
                                   + separator.join(["王秀英", "13805291234", "JK01"]) + "\n")
        assert errors == [] and row.phone == "13805291234"


@pytest.mark.parametrize("chinese, headers", [(True, ["姓名", "手机号", "服务中心", "身份证后四位", "出生年份"]),
                                              (False, ["name", "phone", "center", "id_card_tail", "birth_year"])])
def test_the_templates_are_accepted_by_the_import_they_are_for(chinese, headers):
    data, content_type, name = import_template("csv", chinese=chinese)
    assert data.startswith(b"\xef\xbb\xbf") and content_type.startswith("text/csv") and name.endswith(".csv")
    assert data[3:].decode("utf-8").strip() == ",".join(headers)
    parsed = read_file(data + "王秀英,13805291234,JK01,,\r\n".encode("utf-8"))
    assert parsed.errors == [] and parsed.warnings == [] and len(parsed.rows) == 1

    data, content_type, name = import_template("xlsx", chinese=chinese)
    assert content_type.endswith("spreadsheetml.sheet") and name.endswith(".xlsx")
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook.worksheets[0]
    assert [cell.value for cell in sheet[1]] == headers
    assert sheet["B2"].number_format == "@"  # phones stay text: no 1.38E+10
    sheet.append(["王秀英", "13805291234", "JK01"])
    out = io.BytesIO()
    workbook.save(out)
    parsed = read_file(out.getvalue())
    assert parsed.errors == [] and parsed.warnings == [] and [r.phone for r in parsed.rows] == ["13805291234"]


def _every_import_message():
    from timebank.spreadsheets import lines, pending, reading, uploads
    from timebank.volunteers import csv_import

    texts = dict(csv_import.MESSAGES)
    texts.update({name: value for module in (csv_import, reading, lines, pending, uploads)
                  for name, value in vars(module).items()
                  if type(value).__name__ == "LazyString"})
    texts.update({f"column:{k}": v for k, v in csv_import.COLUMN_NAMES.items()})
    texts.update({f"note:{k}": v for k, v in csv_import._COLUMN_NOTES.items()})
    return texts


def test_every_message_of_the_import_exists_in_chinese():
    from pathlib import Path

    from flask import Flask
    from flask_babel import Babel, force_locale

    import timebank

    app = Flask(__name__)
    Babel(app, default_locale="zh_CN",
          default_translation_directories=str(Path(timebank.__file__).parent / "translations"))
    params = {"line": 2, "count": 3, "column": "center", "column_name": "x", "label": "备注", "position": 4,
              "expected": "…", "value": "12", "max": 60, "phone": "13805291234", "code": "JK01", "id": 1,
              "name": "王秀英", "rows": 1, "cells": 1, "megabytes": 5}
    texts = _every_import_message()
    assert len(texts) > 30
    untranslated = []
    with app.test_request_context():
        for name, text in texts.items():
            with force_locale("zh_CN"):
                chinese = str(text) % params
            with force_locale("en"):
                english = str(text) % params
            if chinese == english or not any("\u4e00" <= ch <= "\u9fff" for ch in chinese.replace("备注", "")
                                             .replace("王秀英", "")):
                untranslated.append(name)
    assert untranslated == []
