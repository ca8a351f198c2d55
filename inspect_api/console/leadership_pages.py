"""Plain values for the leadership pages, made from what reports.service returns: the
ranked rows with their trend against the previous period, the bar chart, and list
entries (computed or frozen) in one shape. No queries of their own."""

from __future__ import annotations

import datetime as dt
import math
from decimal import ROUND_HALF_EVEN, Decimal
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from ..documents.chart import Bar, Threshold, bar_chart_svg
from ..documents.list_content import EXPLANATION_NOTES, KIND_NAMES
from ..documents.minutes import SEVERITY_NAMES
from ..documents.render import vn_number
from ..reports.list_rules import FailingFinding, ListSettings

LIST_KIND_TITLES = {"criticism": "Danh sách đề nghị phê bình, xem xét xử lý kỷ luật",
                    "commendation": "Danh sách đề nghị biểu dương, khen thưởng"}
ENTRY_TYPE_NAMES = {"unit": "Tập thể", "staff": "Cá nhân"}
# Entries on one page of a list: a national criticism list has some 9,000, which made
# 26 MB of HTML on a single page.
ENTRIES_PER_PAGE = 100
# On the screen the chart is as wide as the text column of the printed page, at a size
# a screen reads (the document's is 13 pt).
CHART_FONT_SIZE = 11.0


def _shown(score: float) -> Decimal:
    """A score as the page prints it (vn_percent: one decimal, the Decimal's rounding)."""
    return Decimal(str(score)).quantize(Decimal("0.1"), ROUND_HALF_EVEN)


def trend(current: float | None, previous: float | None) -> dict[str, Any]:
    """▲/▼ and the difference in points; "mới" when either period has no score. The
    difference of the two scores as printed, so that 100 % and 92,6 % read ▼ 7,4."""
    if current is None or previous is None:
        return {"direction": "new", "text": "mới", "label": "Không có số liệu kỳ trước"}
    difference = _shown(current) - _shown(previous)
    points = vn_number(abs(difference))
    if difference > 0:
        return {"direction": "up", "text": f"▲ {points}", "label": f"Tăng {points} điểm so với kỳ trước"}
    if difference < 0:
        return {"direction": "down", "text": f"▼ {points}", "label": f"Giảm {points} điểm so với kỳ trước"}
    return {"direction": "same", "text": "= 0", "label": "Không đổi so với kỳ trước"}


def ranked_with_trend(rows: Sequence[Mapping[str, Any]],
                      previous: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each ranked row (units or desks, keyed by "id") with its trend."""
    before = {row["id"]: row.get("mean_score") for row in previous}
    return [{**row, "trend": trend(row.get("mean_score"), before.get(row["id"]))} for row in rows]


def scores_chart(units: Iterable[Mapping[str, Any]], settings: ListSettings, period: str) -> Markup | None:
    """The units' mean scores as an inline SVG (documents/chart.py, as in the PDF), the
    criticism and commendation thresholds marked; None when no unit has a score."""
    bars = [Bar(str(row["name"]), float(row["mean_score"])) for row in units if row.get("mean_score") is not None]
    if not bars:
        return None
    thresholds = [Threshold(float(settings.unit_min_score), "Phê bình"),
                  Threshold(float(settings.commend_min_score), "Biểu dương")]
    svg = bar_chart_svg(bars, thresholds, size=CHART_FONT_SIZE, title=f"Điểm trung bình các đơn vị {period}")
    return Markup(svg)  # noqa: S704 - chart.py escapes every text it draws


def _day(value: dt.date | str | None) -> str:
    """A finding's visit day: a date when computed, its ISO text once frozen."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    return value.strftime("%d/%m/%Y")


def _finding(finding: FailingFinding | Mapping[str, Any]) -> dict[str, Any]:
    """A finding behind an entry: the record of a computed list, the stored dict of a
    frozen one."""
    if isinstance(finding, FailingFinding):
        finding = finding.as_dict()
    return {"visit_id": str(finding["visit_id"]), "day": _day(finding.get("visit_date")),
            "desk": finding.get("desk") or "", "code": finding.get("criterion_code") or "",
            "text": finding.get("criterion_text") or "",
            "severity": SEVERITY_NAMES.get(finding.get("severity") or "", ""),
            "note": finding.get("note") or "", "inspector": finding.get("inspector") or "",
            "evidence": [str(e) for e in finding.get("evidence") or ()]}


def list_entries(entries: Iterable[Any], first_number: int = 1) -> list[dict[str, Any]]:
    """Computed entries (reports.lists.Entry) or frozen ones (FrozenListEntry), in the
    order given (entry_page puts units first, as the list prints them), numbered from
    `first_number`."""
    shaped = []
    for entry in entries:
        score = getattr(entry, "score", None)
        shaped.append({
            "type": entry.entry_type, "type_name": ENTRY_TYPE_NAMES.get(entry.entry_type, entry.entry_type),
            "name": entry.name, "position_title": entry.position_title or "", "org_name": entry.org_name or "",
            "head_name": entry.head_name or "", "score": float(score) if score is not None else None,
            "critical": entry.critical, "major": entry.major, "minor": entry.minor,
            "form_name": entry.form_name, "legal_basis": entry.form_legal_basis or "",
            "award_authority": entry.award_authority or "", "reasons": list(entry.reasons or ()),
            "note": entry.note or "",
            "explanation": EXPLANATION_NOTES.get(entry.explanation_status or "", ""),
            "findings": [_finding(f) for f in entry.findings or ()]})
    for number, entry in enumerate(shaped, start=first_number):
        entry["number"] = number
    return shaped


@dataclass(frozen=True)
class EntryPage:
    """One page of a list: its entries shaped for the page, numbered as in the whole list."""

    entries: list[dict[str, Any]]
    page: int
    pages: int
    first_number: int


def entry_page(entries: Sequence[Any], page: int, per_page: int) -> EntryPage:
    """Page `page` (past the last: the last) of a list's entries, units first as the list
    prints them; only that page is shaped."""
    ordered = sorted(entries, key=lambda entry: entry.entry_type != "unit")  # stable
    pages = max(1, math.ceil(len(ordered) / per_page))
    page = min(page, pages)
    start = (page - 1) * per_page
    return EntryPage(list_entries(ordered[start:start + per_page], start + 1), page, pages, start + 1)


def kind_name(kind: str) -> str:
    return KIND_NAMES.get(kind, kind)
