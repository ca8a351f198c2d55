"""HTML templates to PDF, laid out per NĐ 30/2020 Phụ lục I (see templates/base.html).

The font (TeX Gyre Termes, Times-metric, fonts/SOURCE.md) ships with the package and is
loaded by path, so the PDF does not depend on what fonts the machine has."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from PIL import ImageFile

HERE = Path(__file__).parent
FONTS = HERE / "fonts"
TEMPLATES = HERE / "templates"


def vn_date(value: dt.date | dt.datetime | None) -> str:
    """dd/mm/yyyy, leading zeros kept (NĐ 30/2020)."""
    return value.strftime("%d/%m/%Y") if value is not None else ""


def vn_number(value: int | float | Decimal | None, decimals: int = 1) -> str:
    """3.450 and 98,5 whatever the machine's locale: thousands with a dot, decimals with
    a comma; whole numbers without decimals."""
    if value is None:
        return ""
    number = Decimal(str(value))
    whole = number == number.to_integral_value()
    text = f"{int(number):,}" if whole else f"{number:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def vn_percent(value: int | float | Decimal | None, decimals: int = 1) -> str:
    """98,5 % (a space before the sign, as Vietnamese documents print it)."""
    return "" if value is None else f"{vn_number(value, decimals)} %"


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(vn_date=vn_date, vn_number=vn_number, vn_percent=vn_percent)
    env.globals["font_dir"] = FONTS.as_uri()
    return env


_ENV = _environment()


def render_html(template: str, context: dict[str, Any]) -> str:
    return _ENV.get_template(template).render(**context)


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    """The template rendered to PDF bytes. Images are passed in the context as data: URIs,
    so nothing is fetched while rendering."""
    # Imported here: WeasyPrint loads pango at import, which only the documents need.
    # Its import also sets Pillow's process-wide LOAD_TRUNCATED_IMAGES, which would let
    # the evidence upload accept a truncated JPEG: put the flag back as it was.
    loads_truncated = ImageFile.LOAD_TRUNCATED_IMAGES
    from weasyprint import HTML

    ImageFile.LOAD_TRUNCATED_IMAGES = loads_truncated

    pdf = HTML(string=render_html(template, context), base_url=str(TEMPLATES)).write_pdf()
    if pdf is None:  # only when a target file is given, which we never pass
        raise RuntimeError("WeasyPrint returned no PDF")
    return pdf
