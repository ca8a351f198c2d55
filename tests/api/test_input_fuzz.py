"""No input gives a 500: a property-based run over every operation of the OpenAPI document,
sent as every demo role and with no token.

Requests are built from the document itself (path, query, header and body fields, with
their types, formats, enums and bounds), but every value may be swapped for one drawn
to hurt: text with NUL, lone surrogates (escaped, or as raw 3-byte UTF-8), C0 controls,
combining piles, right-to-left overrides and 10,000 characters; numbers NaN, ±Infinity,
5,000 digits, 1e400 and past 64 bits; dates and instants at the ends of the calendar
(0001-01-01, 9999-12-31) with offsets up to ±14:00; JSON nested past any sane depth;
garbage path ids and headers.

Each operation gets two passes. The sweep sends each key bad value of a field's kind to
each place of the operation once (every parameter, every body field down to list items,
an unknown key), the rest of the request plausible, as the roles the operation lets in:
random draws reach one given place with one given value only by luck. Then the random
run: hypothesis draws requests, three in four with one bad value somewhere and the rest
plausible (at the edges of what is valid, so the bad value gets as far as it can), one
in four all plausible, reaching the services and the database; each is sent as every
role and with no token.

For every answer: never a 5xx; a 4xx is problem+json with its status, and a 422 carries
field errors, in Vietnamese; a refused write leaves every table's row count as it was; the request id
the API echoes is always its own safe one. Schemathesis (test_openapi_contract.py) checks
the answers against the document; this test is about the inputs.

All operations share one seed (seeding each cost more than fuzzing it); those that
change it run last (see _order).
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections import defaultdict
from datetime import timedelta, timezone
from urllib.parse import quote

import hypothesis
import pytest
from hypothesis import HealthCheck, strategies as st
from sqlalchemy import select

from inspect_api.api import ID_MAX
from inspect_api.app import create_app
from inspect_api.db import db
from inspect_api.auth.throttle import login_throttle
from inspect_api.corrections.models import Correction
from inspect_api.plans.models import InspectionPlan
from tests import conftest
from tests.api.review_support import Flow
from tests.api.input_support import PROBLEM, RawJSON, encode, row_counts
from tests.api.visit_support import create_visit, my_team, passing_answer, visit_body

ROLES = ("admin", "inspector1", "inspector2", "reviewer1", "leader1")
NO_TOKEN = "no token"
# Random examples per operation, each sent six times (five roles and no token). With the
# sweep, the 57 operations take about 1 min on SQLite and 1.5 min on PostgreSQL (2 cores).
MAX_EXAMPLES = 15
REQUEST_ID = r"^[A-Za-z0-9._-]{1,64}$"


def _load_document() -> dict:
    """Read from an app that never connects: collection runs before the session app."""
    spec_app = create_app(conftest.test_settings(), environ={})
    response = spec_app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    # Shared parameters (X-Request-ID, If-Match) are components: put them in place.
    shared = document.get("components", {}).get("parameters", {})

    def inline(parameters):
        return [shared[p["$ref"].rsplit("/", 1)[1]] if "$ref" in p else p for p in parameters]

    def as_nullable(node):
        # OpenAPI 3.1 writes "this or null" as a list of types; the strategies here read
        # one type and `nullable`.
        if isinstance(node, dict):
            kinds = node.get("type")
            if isinstance(kinds, list):
                others = [k for k in kinds if k != "null"]
                node["type"] = others[0] if len(others) == 1 else None
                if node["type"] is None:
                    del node["type"]
                if "null" in kinds:
                    node["nullable"] = True
            for value in node.values():
                as_nullable(value)
        elif isinstance(node, list):
            for value in node:
                as_nullable(value)

    as_nullable(document)
    for item in document["paths"].values():
        if "parameters" in item:
            item["parameters"] = inline(item["parameters"])
        for operation in item.values():
            if isinstance(operation, dict) and "parameters" in operation:
                operation["parameters"] = inline(operation["parameters"])
    return document


DOCUMENT = _load_document()
SCHEMAS = DOCUMENT["components"]["schemas"]
# Each operation with the parameters of its path item (flask-smorest puts path ids there).
# They share one seed, so those that change it run last: first the admin's changes to
# reference data (a team's members, a desk closed: later visits would stop at those
# checks), then those that can lock a demo user out.
CHANGES_USERS = ["POST /api/v1/auth/logout", "POST /api/v1/auth/password",
                 "PATCH /api/v1/users/{user_id}"]
CHANGES_REFERENCE = ("/api/v1/users", "/api/v1/org-units", "/api/v1/desks", "/api/v1/staff",
                     "/api/v1/checklists", "/api/v1/plans", "/api/v1/teams")


def _order(op) -> int:
    name = f"{op[0]} {op[1]}"
    if name in CHANGES_USERS:
        return 2 + CHANGES_USERS.index(name)
    return 1 if op[0] != "GET" and op[1].startswith(CHANGES_REFERENCE) else 0


OPERATIONS = sorted(
    [(method.upper(), path,
      {**operation, "parameters": item.get("parameters", []) + operation.get("parameters", [])})
     for path, item in DOCUMENT["paths"].items() if path.startswith("/api/v1/")
     for method, operation in item.items() if method in {"get", "put", "post", "patch", "delete"}],
    key=_order,
)


# --- hostile values ---------------------------------------------------------------------

FORBIDDEN_CHARS = ["\x00", "\x01", "\x08", "\x0b", "\x1f", "\ud800", "\udbff", "\udc00",
                   "\udfff", "\ufffe", "\uffff"]
# Legitimate and strange: decomposed Vietnamese, combining piles, RTL scripts and
# overrides, zero-width joiners, astral emoji, bidi isolates, NBSP, DEL and C1 controls.
EXOTIC_TEXT = [
    "Nguye\u0302\u0303n Va\u0306n A\u0300nh", "e\u0301\u0323\u0302\u0303\u0309",
    "مركز الخدمة العامة", "\u202eשלום\u202c", "\u2067עברית\u2069 abc", "👩🏽‍⚖️👨‍👩‍👧",
    "Z\u0351\u0357\u0352a\u0301\u0302l\u0336g\u0337o", "\u00a0\u2028\u2029\u200b\u200d",
    "\x7f\x80\x9f", "\U0010fffd\U0001f600", "tab\tline\nreturn\r", " ", "",
]
LENGTHS = [255, 256, 2000, 2001, 5000, 10_000, 10_001]
legit_char = st.characters(exclude_categories=["Cs"], exclude_characters=FORBIDDEN_CHARS)
hostile_char = st.characters(exclude_categories=())  # NUL and lone surrogates included


def _long(pieces) -> st.SearchStrategy[str]:
    # Built by repetition: hypothesis cannot draw 10,000 characters one by one.
    return st.builds(lambda piece, n: (piece * n)[:n], st.sampled_from(pieces),
                     st.sampled_from(LENGTHS))


hostile_text = st.one_of(
    st.sampled_from(FORBIDDEN_CHARS + ["a" * 10_001, "ệ" * 10_000 + "\x00"]),
    st.builds(lambda a, bad, b: a + bad + b, st.text(legit_char, max_size=5),
              st.sampled_from(FORBIDDEN_CHARS), st.text(legit_char, max_size=5)),
    st.text(hostile_char, max_size=20),
    _long(["a", "ệ", "e\u0301", "\u202e", "👩🏽‍⚖️", "\x00", "\ud800", "ש"]),
)
exotic_text = st.one_of(st.sampled_from(EXOTIC_TEXT), st.text(legit_char, max_size=30),
                        _long(["ệ", "e\u0301\u0323", "ש", "👩🏽‍⚖️"]))

hostile_number = st.one_of(
    st.sampled_from([
        math.nan, math.inf, -math.inf, 2**63, -(2**63) - 1, 2**64, 2**31, 2**31 - 1, 2**53 + 1,
        -1, 0, 1e308, -1e308, 5e-324, -0.0, 1.5, ID_MAX, ID_MAX + 1,
        RawJSON("9" * 5000), RawJSON("-" + "9" * 5000), RawJSON("1e400"),
        RawJSON("-1e400"), RawJSON("0." + "0" * 5000 + "1"), RawJSON("1E+2"),
    ]),
    st.integers(), st.floats(allow_nan=True, allow_infinity=True),
)

EDGE_DAYS = ["0001-01-01", "9999-12-31", "1899-12-31", "1900-01-01", "2200-12-31",
             "2201-01-01", "2024-02-29", "2100-02-29", "2026-13-01", "0000-01-01", "2026-11-20"]
EDGE_TIMES = ["00:00:00", "23:59:59", "23:59:59.999999", "24:00:00", "12:00"]
EDGE_OFFSETS = ["+14:00", "-14:00", "Z", "+00:00", "+07:00", "-23:59", "+24:00", ""]
offsets = st.builds(lambda minutes: timezone(timedelta(minutes=minutes)),
                    st.integers(-14 * 60, 14 * 60))
hostile_day = st.one_of(st.sampled_from(EDGE_DAYS),
                        st.dates().map(lambda d: d.strftime("%Y-%m-%d")))
hostile_instant = st.one_of(
    st.builds(lambda d, t, o: f"{d}T{t}{o}", st.sampled_from(EDGE_DAYS),
              st.sampled_from(EDGE_TIMES), st.sampled_from(EDGE_OFFSETS)),
    st.datetimes(timezones=offsets).map(lambda d: d.isoformat()),
)

# Raw JSON text past the parser's own depth, or just past ours.
DEEP = [RawJSON("[" * n + "]" * n) for n in (33, 40, 1000, 3000)]
hostile_any = st.one_of(hostile_text, hostile_number, hostile_day, hostile_instant,
                        st.sampled_from(DEEP), st.none(), st.booleans(),
                        st.dictionaries(hostile_text, hostile_text, max_size=2))

# Bodies that are not a document at all.
HOSTILE_BODIES = [b"", b"{", b"\xff\xfe\x00", b"null", b"[]", b'"\\u0000"', b"NaN",
                  b'{"a": 1, "a": 2}', b"\xef\xbb\xbf{}", ("[" * 5000).encode()]
header_text = st.text(st.characters(max_codepoint=255, exclude_characters="\r\n"), max_size=40)
hostile_header = st.one_of(header_text, st.sampled_from(
    ["\x00", "é" * 300, '"v' + "9" * 5000 + '"', "W/", "*", '"v1"', "", " " * 10]))


# --- plausible values, from the document -------------------------------------------------

def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = SCHEMAS[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


class Ids:
    """Rows that exist, by the names of the fields that refer to them, so plausible ids
    reach the services."""

    def __init__(self, demo, visit_id: str, finding_id: str, plan_ids: list[int], correction_ids: list[int]):
        units, users = list(demo.units.values()), list(demo.users.values())
        self.by_name = {
            "visit_id": [visit_id], "finding_id": [finding_id], "plan_id": plan_ids,
            "correction_id": correction_ids,
            "desk_id": list(demo.desk_unit), "desk_ids": list(demo.desk_unit),
            "team_id": list(demo.teams.values()), "org_unit_id": units, "parent_id": units,
            "successor_id": units, "unit_id": units, "user_id": users, "actor_id": users,
            "leader_id": users, "member_ids": users, "checklist_id": [demo.checklist_id],
            "criterion_id": list(demo.criteria.values()),
            "staff_id": [s for ids in demo.staff_by_desk.values() for s in ids],
            "staff_on_duty": [s for ids in demo.staff_by_desk.values() for s in ids],
            "X-Finding-ID": [finding_id],
        }

    def for_name(self, name: str) -> list:
        return self.by_name.get(name, [])


def plausible(schema: dict, name: str, ids: Ids) -> st.SearchStrategy:
    """Values the field accepts, favouring the edges: bounds, 1900 and 2200 with ±14:00,
    maximum lengths in combining and right-to-left text."""
    return document_value(schema, name, ids)


def _leaf(schema: dict, name: str, ids: Ids) -> st.SearchStrategy:
    if "enum" in schema:
        return st.sampled_from([v for v in schema["enum"] if v is not None] or [None])
    kind = schema.get("type")
    if kind == "integer":
        low = schema.get("minimum", -(2**31))
        high = schema.get("maximum", 2**31 - 1)
        known = [i for i in ids.for_name(name) if low <= i <= high]
        return st.one_of(st.sampled_from(known or [low]), st.sampled_from([low, high]),
                         st.integers(low, high))
    if kind == "number":
        low, high = schema.get("minimum", -1e6), schema.get("maximum", 1e6)
        return st.one_of(st.sampled_from([low, high]), st.floats(low, high))
    if kind == "boolean":
        return st.booleans()
    if kind == "string":
        fmt = schema.get("format")
        if fmt == "date":
            return st.sampled_from(["1900-01-01", "2200-12-31", "2026-11-20", "2027-01-01"])
        if fmt == "date-time":
            return st.builds(lambda d, o: f"{d}{o}",
                             st.sampled_from(["1900-01-01T00:00:00", "2200-12-31T23:59:59",
                                              "2026-11-20T08:15:00"]),
                             st.sampled_from(["+14:00", "-14:00", "Z", "+07:00"]))
        if fmt == "uuid":
            return st.one_of(st.sampled_from(ids.for_name(name) or [str(uuid.uuid4())]),
                             st.uuids().map(str))
        if fmt == "binary":
            return st.binary(max_size=64)
        if "pattern" in schema:
            return st.from_regex(schema["pattern"], fullmatch=True)
        if name in {"opens_at", "closes_at"}:
            return st.sampled_from(["00:00", "07:30", "23:59", "17:05:00"])
        limit, low = schema.get("maxLength", 300), schema.get("minLength", 0)
        return exotic_text.map(lambda text: text[:limit]).filter(lambda text: len(text) >= low)
    # Untyped (a finding's value): any of the answer types.
    return st.one_of(st.none(), st.integers(0, 100), st.floats(0, 100),
                     st.text(legit_char, max_size=10), st.sampled_from(["08:00", "17:05"]))


def _hostile_leaf(schema: dict) -> st.SearchStrategy:
    """Hostile values of the field's own kind (the likeliest to slip through), or of any."""
    fmt, kind = schema.get("format"), schema.get("type")
    if fmt == "date":
        own = hostile_day
    elif fmt == "date-time":
        own = hostile_instant
    elif kind in {"integer", "number"}:
        own = hostile_number
    else:
        own = hostile_text
    return st.one_of(own, own, hostile_any)


