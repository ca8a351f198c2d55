"""The OpenAPI document as a tablet team uses it: a client generated from it, driven
through a visit against a real server, and the document's own promises (operation ids,
problem bodies, headers, required fields) checked where a generator relies on them.

tests/api/test_openapi_contract.py checks that the server keeps the document; this file
checks that the document is one a client can be generated from and trusted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import io
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import attrs
import pytest
from werkzeug.serving import make_server

from inspect_api.app import create_app
from tests import conftest
from tests.photos import phone_photo

OPENAPI = "/api/v1/openapi.json"
PROBLEM = "application/problem+json"
BIN = Path(sys.executable).parent
# The Redocly CLI release the lint is pinned to (the last one that runs on Node 20, which
# CI has); `@latest` would change the rules under the tests' feet.
REDOCLY = "@redocly/cli@2.77.0"
# Linter warnings left on purpose, with the reason (see the report in the commit).
ALLOWED_LINT_WARNINGS = {
    # The project has no licence yet; choosing one is the owner's decision, not the API's.
    "info-license",
}
CLIENT_PACKAGE = "inspect_api_client"


def _document() -> dict:
    """The document as served, from an app that never connects (it depends on the code only)."""
    app = create_app(conftest.test_settings(), environ={})
    response = app.test_client().get(OPENAPI)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


@pytest.fixture(scope="module")
def document() -> dict:
    return _document()


@pytest.fixture(scope="module")
def document_file(document, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("openapi") / "openapi.json"
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def _operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in {"get", "put", "post", "patch", "delete"}:
                yield path, method, operation


def _resolve(document, node: dict) -> dict:
    while "$ref" in node:
        *_, section, name = node["$ref"].split("/")
        node = document["components"][section][name]
    return node


# --- the document -------------------------------------------------------------------

# Generated clients are called by these names (list_visits in Python, listVisits in
# TypeScript): renaming one breaks every tablet app. Add new ones; never change these.
OPERATION_IDS = {
    "POST /api/v1/auth/login": "login",
    "POST /api/v1/auth/refresh": "refreshToken",
    "POST /api/v1/auth/logout": "logout",
    "GET /api/v1/auth/me": "getMe",
    "POST /api/v1/auth/password": "changePassword",
    "GET /api/v1/users": "listUsers",
    "POST /api/v1/users": "createUser",
    "GET /api/v1/users/{user_id}": "getUser",
    "PATCH /api/v1/users/{user_id}": "updateUser",
    "GET /api/v1/org-units": "listOrgUnits",
    "POST /api/v1/org-units": "createOrgUnit",
    "GET /api/v1/org-units/{unit_id}": "getOrgUnit",
    "PATCH /api/v1/org-units/{unit_id}": "updateOrgUnit",
    "GET /api/v1/desks": "listDesks",
    "POST /api/v1/desks": "createDesk",
    "GET /api/v1/desks/{desk_id}": "getDesk",
    "PATCH /api/v1/desks/{desk_id}": "updateDesk",
    "GET /api/v1/staff": "listStaff",
    "POST /api/v1/staff": "createStaff",
    "GET /api/v1/staff/{staff_id}": "getStaff",
    "PATCH /api/v1/staff/{staff_id}": "updateStaff",
    "GET /api/v1/checklists": "listChecklists",
    "POST /api/v1/checklists": "createChecklist",
    "GET /api/v1/checklists/{checklist_id}": "getChecklist",
    "PATCH /api/v1/checklists/{checklist_id}": "updateChecklist",
    "POST /api/v1/checklists/{checklist_id}/publish": "publishChecklist",
    "GET /api/v1/plans": "listPlans",
    "POST /api/v1/plans": "createPlan",
    "GET /api/v1/plans/{plan_id}": "getPlan",
    "PATCH /api/v1/plans/{plan_id}": "updatePlan",
    "GET /api/v1/plans/{plan_id}/teams": "listPlanTeams",
    "POST /api/v1/plans/{plan_id}/teams": "createTeam",
    "GET /api/v1/teams/{team_id}": "getTeam",
    "PATCH /api/v1/teams/{team_id}": "updateTeam",
    "GET /api/v1/visits": "listVisits",
    "GET /api/v1/visits/{visit_id}": "getVisit",
    "PUT /api/v1/visits/{visit_id}": "putVisit",
    "PUT /api/v1/visits/{visit_id}/findings": "putFindings",
    "POST /api/v1/visits/{visit_id}/submit": "submitVisit",
    "GET /api/v1/visits/{visit_id}/minutes.pdf": "getVisitMinutes",
    "PUT /api/v1/visits/{visit_id}/evidence/{evidence_id}": "uploadEvidence",
    "DELETE /api/v1/visits/{visit_id}/evidence/{evidence_id}": "deleteEvidence",
    "GET /api/v1/evidence/{evidence_id}": "getEvidence",
    "GET /api/v1/evidence/{evidence_id}/content": "downloadEvidence",
    "GET /api/v1/evidence/{evidence_id}/thumbnail": "downloadEvidenceThumbnail",
    "GET /api/v1/review/queue": "listReviewQueue",
    "POST /api/v1/visits/{visit_id}/review": "reviewVisit",
    "GET /api/v1/findings/{finding_id}/explanation": "getExplanation",
    "POST /api/v1/findings/{finding_id}/explanation": "recordExplanation",
    "GET /api/v1/reports/scores": "getScores",
    "GET /api/v1/reports/scores/export": "exportScores",
    "GET /api/v1/reports/lists": "computeList",
    "POST /api/v1/reports/lists": "freezeList",
    "GET /api/v1/reports/lists/frozen": "listFrozenLists",
    "GET /api/v1/reports/lists/{list_id}": "getFrozenList",
    "GET /api/v1/reports/lists/{list_id}/export": "exportFrozenList",
    "GET /api/v1/audit": "listAuditEvents",
    "GET /api/v1/audit/verify": "verifyAuditChain",
}


def test_operation_ids_are_stable_and_unique(document):
    found = {f"{method.upper()} {path}": operation.get("operationId")
             for path, method, operation in _operations(document)}
    changed = {key: (OPERATION_IDS[key], found[key]) for key in OPERATION_IDS
               if key in found and found[key] != OPERATION_IDS[key]}
    assert not changed, f"operationIds changed (was, now): {changed}"
    gone = sorted(set(OPERATION_IDS) - set(found))
    assert not gone, f"operations gone: {gone}"
    unnamed = sorted(key for key, name in found.items() if not name)
    assert not unnamed, f"operations without an operationId: {unnamed}"
    names = list(found.values())
    assert len(names) == len(set(names)), "two operations share an operationId"


def test_public_operations_say_so_and_the_rest_require_a_token(document):
    for path, method, operation in _operations(document):
        if (path, method) == ("/api/v1/auth/login", "post"):
            # An explicit empty list: "no token", not "whatever the default is".
            assert operation["security"] == []
        else:
            assert operation["security"] == [{"bearerAuth": []}], f"{method} {path}"


def test_every_error_is_a_typed_problem_and_every_answer_names_its_request(document):
    wrong = []
    for path, method, operation in _operations(document):
        for status, answer in operation["responses"].items():
            response = _resolve(document, answer)
            where = f"{method.upper()} {path} {status}"
            headers = response.get("headers", {})
            if "X-Request-ID" not in headers:
                wrong.append(f"{where}: no X-Request-ID header")
            if int(status) in (429, 503) and "Retry-After" not in headers:
                wrong.append(f"{where}: no Retry-After header")
            if int(status) < 400:
                continue
            content = response.get("content", {})
            if list(content) != [PROBLEM]:
                wrong.append(f"{where}: content {list(content)}")
                continue
            schema = _resolve(document, content[PROBLEM]["schema"])
            if not {"type", "title", "status", "detail"} <= set(schema.get("required", [])):
                wrong.append(f"{where}: not a problem schema")
    assert not wrong, "\n".join(wrong)


def _problem(document, path, method, status) -> dict:
    response = _resolve(document, document["paths"][path][method]["responses"][status])
    return _resolve(document, response["content"][PROBLEM]["schema"])


def test_problem_members_are_typed_by_what_they_carry(document):
    def ref(schema, member):
        prop = schema["properties"][member]
        return prop.get("$ref") or prop.get("items", {}).get("$ref")

    visit = "/api/v1/visits/{visit_id}"
    for path, method in ((visit, "put"), (visit + "/findings", "put"), (visit + "/submit", "post"),
                         (visit + "/review", "post")):
        conflict = _problem(document, path, method, "409")
        assert ref(conflict, "current") == "#/components/schemas/VisitDetail", (path, method)
        assert "current" in conflict["required"]
    precondition = _problem(document, visit, "put", "428")
    assert ref(precondition, "current") == "#/components/schemas/VisitDetail"
    submit = _problem(document, visit + "/submit", "post", "422")
    # Present when the visit cannot be submitted yet; absent on a refused input.
    assert {"missing", "missing_evidence"} <= set(submit["properties"])
    assert not {"missing", "missing_evidence"} & set(submit.get("required", []))
    assert ref(submit, "missing") == "#/components/schemas/MissingCriterion"
    assert ref(submit, "missing_evidence") == "#/components/schemas/MissingEvidence"
    upload = _problem(document, visit + "/evidence/{evidence_id}", "put", "409")
    assert ref(upload, "current") == "#/components/schemas/Evidence"
    assert "current" not in upload["required"], "a photo used by another visit has no `current`"
    invalid = _problem(document, "/api/v1/desks", "post", "422")
    assert "errors" in invalid["properties"]
    login = document["paths"]["/api/v1/auth/login"]["post"]["responses"]
    assert {"401", "429"} <= set(login)


def _response_components(document) -> set[str]:
    """Schemas reachable from any response."""
    seen: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            if "$ref" in node and node["$ref"].startswith("#/components/schemas/"):
                name = node["$ref"].rsplit("/", 1)[-1]
                if name not in seen:
                    seen.add(name)
                    walk(document["components"]["schemas"][name])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for _, _, operation in _operations(document):
        for response in operation["responses"].values():
            walk(_resolve(document, response))
    return seen


def test_response_schemas_list_what_is_always_there_and_nulls_are_typed(document):
    schemas = document["components"]["schemas"]
    answers = _response_components(document)
    assert {"VisitDetail", "Evidence", "DeskFeed", "Problem"} <= answers
    wrong = []
    for name in sorted(answers):
        schema = schemas[name]
        if schema.get("type") != "object" or "properties" not in schema:
            continue
        optional = set(schema["properties"]) - set(schema.get("required", []))
        # Only problem members that depend on the error may be absent from an answer: a
        # 422 on submit lists what is missing unless the input itself was refused.
        if optional - {"request_id", "errors", "current", "missing", "missing_evidence"}:
            wrong.append(f"{name}: not required: {sorted(optional)}")
    text = json.dumps(document)
    assert '"nullable"' not in text, "OpenAPI 3.1 says null with type: [..., 'null'], not nullable"

    def no_null_choices(node, where):
        if isinstance(node, dict):
            if None in node.get("enum", []):
                wrong.append(f"{where}: null among the enum values")
            for key, value in node.items():
                no_null_choices(value, f"{where}.{key}")
        elif isinstance(node, list):
            for value in node:
                no_null_choices(value, where)

    no_null_choices(document, "document")
    location = schemas["Visit"]["properties"]["location"]
    assert location == {"anyOf": [{"$ref": "#/components/schemas/Location"}, {"type": "null"}]}
    assert not wrong, "\n".join(wrong)


def test_bodies_and_answers_of_one_resource_are_separate_where_they_differ(document):
    schemas = document["components"]["schemas"]
    # The answer carries server-written fields, always; the body has none of them.
    assert {"id", "updated_at", "address"} <= set(schemas["Desk"]["required"])
    assert "id" not in schemas["DeskInput"]["properties"]
    assert set(schemas["DeskInput"]["required"]) == {"org_unit_id", "code", "name", "level"}
    body = document["paths"]["/api/v1/desks"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/DeskInput"}
    criteria = schemas["ChecklistDetailInput"]["properties"]["criteria"]["items"]
    assert criteria == {"$ref": "#/components/schemas/CriterionInput"}
    assert "password" not in schemas["User"]["properties"]


def test_evidence_flags_and_desk_location_are_typed(document):
    """A generated client reads the flags as one typed object with closed choices, and
    sends a desk's location in the shape a visit's already has."""
    schemas = document["components"]["schemas"]
    assert schemas["Evidence"]["properties"]["flags"]["$ref"] == "#/components/schemas/EvidenceFlags"
    assert "flags" in schemas["Evidence"]["required"]
    flags = schemas["EvidenceFlags"]
    assert set(flags["required"]) == set(flags["properties"]) == {
        "time", "minutes_outside", "place", "distance_m", "duplicate", "duplicate_of_visits",
        "duplicates_hidden", "attention"}
    assert set(flags["properties"]["time"]["enum"]) == {"ok", "outside", "unknown"}
    assert set(flags["properties"]["place"]["enum"]) == {"ok", "far", "unknown"}
    assert flags["properties"]["distance_m"]["type"] == ["integer", "null"]
    assert flags["properties"]["duplicate_of_visits"]["items"]["format"] == "uuid"
    for name in ("Desk", "DeskInput", "DeskUpdate"):
        location = schemas[name]["properties"]["location"]
        assert location["anyOf"] == [{"$ref": "#/components/schemas/Location"}, {"type": "null"}], name
    assert set(schemas["Location"]["required"]) == {"lat", "lon"}


def test_headers_the_server_reads_and_writes_are_documented(document):
    def parameters(path, method):
        return {(p["in"], p["name"]) for p in (_resolve(document, p) for p in
                                                document["paths"][path][method].get("parameters", []))}

    for path, method, _ in _operations(document):
        assert ("header", "X-Request-ID") in parameters(path, method), f"{method} {path}"
    visit = "/api/v1/visits/{visit_id}"
    assert ("header", "If-Match") in parameters(visit, "put")
    for path, method, statuses in ((visit, "get", ["200"]), (visit, "put", ["200", "201"]),
                                   (visit + "/submit", "post", ["200"]),
                                   (visit + "/review", "post", ["200"])):
        for status in statuses:
            assert "ETag" in document["paths"][path][method]["responses"][status]["headers"]
    upload = visit + "/evidence/{evidence_id}"
    assert {("header", "X-Content-SHA256"), ("header", "X-Finding-ID"),
            ("query", "finding_id")} <= parameters(upload, "put")
    body = document["paths"][upload]["put"]["requestBody"]
    assert body["required"] is True
    assert body["content"] == {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
    content = document["paths"]["/api/v1/evidence/{evidence_id}/content"]["get"]["responses"]
    assert "Location" in content["302"]["headers"]
    assert {"image/jpeg", "image/png", "image/webp", "application/octet-stream"} <= set(content["200"]["content"])
    export = document["paths"]["/api/v1/reports/lists/{list_id}/export"]["get"]["responses"]["200"]
    assert "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" in export["content"]


# --- Redocly's linter ---------------------------------------------------------------

# Skipped only off CI: CI has Node.js, and there a missing linter must fail, not pass.
@pytest.mark.skipif(shutil.which("npx") is None and not os.environ.get("CI"),
                    reason="npx (Node.js) is not installed")
def test_redocly_lint_finds_no_error(document_file):
    result = subprocess.run(
        ["npx", "--yes", REDOCLY, "lint", str(document_file), "--format=json"],
        capture_output=True, text=True, timeout=300, check=False)
    start = result.stdout.find("{")
    assert start >= 0, f"no report from Redocly:\n{result.stdout}\n{result.stderr}"
    report = json.loads(result.stdout[start:])
    problems = [(p["severity"], p["ruleId"], p["message"],
                 [location.get("pointer") for location in p.get("location", [])])
                for p in report["problems"]]
    errors = [p for p in problems if p[0] == "error"]
    assert not errors, json.dumps(errors, indent=1)
    warnings = [p for p in problems if p[1] not in ALLOWED_LINT_WARNINGS]
    assert not warnings, json.dumps(warnings, indent=1)


# --- a generated Python client, driven through a visit ---------------------------------

@pytest.fixture(scope="module")
def generated_client(document_file, tmp_path_factory):
    """openapi-python-client run on the document, as a tablet team would: no warning."""
    out = tmp_path_factory.mktemp("generated")
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}  # its ruff
    result = subprocess.run(
        [str(BIN / "openapi-python-client"), "generate", "--path", str(document_file),
         "--meta", "none", "--output-path", str(out / CLIENT_PACKAGE), "--fail-on-warning"],
        capture_output=True, text=True, timeout=300, env=env, check=False)
    printed = result.stdout + result.stderr
    assert result.returncode == 0, printed
    assert "warning" not in printed.lower(), printed
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module(CLIENT_PACKAGE)
    finally:
        sys.path.remove(str(out))
        for name in [name for name in sys.modules if name.split(".")[0] == CLIENT_PACKAGE]:
            del sys.modules[name]


@pytest.fixture(scope="module")
def live_url(app):
    """The test app served over TCP by werkzeug in a thread."""
    server = make_server("127.0.0.1", conftest.free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def _answer(findings_model, result_enum, criterion) -> object:
    """A passing answer in the criterion's own answer type."""
    kind, rule = criterion.answer_type.value, criterion.pass_rule or ""
    item = {"id": uuid.uuid4(), "criterion_id": criterion.id,
            "recorded_at": dt.datetime(2026, 11, 20, 1, 30, tzinfo=dt.UTC)}
    if kind in {"yes_no", "text"}:
        item["result"] = result_enum.PASS
    elif kind == "count":
        item["value"] = 0
    elif kind == "percent":
        item["value"] = 100
    elif kind == "time":
        item["value"] = "17:05" if "closes_at" in rule else "07:20"
    return findings_model(**item)


