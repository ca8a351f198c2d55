"""Evidence you can trust at a glance (issue 10, item 4), over HTTP on both databases.

Desks carry coordinates (the desk API, the sync feed); every evidence record the API
returns carries `flags`: capture time against the visit's window, GPS against the desk,
the same bytes in another visit. Missing data gives "unknown", never "ok".

The demo's team 1 desk (the provincial centre) is seeded at 21.8225, 105.2146; the
default test photo (tests/photos.py) was taken at 08:15:42 +07:00 = 01:15:42 UTC at
21.8233, 105.2140, about 110 m away; Env.new_visit starts visits at 01:00 UTC.
"""

from __future__ import annotations


import pytest
from sqlalchemy import event, select, update
from sqlalchemy.exc import IntegrityError

from inspect_api.db import db
from inspect_api.org.models import Desk
from tests.api.evidence_support import Env, assert_problem
from tests.conftest import new_id, statements_of
from tests.photos import phone_photo

API = "/api/v1"
NEAR = phone_photo(320, 240)
DESK = (21.8225, 105.2146)


@pytest.fixture
def ev(app, demo):
    env = Env(app, demo)
    yield env
    env.close()


def _visit_evidence(ev: Env, visit_id: str, username: str = "inspector1") -> dict[str, dict]:
    """Every photo of a visit as GET /visits/{id} shows it, by id."""
    response = ev.client.get(f"{API}/visits/{visit_id}", headers=ev.headers(username))
    assert response.status_code == 200, response.get_json()
    return {e["id"]: e for f in response.get_json()["findings"] for e in f["evidence"]}


def _upload(ev: Env, visit_id: str, finding_id: str, data: bytes, username: str = "inspector1") -> dict:
    response = ev.upload(visit_id, new_id(), data, finding_id, username=username)
    assert response.status_code == 201, response.get_json()
    # The answer is the row as written, its flags judged before the commit: reading the
    # photo back afterwards gives the same answer, byte for byte.
    again = ev.client.get(f"{API}/evidence/{response.get_json()['id']}", headers=ev.headers(username))
    assert again.status_code == 200 and again.data == response.data
    return response.get_json()


def _flags_everywhere(ev: Env, visit_id: str, evidence_id: str, username: str = "inspector1") -> dict:
    """The flags of one photo, checked to be the same in GET /evidence/{id} and in the
    visit's findings."""
    alone = ev.client.get(f"{API}/evidence/{evidence_id}", headers=ev.headers(username))
    assert alone.status_code == 200, alone.get_json()
    in_visit = _visit_evidence(ev, visit_id, username)[evidence_id]
    assert alone.get_json()["flags"] == in_visit["flags"]
    return in_visit["flags"]


def test_a_photo_taken_during_the_visit_at_the_desk_is_ok(ev, demo):
    visit_id, finding_id = ev.visit_with_finding()
    uploaded = _upload(ev, visit_id, finding_id, NEAR)
    flags = uploaded["flags"]
    assert flags == {"time": "ok", "minutes_outside": None, "place": "ok", "distance_m": flags["distance_m"],
                     "duplicate": False, "duplicate_of_visits": [], "duplicates_hidden": 0, "attention": False}
    assert 90 <= flags["distance_m"] <= 130
    assert _flags_everywhere(ev, visit_id, uploaded["id"]) == flags
    # The reviewer reads the same verdicts.
    assert _flags_everywhere(ev, visit_id, uploaded["id"], "reviewer1") == flags


def test_a_photo_taken_three_hours_before_the_visit_is_outside(ev):
    visit_id, finding_id = ev.visit_with_finding()
    early = _upload(ev, visit_id, finding_id, phone_photo(320, 240, taken="2026:11:20 05:00:00"))
    flags = _flags_everywhere(ev, visit_id, early["id"])
    # 22:00 UTC the day before; the window opens at 01:00 UTC less 30 minutes' grace.
    assert (flags["time"], flags["minutes_outside"], flags["attention"]) == ("outside", -150, True)
    assert flags["place"] == "ok"
    # Within the grace: 25 minutes before the start.
    grace = _upload(ev, visit_id, finding_id, phone_photo(320, 240, taken="2026:11:20 07:35:00"))
    assert (grace["flags"]["time"], grace["flags"]["minutes_outside"]) == ("ok", None)


