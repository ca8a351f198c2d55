"""GET /visits/{id} answers byte for byte what the writes answer with (issue 12).

The read-only detail is loaded its own way (fewer objects, fewer steps than the writes,
which lock the visit and need its criteria); what it shows must not differ. Each write
below answers with the visit's detail as it stands after the write; a GET right after it
must give the same bytes and ETag, with photos (flags: duplicates seen and hidden),
staff on duty, reviews and their notes present.
"""

from __future__ import annotations

import pytest

from tests.api.review_support import Flow

UNIT = "TQ-MINHXUAN"


@pytest.fixture
def flow(client, demo, login):
    return Flow(client, demo, login)


def assert_same_as_get(flow: Flow, written, visit_id: str, headers: dict) -> dict:
    assert written.status_code == 200, written.get_json()
    read = flow.client.get(f"/api/v1/visits/{visit_id}", headers=headers)
    assert read.status_code == 200, read.get_json()
    assert read.data == written.data
    assert read.headers["ETag"] == written.headers["ETag"]
    return read.get_json()


def test_detail_reads_as_the_writes_answer(flow):
    # The same photo bytes in an earlier visit: every photo is a duplicate.
    flow.visit(UNIT, "2026-11-19", photos=("SEAT-01",))
    made = flow.visit(UNIT, "2026-11-20", {"SEAT-01": "fail", "CON-01": "fail"}, submit=False,
                      photos=("SEAT-01", "CON-02", "DIS-01"))
    inspector = flow.login(flow.inspector_for(made.desk_id))
    reviewer = flow.login("reviewer1")
    path = f"/api/v1/visits/{made.id}"

    # The inspector's replay of the visit answers with its detail (a write path).
    current = flow.client.get(path, headers=inspector).get_json()
    body = {key: current[key] for key in ("desk_id", "checklist_id", "team_id", "started_at", "ended_at",
                                          "notes", "location", "staff_on_duty")}
    body["version"] = current["version"]
    shown = assert_same_as_get(flow, flow.client.put(path, headers=inspector, json=body), made.id, inspector)
    assert len(shown["findings"]) == len(made.findings)
    assert sum(len(f["evidence"]) for f in shown["findings"]) == 3
    assert shown["staff_on_duty"] == made.staff

    submitted = flow.client.post(f"{path}/submit", headers=inspector)
    assert_same_as_get(flow, submitted, made.id, inspector)

    notes = [{"finding_id": made.findings[code], "comment": "Xem lại ảnh", "severity": "minor"}
             for code in ("SEAT-01", "CON-01")]
    returned = flow.client.post(f"{path}/review", headers=reviewer,
                                json={"decision": "return", "comment": "Bổ sung ảnh", "findings": notes})
    assert_same_as_get(flow, returned, made.id, reviewer)
    assert_same_as_get(flow, flow.client.post(f"{path}/submit", headers=inspector), made.id, inspector)
    approved = flow.client.post(f"{path}/review", headers=reviewer, json={"decision": "approve", "findings": notes})
    shown = assert_same_as_get(flow, approved, made.id, reviewer)
    assert [r["decision"] for r in shown["reviews"]] == ["return", "approve"]
    assert all(len(r["findings"]) == 2 for r in shown["reviews"])
    photos = [p for f in shown["findings"] for p in f["evidence"]]
    assert photos and all(p["flags"]["duplicate"] for p in photos)