def test_a_generated_client_takes_a_visit_from_login_to_submit(generated_client, live_url, demo):
    started = time.monotonic()
    c = generated_client
    from inspect_api_client import models as m
    from inspect_api_client.api.auth import get_me, login
    from inspect_api_client.api.checklists import get_checklist
    from inspect_api_client.api.desks import list_desks
    from inspect_api_client.api.evidence import download_evidence, upload_evidence
    from inspect_api_client.api.staff import list_staff
    from inspect_api_client.api.visits import get_visit, put_findings, put_visit, submit_visit
    from inspect_api_client.types import File

    anonymous = c.Client(base_url=live_url, raise_on_unexpected_status=True)
    refused = login.sync_detailed(client=anonymous, body=m.Login(username="inspector1", password="not-it"))
    assert refused.status_code == 401
    assert isinstance(refused.parsed, m.Problem) and refused.parsed.status == 401
    tokens = login.sync(client=anonymous, body=m.Login(username="inspector1", password=conftest.DEMO_PASSWORD))
    assert isinstance(tokens, m.Tokens) and tokens.user.username == "inspector1"
    api = c.AuthenticatedClient(base_url=live_url, token=tokens.access_token,
                                raise_on_unexpected_status=True)

    me = get_me.sync(client=api)
    team = me.teams[0]
    # Reference data with the sync cursor: page through, keep the cursor; the next pull
    # with it brings nothing, as nothing changed.
    desks, cursor, pages = [], None, 0
    while True:
        feed = list_desks.sync(client=api, per_page=4, **({"cursor": cursor} if cursor else {}))
        assert isinstance(feed, m.DeskFeed), feed
        desks += feed.items
        cursor, pages = feed.meta.cursor, pages + 1
        if not feed.meta.more:
            break
    assert pages > 1 and set(team.desk_ids) <= {d.id for d in desks}
    again = list_desks.sync(client=api, cursor=cursor)
    assert again.items == [] and again.removed == [] and again.meta.reset is False
    desk_id = team.desk_ids[0]
    staff = list_staff.sync(client=api, per_page=200).items
    checklist = get_checklist.sync(team.checklist_id, client=api)
    assert isinstance(checklist, m.ChecklistDetail) and len(checklist.criteria) > 10

    visit_id = uuid.uuid4()
    body = m.VisitPut(desk_id=desk_id, checklist_id=checklist.id, team_id=team.id,
                      started_at=dt.datetime(2026, 11, 20, 1, 15, tzinfo=dt.UTC),
                      notes="Kiểm tra đột xuất", location=m.Location(lat=21.82, lon=105.21),
                      staff_on_duty=[s.id for s in staff if s.desk_id == desk_id][:2])
    created = put_visit.sync_detailed(visit_id, client=api, body=body)
    assert created.status_code == 201 and isinstance(created.parsed, m.VisitDetail)
    assert created.parsed.version == 1 and created.parsed.location.lat == pytest.approx(21.82)
    etag = created.headers["ETag"]

    # Submitting too early: the 422 lists what is missing, typed.
    early = submit_visit.sync_detailed(visit_id, client=api)
    assert early.status_code == 422 and isinstance(early.parsed, m.SubmitProblem)
    assert {item.criterion_id for item in early.parsed.missing} == {c.id for c in checklist.criteria}

    answers = [_answer(m.FindingIn, m.FindingInResultType0, criterion) for criterion in checklist.criteria]
    synced = put_findings.sync(visit_id, client=api, body=m.FindingsBatch(findings=answers))
    assert isinstance(synced, m.FindingsResult) and synced.changed == len(answers)

    photo = phone_photo(800, 600)
    evidence_id = uuid.uuid4()
    for expected in (201, 200):  # the second send is a retry: same record
        uploaded = upload_evidence.sync_detailed(
            visit_id, evidence_id, client=api, body=File(payload=io.BytesIO(photo)),
            finding_id=answers[0].id, x_content_sha256=hashlib.sha256(photo).hexdigest())
        assert uploaded.status_code == expected, uploaded.content
        assert isinstance(uploaded.parsed, m.Evidence)
    evidence = uploaded.parsed
    assert evidence.content_type == "image/jpeg" and (evidence.width, evidence.height) == (800, 600)
    assert evidence.gps is not None and evidence.taken_at is not None
    other_bytes = phone_photo(640, 480)
    clash = upload_evidence.sync_detailed(visit_id, evidence_id, client=api,
                                          body=File(payload=io.BytesIO(other_bytes)),
                                          x_finding_id=str(answers[0].id))
    assert clash.status_code == 409 and isinstance(clash.parsed, m.EvidenceConflictProblem)
    assert clash.parsed.current.sha256 == hashlib.sha256(photo).hexdigest()
    downloaded = download_evidence.sync_detailed(evidence.id, client=api)
    assert downloaded.status_code == 200 and downloaded.content == photo

    # A stale edit: the 409 is read as data, with the server's copy to merge.
    edited = put_visit.sync_detailed(visit_id, client=api, if_match=etag, body=_with(body, notes="Bổ sung"))
    assert edited.status_code == 200 and edited.parsed.version == 2
    stale = put_visit.sync_detailed(visit_id, client=api, body=_with(body, notes="Cũ", version=1))
    assert stale.status_code == 409 and isinstance(stale.parsed, m.VisitConflictProblem)
    assert stale.parsed.current.version == 2 and stale.parsed.current.notes == "Bổ sung"
    unconditional = put_visit.sync_detailed(visit_id, client=api, body=_with(body, notes="Không"))
    assert unconditional.status_code == 428
    assert isinstance(unconditional.parsed, m.VisitPreconditionProblem)
    assert unconditional.parsed.current.version == 2

    submitted = submit_visit.sync_detailed(visit_id, client=api)
    assert submitted.status_code == 200, submitted.content
    assert submitted.parsed.status == m.VisitDetailStatus.SUBMITTED
    final = get_visit.sync(visit_id, client=api)
    assert len(final.findings) == len(answers)
    assert [e.id for f in final.findings for e in f.evidence] == [evidence.id]
    assert time.monotonic() - started < 60


