"""A fleet of tablets syncing against the API while reviewers decide and an admin changes
reference data; and the check that no tablet lost a change or got one twice.

Used by benchmarks/bench_sync_fleet.py (gunicorn on PostgreSQL, 50 tablets by default) and
by tests/api/test_sync_fleet.py (a few tablets, in CI). It speaks only HTTP to the API and,
for the final check, read-only SQL to its database: it imports nothing from inspect_api.

Who does what, each with its own login, all at once:

* inspector tablets (threads in several processes): log in, pull every feed with the
  cursor (/org-units, /desks, /staff, /checklists, /plans, /visits), create visits at
  their team's open desks with the staff their copy says serve there, sync the findings
  in batches (replaying some requests, as a tablet on a bad line does), edit a
  teammate's draft now and then, submit, and keep pulling; a visit that comes back
  "returned" is fixed where the reviewer commented and submitted again. A tablet is done
  when its copy shows every visit it made approved.
* reviewers (two at the province, one at a commune) keep a copy of their queue
  (/visits?status=submitted) and of every visit, and approve or return (with comments on
  findings) what they find there; two reviewers may pick the same visit (one gets 409).
* an admin closes, reopens and edits desks, moves staff between communes, lets staff
  leave and come back, and renames teams (which changes the plan feed);
* a leader keeps a copy of the approved visits.

When every tablet is done, the reviewers and the admin stop; then every actor pulls once
more and each copy is compared with the truth.

What is counted (the definitions the report prints):

* lost changes: per copy (actor × feed), compared row by row with a fresh full pull as
  the same user, a row the fresh pull has and the copy lacks (missing), holds in another
  state (stale) or an id the copy still holds that the fresh pull does not (not deleted);
  a fresh pull that differs from direct SQL on the feed's rows or key fields (feed vs SQL);
  a write the API acknowledged that the database does not hold (a finding's result or
  note, a created visit); a reviewer's "return" the owning tablet never saw.
* duplicated changes: the same row in the same state (equal JSON, updated_at included)
  delivered twice to one copy with no tombstone or reset for it in between
  (redelivered); a visit created twice (two 201 answers for one id, or a replay answered
  201); a replayed findings batch or visit PUT that changed something (replay changed);
  two visits of one team at one desk and start time, or two findings for one (visit,
  criterion, staff member) slot, in SQL (duplicate rows).

Latency is per request, by kind, from send to the whole answer read, on the client.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import multiprocessing
import os
import queue
import random
import threading
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlencode

import requests

API = "/api/v1"
HTTP_TIMEOUT = 120
FLEET_PASSWORD = "mat-khau-doan-dong-bo-2026"
INSPECTOR_FEEDS = ("/org-units", "/desks", "/staff", "/checklists", "/plans", "/visits")
# Kinds of request the report gives percentiles for, in this order; others follow.
KINDS = ("pull", "visit PUT", "findings batch", "submit", "review", "visit GET", "admin write",
         "login")
ALL_REQUESTS = "all requests"
VISIT_DAY0 = dt.datetime(2026, 10, 5, 1, 0, tzinfo=dt.UTC)  # inside the demo plan


@dataclass
class FleetConfig:
    tablets: int = 50
    procs: int = 4
    team_size: int = 2
    visits: int = 3  # visits each tablet makes
    batch: int = 10  # findings per batch
    per_page: int = 25  # small pages: cursors stop mid-feed while others write
    reviewers: int = 2  # at the province; one more at a commune
    return_rate: float = 0.3
    max_returns: int = 1  # returns per visit before a reviewer approves it
    fail_rate: float = 0.15
    replay_rate: float = 0.3
    concurrent_rate: float = 0.15  # batches a tablet sends twice at the same moment
    teammate_edit_rate: float = 0.5
    review_burst: int = 3  # visits a reviewer decides between two pulls of the queue
    think: tuple[float, float] = (0.05, 0.3)  # seconds between a tablet's steps
    poll: tuple[float, float] = (1.5, 4.0)  # seconds between pulls while waiting for reviews...
    poll_max: float = 12.0  # ...stretched by half each time nothing changed, up to this
    admin_think: tuple[float, float] = (0.2, 0.6)
    max_seconds: float = 900  # the active phase gives up after this
    seed: int = 2026
    rate: float | None = None  # requests/s the tablets send in all (None: as fast as they go)


# --- recording ---------------------------------------------------------------------------

class Unexpected(Exception):
    """An answer the actor did not expect; already recorded as an error."""


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: Counter = field(default_factory=Counter)
    expected: Counter = field(default_factory=Counter)  # answers that are not errors
    counts: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)

    def latency(self, kind: str, seconds: float) -> None:
        self.latencies.setdefault(kind, []).append(seconds)

    def merge(self, other: Stats) -> None:
        for kind, values in other.latencies.items():
            self.latencies.setdefault(kind, []).extend(values)
        self.statuses.update(other.statuses)
        self.expected.update(other.expected)
        self.counts.update(other.counts)
        self.errors.extend(other.errors)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def fingerprint(item: dict[str, Any]) -> str:
    return json.dumps(item, sort_keys=True, ensure_ascii=False)


class Pacer:
    """Lets requests leave at an average `rate` per second with exponential gaps (arrivals
    as independent as a province's tablets), shared by the threads of one process. The
    offered load is then the rate, not how fast the server answers, as long as the
    tablets have requests to send; a slot missed while the tablets were busy is not made
    up later."""

    def __init__(self, rate: float, seed: Any):
        self.rate = rate
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._next = time.monotonic()

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            slot = max(self._next, now)
            self._next = slot + self._rng.expovariate(self.rate)
        if slot > now:
            time.sleep(slot - now)


class Client:
    """requests with a bearer token; every request timed and its status checked. `base`
    may be several API roots (instances sharing one database): requests go to each in
    turn, as a round-robin balancer would send them. With a pacer, each request first
    waits for its slot (the wait is not part of its latency)."""

    def __init__(self, base: str | list[str], stats: Stats, name: str, pacer: Pacer | None = None):
        self.bases = [base] if isinstance(base, str) else list(base)
        self.stats, self.name, self.pacer = stats, name, pacer
        self.http = requests.Session()
        self._turn = itertools.count()

    @property
    def base(self) -> str:
        return self.bases[next(self._turn) % len(self.bases)]

    def login(self, username: str, password: str) -> dict[str, Any]:
        answer = self.call("login", "POST", "/auth/login",
                           json={"username": username, "password": password}).json()
        self.http.headers["Authorization"] = f"Bearer {answer['access_token']}"
        return answer

    def call(self, kind: str, method: str, path: str, *, ok=(200,), expected=(), **kwargs) -> requests.Response:
        """The answer if its status is in `ok` or `expected` (counted apart: a 409 that the
        actor handles is not an error). Anything else is recorded and raises Unexpected.
        A request that got no answer is sent again (every request here is safe to repeat),
        and the lack of an answer is recorded as an error."""
        if self.pacer is not None:
            self.pacer.wait()
        for _ in range(3):
            started = time.perf_counter()
            try:
                response = self.http.request(method, f"{self.base}{API}{path}", timeout=HTTP_TIMEOUT, **kwargs)
            except requests.RequestException as exc:
                self.stats.errors.append(f"{self.name}: {method} {path}: no answer: {exc!r}")
                time.sleep(0.5)
                continue
            self.stats.latency(kind, time.perf_counter() - started)
            self.stats.statuses[(kind, response.status_code)] += 1
            if response.status_code in ok:
                return response
            if response.status_code in expected:
                self.stats.expected[(kind, response.status_code)] += 1
                return response
            self.stats.errors.append(f"{self.name}: {method} {path}: HTTP {response.status_code}: "
                                     f"{response.text[:400]}")
            raise Unexpected(path)
        raise Unexpected(path)


def error_fields(response: requests.Response) -> set[str]:
    """The body fields a 422 names (errors.json.<field>)."""
    try:
        return set((response.json().get("errors") or {}).get("json") or {})
    except ValueError:
        return set()


# --- a copy of one feed ----------------------------------------------------------------------

class FeedCopy:
    """What a tablet holds of one feed, kept by pulling with the cursor; it notes every
    delivery of a row in a state this copy was already given (a duplicate)."""

    def __init__(self, path: str, **filters: str):
        self.path, self.filters = path, filters
        self.items: dict[str, dict[str, Any]] = {}
        self.cursor: str | None = None
        # id -> fingerprint of the last delivery since the last tombstone or reset for it.
        self.delivered: dict[str, str] = {}
        self.duplicates: list[str] = []
        self.resets = 0
        self.unknown_tombstones = 0
        self.pages = 0

    @property
    def name(self) -> str:
        return self.path + (f"?{urlencode(sorted(self.filters.items()))}" if self.filters else "")

    def apply(self, page: dict[str, Any]) -> bool:
        """Apply one page as the README says (reset, then removed, then items); True if
        more pages wait."""
        meta = page["meta"]
        if meta["reset"]:
            self.resets += 1
            self.items.clear()
            self.delivered.clear()
        for gone in page["removed"]:
            key = str(gone)
            if self.items.pop(key, None) is None:
                self.unknown_tombstones += 1  # left the view before this copy ever got it
            self.delivered.pop(key, None)
        for item in page["items"]:
            key = str(item["id"])
            state = fingerprint(item)
            if self.delivered.get(key) == state:
                self.duplicates.append(key)
            self.delivered[key] = state
            self.items[key] = item
        self.cursor = meta["cursor"]
        self.pages += 1
        return bool(meta["more"])

    def sync(self, client: Client, per_page: int, kind: str = "pull") -> int:
        """Pull until nothing more waits; how many rows and tombstones came."""
        brought = 0
        while True:
            params = {**self.filters, "per_page": per_page}
            if self.cursor:
                params["cursor"] = self.cursor
            page = client.call(kind, "GET", self.path, params=params).json()
            brought += len(page["items"]) + len(page["removed"])
            if not self.apply(page):
                return brought


def compare(copy: dict[str, dict], truth: dict[str, dict]) -> dict[str, list[str]]:
    """Ids the copy lacks, holds stale, or holds but should have deleted."""
    return {"missing": sorted(truth.keys() - copy.keys()),
            "stale": sorted(k for k in truth.keys() & copy.keys() if copy[k] != truth[k]),
            "not deleted": sorted(copy.keys() - truth.keys())}


@dataclass
class CopyReport:
    """What one actor ends with: per feed its copy, a fresh full pull, and what it noted."""

    username: str
    feeds: dict[str, dict[str, Any]]  # name -> {path, filters, items, fresh, duplicates, ...}
    created: dict[str, int] = field(default_factory=dict)  # visit id -> 201 answers
    acked_findings: dict[str, list] = field(default_factory=dict)  # id -> [visit, result, note]
    returns_seen: list[tuple[str, int]] = field(default_factory=list)
    mine: list[str] = field(default_factory=list)
    finished: bool = True
    stats: Stats = field(default_factory=Stats)


class Actor:
    """Someone with a login and copies of some feeds."""

    def __init__(self, base: str | list[str], username: str, password: str, cfg: FleetConfig, seed: Any,
                 pacer: Pacer | None = None):
        self.username, self.password, self.cfg = username, password, cfg
        self.stats = Stats()
        self.check_stats = Stats()  # the final pulls: not part of the measured load
        self.client = Client(base, self.stats, username, pacer)
        self.rng = random.Random(seed)
        self.copies: dict[str, FeedCopy] = {}

    def add(self, path: str, key: str | None = None, **filters: str) -> FeedCopy:
        copy = FeedCopy(path, **filters)
        self.copies[key or path] = copy
        return copy

    def sync(self, *keys: str) -> int:
        return sum(self.copies[key].sync(self.client, self.cfg.per_page) for key in keys or tuple(self.copies))

    def think(self, bounds: tuple[float, float]) -> None:
        time.sleep(self.rng.uniform(*bounds))

    def final_report(self) -> CopyReport:
        """Pull once more, then pull everything afresh as the same user: the truth."""
        self.client.stats, self.client.pacer = self.check_stats, None
        feeds = {}
        for copy in self.copies.values():
            fresh = FeedCopy(copy.path, **copy.filters)
            try:
                copy.sync(self.client, 200, kind="final pull")
                fresh.sync(self.client, 200, kind="fresh pull")
            except Unexpected:
                continue  # recorded as an error: the run fails without this copy's check
            feeds[copy.name] = {"path": copy.path, "filters": copy.filters, "items": copy.items,
                                "fresh": fresh.items, "duplicates": copy.duplicates,
                                "resets": copy.resets, "unknown_tombstones": copy.unknown_tombstones,
                                "pages": copy.pages}
        self.client.stats = self.stats
        stats = Stats()
        stats.merge(self.stats)
        stats.errors.extend(self.check_stats.errors)
        return CopyReport(self.username, feeds, stats=stats)


# --- inspector tablets -----------------------------------------------------------------------

class InspectorTablet(Actor):
    def __init__(self, base: str | list[str], spec: dict[str, Any], cfg: FleetConfig, pacer: Pacer | None = None):
        super().__init__(base, spec["username"], spec["password"], cfg, spec["seed"], pacer)
        self.number = spec["number"]
        for path in INSPECTOR_FEEDS:
            self.add(path)
        # The tablet's own visits: desk, findings as last acknowledged, rounds fixed.
        self.mine: dict[str, dict[str, Any]] = {}
        self.created: Counter = Counter()
        self.acked: dict[str, list] = {}
        self.returns_seen: set[tuple[str, int]] = set()
        self.finished = False

    # -- the day ---------------------------------------------------------------------------
    def run(self, abort: Any, deadline: float) -> None:
        try:
            self._run(abort, deadline)
        except Unexpected:
            pass  # recorded where it happened
        except Exception:  # noqa: BLE001 - a bug in the fleet itself: report, do not hang
            self.stats.errors.append(f"{self.username}: {traceback.format_exc()[-1500:]}")

    def _run(self, abort: Any, deadline: float) -> None:
        me = self.client.login(self.username, self.password)["user"]
        self.me = self.client.call("me", "GET", "/auth/me").json()
        self.team = self.me["teams"][0]
        self.sync()
        checklist = self.client.call("checklist", "GET", f"/checklists/{self.team['checklist_id']}").json()
        self.criteria = checklist["criteria"]
        self.criteria_by_id = {c["id"]: c for c in self.criteria}
        assert me["username"] == self.username
        for k in range(self.cfg.visits):
            if abort.is_set() or time.monotonic() > deadline:
                return
            self.make_visit(k)
            if self.rng.random() < self.cfg.teammate_edit_rate:
                self.edit_teammates_visit()
        rounds = 0
        delay = self.rng.uniform(*self.cfg.poll)
        while not abort.is_set() and time.monotonic() < deadline:
            time.sleep(delay)
            # Visits every time; reference data every third time, as a tablet saves battery;
            # and less often while nothing changes.
            changed = self.sync() if rounds % 3 == 2 else self.sync("/visits")
            delay = self.rng.uniform(*self.cfg.poll) if changed else min(delay * 1.5, self.cfg.poll_max)
            rounds += 1
            self.fix_returned()
            visits = self.copies["/visits"].items
            if all(visits.get(v, {}).get("status") == "approved" for v in self.mine):
                self.finished = True
                return

    def after_step(self) -> None:
        self.think(self.cfg.think)

    # -- choices from the copy -------------------------------------------------------------
    def pick_desk(self) -> int:
        desks = self.copies["/desks"].items
        open_desks = [d for d in self.team["desk_ids"] if str(d) in desks]
        return self.rng.choice(open_desks or self.team["desk_ids"])

    def serving(self, desk_id: int) -> list[int]:
        """Staff this tablet believes serve the desk (its copy of /staff and /desks)."""
        desk = self.copies["/desks"].items.get(str(desk_id))
        unit = desk["org_unit_id"] if desk else None
        return sorted(s["id"] for s in self.copies["/staff"].items.values()
                      if s["desk_id"] == desk_id or (unit is not None and s["org_unit_id"] == unit))

    def answer(self, criterion: dict[str, Any], desk_id: int, minute: int) -> dict[str, Any]:
        """A finding for `criterion`: mostly passing; some failures where no photo is
        required (a staff failure names someone the copy says serves the desk)."""
        item = {"id": str(uuid.uuid4()), "criterion_id": criterion["id"],
                "recorded_at": (VISIT_DAY0 + dt.timedelta(minutes=minute)).isoformat(), "note": None}
        kind, staff_subject = criterion["answer_type"], criterion["subject"] == "staff"
        fail = criterion["photo"] != "required" and self.rng.random() < self.cfg.fail_rate
        staff = self.serving(desk_id) if staff_subject else []
        if fail and staff_subject:
            if not staff:
                fail = False
            else:
                item["staff_id"] = self.rng.choice(staff)
        if kind in ("yes_no", "text"):
            item["result"] = "fail" if fail else "pass"
        elif kind == "count":
            item["value"] = 3 if fail else 0
        elif kind == "percent":
            item["value"] = 10 if fail else 100
        else:  # time: well before opening, well after closing
            item["value"] = "18:45" if "closes_at" in (criterion.get("pass_rule") or "") else "06:15"
            item.pop("staff_id", None)
        return item

    # -- writes ----------------------------------------------------------------------------
    def put_visit(self, visit_id: str, body: dict[str, Any], *, ok=(200, 201), conflict_ok=False) -> requests.Response:
        """PUT the visit; a staff member who stopped serving the desk since the last pull
        (422 on staff_on_duty) makes the tablet pull /staff and try again with who serves."""
        for _ in range(4):
            response = self.client.call("visit PUT", "PUT", f"/visits/{visit_id}", json=body, ok=ok,
                                        expected=(409, 422) if conflict_ok else (422,))
            if response.status_code == 422:
                if error_fields(response) != {"staff_on_duty"}:
                    self.stats.errors.append(f"{self.username}: visit PUT 422: {response.text[:400]}")
                    raise Unexpected("visit PUT")
                self.stats.counts["stale staff refused (422), retried"] += 1
                self.sync("/staff", "/desks")
                serving = set(self.serving(body["desk_id"]))
                body["staff_on_duty"] = [s for s in body["staff_on_duty"] if s in serving]
                continue
            return response
        self.stats.errors.append(f"{self.username}: visit PUT still refused after pulling /staff")
        raise Unexpected("visit PUT")

    def put_findings(self, visit_id: str, items: list[dict[str, Any]], desk_id: int, *, replay: bool = False) -> None:
        for _ in range(4):
            response = self.client.call("findings batch", "PUT", f"/visits/{visit_id}/findings",
                                        json={"findings": items}, expected=(422,))
            if response.status_code == 422:
                problems = ((response.json().get("errors") or {}).get("json") or {}).get("findings") or {}
                fields = {f for item_errors in problems.values() for f in item_errors}
                if fields != {"staff_id"}:
                    self.stats.errors.append(f"{self.username}: findings 422: {response.text[:400]}")
                    raise Unexpected("findings")
                if replay:
                    # The batch is stored (its first send was answered 200), but the server
                    # checks unchanged items against today's staff: see the xfail test in
                    # tests/api/test_sync_fleet.py. Counted, not an error of the sync.
                    self.stats.counts["replayed batch refused (422): named official moved since"] += 1
                    return
                # The named official moved away since the last pull: pull, name another.
                self.stats.counts["stale staff refused (422), retried"] += 1
                self.sync("/staff", "/desks")
                serving = self.serving(desk_id)
                for index in problems:
                    item = items[int(index)]
                    if serving:
                        item["staff_id"] = self.rng.choice(serving)
                    else:
                        item.pop("staff_id", None)
                        item["result"] = "pass"
                continue
            answer = response.json()
            if replay and answer["changed"] != 0:
                self.stats.counts["duplicate: replayed findings batch changed rows"] += 1
            for stored in answer["findings"]:
                self.acked[stored["id"]] = [visit_id, stored["result"], stored["note"]]
            self.mine[visit_id]["findings"].update({item["id"]: item for item in items})
            return
        self.stats.errors.append(f"{self.username}: findings still refused after pulling /staff")
        raise Unexpected("findings")

    def put_findings_twice_at_once(self, visit_id: str, items: list[dict[str, Any]], desk_id: int) -> None:
        """The same batch on two connections at the same moment (a tablet whose retry
        timer fired while the first send was still on its way): both must be answered
        200 and the rows stored once; between them they change each row at most once."""
        twin = Client(self.client.bases, Stats(), f"{self.username} (twin)")
        twin.http.headers.update(self.client.http.headers)
        barrier = threading.Barrier(2)
        answers: dict[int, requests.Response | None] = {}

        def send(n: int, client: Client) -> None:
            barrier.wait()
            try:
                answers[n] = client.call("findings batch", "PUT", f"/visits/{visit_id}/findings",
                                         json={"findings": items}, expected=(422,))
            except Unexpected:
                answers[n] = None

        pair = [threading.Thread(target=send, args=(0, self.client)),
                threading.Thread(target=send, args=(1, twin))]
        for thread in pair:
            thread.start()
        for thread in pair:
            thread.join()
        self.stats.merge(twin.stats)
        self.stats.counts["concurrent duplicate batches sent"] += 1
        got = [answers.get(0), answers.get(1)]
        if any(a is None for a in got):
            raise Unexpected("findings (concurrent)")
        if any(a.status_code == 422 for a in got):  # type: ignore[union-attr]
            # A named official moved since the last pull: the ordinary path handles it.
            self.put_findings(visit_id, items, desk_id)
            return
        bodies = [a.json() for a in got]  # type: ignore[union-attr]
        if sum(body["changed"] for body in bodies) > len(items):
            self.stats.counts["duplicate: concurrent batch applied twice"] += 1
        for stored in bodies[1]["findings"]:
            self.acked[stored["id"]] = [visit_id, stored["result"], stored["note"]]
        self.mine[visit_id]["findings"].update({item["id"]: item for item in items})

    def edit(self, visit_id: str, notes: str) -> bool:
        """Change the notes of a visit as this tablet's copy shows it (If-Match its
        version); on 409 take the server's copy and try once more. True if saved."""
        visit = self.copies["/visits"].items.get(visit_id)
        for _ in range(2):
            if visit is None or visit["status"] not in ("draft", "returned"):
                return False
            body = {key: visit[key] for key in ("desk_id", "checklist_id", "team_id", "started_at",
                                                "ended_at", "location", "staff_on_duty", "version")}
            body["notes"] = notes
            response = self.put_visit(visit_id, body, ok=(200,), conflict_ok=True)
            if response.status_code == 200:
                return True
            visit = response.json().get("current")  # someone else changed it: see theirs
        return False

    def make_visit(self, k: int) -> None:
        visit_id = str(uuid.uuid4())
        desk_id = self.pick_desk()
        staff = self.serving(desk_id)
        body = {"desk_id": desk_id, "checklist_id": self.team["checklist_id"], "team_id": self.team["id"],
                "started_at": (VISIT_DAY0 + dt.timedelta(days=k, minutes=self.number)).isoformat(),
                "notes": f"Kiểm tra lần {k + 1} của {self.username}",
                "location": {"lat": 21.8 + self.rng.random() / 10, "lon": 105.2 + self.rng.random() / 10},
                "staff_on_duty": self.rng.sample(staff, min(2, len(staff)))}
        self.mine[visit_id] = {"desk_id": desk_id, "findings": {}, "fixed": set()}
        created = self.put_visit(visit_id, dict(body), ok=(201,))
        self.created[visit_id] += 1
        self.stats.counts["visits created"] += 1
        version = created.json()["version"]
        if self.rng.random() < self.cfg.replay_rate:
            # The answer was lost on the way: the tablet sends the same visit again. (428:
            # a teammate edited it in between, so this is no longer a replay.)
            again = self.client.call("visit PUT", "PUT", f"/visits/{visit_id}", ok=(200, 201), expected=(428,),
                                     json=dict(body, staff_on_duty=created.json()["staff_on_duty"]))
            if again.status_code == 201:
                self.created[visit_id] += 1
            if again.status_code != 428 and again.json()["version"] != version:
                self.stats.counts["duplicate: replayed visit PUT changed the visit"] += 1
        self.after_step()

        items = [self.answer(c, desk_id, k * 60 + i) for i, c in enumerate(self.criteria)]
        batches = [items[i:i + self.cfg.batch] for i in range(0, len(items), self.cfg.batch)]
        for n, batch in enumerate(batches):
            if self.rng.random() < self.cfg.concurrent_rate:
                self.put_findings_twice_at_once(visit_id, batch, desk_id)
            else:
                self.put_findings(visit_id, batch, desk_id)
            if self.rng.random() < self.cfg.replay_rate:
                self.put_findings(visit_id, batch, desk_id, replay=True)
            if n % 2:
                self.sync("/visits")
            self.after_step()
        self.sync("/visits")
        if self.edit(visit_id, f"{body['notes']} (đã bổ sung)"):
            self.stats.counts["own visit edited"] += 1
        self.client.call("submit", "POST", f"/visits/{visit_id}/submit")
        self.sync()
        self.fix_returned()
        self.after_step()

    def edit_teammates_visit(self) -> None:
        theirs = [v for v in self.copies["/visits"].items.values()
                  if v["id"] not in self.mine and v["status"] in ("draft", "returned")]
        if theirs:
            visit = self.rng.choice(theirs)
            if self.edit(visit["id"], f"{visit['notes'] or ''} / {self.username} ghi thêm"):
                self.stats.counts["teammate's visit edited"] += 1
            self.after_step()

    def fix_returned(self) -> None:
        """A visit the reviewers returned: answer their comments and submit again."""
        visits = self.copies["/visits"].items
        for visit_id, state in self.mine.items():
            visit = visits.get(visit_id)
            if visit is None or visit["status"] != "returned" or visit["last_review"] is None:
                continue
            review = visit["last_review"]
            if review["round"] in state["fixed"]:
                continue
            self.returns_seen.add((visit_id, review["round"]))
            fixes = []
            for note in review["findings"]:
                item = dict(state["findings"][note["finding_id"]])
                item["note"] = f"Đã khắc phục theo ý kiến thẩm định (lượt {review['round']})"
                kind = self.criteria_by_id[item["criterion_id"]]["answer_type"]
                if kind in ("yes_no", "text"):
                    item["result"] = "pass"
                elif kind in ("count", "percent"):
                    item["value"] = 0 if kind == "count" else 100
                # A passing answer names nobody (and the person may have moved away since).
                item.pop("staff_id", None)
                fixes.append(item)
            self.edit(visit_id, f"{visit['notes']} (đã sửa theo lượt {review['round']})")
            if fixes:
                self.put_findings(visit_id, fixes, state["desk_id"])
            self.client.call("submit", "POST", f"/visits/{visit_id}/submit")
            state["fixed"].add(review["round"])
            self.stats.counts["returned visits fixed and resubmitted"] += 1
            self.sync("/visits")

    def final_report(self) -> CopyReport:
        report = super().final_report()
        # A return still waiting when the tablet stopped (it failed, or time ran out) has
        # reached it if its final copy shows it.
        for visit_id in self.mine:
            review = (self.copies["/visits"].items.get(visit_id) or {}).get("last_review")
            if review and review["decision"] == "return":
                self.returns_seen.add((visit_id, review["round"]))
        report.created = dict(self.created)
        report.acked_findings = self.acked
        report.returns_seen = sorted(self.returns_seen)
        report.mine = sorted(self.mine)
        report.finished = self.finished
        return report


