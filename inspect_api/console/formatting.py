"""How the console writes instants: Vietnam time, dd/mm/yyyy HH:MM (the date half is
documents.render.vn_date's)."""

from __future__ import annotations

import datetime as dt

from ..timezone import VIETNAM_TZ


def vn_datetime(value: dt.datetime | None) -> str:
    return value.astimezone(VIETNAM_TZ).strftime("%d/%m/%Y %H:%M") if value is not None else ""


def vn_time(value: dt.datetime | None) -> str:
    return value.astimezone(VIETNAM_TZ).strftime("%H:%M") if value is not None else ""
