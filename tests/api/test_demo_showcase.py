"""What a newcomer sees after `flask seed demo` (seed/showcase.yaml): accounts scoped to
one commune, a reviewer's queue, approved visits in the scores, real photos. All over
HTTP, as the demo users would see it."""

from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image

from inspect_api.seed import showcase_visit_ids
from tests.conftest import DEMO_PASSWORD

API = "/api/v1"
Q4 = {"from": "2026-10-01", "to": "2026-12-31"}
TANTRAO_STAFF = {"TQ-TANTRAO-001", "TQ-TANTRAO-002", "TQ-TANTRAO-003", "TQ-TANTRAO-004"}

VISITS = showcase_visit_ids()
TANTRAO_APPROVED = VISITS["tantrao-2026-10-14"]
HAGIANG1_APPROVED = VISITS["hagiang1-2026-10-21"]
MYLAM_RETURNED = VISITS["mylam-2026-11-05"]
MINHXUAN_SUBMITTED = VISITS["minhxuan-2026-11-18"]
CONLON_SUBMITTED = VISITS["conlon-2026-11-20"]


@pytest.fixture
def seeded(runner):
    result = runner.invoke(args=["seed", "demo"])
    assert result.exit_code == 0, result.output


@pytest.fixture
def as_user(client):
    tokens: dict[str, dict] = {}

    def get(username: str, path: str, **query):
        if username not in tokens:
            response = client.post(f"{API}/auth/login",
                                   json={"username": username, "password": DEMO_PASSWORD})
            assert response.status_code == 200, response.get_json()
            tokens[username] = {"Authorization": f"Bearer {response.get_json()['access_token']}"}
        return client.get(f"{API}{path}", query_string=query, headers=tokens[username])

    return get


def items(response) -> list[dict]:
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["meta"]["more"] is False
    return body["items"]


def test_the_commune_admin_sees_only_its_commune(seeded, as_user):
    units = items(as_user("admin.tantrao", "/org-units", per_page=200))
    assert [u["code"] for u in units] == ["TQ-TANTRAO"]
    desks = items(as_user("admin.tantrao", "/desks", per_page=200))
    assert [d["code"] for d in desks] == ["TQ-TANTRAO-MC"]
    staff = items(as_user("admin.tantrao", "/staff", per_page=200))
    assert {s["employee_code"] for s in staff} == TANTRAO_STAFF
    users = items(as_user("admin.tantrao", "/users", per_page=200))
    assert {u["username"] for u in users} == {"admin.tantrao", "leader.tantrao", "officer.tantrao"}
    visits = items(as_user("admin.tantrao", "/visits", per_page=200))
    assert [v["id"] for v in visits] == [TANTRAO_APPROVED]
    # Another commune's visit is not there for it, even by its id.
    assert as_user("admin.tantrao", f"/visits/{MINHXUAN_SUBMITTED}").status_code == 404

    # The province's admin, for contrast, sees the whole province.
    assert len(items(as_user("admin", "/org-units", per_page=200))) == 24
    assert len(items(as_user("admin", "/desks", per_page=200))) == 11
    assert len(items(as_user("admin", "/users", per_page=200))) == 8
    assert len(items(as_user("admin", "/visits", per_page=200))) == 5


def test_the_reviewer_has_the_submitted_visits_and_inspectors_their_teams(seeded, as_user):
    queue = items(as_user("reviewer1", "/review/queue", per_page=200))
    # Oldest submission first: the seed submits them in showcase.yaml's order.
    assert [v["id"] for v in queue] == [MINHXUAN_SUBMITTED, CONLON_SUBMITTED]
    detail = as_user("reviewer1", f"/visits/{MINHXUAN_SUBMITTED}").get_json()
    assert detail["status"] == "submitted" and len(detail["findings"]) == 38
    failing = {f["criterion_code"]: f for f in detail["findings"] if f["result"] == "fail"}
    assert set(failing) == {"DIS-01", "FAC-02"}
    assert all(len(f["evidence"]) == 1 for f in failing.values())
    assert failing["DIS-01"]["staff_id"] is not None

    returned = as_user("inspector1", f"/visits/{MYLAM_RETURNED}").get_json()
    assert returned["status"] == "returned"
    assert "SEAT-02" in returned["reviews"][0]["comment"]

    # Each team sees its own visits only: scoping by team.
    team1 = {v["id"] for v in items(as_user("inspector1", "/visits", per_page=200))}
    team2 = {v["id"] for v in items(as_user("inspector2", "/visits", per_page=200))}
    assert team1 == {TANTRAO_APPROVED, MYLAM_RETURNED, MINHXUAN_SUBMITTED}
    assert team2 == {HAGIANG1_APPROVED, CONLON_SUBMITTED}
    assert as_user("inspector2", f"/visits/{MINHXUAN_SUBMITTED}").status_code == 404