# --- reviewers, the admin, the leader ------------------------------------------------------

class Reviewer(Actor):
    def __init__(self, base: str | list[str], username: str, password: str, cfg: FleetConfig, seed: Any):
        super().__init__(base, username, password, cfg, seed)
        self.queue = self.add("/visits", "queue", status="submitted")
        for path in ("/visits", "/desks", "/staff"):
            self.add(path)

    def run(self, stop: threading.Event) -> None:
        try:
            self.client.login(self.username, self.password)
            self.sync()
            rounds = 0
            while not stop.is_set():
                if rounds % 10:
                    self.sync("queue")
                else:
                    self.sync()
                rounds += 1
                waiting = sorted(self.queue.items.values(), key=lambda v: (v["submitted_at"], v["id"]))
                if not waiting:
                    self.think((0.2, 0.5))
                    continue
                # The oldest few, in a random order: reviewers sometimes pick the same one.
                burst = waiting[:self.cfg.review_burst + 2]
                self.rng.shuffle(burst)
                for visit in burst[:self.cfg.review_burst]:
                    if stop.is_set():
                        break
                    self.decide(visit["id"])
                    self.think((0.02, 0.1))
        except Unexpected:
            pass
        except Exception:  # noqa: BLE001
            self.stats.errors.append(f"{self.username}: {traceback.format_exc()[-1500:]}")

    def decide(self, visit_id: str) -> None:
        detail = self.client.call("visit GET", "GET", f"/visits/{visit_id}").json()
        if detail["status"] != "submitted":
            return  # decided meanwhile: the next pull of the queue drops it
        returns = sum(1 for r in detail["reviews"] if r["decision"] == "return")
        body: dict[str, Any] = {"decision": "approve", "version": detail["version"]}
        if returns < self.cfg.max_returns and self.rng.random() < self.cfg.return_rate and detail["findings"]:
            noted = self.rng.sample(detail["findings"], min(2, len(detail["findings"])))
            body = {"decision": "return", "version": detail["version"],
                    "comment": "Đề nghị đoàn bổ sung, làm rõ các kết quả được nhận xét.",
                    "findings": [{"finding_id": f["id"], "comment": "Ghi rõ căn cứ, chụp bổ sung.",
                                  "severity": self.rng.choice(["minor", "major"])} for f in noted]}
        answer = self.client.call("review", "POST", f"/visits/{visit_id}/review", json=body, expected=(409,))
        if answer.status_code == 200:
            self.stats.counts[f"reviews: {body['decision']}"] += 1


