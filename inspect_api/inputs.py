"""What a request may carry, checked once for every endpoint before any view reads it.

- The body is read here, so a body over MAX_REQUEST_BYTES is 413 whether it came with a
  Content-Length or chunked (werkzeug cut a chunked body at the limit without a word,
  and the cut JSON then failed to parse: 400).
- A JSON body is parsed by `RequestJSONProvider`, which refuses what would make a 500
  further in: NaN and Infinity (not JSON, but Python's json reads them), numbers out of
  a 64-bit integer or a finite double, nesting deeper than MAX_JSON_DEPTH (Python's
  parser raises RecursionError near 1,000), and text that `fields.forbidden_character`
  refuses, in values and in keys. This runs on every body before authentication, so
  it costs about a plain parse: see `_is_refused`.
- Query arguments are held to the same text rule.

What is refused gets 422 with `errors` = {location: {field: [messages]}}, the shape webargs
gives, naming the field by its path in the body; a body that is not JSON at all gets 400.
Length, range and type limits of each field stay in the schemas (see fields.py).
"""

from __future__ import annotations

import json
import math
import re
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
REFUSED_SOMEWHERE = ("Nội dung có ký tự, số hoặc độ lồng nhau không được chấp nhận; nội dung quá "
                     "lớn để chỉ ra từng trường.")


