import hashlib

from tests.conftest import new_id
from tests.photos import phone_photo


def test_upload_and_download(store_app, demo):
    client = store_app.test_client()
    token = client.post("/api/v1/auth/login", json={"username": "inspector1",
                                                     "password": "demo-password-for-tests"}).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    me = client.get("/api/v1/auth/me", headers=headers).get_json()
    team = me["teams"][0]
    visit_id = new_id()
    assert client.put(f"/api/v1/visits/{visit_id}", headers=headers, json={
        "desk_id": team["desk_ids"][0], "checklist_id": team["checklist_id"], "team_id": team["id"],
        "started_at": "2026-11-20T01:00:00+00:00"}).status_code == 201
    finding_id = new_id()
    r = client.put(f"/api/v1/visits/{visit_id}/findings", headers=headers, json={"findings": [
        {"id": finding_id, "criterion_id": demo.criteria["SEAT-02"], "result": "fail",
         "recorded_at": "2026-11-20T01:05:00+00:00"}]})
    assert r.status_code == 200, r.get_json()
    photo = phone_photo()
    evidence_id = new_id()
    r = client.put(f"/api/v1/visits/{visit_id}/evidence/{evidence_id}?finding_id={finding_id}",
                   data=photo, headers={**headers, "Content-Type": "image/jpeg",
                                        "X-Content-SHA256": hashlib.sha256(photo).hexdigest()})
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["sha256"] == hashlib.sha256(photo).hexdigest()
    assert body["width"] == 1600 and body["taken_at"] == "2026-11-20T01:15:42+00:00"
    assert abs(body["gps"]["lat"] - 21.8233) < 1e-4
    again = client.put(f"/api/v1/visits/{visit_id}/evidence/{evidence_id}?finding_id={finding_id}",
                       data=photo, headers={**headers, "Content-Type": "image/jpeg"})
    assert again.status_code == 200 and again.get_json()["id"] == evidence_id
    content = client.get(f"/api/v1/evidence/{evidence_id}/content", headers=headers)
    assert content.status_code in (200, 302)
    visit = client.get(f"/api/v1/visits/{visit_id}", headers=headers).get_json()
    assert visit["findings"][0]["evidence"][0]["id"] == evidence_id
