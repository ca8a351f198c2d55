"""Photo evidence upload: the API against a direct `minio` put_object, and the API worker's memory.

    .venv/bin/python benchmarks/bench_evidence_upload.py [--rounds N] [--json]   (`make bench`)

Linux only (it reads /proc). With the default 5 rounds it takes about 15-30 s.

What it does, in one run:

* starts moto's S3-compatible server in its own process on 127.0.0.1, makes a fresh SQLite
  database (`flask db upgrade`, `flask seed demo`) and starts the API under gunicorn with
  ONE sync worker, on the `minio` store pointed at that server (EVIDENCE_MAX_BYTES 20 MiB);
* logs in as inspector1, creates a visit and a failing finding;
* makes JPEGs with the EXIF a phone writes (capture time, GPS), all of the same pixel size
  (5376x4032): rows of noise over a flat rest, as many rows as it takes for a file of
  about 3 MiB and one just under the API's 20 MiB limit (the sizes are checked, and each
  API answer must be 201 with exactly that size, SHA-256 and pixel size). Same pixels on
  purpose: Pillow's memory depends on the pixels, so only the file's length differs;
* warm-up: 5 uploads of a small (~0.5 MiB) photo through each path; then the worker's
  VmHWM is reset to its VmRSS (write 5 to /proc/<pid>/clear_refs) and both are the
  baseline;
* then for the 3 MiB photo and after it the 20 MiB photo (the order matters):
  - one untimed API upload while a thread samples the worker's VmRSS every 10 ms;
  - N timed rounds, each an API upload (`PUT /api/v1/visits/{id}/evidence/{uuid}` with
    X-Content-SHA256) followed by a direct `put_object` of the same bytes to the same
    server, with the minio client's defaults (which the API's store also uses);
  - the worker's VmHWM (the kernel's high-water mark of its resident memory).

How to read the output:

* `API` / `direct`: median seconds per upload [min-max]; MiB/s is the file's size over
  the median. An API upload is the whole request: the body to gunicorn, hashed and
  copied (to memory up to 4 MiB, so the 3 MiB photo's VmHWM includes its copy; to a
  temporary file beyond), Pillow's check from the header and the file's structure, EXIF, one
  object write and the database row with its audit record (the thumbnail is made when
  first asked for, not here). The small-photo line shows that fixed cost next to a
  direct put of the same small file.
* `API/direct time`: median API time over median direct time for the same bytes in the
  same run (the range is over the per-round pairs): what going through the API costs
  compared with what the object store costs by itself.
* memory: `baseline` is the worker after the warm-up. VmHWM can only rise, so the figure
  after the 20 MiB uploads minus the one after the 3 MiB uploads is what the 20 MiB
  uploads needed beyond the 3 MiB ones. `sampled` is the highest VmRSS seen during the
  single monitored upload minus VmRSS just before it (10 ms samples can miss a short
  peak; VmHWM cannot). A worker that streams the photo shows about the same figures for
  both sizes; a rise that is a good part of the 17 MiB between them means the photo, or
  large pieces of it, is held in memory. The verdict calls growth above 4 MiB by either
  measure "grows". After the warm-up the worker keeps freed heap it can reuse, so a
  small upload may show +0.0.

The timings are of a loopback setup on one machine (client, API and S3 server share its
CPUs; the last line gives the load average): compare the ratio and the memory, not the
MiB/s, across machines. Exit status: 0 when every upload succeeded, 1 otherwise; the
servers are stopped either way (and die with the script if it is killed).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import os
import random
import signal
import statistics
import sys
import time
import uuid

import requests
from minio import Minio
from PIL import ExifTags, Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _servers import (
    ROOT, S3_ACCESS_KEY, S3_SECRET_KEY, Api, RssSampler, S3Server, api_env, peak_rss_kib,
    export_revision, prepare_database, proc_status_kib, remove_workdir, reset_peak_rss, run_code_from, workdir,
)

MIB = 1024 * 1024
EVIDENCE_MAX_BYTES = 20 * MIB  # the API's default limit (inspect_api/config.py)
HTTP_TIMEOUT = 120
# (label, smallest acceptable size, largest acceptable size)
SIZES = (
    ("3 MiB", 3 * MIB - 32 * 1024, 3 * MIB + 32 * 1024),
    ("20 MiB", EVIDENCE_MAX_BYTES - 192 * 1024, EVIDENCE_MAX_BYTES),
)
# Every photo has the same pixel size (about 21.7 megapixels, noise at JPEG quality 92 just
# fills 20 MiB), so only the file's length differs between the sizes: the memory Pillow
# needs depends on the pixels, and is then the same for both.
PHOTO_PIXELS = (5376, 4032)
# Growth of the worker's peak from the 3 MiB to the 20 MiB uploads above which the
# verdict says memory grows with the file size (the files differ by 17 MiB).
GROWTH_LIMIT_MIB = 4.0
# The API's block size for the body (inspect_api/evidence/service.py CHUNK).
HASH_BLOCK = 256 * 1024


class BenchmarkFailed(RuntimeError):
    pass


def phone_jpeg(noise_rows: int, seed: int, size: tuple[int, int] = PHOTO_PIXELS) -> bytes:
    """A JPEG with the EXIF a phone camera writes (capture time, GPS): `noise_rows` rows
    of random pixels (noise does not compress) over a flat grey rest, so the file's length
    is set by `noise_rows` while the pixel size stays the same."""
    width, _ = size
    img = Image.new("RGB", size, (128, 128, 128))
    if noise_rows:
        noise = random.Random(seed).randbytes(width * noise_rows * 3)
        img.paste(Image.frombytes("RGB", (width, noise_rows), noise), (0, 0))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Samsung"
    exif[ExifTags.Base.Model] = "Galaxy Tab A9"
    exif[ExifTags.Base.DateTime] = "2026:11:20 08:15:42"
    exif_ifd = exif.get_ifd(ExifTags.IFD.Exif)
    exif_ifd[ExifTags.Base.DateTimeOriginal] = "2026:11:20 08:15:42"
    exif_ifd[ExifTags.Base.OffsetTimeOriginal] = "+07:00"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (21.0, 49.0, 23.88)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (105.0, 12.0, 50.4)
    buffer = io.BytesIO()
    img.save(buffer, "JPEG", quality=92, exif=exif.tobytes())
    return buffer.getvalue()


def photo_between(low: int, high: int, seed: int) -> bytes:
    """A phone-like JPEG of PHOTO_PIXELS whose length is in [low, high]: the length grows
    almost exactly in proportion to the rows of noise, so a few corrections get there."""
    height = PHOTO_PIXELS[1]
    flat = len(phone_jpeg(0, seed))
    target = (low + high) / 2
    rows = height // 2
    for _ in range(12):
        data = phone_jpeg(rows, seed)
        if low <= len(data) <= high:
            return data
        per_row = max((len(data) - flat) / max(rows, 1), 1.0)
        step = round((target - len(data)) / per_row) or (1 if len(data) < low else -1)
        rows = min(max(rows + step, 0), height)
    raise BenchmarkFailed(f"could not make a {PHOTO_PIXELS} JPEG between {low} and {high} bytes")


def hashing_seconds(data: bytes, rounds: int = 5) -> float:
    """What the integrity checks alone cost on one core: SHA-256 (for the client) and MD5
    (to compare with the store's ETag) over the body in the API's blocks, the median of
    `rounds`. Work the API must do that a direct put does not (minio's own SHA-256 for the
    signature is on both sides)."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        sha256, md5 = hashlib.sha256(), hashlib.md5(usedforsecurity=False)
        for offset in range(0, len(data), HASH_BLOCK):
            block = data[offset:offset + HASH_BLOCK]
            sha256.update(block)
            md5.update(block)
        sha256.digest(), md5.digest()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def fmt_mib(kib: float) -> str:
    return f"{kib / 1024:.1f} MiB"


def spread(values: list[float], digits: int = 3) -> str:
    return f"{statistics.median(values):.{digits}f} [{min(values):.{digits}f}-{max(values):.{digits}f}]"


def run(rounds: int, stack: contextlib.ExitStack, app: str = "wsgi:app", rev: str | None = None) -> dict:
    work = workdir()
    stack.callback(remove_workdir, work)
    s3 = S3Server(work)
    stack.callback(s3.stop)
    env = api_env(s3.endpoint, work)
    env["EVIDENCE_MAX_BYTES"] = str(EVIDENCE_MAX_BYTES)
    code = export_revision(rev, work) if rev else ROOT
    print(f"code under test: {f'revision {rev}' if rev else 'working tree'} "
          f"(inspect_api from {run_code_from(code, env)})")
    prepare_database(env, code)
    api = Api(env, work, workers=1, app=app, code=code)
    stack.callback(api.stop)

    @stack.push
    def show_logs_on_failure(exc_type, exc, tb) -> None:
        if exc_type is not None:
            print(f"--- gunicorn log (tail) ---\n{api.log_tail()}", file=sys.stderr)

    session = requests.Session()
    stack.callback(session.close)
    login = session.post(api.url + "/api/v1/auth/login", timeout=HTTP_TIMEOUT,
                         json={"username": "inspector1", "password": env["DEMO_PASSWORD"]})
    login.raise_for_status()
    session.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
    me = session.get(api.url + "/api/v1/auth/me", timeout=HTTP_TIMEOUT)
    me.raise_for_status()
    team = me.json()["teams"][0]
    checklist = session.get(f"{api.url}/api/v1/checklists/{team['checklist_id']}", timeout=HTTP_TIMEOUT)
    checklist.raise_for_status()
    visit_id = str(uuid.uuid4())
    session.put(f"{api.url}/api/v1/visits/{visit_id}", timeout=HTTP_TIMEOUT, json={
        "desk_id": team["desk_ids"][0], "checklist_id": team["checklist_id"], "team_id": team["id"],
        "started_at": "2026-11-20T01:00:00+00:00"}).raise_for_status()
    criterion = next(c for c in checklist.json()["criteria"]
                     if c["answer_type"] == "yes_no" and c["subject"] == "unit")
    finding_id = str(uuid.uuid4())
    session.put(f"{api.url}/api/v1/visits/{visit_id}/findings", timeout=HTTP_TIMEOUT, json={"findings": [{
        "id": finding_id, "criterion_id": criterion["id"], "result": "fail",
        "recorded_at": "2026-11-20T01:05:00+00:00"}]}).raise_for_status()

    # The same client defaults as the API's store (num_parallel_uploads=3, 5 MiB parts).
    direct = Minio(s3.endpoint, access_key=S3_ACCESS_KEY, secret_key=S3_SECRET_KEY, secure=False)
    if not direct.bucket_exists("bench-direct"):
        direct.make_bucket("bench-direct")

    def upload_api(data: bytes, sha256: str, dims: tuple[int, int]) -> float:
        url = f"{api.url}/api/v1/visits/{visit_id}/evidence/{uuid.uuid4()}"
        headers = {"Content-Type": "image/jpeg", "X-Content-SHA256": sha256}
        started = time.perf_counter()
        response = session.put(url, params={"finding_id": finding_id}, data=data, headers=headers,
                               timeout=HTTP_TIMEOUT)
        elapsed = time.perf_counter() - started
        if response.status_code != 201:
            raise BenchmarkFailed(f"API upload of {len(data)} bytes: HTTP {response.status_code}: "
                                  f"{response.text[:2000]}")
        record = response.json()
        got = (record.get("size"), record.get("sha256"), (record.get("width"), record.get("height")))
        if got != (len(data), sha256, dims):
            raise BenchmarkFailed(f"API stored {got}, expected {(len(data), sha256, dims)}")
        return elapsed

    def upload_direct(data: bytes) -> float:
        started = time.perf_counter()
        direct.put_object("bench-direct", str(uuid.uuid4()), io.BytesIO(data), len(data),
                          content_type="image/jpeg")
        return time.perf_counter() - started

    worker_pids = api.worker_pids()
    if len(worker_pids) != 1:
        raise BenchmarkFailed(f"expected one gunicorn worker, found {worker_pids}")
    worker = worker_pids[0]

    # Warm-up: the same pixel size, a small file (mostly flat). Its timings show the fixed
    # cost of an API upload (request, Pillow, two object writes, the row) next to a
    # direct put of the same small file.
    warmup = photo_between(400 * 1024, 600 * 1024, seed=1)
    warmup_sha = hashlib.sha256(warmup).hexdigest()
    warm_api, warm_direct = [], []
    for _ in range(5):
        warm_api.append(upload_api(warmup, warmup_sha, PHOTO_PIXELS))
        warm_direct.append(upload_direct(warmup))
    time.sleep(0.2)
    hwm_reset = reset_peak_rss(worker)
    baseline = {"vmrss_kib": proc_status_kib(worker, "VmRSS"), "vmhwm_kib": peak_rss_kib(worker),
                "vmhwm_reset": hwm_reset}

    results: dict = {"rounds": rounds, "worker_pid": worker, "pixels": "{}x{}".format(*PHOTO_PIXELS),
                     "baseline": baseline, "sizes": {},
                     "warmup": {"bytes": len(warmup), "api_seconds": warm_api[2:],
                                "direct_seconds": warm_direct[2:]}}
    for seed, (label, low, high) in enumerate(SIZES, start=2):
        data = photo_between(low, high, seed=seed)
        dims = PHOTO_PIXELS
        if not (low <= len(data) <= high and len(data) <= EVIDENCE_MAX_BYTES):
            raise BenchmarkFailed(f"{label} photo is {len(data)} bytes, outside [{low}, {high}]")
        sha256 = hashlib.sha256(data).hexdigest()

        time.sleep(0.2)
        with RssSampler(worker, interval=0.01) as sampler:
            upload_api(data, sha256, dims)
        api_times, direct_times = [], []
        for _ in range(rounds):
            api_times.append(upload_api(data, sha256, dims))
            direct_times.append(upload_direct(data))
        mib = len(data) / MIB
        results["sizes"][label] = {
            "bytes": len(data),
            "mib": round(mib, 3),
            "api_seconds": api_times,
            "direct_seconds": direct_times,
            "api_mib_per_s": round(mib / statistics.median(api_times), 1),
            "direct_mib_per_s": round(mib / statistics.median(direct_times), 1),
            "api_over_direct": round(statistics.median(api_times) / statistics.median(direct_times), 2),
            "api_over_direct_per_round": [round(a / d, 2) for a, d in zip(api_times, direct_times, strict=True)],
            "hashing_seconds": hashing_seconds(data),
            "sampled_vmrss_before_kib": sampler.before,
            "sampled_vmrss_peak_kib": sampler.peak,
            "sampled_rise_kib": sampler.peak - sampler.before,
            "samples": len(sampler.samples),
            "vmhwm_after_kib": peak_rss_kib(worker),
        }
    return results


def report(results: dict) -> bool:
    """Print the table; True when the worker's peak does not grow with the file size."""
    base = results["baseline"]
    small, large = results["sizes"]["3 MiB"], results["sizes"]["20 MiB"]
    print(f"photos: {results['pixels']} px JPEG with phone EXIF; {results['rounds']} timed rounds per size "
          f"(median [min-max])")
    warm = results["warmup"]
    print(f"small photo ({warm['bytes']:,} bytes, warm-up, last 3): API {spread(warm['api_seconds'])} s, "
          f"direct {spread(warm['direct_seconds'])} s  (mostly the API's fixed cost per upload)")
    for label, r in results["sizes"].items():
        print(f"{label:>6}: {r['bytes']:,} bytes ({r['mib']} MiB)")
        print(f"        API    {spread(r['api_seconds'])} s   {r['api_mib_per_s']:6.1f} MiB/s")
        print(f"        direct {spread(r['direct_seconds'])} s   {r['direct_mib_per_s']:6.1f} MiB/s")
        per_round = r["api_over_direct_per_round"]
        print(f"        API/direct time: {r['api_over_direct']}x  (per round {min(per_round)}-{max(per_round)}x)")
        direct = statistics.median(r["direct_seconds"])
        print(f"        integrity hashing alone (SHA-256 + MD5, one core): {r['hashing_seconds']:.3f} s; "
              f"1.25x the direct put leaves the API {0.25 * direct:.3f} s over it")
    print(f"API worker (pid {results['worker_pid']}) memory:")
    print(f"  baseline after warm-up: VmRSS {fmt_mib(base['vmrss_kib'])}, VmHWM {fmt_mib(base['vmhwm_kib'])}"
          + (" (VmHWM reset to VmRSS after warm-up)" if base["vmhwm_reset"] else
             " (VmHWM could not be reset: it includes start-up and warm-up)"))
    for label, r in results["sizes"].items():
        print(f"  {label:>6}: VmHWM after these uploads {fmt_mib(r['vmhwm_after_kib'])} "
              f"(+{fmt_mib(r['vmhwm_after_kib'] - base['vmhwm_kib'])} over the baseline VmHWM); "
              f"sampled during one upload: VmRSS {fmt_mib(r['sampled_vmrss_before_kib'])} -> peak "
              f"{fmt_mib(r['sampled_vmrss_peak_kib'])} (+{fmt_mib(r['sampled_rise_kib'])}, "
              f"{r['samples']} samples)")
    hwm_growth = (large["vmhwm_after_kib"] - small["vmhwm_after_kib"]) / 1024
    sampled_growth = round((large["sampled_rise_kib"] - small["sampled_rise_kib"]) / 1024, 1)
    grows = hwm_growth > GROWTH_LIMIT_MIB or sampled_growth > GROWTH_LIMIT_MIB
    print(f"  peak growth from the 3 MiB to the 20 MiB uploads: VmHWM +{hwm_growth:.1f} MiB, "
          f"sampled rise {sampled_growth + 0.0:+.1f} MiB (files differ by "
          f"{(large['bytes'] - small['bytes']) / MIB:.1f} MiB)")
    print("  verdict: " + ("worker memory GROWS with the file size" if grows else
                           f"worker memory does not grow with the file size (both under "
                           f"{GROWTH_LIMIT_MIB} MiB)"))
    return not grows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=5, help="timed uploads per size and path (default 5)")
    parser.add_argument("--json", action="store_true", help="also print the raw results as JSON")
    parser.add_argument("--app", default="wsgi:app",
                        help="the WSGI app gunicorn serves (default wsgi:app); to measure a variant")
    parser.add_argument("--rev", help="serve the code at this git revision (default: the working tree)")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")

    def terminated(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminated)
    started = time.monotonic()
    load_before = os.getloadavg()
    try:
        with contextlib.ExitStack() as stack:
            results = run(args.rounds, stack, app=args.app, rev=args.rev)
    except BenchmarkFailed as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    load_after = os.getloadavg()
    if args.json:
        print(json.dumps(results, indent=2))
    report(results)
    print(f"(benchmark took {time.monotonic() - started:.0f} s on {os.cpu_count()} CPUs; 1-minute load "
          f"average {load_before[0]:.2f} before, {load_after[0]:.2f} after: other work on the machine "
          f"slows and spreads the timings)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
