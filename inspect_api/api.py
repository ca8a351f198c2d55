"""flask-smorest's Api, adapted so the OpenAPI document tells the truth about errors.

Errors leave as application/problem+json (errors.py); the document says so, with the
problem schema, and each operation lists the error statuses it can really answer instead
of a catch-all "default" response.
"""

from __future__ import annotations

import decimal
import http

import marshmallow as ma
from apispec import BasePlugin
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from werkzeug.routing import IntegerConverter

from .errors import PROBLEM_MIMETYPE

# Row ids are INTEGER primary keys: 32-bit on PostgreSQL. A bigger number cannot name a
# row, and handed to the database it overflows (500) instead of being simply not found.
ID_MAX = 2**31 - 1


class IdConverter(IntegerConverter):
    """`<int:...>` in a URL: 1..ID_MAX, else 404 like any id that names nothing. The
    document shows the bounds (flask-smorest reads min/max off the converter)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", ID_MAX)
        super().__init__(map, *args, **kwargs)


def id_field(**kwargs) -> ma.fields.Integer:
    """An id in a request (body or query): 1..ID_MAX, else 422 before the database sees it."""
    return ma.fields.Integer(validate=ma.validate.Range(min=1, max=ID_MAX), **kwargs)


class DecimalNumber(ma.fields.Decimal):
    """Loads an exact Decimal; dumps a JSON number, as the document says. (A Decimal
    left to Flask's JSON encoder leaves as a string, "2.00".)"""

    def _serialize(self, value, attr, obj, **kwargs):
        result = super()._serialize(value, attr, obj, **kwargs)
        return float(result) if isinstance(result, decimal.Decimal) else result


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details."""

    type = ma.fields.String(metadata={"description": "Problem type (a relative URI)."})
    title = ma.fields.String(metadata={"description": "Short Vietnamese summary."})
    status = ma.fields.Integer()
    detail = ma.fields.String(metadata={"description": "What went wrong, in Vietnamese."})
    instance = ma.fields.String(allow_none=True)
    request_id = ma.fields.String()
    errors = ma.fields.Raw(
        metadata={"description": "Field-level messages: {location: {field: [messages]}} "
                                 "or, for batches, {index: {field: [messages]}}."}
    )
    current = ma.fields.Raw(metadata={"description": "The server's current copy (409)."})
    missing = ma.fields.Raw(metadata={"description": "Criteria still unanswered (422 on submit)."})
    missing_evidence = ma.fields.Raw(
        metadata={"description": "Failing findings that need a photo and have none (422 on submit)."})


class ProblemApi(Api):
    ERROR_SCHEMA = ProblemSchema
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self):
        """errors.register_error_handlers installs the handlers; nothing to add here."""

    def _register_responses(self):
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_MIMETYPE)
            self.spec.components.response(status.name, response, lazy=True)


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PUBLIC_OPERATIONS = {("/api/v1/auth/login", "post")}


class CommonResponsesPlugin(BasePlugin):
    """Adds to every operation the error statuses every operation can answer, so each
    view declares only its own (404, 409, ...) and the document has no catch-all."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        for method, operation in (operations or {}).items():
            responses = operation.setdefault("responses", {})
            if operation.pop("x-also-xlsx", False):
                # ?format=xlsx answers the same 200 as a workbook.
                ok = responses.get(200) or responses.get("200")
                ok.setdefault("content", {})[XLSX_MIMETYPE] = {
                    "schema": {"type": "string", "format": "binary"}}
            if not path.startswith("/api/v1/"):
                continue
            if (path, method) not in PUBLIC_OPERATIONS:
                operation.setdefault("security", [{"bearerAuth": []}])
                responses.setdefault("401", "UNAUTHORIZED")
                responses.setdefault("403", "FORBIDDEN")
            if "{" in path:
                responses.setdefault("404", "NOT_FOUND")
            if "requestBody" in operation or method in {"post", "put", "patch"}:
                responses.setdefault("400", "BAD_REQUEST")
                responses.setdefault("413", "REQUEST_ENTITY_TOO_LARGE")
                responses.setdefault("415", "UNSUPPORTED_MEDIA_TYPE")
            if "requestBody" in operation or operation.get("parameters") or "{" in path:
                responses.setdefault("422", "UNPROCESSABLE_ENTITY")


def range_exclusivity(converter, field, ret, **kwargs) -> dict:
    """apispec writes a Range's bounds but drops `min_inclusive=False` / `max_inclusive=False`;
    say so in the document (OpenAPI 3.0: boolean exclusiveMinimum/exclusiveMaximum)."""
    extra = {}
    for validator in field.validators:
        if not isinstance(validator, ma.validate.Range):
            continue
        if validator.min is not None and not validator.min_inclusive and "minimum" in ret:
            extra["exclusiveMinimum"] = True
        if validator.max is not None and not validator.max_inclusive and "maximum" in ret:
            extra["exclusiveMaximum"] = True
    return extra


def make_api(app) -> ProblemApi:
    # Before any blueprint adds its rules: converters are bound when a rule is added.
    app.url_map.converters["int"] = IdConverter
    api = ProblemApi()
    api.init_app(app, spec_kwargs={"extra_plugins": [CommonResponsesPlugin()]})
    api.ma_plugin.converter.add_attribute_function(range_exclusivity)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    return api