def test_a_photo_taken_after_the_visit_ended_is_outside(ev, demo):
    visit_id, finding_id = ev.visit_with_finding()
    team = demo.team_of["inspector1"]
    ended = ev.client.put(f"{API}/visits/{visit_id}", headers=ev.headers(), json={
        "desk_id": demo.desk_of("inspector1"), "checklist_id": demo.checklist_id, "team_id": team,
        "started_at": "2026-11-20T01:00:00+00:00", "ended_at": "2026-11-20T01:10:00+00:00", "version": 1})
    assert ended.status_code == 200, ended.get_json()
    # 01:15:42 UTC is within 30 minutes of the end: ok. 02:00 UTC is 20 minutes past the grace.
    assert _upload(ev, visit_id, finding_id, NEAR)["flags"]["time"] == "ok"
    late = _upload(ev, visit_id, finding_id, phone_photo(320, 240, taken="2026:11:20 09:00:00"))
    assert (late["flags"]["time"], late["flags"]["minutes_outside"]) == ("outside", 20)


def test_a_photo_taken_five_kilometres_away_is_far(ev):
    visit_id, finding_id = ev.visit_with_finding()
    # 0.045° of latitude north of the default photo: about 5 km.
    far = _upload(ev, visit_id, finding_id, phone_photo(320, 240, lat=21.8233 + 0.045))
    flags = _flags_everywhere(ev, visit_id, far["id"])
    assert (flags["place"], flags["time"], flags["attention"]) == ("far", "ok", True)
    assert 4_800 <= flags["distance_m"] <= 5_200


def test_the_same_bytes_in_another_visit_are_flagged_on_both(ev):
    first_visit, first_finding = ev.visit_with_finding()
    second_visit, second_finding = ev.visit_with_finding()
    first = _upload(ev, first_visit, first_finding, NEAR)
    assert first["flags"]["duplicate"] is False
    second = _upload(ev, second_visit, second_finding, NEAR)
    assert second["flags"]["duplicate_of_visits"] == [first_visit]
    assert (second["flags"]["duplicate"], second["flags"]["attention"]) == (True, True)
    # Both ways, in every record the API gives.
    for visit_id, evidence_id, other in ((first_visit, first["id"], second_visit),
                                         (second_visit, second["id"], first_visit)):
        for username in ("inspector1", "reviewer1"):
            flags = _flags_everywhere(ev, visit_id, evidence_id, username)
            assert (flags["duplicate_of_visits"], flags["duplicates_hidden"]) == ([other], 0), username
    # The same photo twice in one visit is not a duplicate of another visit.
    again = _upload(ev, first_visit, first_finding, NEAR)
    assert again["flags"]["duplicate_of_visits"] == [second_visit]


def test_a_duplicate_in_a_visit_the_caller_cannot_see_is_counted_not_named(ev, demo):
    mine, my_finding = ev.visit_with_finding()
    theirs = ev.new_visit("inspector2")
    their_finding = ev.add_finding(theirs, username="inspector2")
    _upload(ev, theirs, their_finding, NEAR, username="inspector2")
    flags = _upload(ev, mine, my_finding, NEAR)["flags"]
    # inspector1 may not open team 2's draft: told that it exists, not which it is.
    assert (flags["duplicate_of_visits"], flags["duplicates_hidden"], flags["duplicate"]) == ([], 1, True)
    evidence_id = next(iter(_visit_evidence(ev, mine)))
    assert _flags_everywhere(ev, mine, evidence_id, "reviewer1")["duplicate_of_visits"] == [theirs]


def test_missing_exif_and_a_desk_without_coordinates_are_unknown(ev, demo, login):
    visit_id, finding_id = ev.visit_with_finding()
    bare = _upload(ev, visit_id, finding_id, phone_photo(320, 240, taken=None, lat=None, lon=None))
    flags = _flags_everywhere(ev, visit_id, bare["id"])
    assert flags == {"time": "unknown", "minutes_outside": None, "place": "unknown", "distance_m": None,
                     "duplicate": False, "duplicate_of_visits": [], "duplicates_hidden": 0, "attention": False}

    # GPS but a desk nobody has placed: the place is not judged.
    cleared = ev.client.patch(f"{API}/desks/{demo.desk_of('inspector1')}", json={"location": None},
                              headers=login("admin"))
    assert cleared.status_code == 200 and cleared.get_json()["location"] is None
    with_gps = _upload(ev, visit_id, finding_id, NEAR)
    assert (with_gps["flags"]["place"], with_gps["flags"]["distance_m"], with_gps["flags"]["time"]) == (
        "unknown", None, "ok")


