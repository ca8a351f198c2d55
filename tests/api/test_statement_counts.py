"""The SQL statements of the main operations do not grow with the rows they show.

Each operation runs twice, on a small and on a large case (few against many findings,
photos, visits), and the statements it sends are counted with SQLAlchemy's
`before_cursor_execute` event on the app's engine. A relation loaded lazily, once per
finding or per visit, makes the large case send more: the counts must be equal, or
differ by no more than a small constant that does not depend on the rows.
"""

from __future__ import annotations


import pytest

from tests.api.review_support import Flow
from tests.console.support import sign_in
from tests.conftest import new_id, statements_of

STAFF_CODES = ("CON-01", "CON-02", "CON-03", "CON-04", "CON-05", "CON-06", "CON-07", "CON-08",
               "DIS-01", "DIS-03", "DIS-04", "DIS-05", "DIG-03")
RECORDED_AT = "2026-11-20T01:30:00+00:00"


def assert_flat(counts: dict[str, list[int]], slack: int = 0) -> None:
    """Each large case sends as many statements as its small one (within `slack`)."""
    print(counts)  # noqa: T201 - the figures for the issue's table, shown with -s
    grown = {what: f"{small} -> {large}" for what, (small, large) in counts.items() if large > small + slack}
    assert not grown, f"statements that grow with the rows (small -> large): {grown}"


@pytest.fixture
def flow(client, demo, login):
    return Flow(client, demo, login)


def extra_staff_findings(flow: Flow, made, staff_ids: list[int]) -> None:
    """More findings on a visit: every staff criterion answered again for other officials."""
    headers = flow.login(flow.inspector_for(made.desk_id))
    items = [{"id": new_id(), "criterion_id": flow.demo.criteria[code], "result": "pass",
              "staff_id": staff_id, "recorded_at": RECORDED_AT}
             for staff_id in staff_ids for code in STAFF_CODES]
    r = flow.client.put(f"/api/v1/visits/{made.id}/findings", headers=headers, json={"findings": items})
    assert r.status_code == 200, r.get_json()


def small_and_large_visits(flow: Flow):
    """Two unsubmitted visits at Minh Xuân: 38 findings and one photo; 64 findings and six photos."""
    unit = "TQ-MINHXUAN"
    small = flow.visit(unit, "2026-11-20", submit=False, photos=("SEAT-01",))
    staff = flow.demo.staff_by_desk[small.desk_id]
    assert len(staff) >= 3, "the demo desk needs three officials"
    large = flow.visit(unit, "2026-11-21", on_duty=staff[:3], submit=False,
                       photos=("SEAT-01", "CON-01", "CON-02", "DIS-01", "DIS-03", "DIG-03"))
    extra_staff_findings(flow, large, staff[1:3])
    return small, large


def test_findings_batch_does_not_grow_with_its_findings(app, flow):
    headers = flow.login("inspector1")
    team = flow.team("inspector1")
    counts = []
    for size in (5, 38):
        visit_id = new_id()
        r = flow.client.put(f"/api/v1/visits/{visit_id}", headers=headers, json={
            "desk_id": flow.desk("TQ-MINHXUAN"), "checklist_id": team["checklist_id"], "team_id": team["id"],
            "started_at": "2026-11-20T01:00:00+00:00"})
        assert r.status_code == 201, r.get_json()
        codes = list(flow.demo.criteria)[:size]
        items = [{"id": new_id(), "criterion_id": flow.demo.criteria[code], "result": "na",
                  "recorded_at": RECORDED_AT} for code in codes]
        path = f"/api/v1/visits/{visit_id}/findings"
        count, response = statements_of(app, flow.client.put, path, headers=headers, json={"findings": items})
        assert response.status_code == 200, response.get_json()
        assert len(response.get_json()["findings"]) == size
        # The replay (nothing changed) is as cheap.
        replay, response = statements_of(app, flow.client.put, path, headers=headers, json={"findings": items})
        assert response.get_json()["changed"] == 0
        counts.append((count, replay))
    assert_flat({"findings batch": [counts[0][0], counts[1][0]],
                 "findings batch replay": [counts[0][1], counts[1][1]]})