def test_a_generated_client_downloads_the_workbooks(generated_client, live_url, demo):
    from openpyxl import load_workbook

    from inspect_api_client import models as m
    from inspect_api_client.api.auth import login
    from inspect_api_client.api.reports import export_scores, get_scores

    anonymous = generated_client.Client(base_url=live_url)
    tokens = login.sync(client=anonymous, body=m.Login(username="leader1", password=conftest.DEMO_PASSWORD))
    api = generated_client.AuthenticatedClient(base_url=live_url, token=tokens.access_token)
    period = {"from_": dt.date(2026, 10, 1), "to": dt.date(2026, 12, 31)}
    scores = get_scores.sync(client=api, **period)
    assert isinstance(scores, m.Scores) and scores.period == "quý IV/2026"
    workbook = export_scores.sync(client=api, **period)
    book = load_workbook(workbook.payload)
    assert book.worksheets[0].max_row > 5
    refused = export_scores.sync_detailed(client=api, from_=dt.date(2026, 12, 31), to=dt.date(2026, 10, 1))
    assert refused.status_code == 422 and isinstance(refused.parsed, m.ValidationProblem)
    assert "to" in refused.parsed.errors["query"]


def _with(body, **changes):
    """The same body with some fields changed (the generated models are attrs classes)."""
    return attrs.evolve(body, **changes)


