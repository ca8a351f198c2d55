"""Page-number pagination with the total and a next link, for every list endpoint."""

from __future__ import annotations

import math
from urllib.parse import urlencode
from typing import Any

import marshmallow as ma
from flask import current_app, request
from sqlalchemy import Select, func, select

from .db import db, utcnow
from .errors import Invalid


class PageArgsSchema(ma.Schema):
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=1_000_000))
    per_page = ma.fields.Integer(
        load_default=None,
        validate=ma.validate.Range(min=1),
        metadata={"description": "Items per page (default 50; above the cap, 200 unless "
                                 "configured, the request is refused with 422)."},
    )


class DeltaArgsSchema(PageArgsSchema):
    updated_since = ma.fields.AwareDateTime(
        metadata={"description": "Only items changed at or after this instant (delta sync). "
                                 "Use the `server_time` of the previous sync."}
    )


class PageMetaSchema(ma.Schema):
    page = ma.fields.Integer()
    per_page = ma.fields.Integer()
    total = ma.fields.Integer()
    pages = ma.fields.Integer()
    next = ma.fields.String(allow_none=True, metadata={"description": "URL of the next page."})
    server_time = ma.fields.AwareDateTime(
        metadata={"description": "Server time when this page was read: the next "
                                 "`updated_since`."}
    )


_page_schemas: dict[str, type[ma.Schema]] = {}


def page_of(item_schema: type[ma.Schema]) -> type[ma.Schema]:
    """A `{items: [...], meta: {...}}` schema for a list of `item_schema`."""
    name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
    if name not in _page_schemas:
        _page_schemas[name] = type(name, (ma.Schema,), {
            "items": ma.fields.List(ma.fields.Nested(item_schema)),
            "meta": ma.fields.Nested(PageMetaSchema),
        })
    return _page_schemas[name]


def paginate(query: Select, args: dict[str, Any], *, order_by) -> dict[str, Any]:
    """Run `query` for one page; refuse a page size above the cap."""
    server_time = utcnow()
    per_page = args.get("per_page") or current_app.config["PAGE_SIZE_DEFAULT"]
    cap = current_app.config["PAGE_SIZE_MAX"]
    if per_page > cap:
        raise Invalid(
            f"Số bản ghi mỗi trang tối đa là {cap}.",
            errors={"query": {"per_page": [f"Tối đa {cap}."]}},
        )
    page = args.get("page") or 1
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = db.session.scalars(
        query.order_by(*order_by).limit(per_page).offset((page - 1) * per_page)
    ).unique().all()
    pages = math.ceil(total / per_page) if total else 0
    next_url = None
    if page < pages:
        params = request.args.to_dict()
        params.update(page=str(page + 1), per_page=str(per_page))
        next_url = f"{request.base_url}?{urlencode(params)}"
    return {
        "items": items,
        "meta": {"page": page, "per_page": per_page, "total": total, "pages": pages,
                 "next": next_url, "server_time": server_time},
    }
