"""Scores over HTTP: per approved visit the weighted share of applicable criteria passed
(na and voided findings excluded); per desk and per unit the mean, the visit count, the
failures by the reviewer's severity, and the rank; scope and period.

Expected numbers are worked out by hand from the weights in seed/checklist-v1.yaml
(38 criteria, total weight 68)."""

from __future__ import annotations

import pytest

from tests.api.review_support import TOTAL_WEIGHT, Flow, weight
from tests.conftest import new_id


@pytest.fixture
def flow(client, demo, login):
    return Flow(client, demo, login)


def pct(passed: float, applicable: float) -> float:
    return round(100.0 * passed / applicable, 2)


def test_weights_total():
    assert TOTAL_WEIGHT == 68 and weight("CON-01", "PUB-07", "DIG-04") == 4


def test_weighted_share_excludes_na_and_voided_findings(flow):
    answers = {"CON-01": "fail", "PUB-07": "fail", "DIG-04": "na"}
    voided = flow.visit("TQ-MINHXUAN", "2026-11-10", answers)
    flow.review(voided.id, findings=[{"finding_id": voided.findings["CON-01"], "void": True,
                                      "void_reason": "Ghi nhầm cán bộ"}])
    kept = flow.approved("TQ-MYLAM", "2026-11-10", answers)

    # MYLAM: DIG-04 (1) not applicable; CON-01 (2) and PUB-07 (1) failed.
    applicable = TOTAL_WEIGHT - weight("DIG-04")
    assert (flow.unit_score("TQ-MYLAM")["mean_score"]
            == pct(applicable - weight("CON-01", "PUB-07"), applicable) == 95.52)
    # MINHXUAN: CON-01 voided, so it is neither passed nor applicable: the score rises.
    applicable = TOTAL_WEIGHT - weight("DIG-04", "CON-01")
    mx = flow.unit_score("TQ-MINHXUAN")
    assert mx["mean_score"] == pct(applicable - weight("PUB-07"), applicable) == 98.46
    assert (mx["visits"], mx["critical"], mx["major"], mx["minor"]) == (1, 0, 0, 1)
    ml = flow.unit_score("TQ-MYLAM")
    assert (ml["visits"], ml["critical"], ml["major"], ml["minor"]) == (1, 0, 1, 1)
    assert kept.id != voided.id


def test_a_staff_criterion_fails_when_any_official_failed_it(flow):
    s0, s1, s2 = (flow.staff("TQ-MINHXUAN", i) for i in range(3))
    made = flow.visit("TQ-MINHXUAN", "2026-11-10", {"CON-01": ("fail", s0)}, on_duty=[s0, s1, s2])
    # Two more officials answered on the same criterion: one passed, one failed.
    extra = [{"id": f, "criterion_id": flow.demo.criteria["CON-01"], "result": r, "staff_id": s,
              "recorded_at": "2026-11-10T01:30:00+00:00"}
             for f, r, s in ((new_id(), "pass", s1), (new_id(), "fail", s2))]
    inspector = flow.login("inspector1")
    flow.review(made.id, "return", comment="Bổ sung các cán bộ khác")
    r = flow.client.put(f"/api/v1/visits/{made.id}/findings", headers=inspector, json={"findings": extra})
    assert r.status_code == 200, r.get_json()
    assert flow.client.post(f"/api/v1/visits/{made.id}/submit", headers=inspector).status_code == 200
    flow.review(made.id)
    row = flow.unit_score("TQ-MINHXUAN")
    # CON-01 counts once in the weights (failed), but each failure is counted.
    assert row["mean_score"] == pct(TOTAL_WEIGHT - weight("CON-01"), TOTAL_WEIGHT)
    assert row["major"] == 2