# --- a generated TypeScript client, driven through a visit -------------------------------

TS_CLIENT = Path(__file__).parent / "ts_client"
# npm's packages stay between runs (not in git): the second run installs nothing.
TS_WORKDIR = Path(__file__).resolve().parents[2] / ".cache" / "ts-client"


def _run(args: list[str], cwd: Path, timeout: int = 300) -> str:
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
    printed = result.stdout + result.stderr
    assert result.returncode == 0, f"{' '.join(args)}:\n{printed}"
    return printed


@pytest.mark.skipif((shutil.which("npm") is None or shutil.which("node") is None) and not os.environ.get("CI"),
                    reason="Node.js is not installed")
def test_a_generated_typescript_client_takes_a_visit_to_submit(document_file, live_url, demo, tmp_path):
    """A second language's generator (@hey-api/openapi-ts), its output type-checked by tsc
    in strict mode with a tablet-like program (ts_client/src/visit.ts), which then runs
    against the server: login, cursor pull, visit, typed 422, findings, photo, typed 409s,
    submit."""
    TS_WORKDIR.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json", "tsconfig.json"):
        shutil.copy(TS_CLIENT / name, TS_WORKDIR / name)
    shutil.rmtree(TS_WORKDIR / "src", ignore_errors=True)
    shutil.rmtree(TS_WORKDIR / "dist", ignore_errors=True)
    shutil.copytree(TS_CLIENT / "src", TS_WORKDIR / "src")
    _run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"], TS_WORKDIR)
    generated = _run(["npx", "--no-install", "openapi-ts", "-i", str(document_file),
                      "-o", "src/client"], TS_WORKDIR)
    assert "warn" not in generated.lower() and "error" not in generated.lower(), generated
    _run(["npx", "--no-install", "tsc", "-p", "."], TS_WORKDIR)
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(phone_photo(800, 600))
    printed = _run(["node", "dist/visit.js", live_url, conftest.DEMO_PASSWORD, str(photo)], TS_WORKDIR,
                   timeout=120)
    summary = json.loads(printed.strip().splitlines()[-1])
    assert summary["status"] == "submitted" and summary["findings"] > 10


