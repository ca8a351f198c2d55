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
