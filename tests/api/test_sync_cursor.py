"""The sync cursor as a tablet uses it: what changed since the last pull, in commit order,
with tombstones for what left the caller's view (a desk closed, a staff member moved, a
unit moved with everything in it, a team left), and a reset when the caller's own scope
changed. Over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.api.visit_support import create_visit, my_team, visit_body
from tests.conftest import DEMO_PASSWORD

API = "/api/v1"
COMMUNE_PASSWORD = "mat-khau-cua-xa-Ha-Giang-1"


def _ok(response, status=200):
    assert response.status_code == status, (response.status_code, response.get_json())
    return response.get_json()


class Tablet:
    """A tablet's copy of one collection, kept by pulling with the cursor."""

    def __init__(self, client, headers, path, **filters):
        self.client, self.headers, self.path, self.filters = client, headers, path, filters
        self.items: dict = {}
        self.cursor = None
        self.pages = []

    def pull(self, per_page=200) -> dict:
        """Pull until nothing more waits; return what this sync brought."""
        brought = {"items": [], "removed": [], "reset": False}
        while True:
            params = {**self.filters, "per_page": per_page}
            if self.cursor:
                params["cursor"] = self.cursor
            page = _ok(self.client.get(f"{API}{self.path}", query_string=params, headers=self.headers))
            self.pages.append(page)
            if page["meta"]["reset"]:
                self.items.clear()
                brought["reset"] = True
            for gone in page["removed"]:
                self.items.pop(gone, None)
            for item in page["items"]:
                self.items[item["id"]] = item
            brought["items"] += [item["id"] for item in page["items"]]
            brought["removed"] += page["removed"]
            self.cursor = page["meta"]["cursor"]
            if not page["meta"]["more"]:
                return brought


def _truth(client, headers, path, **filters) -> dict:
    """What a fresh tablet would get: the server's view now."""
    fresh = Tablet(client, headers, path, **filters)
    fresh.pull()
    return fresh.items


@pytest.fixture
def admin(login, demo):
    return login("admin")


@pytest.fixture
def commune(client, demo, admin, login):
    """A reviewer scoped to the commune of Hà Giang 1."""
    created = client.post(f"{API}/users", headers=admin, json={
        "username": "reviewer.hagiang1", "full_name": "Vũ Thị Hồng Nhung", "role": "reviewer",
        "org_unit_id": demo.units["TQ-HAGIANG1"], "password": COMMUNE_PASSWORD})
    assert created.status_code == 201, created.get_json()
    return login("reviewer.hagiang1", COMMUNE_PASSWORD)


def test_a_closed_desk_leaves_the_tablet_and_comes_back_when_reopened(client, demo, login, admin):
    tablet = Tablet(client, login("inspector1"), "/desks")
    tablet.pull()
    assert len(tablet.items) == 11
    desk = demo.desk_of("inspector1")

    _ok(client.patch(f"{API}/desks/{desk}", json={"active": False}, headers=admin))
    brought = tablet.pull()
    assert brought == {"items": [], "removed": [desk], "reset": False}
    assert desk not in tablet.items
    # Who asks for the closed desks gets it there.
    assert set(_truth(client, login("inspector1"), "/desks", active="false")) == {desk}

    _ok(client.patch(f"{API}/desks/{desk}", json={"active": True, "name": "Mở lại"}, headers=admin))
    brought = tablet.pull()
    assert brought["items"] == [desk] and tablet.items[desk]["name"] == "Mở lại"
    assert tablet.items == _truth(client, login("inspector1"), "/desks")


def test_a_staff_member_moved_away_is_a_tombstone_only_where_they_left(client, demo, login, admin, commune):
    local = Tablet(client, commune, "/staff")
    province = Tablet(client, login("inspector1"), "/staff")
    local.pull()
    province.pull()
    person = next(s for s in local.items.values())
    elsewhere = demo.units["TQ-TANTRAO"]

    _ok(client.patch(f"{API}/staff/{person['id']}", json={"org_unit_id": elsewhere, "desk_id": None},
                     headers=admin))
    assert local.pull() == {"items": [], "removed": [person["id"]], "reset": False}
    brought = province.pull()
    assert brought["items"] == [person["id"]] and brought["removed"] == []
    assert province.items[person["id"]]["org_unit_id"] == elsewhere
    assert local.items == _truth(client, commune, "/staff")


