"""The scores (bảng điểm) as PDF: the units ranked, a bar chart of their scores with the
criticism and commendation thresholds, and the desks ranked (templates/scores.html).

The same rows as the workbook (exports/scores.py: units and desks by rank, scores in
percent points) and the same document header (exports/_layout.py's DocumentHeader)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from markupsafe import Markup

from ..exports._layout import DocumentHeader, capitalise, place_date_line
from .chart import Bar, Threshold, bar_chart_pages
from .render import render_pdf, vn_number, vn_percent

TITLE = "BẢNG ĐIỂM ĐÁNH GIÁ BỘ PHẬN MỘT CỬA"
# The text block of an A4 portrait page in NĐ 30/2020 margins (297 - 20 - 20 mm), less
# the chart's heading and the line under it: no chart part is taller.
CHART_HEIGHT = (297 - 20 - 20) / 25.4 * 72 - 60


def _row(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "rank": row.get("rank") or "",
        "name": row.get("name") or "",
        "unit_name": row.get("unit_name") or "",
        "visits": vn_number(row.get("visits")),
        "score": vn_percent(row.get("mean_score")),
        "critical": vn_number(row.get("critical")),
        "major": vn_number(row.get("major")),
        "minor": vn_number(row.get("minor")),
    }


def scores_context(doc: DocumentHeader, units: Iterable[Mapping[str, Any]],
                   desks: Iterable[Mapping[str, Any]], *, criticism_below: float | None = None,
                   commendation_from: float | None = None) -> dict[str, Any]:
    """Plain values for templates/scores.html; the chart as SVG parts that each fit a
    page (with 40 units it runs over two). The thresholds are the list rules' (a unit's
    head is criticised under `criticism_below`; a unit may be commended from
    `commendation_from`), drawn on the chart and named under it."""
    units = list(units)
    thresholds = []
    if criticism_below is not None:
        thresholds.append(Threshold(float(criticism_below), "Phê bình"))
    if commendation_from is not None:
        thresholds.append(Threshold(float(commendation_from), "Biểu dương"))
    bars = [Bar(str(u["name"]), float(u["mean_score"])) for u in units
            if u.get("mean_score") is not None]
    period = doc.get("period_label")
    # 13 pt, as body text: a figure a leader reads, not a table.
    charts = bar_chart_pages(bars, thresholds, first_height=CHART_HEIGHT, height=CHART_HEIGHT, size=13,
                             title=f"Điểm trung bình các đơn vị {period or ''}".strip())
    number = doc.get("document_number")
    supervising = doc.get("supervising_body")
    signer_title = [part.strip().upper() for part in str(doc.get("signer_title") or "").split("\n")
                    if part.strip()]
    return {
        "supervising_body": supervising or "",
        "issuing_body": doc.get("issuing_body") or "",
        "number_line": f"Số: {number}" if number else "Số: ………",
        "place_date": place_date_line(doc.get("place"), doc.get("document_date")),
        "title": TITLE,
        "period": capitalise(str(period)) if period else "",
        "attached_to": doc.get("attached_to") or "",
        "units": [_row(u) for u in units],
        "desks": [_row(d) for d in desks],
        "charts": [Markup(svg) for svg in charts],  # noqa: S704 - built from escaped parts
        "unscored": len(units) - len(bars),
        "criticism_below": vn_percent(criticism_below),
        "commendation_from": vn_percent(commendation_from),
        "signer_title": signer_title,
        "signer_name": doc.get("signer_name") or "",
        "recipients": list(doc.get("recipients") or ()),
        "archive": doc.get("archive") or "",
        "signed": bool(signer_title or doc.get("signer_name") or doc.get("recipients")),
    }


def scores_pdf(doc: DocumentHeader, units: Iterable[Mapping[str, Any]],
               desks: Iterable[Mapping[str, Any]], *, criticism_below: float | None = None,
               commendation_from: float | None = None) -> bytes:
    """The scores document as PDF bytes (A4, fonts embedded)."""
    return render_pdf("scores.html", scores_context(
        doc, units, desks, criticism_below=criticism_below, commendation_from=commendation_from))