RANDOM = "random"  # `bad` of document_value: one hostile value, placed at random


@st.composite
def document_value(draw, schema: dict, name: str, ids: Ids, bad=None):
    """A value for `schema`, plausible throughout unless `bad` says where one hostile
    value goes: RANDOM, or (path, value) to put that value at that path (keys and list
    indexes). The rest stays plausible, so the bad value gets as far as it can."""
    schema = _resolve(schema)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [s for s in schema[key] if "$ref" in s or "properties" in s] or schema[key]
            return draw(document_value(draw(st.sampled_from(options)), name, ids, bad))
    if "allOf" in schema:
        return draw(document_value(schema["allOf"][0], name, ids, bad))
    if isinstance(bad, tuple) and not bad[0]:
        return bad[1]
    if schema.get("nullable") and bad is None and draw(st.integers(0, 9)) == 9:
        return None  # now and then, and never in the simplest draw (the sweep's)
    if schema.get("type") == "object" or "properties" in schema:
        properties = {k: v for k, v in schema.get("properties", {}).items()
                      if not v.get("readOnly")}
        required = set(schema.get("required", []))
        present = [k for k in properties if k in required or draw(st.booleans())]
        if bad == RANDOM:
            target = draw(st.sampled_from(sorted(properties) + ["(extra)"]))
            inner = RANDOM
        elif bad is not None:
            target, inner = bad[0][0], (bad[0][1:], bad[1])
        else:
            target = inner = None
        result = {}
        for key, sub in properties.items():
            if key == target:
                result[key] = draw(document_value(sub, key, ids, inner))
            elif key in present:
                result[key] = draw(document_value(sub, key, ids))
        if target == "(extra)":
            result[draw(hostile_text)] = draw(hostile_any) if inner == RANDOM else inner[1]
        return result
    if schema.get("type") == "array":
        items = schema.get("items", {})
        result = draw(st.lists(document_value(items, name, ids),
                               max_size=min(3, schema.get("maxItems", 3))))
        if bad == RANDOM:
            result.insert(draw(st.integers(0, len(result))), draw(document_value(items, name, ids, RANDOM)))
        elif bad is not None:
            result.insert(0, draw(document_value(items, name, ids, (bad[0][1:], bad[1]))))
        return result
    if bad is None:
        return draw(_leaf(schema, name, ids))
    return draw(_hostile_leaf(schema))


