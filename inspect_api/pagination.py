"""Keyset pages and sync feeds at the API edge: query arguments, opaque cursors, page bodies.

Every list pages by keyset: the answer carries `meta.cursor`, the client sends it back as
`cursor` for the next page and stops when `meta.more` is false. No page numbers, so an
edit between two pages can neither skip nor repeat a row.

Reference data and visits are sync feeds (inspect_api.sync): their cursor also remembers
where the tablet's copy stands, so keeping the last cursor and sending it next time gives
exactly what changed since, with tombstones in `removed`.

Cursors are signed (itsdangerous, with the app's secret) and opaque: a client cannot forge
a position or a scope, and the format can change without breaking anyone.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import marshmallow as ma
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Select, and_, func, or_, select

from .db import db
from .errors import Invalid
from .messages import Schema
from .sync import Cursor, FeedPage

CURSOR_SALT = "inspect-api.cursor.v1"
PAGE_ARGS = ("cursor", "per_page")


class PageArgsSchema(Schema):
    cursor = ma.fields.String(
        validate=ma.validate.Length(min=1, max=2000),
        metadata={"description": "`meta.cursor` of the previous page; omit for the first page."})
    per_page = ma.fields.Integer(
        load_default=None,
        validate=ma.validate.Range(min=1),
        metadata={"description": "Items per page (default 50; above the cap, 200 unless "
                                 "configured, the request is refused with 422)."},
    )


class FeedArgsSchema(PageArgsSchema):
    cursor = ma.fields.String(
        validate=ma.validate.Length(min=1, max=2000),
        metadata={"description": "Sync cursor: `meta.cursor` of your last pull. Omit it to "
                                 "pull everything; send it to get only what changed since, "
                                 "in commit order, with tombstones in `removed`."})


class PageMetaSchema(Schema):
    per_page = ma.fields.Integer(required=True)
    total = ma.fields.Integer(required=True, metadata={"description": "Items in the whole list."})
    more = ma.fields.Boolean(required=True, metadata={"description": "True if another page follows."})
    cursor = ma.fields.String(required=True, allow_none=True,
                              metadata={"description": "Send as `cursor` for the next page "
                                                       "(null when there is none)."})


class FeedMetaSchema(Schema):
    per_page = ma.fields.Integer(required=True)
    more = ma.fields.Boolean(required=True, metadata={
        "description": "True if more changes are waiting: pull again at once with `cursor`."})
    reset = ma.fields.Boolean(required=True, metadata={
        "description": "True if your cursor no longer fits your scope (your role, unit or "
                       "teams changed, or the filters did): this pull starts from nothing, so "
                       "replace your copy of this collection with what follows."})
    cursor = ma.fields.String(required=True, metadata={
        "description": "Keep it and send it as `cursor` next time, even when `more` is false."})


_schemas: dict[str, type[ma.Schema]] = {}


def page_of(item_schema: type[ma.Schema]) -> type[ma.Schema]:
    """A `{items: [...], meta: {...}}` schema for a keyset-paged list of `item_schema`."""
    name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
    if name not in _schemas:
        _schemas[name] = type(name, (Schema,), {
            "items": ma.fields.List(ma.fields.Nested(item_schema), required=True),
            "meta": ma.fields.Nested(PageMetaSchema, required=True),
        })
    return _schemas[name]


def feed_of(item_schema: type[ma.Schema], id_field: ma.fields.Field) -> type[ma.Schema]:
    """A `{items, removed, meta}` schema for a sync feed of `item_schema`."""
    name = item_schema.__name__.removesuffix("Schema") + "FeedSchema"
    if name not in _schemas:
        _schemas[name] = type(name, (Schema,), {
            "items": ma.fields.List(ma.fields.Nested(item_schema), required=True, metadata={
                "description": "Items created or changed since the cursor (all of them, without "
                               "one), oldest change first: insert or replace them by id."}),
            "removed": ma.fields.List(id_field, required=True, metadata={
                "description": "Tombstones: ids that left your view (closed, moved, no longer "
                               "matching the filters, or of a team you left): delete your copy."}),
            "meta": ma.fields.Nested(FeedMetaSchema, required=True),
        })
    return _schemas[name]


# --- cursors ---------------------------------------------------------------------------------

def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["JWT_SECRET_KEY"], salt=CURSOR_SALT)


def _bad_cursor() -> Invalid:
    return Invalid("Con trỏ đồng bộ (cursor) không hợp lệ hoặc không dành cho danh sách này; "
                   "hãy bỏ cursor để tải lại từ đầu.",
                   errors={"query": {"cursor": ["Không hợp lệ."]}})


def _decode(raw: str | None, kind: str) -> dict[str, Any] | None:
    if raw is None:
        return None
    try:
        data = _serializer().loads(raw)
    except (BadSignature, UnicodeError, ValueError):
        raise _bad_cursor() from None
    if not isinstance(data, dict) or data.get("kind") != kind:
        raise _bad_cursor()
    return data


def _encode(data: dict[str, Any], kind: str) -> str:
    return _serializer().dumps({**data, "kind": kind})


def page_size(args: dict[str, Any]) -> int:
    per_page = args.get("per_page") or current_app.config["PAGE_SIZE_DEFAULT"]
    cap = current_app.config["PAGE_SIZE_MAX"]
    if per_page > cap:
        raise Invalid(
            f"Số bản ghi mỗi trang tối đa là {cap}.",
            errors={"query": {"per_page": [f"Tối đa {cap}."]}},
        )
    return per_page


# --- sync feeds ------------------------------------------------------------------------------

FeedPull = Callable[[Any, dict[str, Any], Cursor | None, int], FeedPage]


def feed_response(pull: FeedPull, actor, args: dict[str, Any], feed_name: str) -> dict[str, Any]:
    """Run a feed's pull for the request's cursor and filters; the body of the answer."""
    per_page = page_size(args)
    filters = {key: value for key, value in args.items() if key not in PAGE_ARGS and value is not None}
    data = _decode(args.get("cursor"), f"feed:{feed_name}")
    try:
        cursor = Cursor.from_dict(data) if data is not None else None
    except (KeyError, TypeError, ValueError):
        raise _bad_cursor() from None
    page = pull(actor, filters, cursor, per_page)
    return {
        "items": page.items,
        "removed": page.removed,
        "meta": {"per_page": per_page, "more": page.more, "reset": page.reset,
                 "cursor": _encode(page.cursor.as_dict(), f"feed:{feed_name}")},
    }


# --- keyset pages ----------------------------------------------------------------------------

def _to_json(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _from_json(column, value: Any) -> Any:
    kind = column.type.python_type
    if value is None or isinstance(value, kind):
        return value
    if kind is dt.datetime:
        return dt.datetime.fromisoformat(value)
    if kind is dt.date:
        return dt.date.fromisoformat(value)
    if kind is uuid.UUID:
        return uuid.UUID(value)
    raise ValueError(f"cannot read {value!r} as {kind}")


def _after(order: list[tuple[Any, bool]], values: list[Any]):
    """Rows after `values` in `order` ((column, descending) pairs): the keyset condition."""
    clauses = []
    for index, (column, descending) in enumerate(order):
        equal = [col == value for (col, _), value in zip(order[:index], values[:index], strict=True)]
        beyond = column < values[index] if descending else column > values[index]
        clauses.append(and_(*equal, beyond))
    return or_(*clauses)


def keyset_page(query: Select, args: dict[str, Any], *, order: list[tuple[Any, bool]],
                name: str) -> dict[str, Any]:
    """One page of `query` in `order` ((column, descending) pairs; the last must be
    unique), after the position in `args["cursor"]`."""
    per_page = page_size(args)
    data = _decode(args.get("cursor"), f"page:{name}")
    where = []
    if data is not None:
        try:
            values = [_from_json(column, value) for (column, _), value in zip(order, data["v"], strict=True)]
        except (KeyError, TypeError, ValueError):
            raise _bad_cursor() from None
        where.append(_after(order, values))
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    columns = [column.desc() if descending else column for column, descending in order]
    rows = db.session.execute(
        query.add_columns(*[column for column, _ in order]).where(*where)
        .order_by(*columns).limit(per_page + 1)
    ).all()
    more = len(rows) > per_page
    rows = rows[:per_page]
    cursor = None
    if more:
        cursor = _encode({"v": [_to_json(v) for v in rows[-1][1:]]}, f"page:{name}")
    return {"items": [row[0] for row in rows],
            "meta": {"per_page": per_page, "total": total, "more": more, "cursor": cursor}}