def test_approved_visits_count_in_the_scores(seeded, as_user):
    response = as_user("leader1", "/reports/scores", **Q4)
    assert response.status_code == 200, response.get_json()
    scored = {u["code"]: u for u in response.get_json()["units"] if u["visits"]}
    assert set(scored) == {"TQ-TANTRAO", "TQ-HAGIANG1"}
    # Tân Trào failed three criteria: its score is below 100 and counts one major failure
    # or more; Hà Giang 1 failed one.
    assert 0 < scored["TQ-TANTRAO"]["mean_score"] < scored["TQ-HAGIANG1"]["mean_score"] < 100
    assert scored["TQ-TANTRAO"]["visits"] == scored["TQ-HAGIANG1"]["visits"] == 1

    # The commune's leader reads its own commune only, and only approved visits.
    response = as_user("leader.tantrao", "/reports/scores", **Q4)
    assert response.status_code == 200, response.get_json()
    assert [(u["code"], u["visits"]) for u in response.get_json()["units"]] == [("TQ-TANTRAO", 1)]
    assert [v["id"] for v in items(as_user("leader.tantrao", "/visits", per_page=200))] == [TANTRAO_APPROVED]
    assert {v["id"] for v in items(as_user("leader1", "/visits", per_page=200))} == {
        TANTRAO_APPROVED, HAGIANG1_APPROVED}


def test_the_demo_photos_are_jpegs_stored_through_the_evidence_service(seeded, as_user):
    detail = as_user("reviewer1", f"/visits/{TANTRAO_APPROVED}").get_json()
    photos = [e for f in detail["findings"] for e in f["evidence"]]
    assert len(photos) == 1
    photo = photos[0]
    assert photo["content_type"] == "image/jpeg" and (photo["width"], photo["height"]) == (640, 480)
    # The capture time and position come from the photo's own EXIF.
    assert photo["taken_at"].startswith("2026-10-14T01:20:00")
    assert photo["gps"]["lat"] == pytest.approx(21.7847, abs=1e-3)

    content = as_user("reviewer1", f"/evidence/{photo['id']}/content")
    assert content.status_code == 200 and content.mimetype == "image/jpeg"
    assert hashlib.sha256(content.data).hexdigest() == photo["sha256"]
    assert len(content.data) == photo["size"]
    thumbnail = as_user("reviewer1", f"/evidence/{photo['id']}/thumbnail")
    assert thumbnail.status_code == 200
    assert max(Image.open(io.BytesIO(thumbnail.data)).size) == 320


def test_the_demo_shows_a_trusted_photo_and_a_flagged_one(seeded, as_user):
    """The seeded desks are placed near where the showcase photos were taken, and one
    photo of the reviewer's queue was taken the day before, elsewhere."""
    approved = as_user("reviewer1", f"/visits/{TANTRAO_APPROVED}").get_json()
    (photo,) = [e for f in approved["findings"] for e in f["evidence"]]
    assert (photo["flags"]["time"], photo["flags"]["place"], photo["flags"]["attention"]) == ("ok", "ok", False)
    assert photo["flags"]["distance_m"] < 100

    queued = as_user("reviewer1", f"/visits/{MINHXUAN_SUBMITTED}").get_json()
    flags = {f["criterion_code"]: e["flags"] for f in queued["findings"] for e in f["evidence"]}
    assert (flags["DIS-01"]["time"], flags["DIS-01"]["place"]) == ("ok", "ok")
    assert (flags["FAC-02"]["time"], flags["FAC-02"]["place"], flags["FAC-02"]["attention"]) == (
        "outside", "far", True)
    assert flags["FAC-02"]["minutes_outside"] < -12 * 60 and 1_500 < flags["FAC-02"]["distance_m"] < 3_000


def test_the_communes_unit_officer_has_its_corrections_and_an_email(seeded, as_user):
    corrections = items(as_user("officer.tantrao", "/corrections", per_page=200))
    assert {c["visit_id"] for c in corrections} == {TANTRAO_APPROVED}
    assert {c["criterion_code"] for c in corrections} == {"SEAT-01", "DIG-04", "CON-08"}
    me = as_user("officer.tantrao", "/auth/me")
    assert me.get_json()["role"] == "unit_officer" and me.get_json()["email"] == "motcua.tantrao@example.vn"
    # Another commune's corrections are not there for it.
    others = items(as_user("reviewer1", "/corrections", per_page=200))
    assert len(others) > len(corrections)
