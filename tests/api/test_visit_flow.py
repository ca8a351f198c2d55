"""An inspector's whole day over HTTP: log in, pull reference data, create a visit
offline-style, sync findings three times, submit."""


from tests.api.visit_support import passing_answer as _answer
from tests.conftest import new_id



def test_inspector_day(client, demo, login):
    headers = login("inspector1")
    me = client.get("/api/v1/auth/me", headers=headers).get_json()
    assert me["role"] == "inspector" and me["teams"]
    team = me["teams"][0]
    desk_id = team["desk_ids"][0]
    for path in ("/api/v1/org-units", "/api/v1/desks", "/api/v1/staff", "/api/v1/checklists"):
        response = client.get(path, headers=headers)
        assert response.status_code == 200, response.get_json()
        assert response.headers["Cache-Control"] == "no-store"
        assert response.get_json()["items"]
    checklist = client.get(f"/api/v1/checklists/{team['checklist_id']}", headers=headers).get_json()
    assert [c["position"] for c in checklist["criteria"]] == list(range(1, len(checklist["criteria"]) + 1))

    visit_id = new_id()
    staff_ids = demo.staff_by_desk[desk_id][:2]
    body = {"desk_id": desk_id, "checklist_id": team["checklist_id"], "team_id": team["id"],
            "started_at": "2026-11-20T01:15:00+00:00", "notes": "Kiểm tra đột xuất",
            "location": {"lat": 21.82, "lon": 105.21}, "staff_on_duty": staff_ids}
    created = client.put(f"/api/v1/visits/{visit_id}", json=body, headers=headers)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["status"] == "draft" and created.get_json()["version"] == 1
    replay = client.put(f"/api/v1/visits/{visit_id}", json=body, headers=headers)
    assert replay.status_code == 200 and replay.get_json()["version"] == 1

    findings = [_answer(demo, code) for code in demo.criteria]
    for _ in range(3):
        synced = client.put(f"/api/v1/visits/{visit_id}/findings", json={"findings": findings}, headers=headers)
        assert synced.status_code == 200, synced.get_json()
    detail = client.get(f"/api/v1/visits/{visit_id}", headers=headers).get_json()
    assert len(detail["findings"]) == len(demo.criteria)

    submitted = client.post(f"/api/v1/visits/{visit_id}/submit", headers=headers)
    assert submitted.status_code == 200, submitted.get_json()
    assert submitted.get_json()["status"] == "submitted"
    again = client.put(f"/api/v1/visits/{visit_id}", json={**body, "notes": "sửa", "version": 2}, headers=headers)
    assert again.status_code == 409
