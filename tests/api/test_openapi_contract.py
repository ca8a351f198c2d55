"""The API keeps its own OpenAPI contract.

A property-based run of schemathesis over every operation of /api/v1/openapi.json, sent
as each demo role and with no token: no 5xx, every status documented, every body in its
documented content type and schema. Plus the document itself (valid OpenAPI 3, bearer
security everywhere but login) and the docs page, which must work with no CDN.
"""

from __future__ import annotations

import re
from collections import defaultdict

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck
from openapi_spec_validator import validate as validate_openapi
from schemathesis.checks import not_a_server_error
from schemathesis.generation.meta import TestPhase
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from inspect_api.app import create_app
from tests import conftest

# Reads what a reader or a client sees, built by the services the API tests run on both
# databases: `make test` runs it in the SQLite pass only (pyproject.toml, marker `once`).
pytestmark = pytest.mark.once

OPENAPI = "/api/v1/openapi.json"
DOCS = "/api/v1/docs"
DOCS_ASSETS = "/api/v1/docs/assets/"
BEARER = {"bearerAuth": []}
# Who sends each case. Admin last: what its case changes (a user disabled, a password
# reset) then reaches only later examples, not the other roles' turn.
ROLES = ("leader1", "reviewer1", "inspector1", "admin")
NO_TOKEN = "no token"
# The Authorization header schemathesis made up from bearerAuth: missing, empty, or a
# garbage token.
GENERATED = "generated token"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
# What a request without a valid token may get from a secured operation: refused by
# routing (404, 405) or by the body rules that run before any view (413, 415), else 401.
ANONYMOUS_STATUSES = {401, 404, 405, 413, 415}
# The input rules that also run before any view (inputs.py: NUL, NaN, nesting...) answer
# with problem types of their own, so a schema's 422 reached without a token still fails.
PRE_VIEW_PROBLEMS = {(400, "/problems/unreadable-body"), (422, "/problems/refused-input")}


def _load_document() -> dict:
    """The document depends on the code only, never on the database, so it is read from
    an app that is built and never connects (collection runs before the session app
    exists). The requests themselves go to the session app."""
    spec_app = create_app(conftest.test_settings(), environ={})
    response = spec_app.test_client().get(OPENAPI)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


schema = schemathesis.openapi.from_dict(_load_document())


def _is_public(operation) -> bool:
    return not operation.definition.raw.get("security")


@pytest.fixture
def tokens(client, demo):
    """Access and refresh tokens of every demo role, taken before the fuzzing starts, so
    fuzzing POST /auth/login (which trips the login throttle) cannot lock them out."""
    result = {}
    for username in ROLES:
        response = client.post("/api/v1/auth/login",
                               json={"username": username, "password": conftest.DEMO_PASSWORD})
        assert response.status_code == 200, response.get_json()
        result[username] = response.get_json()
        me = client.get("/api/v1/auth/me",
                        headers={"Authorization": f"Bearer {result[username]['access_token']}"})
        assert me.status_code == 200, me.get_json()
    return result


class Reach:
    """Per role, the statuses its requests got."""

    def __init__(self):
        self.statuses: dict[str, set[int]] = defaultdict(set)
        self.failed = False


@pytest.fixture
def reached():
    """Afterwards, every role with a token must have got past authentication at least
    once (any status but 401), or the run proved nothing about that role."""
    reach = Reach()
    yield reach
    if reach.failed:
        return  # the failure itself is the report
    for role in ROLES:
        if role in reach.statuses:
            assert reach.statuses[role] - {401}, (
                f"{role} never got past authentication: {sorted(reach.statuses[role])}")


def _callers(case) -> tuple[str, ...]:
    data = case.meta.phase.data if case.meta is not None else None
    if _is_public(case.operation) or (data is not None and data.parameter == "Authorization"):
        # The case is about the token itself (or no token is read): send it as made.
        return (GENERATED,)
    if case.meta is not None and case.meta.phase.name == TestPhase.COVERAGE:
        # Coverage cases vary the input, which is never read without a valid token
        # (401 comes first); the random phase sends every operation tokenless too.
        return ROLES
    return (NO_TOKEN, GENERATED, *ROLES)


def _call(case, app, tokens, caller):
    if caller == GENERATED:
        return case.call_and_validate(app=app, checks=CHECKS)
    if caller == NO_TOKEN:
        made_up = case.headers.pop("Authorization", None) if case.headers else None
        try:
            return case.call_and_validate(app=app, checks=CHECKS)
        finally:
            if made_up is not None:
                case.headers["Authorization"] = made_up
    kind = "refresh_token" if case.operation.path == "/api/v1/auth/refresh" else "access_token"
    return case.call_and_validate(app=app, checks=CHECKS,
                                  headers={"Authorization": f"Bearer {tokens[caller][kind]}"})


