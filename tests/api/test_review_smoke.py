from tests.api.visit_support import passing_answer as _answer
from tests.conftest import new_id


def _submitted_visit(client, demo, headers, fail_codes=(), staff=None, day="2026-11-20"):
    me = client.get("/api/v1/auth/me", headers=headers).get_json()
    team = me["teams"][0]
    desk_id = team["desk_ids"][1]
    staff_ids = demo.staff_by_desk[desk_id][:2]
    visit_id = new_id()
    r = client.put(f"/api/v1/visits/{visit_id}", headers=headers, json={
        "desk_id": desk_id, "checklist_id": team["checklist_id"], "team_id": team["id"],
        "started_at": f"{day}T01:00:00+00:00", "staff_on_duty": staff_ids})
    assert r.status_code == 201, r.get_json()
    findings = []
    for code in demo.criteria:
        item = _answer(demo, code)
        if code in fail_codes:
            item.pop("value", None)
            item["result"] = "fail"
            if demo.criteria_meta[code][1] == "staff":
                item["staff_id"] = staff_ids[0]
        findings.append(item)
    r = client.put(f"/api/v1/visits/{visit_id}/findings", headers=headers, json={"findings": findings})
    assert r.status_code == 200, r.get_json()
    r = client.post(f"/api/v1/visits/{visit_id}/submit", headers=headers)
    assert r.status_code == 200, r.get_json()
    return visit_id, desk_id, staff_ids


def test_review_scores_lists(client, demo, login):
    inspector = login("inspector1")
    reviewer = login("reviewer1")
    leader = login("leader1")
    v1, _, staff = _submitted_visit(client, demo, inspector, fail_codes=("CON-01", "PUB-07"))
    v2, _, _ = _submitted_visit(client, demo, inspector, day="2026-11-21")
    queue = client.get("/api/v1/review/queue", headers=reviewer).get_json()
    assert [i["id"] for i in queue["items"]] == [v1, v2]
    r = client.post(f"/api/v1/visits/{v1}/review", headers=reviewer, json={"decision": "return"})
    assert r.status_code == 422
    r = client.post(f"/api/v1/visits/{v1}/review", headers=reviewer,
                    json={"decision": "return", "comment": "Bổ sung ảnh"})
    assert r.status_code == 200 and r.get_json()["status"] == "returned", r.get_json()
    assert client.post(f"/api/v1/visits/{v1}/submit", headers=inspector).status_code == 200
    r = client.post(f"/api/v1/visits/{v1}/review", headers=reviewer, json={"decision": "approve"})
    assert r.status_code == 200, r.get_json()
    assert len(r.get_json()["reviews"]) == 2
    assert client.post(f"/api/v1/visits/{v1}/review", headers=reviewer, json={"decision": "approve"}).status_code == 409
    assert client.post(f"/api/v1/visits/{v2}/review", headers=reviewer, json={"decision": "approve"}).status_code == 200
    scores = client.get("/api/v1/reports/scores?from=2026-10-01&to=2026-12-31", headers=leader)
    assert scores.status_code == 200, scores.get_json()
    units = scores.get_json()["units"]
    assert units and units[0]["visits"] == 2, units
    lists = client.get("/api/v1/reports/lists?kind=criticism&from=2026-10-01&to=2026-12-31", headers=leader)
    assert lists.status_code == 200, lists.get_json()
    entries = lists.get_json()["entries"]
    assert any(e["entry_type"] == "staff" and e["staff_id"] == staff[0] for e in entries), entries
    commend = client.get("/api/v1/reports/lists?kind=commendation&from=2026-10-01&to=2026-12-31", headers=leader)
    assert commend.status_code == 200, commend.get_json()
    frozen = client.post("/api/v1/reports/lists", headers=leader, json={
        "kind": "criticism", "from": "2026-10-01", "to": "2026-12-31",
        "signer_name": "Phạm Thị Hòa", "document_number": "125/TTr-SNV", "document_date": "2026-12-20"})
    assert frozen.status_code == 201, frozen.get_json()
    assert frozen.get_json()["entries"]


def test_export_frozen_list_and_scores(client, demo, login):
    import io

    from openpyxl import load_workbook

    inspector, reviewer, leader = login("inspector1"), login("reviewer1"), login("leader1")
    v1, _, _ = _submitted_visit(client, demo, inspector, fail_codes=("CON-01", "CON-08"))
    assert client.post(f"/api/v1/visits/{v1}/review", headers=reviewer, json={"decision": "approve"}).status_code == 200
    frozen = client.post("/api/v1/reports/lists", headers=leader, json={
        "kind": "criticism", "from": "2026-10-01", "to": "2026-12-31",
        "signer_name": "Phạm Thị Hòa", "document_number": "125/TTr-SNV", "document_date": "2026-12-20"}).get_json()
    response = client.get(f"/api/v1/reports/lists/{frozen['id']}/export", headers=leader)
    assert response.status_code == 200
    assert "Danh-sach-phe-binh-quy-IV-2026" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    sheet = book.worksheets[0]
    texts = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert "ỦY BAN NHÂN DÂN TỈNH TUYÊN QUANG" in texts and "DANH SÁCH" in texts
    assert any("Tờ trình số 125/TTr-SNV ngày 20 tháng 12 năm 2026" in t for t in texts)
    assert "Danh sách gồm 1 cá nhân./." in texts
    scores = client.get("/api/v1/reports/scores?from=2026-10-01&to=2026-12-31&format=xlsx", headers=leader)
    assert scores.status_code == 200 and scores.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(scores.data))
    assert book.worksheets[0].max_row > 5


def test_returned_visit_brings_the_comment_in_delta_sync(client, demo, login):
    inspector, reviewer = login("inspector1"), login("reviewer1")
    v1, _, _ = _submitted_visit(client, demo, inspector)
    since = client.get("/api/v1/visits", headers=inspector).get_json()["meta"]["cursor"]
    assert client.post(f"/api/v1/visits/{v1}/review", headers=reviewer,
                       json={"decision": "return", "comment": "Thiếu ảnh bảng niêm yết"}).status_code == 200
    delta = client.get("/api/v1/visits", headers=inspector, query_string={"cursor": since}).get_json()
    [item] = delta["items"]
    assert item["status"] == "returned"
    assert item["last_review"]["comment"] == "Thiếu ảnh bảng niêm yết"
    assert item["last_review"]["decision"] == "return"