def leaf_places(schema: dict, prefix: tuple = (), depth: int = 0) -> list[tuple[tuple, dict]]:
    """Every (path, schema) of a value a client sends inside `schema`, list items as index
    0, plus an unknown key at each object."""
    schema = _resolve(schema)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if "$ref" in s or "properties" in s] or schema[key]
            return leaf_places(options[0], prefix, depth)
    if depth > 4:
        return []
    if schema.get("type") == "object" or "properties" in schema:
        places = [(prefix + ("(extra)",), {})]
        for key, sub in schema.get("properties", {}).items():
            if not sub.get("readOnly"):
                places += leaf_places(sub, prefix + (key,), depth + 1)
        return places
    if schema.get("type") == "array":
        return leaf_places(schema.get("items", {}), prefix + (0,), depth + 1)
    return [(prefix, schema)]


# --- requests ------------------------------------------------------------------------------

def _query_text(choice) -> str:
    if isinstance(choice, RawJSON):
        return choice.text
    if isinstance(choice, (bool, dict, list)) or choice is None:
        return json.dumps(choice, ensure_ascii=False)
    return str(choice)


def _quote(text) -> str:
    return quote(str(text).encode("utf-8", "surrogatepass"), safe="")


@st.composite
def requests_for(draw, method: str, path: str, operation: dict, ids: Ids, forced=None):
    """A request to the operation. Three in four carry one hostile thing, in the path, a
    query argument, a header or (most often) somewhere in the body; `forced` = (place,
    value) puts that value there instead (place as in `sweep`)."""
    parameters = operation.get("parameters", [])
    content = operation.get("requestBody", {}).get("content", {})
    if forced is not None:
        target, bad_value = forced
    else:
        places = [f"{p['in']}:{p['name']}" for p in parameters]
        places += ["header:If-Match", "header:X-Request-ID", "query:(extra)"]
        if "application/json" in content:
            places += ["body"] * max(4, len(places)) + ["body:whole"]
        elif content:
            places += ["body"] * 2
        target = draw(st.sampled_from(places)) if draw(st.integers(0, 3)) else None
        bad_value = None

    def bad(strategy):
        return bad_value if forced is not None else draw(strategy)

    # PUT that creates (201) under the client's id: a fresh id reaches the create path
    # (a known one the update path, which wants If-Match first).
    creates = method == "PUT" and "201" in operation.get("responses", {})
    url = path
    for name in (part[1:-1] for part in path.split("/") if part.startswith("{")):
        schema = next((p["schema"] for p in parameters if p["in"] == "path" and p["name"] == name),
                      {"type": "string"})
        if target == f"path:{name}":
            choice = bad(st.one_of(hostile_text, hostile_number,
                                   st.sampled_from(["", ".", "..", "%2F", "a/b"])))
        elif creates and name == path.rsplit("{", 1)[-1].rstrip("}") and (
                forced is not None or draw(st.booleans())):
            choice = str(uuid.uuid4())
        else:
            choice = draw(_leaf(_resolve(schema), name, ids))
        url = url.replace("{" + name + "}", _quote(_query_text(choice)) or "%20")

    query, headers = [], {}
    for parameter in parameters:
        name, where = parameter["name"], parameter["in"]
        place = f"{where}:{name}"
        if where == "path" or (place != target and not parameter.get("required")
                               and draw(st.booleans())):
            continue
        if place == target:
            choice = bad(document_value(parameter["schema"], name, ids, RANDOM))
        else:
            choice = draw(document_value(parameter["schema"], name, ids))
        if where == "query" and choice is not None:
            query.append(f"{_quote(name)}={_quote(_query_text(choice))}")
        elif where == "header":
            headers[name] = _header_text(choice)
    if target == "query:(extra)":
        query.append(f"{_quote(draw(hostile_text))}={_quote(_query_text(bad(hostile_text)))}")
    for header in ("If-Match", "X-Request-ID"):
        if target == f"header:{header}":
            headers[header] = _header_text(bad(hostile_header))
    if "If-Match" not in headers and (forced is not None or draw(st.booleans())):
        headers["If-Match"] = '"v1"'

    content_type, data = None, None
    if content:
        content_type = draw(st.sampled_from(sorted(content)))
        schema = content[content_type]["schema"]
        if content_type != "application/json":
            data = draw(st.binary(max_size=256))
        elif target == "body:whole":
            data = bad(st.sampled_from(HOSTILE_BODIES))
        else:
            if isinstance(target, tuple):  # a forced place in the body: ("body", path)
                body = draw(document_value(schema, "body", ids, (target[1], bad_value)))
            else:
                body = draw(document_value(schema, "body", ids, RANDOM if target == "body" else None))
            data = encode(body, raw_utf8=target is not None and draw(st.booleans()))
    url = url + ("?" + "&".join(query) if query else "")
    return {"method": method, "url": url, "content_type": content_type, "data": data,
            "headers": headers, "target": target}


