"""Review by Sở Nội vụ over HTTP: the queue, returning and resubmitting, approving, the
history of rounds, per-finding notes kept beside the inspector's answers, who may decide,
two reviewers deciding at once, and the official's explanation (giải trình)."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import pytest
from sqlalchemy import update

from tests.api.review_support import Flow, flow_with_settings
from tests.conftest import new_id

VIETNAM = dt.timezone(dt.timedelta(hours=7))


@pytest.fixture
def flow(client, demo, login):
    return Flow(client, demo, login)


def _audit(client, login, entity_id, action=None):
    params = {"entity_type": "visit", "entity_id": entity_id, "per_page": 200}
    if action:
        params["action"] = action
    r = client.get("/api/v1/audit", headers=login("admin"), query_string=params)
    assert r.status_code == 200, r.get_json()
    return r.get_json()["items"]


# --- queue ---------------------------------------------------------------------------

def test_queue_is_oldest_submission_first_and_follows_the_reviewers_scope(flow, client, login):
    # Started in one order, submitted in another: the queue follows submission.
    a = flow.visit("TQ-MINHXUAN", "2026-11-10", submit=False)
    b = flow.visit("TQ-MYLAM", "2026-11-11", submit=False)
    c = flow.visit("TQ-HAGIANG1", "2026-11-12", submit=False)
    draft = flow.visit("TQ-TANTRAO", "2026-11-09", submit=False)
    for made, user in ((b, "inspector1"), (c, "inspector2"), (a, "inspector1")):
        r = client.post(f"/api/v1/visits/{made.id}/submit", headers=login(user))
        assert r.status_code == 200, r.get_json()

    queue = client.get("/api/v1/review/queue", headers=login("reviewer1")).get_json()
    assert [v["id"] for v in queue["items"]] == [b.id, c.id, a.id]
    assert queue["meta"]["total"] == 3 and draft.id not in [v["id"] for v in queue["items"]]
    assert all(v["status"] == "submitted" for v in queue["items"])
    first = client.get("/api/v1/review/queue?per_page=2", headers=login("reviewer1")).get_json()
    assert [v["id"] for v in first["items"]] == [b.id, c.id] and first["meta"]["more"] is True
    paged = client.get("/api/v1/review/queue", query_string={"per_page": 2, "cursor": first["meta"]["cursor"]},
                       headers=login("reviewer1")).get_json()
    assert [v["id"] for v in paged["items"]] == [a.id] and paged["meta"]["more"] is False

    # A reviewer of one ward sees only that ward's visits, and cannot decide the others.
    ward = flow.create_user("reviewer.minhxuan", "reviewer", "TQ-MINHXUAN")
    mine = client.get("/api/v1/review/queue", headers=ward).get_json()
    assert [v["id"] for v in mine["items"]] == [a.id] and mine["meta"]["total"] == 1
    assert client.get(f"/api/v1/visits/{b.id}", headers=ward).status_code == 404
    r = client.post(f"/api/v1/visits/{b.id}/review", headers=ward, json={"decision": "approve"})
    assert r.status_code == 404, r.get_json()

    # Returned and resubmitted, a visit goes to the back of the queue.
    flow.review(b.id, "return", comment="Bổ sung ảnh quầy")
    assert [v["id"] for v in client.get("/api/v1/review/queue", headers=login("reviewer1")).get_json()["items"]] \
        == [c.id, a.id]
    assert client.post(f"/api/v1/visits/{b.id}/submit", headers=login("inspector1")).status_code == 200
    assert [v["id"] for v in client.get("/api/v1/review/queue", headers=login("reviewer1")).get_json()["items"]] \
        == [c.id, a.id, b.id]


def test_only_reviewers_and_admins_review(flow, client, login):
    made = flow.visit("TQ-MINHXUAN", "2026-11-10")
    for user in ("inspector1", "leader1"):
        r = client.post(f"/api/v1/visits/{made.id}/review", headers=login(user), json={"decision": "approve"})
        assert r.status_code == 403, r.get_json()
        assert r.headers["Content-Type"].startswith("application/problem+json")
        assert client.get("/api/v1/review/queue", headers=login(user)).status_code == 403
    assert client.post(f"/api/v1/visits/{made.id}/review", json={"decision": "approve"}).status_code == 401
    detail = client.get(f"/api/v1/visits/{made.id}", headers=login("reviewer1")).get_json()
    assert detail["status"] == "submitted" and detail["reviews"] == []
    # An admin may decide.
    assert flow.review(made.id, headers=login("admin"))["status"] == "approved"


# --- return, resubmit, approve ---------------------------------------------------------

def test_return_resubmit_approve_keeps_every_round(flow, client, login):
    made = flow.visit("TQ-MINHXUAN", "2026-11-10", {"CON-01": "fail"})
    reviewer, inspector = login("reviewer1"), login("inspector1")

    for body in ({"decision": "return"}, {"decision": "return", "comment": "   "}):
        r = client.post(f"/api/v1/visits/{made.id}/review", headers=reviewer, json=body)
        assert r.status_code == 422, r.get_json()
        assert "comment" in r.get_json()["errors"]["json"]
    r = client.post(f"/api/v1/visits/{made.id}/review", headers=reviewer, json={"decision": "maybe"})
    assert r.status_code == 422 and "decision" in r.get_json()["errors"]["json"]

    # What the tablet saw at its last sync.
    before = client.get("/api/v1/visits", headers=inspector).get_json()["meta"]["cursor"]
    assert made.id not in [v["id"] for v in client.get(
        "/api/v1/visits", headers=inspector, query_string={"cursor": before}).get_json()["items"]]

    comment = "Thiếu tên cán bộ vi phạm ở CON-01; đề nghị kiểm tra lại."
    returned = flow.review(made.id, "return", comment=comment, findings=[
        {"finding_id": made.findings["CON-01"], "comment": "Ghi rõ thời điểm và người dân liên quan"}])
    assert returned["status"] == "returned"
    assert [(r["round"], r["decision"], r["comment"]) for r in returned["reviews"]] == [(1, "return", comment)]

    # The returned visit reaches the team's tablet through delta sync...
    delta = client.get("/api/v1/visits", headers=inspector, query_string={"cursor": before}).get_json()
    synced = [v for v in delta["items"] if v["id"] == made.id]
    assert synced and synced[0]["status"] == "returned" and synced[0]["version"] == returned["version"]
    # ...not another team's, and the reviewer's comments are in the visit it then reads.
    assert made.id not in [v["id"] for v in client.get(
        "/api/v1/visits", headers=login("inspector2"), query_string={"cursor": before}).get_json()["items"]]
    detail = client.get(f"/api/v1/visits/{made.id}", headers=inspector).get_json()
    assert detail["reviews"][0]["comment"] == comment
    assert detail["reviews"][0]["reviewer_id"] == flow.demo.users["reviewer1"]
    assert detail["reviews"][0]["findings"] == [{
        "finding_id": made.findings["CON-01"], "comment": "Ghi rõ thời điểm và người dân liên quan",
        "severity": None, "void": False, "void_reason": None}]

    # The team can edit it again and resubmit.
    fixed = {"id": made.findings["CON-01"], "criterion_id": flow.demo.criteria["CON-01"], "result": "fail",
             "staff_id": made.staff[0], "note": "10h15 yêu cầu người dân quay lại hôm sau",
             "recorded_at": "2026-11-10T03:15:00+00:00"}
    r = client.put(f"/api/v1/visits/{made.id}/findings", headers=inspector, json={"findings": [fixed]})
    assert r.status_code == 200 and r.get_json()["changed"] == 1, r.get_json()
    r = client.put(f"/api/v1/visits/{made.id}", headers=inspector, json={
        "desk_id": made.desk_id, "checklist_id": flow.team("inspector1")["checklist_id"],
        "team_id": flow.team("inspector1")["id"], "started_at": "2026-11-10T01:00:00+00:00",
        "staff_on_duty": made.staff, "notes": "Đã bổ sung theo ý kiến thẩm định",
        "version": returned["version"]})
    assert r.status_code == 200, r.get_json()
    resubmitted = client.post(f"/api/v1/visits/{made.id}/submit", headers=inspector)
    assert resubmitted.status_code == 200 and resubmitted.get_json()["status"] == "submitted"

    approved = flow.review(made.id, comment="Đạt")
    assert approved["status"] == "approved"
    rounds = [(r["round"], r["decision"], r["comment"]) for r in approved["reviews"]]
    assert rounds == [(1, "return", comment), (2, "approve", "Đạt")]
    assert approved["reviews"][0]["visit_version"] < approved["reviews"][1]["visit_version"]

    # The history stays readable to the team, the reviewer and (approved now) the leader.
    for user in ("inspector1", "reviewer1", "leader1"):
        seen = client.get(f"/api/v1/visits/{made.id}", headers=login(user)).get_json()
        assert [(r["round"], r["decision"]) for r in seen["reviews"]] == [(1, "return"), (2, "approve")], user
        assert seen["reviews"][0]["findings"][0]["comment"] == "Ghi rõ thời điểm và người dân liên quan"
    # Approved: closed to the team.
    r = client.put(f"/api/v1/visits/{made.id}/findings", headers=inspector, json={"findings": [fixed]})
    assert r.status_code == 409, r.get_json()

    events = _audit(client, login, made.id)
    actions = [e["action"] for e in reversed(events)]
    assert actions.count("return") == 1 and actions.count("approve") == 1
    assert actions.index("return") < actions.index("submit", actions.index("return")) < actions.index("approve")
    returned_event = next(e for e in events if e["action"] == "return")
    assert returned_event["actor_username"] == "reviewer1"
    assert returned_event["before"]["status"] == "submitted" and returned_event["after"]["status"] == "returned"
    assert returned_event["after"]["review"]["comment"] == comment
    assert next(e for e in events if e["action"] == "approve")["after"]["review"]["round"] == 2


def test_deciding_a_visit_that_is_not_waiting_is_409_with_the_current_copy(flow, client, login):
    draft = flow.visit("TQ-MINHXUAN", "2026-11-10", submit=False)
    r = client.post(f"/api/v1/visits/{draft.id}/review", headers=login("reviewer1"), json={"decision": "approve"})
    assert r.status_code == 409, r.get_json()
    assert r.get_json()["current"]["status"] == "draft" and r.get_json()["current"]["id"] == draft.id

    made = flow.visit("TQ-MYLAM", "2026-11-10")
    version = client.get(f"/api/v1/visits/{made.id}", headers=login("reviewer1")).get_json()["version"]
    r = client.post(f"/api/v1/visits/{made.id}/review", headers=login("reviewer1"),
                    json={"decision": "approve", "version": version - 1})
    assert r.status_code == 409 and r.get_json()["current"]["version"] == version
    flow.review(made.id, "return", comment="Bổ sung")
    for decision in ("approve", "return"):
        r = client.post(f"/api/v1/visits/{made.id}/review", headers=login("reviewer1"),
                        json={"decision": decision, "comment": "lần hai"})
        assert r.status_code == 409, r.get_json()
        assert r.get_json()["current"]["status"] == "returned"
        assert len(r.get_json()["current"]["reviews"]) == 1
    assert client.post(f"/api/v1/visits/{made.id}/submit", headers=login("inspector1")).status_code == 200
    flow.review(made.id)
    r = client.post(f"/api/v1/visits/{made.id}/review", headers=login("reviewer1"), json={"decision": "approve"})
    assert r.status_code == 409 and r.get_json()["current"]["status"] == "approved"
    assert client.post(f"/api/v1/visits/{new_id()}/review", headers=login("reviewer1"),
                       json={"decision": "approve"}).status_code == 404
    assert len(_audit(client, login, made.id, "approve")) == 1


# --- per-finding notes -------------------------------------------------------------------

def test_severity_changes_and_voids_are_kept_beside_the_inspectors_answer(flow, client, login):
    made = flow.visit("TQ-MINHXUAN", "2026-11-10", {"CON-01": "fail", "DIS-04": "fail", "PUB-07": "fail"})
    other = flow.visit("TQ-MYLAM", "2026-11-10", {"PUB-07": "fail"})
    reviewer = login("reviewer1")

    def decide(notes):
        return client.post(f"/api/v1/visits/{made.id}/review", headers=reviewer,
                           json={"decision": "approve", "findings": notes})

    r = decide([{"finding_id": made.findings["CON-01"], "void": True}])
    assert r.status_code == 422, r.get_json()
    assert "void_reason" in r.get_json()["errors"]["json"]["findings"]["0"]
    r = decide([{"finding_id": made.findings["PUB-07"], "comment": "ok"},
                {"finding_id": made.findings["CON-01"], "void": True, "void_reason": "  "}])
    assert list(r.get_json()["errors"]["json"]["findings"]) == ["1"], r.get_json()
    r = decide([{"finding_id": other.findings["PUB-07"], "comment": "của buổi khác"}])
    assert r.status_code == 422 and "finding_id" in r.get_json()["errors"]["json"]["findings"]["0"]
    r = decide([{"finding_id": made.findings["PUB-07"]}])
    assert r.status_code == 422, r.get_json()
    r = decide([{"finding_id": made.findings["PUB-07"], "severity": "huge"}])
    assert r.status_code == 422, r.get_json()
    r = decide([{"finding_id": made.findings["PUB-07"], "comment": "a"},
                {"finding_id": made.findings["PUB-07"], "comment": "b"}])
    assert r.status_code == 422 and "1" in r.get_json()["errors"]["json"]["findings"]
    # Nothing was decided by the refused requests.
    detail = client.get(f"/api/v1/visits/{made.id}", headers=reviewer).get_json()
    assert detail["status"] == "submitted" and detail["reviews"] == []
    assert _audit(client, login, made.id, "approve") == []

    r = decide([
        {"finding_id": made.findings["CON-01"], "void": True, "void_reason": "Người dân rút lại phản ánh"},
        {"finding_id": made.findings["DIS-04"], "severity": "major", "comment": "Rời quầy 40 phút"},
        {"finding_id": made.findings["PUB-07"], "comment": "Đã khắc phục tại chỗ"},
    ])
    assert r.status_code == 200, r.get_json()

    detail = client.get(f"/api/v1/visits/{made.id}", headers=reviewer).get_json()
    results = {f["criterion_code"]: f for f in detail["findings"]}
    # The inspector's answers are unchanged...
    assert results["CON-01"]["result"] == "fail" and results["CON-01"]["staff_id"] == made.staff[0]
    assert results["DIS-04"]["result"] == "fail" and results["PUB-07"]["result"] == "fail"
    # ...and the reviewer's notes sit beside them in the round.
    notes = {n["finding_id"]: n for n in detail["reviews"][0]["findings"]}
    assert notes[made.findings["CON-01"]] == {
        "finding_id": made.findings["CON-01"], "comment": None, "severity": None, "void": True,
        "void_reason": "Người dân rút lại phản ánh"}
    assert notes[made.findings["DIS-04"]]["severity"] == "major" and notes[made.findings["DIS-04"]]["void"] is False
    assert notes[made.findings["PUB-07"]]["comment"] == "Đã khắc phục tại chỗ"
    assert notes[made.findings["PUB-07"]]["severity"] is None

    event = _audit(client, login, made.id, "approve")[0]
    voids = [n for n in event["after"]["review"]["findings"] if n["void"]]
    assert voids == [{"finding_id": made.findings["CON-01"], "comment": None, "severity": None,
                      "void": True, "void_reason": "Người dân rút lại phản ánh"}]


# --- two reviewers at once -------------------------------------------------------------

def test_two_reviewers_deciding_at_once_exactly_one_wins(app, flow, client, login):
    visits = [flow.visit(unit, "2026-11-1" + str(i), {"CON-01": "fail"})
              for i, unit in enumerate(("TQ-MINHXUAN", "TQ-MYLAM", "TQ-TANTRAO", "TQ-HAGIANG1", "TQ-CONLON"))]
    second = flow.create_user("reviewer2", "reviewer", "TQ")
    clients = [app.test_client(), app.test_client()]
    headers = [login("reviewer1"), second]
    bodies = [{"decision": "approve"}, {"decision": "return", "comment": "Trả lại để bổ sung ảnh"}]

    for made in visits:
        barrier = threading.Barrier(2)
        outcome: dict[int, tuple[int, dict]] = {}

        def decide(index, made, barrier, outcome):
            barrier.wait(timeout=10)
            r = clients[index].post(f"/api/v1/visits/{made.id}/review", headers=headers[index], json=bodies[index])
            outcome[index] = (r.status_code, r.get_json())

        threads = [threading.Thread(target=decide, args=(i, made, barrier, outcome)) for i in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert sorted(code for code, _ in outcome.values()) == [200, 409], outcome
        winner = next(i for i, (code, _) in outcome.items() if code == 200)
        loser = 1 - winner
        expected = "approved" if bodies[winner]["decision"] == "approve" else "returned"
        assert outcome[winner][1]["status"] == expected
        assert outcome[loser][1]["current"]["status"] == expected
        detail = client.get(f"/api/v1/visits/{made.id}", headers=login("reviewer1")).get_json()
        assert detail["status"] == expected and len(detail["reviews"]) == 1
        assert detail["reviews"][0]["decision"] == bodies[winner]["decision"]
        decisions = [e for e in _audit(client, login, made.id) if e["action"] in ("approve", "return")]
        assert len(decisions) == 1, decisions
    verify = client.get("/api/v1/audit/verify", headers=login("admin")).get_json()
    assert verify["intact"] is True, verify


# --- explanations ----------------------------------------------------------------------

def _today():
    return dt.datetime.now(VIETNAM).date()


def test_explanation_request_receive_and_lapse(app, flow, client, login):
    from inspect_api.db import db
    from inspect_api.reviews.models import Explanation

    s0, s1 = flow.staff("TQ-MINHXUAN", 0), flow.staff("TQ-MINHXUAN", 1)
    made = flow.approved("TQ-MINHXUAN", "2026-11-10", {
        "CON-02": ("fail", s0), "DIS-05": ("fail", s1), "PUB-07": "fail",
        "CON-05": {"result": "pass", "staff_id": s0}})
    con02, dis05 = made.findings["CON-02"], made.findings["DIS-05"]
    url = f"/api/v1/findings/{con02}/explanation"

    assert client.get(url, headers=login("reviewer1")).status_code == 404
    r = client.post(url, headers=login("reviewer1"), json={
        "action": "request", "deadline": (_today() - dt.timedelta(days=1)).isoformat()})
    assert r.status_code == 422 and "deadline" in r.get_json()["errors"]["json"], r.get_json()
    requested = flow.explanation(con02, "request")
    assert requested["status"] == "requested" and requested["staff_id"] == s0
    assert requested["deadline"] == (_today() + dt.timedelta(days=5)).isoformat()  # EXPLANATION_DAYS
    assert requested["recorded_by_id"] == flow.demo.users["reviewer1"]
    again = flow.explanation(con02, "request", expect=409)
    assert again["current"]["status"] == "requested"

    flow.explanation(con02, "lapse", expect=422)  # the deadline has not passed
    for body in ({}, {"content": "   "}):
        r = flow.explanation(con02, "receive", expect=422, **body)
        assert "content" in r["errors"]["json"]
    received = flow.explanation(con02, "receive", content="Do đông người, chưa giải thích rõ")
    assert received["status"] == "received" and received["content"] == "Do đông người, chưa giải thích rõ"
    assert received["received_at"] is not None
    flow.explanation(con02, "lapse", expect=409)
    flow.explanation(con02, "receive", content="lần hai", expect=409)
    # The team reads it; GET gives the same.
    assert client.get(url, headers=login("inspector1")).get_json()["status"] == "received"

    # A deadline the reviewer chose, then passed.
    chosen = (_today() + dt.timedelta(days=12)).isoformat()
    assert flow.explanation(dis05, "request", deadline=chosen)["deadline"] == chosen
    flow.explanation(dis05, "lapse", expect=422)
    with app.app_context():
        db.session.execute(update(Explanation).where(Explanation.finding_id == uuid.UUID(dis05))
                           .values(deadline=_today() - dt.timedelta(days=1)))
        db.session.commit()
        db.session.remove()
    lapsed = flow.explanation(dis05, "lapse")
    assert lapsed["status"] == "lapsed" and lapsed["lapsed_at"] is not None
    flow.explanation(dis05, "receive", content="muộn", expect=409)

    # Receive or lapse before any request: 409.
    r = flow.visit("TQ-MINHXUAN", "2026-11-11", {"CON-01": ("fail", s1)})
    flow.explanation(r.findings["CON-01"], "receive", content="x", expect=409)

    # Only failing findings against a named official.
    flow.explanation(made.findings["PUB-07"], "request", expect=422)   # unit finding
    flow.explanation(made.findings["CON-05"], "request", expect=422)   # passing
    flow.explanation(made.findings["CON-01"], "request", expect=422)   # passing, no one named
    flow.explanation(new_id(), "request", expect=404)

    audit = client.get("/api/v1/audit", headers=login("admin"), query_string={
        "entity_type": "finding", "entity_id": con02}).get_json()["items"]
    assert [e["action"] for e in reversed(audit)] == ["explanation_request", "explanation_receive"]


def test_explanation_permissions(flow, client, login):
    made = flow.approved("TQ-MINHXUAN", "2026-11-10", {"CON-02": "fail"})
    url = f"/api/v1/findings/{made.findings['CON-02']}/explanation"
    for user in ("inspector1", "inspector2", "leader1"):
        r = client.post(url, headers=login(user), json={"action": "request"})
        assert r.status_code == 403, (user, r.get_json())
    flow.explanation(made.findings["CON-02"], "request")
    assert client.get(url, headers=login("inspector1")).status_code == 200
    assert client.get(url, headers=login("inspector2")).status_code == 404  # another team's visit
    assert client.get(url, headers=login("leader1")).status_code == 200
    ward = flow.create_user("reviewer.mylam", "reviewer", "TQ-MYLAM")
    assert client.get(url, headers=ward).status_code == 404
    r = client.post(url, headers=ward, json={"action": "receive", "content": "x"})
    assert r.status_code == 404, r.get_json()


def test_explanation_days_is_a_setting(demo):
    with flow_with_settings(demo, EXPLANATION_DAYS=9) as flow:
        made = flow.approved("TQ-MINHXUAN", "2026-11-10", {"CON-02": "fail"})
        assert flow.explanation(made.findings["CON-02"], "request")["deadline"] == \
            (_today() + dt.timedelta(days=9)).isoformat()