# --- the photo as generated clients send it ---------------------------------------------

def test_a_photo_sent_as_octet_stream_is_typed_by_its_bytes(app, demo, tmp_path):
    """Generated clients send raw bytes as application/octet-stream: the server reads the
    type from the bytes, and still refuses what is not a whole JPEG, PNG or WebP."""
    from tests.api.evidence_support import Env, assert_problem

    ev = Env(create_app(conftest.test_settings(STORAGE_DIR=str(tmp_path)), environ={}), demo)
    try:
        visit_id, finding_id = ev.visit_with_finding()
        for fmt, media_type in (("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")):
            photo = phone_photo(64, 48, fmt=fmt)
            stored = ev.upload(visit_id, uuid.uuid4(), photo, finding_id,
                               content_type="application/octet-stream")
            assert stored.status_code == 201, stored.get_json()
            assert stored.get_json()["content_type"] == media_type
            content = ev.client.get(f"/api/v1/evidence/{stored.get_json()['id']}/content",
                                    headers=ev.headers())
            assert content.status_code == 200 and content.mimetype == media_type
            assert content.get_data() == photo
        rows, objects = ev.row_count(), ev.objects()
        assert len(objects) == 3  # three photos (thumbnails are made on first request)
        gif = io.BytesIO()
        from PIL import Image

        Image.new("RGB", (8, 8)).save(gif, "GIF")
        jpeg = phone_photo(64, 48)
        for body in (gif.getvalue(), b"<html><script>alert(1)</script></html>",
                     b"RIFF\x24\x00\x00\x00WAVEfmt ", jpeg[3:]):
            refused = ev.upload(visit_id, uuid.uuid4(), body, finding_id,
                                content_type="application/octet-stream")
            assert_problem(refused, 415)
        # The bytes only name the type; the whole file is still checked against it.
        truncated = ev.upload(visit_id, uuid.uuid4(), jpeg[:200], finding_id,
                              content_type="application/octet-stream")
        assert_problem(truncated, 422)
        # A declared type still has to match the bytes.
        assert_problem(ev.upload(visit_id, uuid.uuid4(), jpeg, finding_id, content_type="image/png"), 422)
        assert ev.row_count() == rows and ev.objects() == objects
    finally:
        ev.close()