def _header_text(choice) -> str:
    """What an HTTP header can carry at all: latin-1, no line breaks."""
    text = _query_text(choice).replace("\r", " ").replace("\n", " ")
    return text.encode("latin-1", "replace").decode("latin-1")


# --- the sweep: each kind of bad value at each place, once -----------------------------------

# Random draws reach a given place with a given bad value only by luck; these go to every
# place of every operation once, the rest of the request plausible.
NAN = math.nan
KEY_BAD = {
    "text": ["a\x00b", "\ud800", "\x01", "x" * 10_001],
    "date": ["0001-01-01", "9999-12-31"],
    "date-time": ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"],
    "number": [NAN, RawJSON("9" * 5000), RawJSON("1e400"), 2**64],
    "any": [NAN, RawJSON("9" * 5000), "\x00", RawJSON("[" * 40 + "]" * 40)],
}


def _kind(schema: dict) -> str:
    schema = _resolve(schema)
    fmt, kind = schema.get("format"), schema.get("type")
    if fmt in {"date", "date-time"}:
        return fmt
    if kind in {"integer", "number"}:
        return "number"
    return "text" if kind == "string" else "any"


def sweep(method: str, path: str, operation: dict) -> list[tuple]:
    """(place, value) for every place of the operation and the key bad values of its kind:
    "path:name", "query:name", "header:name", ("body", path) or "body:whole"."""
    cases = []
    for parameter in operation.get("parameters", []):
        place = f"{parameter['in']}:{parameter['name']}"
        cases += [(place, v) for v in KEY_BAD[_kind(parameter["schema"])]]
    cases += [("header:If-Match", '"v' + "9" * 5000 + '"'), ("header:X-Request-ID", "\x00"),
              ("query:(extra)", "\ud800")]
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        for where, schema in leaf_places(content["application/json"]["schema"]):
            kind = "any" if where[-1] == "(extra)" else _kind(schema)
            cases += [(("body", where), v) for v in KEY_BAD[kind]]
        cases += [("body:whole", ("[" * 5000).encode()), ("body:whole", b'{"a": NaN}')]
    return cases


