"""Shared by the input tests: raw JSON bodies (NaN, huge numbers, lone surrogates), the
checks every refusal must pass, and a fingerprint of what the database holds."""

from __future__ import annotations

import json
import math
from typing import Any

from sqlalchemy import func, select

from inspect_api.db import db

PROBLEM = "application/problem+json"


class RawJSON:
    """JSON text written into the body as is: a 5,000-digit number, 1e400, deep nesting."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"RawJSON({self.text[:30]!r}{'...' if len(self.text) > 30 else ''})"


def dumps(value: Any, *, ascii_only: bool = True) -> str:
    """JSON text for `value`, including what json.dumps cannot write or writes only as
    Python does: RawJSON as is, NaN and infinities as the literals Python's json reads,
    lone surrogates as \\ud800 escapes (ascii_only)."""
    if isinstance(value, RawJSON):
        return value.text
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k), ensure_ascii=ascii_only)}: "
                               f"{dumps(v, ascii_only=ascii_only)}"
                               for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(dumps(v, ascii_only=ascii_only) for v in value) + "]"
    return json.dumps(value, ensure_ascii=ascii_only)


def encode(value: Any, *, raw_utf8: bool = False) -> bytes:
    """The body bytes: UTF-8 when every string can be written so, else ASCII with
    escapes; `raw_utf8` writes lone surrogates as their 3-byte forms instead (what a
    careless encoder sends), which Python's json reads back as lone surrogates."""
    if raw_utf8:
        return dumps(value, ascii_only=False).encode("utf-8", "surrogatepass")
    text = dumps(value, ascii_only=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return dumps(value, ascii_only=True).encode("ascii")


def send_json(client, method: str, path: str, value: Any, headers=None, **kwargs):
    return client.open(path, method=method, data=encode(value, **kwargs),
                       content_type="application/json", headers=headers or {})


def problem(response, status: int) -> dict:
    """The problem body of `response`, after checking it is one with that status."""
    body = response.get_data(as_text=True)
    assert response.status_code == status, (response.status_code, body[:500])
    assert response.mimetype == PROBLEM, (response.mimetype, body[:500])
    data = json.loads(body)
    assert data["status"] == status and data["title"] and data["detail"], data
    return data


def field_errors(response, location: str, status: int = 422) -> dict:
    data = problem(response, status)
    assert isinstance(data.get("errors"), dict) and location in data["errors"], data
    return data["errors"][location]


def row_counts() -> dict[str, int]:
    """Rows per table, read in one statement (call inside an app context)."""
    tables = db.metadata.sorted_tables
    statement = select(*[select(func.count()).select_from(t).scalar_subquery().label(t.name)
                         for t in tables])
    with db.engine.connect() as conn:
        row = conn.execute(statement).one()
    return dict(zip([t.name for t in tables], row, strict=True))