class Admin(Actor):
    """Changes reference data under the tablets' feet."""

    def __init__(self, base: str | list[str], password: str, cfg: FleetConfig, seed: Any,
                 communes: dict[int, list[int]],
                 team_ids: list[int]):
        super().__init__(base, "admin", password, cfg, seed)
        self.communes, self.team_ids = communes, team_ids
        for path in ("/desks", "/staff"):
            self.add(path)
            self.add(path, f"{path} (closed)", active="false")
        self.add("/plans")

    def run(self, stop: threading.Event) -> None:
        actions: list[tuple[Callable[[], bool], int]] = [
            (self.close_desk, 2), (self.reopen_desk, 3), (self.edit_desk, 2), (self.move_staff, 5),
            (self.edit_staff, 2), (self.staff_leaves, 1), (self.staff_returns, 2), (self.rename_team, 1)]
        try:
            self.client.login(self.username, self.password)
            self.sync()
            n = 0
            while not stop.is_set():
                action = self.rng.choices([a for a, _ in actions], [w for _, w in actions])[0]
                if action():
                    self.stats.counts[f"admin: {action.__name__.replace('_', ' ')}"] += 1
                n += 1
                if n % 3 == 0:
                    self.sync()
                self.think(self.cfg.admin_think)
        except Unexpected:
            pass
        except Exception:  # noqa: BLE001
            self.stats.errors.append(f"admin: {traceback.format_exc()[-1500:]}")

    def patch(self, path: str, body: dict[str, Any]) -> None:
        self.client.call("admin write", "PATCH", path, json=body)

    def close_desk(self) -> bool:
        open_desks = sorted(self.copies["/desks"].items)
        # Keep most desks open, so every team has somewhere to go most of the time.
        if len(self.copies["/desks (closed)"].items) >= max(1, len(open_desks) // 5) or not open_desks:
            return False
        self.patch(f"/desks/{self.rng.choice(open_desks)}", {"active": False})
        return True

    def reopen_desk(self) -> bool:
        closed = sorted(self.copies["/desks (closed)"].items)
        if not closed:
            return False
        self.patch(f"/desks/{self.rng.choice(closed)}", {"active": True})
        return True

    def edit_desk(self) -> bool:
        desks = sorted(self.copies["/desks"].items)
        self.patch(f"/desks/{self.rng.choice(desks)}",
                   {"address": f"Số {self.rng.randint(1, 999)}, tổ {self.rng.randint(1, 40)}"})
        return True

    def move_staff(self) -> bool:
        """To another commune, at one of its desks or none."""
        person = self.copies["/staff"].items[self.rng.choice(sorted(self.copies["/staff"].items))]
        unit = self.rng.choice([u for u in self.communes if u != person["org_unit_id"]])
        desk = self.rng.choice(self.communes[unit] + [None])
        self.patch(f"/staff/{person['id']}", {"org_unit_id": unit, "desk_id": desk})
        return True

    def edit_staff(self) -> bool:
        person = self.rng.choice(sorted(self.copies["/staff"].items))
        self.patch(f"/staff/{person}", {"phone": f"09{self.rng.randint(10**7, 10**8 - 1)}"})
        return True

    def staff_leaves(self) -> bool:
        if len(self.copies["/staff (closed)"].items) >= 5:
            return False
        self.patch(f"/staff/{self.rng.choice(sorted(self.copies['/staff'].items))}", {"active": False})
        return True

    def staff_returns(self) -> bool:
        gone = sorted(self.copies["/staff (closed)"].items)
        if not gone:
            return False
        self.patch(f"/staff/{self.rng.choice(gone)}", {"active": True})
        return True

    def rename_team(self) -> bool:
        team = self.rng.choice(self.team_ids)
        self.patch(f"/teams/{team}", {"name": f"Đoàn đồng bộ {team} – đợt {self.rng.randint(1, 99)}"})
        return True


class Observer(Actor):
    """Pulls and does nothing else (a leader reading approved visits)."""

    def __init__(self, base: str | list[str], username: str, password: str, cfg: FleetConfig, seed: Any,
                 paths: tuple[str, ...]):
        super().__init__(base, username, password, cfg, seed)
        for path in paths:
            self.add(path)

    def run(self, stop: threading.Event) -> None:
        try:
            self.client.login(self.username, self.password)
            while not stop.is_set():
                self.sync()
                self.think(self.cfg.poll)
        except Unexpected:
            pass
        except Exception:  # noqa: BLE001
            self.stats.errors.append(f"{self.username}: {traceback.format_exc()[-1500:]}")


# --- setting the fleet up (as admin, over the API) -------------------------------------------

@dataclass
class FleetPlan:
    tablets: list[dict[str, Any]]
    reviewers: list[tuple[str, str]]
    communes: dict[int, list[int]]  # org unit with desks -> its desk ids
    team_ids: list[int]
    province_id: int


def full_pull(client: Client, path: str, **filters: str) -> dict[str, dict]:
    copy = FeedCopy(path, **filters)
    copy.sync(client, 200, kind="setup")
    return copy.items


def prepare_fleet(base: str | list[str], demo_password: str, cfg: FleetConfig) -> FleetPlan:
    """A second desk in every unit that has one; the inspectors (half of each team at the
    province, half at the team's commune, whose reference feeds are that commune's), their
    teams (each at the two desks of one unit) and the extra reviewers."""
    stats = Stats()
    admin = Client(base, stats, "admin (setup)")
    admin.login("admin", demo_password)
    units = full_pull(admin, "/org-units")
    province = next(u for u in units.values() if u["parent_id"] is None and u["code"] == "TQ")
    plan = next(iter(full_pull(admin, "/plans").values()))
    communes: dict[int, list[int]] = {}
    for desk in sorted(full_pull(admin, "/desks").values(), key=lambda d: d["id"]):
        second = admin.call("setup", "POST", "/desks", ok=(201,), json={
            "org_unit_id": desk["org_unit_id"], "code": f"{desk['code']}-LD",
            "name": f"Điểm tiếp nhận lưu động – {desk['name']}", "level": desk["level"],
            "address": desk["address"]}).json()
        communes[desk["org_unit_id"]] = [desk["id"], second["id"]]
    unit_ids = sorted(communes)

    teams = math.ceil(cfg.tablets / cfg.team_size)
    home = [unit_ids[t % len(unit_ids)] for t in range(teams)]
    people = []
    for i in range(cfg.tablets):
        unit = province["id"] if i % cfg.team_size % 2 == 0 else home[i // cfg.team_size]
        people.append({"username": f"fleet.{i + 1:03d}", "full_name": f"Kiểm tra viên số {i + 1}",
                       "role": "inspector", "org_unit_id": unit, "password": FLEET_PASSWORD})
    reviewers = [("reviewer1", demo_password)]
    for k in range(2, cfg.reviewers + 1):
        people.append({"username": f"fleet.reviewer{k}", "full_name": f"Thẩm định viên số {k}",
                       "role": "reviewer", "org_unit_id": province["id"], "password": FLEET_PASSWORD})
        reviewers.append((f"fleet.reviewer{k}", FLEET_PASSWORD))
    people.append({"username": "fleet.reviewer.xa", "full_name": "Thẩm định viên cấp xã",
                   "role": "reviewer", "org_unit_id": home[0], "password": FLEET_PASSWORD})
    reviewers.append(("fleet.reviewer.xa", FLEET_PASSWORD))

    def create(person: dict[str, Any]) -> int:
        return admin.call("setup", "POST", "/users", ok=(201,), json=person).json()["id"]

    with ThreadPoolExecutor(4) as pool:  # argon2 hashing is the cost: let the workers share it
        ids = list(pool.map(create, people))
    team_ids = []
    for t in range(teams):
        members = ids[t * cfg.team_size:min((t + 1) * cfg.team_size, cfg.tablets)]
        team = admin.call("setup", "POST", f"/plans/{plan['id']}/teams", ok=(201,), json={
            "name": f"Đoàn đồng bộ số {t + 1}", "member_ids": members, "leader_id": members[0],
            "desk_ids": communes[home[t]]}).json()
        team_ids.append(team["id"])
    if stats.errors:
        raise RuntimeError("setting up the fleet failed: " + "; ".join(stats.errors[:3]))
    tablets = [{"username": p["username"], "password": FLEET_PASSWORD, "number": i,
                "seed": f"{cfg.seed}-{i}"} for i, p in enumerate(people[:cfg.tablets])]
    return FleetPlan(tablets, reviewers, communes, team_ids, province["id"])


# --- processes of tablets ----------------------------------------------------------------------

def _tablet_process(base: str | list[str], specs: list[dict], cfg: FleetConfig, start: Any, abort: Any,
                    quiet: Any, results: Any) -> None:
    """One process of the fleet: its tablets in threads. Says when they are done, waits
    until everyone has stopped writing, then makes each tablet's final report."""
    pid = os.getpid()
    try:
        pacer = None
        if cfg.rate:  # the fleet's rate, shared out over its processes
            pacer = Pacer(cfg.rate * len(specs) / cfg.tablets, f"{cfg.seed}-pace-{specs[0]['number']}")
        tablets = [InspectorTablet(base, spec, cfg, pacer) for spec in specs]
        results.put(("ready", pid, None))
        start.wait()
        deadline = time.monotonic() + cfg.max_seconds
        threads = [threading.Thread(target=t.run, args=(abort, deadline), daemon=True) for t in tablets]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        results.put(("done", pid, None))
        quiet.wait()
        with ThreadPoolExecutor(4) as pool:
            reports = list(pool.map(lambda t: t.final_report(), tablets))
        results.put(("result", pid, reports))
    except BaseException:  # noqa: BLE001 - the parent must hear about it, not wait forever
        results.put(("failed", pid, traceback.format_exc()))


class LoadSampler:
    def __init__(self, interval: float = 1.0):
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.interval = interval

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.samples.append(os.getloadavg()[0])

    def __enter__(self) -> LoadSampler:
        self.before = os.getloadavg()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.after = os.getloadavg()


# --- the run ---------------------------------------------------------------------------------

@dataclass
class FleetReport:
    config: dict[str, Any]
    seconds: float = 0.0
    requests: int = 0
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    lost_by_kind: Counter = field(default_factory=Counter)
    duplicated_by_kind: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    unfinished: list[str] = field(default_factory=list)
    latency: dict[str, dict[str, float]] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    expected: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    checked: dict[str, int] = field(default_factory=dict)
    load: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.errors or self.unfinished)

    def lose(self, kind: str, detail: str) -> None:
        self.lost_by_kind[kind] += 1
        self.lost.append(f"{kind}: {detail}")

    def duplicate(self, kind: str, detail: str) -> None:
        self.duplicated_by_kind[kind] += 1
        self.duplicated.append(f"{kind}: {detail}")


def run_fleet(base: str | list[str], demo_password: str, database_url: str, cfg: FleetConfig,
              echo: Callable[[str], None] = print) -> FleetReport:
    """Set the fleet up, run it to the end, and check every copy. `base` is the API's
    root URL; `database_url` the SQLAlchemy URL of its database (read-only here)."""
    report = FleetReport(config=asdict(cfg))
    echo(f"setting up {cfg.tablets} inspectors in teams of {cfg.team_size} ...")
    plan = prepare_fleet(base, demo_password, cfg)
    stop = threading.Event()
    reviewers = [Reviewer(base, name, password, cfg, f"{cfg.seed}-r{n}") for n, (name, password)
                 in enumerate(plan.reviewers)]
    admin = Admin(base, demo_password, cfg, f"{cfg.seed}-admin", plan.communes, plan.team_ids)
    leader = Observer(base, "leader1", demo_password, cfg, f"{cfg.seed}-leader", ("/visits",))
    others: list[Actor] = [*reviewers, admin, leader]

    context = multiprocessing.get_context("spawn")
    start, abort, quiet = context.Event(), context.Event(), context.Event()
    results = context.Queue()
    procs = max(1, min(cfg.procs, cfg.tablets))
    chunks = [plan.tablets[i::procs] for i in range(procs)]
    processes = [context.Process(target=_tablet_process, args=(base, chunk, cfg, start, abort, quiet, results),
                                 daemon=True) for chunk in chunks]
    for process in processes:
        process.start()
    copies: list[CopyReport] = []
    try:
        _expect(results, processes, "ready", timeout=120)
        echo(f"running {cfg.tablets} tablets in {procs} processes, {len(reviewers)} reviewers, "
             "an admin and a leader ...")
        with LoadSampler() as load:
            started = time.monotonic()
            threads = [threading.Thread(target=actor.run, args=(stop,), daemon=True) for actor in others]
            start.set()
            for thread in threads:
                thread.start()
            try:
                _expect(results, processes, "done", timeout=cfg.max_seconds + 300)
            finally:
                stop.set()
                abort.set()
                for thread in threads:
                    thread.join(HTTP_TIMEOUT)
            report.seconds = time.monotonic() - started
        echo(f"fleet phase took {report.seconds:.0f} s; final pulls and checks ...")
        quiet.set()
        for found in _expect(results, processes, "result", timeout=600):
            copies.extend(found)
        copies.extend(actor.final_report() for actor in others)
    finally:
        abort.set()
        quiet.set()
        for process in processes:
            process.join(30)
            if process.is_alive():
                process.kill()
    report.load = {"before": load.before[0], "max": max(load.samples, default=load.after[0]),
                   "after": load.after[0], "cpus": os.cpu_count() or 0}
    _summarise(report, copies)
    _check(report, copies, database_url)
    return report


def _expect(results: Any, processes: list, what: str, timeout: float) -> list:
    """Wait for `what` from every process; a process that failed or died raises."""
    deadline = time.monotonic() + timeout
    waiting = {p.pid for p in processes}
    found = []
    while waiting:
        try:
            kind, pid, payload = results.get(timeout=1)
        except queue.Empty:
            dead = [p for p in processes if p.pid in waiting and not p.is_alive()]
            if dead:
                raise RuntimeError(f"tablet process {dead[0].pid} died (exit {dead[0].exitcode}) "
                                   f"before it said {what!r}") from None
            if time.monotonic() > deadline:
                raise RuntimeError(f"no {what!r} from tablet processes {sorted(waiting)} "
                                   f"after {timeout:.0f} s") from None
            continue
        if kind == "failed":
            raise RuntimeError(f"tablet process {pid} failed:\n{payload}")
        if kind != what:
            raise RuntimeError(f"tablet process {pid} said {kind!r}, expected {what!r}")
        waiting.discard(pid)
        found.append(payload)
    return found


def _summarise(report: FleetReport, copies: list[CopyReport]) -> None:
    stats = Stats()
    for copy in copies:
        stats.merge(copy.stats)
    report.errors.extend(stats.errors)
    report.requests = sum(len(v) for v in stats.latencies.values())
    every = [value for values in stats.latencies.values() for value in values]
    for kind, values in [*stats.latencies.items(), *([(ALL_REQUESTS, every)] if every else [])]:
        report.latency[kind] = {"n": len(values), "p50": percentile(values, 50), "p95": percentile(values, 95),
                                "p99": percentile(values, 99), "max": max(values)}
    report.statuses = {f"{kind} {status}": n for (kind, status), n in sorted(stats.statuses.items())}
    report.expected = {f"{kind} {status}": n for (kind, status), n in sorted(stats.expected.items())}
    report.counts = dict(sorted(stats.counts.items()))
    for name, n in stats.counts.items():
        if name.startswith("duplicate: "):
            for _ in range(n):
                report.duplicate("replay changed", name.removeprefix("duplicate: "))


# --- the check -----------------------------------------------------------------------------------

SQL_FIELDS = {
    "/org-units": ("name", "path", "parent_id"),
    "/desks": ("name", "address", "active", "org_unit_id"),
    "/staff": ("full_name", "phone", "active", "org_unit_id", "desk_id"),
    "/visits": ("status", "version", "notes", "team_id", "desk_id"),
    "/plans": ("title", "org_unit_id"),
    "/checklists": ("code", "version", "status"),
}


def _key(value: Any) -> str:
    text = str(value)
    try:
        return str(uuid.UUID(text)) if len(text) in (32, 36) else text
    except ValueError:
        return text


def sql_view(conn, user: dict[str, Any], path: str, filters: dict[str, str]) -> dict[str, dict[str, Any]]:
    """The rows of a feed as the database holds them, for this user, by direct SQL (the
    scope rules of the README: subtree, teams, open desks and serving staff)."""
    from sqlalchemy import text

    p = {"path": user["path"], "like": user["path"] + "%", "uid": user["id"]}
    active = filters.get("active", "true") == "true"
    if path == "/org-units":
        sql = "SELECT id, name, path, parent_id FROM org_units WHERE path LIKE :like"
    elif path in ("/desks", "/staff"):
        table, cols = ("desks", "name, address") if path == "/desks" else ("staff", "full_name, phone, desk_id")
        # Table and columns are the two literals above; the values are bound.
        sql = (f"SELECT t.id, {', '.join('t.' + c.strip() for c in cols.split(','))}, t.active, "  # noqa: S608
               f"t.org_unit_id FROM {table} t JOIN org_units u ON u.id = t.org_unit_id "
               f"WHERE u.path LIKE :like AND t.active = :active")
        p["active"] = active
    elif path == "/visits":
        sql = "SELECT v.id, v.status, v.version, v.notes, v.team_id, v.desk_id FROM visits v "
        if user["role"] == "inspector":
            sql += "WHERE v.team_id IN (SELECT team_id FROM team_members WHERE user_id = :uid)"
        else:
            sql += ("JOIN desks d ON d.id = v.desk_id JOIN org_units u ON u.id = d.org_unit_id "
                    "WHERE u.path LIKE :like")
            if user["role"] == "leader":
                sql += " AND v.status = 'approved'"
        if filters.get("status"):
            sql += " AND v.status = :status"
            p["status"] = filters["status"]
    elif path == "/plans":
        sql = ("SELECT p.id, p.title, p.org_unit_id FROM inspection_plans p JOIN org_units u ON u.id = p.org_unit_id "
               "WHERE :path LIKE u.path || '%' OR u.path LIKE :like")
    elif path == "/checklists":
        sql = ("SELECT c.id, c.code, c.version, c.status FROM checklist_templates c "
               "JOIN org_units u ON u.id = c.org_unit_id WHERE (:path LIKE u.path || '%' OR u.path LIKE :like)")
        if user["role"] != "admin":
            sql += " AND c.status = 'published'"
    else:
        raise ValueError(path)
    rows = conn.execute(text(sql), p).mappings().all()
    view = {}
    for row in rows:
        values = {k: (bool(v) if k == "active" else v) for k, v in row.items() if k != "id"}
        view[_key(row["id"])] = values
    return view


def _check(report: FleetReport, copies: list[CopyReport], database_url: str) -> None:
    from sqlalchemy import create_engine, text

    checked = Counter()
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            users = {r["username"]: dict(r) for r in conn.execute(text(
                "SELECT u.id, u.username, u.role, o.path FROM users u JOIN org_units o ON o.id = u.org_unit_id"
            )).mappings()}
            for actor in copies:
                user = users[actor.username]
                for name, feed in actor.feeds.items():
                    checked["copies"] += 1
                    checked["rows compared"] += len(feed["fresh"])
                    for kind, ids in compare(feed["items"], feed["fresh"]).items():
                        for key in ids:
                            report.lose(kind, f"{actor.username} {name} id {key}")
                    for key in feed["duplicates"]:
                        report.duplicate("redelivered", f"{actor.username} {name} id {key}")
                    checked["resets"] += feed["resets"]
                    checked["pages pulled"] += feed["pages"]
                    truth = sql_view(conn, user, feed["path"], feed["filters"])
                    checked["rows checked against SQL"] += len(truth)
                    fields = SQL_FIELDS[feed["path"]]
                    if truth.keys() != feed["fresh"].keys():
                        diff = sorted(truth.keys() ^ feed["fresh"].keys())
                        report.lose("feed vs SQL", f"{actor.username} {name}: ids differ: {diff[:10]}")
                    for key in truth.keys() & feed["fresh"].keys():
                        got = {f: feed["fresh"][key].get(f) for f in fields}
                        if got != truth[key]:
                            report.lose("feed vs SQL", f"{actor.username} {name} id {key}: API {got}, SQL {truth[key]}")

            # Writes the API acknowledged are in the database as acknowledged.
            findings = {_key(r[0]): (_key(r[1]), r[2], r[3]) for r in conn.execute(text(
                "SELECT id, visit_id, result, note FROM findings"))}
            visits = {_key(r[0]): r[1] for r in conn.execute(text("SELECT id, status FROM visits"))}
            created: Counter = Counter()
            owner = {}
            for actor in copies:
                created.update(actor.created)
                owner.update({v: actor for v in actor.mine})
                for finding_id, (visit_id, result, note) in actor.acked_findings.items():
                    checked["acknowledged findings"] += 1
                    if findings.get(finding_id) != (visit_id, result, note):
                        report.lose("write", f"finding {finding_id}: acknowledged {(visit_id, result, note)}, "
                                             f"database {findings.get(finding_id)}")
                if not actor.finished:
                    report.unfinished.append(actor.username)
            for visit_id, n in created.items():
                checked["visits created"] += 1
                if visit_id not in visits:
                    report.lose("write", f"visit {visit_id} answered 201 but is not in the database")
                if n > 1:
                    report.duplicate("created twice", f"visit {visit_id}: {n} answers 201")
            for visit_id in owner:
                if visit_id not in created:
                    checked["visits never created"] += 1  # a tablet stopped by an error
                elif visits.get(visit_id) != "approved":
                    report.unfinished.append(f"visit {visit_id} is {visits.get(visit_id)}")
            # Every return reached the tablet that made the visit.
            for stored_id, rnd in conn.execute(text("SELECT visit_id, round FROM reviews WHERE decision = 'return'")):
                checked["returns decided"] += 1
                visit_id = _key(stored_id)
                actor = owner.get(visit_id)
                if actor is None:
                    # A visit of the demo seed the reviewers found in their queue: no
                    # tablet of the fleet holds it, so no tablet has to see its return.
                    checked["returns of visits no tablet made"] += 1
                    continue
                if (visit_id, rnd) not in {tuple(x) for x in actor.returns_seen}:
                    report.lose("return unseen", f"visit {visit_id} round {rnd} "
                                                 f"({actor.username})")
            for row in conn.execute(text(
                    "SELECT team_id, desk_id, started_at, COUNT(*) FROM visits "
                    "GROUP BY team_id, desk_id, started_at HAVING COUNT(*) > 1")):
                report.duplicate("duplicate rows", f"{row[3]} visits of team {row[0]} at desk {row[1]} {row[2]}")
            for row in conn.execute(text(
                    "SELECT visit_id, criterion_id, staff_id, COUNT(*) FROM findings "
                    "GROUP BY visit_id, criterion_id, staff_id HAVING COUNT(*) > 1")):
                report.duplicate("duplicate rows", f"{row[3]} findings of visit {_key(row[0])} "
                                                   f"for criterion {row[1]}, staff {row[2]}")
            checked["findings in the database"] = len(findings)
    finally:
        engine.dispose()
    report.checked = dict(checked)


# --- printing ------------------------------------------------------------------------------------

def format_report(report: FleetReport) -> str:
    cfg = report.config
    lines = [f"fleet: {cfg['tablets']} inspector tablets in {min(cfg['procs'], cfg['tablets'])} processes "
             f"(teams of {cfg['team_size']}, {cfg['visits']} visits each, findings in batches of "
             f"{cfg['batch']}, pages of {cfg['per_page']}), {cfg['reviewers'] + 1} reviewers, an admin, a leader"]
    rate = report.requests / report.seconds if report.seconds else 0.0
    lines.append(f"fleet phase: {report.seconds:.1f} s, {report.requests:,} requests, {rate:.1f} requests/s overall")
    lines.append("latency per request (ms):      n      p50      p95      p99      max")
    for kind in ([k for k in KINDS if k in report.latency] + sorted(set(report.latency) - {*KINDS, ALL_REQUESTS})
                 + [ALL_REQUESTS] * (ALL_REQUESTS in report.latency)):
        values = report.latency[kind]
        lines.append(f"  {kind:<22} {values['n']:>8,} " + " ".join(
            f"{values[p] * 1000:8.1f}" for p in ("p50", "p95", "p99", "max")))
    if report.expected:
        lines.append("handled answers (not errors): " + ", ".join(f"{k} ×{n}" for k, n in report.expected.items()))
    lines.append("what happened: " + ", ".join(f"{k} {n}" for k, n in report.counts.items()
                                               if not k.startswith("duplicate: ")))
    lines.append("checked: " + ", ".join(f"{k} {n:,}" for k, n in report.checked.items()))
    lines.append(f"LOST CHANGES: {len(report.lost)}  (" + ", ".join(
        f"{k} {report.lost_by_kind.get(k, 0)}" for k in
        ("missing", "stale", "not deleted", "feed vs SQL", "write", "return unseen")) + ")")
    lines += [f"    {line}" for line in report.lost[:20]]
    lines.append(f"DUPLICATED CHANGES: {len(report.duplicated)}  (" + ", ".join(
        f"{k} {report.duplicated_by_kind.get(k, 0)}" for k in
        ("redelivered", "created twice", "replay changed", "duplicate rows")) + ")")
    lines += [f"    {line}" for line in report.duplicated[:20]]
    lines.append(f"unexpected answers or failures: {len(report.errors)}")
    lines += [f"    {line}" for line in report.errors[:10]]
    if report.unfinished:
        lines.append(f"unfinished (not approved when the run ended): {len(report.unfinished)}: "
                     + ", ".join(report.unfinished[:10]))
    load = report.load
    if load:
        lines.append(f"load average (1 min) on {load['cpus']} CPUs: {load['before']:.2f} before, "
                     f"{load['max']:.2f} highest during, {load['after']:.2f} after")
    return "\n".join(lines)