# --- the test ------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def _clean_database():
    """Replaces conftest's: this module seeds once (`world`) and empties the tables when
    it is done, not after each operation (seeding per operation cost more than fuzzing)."""
    yield


@pytest.fixture(scope="module")
def world(app, seed_snapshot):
    """The demo seed, and a draft visit with a finding, whose ids the requests use."""
    conftest.restore_seed(app, seed_snapshot)
    demo = conftest.Demo(app)
    client = app.test_client()
    _reset_throttle(app)
    inspector = {"Authorization": f"Bearer {_login(client, 'inspector1')['access_token']}"}
    visit_id = create_visit(client, inspector, visit_body(my_team(client, inspector)))
    answer = passing_answer(demo, next(iter(demo.criteria)))
    synced = client.put(f"/api/v1/visits/{visit_id}/findings", json={"findings": [answer]},
                        headers=inspector)
    assert synced.status_code == 200, synced.get_json()
    # An approved visit with a failure, so the corrections' operations reach a real one.
    headers = {name: {"Authorization": f"Bearer {_login(client, name)['access_token']}"}
               for name in ("inspector1", "inspector2", "reviewer1")}
    Flow(client, demo, headers.__getitem__).approved("TQ-TANTRAO", "2026-11-10", {"SEAT-02": "fail"})
    with app.app_context():
        plan_ids = list(db.session.scalars(select(InspectionPlan.id)))
        correction_ids = list(db.session.scalars(select(Correction.id)))
        db.session.remove()
    assert correction_ids
    # A conclusion notice of that visit's unit, so the notices' operations reach a real one.
    notice = client.post(f"/api/v1/plans/{plan_ids[0]}/notices", headers=headers["reviewer1"], json={
        "org_unit_id": demo.units["TQ-TANTRAO"], "document_number": "01/TB-SNV",
        "document_date": "2026-12-05", "signer_name": "Phạm Thị Hòa"})
    assert notice.status_code == 201, notice.get_json()
    ids = Ids(demo, visit_id, answer["id"], plan_ids, correction_ids)
    ids.by_name["notice_id"] = [notice.get_json()["id"]]
    yield ids
    conftest.empty_database(app)


