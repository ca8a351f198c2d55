"""Reading documents the way a clerk reads paper: render an .xlsx/.docx to PDF with
LibreOffice headless, then read any PDF back with pdfplumber and pypdf for what is
printed: page sizes, page numbers in the top margin, type sizes, embedded fonts, table
cells' text, and text printed over a row border or over other text."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
import unicodedata
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pdfplumber
from pypdf import PdfReader

MM = 72 / 25.4
A4 = (595.28, 841.89)  # points, portrait
TOP_MARGIN = 20 * MM


def soffice_pdf(source: Path, outdir: Path | None = None, timeout: int = 180) -> bytes:
    """`source` (.xlsx, .docx) printed to PDF by LibreOffice headless, with a profile of
    its own so parallel runs do not clash."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise RuntimeError("LibreOffice (soffice) is not installed")
    outdir = outdir or Path(tempfile.mkdtemp(prefix="paper-"))
    profile = Path(tempfile.gettempdir()) / f"lo-{uuid.uuid4().hex}"
    try:
        subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{profile}",
                        "--convert-to", "pdf", "--outdir", str(outdir), str(source)],
                       check=True, capture_output=True, timeout=timeout)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return (outdir / (source.stem + ".pdf")).read_bytes()


def normal(text: str) -> str:
    """NFC with runs of whitespace as one space."""
    return " ".join(unicodedata.normalize("NFC", text).split())


@dataclass
class Page:
    number: int  # 1-based, in the file
    width: float
    height: float
    chars: list[dict]
    words: list[dict]
    text: str
    tables: list[list[list[str]]]  # rows of cells, whitespace normalised
    rules: list[tuple[float, float, float]]  # horizontal rules: (y, x0, x1)
    rects: list[dict] = field(default_factory=list)  # filled or stroked rectangles (chart bars)
    table_boxes: list[tuple[float, float, float, float]] = field(default_factory=list)

    def recipients_block(self) -> list[dict]:
        """Nơi nhận (11-12 pt allowed, NĐ 30/2020): from its heading down, in the left half
        of the page. The heading is found by its plain letters: LibreOffice and WeasyPrint
        write accented ones after them, so "Nơi nhận:" reads "Ni nhn:" in ASCII."""
        texts = [c["text"] for c in self.chars]
        heading = next((c for i, c in enumerate(self.chars) if c["text"] == "N"
                        and "".join(t for t in texts[i:i + 12] if t.isascii()).startswith("Ni nhn:")), None)
        if heading is None:
            return []
        return [c for c in self.chars if c["top"] >= heading["top"] - 1 and c["x1"] <= self.width / 2
                and c["text"].strip()]


class Paper:
    """A PDF read back."""

    def __init__(self, pdf: bytes):
        self.pdf = pdf
        self.pages: list[Page] = []
        with pdfplumber.open(io.BytesIO(pdf)) as document:
            for index, page in enumerate(document.pages, 1):
                rules = [(edge["top"], edge["x0"], edge["x1"]) for edge in page.horizontal_edges]
                found = page.find_tables()
                tables = [[[normal(cell or "") for cell in row] for row in table.extract()]
                          for table in found]
                self.pages.append(Page(
                    index, float(page.width), float(page.height), list(page.chars),
                    page.extract_words(keep_blank_chars=False, use_text_flow=True),
                    unicodedata.normalize("NFC", page.extract_text() or ""), tables, rules,
                    list(page.rects), [table.bbox for table in found]))

    # what a clerk reads

    @property
    def text(self) -> str:
        return normal("\n".join(page.text for page in self.pages))

    def cells(self) -> list[str]:
        return [cell for page in self.pages for table in page.tables for row in table for cell in row]

    def rows(self) -> list[list[str]]:
        return [row for page in self.pages for table in page.tables for row in table]

    def cell_text(self) -> str:
        """Every table cell, one after the other."""
        return " | ".join(self.cells())

    def squeezed_cells(self) -> list[str]:
        """Each cell's text without any whitespace: for strings a narrow cell wraps
        mid-word (a file name, a checksum)."""
        return [re.sub(r"\s+", "", cell) for cell in self.cells()]

    # the page

    def not_a4(self) -> list[tuple[int, float, float]]:
        sizes = {(round(A4[0]), round(A4[1])), (round(A4[1]), round(A4[0]))}
        return [(p.number, p.width, p.height) for p in self.pages
                if (round(p.width), round(p.height)) not in sizes]

    def header_text(self, page: Page, margin: float = TOP_MARGIN) -> str:
        return "".join(c["text"] for c in page.chars if c["bottom"] <= margin).strip()

    def header_centre_offset(self, page: Page, left: float = 30 * MM, right: float = 15 * MM,
                             margin: float = TOP_MARGIN) -> float:
        """How far the top-margin text sits from the centre between the side margins."""
        chars = [c for c in page.chars if c["bottom"] <= margin]
        centre = (min(c["x0"] for c in chars) + max(c["x1"] for c in chars)) / 2
        return abs(centre - (left + page.width - right) / 2)

    def sizes(self, predicate=lambda char: True) -> list[float]:
        return [c["size"] for p in self.pages for c in p.chars if c["text"].strip() and predicate(c)]

    def in_table(self, char: dict) -> bool:
        """Whether a character is printed inside one of its page's tables."""
        page = self.pages[char["page_number"] - 1]
        return any(x0 - 1 <= char["x0"] and char["x1"] <= x1 + 1 and top - 1 <= char["top"]
                   and char["bottom"] <= bottom + 1 for x0, top, x1, bottom in page.table_boxes)

    def smallest(self, predicate=lambda char: True) -> float:
        sizes = [c["size"] for p in self.pages for c in p.chars if c["text"].strip() and predicate(c)]
        return min(sizes) if sizes else 0.0

    def fonts_not_embedded(self) -> set[str]:
        missing = set()
        for page in PdfReader(io.BytesIO(self.pdf)).pages:
            fonts = (page.get("/Resources") or {}).get("/Font") or {}
            for ref in fonts.values():
                font = ref.get_object()
                descriptor = font.get("/FontDescriptor")
                if descriptor is None and "/DescendantFonts" in font:
                    descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
                if descriptor is None:
                    missing.add(str(font.get("/BaseFont")))
                    continue
                descriptor = descriptor.get_object()
                if not any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")):
                    missing.add(str(font.get("/BaseFont")))
        return missing

    # text printed over text

    def text_across_rules(self, tolerance: float = 1.0) -> list[tuple[int, str, float]]:
        """Words a horizontal rule (a row border) runs through: text printed past the
        bottom of its row."""
        found = []
        for page in self.pages:
            for word in page.words:
                for y, x0, x1 in page.rules:
                    if x0 < word["x1"] and word["x0"] < x1 and \
                            word["top"] + tolerance < y < word["bottom"] - tolerance:
                        found.append((page.number, word["text"], y))
                        break
        return found

    def overlapping_words(self, tolerance: float = 1.0) -> list[tuple[int, str, str]]:
        """Pairs of words whose boxes overlap: two rows (or cells) printed over each other."""
        found = []
        for page in self.pages:
            words = sorted(page.words, key=lambda w: w["x0"])
            for i, a in enumerate(words):
                for b in words[i + 1:]:
                    if b["x0"] >= a["x1"] - tolerance:
                        break
                    if (min(a["x1"], b["x1"]) - max(a["x0"], b["x0"]) > tolerance
                            and min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > tolerance):
                        found.append((page.number, a["text"], b["text"]))
        return found
