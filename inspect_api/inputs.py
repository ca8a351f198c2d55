"""What a request may carry, checked once for every endpoint before any view reads it.

- The body is read here, so a body over MAX_REQUEST_BYTES is 413 whether it came with a
  Content-Length or chunked (werkzeug cut a chunked body at the limit without a word,
  and the cut JSON then failed to parse: 400).
- A JSON body is parsed by `RequestJSONProvider`, which refuses what would make a 500
  further in: NaN and Infinity (not JSON, but Python's json reads them), numbers out of
  a 64-bit integer or a finite double, nesting deeper than MAX_JSON_DEPTH (Python's
  parser raises RecursionError near 1,000), and text that `fields.forbidden_character`
  refuses, in values and in keys.
- Query arguments are held to the same text rule.

What is refused gets 422 with `errors` = {location: {field: [messages]}}, the shape webargs
gives, naming the field by its path in the body; a body that is not JSON at all gets 400.
Length, range and type limits of each field stay in the schemas (see fields.py).
"""

from __future__ import annotations

import json
import math
from typing import Any

from flask import current_app, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import RequestEntityTooLarge

from .errors import RefusedInput, Unreadable
from .fields import forbidden_character, printable_name

# No schema of this API nests more than four levels; 32 leaves room and stays far below
# the depth where Python's parser (and anything walking the result) runs out of stack.
MAX_JSON_DEPTH = 32
# An answer lists at most this many problems: a 2 MiB array of bad strings would
# otherwise get an answer bigger than the request.
MAX_PROBLEMS = 50
_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1

NOT_A_NUMBER = "NaN và Infinity không phải số JSON hợp lệ."
INT_TOO_BIG = "Số nguyên vượt quá giới hạn 64 bit."
NUMBER_TOO_BIG = "Số vượt quá giới hạn của số thực."
TOO_DEEP = f"Dữ liệu lồng nhau quá {MAX_JSON_DEPTH} cấp."
BAD_KEY = "Tên trường chứa ký tự không được phép."
REFUSED_INPUT = ("Dữ liệu gửi lên có giá trị không chấp nhận được; xem chi tiết từng trường "
                 "trong 'errors'.")


class _Refused:
    """Left by the parser where a number cannot be taken, so the walk that follows can
    name the field it sits in (the parser's hooks do not know where they are)."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message


def _parse_constant(name: str) -> _Refused:
    return _Refused(NOT_A_NUMBER)


def _parse_int(text: str) -> int | _Refused:
    # Length first: int() of 4,300+ digits raises, and of fewer still costs quadratic time.
    if len(text) <= 20:
        number = int(text)
        if _INT_MIN <= number <= _INT_MAX:
            return number
    return _Refused(INT_TOO_BIG)


def _parse_float(text: str) -> float | _Refused:
    number = float(text)  # 1e400 reads as inf
    return number if math.isfinite(number) else _Refused(NUMBER_TOO_BIG)


class JSONInputError(ValueError):
    """A body that is JSON but holds what the API never accepts; `errors` names where."""

    def __init__(self, errors: dict) -> None:
        super().__init__(REFUSED_INPUT)
        self.errors = errors


def _add(errors: dict, path: tuple, message: str) -> None:
    node = errors
    for part in path[:-1]:
        node = node.setdefault(part, {})
        if isinstance(node, list):
            # An escaped bad key can read like a good key sent beside it: keep the
            # message on the field already named rather than lose it.
            node.append(message)
            return
    node.setdefault(path[-1] if path else "_schema", []).append(message)


def input_problems(data: Any) -> dict:
    """{field path: [messages]} for what `data` (parsed JSON) may not hold, nested the way
    marshmallow nests its messages (list items by index); {} when all is well. Iterative,
    so the walk itself cannot run out of stack."""
    errors: dict = {}
    found = 0
    stack: list[tuple[Any, tuple, int]] = [(data, (), 1)]
    while stack and found < MAX_PROBLEMS:
        value, path, depth = stack.pop()
        message = None
        if isinstance(value, str):
            message = forbidden_character(value)
        elif isinstance(value, _Refused):
            message = value.message
        elif isinstance(value, (dict, list)) and depth > MAX_JSON_DEPTH:
            message = TOO_DEEP
        elif isinstance(value, dict):
            children = []
            for key, item in value.items():
                if forbidden_character(key) is not None:
                    _add(errors, path + (printable_name(key),), BAD_KEY)
                    found += 1
                else:
                    children.append((item, path + (key,), depth + 1))
            stack.extend(reversed(children))  # document order, for the first problems
        elif isinstance(value, list):
            stack.extend((item, path + (index,), depth + 1)
                         for index, item in reversed(list(enumerate(value))))
        if message is not None:
            _add(errors, path, message)
            found += 1
    return errors


class RequestJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider, reading strictly (see the module docstring). Everything that
    reads a request body through Flask (`request.get_json`) gets the same rules."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        kwargs.setdefault("parse_constant", _parse_constant)
        kwargs.setdefault("parse_int", _parse_int)
        kwargs.setdefault("parse_float", _parse_float)
        try:
            data = json.loads(s, **kwargs)
        except RecursionError:
            raise JSONInputError({"_schema": [TOO_DEEP]}) from None
        problems = input_problems(data)
        if problems:
            raise JSONInputError(problems)
        return data


def _has_body() -> bool:
    return (request.content_length or 0) > 0 or bool(request.headers.get("Transfer-Encoding"))


def _check_body(raw_body_endpoints: set[str]) -> dict:
    """Read a JSON body, whatever the method, now (413 past the limit) and apply the
    rules: {} or its problems."""
    if request.endpoint in raw_body_endpoints or not request.is_json or not _has_body():
        return {}
    body = request.get_data(cache=True)
    limit = request.max_content_length
    if request.content_length is None and limit is not None and len(body) >= limit:
        # A chunked body: werkzeug stops reading it at max_content_length without a word
        # (LimitedStream.readall never makes the read that would raise 413), so what was
        # read is a silently cut body. Look one byte past it in the server's stream.
        if request.input_stream.read(1):
            raise RequestEntityTooLarge()
    if not body:
        return {}
    try:
        current_app.json.loads(body)
    except JSONInputError as error:
        return error.errors
    except UnicodeDecodeError:
        raise Unreadable("Nội dung không phải văn bản UTF-8 hợp lệ.",
                         errors={"json": ["Không đọc được nội dung."]}) from None
    except ValueError as error:
        where = (f" (dòng {error.lineno}, cột {error.colno})"
                 if isinstance(error, json.JSONDecodeError) else "")
        raise Unreadable(f"Nội dung không phải JSON hợp lệ{where}.",
                         errors={"json": ["Không đọc được nội dung."]}) from None
    return {}


def _check_query() -> dict:
    errors: dict = {}
    for name, value in request.args.items(multi=True):
        problem = forbidden_character(name)
        if problem is not None:
            errors.setdefault(printable_name(name), []).append(BAD_KEY)
            continue
        problem = forbidden_character(value)
        if problem is not None:
            errors.setdefault(name, []).append(problem)
    return errors


def check_input(raw_body_endpoints: set[str]) -> None:
    """Raise 422 (or 400, 413) for a request the rules above refuse. Endpoints in
    `raw_body_endpoints` take a body that is not JSON and read it themselves."""
    errors = {}
    query = _check_query()
    if query:
        errors["query"] = query
    body = _check_body(raw_body_endpoints)
    if body:
        errors["json"] = body
    if errors:
        raise RefusedInput(REFUSED_INPUT, errors=errors)