def _login(client, username: str) -> dict | None:
    response = client.post("/api/v1/auth/login",
                           json={"username": username, "password": conftest.DEMO_PASSWORD})
    return response.get_json() if response.status_code == 200 else None


@pytest.fixture
def tokens(app, world):
    return _fresh_tokens(app)


def _fresh_tokens(app) -> dict:
    """Tokens of every role that can still log in: an earlier request may have logged one
    out, throttled the address, or (PATCH /users, run last) changed it."""
    _reset_throttle(app)
    client = app.test_client()
    result = {role: _login(client, role) for role in ROLES}
    result = {role: token for role, token in result.items() if token}
    assert result, "no role can log in any more"
    return result


def _strict_json(text: str):
    def refuse(constant):
        raise ValueError(f"{constant} in an answer")

    return json.loads(text, parse_constant=refuse)


# marshmallow's default messages, which the users must never read untranslated.
ENGLISH = re.compile(r"^(Not a valid|Missing data|Unknown field|Must be|Longer than|Shorter "
                     r"than|Length must|Field may not|Invalid|String does not|Special numeric)")


def _messages(errors):
    if isinstance(errors, dict):
        for value in errors.values():
            yield from _messages(value)
    elif isinstance(errors, list):
        for value in errors:
            yield from _messages(value)
    elif isinstance(errors, str):
        yield errors


