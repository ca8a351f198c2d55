"""What a tablet does to start a visit, shared by the visit tests."""

from __future__ import annotations

from tests.conftest import new_id

RECORDED_AT = "2026-11-20T01:30:00+00:00"
PROBLEM = "application/problem+json"


def my_team(client, headers) -> dict:
    """The caller's first team, as GET /auth/me gives it to the tablet."""
    me = client.get("/api/v1/auth/me", headers=headers)
    assert me.status_code == 200, me.get_json()
    return me.get_json()["teams"][0]


def visit_body(team: dict, desk_id: int | None = None, **extra) -> dict:
    body = {"desk_id": desk_id or team["desk_ids"][0], "checklist_id": team["checklist_id"],
            "team_id": team["id"], "started_at": "2026-11-20T01:15:00+00:00",
            "notes": "Kiểm tra đột xuất"}
    body.update(extra)
    return body


def create_visit(client, headers, body) -> str:
    visit_id = new_id()
    response = client.put(f"/api/v1/visits/{visit_id}", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return visit_id


def passing_answer(demo, code: str) -> dict:
    """A finding that passes, in the criterion's own answer type (a value for count,
    percent and time criteria, so the server derives the result)."""
    answer_type, _subject = demo.criteria_meta[code]
    item = {"id": new_id(), "criterion_id": demo.criteria[code], "recorded_at": RECORDED_AT}
    if answer_type in ("yes_no", "text"):
        item["result"] = "pass"
    elif answer_type == "count":
        item["value"] = 0
    elif answer_type == "percent":
        item["value"] = 100
    elif answer_type == "time":
        item["value"] = "17:05" if code == "DIS-04" else "07:20"
    return item
