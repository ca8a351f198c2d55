"""Per-request plumbing: request ids, client address, content-type and caching rules, and
the input rules of inputs.py."""

from __future__ import annotations

import re
import uuid

from flask import Flask, current_app, g, request

from .audit.service import Origin
from .error_handlers import PROBLEM_MIMETYPE, problem_response
from .answers import AppJSONProvider
from .inputs import check_input

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
JSON_METHODS = {"POST", "PUT", "PATCH"}
# app.extensions key: the endpoints whose body is not JSON (photo uploads); they check
# their own content type.
RAW_BODY_ENDPOINTS = "raw_body_endpoints"


def _raw_body_endpoints() -> frozenset[str]:
    return current_app.extensions[RAW_BODY_ENDPOINTS]


def client_address() -> str:
    """The client's address, after ProxyFix has applied TRUSTED_PROXY_COUNT."""
    return request.remote_addr or "unknown"


def request_origin() -> Origin:
    """This request, as its audit events record it."""
    return Origin(request_id=g.get("request_id"), remote_addr=request.remote_addr)


def _assign_request_id():
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex


def _check_input():
    """422/400/413 for what no endpoint accepts (inputs.py), before any view reads it."""
    check_input(_raw_body_endpoints())


def _problem_for_bare_412(response):
    """send_file answers a GET whose If-Match fails with 412 and the file itself, past the
    error handlers: that answer leaves as problem+json like every other error. (Only
    412: /readyz answers 503 with its own JSON on purpose.)"""
    if response.status_code == 412 and response.mimetype != PROBLEM_MIMETYPE:
        etag = response.headers.get("ETag")
        response.close()  # release the file (and run its clean-up)
        return problem_response(response.status_code, headers={"ETag": etag} if etag else None)
    return response


def _require_json_body():
    """415 for a body that is not JSON on JSON endpoints (uploads opt out)."""
    if request.method not in JSON_METHODS or not request.path.startswith("/api/"):
        return None
    if request.endpoint in _raw_body_endpoints():
        return None
    has_body = (request.content_length or 0) > 0 or request.headers.get("Transfer-Encoding")
    if has_body and not request.is_json:
        return problem_response(415)
    return None


def _finish(response):
    response.headers["X-Request-ID"] = getattr(g, "request_id", "")
    response.headers["X-Content-Type-Options"] = "nosniff"  # a type we send is the type
    if request.path.startswith("/api/"):
        # Visits, staff and users are personal data: no shared or browser caching.
        response.headers["Cache-Control"] = "no-store"
    return response


def register_request_hooks(app: Flask, raw_body_endpoints: frozenset[str]) -> None:
    app.extensions[RAW_BODY_ENDPOINTS] = raw_body_endpoints
    app.json = AppJSONProvider(app)
    app.before_request(_assign_request_id)
    app.before_request(_require_json_body)
    app.before_request(_check_input)
    app.after_request(_finish)
    app.after_request(_problem_for_bare_412)  # runs first: after_request is LIFO