@schema.parametrize()
@hypothesis.settings(
    max_examples=15,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[
        # Slow examples are the database's doing, not the generator's.
        HealthCheck.too_slow,
        # On purpose: the seed and the tokens are set up once per operation and serve
        # all its examples; per example it would cost minutes.
        HealthCheck.function_scoped_fixture,
    ],
)
def test_operation_keeps_its_contract(case, app, tokens, reached):
    for caller in _callers(case):
        try:
            response = _call(case, app, tokens, caller)
            if caller in (NO_TOKEN, GENERATED) and not _is_public(case.operation):
                refused_input = (response.status_code, _problem_type(response)) in PRE_VIEW_PROBLEMS
                assert response.status_code in ANONYMOUS_STATUSES or refused_input, (
                    f"{response.status_code} without a valid token: the document promises "
                    f"bearerAuth")
        except Exception as exc:  # only annotated, re-raised as is
            reached.failed = True
            exc.add_note(f"sent as: {caller}")
            raise
        if caller in ROLES and case.method.upper() == case.operation.method.upper():
            reached.statuses[caller].add(response.status_code)


def _problem_type(response) -> str | None:
    try:
        return response.json().get("type")
    except ValueError:
        return None


def test_document_is_valid_openapi_3(client):
    response = client.get(OPENAPI)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    document = response.get_json()
    assert document["openapi"].startswith("3.")
    validate_openapi(document)  # raises on any violation of the OpenAPI 3 schema
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT"}


def _operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in {"get", "put", "post", "patch", "delete"}:
                yield path, method, operation


def test_every_operation_but_login_requires_a_bearer_token(client):
    document = client.get(OPENAPI).get_json()
    operations = list(_operations(document))
    api_operations = [op for op in operations if op[0].startswith("/api/v1/")]
    assert len(api_operations) >= 30, "the document lost its operations"
    assert "security" not in document, "a global requirement would hide a missing one"
    for path, method, operation in api_operations:
        if (path, method) == ("/api/v1/auth/login", "post"):
            assert not operation.get("security"), "login must be callable without a token"
            continue
        assert operation.get("security") == [BEARER], f"{method.upper()} {path}"
        assert "401" in operation["responses"], f"{method.upper()} {path} hides its 401"


def test_docs_page_works_offline(client):
    response = client.get(DOCS)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "swagger-ui" in html.lower()
    assert f'"{OPENAPI}"' in html or f"'{OPENAPI}'" in html, "the page does not load our document"
    urls = re.findall(r'(?:src|href)\s*=\s*["\']([^"\']+)["\']', html)
    scripts = re.findall(r'<script[^>]*\bsrc\s*=\s*["\']([^"\']+)["\']', html)
    assert scripts, "the docs page loads no script"
    for url in urls:
        assert url.startswith(DOCS_ASSETS), f"{url} is not served by the API itself"
    assert not re.search(r"https?://|//cdn", html), "the page reaches for another host"
    for url in scripts:
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert asset.mimetype in {"application/javascript", "text/javascript"}, asset.mimetype
        assert len(asset.get_data()) > 10_000, f"{url} is not the Swagger UI bundle"
    for url in set(urls) - set(scripts):
        assert client.get(url).status_code == 200, url
    assert client.get(DOCS_ASSETS + "no-such-file.js").status_code == 404


# Past PostgreSQL's INTEGER, and past SQLite's 64-bit INTEGER: either overflowed in the
# database (500) before ids were bounded. The fuzzing above finds these only by chance.
BEYOND_IDS = (2**31, 2**63)


def test_ids_beyond_the_id_range_are_refused_not_crashed(client, demo, login):
    admin, inspector = login("admin"), login("inspector1")
    wrong = []

    def expect(response, status, where):
        if response.status_code != status or response.mimetype != "application/problem+json":
            wrong.append(f"{where}: {response.status_code} {response.get_data(as_text=True)[:200]}")

    filters = [("/api/v1/org-units", "parent_id"), ("/api/v1/desks", "org_unit_id"),
               ("/api/v1/staff", "org_unit_id"), ("/api/v1/staff", "desk_id"),
               ("/api/v1/visits", "desk_id"), ("/api/v1/visits", "team_id"),
               ("/api/v1/visits", "plan_id"), ("/api/v1/audit", "actor_id")]
    items = ["users", "org-units", "desks", "staff", "checklists", "plans", "teams"]
    team_id = demo.team_of["inspector1"]
    for value in BEYOND_IDS:
        for path, param in filters:
            response = client.get(path, query_string={param: value}, headers=admin)
            expect(response, 422, f"GET {path}?{param}={value}")
        for item in items:
            response = client.get(f"/api/v1/{item}/{value}", headers=admin)
            expect(response, 404, f"GET /api/v1/{item}/{value}")
        body = {"desk_id": value, "checklist_id": demo.checklist_id, "team_id": team_id,
                "started_at": "2026-11-20T01:15:00+00:00"}
        response = client.put(f"/api/v1/visits/{conftest.new_id()}", json=body, headers=inspector)
        expect(response, 422, f"PUT /api/v1/visits desk_id={value}")
        response = client.post("/api/v1/desks", headers=admin, json={
            "org_unit_id": value, "code": "X-1", "name": "Bộ phận thử", "level": "commune"})
        expect(response, 422, f"POST /api/v1/desks org_unit_id={value}")
    assert not wrong, "\n".join(wrong)
