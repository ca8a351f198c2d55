"""Login throttling over HTTP: overshoot under concurrent wrong passwords, per counter store.

    .venv/bin/python benchmarks/bench_login_throttle.py [--database-url URL] [--store database|redis]...
        [--workers 2] [--attempts 40] [--rounds 3] [--redis-url redis://127.0.0.1:6379/0] [--json]

What it does: migrates and seeds the database (a fresh SQLite file unless --database-url
or BENCH_DATABASE_URL names one; `flask db upgrade` and `flask seed demo` change nothing on a database that has
them), then for each counter store starts the API under gunicorn (production settings,
the real argon2 cost, TRUSTED_PROXY_COUNT=1) and runs rounds. Each round:

* `--attempts` threads send one wrong password each for one demo user (another each
  round), released at the same instant, all from one client address (a fresh one per
  round, given by X-Forwarded-For, so rounds do not share counters; the run's own
  JWT_SECRET_KEY keys the counters, so earlier runs leave none behind);
* counts the answers: 401 is an attempt whose password was checked, 429 one refused
  before. `overshoot` = 401s beyond LOGIN_FAILURE_LIMIT (must be 0, and so must `other`);
* then that official logs in with the right password from their office address (must
  be 200: the attack from elsewhere did not lock them out).

Latency is per answer, measured by the client, in milliseconds (p50 / p95 / max); the
401s include the password check, the 429s do not. Redis uses a key prefix of this run's
own and removes its keys afterwards. Exit status 0 when every round had overshoot 0, no
other status and the official got in; 1 otherwise.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import os
import statistics
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _servers import Api, api_env, prepare_database, remove_workdir, workdir

LIMIT = 5  # LOGIN_FAILURE_LIMIT's default, 5 per 5 minutes
PASSWORD = "benchmark-password"  # api_env's DEMO_PASSWORD
USERS = ["inspector1", "inspector2", "reviewer1", "leader1", "admin"]


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def one_round(url: str, attempts: int, number: int) -> dict:
    # The attacked official changes with each round, and so does the attacker's address:
    # rounds stay apart from the per-username and per-address ceilings.
    username = USERS[number % len(USERS)]
    address = f"10.{number // 250 % 250}.{number % 250}.1"
    office = f"198.51.100.{number % len(USERS) + 1}"
    start = threading.Barrier(attempts)

    def attempt(_):
        start.wait()
        began = time.perf_counter()
        response = requests.post(f"{url}/api/v1/auth/login", timeout=120,
                                 headers={"X-Forwarded-For": address},
                                 json={"username": username, "password": "wrong-" + uuid.uuid4().hex})
        return response.status_code, (time.perf_counter() - began) * 1000

    with ThreadPoolExecutor(max_workers=attempts) as pool:
        answers = list(pool.map(attempt, range(attempts)))
    counts = collections.Counter(status for status, _ in answers)
    official = requests.post(f"{url}/api/v1/auth/login", timeout=60,
                             headers={"X-Forwarded-For": office},
                             json={"username": username, "password": PASSWORD}).status_code
    times = {status: [ms for s, ms in answers if s == status] for status in (401, 429)}
    return {
        "username": username, "attempts": attempts, "401": counts[401], "429": counts[429],
        "other": attempts - counts[401] - counts[429],
        "overshoot": counts[401] - LIMIT, "official": official,
        "ms_401": [round(percentile(times[401], q), 1) for q in (0.5, 0.95, 1.0)],
        "ms_429": [round(percentile(times[429], q), 1) for q in (0.5, 0.95, 1.0)],
    }


def redis_reachable(url: str) -> str | None:
    try:
        import redis
    except ImportError:
        return "the redis client is not installed (pip install -e '.[redis]')"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        return f"no Redis at {url}: {exc}"
    return None


def clear_redis(url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    if keys:
        client.delete(*keys)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"),
                        help="default: BENCH_DATABASE_URL, else a fresh SQLite file")
    parser.add_argument("--store", action="append", choices=["database", "redis"],
                        help="counter store(s) to measure; default both")
    parser.add_argument("--redis-url", default=os.environ.get("TEST_REDIS_URL",
                                                              "redis://127.0.0.1:6379/0"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--attempts", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    where = workdir()
    results = []
    ok = True
    try:
        base_env = api_env(None, where, args.database_url)
        # A secret of this run's own: the counters' keys are digests keyed by it, so a
        # database kept from an earlier run (--database-url) starts with no counts.
        base_env.update({"TRUSTED_PROXY_COUNT": "1", "DEMO_PASSWORD": PASSWORD,
                         "JWT_SECRET_KEY": "bench-throttle-" + uuid.uuid4().hex})
        for name in ("RATELIMIT_STORAGE_URI", "RATELIMIT_KEY_PREFIX", "LOGIN_FAILURE_LIMIT",
                     "ARGON2_TIME_COST", "ARGON2_MEMORY_KIB"):
            base_env.pop(name, None)  # the defaults are what is measured
        prepare_database(base_env)
        database = "PostgreSQL" if base_env["DATABASE_URL"].startswith("postgresql") else "SQLite"
        for store in args.store or ["database", "redis"]:
            env = dict(base_env)
            prefix = f"bench-throttle-{uuid.uuid4().hex}"
            if store == "redis":
                why_not = redis_reachable(args.redis_url)
                if why_not:
                    print(f"{store}: skipped: {why_not}")
                    continue
                env.update({"RATELIMIT_STORAGE_URI": args.redis_url, "RATELIMIT_KEY_PREFIX": prefix})
            with contextlib.ExitStack() as stack:
                api = Api(env, where, workers=args.workers)
                stack.callback(api.stop)
                if store == "redis":
                    stack.callback(clear_redis, args.redis_url, prefix)
                for number in range(args.rounds):
                    row = {"store": store, "database": database, "workers": args.workers,
                           "round": number + 1,
                           **one_round(api.url, args.attempts, len(results))}
                    ok = ok and row["overshoot"] == 0 and row["other"] == 0 and row["official"] == 200
                    results.append(row)
    finally:
        remove_workdir(where)

    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(f"limit {LIMIT} failures per username and address; gunicorn --workers {args.workers}; "
              f"load average {os.getloadavg()[0]:.1f}")
        print(f"{'store':<9} {'database':<10} {'round':>5} {'sent':>5} {'401':>4} {'429':>4} "
              f"{'other':>5} {'overshoot':>9} {'official':>8}  {'401 ms p50/p95/max':<20} 429 ms p50/p95/max")
        for r in results:
            print(f"{r['store']:<9} {r['database']:<10} {r['round']:>5} {r['attempts']:>5} {r['401']:>4} "
                  f"{r['429']:>4} {r['other']:>5} {r['overshoot']:>9} {r['official']:>8}  "
                  f"{'/'.join(map(str, r['ms_401'])):<20} {'/'.join(map(str, r['ms_429']))}")
        if results:
            print("overshoot total:", sum(max(r["overshoot"], 0) for r in results),
                  "| median 401 ms:", statistics.median(r["ms_401"][0] for r in results))
    return 0 if ok and results else 1


if __name__ == "__main__":
    sys.exit(main())