def test_a_unit_moved_away_takes_its_desks_staff_and_visits_with_it(client, demo, login, admin, commune):
    inspector2 = login("inspector2")
    unit = _ok(client.post(f"{API}/org-units", headers=admin, json={
        "code": "TQ-HAGIANG1-TT", "name": "Điểm tiếp nhận thôn Tả", "kind": "service_center",
        "parent_id": demo.units["TQ-HAGIANG1"]}), 201)
    desk = _ok(client.post(f"{API}/desks", headers=admin, json={
        "org_unit_id": unit["id"], "code": "TQ-HAGIANG1-TT-MC", "name": "Điểm tiếp nhận", "level": "commune"}), 201)
    person = _ok(client.post(f"{API}/staff", headers=admin, json={
        "org_unit_id": unit["id"], "desk_id": desk["id"], "employee_code": "TQ-TT-001",
        "full_name": "Lò Thị Mai"}), 201)
    team = my_team(client, inspector2)
    _ok(client.patch(f"{API}/teams/{team['id']}", headers=admin,
                     json={"desk_ids": [*team["desk_ids"], desk["id"]]}))
    visit = create_visit(client, inspector2, visit_body(my_team(client, inspector2), desk["id"]))

    tablets = {path: Tablet(client, commune, path) for path in ("/org-units", "/desks", "/staff", "/visits")}
    for tablet in tablets.values():
        tablet.pull()
    assert unit["id"] in tablets["/org-units"].items and desk["id"] in tablets["/desks"].items
    assert person["id"] in tablets["/staff"].items and visit in tablets["/visits"].items

    _ok(client.patch(f"{API}/org-units/{unit['id']}", headers=admin,
                     json={"parent_id": demo.units["TQ-TANTRAO"]}))
    expected = {"/org-units": unit["id"], "/desks": desk["id"], "/staff": person["id"], "/visits": visit}
    for path, tablet in tablets.items():
        brought = tablet.pull()
        assert brought["removed"] == [expected[path]], path
        assert brought["items"] == [] and not brought["reset"], path
        assert tablet.items == _truth(client, commune, path), path

    # Above both places nothing left: the province's reviewer gets the moved rows as changes.
    province = Tablet(client, login("reviewer1"), "/desks")
    province.pull()
    _ok(client.patch(f"{API}/org-units/{unit['id']}", headers=admin,
                     json={"parent_id": demo.units["TQ-HAGIANG1"]}))
    assert province.pull() == {"items": [desk["id"]], "removed": [], "reset": False}
    # And back in the commune, the commune's tablet gets everything again.
    for path, tablet in tablets.items():
        brought = tablet.pull()
        assert brought["items"] == [expected[path]] and brought["removed"] == [], path
        assert tablet.items == _truth(client, commune, path), path


def test_leaving_a_team_removes_its_visits_and_joining_one_resets(client, demo, login, admin):
    inspector1 = login("inspector1")
    team1 = my_team(client, inspector1)
    mine = {create_visit(client, inspector1, visit_body(team1, started_at=f"2026-11-2{i}T02:00:00Z"))
            for i in range(3)}
    tablet = Tablet(client, inspector1, "/visits")
    tablet.pull(per_page=2)
    assert set(tablet.items) == mine

    team2 = my_team(client, login("inspector2"))
    _ok(client.patch(f"{API}/teams/{team1['id']}", headers=admin,
                     json={"member_ids": [demo.users["inspector2"]], "leader_id": demo.users["inspector2"]}))
    brought = tablet.pull()
    assert sorted(brought["removed"]) == sorted(mine) and brought["items"] == [] and not brought["reset"]
    assert tablet.items == {}

    theirs = create_visit(client, login("inspector2"), visit_body(team2))
    _ok(client.patch(f"{API}/teams/{team2['id']}", headers=admin,
                     json={"member_ids": [demo.users["inspector2"], demo.users["inspector1"]]}))
    brought = tablet.pull()
    # The team's visits were never sent to this tablet: start again from nothing.
    assert brought["reset"] is True and theirs in tablet.items
    assert tablet.items == _truth(client, inspector1, "/visits")


