"""flask-smorest's Api, adapted so the OpenAPI document tells the truth about errors.

Errors leave as application/problem+json (errors.py); the document says so, with the
problem schema, and each operation lists the error statuses it can really answer instead
of a catch-all "default" response.
"""

from __future__ import annotations

import http

import marshmallow as ma
from apispec import BasePlugin
from flask_smorest import Api
from flask_smorest.utils import prepare_response

from .errors import PROBLEM_MIMETYPE


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
    missing = ma.fields.Raw(metadata={"description": "What is still missing (422 on submit)."})


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


PUBLIC_OPERATIONS = {("/api/v1/auth/login", "post")}


class CommonResponsesPlugin(BasePlugin):
    """Adds to every operation the error statuses every operation can answer, so each
    view declares only its own (404, 409, ...) and the document has no catch-all."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        for method, operation in (operations or {}).items():
            responses = operation.setdefault("responses", {})
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


def make_api(app) -> ProblemApi:
    api = ProblemApi()
    api.init_app(app, spec_kwargs={"extra_plugins": [CommonResponsesPlugin()]})
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    return api