def test_visit_detail_submit_and_review_do_not_grow(app, flow):
    small, large = small_and_large_visits(flow)
    headers = flow.login("inspector1")
    reviewer = flow.login("reviewer1")
    results: dict[str, list[int]] = {}

    def measure(name, call, *args, **kwargs):
        count, response = statements_of(app, call, *args, **kwargs)
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        results.setdefault(name, []).append(count)
        return response

    for made in (small, large):
        path = f"/api/v1/visits/{made.id}"
        detail = measure("visit detail", flow.client.get, path, headers=headers)
        assert detail.get_json()["findings"][0]["criterion_code"]
        # Flow.photo checks the 201 itself.
        count, _ = statements_of(app, flow.photo, made.id, made.findings["CON-01"], headers)
        results.setdefault("photo upload", []).append(count)
        measure("submit", flow.client.post, f"{path}/submit", headers=headers)
        measure("reviewer's visit detail", flow.client.get, path, headers=reviewer)
        notes = [{"finding_id": made.findings[code], "comment": "Xem lại"} for code in list(made.findings)[:5]]
        measure("approve", flow.client.post, f"{path}/review", headers=reviewer,
                json={"decision": "approve", "findings": notes})
        evidence_id = next(iter(made.evidence.values()))
        measure("photo", flow.client.get, f"/api/v1/evidence/{evidence_id}", headers=reviewer)
    photos = {made.id: len(made.evidence) for made in (small, large)}
    assert photos[large.id] > photos[small.id]
    assert_flat(results)


def test_lists_of_visits_do_not_grow_with_the_visits(app, flow):
    """The visit feed, the review queue, the console's queue and visit page, the reports
    and the corrections feed, with four visits of each kind and then with twelve."""
    reviewer = flow.login("reviewer1")
    leader = flow.login("leader1")
    console = app.test_client()
    sign_in(console, "reviewer1")
    results: dict[str, list[int]] = {}

    def measure(name, call, *args, **kwargs):
        count, response = statements_of(app, call, *args, **kwargs)
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        results.setdefault(name, []).append(count)

    def measure_all(visit_id):
        period = {"from": "2026-10-01", "to": "2026-12-31"}
        measure("visit feed", flow.client.get, "/api/v1/visits", headers=reviewer)
        measure("review queue", flow.client.get, "/api/v1/review/queue", headers=reviewer)
        measure("console queue", console.get, "/console/queue")
        measure("console visit page", console.get, f"/console/visits/{visit_id}")
        measure("console queue of approved", console.get, "/console/queue?state=approved")
        measure("scores", flow.client.get, "/api/v1/reports/scores", headers=leader, query_string=period)
        for kind in ("criticism", "commendation"):
            measure(f"list {kind}", flow.client.get, "/api/v1/reports/lists", headers=leader,
                    query_string={**period, "kind": kind})
        measure("corrections feed", flow.client.get, "/api/v1/corrections/sync", headers=reviewer)
        measure("corrections", flow.client.get, "/api/v1/corrections", headers=reviewer)

    def approved_and_submitted(day: str, unit: str):
        made = flow.visit(unit, day, {"SEAT-01": "fail", "CON-01": "fail"})
        flow.review(made.id)
        return flow.visit(unit, day, at="03:00:00")

    # Both units, failures and entries on both lists from the start, so the large case
    # reads nothing of a new kind (photos, explanations, officials), only more of it.
    for day in ("2026-11-02", "2026-11-03"):
        approved_and_submitted(day, "TQ-MYLAM")
        waiting = approved_and_submitted(day, "TQ-MINHXUAN")
    measure_all(waiting.id)
    for day in ("2026-11-04", "2026-11-05", "2026-11-06", "2026-11-07"):
        approved_and_submitted(day, "TQ-MYLAM")
        waiting = approved_and_submitted(day, "TQ-MINHXUAN")
    measure_all(waiting.id)
    assert_flat(results)
