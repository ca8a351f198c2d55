"""How the workbook builders style cells through openpyxl's public API
(inspect_api/exports/_layout.py): one bound NamedStyle per style, never added to the
workbook, and the quote prefix only where text would read as a formula."""

from __future__ import annotations

import io

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell

from inspect_api.exports._layout import STYLES, Sheet, Styles


def test_styles_stay_out_of_the_workbooks_named_styles():
    wb = Workbook(write_only=True)
    styles = Styles(wb)
    sheet = Sheet(wb, styles, "Thử", [20, 20, 20])
    sheet.append([sheet.cell("=1+1", "td"), sheet.cell("Nguyễn Văn An", "td"), sheet.cell(68.5, "td_score")])
    buffer = io.BytesIO()
    wb.save(buffer)
    ws = load_workbook(io.BytesIO(buffer.getvalue()))["Thử"]
    assert load_workbook(io.BytesIO(buffer.getvalue())).named_styles == ["Normal"]
    formula, name, score = ws["A1"], ws["B1"], ws["C1"]
    assert formula.value == "=1+1" and formula.data_type == "s" and formula.quotePrefix
    assert name.value == "Nguyễn Văn An" and not name.quotePrefix
    assert score.number_format == STYLES["td_score"].number_format and not score.quotePrefix
    for cell in (formula, name, score):
        assert cell.font.name == "Times New Roman" and cell.font.sz == 12 and cell.border.left.style == "thin"


def test_a_styled_cell_is_made_as_openpyxl_makes_a_cell():
    """_layout makes its cells slot by slot for speed: every slot openpyxl's own Cell
    sets must be set alike (a slot openpyxl adds one day fails here, not in a export)."""
    wb = Workbook(write_only=True)
    styles = Styles(wb)
    ws = wb.create_sheet("Thử")
    ours = styles.cell(ws, "td")
    theirs = Cell(ws, row=1, column=1, style_array=styles._arrays["td"])
    slots = {slot for cls in type(theirs).__mro__ for slot in getattr(cls, "__slots__", ())}
    assert {"parent", "_style", "row", "column", "_value", "data_type", "_comment"} <= slots
    for slot in slots:
        assert getattr(ours, slot) == getattr(theirs, slot), slot
    assert ours._style is not styles._arrays["td"]  # its own copy, changed in place by a format
    ours.number_format = "0.00"
    assert styles.cell(ws, "td").number_format == theirs.number_format != "0.00"
    assert ours.style_id == wb._cell_styles.add(ours._style) != styles.cell(ws, "td").style_id