def test_only_approved_visits_count_means_per_desk_and_unit_and_rank(flow):
    flow.approved("TQ-MINHXUAN", "2026-11-10")                                     # 100
    flow.approved("TQ-MINHXUAN", "2026-11-20", {"PUB-07": "fail", "DIG-04": "fail"})  # 66/68
    flow.approved("TQ-MYLAM", "2026-11-12", {"CON-09": "fail"})                    # 66/68
    flow.approved("TQ-HAGIANG1", "2026-11-12", {"CON-01": "fail", "CON-09": "fail", "DOS-02": "fail"})
    # Neither a submitted nor a returned visit counts.
    flow.visit("TQ-MINHXUAN", "2026-11-21", {"DOS-02": "fail", "CON-01": "fail", "DIG-01": "fail"})
    returned = flow.visit("TQ-MYLAM", "2026-11-22", {"DOS-02": "fail", "CON-01": "fail"})
    flow.review(returned.id, "return", comment="Kiểm tra lại")
    flow.visit("TQ-TANTRAO", "2026-11-22", {"DOS-02": "fail"})

    scores = flow.scores()
    assert scores["from"] == "2026-10-01" and scores["to"] == "2026-12-31" and scores["period"] == "quý IV/2026"
    units = {u["code"]: u for u in scores["units"]}
    assert set(units) == {"TQ-MINHXUAN", "TQ-MYLAM", "TQ-HAGIANG1"}
    mx_mean = round((100.0 + 100.0 * 66 / 68) / 2, 2)
    assert units["TQ-MINHXUAN"]["mean_score"] == mx_mean == 98.53
    assert (units["TQ-MINHXUAN"]["visits"], units["TQ-MINHXUAN"]["minor"], units["TQ-MINHXUAN"]["major"]) == (2, 2, 0)
    assert units["TQ-MYLAM"]["mean_score"] == pct(66, 68) and units["TQ-MYLAM"]["visits"] == 1
    assert (units["TQ-MYLAM"]["major"], units["TQ-MYLAM"]["minor"]) == (1, 0)
    assert units["TQ-HAGIANG1"]["mean_score"] == pct(62, 68) and units["TQ-HAGIANG1"]["major"] == 3
    assert [u["code"] for u in scores["units"]] == ["TQ-MINHXUAN", "TQ-MYLAM", "TQ-HAGIANG1"]
    assert [u["rank"] for u in scores["units"]] == [1, 2, 3]
    assert units["TQ-MINHXUAN"]["name"] == "Phường Minh Xuân" and units["TQ-MINHXUAN"]["head_name"]

    desks = {d["desk_id"]: d for d in scores["desks"]}
    mx_desk = desks[flow.desk("TQ-MINHXUAN")]
    assert (mx_desk["visits"], mx_desk["mean_score"], mx_desk["rank"]) == (2, mx_mean, 1)
    assert mx_desk["org_unit_id"] == flow.demo.units["TQ-MINHXUAN"] and mx_desk["unit_name"] == "Phường Minh Xuân"
    assert [d["rank"] for d in scores["desks"]] == [1, 2, 3]
    assert flow.desk("TQ-TANTRAO") not in desks


def test_failure_counts_follow_the_reviewers_severity(flow):
    made = flow.visit("TQ-MINHXUAN", "2026-11-10", {"DIS-04": "fail", "CON-02": "fail", "PUB-07": "fail"})
    flow.review(made.id, findings=[
        {"finding_id": made.findings["DIS-04"], "severity": "major"},
        {"finding_id": made.findings["CON-02"], "severity": "minor", "comment": "Mức độ nhẹ"}])
    row = flow.unit_score("TQ-MINHXUAN")
    assert (row["critical"], row["major"], row["minor"]) == (0, 1, 2)
    # Severity does not change the weights.
    assert row["mean_score"] == pct(TOTAL_WEIGHT - weight("DIS-04", "CON-02", "PUB-07"), TOTAL_WEIGHT)
    made = flow.visit("TQ-MYLAM", "2026-11-10", {"CON-01": "fail"})
    flow.review(made.id, findings=[{"finding_id": made.findings["CON-01"], "severity": "critical"}])
    row = flow.unit_score("TQ-MYLAM")
    assert (row["critical"], row["major"], row["minor"]) == (1, 0, 0)


def test_a_severity_note_in_a_return_round_is_not_the_approving_rounds(flow):
    made = flow.visit("TQ-MINHXUAN", "2026-11-10", {"PUB-07": "fail"})
    flow.review(made.id, "return", comment="Xem lại", findings=[
        {"finding_id": made.findings["PUB-07"], "severity": "critical"}])
    assert flow.client.post(f"/api/v1/visits/{made.id}/submit", headers=flow.login("inspector1")).status_code == 200
    flow.review(made.id)
    row = flow.unit_score("TQ-MINHXUAN")
    assert (row["critical"], row["minor"]) == (0, 1)


def test_ties_share_a_rank_and_a_unit_with_nothing_applicable_comes_last(flow):
    flow.approved("TQ-MINHXUAN", "2026-11-10")
    flow.approved("TQ-MYLAM", "2026-11-10")
    flow.approved("TQ-TANTRAO", "2026-11-10", {"PUB-07": "fail"})
    flow.approved("TQ-SONDUONG", "2026-11-10", {code: "na" for code in flow.demo.criteria})
    units = flow.scores()["units"]
    ranks = {u["code"]: (u["rank"], u["mean_score"]) for u in units}
    assert ranks["TQ-MINHXUAN"] == (1, 100.0) and ranks["TQ-MYLAM"] == (1, 100.0)
    assert ranks["TQ-TANTRAO"] == (3, pct(67, 68))
    assert ranks["TQ-SONDUONG"] == (4, None)
    assert [u["code"] for u in units][-1] == "TQ-SONDUONG"


