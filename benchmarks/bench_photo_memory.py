"""Peak memory of an API worker while it takes photos that are cheap to send and dear to decode.

    .venv/bin/python benchmarks/bench_photo_memory.py                 # this working tree
    .venv/bin/python benchmarks/bench_photo_memory.py --rev b8b0e0a   # the code at a git revision

Linux only (it reads /proc). It takes about 30-60 s.

What it does:

* with `--rev`, exports that revision of this repository (`git archive`) to a temporary
  directory and runs the API from there (cwd and PYTHONPATH), with this virtualenv's
  packages; it prints which `inspect_api` the server imported, so "before" is really the
  old code;
* makes a fresh SQLite database (`flask db upgrade`, `flask seed demo`) and starts the
  API under gunicorn with ONE sync worker on the local-directory store, in production
  mode with the default EVIDENCE_MAX_PIXELS (50 M) and, where the code has it,
  EVIDENCE_MAX_DECODE_BYTES (64 MiB);
* logs in as inspector1, creates a visit and a failing finding, uploads a small photo
  five times (warm-up: imports, first allocations);
* then for each photo below, in this order: resets the worker's VmHWM to its VmRSS
  (write 5 to /proc/<pid>/clear_refs), uploads the photo with a thread sampling VmRSS
  every 5 ms, asks for its thumbnail if it was accepted (made on first request, where
  the photo is decoded), and reads VmHWM, the kernel's high-water mark of the worker's resident
  memory. `rise` is VmHWM after the upload minus VmRSS before it: what that one upload
  made the worker hold at its peak.

The photos (made here with Pillow, sizes printed):

* the issue's: a PNG of 7000×7000 RGBA pixels, one colour, about 200 KiB;
* a 48 MP phone JPEG (8000×6000, baseline, with EXIF), which must stay accepted and cheap;
* a progressive JPEG of 7000×7000 (every DCT coefficient is kept, whatever the scale);
* a PNG of 7000×7000 grey (one byte a pixel: 47 MiB decoded, under the budget).

Exit status 0 when every upload got the answer the code under test gives (any 2xx or
422); 1 on a 500 or a failed start. The servers are stopped either way.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import signal
import sys
import time
import uuid

import requests
from PIL import ExifTags, Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _servers import (
    ROOT, Api, RssSampler, api_env, export_revision, peak_rss_kib, prepare_database, proc_status_kib,
    remove_workdir, reset_peak_rss, run_code_from, workdir,
)

HTTP_TIMEOUT = 300


class BenchmarkFailed(RuntimeError):
    pass


def _exif() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Samsung"
    exif[ExifTags.Base.Model] = "Galaxy Tab A9"
    exif[ExifTags.Base.DateTime] = "2026:11:20 08:15:42"
    exif_ifd = exif.get_ifd(ExifTags.IFD.Exif)
    exif_ifd[ExifTags.Base.DateTimeOriginal] = "2026:11:20 08:15:42"
    exif_ifd[ExifTags.Base.OffsetTimeOriginal] = "+07:00"
    return exif.tobytes()


def _encode(mode: str, size: tuple[int, int], fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    colour = {"RGBA": (10, 200, 30, 255), "RGB": (200, 120, 40), "L": 90}[mode]
    Image.new(mode, size, colour).save(buffer, fmt, **options)
    return buffer.getvalue()


def photos() -> list[tuple[str, bytes, str]]:
    return [
        ("PNG 7000x7000 RGBA (the issue's)", _encode("RGBA", (7000, 7000), "PNG"), "image/png"),
        ("phone JPEG 8000x6000 (48 MP)", _encode("RGB", (8000, 6000), "JPEG", quality=90, exif=_exif()),
         "image/jpeg"),
        ("progressive JPEG 7000x7000", _encode("RGB", (7000, 7000), "JPEG", quality=90, progressive=True),
         "image/jpeg"),
        ("PNG 7000x7000 grey", _encode("L", (7000, 7000), "PNG"), "image/png"),
    ]


def run(rev: str | None, stack: contextlib.ExitStack) -> dict:
    work = workdir()
    stack.callback(remove_workdir, work)
    env = api_env(None, work)
    code, label = ROOT, "working tree"
    if rev:
        code, label = export_revision(rev, work), f"revision {rev}"
    source = run_code_from(code, env)
    prepare_database(env, code)
    api = Api(env, work, workers=1, code=code)
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
    team = session.get(api.url + "/api/v1/auth/me", timeout=HTTP_TIMEOUT).json()["teams"][0]
    checklist = session.get(f"{api.url}/api/v1/checklists/{team['checklist_id']}", timeout=HTTP_TIMEOUT).json()
    visit_id = str(uuid.uuid4())
    session.put(f"{api.url}/api/v1/visits/{visit_id}", timeout=HTTP_TIMEOUT, json={
        "desk_id": team["desk_ids"][0], "checklist_id": team["checklist_id"], "team_id": team["id"],
        "started_at": "2026-11-20T01:00:00+00:00"}).raise_for_status()
    criterion = next(c for c in checklist["criteria"] if c["answer_type"] == "yes_no" and c["subject"] == "unit")
    finding_id = str(uuid.uuid4())
    session.put(f"{api.url}/api/v1/visits/{visit_id}/findings", timeout=HTTP_TIMEOUT, json={"findings": [{
        "id": finding_id, "criterion_id": criterion["id"], "result": "fail",
        "recorded_at": "2026-11-20T01:05:00+00:00"}]}).raise_for_status()

    def upload(data: bytes, content_type: str) -> requests.Response:
        return session.put(f"{api.url}/api/v1/visits/{visit_id}/evidence/{uuid.uuid4()}",
                           params={"finding_id": finding_id}, data=data, timeout=HTTP_TIMEOUT,
                           headers={"Content-Type": content_type})

    [worker] = api.worker_pids()
    warmup = _encode("RGB", (1600, 1200), "JPEG", quality=90, exif=_exif())
    for _ in range(5):
        response = upload(warmup, "image/jpeg")
        if response.status_code != 201:
            raise BenchmarkFailed(f"warm-up upload: HTTP {response.status_code}: {response.text[:500]}")
    time.sleep(0.3)

    results = {"code": label, "imported_from": source, "worker_pid": worker,
               "baseline_vmrss_kib": proc_status_kib(worker, "VmRSS"), "photos": []}
    for name, data, content_type in photos():
        time.sleep(0.3)
        hwm_reset = reset_peak_rss(worker)
        before = proc_status_kib(worker, "VmRSS")
        with RssSampler(worker, interval=0.005) as sampler:
            started = time.perf_counter()
            response = upload(data, content_type)
            elapsed = time.perf_counter() - started
            if response.status_code == 201:
                # Where the thumbnail is made on first request, that is where the photo
                # is decoded: asked for within the same measurement.
                thumbnail = session.get(f"{api.url}/api/v1/evidence/{response.json()['id']}/thumbnail",
                                        timeout=HTTP_TIMEOUT)
                if thumbnail.status_code >= 500:
                    raise BenchmarkFailed(f"{name}: thumbnail: HTTP {thumbnail.status_code}")
        peak = peak_rss_kib(worker)
        try:
            body = response.json()
        except ValueError:
            body = {"text": response.text[:300]}
        results["photos"].append({
            "photo": name, "bytes": len(data), "status": response.status_code,
            "type": body.get("type"), "detail": body.get("detail"), "seconds": round(elapsed, 3),
            "vmrss_before_kib": before, "vmhwm_after_kib": peak, "vmhwm_reset": hwm_reset,
            "rise_kib": peak - before, "sampled_peak_kib": sampler.peak,
        })
        if response.status_code >= 500:
            raise BenchmarkFailed(f"{name}: HTTP {response.status_code}: {response.text[:500]}")
    return results


def mib(kib: int) -> str:
    return f"{kib / 1024:.1f}"


def report(results: dict) -> None:
    print(f"code under test: {results['code']} (inspect_api imported from {results['imported_from']})")
    print(f"one gunicorn sync worker (pid {results['worker_pid']}); VmRSS after warm-up "
          f"{mib(results['baseline_vmrss_kib'])} MiB")
    print(f"{'photo':36} {'bytes':>10} {'HTTP':>5} {'VmRSS before':>13} {'VmHWM after':>12} {'rise':>8}  answer")
    for row in results["photos"]:
        answer = "stored" if row["status"] in (200, 201) else (row["type"] or "")
        reset = "" if row["vmhwm_reset"] else " (VmHWM not reset: counts from start)"
        print(f"{row['photo']:36} {row['bytes']:>10,} {row['status']:>5} {mib(row['vmrss_before_kib']):>9} MiB "
              f"{mib(row['vmhwm_after_kib']):>8} MiB {mib(row['rise_kib']):>4} MiB  {answer}{reset}")
    for row in results["photos"]:
        if row["status"] == 422:
            print(f"  {row['photo']}: {row['detail']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rev", help="measure the code at this git revision (default: the working tree)")
    parser.add_argument("--json", action="store_true", help="also print the raw results as JSON")
    args = parser.parse_args()

    def terminated(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminated)
    try:
        with contextlib.ExitStack() as stack:
            results = run(args.rev, stack)
    except BenchmarkFailed as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(results, indent=2))
    report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