def _check_answer(response, request, caller, before, after) -> list[str]:
    where = f"{request['method']} {request['url'][:200]} as {caller}"
    status = response.status_code
    wrong = []
    if status >= 500:
        wrong.append(f"{status} for {where}: {response.get_data(as_text=True)[:300]}\n"
                     f"  body: {request['data'][:300] if request['data'] else None!r}\n"
                     f"  headers: {request['headers']!r:.300}")
        return wrong
    if not re.match(REQUEST_ID, response.headers.get("X-Request-ID", "")):
        wrong.append(f"unsafe X-Request-ID echoed for {where}")
    if status >= 400:
        if response.mimetype != PROBLEM:
            wrong.append(f"{status} as {response.mimetype} for {where}")
        else:
            body = _strict_json(response.get_data(as_text=True))
            if body.get("status") != status or not body.get("title") or not body.get("detail"):
                wrong.append(f"{status} with a broken problem body for {where}: {body}")
            if status == 422 and not isinstance(body.get("errors", body.get("missing")), (dict, list)):
                wrong.append(f"422 without field errors for {where}: {body}")
            english = [m for m in _messages(body.get("errors")) if ENGLISH.match(m)]
            if english:
                wrong.append(f"untranslated messages for {where}: {english[:3]}")
        if before is not None and before != after:
            changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
            wrong.append(f"{status} for {where} yet rows changed: {changed}")
    elif response.mimetype == "application/json" and response.get_data():
        _strict_json(response.get_data(as_text=True))
    return wrong


