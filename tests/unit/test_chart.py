"""The SVG bar chart of the unit scores on its own (documents/chart.py): bars to scale,
value-only labels, thresholds, names wrapped whole, escaping, and page-sized parts."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from inspect_api.documents.chart import Bar, Threshold, bar_chart_pages, bar_chart_svg
from inspect_api.text_metrics import text_width, wrap

SVG = "{http://www.w3.org/2000/svg}"
BARS = [Bar("UBND phường Minh Xuân", 98.5), Bar("UBND xã Yên Sơn", 81.0),
        Bar("Ủy ban nhân dân xã Thượng Lâm Hồng Quang Bình An Phúc Ứng Khuôn Hà", 65.4),
        Bar('UBND xã <b>"A & B"</b>', 0.0)]
THRESHOLDS = [Threshold(70, "Phê bình"), Threshold(95, "Biểu dương")]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output, not untrusted input


@pytest.fixture(scope="module")
def chart():
    return parse(bar_chart_svg(BARS, THRESHOLDS, width=460, size=12, title="Điểm"))


def bars_of(root: ET.Element) -> list[ET.Element]:
    return [r for r in root.iter(f"{SVG}rect") if r.get("fill") != "#fff"]


def texts(root: ET.Element) -> list[ET.Element]:
    return list(root.iter(f"{SVG}text"))


def test_one_bar_a_unit_to_scale(chart):
    bars = bars_of(chart)
    assert len(bars) == len(BARS)
    widths = [float(b.get("width")) for b in bars]
    full = widths[0] / 0.985
    for bar, width in zip(BARS, widths, strict=True):
        assert width == pytest.approx(full * bar.value / 100, abs=0.05)
    # Rank 1 at the top: each bar below the one before.
    tops = [float(b.get("y")) for b in bars]
    assert tops == sorted(tops) and len(set(tops)) == len(tops)
    # Under the lowest threshold in another colour.
    assert [b.get("fill") for b in bars].count(bars[2].get("fill")) == 2
    assert bars[0].get("fill") != bars[2].get("fill")


def test_labels_show_the_value_only(chart):
    bars = bars_of(chart)
    left = min(float(b.get("x")) for b in bars)
    beside = [t for t in texts(chart) if float(t.get("x")) > left and t.get("font-style") != "italic"
              and float(t.get("y")) < max(float(b.get("y")) + float(b.get("height")) for b in bars)]
    assert [t.text for t in beside] == ["98,5 %", "81 %", "65,4 %", "0 %"]
    # Each label just right of its bar's end, on a white ground.
    for text, bar in zip(beside, bars, strict=True):
        assert float(bar.get("x")) + float(bar.get("width")) < float(text.get("x")) < \
            float(bar.get("x")) + float(bar.get("width")) + 10


def test_names_wrap_whole_beside_their_bars(chart):
    bars = bars_of(chart)
    left = min(float(b.get("x")) for b in bars)
    names = [t for t in texts(chart) if float(t.get("x")) <= left and t.get("text-anchor") == "end"]
    joined = " ".join(t.text for t in names)
    for bar in BARS:
        assert bar.label in joined
    long = [t for t in names if t.text in BARS[2].label]
    assert len(long) >= 2  # wrapped, never cut
    assert all(text_width(t.text, 12) <= float(t.get("x")) for t in names)


def test_thresholds_are_dashed_lines_at_their_values(chart):
    bars = bars_of(chart)
    full = float(bars[0].get("width")) / 0.985
    left = float(bars[0].get("x"))
    dashed = [line for line in chart.iter(f"{SVG}line") if line.get("stroke-dasharray")]
    assert sorted(float(line.get("x1")) for line in dashed) == pytest.approx(
        [left + full * 0.70, left + full * 0.95], abs=0.05)
    labels = {t.text for t in texts(chart) if t.get("font-style") == "italic"}
    assert labels == {"Phê bình 70 %", "Biểu dương 95 %"}
    # The lines under the bars: drawn before them.
    order = [el.tag for el in chart if el.tag in (f"{SVG}line", f"{SVG}rect")]
    assert order.index(f"{SVG}rect") > max(i for i, tag in enumerate(order) if tag == f"{SVG}line")


def test_text_is_escaped_and_sized_in_points():
    svg = bar_chart_svg(BARS, width=460, size=13)
    root = parse(svg)  # well-formed although a name holds <, > , & and quotes
    assert any('UBND xã <b>"A & B"</b>' in (t.text or "") for t in texts(root))
    assert root.get("width") == "460.0pt" and root.get("viewBox").startswith("0 0 460.0 ")
    assert root.get("font-size") == "13"
    assert "Times New Roman" in root.get("font-family")


def test_page_parts_hold_every_bar_and_fit_their_height():
    bars = [Bar(f"Ủy ban nhân dân xã Thượng Lâm Hồng Quang khu vực số {i}", 100 - i) for i in range(45)]
    parts = bar_chart_pages(bars, THRESHOLDS, first_height=300, height=600, size=13)
    assert len(parts) >= 3
    heights = [float(re.search(r'height="([\d.]+)pt"', p).group(1)) for p in parts]
    assert heights[0] <= 300 and all(h <= 600 for h in heights[1:])
    drawn = [len(bars_of(parse(p))) for p in parts]
    assert sum(drawn) == len(bars) and min(drawn) >= 1
    # A single bar taller than the room still gets a part of its own.
    assert len(bar_chart_pages(bars[:2], first_height=1, height=1)) == 2


def test_wrap_keeps_words_and_cuts_only_what_cannot_fit():
    assert wrap("Ủy ban nhân dân xã Tân Trào", 1000, 12) == ["Ủy ban nhân dân xã Tân Trào"]
    lines = wrap("Ủy ban nhân dân xã Tân Trào", 60, 12)
    assert " ".join(lines) == "Ủy ban nhân dân xã Tân Trào" and len(lines) > 1
    assert all(text_width(line, 12) <= 60 for line in lines)
    assert "".join(wrap("Nghiêmtrọngnghiêmtrọng", 30, 12)) == "Nghiêmtrọngnghiêmtrọng"
    assert wrap("a\nb", 100, 12) == ["a", "b"]