def test_a_reviewer_queue_feed_drops_what_was_decided(client, demo, login):
    from tests.api.review_support import Flow

    flow = Flow(client, demo, login)
    made = flow.visit("TQ-TANTRAO", "2026-11-10")
    queue = Tablet(client, login("reviewer1"), "/visits", status="submitted")
    queue.pull()
    assert set(queue.items) == {made.id}
    flow.review(made.id, "approve")
    assert queue.pull() == {"items": [], "removed": [made.id], "reset": False}


def test_editing_between_pages_never_skips_or_loses_a_row(client, demo, login, admin):
    headers = login("inspector1")
    tablet = Tablet(client, headers, "/desks")
    first = _ok(client.get(f"{API}/desks", query_string={"per_page": 1}, headers=headers))
    [read] = first["items"]
    # The row already read changes before page 2: it comes again later, and nothing is skipped.
    _ok(client.patch(f"{API}/desks/{read['id']}", json={"address": "Đã sửa"}, headers=admin))
    tablet.cursor = first["meta"]["cursor"]
    tablet.items = {read["id"]: read}
    tablet.pull(per_page=1)
    assert tablet.items == _truth(client, headers, "/desks")
    assert tablet.items[read["id"]]["address"] == "Đã sửa"
    assert len(tablet.items) == 11


def test_a_changed_scope_or_filter_resets(client, demo, login, admin):
    headers = login("inspector1")
    open_desks = _ok(client.get(f"{API}/desks", headers=headers))
    closed = _ok(client.get(f"{API}/desks", query_string={"active": "false", "cursor": open_desks["meta"]["cursor"]},
                            headers=headers))
    assert closed["meta"]["reset"] is True and closed["items"] == []

    # The account moves to another unit: its old cursor no longer fits.
    cursor = _ok(client.get(f"{API}/staff", headers=headers))["meta"]["cursor"]
    _ok(client.patch(f"{API}/users/{demo.users['inspector1']}", headers=admin,
                     json={"org_unit_id": demo.units["TQ-HAGIANG1"]}))
    fresh = {"Authorization": "Bearer " + _ok(client.post(f"{API}/auth/login", json={
        "username": "inspector1", "password": DEMO_PASSWORD}))["access_token"]}
    moved = _ok(client.get(f"{API}/staff", query_string={"cursor": cursor}, headers=fresh))
    assert moved["meta"]["reset"] is True
    assert {s["id"] for s in moved["items"]} == set(_truth(client, fresh, "/staff"))


def test_a_plan_moved_away_from_above_is_a_tombstone_below(client, demo, login, admin, commune):
    """A province plan applies to every commune; moved to one commune, it leaves the others."""
    plan = _ok(client.post(f"{API}/plans", headers=admin, json={
        "org_unit_id": demo.units["TQ"], "title": "Kiểm tra đột xuất quý I", "decision_number": "05/QĐ-SNV",
        "starts_on": "2027-01-01", "ends_on": "2027-03-31", "checklist_id": demo.checklist_id}), 201)
    tablet = Tablet(client, commune, "/plans")
    tablet.pull()
    assert plan["id"] in tablet.items
    _ok(client.patch(f"{API}/plans/{plan['id']}", headers=admin, json={"org_unit_id": demo.units["TQ-TANTRAO"]}))
    assert tablet.pull() == {"items": [], "removed": [plan["id"]], "reset": False}
    assert tablet.items == _truth(client, commune, "/plans")


def test_a_first_pull_sends_no_tombstones_for_rows_it_never_sent(client, demo, login):
    from tests.api.review_support import Flow

    flow = Flow(client, demo, login)
    # The drafts change after the submitted visits: past the first page's position.
    submitted = [flow.visit("TQ-TANTRAO", f"2026-11-0{day}").id for day in (1, 2)]
    drafts = {flow.visit("TQ-TANTRAO", f"2026-11-0{day}", submit=False).id for day in (3, 4)}
    queue = Tablet(client, login("reviewer1"), "/visits", status="submitted")
    brought = queue.pull(per_page=1)
    assert set(queue.items) == set(submitted)
    assert brought["removed"] == [] and not set(brought["items"]) & drafts
    # Once the copy stands, a change out of the filter is a tombstone again.
    flow.review(submitted[0], "approve")
    assert queue.pull(per_page=1)["removed"] == [submitted[0]]
