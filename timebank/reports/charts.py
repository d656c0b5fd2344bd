"""The reports' charts, drawn on the server with matplotlib as inline SVG: no script, no CDN, nothing for an old
phone to run.

Each chart is its own ``matplotlib.figure.Figure`` on an Agg canvas, made and thrown away inside one call: no pyplot,
no global state, so web workers' threads never share a figure. Text is drawn as paths, in a CJK font found on this
machine (Debian's fonts-wqy-microhei, which ``scripts/setup.sh`` installs); without one the chart's words are in
English (the page around it stays in the reader's language). matplotlib writes its colours as ``style`` attributes,
which the pages' Content-Security-Policy (no inline style) would make the browser ignore: they are rewritten as SVG
presentation attributes, which the policy allows.
"""
from __future__ import annotations

import glob
import io
import re
import xml.etree.ElementTree as ET
from contextlib import nullcontext
from functools import lru_cache

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from timebank.reports.queries import DriveReport, HoursReport, LiabilityReport
from timebank.reports.tables import credits

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
CJK_FAMILIES = ("WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC",
                "Droid Sans Fallback", "AR PL UMing CN", "SimHei", "Microsoft YaHei", "PingFang SC")
CJK_FILES = ("/usr/share/fonts/**/wqy-microhei.ttc", "/usr/share/fonts/**/wqy-zenhei.ttc",
             "/usr/share/fonts/**/NotoSansCJK-Regular.ttc", "/usr/share/fonts/**/DroidSansFallbackFull.ttf")
COLOURS = ("#1f5f8b", "#c0392b", "#e67e22", "#7f8c8d", "#27ae60", "#8e44ad")
# What a style attribute of matplotlib's may say, each also an SVG presentation attribute.
_PRESENTATION = {"fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-opacity", "stroke-linecap",
                 "stroke-linejoin", "stroke-miterlimit", "stroke-dasharray", "stroke-dashoffset", "opacity",
                 "clip-path", "font-family", "font-size", "font-style", "font-weight", "text-anchor"}
MAX_BARS = 36


@lru_cache(maxsize=1)
def cjk_font_path() -> str | None:
    """The file of a font with Chinese glyphs matplotlib can use, or ``None`` (then the charts speak English)."""
    from matplotlib import font_manager

    for family in CJK_FAMILIES:
        try:
            path = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
        except ValueError:
            continue
        if path:
            return path
    # matplotlib lists the system's fonts once and caches the list: a font installed since is found by its file.
    for pattern in CJK_FILES:
        for path in sorted(glob.glob(pattern, recursive=True)):
            return path
    return None


def _font(english: bool):
    from matplotlib.font_manager import FontProperties

    path = None if english else cjk_font_path()
    return FontProperties(fname=path, size=13) if path else FontProperties(family="DejaVu Sans", size=12)


def chart_language(english: bool) -> bool:
    """Whether the chart's words are English: the reader's choice, or for want of a Chinese font."""
    return english or cjk_font_path() is None


def hours_chart(report: HoursReport, *, english: bool) -> str:
    by_month: dict[str, int] = {}
    for row in report.rows:  # the grouped rows: a few hundred at most per month, never the records
        by_month[row.month] = by_month.get(row.month, 0) + row.minutes
    months = sorted(by_month)[-MAX_BARS:]
    with _words(english):
        return _bars([m for m in months], [by_month[m] / 60 for m in months], title=str(_l("Approved hours per month")),
                     ylabel=str(_l("Hours")), english=english, empty=str(_l("No approved hours in this period.")))


def liability_chart(report: LiabilityReport, *, english: bool) -> str:
    t = report.total
    with _words(english):
        labels = [str(_l("Outstanding")), str(_l("Held")), str(_l("Within 30 days")), str(_l("Within 90 days")),
                  str(_l("Drive goods"))]
        values = [float(credits(v)) for v in (t.outstanding, t.held, t.expiring_30d, t.expiring_90d, t.stock_value)]
        return _bars(labels, values, title=str(_l("Credits owed, expiring, and the goods to meet them")),
                     ylabel=str(_l("Credits")), english=english, colours=COLOURS[:5], rotate=False)


def drive_chart(report: DriveReport, *, english: bool) -> str:
    t = report.total
    with _words(english):
        labels = [str(_l("Picked up")), str(_l("Not picked up")), str(_l("Cancelled")), str(_l("Still held"))]
        values = [t.fulfilled, t.no_shows, t.cancelled, t.held]
        return _bars(labels, values, title=str(_l("Reservations and how they ended")),
                     ylabel=str(_l("Reservations")), english=english, colours=(COLOURS[4], COLOURS[1], COLOURS[3],
                                                                                 COLOURS[2]), rotate=False,
                     empty=None if any(values) else str(_l("No reservations.")))


CHARTS = {"hours": hours_chart, "liability": liability_chart, "drive": drive_chart}


def _words(english: bool):
    """The chart's words in English when asked, or when no font can draw the Chinese ones."""
    return force_locale("en") if chart_language(english) else nullcontext()


def _bars(labels, values, *, title: str, ylabel: str, english: bool, colours=(COLOURS[0],), rotate: bool = True,
          empty: str | None = None) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    font = _font(chart_language(english))
    figure = Figure(figsize=(8, 3.4), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = list(range(len(labels)))
    axes.bar(positions, values, color=[colours[i % len(colours)] for i in positions], width=0.65)
    axes.set_xticks(positions, labels)
    axes.set_title(title, fontproperties=font, loc="left")
    axes.set_ylabel(ylabel, fontproperties=font)
    for label in axes.get_xticklabels() + axes.get_yticklabels():
        label.set_fontproperties(font)
        if rotate and len(labels) > 6 and label in axes.get_xticklabels():
            label.set_rotation(45)
            label.set_horizontalalignment("right")
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="y", color="#dddddd", linewidth=0.8)
    axes.set_axisbelow(True)
    if empty and not any(values):
        axes.text(0.5, 0.5, empty, transform=axes.transAxes, ha="center", va="center", fontproperties=font,
                  color="#555555")
        axes.set_ylim(0, 1)
    figure.tight_layout()
    out = io.StringIO()
    figure.savefig(out, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    return inline_svg(out.getvalue(), title=title)


def inline_svg(document: str, *, title: str) -> str:
    """matplotlib's SVG document as an element to put in a page: no XML prolog or metadata, no ``style`` (turned
    into presentation attributes), scaling with its box, with its title for screen readers."""
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)
    root = ET.fromstring(document)
    for parent in root.iter():
        for child in list(parent):
            if child.tag in (f"{{{SVG_NS}}}style", f"{{{SVG_NS}}}metadata"):
                parent.remove(child)
    for element in root.iter():
        style = element.attrib.pop("style", None)
        if style:
            for declaration in style.split(";"):
                name, _, value = declaration.partition(":")
                name, value = name.strip(), value.strip()
                if name in _PRESENTATION and value:
                    element.set(name, value)
    # What the removed <style> said for every element: round joins, butt caps (inherited from the root).
    root.set("stroke-linejoin", "round")
    root.set("stroke-linecap", "butt")
    for size in ("width", "height"):
        root.attrib.pop(size, None)
    root.set("role", "img")
    root.set("class", "chart-svg")
    root.set("aria-label", title)
    heading = ET.Element(f"{{{SVG_NS}}}title")
    heading.text = title
    root.insert(0, heading)
    text = ET.tostring(root, encoding="unicode")
    return re.sub(r"\s*\n\s*", "\n", text)
