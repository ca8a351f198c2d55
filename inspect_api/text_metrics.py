"""Widths of text in the document font, for wrapping where no layout engine does it for
us: the row heights of a workbook (neither Excel nor LibreOffice sizes a wrapped row
written by a program) and the labels of the SVG chart.

Measured through Pillow's FreeType with the TeX Gyre Termes shipped in documents/fonts:
Times metrics, within about 3 % of Times New Roman and Liberation Serif, so callers keep
a small margin."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

FONTS = Path(__file__).parent / "documents" / "fonts"
_FILES = {
    (False, False): "texgyretermes-regular.otf",
    (True, False): "texgyretermes-bold.otf",
    (False, True): "texgyretermes-italic.otf",
    (True, True): "texgyretermes-bolditalic.otf",
}
# Glyphs measured at 1000 units to the em: widths come back in thousandths of the size.
_EM = 1000


@lru_cache(maxsize=4)
def _font(bold: bool, italic: bool) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONTS / _FILES[bold, italic]), _EM)


def text_width(text: str, size: float, *, bold: bool = False, italic: bool = False) -> float:
    """The advance width of `text` set in `size` points, in points."""
    return _font(bold, italic).getlength(text) * size / _EM


def wrap(text: str, width: float, size: float, *, bold: bool = False,
         italic: bool = False) -> list[str]:
    """The lines `text` breaks into in a box `width` points wide, as a word-wrapping
    renderer breaks them: at spaces, keeping the line breaks already in the text, and a
    word longer than the box cut where it overflows (Excel and LibreOffice do the same)."""
    def fits(candidate: str) -> bool:
        return text_width(candidate, size, bold=bold, italic=italic) <= width

    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}" if line else word
            if fits(candidate):
                line = candidate
                continue
            if line:
                lines.append(line)
            line = word
            while not fits(line) and len(line) > 1:
                cut = len(line) - 1
                while cut > 1 and not fits(line[:cut]):
                    cut -= 1
                lines.append(line[:cut])
                line = line[cut:]
        lines.append(line)
    return lines