def test_the_rules_follow_the_settings(ev, demo):
    from inspect_api.app import create_app
    from tests.conftest import test_settings

    visit_id, finding_id = ev.visit_with_finding()
    uploaded = _upload(ev, visit_id, finding_id, phone_photo(320, 240, taken="2026:11:20 07:50:00"))
    assert (uploaded["flags"]["place"], uploaded["flags"]["time"]) == ("ok", "ok")  # 110 m, 10 min early
    strict = create_app(test_settings(EVIDENCE_MAX_DISTANCE_METERS=50, EVIDENCE_TIME_GRACE_MINUTES=0),
                        environ={})
    try:
        other = Env(strict, demo)
        flags = other.client.get(f"{API}/evidence/{uploaded['id']}", headers=other.headers()).get_json()["flags"]
        assert (flags["place"], flags["time"], flags["minutes_outside"]) == ("far", "outside", -10)
    finally:
        other.close()


def test_flags_cost_the_same_statements_for_one_photo_or_many(ev):
    """No query per photo: the flags of a visit come in a fixed number of statements."""
    def statements_for_visit(visit_id: str) -> int:
        count, response = statements_of(ev.app, ev.client.get, f"{API}/visits/{visit_id}", headers=ev.headers())
        assert response.status_code == 200
        return count

    # The same findings in both (the visit's own loading is per finding, not ours).
    one, one_finding = ev.visit_with_finding()
    ev.add_finding(one, "FAC-01")
    _upload(ev, one, one_finding, NEAR)
    many, many_finding = ev.visit_with_finding()
    other_finding = ev.add_finding(many, "FAC-01")
    for index in range(6):
        _upload(ev, many, many_finding if index % 2 else other_finding,
                phone_photo(320, 240, taken=f"2026:11:20 08:{10 + index}:00"))
    assert len(_visit_evidence(ev, many)) == 6
    # Photos of `many` are duplicates of none, `one`'s of none: same work, any number.
    assert statements_for_visit(many) == statements_for_visit(one)


# --- desk coordinates -------------------------------------------------------------------

def test_desk_coordinates_through_the_desk_api_and_the_sync_feed(client, demo, login):
    admin = login("admin")
    desk_id = demo.desk_of("inspector1")
    listed = client.get(f"{API}/desks?per_page=200", headers=login("inspector1")).get_json()
    seeded = next(d for d in listed["items"] if d["id"] == desk_id)
    assert seeded["location"] == {"lat": DESK[0], "lon": DESK[1]}
    assert all(d["location"] is not None for d in listed["items"])  # every demo desk is placed

    moved = client.patch(f"{API}/desks/{desk_id}", headers=admin,
                         json={"location": {"lat": 21.8181234567, "lon": 105.2111}})
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["location"] == {"lat": 21.818123, "lon": 105.2111}  # six decimals kept
    # The tablet's next pull brings the change.
    delta = client.get(f"{API}/desks", query_string={"cursor": listed["meta"]["cursor"]},
                       headers=login("inspector1")).get_json()
    assert [(d["id"], d["location"]) for d in delta["items"]] == [(desk_id, {"lat": 21.818123, "lon": 105.2111})]
    # Who moved it is in the audit trail.
    trail = client.get(f"{API}/audit", query_string={"entity_type": "desk", "entity_id": str(desk_id)},
                       headers=admin).get_json()
    assert trail["items"][0]["after"]["location"] == {"lat": 21.818123, "lon": 105.2111}

    created = client.post(f"{API}/desks", headers=admin, json={
        "org_unit_id": demo.units["TQ-MYLAM"], "code": "TQ-MYLAM-MC2", "name": "Điểm tiếp nhận số 2",
        "level": "commune", "location": {"lat": -0.5, "lon": -179.999999}})
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["location"] == {"lat": -0.5, "lon": -179.999999}
    unplaced = client.post(f"{API}/desks", headers=admin, json={
        "org_unit_id": demo.units["TQ-MYLAM"], "code": "TQ-MYLAM-MC3", "name": "Điểm tiếp nhận số 3",
        "level": "commune"})
    assert unplaced.status_code == 201 and unplaced.get_json()["location"] is None


BAD_LOCATIONS = [
    ({"lat": 91, "lon": 105}, "lat", "Phải ≥ -90 và ≤ 90."),
    ({"lat": 21.8, "lon": -180.5}, "lon", "Phải ≥ -180 và ≤ 180."),
    ({"lat": "abc", "lon": 105}, "lat", "Phải là số."),
    ({"lat": "NaN", "lon": 105}, "lat", "Không chấp nhận NaN hay vô cực."),
    ({"lat": 21.8, "lon": "Infinity"}, "lon", "Không chấp nhận NaN hay vô cực."),
    ({"lat": 21.8}, "lon", "Thiếu trường bắt buộc."),
    ({"lat": 21.8, "lon": 105, "alt": 30}, "alt", "Trường không được phép."),
]


