"""Login throttling over HTTP: limits that hold across workers (the database store and
Redis), no overshoot under concurrent attempts, and ceilings that slow an attacker
without locking the real official out.

Several "workers" are several apps built from the same settings (or several processes,
or a real gunicorn) sharing the database, and Redis when the test says so. Redis tests
use the server at TEST_REDIS_URL (default redis://127.0.0.1:6379/0) under a key prefix of
their own, and are skipped, saying why, when no server answers there.
"""

from __future__ import annotations

import collections
import multiprocessing
import os
import re
import subprocess
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from inspect_api.app import create_app
from inspect_api.audit.models import AuditEvent
from inspect_api.auth.counters import LoginCounter
from inspect_api.auth.throttle import address_bucket, login_throttle
from inspect_api.db import db
from tests import conftest
from tests.api.test_live_server import BIN, REPO, START_TIMEOUT, _free_port, _live_database_url, _run
from tests.conftest import DEMO_PASSWORD

LOGIN = "/api/v1/auth/login"
WRONG = "wrong-password-123"
TITLE_429 = "Quá nhiều yêu cầu"
PAIR_LIMIT = 5          # LOGIN_FAILURE_LIMIT's default: 5 per 5 minutes
USERNAME_CEILING = 20   # LOGIN_USERNAME_FAILURE_LIMIT's default: 20 per hour
ADDRESS_CEILING = 50    # LOGIN_ADDRESS_FAILURE_LIMIT's default: 50 per hour
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def attempt(client, username, password=WRONG, address="127.0.0.1"):
    return client.post(LOGIN, json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def assert_429(response, longest_wait: int = 3600) -> int:
    assert response.status_code == 429, (response.status_code, response.get_data(as_text=True))
    assert response.content_type.startswith("application/problem+json")
    body = response.get_json()
    assert body["status"] == 429 and body["title"] == TITLE_429 and body["detail"]
    assert "access_token" not in body
    retry_after = int(response.headers["Retry-After"])
    assert 0 < retry_after <= longest_wait
    return retry_after


def statuses(responses) -> collections.Counter:
    return collections.Counter(r.status_code for r in responses)


# --- worker apps and storages ----------------------------------------------------------------

def _redis_or_skip() -> None:
    """CI has Redis on 127.0.0.1:6379, so there a missing Redis fails the run instead of
    quietly skipping the tests that prove the production store."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"no Redis at {REDIS_URL}: {exc}")
        pytest.skip(f"no Redis at {REDIS_URL}: {exc}")


@pytest.fixture(params=["database", "redis"])
def storage(request, app):
    """Settings that put the counters in the app database or in Redis (a key prefix of
    this test's own, removed afterwards)."""
    if request.param == "database":
        yield {"RATELIMIT_STORAGE_URI": "database"}
        return
    _redis_or_skip()
    settings = {"RATELIMIT_STORAGE_URI": REDIS_URL,
                "RATELIMIT_KEY_PREFIX": f"inspect-test-{uuid.uuid4().hex}"}
    yield settings
    with worker(**settings) as cleaner:
        login_throttle(cleaner).reset()


@contextmanager
def worker(**settings):
    """Another app on the same database: what a second gunicorn worker is."""
    app = create_app(conftest.test_settings(**settings), environ={})
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def burst(apps, username, count, password=WRONG, address="127.0.0.1", passwords=None):
    """`count` login attempts released at the same instant from as many threads, spread
    over the given apps; returns their responses."""
    start = threading.Barrier(count)

    def one(index):
        client = apps[index % len(apps)].test_client()
        start.wait()
        return attempt(client, username, passwords[index] if passwords else password, address)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


def failed_login_events(app) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(AuditEvent)
                                  .where(AuditEvent.action == "login_failed"))
        db.session.remove()
    return count


# --- the policy, on the default store and settings ----------------------------------------------

def test_failures_of_one_username_from_one_address_are_throttled(client, demo):
    for _ in range(PAIR_LIMIT):
        assert attempt(client, "inspector1").status_code == 401
    # Refused before the password is looked at: the right one is refused too, there.
    assert_429(attempt(client, "inspector1", DEMO_PASSWORD), longest_wait=5 * 60)
    # The same name however it is spelled.
    assert_429(attempt(client, " INSPECTOR1 ", DEMO_PASSWORD), longest_wait=5 * 60)
    # Other accounts from the same address are not affected.
    assert attempt(client, "inspector2", DEMO_PASSWORD).status_code == 200


def test_the_official_gets_in_from_another_address_while_one_is_throttled(client, demo):
    for _ in range(PAIR_LIMIT):
        assert attempt(client, "inspector1", address="203.0.113.66").status_code == 401
    assert_429(attempt(client, "inspector1", address="203.0.113.66"))
    # The official, at the commune office, with the right password.
    assert attempt(client, "inspector1", DEMO_PASSWORD, address="198.51.100.7").status_code == 200
    # A typo there is still only a typo.
    assert attempt(client, "inspector1", address="198.51.100.7").status_code == 401
    assert attempt(client, "inspector1", DEMO_PASSWORD, address="198.51.100.7").status_code == 200


def test_successful_logins_do_not_count(client, demo):
    for _ in range(8):
        assert attempt(client, "inspector1", DEMO_PASSWORD).status_code == 200
    for _ in range(PAIR_LIMIT - 1):
        assert attempt(client, "inspector1").status_code == 401
    for _ in range(3):
        assert attempt(client, "inspector1", DEMO_PASSWORD).status_code == 200
    assert attempt(client, "inspector1").status_code == 401  # the fifth failure
    assert_429(attempt(client, "inspector1", DEMO_PASSWORD))


def test_throttled_attempt_does_not_check_the_password(app, client, demo, login):
    admin = login("admin")
    for _ in range(PAIR_LIMIT):
        attempt(client, "inspector1", address="10.0.0.1")
    checked = failed_login_events(app)
    for _ in range(3):
        assert_429(attempt(client, "inspector1", DEMO_PASSWORD, address="10.0.0.1"))
        assert_429(attempt(client, "inspector1", address="10.0.0.1"))
    assert failed_login_events(app) == checked
    logins = client.get("/api/v1/audit?action=login", headers=admin).get_json()["items"]
    assert demo.users["inspector1"] not in [e["actor_id"] for e in logins]


def test_username_ceiling_stops_distributed_guessing_but_not_the_official(client, demo):
    # The official logged in from the office before the attack: that address is trusted.
    office = "198.51.100.7"
    assert attempt(client, "inspector1", DEMO_PASSWORD, address=office).status_code == 200

    # A botnet: one guess from each of many addresses.
    for n in range(USERNAME_CEILING):
        assert attempt(client, "inspector1", address=f"203.0.113.{n + 1}").status_code == 401
    fresh = [f"192.0.2.{n + 1}" for n in range(3)]
    assert_429(attempt(client, "inspector1", address=fresh[0]))
    # Past the ceiling an untrusted address is refused even with the right password:
    # the deliberate price of stopping the botnet (see the README).
    assert_429(attempt(client, "inspector1", DEMO_PASSWORD, address=fresh[1]))
    # The office is not subject to the ceiling: the official gets in...
    assert attempt(client, "inspector1", DEMO_PASSWORD, address=office).status_code == 200
    # ...and the office is held to its own per-address count only.
    for _ in range(PAIR_LIMIT):
        assert attempt(client, "inspector1", address=office).status_code == 401
    assert_429(attempt(client, "inspector1", DEMO_PASSWORD, address=office))
    # Other accounts are untouched by the ceiling on this one.
    assert attempt(client, "inspector2", DEMO_PASSWORD, address=fresh[2]).status_code == 200


def test_address_ceiling_stops_spraying_but_not_officials_trusted_there(client, demo):
    shared = "100.64.0.1"  # one carrier-NAT address: the sprayer and an official share it
    assert attempt(client, "reviewer1", DEMO_PASSWORD, address=shared).status_code == 200

    # One password over many usernames, under the per-pair limit for each.
    for n in range(ADDRESS_CEILING):
        assert attempt(client, f"nguoi-dung-{n % 20}", address=shared).status_code == 401
    assert_429(attempt(client, "nguoi-dung-99", address=shared))
    # An account never used from that address is refused there, right password or not.
    assert_429(attempt(client, "admin", DEMO_PASSWORD, address=shared))
    # The official who uses that address still gets in.
    assert attempt(client, "reviewer1", DEMO_PASSWORD, address=shared).status_code == 200
    # Elsewhere nothing changed.
    assert attempt(client, "admin", DEMO_PASSWORD, address="198.51.100.9").status_code == 200


def test_ipv6_addresses_are_counted_per_64_network(client, demo):
    for n in range(ADDRESS_CEILING):
        address = f"2001:db8:0:1::{n + 1:x}"  # a fresh address from one /64 each time
        assert attempt(client, f"nguoi-dung-{n % 20}", address=address).status_code == 401
    assert_429(attempt(client, "nguoi-dung-99", address="2001:db8:0:1:ffff::1"))
    assert attempt(client, "nguoi-dung-99", address="2001:db8:0:2::1").status_code == 401


def test_address_bucket():
    assert address_bucket("203.0.113.5") == "203.0.113.5"
    assert address_bucket("::ffff:203.0.113.5") == "203.0.113.5"
    assert address_bucket("2001:db8:0:1:abcd::1") == "2001:db8:0:1::/64"
    assert address_bucket("2001:DB8:0:1::2") == "2001:db8:0:1::/64"
    assert address_bucket("unknown") == "unknown"


def test_refused_attempts_do_not_raise_the_ceilings(app, demo):
    strict = {"LOGIN_FAILURE_LIMIT": "2 per minute", "LOGIN_USERNAME_FAILURE_LIMIT": "4 per minute",
              "LOGIN_ADDRESS_FAILURE_LIMIT": "3 per minute"}
    with worker(**strict) as one:
        client = one.test_client()
        for _ in range(2):
            assert attempt(client, "inspector1", address="203.0.113.1").status_code == 401
        # Hammering on after the 429 must not use up the username's or address's ceiling.
        for _ in range(10):
            assert_429(attempt(client, "inspector1", address="203.0.113.1"), longest_wait=60)
        assert attempt(client, "inspector2", address="203.0.113.1").status_code == 401
        for _ in range(2):
            assert attempt(client, "inspector1", address="203.0.113.2").status_code == 401
        # Now the username has 4 failures: the ceiling.
        assert_429(attempt(client, "inspector1", address="203.0.113.3"), longest_wait=60)
        # And the first address has 3: its ceiling.
        assert_429(attempt(client, "inspector2", address="203.0.113.1"), longest_wait=60)


def test_attempts_refused_by_the_address_ceiling_leave_no_count_behind(app, demo):
    """A sprayer whose address is full must not use up, from there, the username ceiling
    of the accounts it keeps trying (nor their per-pair counts)."""
    strict = {"LOGIN_FAILURE_LIMIT": "2 per minute", "LOGIN_USERNAME_FAILURE_LIMIT": "3 per minute",
              "LOGIN_ADDRESS_FAILURE_LIMIT": "2 per minute"}
    with worker(**strict) as one:
        client = one.test_client()
        for _ in range(2):
            assert attempt(client, "nguoi-dung-1", address="203.0.113.1").status_code == 401
        for _ in range(5):
            assert_429(attempt(client, "inspector2", address="203.0.113.1"), longest_wait=60)
        for n in range(3):
            assert attempt(client, "inspector2", address=f"203.0.113.{n + 2}").status_code == 401
        assert_429(attempt(client, "inspector2", address="203.0.113.9"), longest_wait=60)


def test_limits_come_from_the_settings(app, demo):
    with worker(LOGIN_FAILURE_LIMIT="2 per minute") as strict:
        client = strict.test_client()
        for _ in range(2):
            assert attempt(client, "inspector1").status_code == 401
        assert_429(attempt(client, "inspector1", DEMO_PASSWORD), longest_wait=60)


def test_ceilings_can_be_switched_off(app, demo):
    with worker(LOGIN_USERNAME_FAILURE_LIMIT="", LOGIN_ADDRESS_FAILURE_LIMIT="",
                LOGIN_FAILURE_LIMIT="1 per minute") as loose:
        client = loose.test_client()
        for n in range(USERNAME_CEILING + 5):
            assert attempt(client, "inspector1", address=f"203.0.113.{n + 1}").status_code == 401


def test_trust_can_be_switched_off(app, demo):
    with worker(LOGIN_TRUSTED_ADDRESS_DAYS=0, LOGIN_USERNAME_FAILURE_LIMIT="3 per minute") as strict:
        client = strict.test_client()
        assert attempt(client, "inspector1", DEMO_PASSWORD, address="198.51.100.7").status_code == 200
        for n in range(3):
            assert attempt(client, "inspector1", address=f"203.0.113.{n + 1}").status_code == 401
        assert_429(attempt(client, "inspector1", DEMO_PASSWORD, address="198.51.100.7"))


def test_a_window_ends(app, demo):
    with worker(LOGIN_FAILURE_LIMIT="2 per 2 seconds") as quick:
        client = quick.test_client()
        for _ in range(2):
            assert attempt(client, "inspector1").status_code == 401
        assert_429(attempt(client, "inspector1"), longest_wait=2)
        time.sleep(2.1)
        assert attempt(client, "inspector1").status_code == 401
        assert attempt(client, "inspector1", DEMO_PASSWORD).status_code == 200


def test_counters_keep_no_typed_text_and_no_ended_windows(app, demo):
    def rows():
        with app.app_context():
            keys = set(db.session.scalars(select(LoginCounter.key)))
            db.session.remove()
        return keys

    second = {"LOGIN_FAILURE_LIMIT": "3 per second", "LOGIN_USERNAME_FAILURE_LIMIT": "3 per second",
              "LOGIN_ADDRESS_FAILURE_LIMIT": "3 per second"}
    typed = "mat-khau-go-nham-o-o-ten"  # a password typed into the username field
    with worker(**second) as quick:
        attempt(quick.test_client(), typed, address="203.0.113.8")
        first = rows()
        assert len(first) == 3  # per pair, per username, per address
        assert all(re.fullmatch(r"(pair|user|addr):[0-9a-f]{40}", key) for key in first), first
        assert not any(typed in key or "203.0.113" in key for key in first)
        time.sleep(1.1)
        # A new window begins, and the windows that ended are dropped.
        attempt(quick.test_client(), "a-third-name", address="203.0.113.9")
        later = rows()
    assert len(later) == 3 and not later & first


def test_unreachable_redis_refuses_logins_with_503(app, demo):
    with worker(RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{conftest.free_port()}/0") as broken:
        response = attempt(broken.test_client(), "inspector1", DEMO_PASSWORD)
    # Fail closed: without counters, guessing would be unthrottled.
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.content_type.startswith("application/problem+json")
    assert int(response.headers["Retry-After"]) > 0


# --- several workers: the database store and Redis ----------------------------------------------

def test_limit_holds_across_two_workers(storage, demo):
    with worker(**storage) as first, worker(**storage) as second:
        clients = [first.test_client(), second.test_client()]
        for n in range(PAIR_LIMIT):
            assert attempt(clients[n % 2], "inspector1").status_code == 401
        for client in clients:
            assert_429(attempt(client, "inspector1", DEMO_PASSWORD))
        # The right password from elsewhere, through either worker.
        assert attempt(clients[1], "inspector1", DEMO_PASSWORD, address="10.1.1.1").status_code == 200
        assert attempt(clients[0], "inspector1", DEMO_PASSWORD, address="10.1.1.2").status_code == 200
        # A success through one worker is given back for both.
        for _ in range(PAIR_LIMIT - 1):
            assert attempt(clients[0], "inspector2", address="10.2.2.2").status_code == 401
        assert attempt(clients[1], "inspector2", DEMO_PASSWORD, address="10.2.2.2").status_code == 200
        assert attempt(clients[1], "inspector2", address="10.2.2.2").status_code == 401
        assert_429(attempt(clients[0], "inspector2", DEMO_PASSWORD, address="10.2.2.2"))


def test_memory_storage_counts_per_process(app, demo):
    """Why production refuses memory://: two workers let twice the limit through."""
    with worker(RATELIMIT_STORAGE_URI="memory://") as first, \
            worker(RATELIMIT_STORAGE_URI="memory://") as second:
        for client in (first.test_client(), second.test_client()):
            for _ in range(PAIR_LIMIT):
                assert attempt(client, "inspector1").status_code == 401


# --- concurrent attempts ----------------------------------------------------------------------

ATTEMPTS = 40


def test_concurrent_wrong_passwords_get_exactly_the_limit_through(storage, demo):
    with worker(**storage) as first, worker(**storage) as second:
        apps = [first, second]
        before = failed_login_events(first)
        results = statuses(burst(apps, "inspector1", ATTEMPTS))
        assert results == {401: PAIR_LIMIT, 429: ATTEMPTS - PAIR_LIMIT}, results
        # Exactly that many passwords were checked.
        assert failed_login_events(first) - before == PAIR_LIMIT
        # The count is full, not more: the official still gets in from elsewhere.
        assert_429(attempt(first.test_client(), "inspector1", DEMO_PASSWORD))
        assert attempt(second.test_client(), "inspector1", DEMO_PASSWORD,
                       address="10.3.3.3").status_code == 200


def test_concurrent_spray_from_one_address_stops_at_the_ceiling(storage, demo):
    with worker(LOGIN_ADDRESS_FAILURE_LIMIT="7 per hour", **storage) as first, \
            worker(LOGIN_ADDRESS_FAILURE_LIMIT="7 per hour", **storage) as second:
        names = [f"nguoi-dung-{n}" for n in range(ATTEMPTS)]
        start = threading.Barrier(ATTEMPTS)

        def one(index):
            client = (first, second)[index % 2].test_client()
            start.wait()
            return attempt(client, names[index], address="203.0.113.77")

        with ThreadPoolExecutor(max_workers=ATTEMPTS) as pool:
            results = statuses(pool.map(one, range(ATTEMPTS)))
        assert results == {401: 7, 429: ATTEMPTS - 7}, results


def test_concurrent_successes_are_given_back(storage, demo):
    """Right and wrong passwords racing: at most the limit of wrong ones is checked, and
    whatever the interleaving, what is left counted is exactly the 401s."""
    passwords = [DEMO_PASSWORD if n % 2 else WRONG for n in range(ATTEMPTS)]
    with worker(**storage) as first, worker(**storage) as second:
        results = statuses(burst([first, second], "inspector2", ATTEMPTS, passwords=passwords))
        assert set(results) <= {200, 401, 429}, results
        assert results[401] <= PAIR_LIMIT, results
        client = first.test_client()
        for _ in range(PAIR_LIMIT - results[401]):
            assert attempt(client, "inspector2").status_code == 401
        assert_429(attempt(client, "inspector2"))


def _burst_in_process(settings, username, threads, start, done):
    """One worker process: its own app, `threads` attempts released at the barrier."""
    app = create_app(conftest.test_settings(**settings), environ={})

    def one(_):
        client = app.test_client()
        start.wait(timeout=120)
        return attempt(client, username).status_code

    with ThreadPoolExecutor(max_workers=threads) as pool:
        done.put(list(pool.map(one, range(threads))))
    with app.app_context():
        db.engine.dispose()


def test_concurrent_attempts_from_several_processes(storage, demo):
    processes, threads = 3, 8
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(processes * threads)
    done = context.Queue()
    # Children compute no paths of their own: the same database as this process.
    settings = {**storage, "SQLALCHEMY_DATABASE_URI": conftest.database_url()}
    workers = [context.Process(target=_burst_in_process,
                               args=(settings, "inspector1", threads, start, done))
               for _ in range(processes)]
    for process in workers:
        process.start()
    try:
        results = collections.Counter()
        for _ in workers:
            results.update(done.get(timeout=180))
    finally:
        for process in workers:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
    assert results == {401: PAIR_LIMIT, 429: processes * threads - PAIR_LIMIT}, results


# --- a real gunicorn with two workers ---------------------------------------------------------

@pytest.fixture(scope="module")
def gunicorn_two_workers():
    """gunicorn, 2 sync workers, production settings and the default counter store (the
    database); its access log records which worker answered."""
    tmp = Path(tempfile.mkdtemp(prefix="inspect-throttle-live-"))
    env = {
        **os.environ,
        "DATABASE_URL": _live_database_url(tmp, suffix="_live_throttle"),
        "APP_ENV": "production",
        "JWT_SECRET_KEY": "live-test-secret-" + uuid.uuid4().hex,
        "ARGON2_MEMORY_KIB": "64",
        "ARGON2_TIME_COST": "1",
        "DEMO_PASSWORD": DEMO_PASSWORD,
        "STORAGE_DIR": str(tmp / "objects"),
        "LOG_LEVEL": "WARNING",
        "TRUSTED_PROXY_COUNT": "1",
        "PUBLIC_BASE_URL": "http://127.0.0.1",
        "TRUSTED_HOSTS": "127.0.0.1",
    }
    env.pop("FLASK_APP", None)
    env.pop("RATELIMIT_STORAGE_URI", None)
    flask = str(BIN / "flask")
    _run([flask, "--app", "wsgi", "db", "upgrade"], env)
    _run([flask, "--app", "wsgi", "seed", "demo"], env)
    port = _free_port()
    access_log = tmp / "access.log"
    log = open(tmp / "gunicorn.log", "w+")  # noqa: SIM115 - the server's, closed after it
    argv = [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}",
            "--access-logfile", str(access_log), "--access-logformat", "%(p)s %(s)s %(U)s"]
    from gunicorn.config import KNOWN_SETTINGS

    if any(setting.name == "control_socket_disable" for setting in KNOWN_SETTINGS):
        # Not the per-user default control socket another gunicorn may be using.
        argv.append("--no-control-socket")
    server = subprocess.Popen(argv + ["wsgi:app"], cwd=REPO, env=env, stdout=log,
                              stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if server.poll() is not None:
                log.seek(0)
                pytest.fail(f"gunicorn exited with {server.returncode}:\n{log.read()}")
            try:
                if requests.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                log.seek(0)
                pytest.fail(f"gunicorn not ready after {START_TIMEOUT}s:\n{log.read()}")
            time.sleep(0.2)
        _wait_for_both_workers(base, access_log, deadline, log)
        yield base, access_log
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)
        log.close()


def _wait_for_both_workers(base: str, access_log: Path, deadline: float, log) -> None:
    """Until each worker has answered /readyz: the first one up answers the first check,
    and on a loaded machine the other may still be importing the app when the test's
    logins arrive, which it would then all take."""
    def readyz(_):
        with suppress(requests.RequestException):
            requests.get(f"{base}/readyz", timeout=2)

    with ThreadPoolExecutor(max_workers=8) as pool:
        while True:
            list(pool.map(readyz, range(8)))
            time.sleep(0.1)  # gunicorn writes the access line after the response
            lines = access_log.read_text().splitlines() if access_log.exists() else []
            if len({line.split()[0] for line in lines if line.endswith("/readyz")}) >= 2:
                return
            if time.monotonic() > deadline:
                log.seek(0)
                pytest.fail(f"one gunicorn worker only after {START_TIMEOUT}s:\n{log.read()}")


def test_limit_holds_over_http_across_gunicorn_workers(gunicorn_two_workers):
    base, access_log = gunicorn_two_workers
    start = threading.Barrier(ATTEMPTS)

    def one(_):
        start.wait()
        return requests.post(f"{base}{LOGIN}", timeout=60,
                             json={"username": "inspector1", "password": WRONG})

    with ThreadPoolExecutor(max_workers=ATTEMPTS) as pool:
        responses = list(pool.map(one, range(ATTEMPTS)))
    results = collections.Counter(r.status_code for r in responses)
    assert results == {401: PAIR_LIMIT, 429: ATTEMPTS - PAIR_LIMIT}, results
    refused = [r for r in responses if r.status_code == 429]
    assert all(r.headers["Content-Type"].startswith("application/problem+json") for r in refused)
    assert all(0 < int(r.headers["Retry-After"]) <= 300 for r in refused)
    # Both workers answered logins, so the count really was shared.
    def login_lines():
        return [line for line in access_log.read_text().splitlines() if line.endswith(LOGIN)]

    deadline = time.monotonic() + 10
    while len(login_lines()) < ATTEMPTS and time.monotonic() < deadline:
        time.sleep(0.1)  # gunicorn writes the access line after the response
    pids = collections.Counter(line.split()[0] for line in login_lines())
    assert len(pids) == 2, pids

    # The right password from the throttled address is refused; from the office (the
    # proxy in front tells the address) the official gets in.
    def login_from(address=None):
        headers = {"X-Forwarded-For": address} if address else {}
        return requests.post(f"{base}{LOGIN}", timeout=30, headers=headers,
                             json={"username": "inspector1", "password": DEMO_PASSWORD})

    assert login_from().status_code == 429
    assert login_from("198.51.100.7").status_code == 200