def test_period_counts_vietnam_days(flow):
    # 2026-09-30T16:30Z is 23:30 on 30/9 in Việt Nam; 17:30Z is 00:30 on 1/10.
    flow.approved("TQ-MINHXUAN", "2026-09-30", {"PUB-07": "fail"}, at="16:30:00")
    flow.approved("TQ-MINHXUAN", "2026-09-30", at="17:30:00")
    flow.approved("TQ-MINHXUAN", "2026-12-31", at="16:59:00")
    flow.approved("TQ-MINHXUAN", "2026-12-31", {"PUB-07": "fail"}, at="17:00:00")
    row = flow.unit_score("TQ-MINHXUAN")
    assert (row["visits"], row["mean_score"], row["minor"]) == (2, 100.0, 0)
    row = flow.unit_score("TQ-MINHXUAN", **{"from": "2026-09-30", "to": "2026-09-30"})
    assert (row["visits"], row["minor"]) == (1, 1)
    assert flow.unit_score("TQ-MINHXUAN", **{"from": "2026-07-01", "to": "2026-09-29"}) is None


def test_scope_and_arguments(flow, client, login):
    flow.approved("TQ-MINHXUAN", "2026-11-10")
    flow.approved("TQ-MYLAM", "2026-11-10", {"PUB-07": "fail"})
    ward = flow.create_user("reviewer.minhxuan", "reviewer", "TQ-MINHXUAN")
    r = client.get("/api/v1/reports/scores", headers=ward, query_string={"from": "2026-10-01", "to": "2026-12-31"})
    assert r.status_code == 200, r.get_json()
    assert [u["code"] for u in r.get_json()["units"]] == ["TQ-MINHXUAN"]
    assert r.get_json()["org_unit_id"] == flow.demo.units["TQ-MINHXUAN"]
    for unit_id in (flow.demo.units["TQ"], flow.demo.units["TQ-MYLAM"], 999999):
        r = client.get("/api/v1/reports/scores", headers=ward,
                       query_string={"from": "2026-10-01", "to": "2026-12-31", "org_unit_id": unit_id})
        assert r.status_code == 404, r.get_json()
    # A leader narrows the province to one ward.
    only = flow.scores(org_unit_id=flow.demo.units["TQ-MYLAM"])
    assert [u["code"] for u in only["units"]] == ["TQ-MYLAM"] and only["units"][0]["rank"] == 1
    assert [u["code"] for u in flow.scores(user="reviewer1")["units"]] == ["TQ-MINHXUAN", "TQ-MYLAM"]
    assert [u["code"] for u in flow.scores(user="admin")["units"]] == ["TQ-MINHXUAN", "TQ-MYLAM"]

    base = "/api/v1/reports/scores"
    last_quarter = {"from": "2026-10-01", "to": "2026-12-31"}
    assert client.get(base, headers=login("inspector1"), query_string=last_quarter).status_code == 403
    assert client.get(base, query_string=last_quarter).status_code == 401
    r = client.get(base, headers=login("leader1"), query_string={"from": "2026-12-31", "to": "2026-10-01"})
    assert r.status_code == 422, r.get_json()
    r = client.get(base, headers=login("leader1"), query_string={"from": "2026-10-01"})
    assert r.status_code == 422 and "to" in r.get_json()["errors"]["query"], r.get_json()


def test_units_of_one_name_and_score_rank_by_id_whatever_order_they_come_in():
    """Two communes of one name in different provinces with the same score: ranked by
    id, not in whatever order the database's grouping returned them (it changes with
    the plan), so a list or a ranking prints the same twice."""
    from inspect_api.reports.scores import _rank

    def rows(*ids):
        return [{"id": i, "name": "Phường Tân Phong", "mean_score": 97.5} for i in ids] + [
            {"id": 1, "name": "Xã An Bình", "mean_score": 97.5},
            {"id": 2, "name": "Phường Tân Phong", "mean_score": None}]

    for order in ((8, 5, 9), (9, 8, 5), (5, 9, 8)):
        ranked = _rank(rows(*order))
        assert [(r["id"], r["rank"]) for r in ranked] == [(5, 1), (8, 1), (9, 1), (1, 1), (2, 5)]
