"""The record-book import's sheet: its columns, the header names each may go by, its messages, and the blank
template a center fills in (``record_import`` reads the lines)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from timebank.hours.rules import PERIOD_MESSAGES
from timebank.spreadsheets.lines import ImportFormat
from timebank.spreadsheets.reading import say, template_csv, template_xlsx

PENDING_KIND = "service_records"
MAX_LINES = 10_000  # a center's whole paper book is a few thousand lines

COLUMNS = ("phone", "volunteer_id", "name", "center", "service_type", "date", "start", "end", "note")
REQUIRED = ("service_type", "date", "start", "end")  # and the phone or the volunteer's number; admins: the center
HEADERS_ZH = {"phone": "志愿者手机号", "volunteer_id": "志愿者编号", "name": "志愿者姓名", "center": "服务中心",
              "service_type": "服务类型", "date": "日期", "start": "开始时间", "end": "结束时间", "note": "备注"}
COLUMN_NAMES = {"phone": _l("Volunteer's phone"), "volunteer_id": _l("Volunteer number"),
                "name": _l("Volunteer's name"), "center": _l("Service center"), "service_type": _l("Service type"),
                "date": _l("Date"), "start": _l("Start time"), "end": _l("End time"), "note": _l("Note")}
_ALIASES = {
    "phone": ("志愿者手机号", "手机号", "手机", "手机号码", "联系电话", "电话", "phone", "mobile", "phonenumber",
              "volunteerphone"),
    "volunteer_id": ("志愿者编号", "编号", "志愿者号", "volunteerid", "volunteer", "volunteernumber", "id"),
    "name": ("志愿者姓名", "姓名", "志愿者", "name", "volunteername"),
    "center": ("服务中心", "中心", "中心代码", "服务中心代码", "center", "centre", "centercode"),
    "service_type": ("服务类型", "服务项目", "服务内容", "类型", "servicetype", "service", "type"),
    "date": ("日期", "服务日期", "date", "servicedate", "day"),
    "start": ("开始时间", "开始", "起始时间", "start", "starttime", "from", "startedat"),
    "end": ("结束时间", "结束", "end", "endtime", "to", "endedat"),
    "note": ("备注", "说明", "note", "notes", "remark", "remarks"),
}

MESSAGES = {
    "too_many_lines": _l("Too many lines: at most %(count)s service records per file. Split the file."),
    "missing_volunteer": _l("The volunteer is missing on this line: give the phone or the volunteer number."),
    "bad_phone": _l("Not a mainland mobile number: %(value)s."),
    "phone_in_scientific_notation": _l("Not a mainland mobile number: %(value)s. Excel showed the number in "
                                       "scientific notation: format the column as text and type it again."),
    "bad_volunteer_id": _l("Not a volunteer number: %(value)s."),
    "bad_center": _l("Not a center code: %(value)s."),
    "bad_date": _l("Not a date: %(value)s. Write it as 2024-03-05."),
    "bad_time": _l("Not a time of day: %(value)s. Write it as 09:30 or 14:00."),
    "bad_note": _l("The note is longer than %(max)s characters."),
    "end_before_start": _l("The end must be after the start."),
    "too_long": _l("A service record is at most %(hours)s hours long."),
    "in_future": _l("A service cannot be recorded before it has ended."),
    "overnight_too_long": PERIOD_MESSAGES["overnight_too_long"],
    "unknown_center": _l("There is no center with code %(code)s."),
    "inactive_center": _l("Center %(code)s is deactivated."),
    "unknown_volunteer": _l("There is no volunteer %(value)s."),
    "inactive_volunteer": _l("Volunteer %(name)s is deactivated."),
    "name_mismatch": _l("Volunteer %(value)s is %(name)s, not %(written)s: check the phone or the number."),
    "unknown_service_type": _l("There is no service type %(value)s."),
    "inactive_service_type": _l("Service type %(name)s is deactivated."),
    "duplicate_line": _l("The same service is already on line %(line)s."),
    "overlaps_line": _l("This service overlaps the one on line %(line)s for the same volunteer."),
    "overlaps_record": _l("The volunteer already has a service record from %(start)s to %(end)s (number %(id)s) that "
                          "overlaps this one."),
}

FORMAT = ImportFormat(columns=COLUMNS, required=REQUIRED, aliases=_ALIASES, headers_zh=HEADERS_ZH,
                      labels=COLUMN_NAMES, messages=MESSAGES, max_rows=MAX_LINES)

NOTHING_IMPORTED = _l("%(count)s lines of the file have errors; nothing was imported.")

# ------------------------------------------------------------------------------------------- the blank template

_NOTES = {
    "phone": _l("Required (or the volunteer number). The volunteer's 11-digit mobile number."),
    "name": _l("Optional. The volunteer's name: a line whose name does not match the phone is refused."),
    "center": _l("The center's code, such as JK01 (for staff: their own center, and the column may be left out)."),
    "service_type": _l("Required. The service type's code or name, such as 助餐 or visit."),
    "date": _l("Required. The day of the service, such as 2024-03-05."),
    "start": _l("Required. When the service began, such as 09:00 (the center's clock)."),
    "end": _l("Required. When it ended, such as 11:30, at most 12 hours after the start. An end earlier than the "
              "start is the next day: 22:00 to 02:00 is a night of 4 hours."),
    "note": _l("Optional. Anything the paper book says about it."),
}
OTHER_COLUMNS_NOTE = _l("Any other column is ignored. Headers may be in Chinese or English, in any order. Instead "
                        "of the phone, a column 志愿者编号 (volunteer_id) may give the volunteer's number.")
TEMPLATE_TYPES = {"csv": "text/csv; charset=utf-8",
                  "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def template_columns(*, with_center: bool) -> tuple[str, ...]:
    return tuple(c for c in ("phone", "name", "center", "service_type", "date", "start", "end", "note")
                 if with_center or c != "center")


def import_template(kind: str, *, chinese: bool, with_center: bool) -> tuple[bytes, str, str]:
    """The blank file to fill in: ``(bytes, content type, file name)``; headers in Chinese or English."""
    columns = template_columns(with_center=with_center)
    headers = [HEADERS_ZH[c] if chinese else c for c in columns]
    name = "服务记录导入模板" if chinese else "service-record-import-template"
    if kind == "xlsx":
        notes = [(header, say(_NOTES[column])) for header, column in zip(headers, columns)]
        notes.append(("", say(OTHER_COLUMNS_NOTE)))
        # phone, date and times as text: Excel would turn 13805291234 into 1.38E+10 and 9:00 into 0.375
        text = tuple(i for i, c in enumerate(columns, start=1) if c in ("phone", "date", "start", "end"))
        data = template_xlsx(headers, notes, sheet_title="服务记录" if chinese else "records",
                             notes_title="说明" if chinese else "notes", text_columns=text)
    else:
        data = template_csv(headers)
    return data, TEMPLATE_TYPES[kind], f"{name}.{kind}"