class _Refused:
    """Left by the parser where a value cannot be taken (NaN, Infinity, a 4,300+ digit
    integer), so the walk can name the field it sits in."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message


class JSONInputError(ValueError):
    """A body that is JSON but holds what the API never accepts; `errors` names where."""

    def __init__(self, errors: dict) -> None:
        super().__init__(REFUSED_INPUT)
        self.errors = errors


# Whether a parsed body holds anything refused is decided on its re-serialisation, by
# the C encoder, regular expressions and bytes methods: a walk in Python costs ~1 s on a
# 2 MiB body of small items, and this runs on every body, before authentication. The
# walk that names the field runs only on bodies already known to be refused, and stops
# at MAX_NAMING_NODES.
_ESCAPED_BACKSLASH = "\\\\"
_BAD_ESCAPE = re.compile(r"\\(?:[bf]|u00(?:0[0-8bcef]|1[0-9a-f]))")  # as json.dumps writes
_BAD_CHARACTER = re.compile("[\ud800-\udfff\ufffe\uffff]")
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_LONG_INTEGER = re.compile(rb"(?<![\d.])-?\d{19,}(?![\d.eE])")
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_BRACES_AS_BRACKETS = bytes.maketrans(b"{}", b"[]")
_NOT_BRACKETS = bytes(c for c in range(256) if c not in b"[]{}")
MAX_NAMING_NODES = 50_000
# Below this size a body whose integer has 4,300+ digits (Python refuses to read it) is
# read again with a hook on every integer, to name the field.
SMALL_BODY = 64 * 1024


def _is_refused(data: Any) -> bool:
    try:
        text = json.dumps(data, ensure_ascii=False, allow_nan=False)
    except ValueError:  # an infinite float: 1e400 reads as inf
        return True
    # Control characters come out escaped; an escaped backslash is taken out first so
    # that "\\b" (a backslash, then b) is not read as the escape \b.
    if _BAD_CHARACTER.search(text) or _BAD_ESCAPE.search(text.replace(_ESCAPED_BACKSLASH, "")):
        return True
    # Numbers and nesting, read with the strings taken out: what is left is ASCII.
    structure = _STRING.sub('""', text).encode("ascii")
    if b"0" * 19 in structure.translate(_DIGITS_AS_ZERO) and any(
            not _INT_MIN <= int(number) <= _INT_MAX for number in _LONG_INTEGER.findall(structure)):
        return True
    brackets = structure.translate(_BRACES_AS_BRACKETS, _NOT_BRACKETS)
    for _ in range(MAX_JSON_DEPTH):  # each pass takes off exactly the innermost level
        if not brackets:
            return False
        brackets = brackets.replace(b"[]", b"")
    return bool(brackets)


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


def _problem(value: Any, depth: int) -> str | None:
    if isinstance(value, str):
        return forbidden_character(value)
    if isinstance(value, _Refused):
        return value.message
    if isinstance(value, float) and not math.isfinite(value):
        return NUMBER_TOO_BIG
    if isinstance(value, int) and not isinstance(value, bool) and not _INT_MIN <= value <= _INT_MAX:
        return INT_TOO_BIG
    if isinstance(value, (dict, list)) and depth > MAX_JSON_DEPTH:
        return TOO_DEEP
    return None


def input_problems(data: Any) -> dict:
    """{field path: [messages]} for what `data` (parsed JSON) may not hold, nested the way
    marshmallow nests its messages (list items by index); {} when nothing was found
    within MAX_NAMING_NODES. Depth first, in document order, with a stack of iterators:
    it cannot run out of stack, and a list of a million items costs nothing past the
    nodes it visits."""
    errors: dict = {}
    found = visited = 0
    stack = [iter([(data, (), 1, None)])]
    while stack and found < MAX_PROBLEMS and visited < MAX_NAMING_NODES:
        item = next(stack[-1], None)
        if item is None:
            stack.pop()
            continue
        value, path, depth, key = item
        visited += 1
        if key is not None and forbidden_character(key) is not None:
            _add(errors, path[:-1] + (printable_name(key),), BAD_KEY)
            found += 1
            continue
        message = _problem(value, depth)
        if message is not None:
            _add(errors, path, message)
            found += 1
        elif isinstance(value, (dict, list)):
            stack.append(_children(value, path, depth + 1))
    return errors


def _children(value: dict | list, path: tuple, depth: int):
    if isinstance(value, dict):
        for key, item in value.items():
            yield item, path + (key,), depth, key
    else:
        for index, item in enumerate(value):
            yield item, path + (index,), depth, None


def _name_problems(data: Any) -> dict:
    return input_problems(data) or {"_schema": [REFUSED_SOMEWHERE]}


def _refuse_constant(name: str) -> _Refused:
    return _Refused(NOT_A_NUMBER)


def _mark_long_int(text: str) -> int | _Refused:
    return int(text) if len(text) <= 20 else _Refused(INT_TOO_BIG)


class RequestJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider, reading strictly (see the module docstring). Everything that
    reads a request body through Flask (`request.get_json`) gets the same rules."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        constants: list[_Refused] = []

        def constant(name: str) -> _Refused:
            constants.append(_refuse_constant(name))
            return constants[-1]

        try:
            data = json.loads(s, parse_constant=constant, **kwargs)
        except RecursionError:
            raise JSONInputError({"_schema": [TOO_DEEP]}) from None
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise  # not JSON, or not text: 400
        except ValueError:
            # An integer of 4,300+ digits, which int() refuses to read (JSON syntax
            # errors are JSONDecodeError, raised above).
            if len(s) > SMALL_BODY:
                raise JSONInputError({"_schema": [INT_TOO_BIG]}) from None
            data = json.loads(s, parse_constant=_refuse_constant, parse_int=_mark_long_int)
            raise JSONInputError(_name_problems(data)) from None
        if constants or _is_refused(data):
            raise JSONInputError(_name_problems(data))
        return data


def _has_body() -> bool:
    return (request.content_length or 0) > 0 or bool(request.headers.get("Transfer-Encoding"))


def _check_body(raw_body_endpoints: frozenset[str]) -> dict:
    """Read a JSON body, whatever the method, now (413 past the limit) and apply the
    rules: {} or its problems."""
    if request.endpoint in raw_body_endpoints or not request.is_json or not _has_body():
        return {}
    body = request.get_data(cache=True)
    limit = request.max_content_length
    # A chunked body: werkzeug stops reading it at max_content_length without a word
    # (LimitedStream.readall never makes the read that would raise 413), so what was
    # read is a silently cut body. Look one byte past it in the server's stream.
    if (request.content_length is None and limit is not None and len(body) >= limit
            and request.input_stream.read(1)):
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


def check_input(raw_body_endpoints: frozenset[str]) -> None:
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
