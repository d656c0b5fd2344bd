"""The certificate's words, in the reader's language: one source for the A4 page and the PDF, so the two never say
different things. The fields are those of the national rules for volunteer service records (《志愿服务记录与证明出具
办法》): the volunteer's name and ID card number, the service content (service types), the service hours, the dates
of service, the issuing organisation and the date of issue, with how to verify it."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import format_date
from flask_babel import gettext as _

from timebank.certificates.rules import hours_text
from timebank.certificates.services import CertificateView
from timebank.receipts.links import current_prefix
from timebank.receipts.rules import display_short_code
from timebank.web.i18n import current_language


@dataclass(frozen=True)
class Table:
    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    total: tuple[str, ...]


@dataclass(frozen=True)
class CertificateText:
    issuer_line: str
    title: str
    basis: str
    number: str
    statement: str
    identity: tuple[tuple[str, str], ...]
    service: tuple[tuple[str, str], ...]
    by_service_type: Table | None
    by_year: Table | None
    issued: tuple[tuple[str, str], ...]
    seal: str
    verify: str
    verify_address: str  # where to type the code by hand, within ``verify``
    code_label: str
    code: str
    qr_text: str  # the receipt's QR text (SPEC §5)
    qr_token: str  # the receipt's token (the QR image's address)
    qr_alt: str


def long_date(day) -> str:
    return format_date(day, "long")


def certificate_text(cert: CertificateView, *, qr_text: str) -> CertificateText:
    figures = cert.figures
    id_card = cert.id_card or _("not registered")
    total_hours = hours_text(figures.minutes)
    if figures.records:
        statement = _("This is to certify that %(name)s (ID card number %(id_card)s) served as a volunteer of the "
                      "time bank from %(first)s to %(last)s. The approved volunteer service time is %(hours)s hours "
                      "in all, in %(records)s services, as set out below.",
                      name=cert.name, id_card=id_card, first=long_date(figures.first_day),
                      last=long_date(figures.last_day), hours=total_hours, records=figures.records)
    else:
        statement = _("This is to certify that %(name)s (ID card number %(id_card)s) has no approved volunteer "
                      "service recorded in the time bank in the period covered.", name=cert.name, id_card=id_card)
    english = current_language() == "en"
    hours_header = _("Hours")
    by_type = by_year = None
    if figures.records:
        by_type = Table(
            caption=_("Service content"), header=(_("Service type"), _("Services"), hours_header),
            rows=tuple(((line.name_en or line.name_zh) if english else line.name_zh, str(line.records),
                        hours_text(line.minutes)) for line in figures.by_service_type),
            total=(_("Total"), str(figures.records), total_hours))
        by_year = Table(
            caption=_("Service hours per year"), header=(_("Year"), _("Services"), hours_header),
            rows=tuple((str(line.year), str(line.records), hours_text(line.minutes)) for line in figures.by_year),
            total=(_("Total"), str(figures.records), total_hours))
    period = cert.period
    if period.start is None:
        covered = _("all approved service up to %(to)s", to=long_date(period.end or cert.issued_on))
    else:
        covered = _("%(from)s to %(to)s", **{"from": long_date(period.start),
                                             "to": long_date(period.end or cert.issued_on)})
    served = _("%(from)s to %(to)s", **{"from": long_date(figures.first_day), "to": long_date(figures.last_day)}) \
        if figures.records else "—"
    code = display_short_code(cert.receipt.short_code)
    address = current_prefix().lower() + "/R/"
    return CertificateText(
        issuer_line=_("City Volunteer Time Bank"),
        title=_("Certificate of Volunteer Service Record"),
        basis=_("Issued under the Measures for Issuing Volunteer Service Records and Certificates"),
        number=_("Certificate No. %(number)s", number=cert.id),
        statement=statement,
        identity=((_("Volunteer's name"), cert.name), (_("ID card number"), id_card),
                  (_("Mobile phone"), cert.phone)),
        service=((_("Period covered"), covered), (_("Dates of service"), served),
                 (_("Total service hours"), _("%(hours)s hours", hours=total_hours))),
        by_service_type=by_type, by_year=by_year,
        issued=((_("Issuing organisation"), cert.center_name), (_("Date of issue"), long_date(cert.issued_on))),
        seal=_("Seal of the issuing organisation"),
        verify=_("This certificate is issued from the service records the time bank approved; records reversed since "
                 "are not counted. Scan the QR code, or enter the verification code at %(address)s, to check that "
                 "it is genuine.", address=address),
        verify_address=address,
        code_label=_("Verification code"), code=code, qr_text=qr_text,
        qr_token=cert.receipt.token,
        qr_alt=_("The QR code that verifies this certificate"))
