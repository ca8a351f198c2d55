"""The one RFC 9457 problem+json handler set.

Services raise the errors of errors.py; views never build error bodies. Every error the
app can produce, including the ones raised by Werkzeug, webargs and flask-jwt-extended,
leaves as `application/problem+json` with a Vietnamese title and detail.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any
from collections.abc import Mapping

from flask import Flask, current_app, g, json, request
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from .errors import AppError

log = logging.getLogger(__name__)

PROBLEM_MIMETYPE = "application/problem+json"

# Vietnamese titles a user of the tablet or the review tool reads.
TITLES = {
    400: "Yêu cầu không hợp lệ",
    401: "Chưa xác thực hoặc phiên đăng nhập không còn hiệu lực",
    403: "Không có quyền thực hiện",
    404: "Không tìm thấy",
    405: "Phương thức không được hỗ trợ",
    406: "Định dạng phản hồi không được hỗ trợ",
    409: "Xung đột dữ liệu",
    411: "Thiếu độ dài nội dung",
    412: "Phiên bản không khớp",
    413: "Nội dung gửi lên quá lớn",
    415: "Kiểu nội dung không được hỗ trợ",
    422: "Dữ liệu không hợp lệ",
    428: "Thiếu điều kiện phiên bản",
    429: "Quá nhiều yêu cầu",
    500: "Lỗi hệ thống",
    503: "Dịch vụ tạm thời không sẵn sàng",
}

DETAILS = {
    400: "Yêu cầu không đọc được: nội dung sai cú pháp hoặc không đầy đủ.",
    401: "Vui lòng đăng nhập lại.",
    404: "Không tìm thấy tài nguyên được yêu cầu.",
    405: "Đường dẫn này không hỗ trợ phương thức {method}.",
    412: "Phiên bản bạn gửi trong If-Match không còn là phiên bản hiện tại.",
    413: "Nội dung gửi lên vượt quá giới hạn cho phép.",
    415: "Chỉ chấp nhận nội dung application/json.",
    429: "Bạn đã thử quá nhiều lần. Vui lòng chờ rồi thử lại.",
    500: "Đã có lỗi ngoài dự kiến. Vui lòng thử lại sau; lỗi đã được ghi nhận.",
}
# The database went away under a connection in use. A write either committed before or
# not at all; every write the tablet sends is safe to send again (ids, versions).
DATABASE_LOST = "Mất kết nối tới cơ sở dữ liệu. Vui lòng gửi lại yêu cầu."


def problem_response(
    status: int,
    detail: str | None = None,
    *,
    type_slug: str | None = None,
    errors: Any = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
):
    body: dict[str, Any] = {
        "type": f"/problems/{type_slug or _default_slug(status)}",
        "title": TITLES.get(status, HTTPStatus(status).phrase),
        "status": status,
        "detail": detail or DETAILS.get(status, TITLES.get(status, HTTPStatus(status).phrase)),
        "instance": request.path if request else None,
    }
    request_id = getattr(g, "request_id", None)
    if request_id:
        body["request_id"] = request_id
    if errors is not None:
        body["errors"] = errors
    if extra:
        body.update(extra)
    response = current_app.response_class(
        json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_MIMETYPE
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _default_slug(status: int) -> str:
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "-").replace("'", "")
    except ValueError:
        return "error"


CURRENT_SCHEMAS = "problem_current_schemas"


def _handle_app_error(error: AppError):
    return problem_response(
        error.status,
        error.detail,
        type_slug=error.type_slug,
        errors=error.errors,
        headers=error.headers,
        extra=_with_current_dumped(error.extra),
    )


def _with_current_dumped(extra: dict[str, Any]) -> dict[str, Any]:
    """A service puts the resource itself in `current` (a 409's server copy); it leaves
    as that resource's output schema says, the one the OpenAPI document names."""
    current = extra.get("current")
    if current is None or isinstance(current, (dict, list)):
        return extra
    schema = current_app.extensions[CURRENT_SCHEMAS][type(current)]
    return {**extra, "current": schema().dump(current)}


def _handle_http_exception(error: HTTPException):
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = data.get("errors") or data.get("messages")
    if status == 422 and isinstance(errors, dict):
        # webargs nests messages by location ("json", "query"); keep that, it tells the
        # client whether a body field or a query parameter was wrong.
        return problem_response(
            422, "Dữ liệu gửi lên không hợp lệ; xem chi tiết từng trường trong 'errors'.",
            type_slug="validation-error", errors=errors, headers=data.get("headers"),
        )
    detail = DETAILS.get(status)
    if status == 405:
        detail = DETAILS[405].format(method=request.method)
    headers = dict(data.get("headers") or {})
    allowed = getattr(error, "valid_methods", None)  # a MethodNotAllowed's
    if status == 405 and allowed:
        headers["Allow"] = ", ".join(allowed)
    if status == 429:
        retry_after = getattr(error, "retry_after", None)
        response = error.get_response()
        retry = response.headers.get("Retry-After") or (str(retry_after) if retry_after else "60")
        headers["Retry-After"] = retry
    if status >= 500:
        log.error("HTTP %s on %s %s", status, request.method, request.path)
    return problem_response(status, detail, headers=headers)


def _handle_unexpected(error: Exception):
    if isinstance(error, HTTPException):
        return _handle_http_exception(error)
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        # (db.PING_IDLE_SECONDS) The pool has dropped its connections: the next request
        # gets a new one.
        log.warning("Database connection lost on %s %s: %s", request.method, request.path, error.orig)
        return problem_response(503, DATABASE_LOST, headers={"Retry-After": "1"})
    log.error("Unexpected error on %s %s", request.method, request.path, exc_info=error)
    return problem_response(500)


def register_error_handlers(app: Flask, current_schemas: Mapping[type, type]) -> None:
    """`current_schemas`: the output schema of each model a service may send back as the
    current state of a conflict."""
    app.extensions[CURRENT_SCHEMAS] = dict(current_schemas)
    app.register_error_handler(AppError, _handle_app_error)
    app.register_error_handler(HTTPException, _handle_http_exception)
    app.register_error_handler(Exception, _handle_unexpected)