@pytest.mark.parametrize("method", ["post", "patch"])
@pytest.mark.parametrize(("location", "field", "message"), BAD_LOCATIONS)
def test_bad_desk_coordinates_are_422_in_vietnamese(client, demo, login, method, location, field, message):
    body = {"location": location}
    if method == "post":
        body.update(org_unit_id=demo.units["TQ-MYLAM"], code="TQ-MYLAM-X", name="Điểm X", level="commune")
        url = f"{API}/desks"
    else:
        url = f"{API}/desks/{demo.desk_of('inspector1')}"
    response = getattr(client, method)(url, json=body, headers=login("admin"))
    problem = assert_problem(response, 422)
    assert problem["errors"]["json"]["location"][field] == [message], problem


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_a_json_nan_literal_is_422_too(client, demo, login, literal):
    """Python's json module reads NaN and Infinity (not JSON); they must not reach the column."""
    raw = f'{{"location": {{"lat": {literal}, "lon": 105.2}}}}'
    response = client.patch(f"{API}/desks/{demo.desk_of('inspector1')}", data=raw,
                            headers={**login("admin"), "Content-Type": "application/json"})
    problem = assert_problem(response, 422)
    assert problem["errors"]["json"]["location"]["lat"] == ["NaN và Infinity không phải số JSON hợp lệ."], problem
    with client.application.app_context():
        assert float(db.session.get(Desk, demo.desk_of("inspector1")).latitude) == DESK[0]


def test_the_database_refuses_coordinates_out_of_range_or_half_given(app, demo):
    desk_id = demo.desk_of("inspector1")
    for values in ({"latitude": 91}, {"longitude": -181}, {"latitude": None}):
        with app.app_context():
            with pytest.raises(IntegrityError):
                db.session.execute(update(Desk).where(Desk.id == desk_id).values(**values))
                db.session.commit()
            db.session.rollback()
            assert float(db.session.scalar(select(Desk.latitude).where(Desk.id == desk_id))) == DESK[0]
            db.session.remove()


def test_a_visits_findings_dump_as_a_nested_schema_dumps_them(ev, app):
    """VisitDetailSchema writes its findings without a nested dump per finding
    (fields.DumpedList): the same JSON as List(Nested(FindingSchema)), the criterion's
    code (a dotted attribute) and each photo with its flags included."""
    import uuid

    import marshmallow as ma

    from inspect_api.auth.models import User
    from inspect_api.visits import service as visits
    from inspect_api.visits.schemas import FindingSchema, VisitDetailSchema

    visit_id = ev.new_visit()
    failing = ev.answer_all(visit_id, fail={"SEAT-02", "PUB-07"})
    _upload(ev, visit_id, failing["SEAT-02"], NEAR)
    _upload(ev, visit_id, failing["SEAT-02"], phone_photo(320, 240, taken="2026:11:20 13:30:00"))

    class Nested(VisitDetailSchema):
        findings = ma.fields.List(ma.fields.Nested(FindingSchema))

    with app.test_request_context():
        actor = db.session.scalar(select(User).where(User.username == "inspector1"))
        visit = visits.get_visit(actor, uuid.UUID(visit_id), detail=True)
        fast, nested = VisitDetailSchema().dump(visit), Nested().dump(visit)
        assert fast == nested and [list(f) for f in fast["findings"]] == [list(f) for f in nested["findings"]]
        assert {f["criterion_code"] for f in fast["findings"]} >= {"SEAT-02", "PUB-07"}
        assert sum(len(f["evidence"]) for f in fast["findings"]) == 2
        assert all("flags" in e for f in fast["findings"] for e in f["evidence"])
        db.session.remove()


def test_an_uploads_answer_reads_nothing_back_after_its_commit(ev, app):
    """The answer is the row as written, its flags read inside the insert's transaction:
    after the commit, nothing reads the photo, its visit or the caller again (which took
    a transaction of its own, on SQLite the write lock)."""
    visit_id, finding_id = ev.visit_with_finding()
    ev.headers()  # logged in before counting
    events: list[str] = []

    def statement(conn, cursor, text, parameters, context, executemany):
        events.append(text)

    def commit(conn):
        events.append("COMMIT")

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", commit)
    try:
        response = ev.upload(visit_id, new_id(), NEAR, finding_id)
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "commit", commit)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["flags"]["place"] == "ok"
    assert "COMMIT" in events
    after = events[events.index("COMMIT") + 1:]
    assert not [text for text in after if any(name in text for name in ("evidence", "visits", "users"))], after
