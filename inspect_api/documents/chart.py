"""The unit scores as a horizontal bar chart in SVG, drawn here rather than by a plotting
library: a few rectangles, lines and labels in the document font, which WeasyPrint
embeds in the PDF as vectors and a browser shows as they are (the console's chart).

Horizontal bars so that long commune names stay readable with 30 units or more: each
name wraps beside its bar, the bar's row grows with it. Each bar carries its value only
("98,5 %"): no series or category name on the bar. Dashed vertical lines mark the
thresholds (criticism, commendation), each labelled on a row of its own above the plot
so that close thresholds never print over each other.

Sizes are points: the SVG's user unit is one point (`viewBox` in points), so a 12 pt
label prints at 12 pt when the SVG is shown at its own width."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from ..text_metrics import text_width, wrap
from .render import vn_percent

FONT_FAMILY = "'TeX Gyre Termes', 'Times New Roman', 'Liberation Serif', serif"
BAR_FILL = "#4f6d8f"
BAR_FILL_LOW = "#9c3b32"  # under the lowest threshold: the units a leader looks at first
GRID = "#bfbfbf"
# The chart's whole width in points: the text block of an A4 portrait page in NĐ 30/2020
# margins (210 - 30 - 15 mm).
PAGE_WIDTH = (210 - 30 - 15) / 25.4 * 72


@dataclass(frozen=True)
class Bar:
    label: str
    value: float  # percent points, 0-100


@dataclass(frozen=True)
class Threshold:
    value: float
    label: str  # short ("Phê bình"): the value is added to it


@dataclass(frozen=True)
class _Layout:
    width: float
    size: float
    label_width: float
    plot_left: float
    plot_width: float
    line_height: float
    bar_height: float
    gap: float
    top: float  # where the first bar row starts (under the threshold labels)
    axis_height: float

    def x(self, value: float) -> float:
        return self.plot_left + self.plot_width * max(0.0, min(100.0, value)) / 100

    def row_height(self, lines: int) -> float:
        return max(self.bar_height, lines * self.line_height) + self.gap


def _layout(width: float, size: float, thresholds: int) -> _Layout:
    label_width = round(width * 0.40, 1)
    value_space = text_width("100,0 %", size) + size * 0.6
    plot_left = label_width + size * 0.6
    return _Layout(
        width=width, size=size, label_width=label_width, plot_left=plot_left,
        plot_width=width - plot_left - value_space, line_height=size * 1.2,
        bar_height=size * 1.3, gap=size * 0.5, top=thresholds * size * 1.5 + size * 0.3,
        axis_height=size * 2.2)


def bar_chart_svg(bars: Sequence[Bar], thresholds: Sequence[Threshold] = (), *,
                  width: float = PAGE_WIDTH, size: float = 12.0, title: str = "") -> str:
    """One SVG with every bar, top to bottom in the order given (rank 1 first).
    `title` is for screen readers only (an SVG <title> is not printed)."""
    layout = _layout(width, size, len(thresholds))
    rows = [(bar, wrap(bar.label, layout.label_width, size)) for bar in bars]
    plot_height = sum(layout.row_height(len(lines)) for _, lines in rows)
    height = layout.top + plot_height + layout.axis_height
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width:.1f}pt" '
        f'height="{height:.1f}pt" viewBox="0 0 {width:.1f} {height:.1f}" '
        f'font-family={quoteattr(FONT_FAMILY)} font-size="{size:g}">',
    ]
    if title:
        parts.append(f"<title>{escape(title)}</title>")
    parts += _grid(layout, plot_height)
    # Threshold lines under the bars, so that the bars and their values stay on top.
    lines, labels = _thresholds(layout, thresholds, plot_height)
    parts += lines
    lowest = min((t.value for t in thresholds), default=None)
    y = layout.top
    for bar, lines in rows:
        row = layout.row_height(len(lines))
        parts += _bar(layout, bar, lines, y, row, low=lowest is not None and bar.value < lowest)
        y += row
    parts += labels
    parts.append("</svg>")
    return "\n".join(parts)


def bar_chart_pages(bars: Sequence[Bar], thresholds: Sequence[Threshold] = (), *,
                    first_height: float, height: float, width: float = PAGE_WIDTH,
                    size: float = 12.0, title: str = "") -> list[str]:
    """The chart cut into SVGs that each fit a page (an SVG is never split across
    pages): at most `first_height` points for the first, `height` for the others, each
    with its own axis and thresholds. Never an empty chart, and at least one bar a page."""
    layout = _layout(width, size, len(thresholds))
    frame = layout.top + layout.axis_height
    charts: list[str] = []
    chunk: list[Bar] = []
    used, room = frame, first_height
    for bar in bars:
        row = layout.row_height(len(wrap(bar.label, layout.label_width, size)))
        if chunk and used + row > room:
            charts.append(bar_chart_svg(chunk, thresholds, width=width, size=size, title=title))
            chunk, used, room = [], frame, height
        chunk.append(bar)
        used += row
    if chunk:
        charts.append(bar_chart_svg(chunk, thresholds, width=width, size=size, title=title))
    return charts


def _grid(layout: _Layout, plot_height: float) -> list[str]:
    """The value axis under the plot: light lines every 10 %, labelled every 20 %."""
    top, bottom = layout.top, layout.top + plot_height
    parts = [f'<g stroke="{GRID}" stroke-width="0.5">']
    parts += [f'<line x1="{layout.x(v):.2f}" y1="{top:.2f}" x2="{layout.x(v):.2f}" '
              f'y2="{bottom:.2f}"/>' for v in range(10, 101, 10)]
    parts.append("</g>")
    parts.append(f'<line x1="{layout.plot_left:.2f}" y1="{top:.2f}" x2="{layout.plot_left:.2f}" '
                 f'y2="{bottom:.2f}" stroke="#000" stroke-width="0.75"/>')
    parts.append(f'<line x1="{layout.plot_left:.2f}" y1="{bottom:.2f}" x2="{layout.x(100):.2f}" '
                 f'y2="{bottom:.2f}" stroke="#000" stroke-width="0.75"/>')
    baseline = bottom + layout.size * 1.2
    parts += [f'<text x="{layout.x(v):.2f}" y="{baseline:.2f}" text-anchor="middle">'
              f'{escape(vn_percent(v))}</text>' for v in range(0, 101, 20)]
    return parts


def _bar(layout: _Layout, bar: Bar, lines: list[str], y: float, row: float,
         low: bool) -> list[str]:
    centre = y + (row - layout.gap) / 2 + layout.gap / 2
    top = centre - layout.bar_height / 2
    right = layout.x(bar.value)
    fill = BAR_FILL_LOW if low else BAR_FILL
    parts = [f'<rect x="{layout.plot_left:.2f}" y="{top:.2f}" '
             f'width="{max(0.0, right - layout.plot_left):.2f}" height="{layout.bar_height:.2f}" '
             f'fill="{fill}"/>']
    # The name's lines centred on the bar, right-aligned against the axis.
    first = centre - (len(lines) - 1) * layout.line_height / 2 + layout.size * 0.35
    for index, line in enumerate(lines):
        parts.append(f'<text x="{layout.label_width:.2f}" '
                     f'y="{first + index * layout.line_height:.2f}" text-anchor="end">'
                     f'{escape(line)}</text>')
    # The value on a white ground: a threshold line passing behind it stays legible.
    value = vn_percent(bar.value)
    left = right + layout.size * 0.2
    parts.append(f'<rect x="{left:.2f}" y="{centre - layout.size * 0.6:.2f}" '
                 f'width="{text_width(value, layout.size) + layout.size * 0.2:.2f}" '
                 f'height="{layout.size * 1.2:.2f}" fill="#fff"/>')
    parts.append(f'<text x="{left + layout.size * 0.1:.2f}" y="{centre + layout.size * 0.35:.2f}">'
                 f'{escape(value)}</text>')
    return parts


def _thresholds(layout: _Layout, thresholds: Sequence[Threshold],
                plot_height: float) -> tuple[list[str], list[str]]:
    """The highest threshold labelled on the top row, each lower one a row below, each
    label ending at its own line: a label only ever extends left, towards lower values,
    whose lines start on the rows under it, so no line crosses another's label."""
    lines, labels = [], []
    bottom = layout.top + plot_height
    for index, threshold in enumerate(sorted(thresholds, key=lambda t: -t.value)):
        x = layout.x(threshold.value)
        baseline = (index + 1) * layout.size * 1.5 - layout.size * 0.3
        text = f"{threshold.label} {vn_percent(threshold.value)}"
        gap = layout.size * 0.25
        fits_left = x - gap - text_width(text, layout.size, italic=True) >= 0
        anchor, at = ("end", x - gap) if fits_left else ("start", x + gap)
        lines.append(f'<line x1="{x:.2f}" y1="{baseline - layout.size * 0.9:.2f}" x2="{x:.2f}" '
                     f'y2="{bottom:.2f}" stroke="#000" stroke-width="1" '
                     f'stroke-dasharray="4 3"/>')
        labels.append(f'<text x="{at:.2f}" y="{baseline:.2f}" text-anchor="{anchor}" '
                      f'font-style="italic">{escape(text)}</text>')
    return lines, labels
