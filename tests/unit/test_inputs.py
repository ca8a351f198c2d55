"""The JSON reader's two halves agree: the fast check that decides whether a body is
refused (C encoder, regular expressions) and the walk that names the fields.

The fast check runs on every body before authentication, so it must be cheap; the walk
is exact but costs Python time per node. If they disagreed, a body could be refused
with no field named, or worse, a bad body accepted.
"""

from __future__ import annotations

import contextlib
import json
import time

import pytest
from hypothesis import given, settings, strategies as st

from inspect_api.app import create_app
from inspect_api.inputs import (
    MAX_JSON_DEPTH, JSONInputError, RequestJSONProvider, _is_refused, input_problems,
)
from tests.api.input_support import encode
from tests import conftest

# Pieces that make escapes and structure tricky (a backslash before what would make an
# escape, quotes, brackets, digits), next to any character at all.
TRICKY = ["\\", "\\b", "\\f", "\\u0000", "\\ud800", "\\\\b", "b", "f", "u00", "1f",
          "\x08", "\x0c", "\x00", "\x1f", "\t", "\n", "\ud800", "\udfff", "\ufffe", "\uffff",
          "\U0001f600", "é", '"', "[", "]", "{", "}", "12345678901234567890"]
text = st.lists(st.one_of(st.sampled_from(TRICKY), st.characters(exclude_categories=())),
                max_size=8).map("".join)
numbers = st.one_of(
    st.integers(-(2**70), 2**70), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 10**18, 10**19, -(10**19)]))
leaves = st.one_of(st.none(), st.booleans(), numbers, text)
values = st.recursive(
    leaves,
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(text, children, max_size=4)),
    max_leaves=30)


def _nest(value, levels: int):
    for index in range(levels):
        value = [value] if index % 2 else {"k": value}
    return value


nested = st.builds(_nest, values, st.integers(0, MAX_JSON_DEPTH + 3))
PROVIDER = RequestJSONProvider(create_app(conftest.test_settings(), environ={}))


@settings(max_examples=600, deadline=None, database=None)
@given(nested)
def test_the_fast_check_agrees_with_the_walk(data):
    assert _is_refused(data) == bool(input_problems(data))


@settings(max_examples=300, deadline=None, database=None)
@given(nested)
def test_a_body_is_refused_exactly_when_the_walk_finds_something(data):
    body = encode(data)
    expected = bool(input_problems(data))
    try:
        parsed = PROVIDER.loads(body)
    except JSONInputError as error:
        assert expected, f"refused a good body: {body[:200]!r} -> {error.errors}"
        if isinstance(data, (dict, list)):  # a small body: the walk names every field
            assert "_schema" not in error.errors, error.errors
    else:
        assert not expected, f"accepted a bad body: {body[:200]!r}"
        assert parsed == json.loads(body)


@pytest.mark.parametrize("body", [
    "[" + ",".join(["0"] * 1_000_000) + "]",
    "[" + ",".join(["[]"] * 600_000) + "]",
    "[" + ",".join(['"a"'] * 500_000) + "]",
    "[" + ",".join(["0"] * 1_000_000) + ",NaN]",
    "[" + ",".join(['"a"'] * 500_000) + ',"\\u0000"]',
], ids=["ints", "lists", "strings", "ints-then-NaN", "strings-then-NUL"])
def test_a_2_mib_body_costs_a_bounded_time(body):
    """Before authentication, any body is read: the cost must stay near a plain parse,
    refused or not (the walk that names fields stops early on big bodies)."""
    start = time.process_time()
    json.loads(body)
    plain = time.process_time() - start
    start = time.process_time()
    with contextlib.suppress(JSONInputError):
        PROVIDER.loads(body)
    strict = time.process_time() - start
    # A walk over every node in Python cost 10-40 times a plain parse.
    assert strict < 5 * plain + 0.5, (plain, strict)
