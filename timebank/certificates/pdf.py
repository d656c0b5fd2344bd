"""The certificate as an A4 PDF (fpdf2), made in the request from the same words as the page.

Chinese needs a CJK TrueType font embedded (subset to the characters used, so the text stays extractable):
``TIMEBANK_CERTIFICATE_FONT`` (a .ttf, or a .ttc whose first face is used), else the first of Debian's fonts found
below (``scripts/setup.sh`` installs fonts-wqy-microhei). Without one, ``FontMissing``: a clear refusal, never a
server error. Nothing is cached: the font is read for each document (fpdf2 subsets it in place), the QR image is
drawn for each one.
"""
from __future__ import annotations

import io
from pathlib import Path

from flask import current_app
from fpdf import FPDF
from fpdf.enums import Align, WrapMode, XPos, YPos
from fpdf.fonts import FontFace

from timebank.certificates.wording import CertificateText
from timebank.certificates.errors import FontMissing
from timebank.receipts import qr

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # Debian fonts-wqy-microhei
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",  # fonts-wqy-zenhei
    "/usr/share/fonts/truetype/arphic/uming.ttc",  # fonts-arphic-uming
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",  # fonts-droid-fallback
)
FAMILY = "cjk"
QR_SIZE_MM = 34
MARGIN_MM = 18
FOOT_MM = QR_SIZE_MM + 24  # the QR, its code and three lines of how to verify
HEADINGS = FontFace(emphasis="", fill_color=(235, 235, 235))  # one face only: no bold to add


def font_path() -> Path:
    configured = current_app.config.get("CERTIFICATE_FONT")
    for candidate in ([configured] if configured else FONT_CANDIDATES):
        path = Path(candidate)
        if path.is_file():
            return path
    raise FontMissing()


def certificate_pdf(text: CertificateText, *, language: str) -> bytes:
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_lang("zh-CN" if language == "zh" else "en")
    pdf.set_title(text.title)
    pdf.set_creator(text.issuer_line)
    pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
    pdf.set_auto_page_break(True, margin=MARGIN_MM)
    try:
        pdf.add_font(FAMILY, fname=str(font_path()))
    except (OSError, ValueError, RuntimeError) as error:  # a file there that is not a usable font
        raise FontMissing() from error
    pdf.add_page()
    width = pdf.epw

    pdf.set_font(FAMILY, size=11)
    pdf.cell(width, 6, text.issuer_line, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, size=24)
    pdf.cell(width, 13, text.title, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, size=10)
    pdf.cell(width, 5, text.basis, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.cell(width, 6, text.number, align=Align.R, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)

    # Chinese breaks between any two characters; English only at spaces.
    wrap = WrapMode.CHAR if language == "zh" else WrapMode.WORD
    pdf.set_font(FAMILY, size=13)
    pdf.multi_cell(width, 7.5, text.statement, align=Align.L, wrapmode=wrap, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    _pairs(pdf, text.identity + text.service, wrap)
    for table in (text.by_service_type, text.by_year):
        if table is not None:
            _table(pdf, table)
    pdf.ln(2)
    _pairs(pdf, text.issued, wrap)

    # At the foot of the page: the seal's place, left; the QR that verifies it with its code, right; how to verify.
    pdf.set_auto_page_break(False)
    if pdf.get_y() + FOOT_MM > pdf.h - MARGIN_MM / 2:
        pdf.add_page()
    top = max(pdf.get_y() + 4, pdf.h - MARGIN_MM / 2 - FOOT_MM)
    pdf.set_xy(pdf.l_margin, top + 6)
    pdf.set_font(FAMILY, size=12)
    colon = "：" if language == "zh" else ":"
    pdf.cell(width - QR_SIZE_MM - 10, 8, text.seal + colon, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    qr_x = pdf.w - MARGIN_MM - QR_SIZE_MM
    pdf.image(_qr_png(text.qr_text), x=qr_x, y=top, w=QR_SIZE_MM, h=QR_SIZE_MM, alt_text=text.qr_alt)
    pdf.set_xy(qr_x - 15, top + QR_SIZE_MM + 1)
    pdf.set_font(FAMILY, size=9)
    pdf.cell(QR_SIZE_MM + 15, 5, f"{text.code_label} {text.code}", align=Align.C, new_x=XPos.LMARGIN,
             new_y=YPos.NEXT)
    pdf.ln(1)
    pdf.multi_cell(width, 5, text.verify, align=Align.L, wrapmode=wrap, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


def _pairs(pdf: FPDF, pairs, wrap: WrapMode) -> None:
    label_width = 40
    for label, value in pairs:
        pdf.set_font(FAMILY, size=11)
        pdf.cell(label_width, 7, label, new_x=XPos.RIGHT, new_y=YPos.TOP)
        pdf.set_font(FAMILY, size=12)
        pdf.multi_cell(pdf.epw - label_width, 7, value, align=Align.L, wrapmode=wrap, new_x=XPos.LMARGIN,
                       new_y=YPos.NEXT)


def _table(pdf: FPDF, table) -> None:
    pdf.ln(1)
    pdf.set_font(FAMILY, size=12)
    pdf.cell(pdf.epw, 7, table.caption, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, size=11)
    with pdf.table(col_widths=(3, 1, 1), text_align=("LEFT", "RIGHT", "RIGHT"), line_height=6.5,
                   first_row_as_headings=True, headings_style=HEADINGS) as grid:
        for cells in (table.header, *table.rows, table.total):
            row = grid.row()
            for cell in cells:
                row.cell(cell)


def _qr_png(text: str) -> io.BytesIO:
    """The receipt's QR (level M, SPEC §5), drawn for this document."""
    buffer = io.BytesIO()
    qr.build(text).make_image(fill_color="black", back_color="white").save(buffer, format="PNG")
    buffer.seek(0)
    return buffer
