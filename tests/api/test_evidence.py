"""Photo evidence (issue 3) over HTTP, against both object stores: the local directory
and the real `minio` client talking to moto's S3 server on 127.0.0.1.

Upload, EXIF, thumbnail, retry-safety, every way a body can be refused, bodies cut off
on the way, downloads, authorisation, the visit rules and `flask storage reconcile`.
Store and database failures are in test_evidence_faults.py.

Each test checks the store itself (the bucket listed with a separate minio client, or
the files under the directory) and the rows, not only the HTTP answers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from PIL import Image

from inspect_api.evidence.service import SPOOL_IN_MEMORY
from tests.api.evidence_support import Env, assert_problem, photo_headers
from tests.conftest import new_id
from tests.photos import phone_photo

PHOTO = phone_photo()
SMALL = phone_photo(320, 240)
TAKEN_UTC = "2026-11-20T01:15:42+00:00"  # 08:15:42 in Vietnam


@pytest.fixture
def ev(store_app, demo, request):
    env = Env.for_app(store_app, demo, request)
    yield env
    env.close()


def _thumbnail_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as img:
        assert img.format == "JPEG"
        return img.size


# --- upload: the record, EXIF, formats, thumbnail ----------------------------------

def test_upload_returns_the_full_record(ev, demo):
    visit_id, finding_id = ev.visit_with_finding()
    evidence_id = new_id()
    before = dt.datetime.now(dt.UTC)
    response = ev.upload(visit_id, evidence_id, PHOTO, finding_id)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["id"] == evidence_id
    assert body["finding_id"] == finding_id
    assert body["visit_id"] == visit_id
    assert body["sha256"] == hashlib.sha256(PHOTO).hexdigest()
    assert body["size"] == len(PHOTO)
    assert body["content_type"] == "image/jpeg"
    assert (body["width"], body["height"]) == (1600, 1200)
    assert body["taken_at"] == TAKEN_UTC
    assert body["gps"]["lat"] == pytest.approx(21.8233, abs=1e-5)
    assert body["gps"]["lon"] == pytest.approx(105.2140, abs=1e-5)
    assert body["uploaded_by"] == demo.users["inspector1"]
    uploaded_at = dt.datetime.fromisoformat(body["uploaded_at"])
    assert uploaded_at.utcoffset() == dt.timedelta(0)
    assert before - dt.timedelta(seconds=5) <= uploaded_at <= dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)
    assert body["content_url"] == f"/api/v1/evidence/{evidence_id}/content"
    assert body["thumbnail_url"] == f"/api/v1/evidence/{evidence_id}/thumbnail"
    # The answer is the row as written, not read back: reading it gives the same bytes.
    again = ev.client.get(f"/api/v1/evidence/{evidence_id}", headers=ev.headers())
    assert again.status_code == 200 and again.data == response.data
    # The original is stored, under the visit and the id; the thumbnail is made and kept
    # when first asked for (decoding is the dearest part of an upload).
    row = ev.row(evidence_id)
    assert ev.objects() == [row.object_key]
    thumb, media_type = ev.download(evidence_id, "thumbnail")
    assert media_type == "image/jpeg" and _thumbnail_size(thumb) == (320, 240)
    assert ev.objects() == sorted([row.object_key, row.thumbnail_key])
    assert ev.download(evidence_id, "thumbnail") == (thumb, "image/jpeg")
    assert row.object_key.startswith(f"evidence/{visit_id}/{evidence_id}/")
    assert ev.object_sha(row.object_key) == body["sha256"]
    assert ev.row_count() == 1

    # GET /visits/{id} lists each finding's photos, in upload order, for whoever sees the visit.
    second = ev.upload(visit_id, new_id(), SMALL, finding_id).get_json()
    other_finding = ev.add_finding(visit_id, "FAC-01", "fail")
    no_photo_finding = ev.add_finding(visit_id, "FAC-02", "pass")
    third = ev.upload(visit_id, new_id(), phone_photo(400, 300), other_finding).get_json()
    for username in ("inspector1", "reviewer1"):
        detail = ev.client.get(f"/api/v1/visits/{visit_id}", headers=ev.headers(username))
        assert detail.status_code == 200
        listed = {f["id"]: f["evidence"] for f in detail.get_json()["findings"]}
        assert listed == {finding_id: [body, second], other_finding: [third], no_photo_finding: []}


def test_exif_capture_time_and_position(ev):
    """OffsetTimeOriginal is honoured; a phone that wrote no offset is on Vietnam time;
    a photo without EXIF has neither time nor position."""
    visit_id, finding_id = ev.visit_with_finding()
    cases = [
        (dict(offset="+07:00"), TAKEN_UTC),
        (dict(offset="-03:00"), "2026-11-20T11:15:42+00:00"),
        (dict(offset="+09:00"), "2026-11-19T23:15:42+00:00"),   # across midnight
        (dict(offset=None), TAKEN_UTC),                          # assumed +07:00
        (dict(taken=None, lat=None, lon=None), None),
    ]
    for exif, expected in cases:
        response = ev.upload(visit_id, new_id(), phone_photo(480, 360, **exif), finding_id)
        assert response.status_code == 201, response.get_json()
        body = response.get_json()
        assert body["taken_at"] == expected, exif
        if "lat" in exif:
            assert body["gps"] is None
        else:
            assert body["gps"] == pytest.approx({"lat": 21.8233, "lon": 105.2140}, abs=1e-5)
    south_west = ev.upload(visit_id, new_id(), phone_photo(480, 360, lat=-33.4489, lon=-70.6693), finding_id)
    assert south_west.get_json()["gps"] == pytest.approx({"lat": -33.4489, "lon": -70.6693}, abs=1e-5)


def test_png_and_webp_are_accepted_and_thumbnails_are_320_and_upright(ev):
    visit_id, finding_id = ev.visit_with_finding()
    for fmt, content_type in (("PNG", "image/png"), ("WEBP", "image/webp")):
        data = phone_photo(800, 600, fmt=fmt)
        evidence_id = new_id()
        response = ev.upload(visit_id, evidence_id, data, finding_id, content_type=content_type)
        assert response.status_code == 201, response.get_json()
        body = response.get_json()
        assert body["content_type"] == content_type
        assert (body["width"], body["height"]) == (800, 600)
        assert body["taken_at"] == TAKEN_UTC
        assert body["sha256"] == hashlib.sha256(data).hexdigest()
        assert ev.download(evidence_id, "content") == (data, content_type)
        thumb, media_type = ev.download(evidence_id, "thumbnail")
        assert media_type == "image/jpeg" and _thumbnail_size(thumb) == (320, 240)
    # Parameters and case in the media type do not matter.
    response = ev.upload(visit_id, new_id(), SMALL, finding_id, content_type="IMAGE/JPEG; charset=binary")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["content_type"] == "image/jpeg"

    # Thumbnails: longest side 320, turned upright as EXIF says, never enlarged.
    cases = [
        ((1600, 1200), None, (320, 240)),
        ((1600, 1200), 6, (240, 320)),   # tablet held upright: EXIF says rotate 90°
        ((1600, 1200), 8, (240, 320)),
        ((900, 1600), None, (180, 320)),
        ((200, 100), None, (200, 100)),  # small photos are not blown up
    ]
    for size, orientation, expected in cases:
        evidence_id = new_id()
        response = ev.upload(visit_id, evidence_id, phone_photo(*size, orientation=orientation), finding_id)
        assert response.status_code == 201, response.get_json()
        assert (response.get_json()["width"], response.get_json()["height"]) == size
        thumb, media_type = ev.download(evidence_id, "thumbnail")
        assert media_type == "image/jpeg"
        assert _thumbnail_size(thumb) == expected, (size, orientation)


# --- retry-safety -------------------------------------------------------------------

def test_replay_returns_the_same_record_and_other_bytes_are_a_conflict(ev):
    visit_id, finding_id = ev.visit_with_finding()
    evidence_id = new_id()
    first = ev.upload(visit_id, evidence_id, PHOTO, finding_id)
    assert first.status_code == 201, first.get_json()
    objects = ev.objects()
    assert len(objects) == 1  # the original; the thumbnail is made on first request
    for headers in ({}, {"X-Finding-ID": finding_id}):
        again = ev.upload(visit_id, evidence_id, PHOTO, None if headers else finding_id, extra_headers=headers)
        assert again.status_code == 200, again.get_json()
        assert again.get_json() == first.get_json()
    assert ev.objects() == objects
    assert ev.row_count() == 1

    # Other bytes under the same id: 409 with the server's copy; the original stays.
    conflict = ev.upload(visit_id, evidence_id, SMALL, finding_id)
    assert_problem(conflict, 409)
    assert conflict.get_json()["current"]["sha256"] == hashlib.sha256(PHOTO).hexdigest()
    # The same id on another visit of the team is a conflict too.
    other_visit, other_finding = ev.visit_with_finding()
    assert_problem(ev.upload(other_visit, evidence_id, PHOTO, other_finding), 409)
    assert ev.objects() == objects and ev.row_count() == 1
    meta = ev.client.get(f"/api/v1/evidence/{evidence_id}", headers=ev.headers())
    assert meta.get_json() == first.get_json()
    assert ev.download(evidence_id, "content") == (PHOTO, "image/jpeg")


# --- refusals -----------------------------------------------------------------------

def _gif() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 20, 30)).save(buffer, "GIF")
    return buffer.getvalue()


def _bomb(side: int) -> bytes:
    """A PNG of side×side pixels that is a few KB compressed."""
    buffer = io.BytesIO()
    Image.new("1", (side, side), 0).save(buffer, "PNG")
    return buffer.getvalue()


BAD_BODIES = {
    "text": (b"this is not a photo, just some text " * 50, "image/jpeg"),
    "jpeg-declared-png": (PHOTO, "image/png"),
    "png-declared-jpeg": (phone_photo(320, 240, fmt="PNG"), "image/jpeg"),
    "gif-declared-webp": (_gif(), "image/webp"),
    "truncated-jpeg": (PHOTO[: len(PHOTO) // 2], "image/jpeg"),
    "truncated-png": (phone_photo(800, 600, fmt="PNG", noise=True)[:20000], "image/png"),
    "jpeg-headers-only": (PHOTO[:600], "image/jpeg"),
    "empty": (b"", "image/jpeg"),
    # Over EVIDENCE_MAX_PIXELS (50 M) but under Pillow's own bomb limit ...
    "bomb-12000x12000": (_bomb(12000), "image/png"),
    # ... and over that too (Pillow refuses to open it).
    "bomb-15000x15000": (_bomb(15000), "image/png"),
}


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_a_damaged_body_or_not_an_image_of_its_type_is_422_and_nothing_is_stored(ev):
    visit_id, finding_id = ev.visit_with_finding()
    evidence_id = new_id()
    for case, (data, content_type) in BAD_BODIES.items():
        if case.startswith("bomb"):
            assert len(data) < 100_000
        response = ev.upload(visit_id, evidence_id, data, finding_id, content_type=content_type)
        assert response.status_code == 422, (case, response.get_json())
        assert_problem(response, 422)
        assert response.get_json()["errors"], case
        assert ev.objects() == [] and ev.row_count() == 0, case

    # X-Content-SHA256 that does not match what arrived.
    response = ev.upload(visit_id, evidence_id, PHOTO, finding_id, sha="0" * 64)
    assert_problem(response, 422)
    assert "X-Content-SHA256" in response.get_json()["errors"]["headers"]
    # The hash of the whole photo, but the last block was lost on the way.
    response = ev.upload(visit_id, evidence_id, PHOTO[:-100], finding_id, sha=hashlib.sha256(PHOTO).hexdigest())
    assert_problem(response, 422)
    assert ev.objects() == [] and ev.row_count() == 0

    # The id stays free: the good photo under it goes through (upper-case hex is the same hash).
    ok = ev.upload(visit_id, evidence_id, PHOTO, finding_id, sha=hashlib.sha256(PHOTO).hexdigest().upper())
    assert ok.status_code == 201, ok.get_json()


def test_content_type_and_finding_are_checked_finding_id_may_be_a_header(ev):
    visit_id, finding_id = ev.visit_with_finding()
    _, other_visits_finding = ev.visit_with_finding()
    missing = ev.upload(visit_id, new_id(), PHOTO, None)
    assert_problem(missing, 422)
    assert "finding_id" in missing.get_json()["errors"]["query"]
    bad_query = ev.client.put(f"/api/v1/visits/{visit_id}/evidence/{new_id()}?finding_id=nope",
                              data=PHOTO, headers=photo_headers(ev.headers(), PHOTO))
    assert_problem(bad_query, 422)
    assert_problem(ev.upload(visit_id, new_id(), PHOTO, None, extra_headers={"X-Finding-ID": "nope"}), 422)
    for wrong in (other_visits_finding, new_id()):
        response = ev.upload(visit_id, new_id(), PHOTO, wrong)
        assert_problem(response, 422)
        assert "finding_id" in response.get_json()["errors"]["query"]
    assert_problem(ev.upload(new_id(), new_id(), PHOTO, finding_id), 404)  # unknown visit
    # Only JPEG, PNG and WebP (as octet-stream, read from the bytes: test_client_contract.py).
    for data, content_type in ((_gif(), "image/gif"), (b'{"photo": 1}', "application/json"),
                               (PHOTO, "text/plain"), (_gif(), "application/octet-stream"), (PHOTO, None)):
        assert_problem(ev.upload(visit_id, new_id(), data, finding_id, content_type=content_type), 415)
    assert ev.objects() == [] and ev.row_count() == 0

    evidence_id = new_id()
    via_header = ev.upload(visit_id, evidence_id, PHOTO, None, extra_headers={"X-Finding-ID": finding_id})
    assert via_header.status_code == 201, via_header.get_json()
    assert via_header.get_json()["finding_id"] == finding_id


# --- size limit ---------------------------------------------------------------------

LIMIT = 60_000
BIG = phone_photo(640, 480, noise=True)


def test_oversized_body_is_413_with_content_length_or_streamed(env_factory):
    assert len(BIG) > 2 * LIMIT and len(SMALL) < LIMIT
    env = env_factory(EVIDENCE_MAX_BYTES=LIMIT)
    visit_id, finding_id = env.visit_with_finding()
    evidence_id = new_id()

    assert_problem(env.upload(visit_id, evidence_id, BIG, finding_id), 413)
    just_over = SMALL + b"\0" * (LIMIT + 1 - len(SMALL))
    assert_problem(env.upload(visit_id, evidence_id, just_over, finding_id), 413)

    # Chunked, with no Content-Length to refuse up front: the server stops reading
    # soon after the limit instead of swallowing the whole body.
    sent = []

    def chunks():
        for start in range(0, len(BIG), 8192):
            sent.append(start)
            yield BIG[start:start + 8192]

    assert_problem(env.upload_stream(visit_id, evidence_id, chunks(), finding_id), 413)
    assert len(sent) * 8192 < len(BIG)
    assert env.objects() == [] and env.row_count() == 0

    # Under the limit both ways is fine.
    assert env.upload(visit_id, evidence_id, SMALL, finding_id).status_code == 201
    streamed = env.upload_stream(visit_id, new_id(), iter([SMALL[:1000], SMALL[1000:]]), finding_id)
    assert streamed.status_code == 201, streamed.get_json()
    assert streamed.get_json()["size"] == len(SMALL)
    assert len(env.objects()) == 2  # the originals (thumbnails: on first request)


# --- bodies cut off on the way --------------------------------------------------------

def test_upload_cut_off_half_way_leaves_nothing_and_can_be_resent(ev):
    visit_id, finding_id = ev.visit_with_finding()
    evidence_id = new_id()
    url = f"/api/v1/visits/{visit_id}/evidence/{evidence_id}?finding_id={finding_id}"

    # Content-Length promises the whole photo; the connection ends after half.
    response = ev.client.put(url, headers=photo_headers(ev.headers(), PHOTO), environ_overrides={
        "wsgi.input": io.BytesIO(PHOTO[: len(PHOTO) // 2]), "CONTENT_LENGTH": str(len(PHOTO))})
    assert assert_problem(response, 400)["type"] == "/problems/upload-incomplete"
    assert ev.row_count() == 0 and ev.objects() == []

    # A chunked upload whose connection drops after the first chunk.
    def dropped():
        yield PHOTO[:40000]
        raise ConnectionResetError("the tablet lost its 3G signal")

    response = ev.upload_stream(visit_id, evidence_id, dropped(), finding_id)
    assert assert_problem(response, 400)["type"] == "/problems/upload-incomplete"
    assert ev.row_count() == 0 and ev.objects() == []
    assert_problem(ev.client.get(f"/api/v1/evidence/{evidence_id}", headers=ev.headers()), 404)

    # Sent again whole, it goes through.
    whole = ev.upload(visit_id, evidence_id, PHOTO, finding_id)
    assert whole.status_code == 201, whole.get_json()
    assert ev.download(evidence_id, "content") == (PHOTO, "image/jpeg")
    assert len(ev.objects()) == 1


# --- download and who may see what ---------------------------------------------------

def test_download_content_and_thumbnail(ev):
    visit_id, finding_id = ev.visit_with_finding()
    evidence_id = new_id()
    created = ev.upload(visit_id, evidence_id, PHOTO, finding_id).get_json()
    meta = ev.client.get(f"/api/v1/evidence/{evidence_id}", headers=ev.headers())
    assert meta.status_code == 200 and meta.get_json() == created
    row = ev.row(evidence_id)
    for which, key in (("content", row.object_key), ("thumbnail", row.thumbnail_key)):
        response = ev.client.get(f"/api/v1/evidence/{evidence_id}/{which}", headers=ev.headers())
        if ev.kind == "minio":
            assert response.status_code == 302
            location = urlsplit(response.headers["Location"])
            assert location.scheme == "http" and location.netloc == ev.s3.endpoint
            assert location.path == f"/{ev.bucket}/{key}"
            query = parse_qs(location.query)
            assert query["X-Amz-Expires"] == ["300"]
            assert query["X-Amz-Signature"]
            assert query["X-Amz-Credential"][0].startswith(ev.s3.access_key + "/")
            fetched = requests.get(response.headers["Location"], timeout=10)
            assert fetched.status_code == 200
            assert fetched.headers["Content-Type"] == "image/jpeg"
            data = fetched.content
        else:
            assert response.status_code == 200
            assert response.mimetype == "image/jpeg"
            data = response.data
        assert hashlib.sha256(data).hexdigest() == ev.object_sha(key)
        if which == "content":
            assert data == PHOTO
        else:
            assert _thumbnail_size(data) == (320, 240)

    # Unknown ids, and an object lost behind the app's back.
    for suffix in ("", "/content", "/thumbnail"):
        assert_problem(ev.client.get(f"/api/v1/evidence/{new_id()}{suffix}", headers=ev.headers()), 404)
    ev.remove_object(row.object_key)
    response = ev.client.get(f"/api/v1/evidence/{evidence_id}/content", headers=ev.headers())
    if ev.kind == "minio":
        # The URL is signed without a round trip to the store; the store then refuses it:
        # 404 on S3 and MinIO; moto answers 403 to a presigned GET of a missing key that
        # carries response-content-* overrides (it checks them as if it were an upload).
        assert response.status_code == 302
        assert requests.get(response.headers["Location"], timeout=10).status_code in {403, 404}
    else:
        assert_problem(response, 404)


def test_bucket_is_created_private(minio_app, demo, request):
    """No policy is put on the bucket the app creates (moto does not check signatures,
    so this checks what the app controls)."""
    from minio.error import S3Error

    env = Env.for_app(minio_app, demo, request)
    try:
        assert not env.s3.client().bucket_exists(env.bucket)
        visit_id, finding_id = env.visit_with_finding()
        assert env.upload(visit_id, new_id(), PHOTO, finding_id).status_code == 201
        assert env.s3.client().bucket_exists(env.bucket)
        with pytest.raises(S3Error) as excinfo:
            env.s3.client().get_bucket_policy(env.bucket)
        assert excinfo.value.code == "NoSuchBucketPolicy"
    finally:
        env.close()


def test_access_follows_the_visit(ev):
    visit_id, finding_id = ev.visit_with_finding()
    evidence_id = new_id()
    assert ev.upload(visit_id, evidence_id, PHOTO, finding_id).status_code == 201
    ev.download(evidence_id, "thumbnail")  # made on first request: both objects now
    objects = ev.objects()
    paths = [f"/api/v1/evidence/{evidence_id}{suffix}" for suffix in ("", "/content", "/thumbnail")]
    delete_path = f"/api/v1/visits/{visit_id}/evidence/{evidence_id}"

    # Another team's inspector: the photo and the visit do not exist for them.
    for path in paths:
        assert_problem(ev.client.get(path, headers=ev.headers("inspector2")), 404)
    assert_problem(ev.upload(visit_id, new_id(), SMALL, finding_id, username="inspector2"), 404)
    assert_problem(ev.upload(visit_id, evidence_id, PHOTO, finding_id, username="inspector2"), 404)
    assert_problem(ev.client.delete(delete_path, headers=ev.headers("inspector2")), 404)

    # The reviewer reads, but neither adds nor removes.
    assert ev.client.get(paths[0], headers=ev.headers("reviewer1")).get_json()["id"] == evidence_id
    for path in paths[1:]:
        response = ev.client.get(path, headers=ev.headers("reviewer1"))
        assert response.status_code == (302 if ev.kind == "minio" else 200)
    assert ev.download(evidence_id, "content", username="reviewer1") == (PHOTO, "image/jpeg")
    assert_problem(ev.upload(visit_id, new_id(), SMALL, finding_id, username="reviewer1"), 403)
    assert_problem(ev.client.delete(delete_path, headers=ev.headers("reviewer1")), 403)

    # The leader sees nothing until the visit is approved.
    for path in paths:
        assert_problem(ev.client.get(path, headers=ev.headers("leader1")), 404)

    # Nobody anonymous.
    for path in paths:
        assert_problem(ev.client.get(path), 401)
    assert_problem(ev.client.put(f"/api/v1/visits/{visit_id}/evidence/{new_id()}?finding_id={finding_id}",
                                 data=SMALL, content_type="image/jpeg"), 401)

    assert ev.objects() == objects and ev.row_count() == 1


# --- rules of the visit --------------------------------------------------------------

def test_photo_required_blocks_submission_until_uploaded(ev, demo):
    visit_id = ev.new_visit()
    findings = ev.answer_all(visit_id, fail={"SEAT-02", "PUB-07"})
    seat = findings["SEAT-02"]
    blocked = ev.client.post(f"/api/v1/visits/{visit_id}/submit", headers=ev.headers())
    assert_problem(blocked, 422)
    body = blocked.get_json()
    assert body["missing"] == []
    # Only the photo=required criterion blocks; PUB-07 (photo optional) does not.
    assert [(m["finding_id"], m["code"], m["criterion_id"]) for m in body["missing_evidence"]] == [
        (seat, "SEAT-02", demo.criteria["SEAT-02"])]
    # A photo of another finding does not count.
    assert ev.upload(visit_id, new_id(), SMALL, findings["PUB-07"]).status_code == 201
    assert_problem(ev.client.post(f"/api/v1/visits/{visit_id}/submit", headers=ev.headers()), 422)

    evidence_id = new_id()
    assert ev.upload(visit_id, evidence_id, PHOTO, seat).status_code == 201
    submitted = ev.client.post(f"/api/v1/visits/{visit_id}/submit", headers=ev.headers())
    assert submitted.status_code == 200, submitted.get_json()
    assert submitted.get_json()["status"] == "submitted"

    # Submitted: no new photos and no removals, but a tablet's retry still gets its record.
    objects = ev.objects()
    assert_problem(ev.upload(visit_id, new_id(), phone_photo(400, 300), seat), 409)
    replay = ev.upload(visit_id, evidence_id, PHOTO, seat)
    assert replay.status_code == 200 and replay.get_json()["id"] == evidence_id
    removal = ev.client.delete(f"/api/v1/visits/{visit_id}/evidence/{evidence_id}", headers=ev.headers())
    assert_problem(removal, 409)
    assert ev.objects() == objects and ev.row_count() == 2
    assert ev.download(evidence_id, "content") == (PHOTO, "image/jpeg")


def test_delete_on_an_editable_visit_removes_row_and_objects(ev):
    visit_id, finding_id = ev.visit_with_finding()
    other_visit, _ = ev.visit_with_finding()
    keep, drop = new_id(), new_id()
    assert ev.upload(visit_id, keep, PHOTO, finding_id).status_code == 201
    assert ev.upload(visit_id, drop, SMALL, finding_id).status_code == 201
    for evidence_id in (keep, drop):
        ev.download(evidence_id, "thumbnail")  # made on first request
    kept_keys = {ev.row(keep).object_key, ev.row(keep).thumbnail_key}
    dropped_keys = {ev.row(drop).object_key, ev.row(drop).thumbnail_key}
    assert set(ev.objects()) == kept_keys | dropped_keys

    # Through another visit's URL it does not exist.
    assert_problem(ev.client.delete(f"/api/v1/visits/{other_visit}/evidence/{drop}", headers=ev.headers()), 404)
    assert ev.row_count() == 2

    response = ev.client.delete(f"/api/v1/visits/{visit_id}/evidence/{drop}", headers=ev.headers())
    assert response.status_code == 204, response.get_json()
    assert set(ev.objects()) == kept_keys
    assert ev.row_count() == 1
    for suffix in ("", "/content", "/thumbnail"):
        assert_problem(ev.client.get(f"/api/v1/evidence/{drop}{suffix}", headers=ev.headers()), 404)
    assert_problem(ev.client.delete(f"/api/v1/visits/{visit_id}/evidence/{drop}", headers=ev.headers()), 404)
    detail = ev.client.get(f"/api/v1/visits/{visit_id}", headers=ev.headers()).get_json()
    assert [e["id"] for f in detail["findings"] for e in f["evidence"]] == [keep]
    # The id may be used again after a deletion (a retake).
    assert ev.upload(visit_id, drop, phone_photo(400, 300), finding_id).status_code == 201
    assert len(ev.objects()) == 3


# --- readiness and reconcile ----------------------------------------------------------

def test_reconcile_lists_removes_orphans_and_reports_missing_objects(ev):
    ready = ev.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["checks"] == {"database": "ok", "object_store": "ok"}

    visit_id, finding_id = ev.visit_with_finding()
    evidence_id = new_id()
    assert ev.upload(visit_id, evidence_id, PHOTO, finding_id).status_code == 201
    row = ev.row(evidence_id)
    ev.download(evidence_id, "thumbnail")  # made on first request
    orphan = f"evidence/{visit_id}/{new_id()}/0123456789abcdef/original"
    ev.put_object(orphan, b"left behind by a crash")
    ev.put_object("exports/report.csv", b"a,b\n")  # not evidence: never touched
    runner = ev.app.test_cli_runner()

    # Young orphans may be uploads in flight: the default age skips them, even with --delete.
    result = runner.invoke(args=["storage", "reconcile", "--delete"])
    assert result.exit_code == 0, result.output
    assert "skipped 1 unreferenced" in result.output
    assert orphan in ev.objects()

    dry = runner.invoke(args=["storage", "reconcile", "--older-than", "0"])
    assert dry.exit_code == 0, dry.output
    assert "checked 3 objects and 1 evidence rows" in dry.output
    assert f"orphan: {orphan}" in dry.output
    assert row.object_key not in dry.output and row.thumbnail_key not in dry.output
    assert "MISSING" not in dry.output and "report.csv" not in dry.output
    assert orphan in ev.objects()

    removed = runner.invoke(args=["storage", "reconcile", "--delete", "--older-than", "0"])
    assert removed.exit_code == 0, removed.output
    assert f"removed: {orphan}" in removed.output
    assert ev.objects() == sorted(["exports/report.csv", row.object_key, row.thumbnail_key])

    # A thumbnail nobody asked for yet is only counted (it is made on first request) ...
    ev.remove_object(row.thumbnail_key)
    unmade = runner.invoke(args=["storage", "reconcile", "--delete", "--older-than", "0"])
    assert unmade.exit_code == 0, unmade.output
    assert "1 thumbnails not asked for yet" in unmade.output and "MISSING" not in unmade.output
    # ... but a row whose photo vanished is reported loudly (exit 1); nothing else is touched.
    ev.download(evidence_id, "thumbnail")
    ev.remove_object(row.object_key)
    lost = runner.invoke(args=["storage", "reconcile", "--delete", "--older-than", "0"])
    assert lost.exit_code == 1
    assert f"MISSING: evidence {evidence_id} refers to {row.object_key}" in lost.output
    assert f"refers to {row.thumbnail_key}" not in lost.output
    assert ev.objects() == sorted(["exports/report.csv", row.thumbnail_key])
    assert ev.row_count() == 1


def test_a_photo_whose_pixels_are_damaged_keeps_its_original_without_a_thumbnail(ev):
    """The upload checks the header and that the file is whole, not every pixel: a JPEG
    damaged inside its scan is stored, and its thumbnail, made on first request, cannot
    be. That answer is a 404 problem; the photo itself is never lost."""
    visit_id, finding_id = ev.visit_with_finding()
    evidence_id = new_id()
    scan = PHOTO.rindex(b"\xff\xda")
    # Entropy-coded bytes replaced by a marker no decoder accepts inside a scan, the end
    # marker kept: whole by its structure, undecodable.
    damaged = PHOTO[:scan + 200] + b"\xff\xc0" * 2000 + PHOTO[scan + 4200:]
    stored = ev.upload(visit_id, evidence_id, damaged, finding_id)
    assert stored.status_code == 201, stored.get_json()
    thumbnail = ev.client.get(f"/api/v1/evidence/{evidence_id}/thumbnail", headers=ev.headers())
    assert "ảnh gốc vẫn được lưu" in assert_problem(thumbnail, 404)["detail"]
    assert ev.download(evidence_id, "content") == (damaged, "image/jpeg")
    assert ev.objects() == [ev.row(evidence_id).object_key] and ev.row_count() == 1


def test_wholeness_is_read_from_the_structure_and_a_phones_trailer_is_allowed(ev):
    """Without decoding: a JPEG needs its end marker after the first scan (what a phone
    appends after it, a Samsung trailer or a motion clip, is fine), a WebP the bytes its
    RIFF header counts, a PNG its IEND chunk."""
    visit_id, finding_id = ev.visit_with_finding()
    with_trailer = PHOTO + b"SEFH" + bytes(range(256)) * 40 + b"SEFT"
    assert ev.upload(visit_id, new_id(), with_trailer, finding_id).status_code == 201
    webp = phone_photo(800, 600, fmt="WEBP", noise=True)
    png = phone_photo(800, 600, fmt="PNG", noise=True)
    for data, content_type in ((webp[:-100], "image/webp"), (png[:-12], "image/png"),
                               (PHOTO[:-2], "image/jpeg")):
        response = ev.upload(visit_id, new_id(), data, finding_id, content_type=content_type)
        assert "cắt cụt" in assert_problem(response, 422)["detail"], content_type
    assert ev.row_count() == 1


def test_a_photo_beyond_the_in_memory_copy_is_checked_from_a_temporary_file_alike(ev):
    """A body of a few MiB is copied to memory for its check, a larger one to a temporary
    file: the same photo with a motion clip appended goes the other way, with the same
    answers (stored whole; refused when its JPEG is cut)."""
    visit_id, finding_id = ev.visit_with_finding()
    clip = bytes(range(256)) * (SPOOL_IN_MEMORY // 256 + 1)
    evidence_id = new_id()
    response = ev.upload(visit_id, evidence_id, PHOTO + clip, finding_id)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["size"] == len(PHOTO + clip) > SPOOL_IN_MEMORY
    assert (body["width"], body["height"], body["taken_at"]) == (1600, 1200, TAKEN_UTC)
    assert ev.object_sha(ev.row(evidence_id).object_key) == hashlib.sha256(PHOTO + clip).hexdigest()
    cut = ev.upload(visit_id, new_id(), PHOTO[:-2] + clip, finding_id)
    assert "cắt cụt" in assert_problem(cut, 422)["detail"]
    assert ev.row_count() == 1 and len(ev.objects()) == 1