def _reset_throttle(app) -> None:
    """Failed logins are throttled (429) after a few: let each one reach the view."""
    with app.app_context():
        login_throttle(app).reset()


def _send(client, request, caller, tokens):
    if request["url"].startswith("/api/v1/auth/login"):
        _reset_throttle(client.application)
    headers = dict(request["headers"])
    if caller != NO_TOKEN:
        kind = "refresh_token" if request["url"].startswith("/api/v1/auth/refresh") else "access_token"
        headers["Authorization"] = f"Bearer {tokens[caller][kind]}"
    return client.open(request["url"], method=request["method"], data=request["data"],
                       content_type=request["content_type"], headers=headers)


# Tables a refused login may write by design: the failed attempt is audited.
# A failed login is audited and counted by the throttle (which this test also resets
# before each login): rows that a refused login writes on purpose.
AUDITED_FAILURES = {("POST", "/api/v1/auth/login"): {"audit_events", "login_counters"}}


@pytest.mark.parametrize("method, path, operation", OPERATIONS,
                         ids=[f"{m} {p}" for m, p, _ in OPERATIONS])
def test_no_input_gives_a_server_error(app, world, tokens, method, path, operation):
    """First the sweep (each key bad value at each place, as the roles the operation lets
    past authorization, or all when none is), then the random run as every role and with
    no token. Every answer passes `_check_answer`."""
    client = app.test_client()
    # A request with nothing bad in it (the forced value is a valid request id) tells
    # which roles the operation lets in.
    plain = _one(requests_for(method, path, operation, world, forced=("header:X-Request-ID", "ok")))
    allowed = [role for role in tokens
               if _send(client, plain, role, tokens).status_code not in {401, 403}] or list(tokens)
    wrong = []
    for case in sweep(method, path, operation):
        request = _one(requests_for(method, path, operation, world, forced=case))
        before = _counts(app, method, path)
        for caller in allowed:
            response = _send(client, request, caller, tokens)
            after = _counts(app, method, path)
            wrong += _check_answer(response, request, caller, before, after)
            before = after
    assert not wrong, "\n".join(wrong[:20])

    tokens = _fresh_tokens(app)  # the sweep may have logged them out
    callers = (*tokens, NO_TOKEN)
    reached: dict[str, set[int]] = defaultdict(set)

    @hypothesis.settings(
        max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                               HealthCheck.data_too_large, HealthCheck.large_base_example,
                               HealthCheck.filter_too_much],
    )
    @hypothesis.given(request=requests_for(method, path, operation, world))
    def run(request):
        found = []
        before = _counts(app, method, path)
        for caller in callers:
            response = _send(client, request, caller, tokens)
            after = _counts(app, method, path)
            found += _check_answer(response, request, caller, before, after)
            reached[caller].add(response.status_code)
            before = after
        assert not found, "\n".join(found)

    run()
    # The run proved something only if tokens worked: some role got past authentication.
    assert any(reached[role] - {401} for role in tokens), dict(reached)


def _one(strategy):
    """The simplest value `strategy` makes (hypothesis's first, deterministic draw)."""
    found = []

    @hypothesis.settings(max_examples=1, derandomize=True, database=None, deadline=None,
                         phases=[hypothesis.Phase.generate],
                         suppress_health_check=list(HealthCheck))
    @hypothesis.given(strategy)
    def take(value):
        found.append(value)

    take()
    return found[0]


def _counts(app, method: str, path: str):
    if method == "GET":
        return None
    ignored = AUDITED_FAILURES.get((method, path), set())
    with app.app_context():
        return {t: n for t, n in row_counts().items() if t not in ignored}
