"""The certificates' refusals that need no PDF machinery to name (``pdf.py`` imports fpdf2, which is slow to load)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from timebank.errors import DomainError


class FontMissing(DomainError):
    code = "certificate_font_missing"
    status = 503
    message = _l("The PDF certificate cannot be made: this server has no Chinese font. Its operator installs one "
                 "(scripts/setup.sh installs Debian's fonts-wqy-microhei) or sets TIMEBANK_CERTIFICATE_FONT to a "
                 "TrueType font with Chinese. The printable page works meanwhile.")
