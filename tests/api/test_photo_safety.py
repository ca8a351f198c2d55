"""Photos that cannot hurt the server or the reader (issue 7, item 6), over HTTP against
both object stores.

- Memory: what decoding will cost is computed from the header, and a photo over
  EVIDENCE_MAX_DECODE_BYTES is refused before any pixel is decoded (422, nothing stored),
  while phone JPEGs of any megapixel count go through (draft mode).
- EXIF capture dates at the ends of the calendar, and broken offsets, never give 500.
- A JPEG+HTML polyglot is served as the image/jpeg Pillow verified, with nosniff, a
  sandboxing Content-Security-Policy and an inline Content-Disposition, by the API (local
  store) and by the object store through the presigned URL (S3).

The worker's peak memory on the 7000×7000 PNG is measured by
benchmarks/bench_photo_memory.py, not here.
"""

from __future__ import annotations

import hashlib
import io
import struct
import zlib
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from PIL import Image
from werkzeug.http import parse_options_header

from tests.api.evidence_support import Env, assert_problem
from tests.conftest import new_id
from tests.photos import phone_photo

MIB = 1024 * 1024
TAKEN_UTC = "2026-11-20T01:15:42+00:00"  # 08:15:42 in Vietnam


@pytest.fixture
def ev(store_app, demo, request):
    env = Env.for_app(store_app, demo, request)
    yield env
    env.close()


def _png(mode: str, size: tuple[int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, 0).save(buffer, "PNG")
    return buffer.getvalue()


def _jpeg(size: tuple[int, int], **options) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(buffer, "JPEG", quality=85, **options)
    return buffer.getvalue()


def _webp(size: tuple[int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(buffer, "WEBP", quality=80)
    return buffer.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header says width×height RGBA and whose pixel data is garbage: decoding
    it would fail, so a refusal that names the memory budget was decided from the header."""
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", b"not zlib data") + _chunk(b"IEND", b"")


def _webp_header_only(width: int, height: int) -> bytes:
    """A WebP (VP8X) whose canvas is width×height and which holds no image at all."""
    vp8x = bytes([0, 0, 0, 0]) + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    body = b"WEBP" + b"VP8X" + struct.pack("<I", len(vp8x)) + vp8x + b"ALPH" + struct.pack("<I", 4) + b"junk"
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _assert_too_large(response, limit_mib: str) -> dict:
    body = assert_problem(response, 422)
    assert body["type"] == "/problems/image-too-large", body
    assert f"{limit_mib} MiB" in body["detail"] and "EVIDENCE_MAX_DECODE_BYTES" in body["detail"], body
    assert body["errors"]["body"] == [body["detail"]]
    return body


# --- memory bounded by the decoded size ------------------------------------------------

def test_a_photo_too_costly_to_decode_is_refused_before_decoding_and_nothing_is_stored(ev):
    """The default budget (64 MiB) against the photos of the issue and their variations."""
    assert ev.app.config["EVIDENCE_MAX_DECODE_BYTES"] == 64 * MIB
    visit_id, finding_id = ev.visit_with_finding()
    rgba_7000 = _png("RGBA", (7000, 7000))
    assert len(rgba_7000) < 256 * 1024  # the 190 KiB PNG that took a worker to 505 MiB
    too_costly = {
        "png-7000x7000-rgba": (rgba_7000, "image/png"),
        "png-5000x5000-rgb": (_png("RGB", (5000, 5000)), "image/png"),
        # Progressive JPEGs keep every DCT coefficient whatever the draft scale.
        "jpeg-5000x5000-progressive": (_jpeg((5000, 5000), progressive=True), "image/jpeg"),
        "webp-2100x2100": (_webp((2100, 2100)), "image/webp"),
        # Decided from the header alone: the pixel data of these cannot even be decoded.
        "png-header-only": (_png_header_only(7000, 7000), "image/png"),
        "webp-header-only": (_webp_header_only(16000, 3000), "image/webp"),
        # A WebP is measured before Pillow opens it, whatever type the client declared.
        "webp-declared-png": (_webp_header_only(5000, 5000), "image/png"),
    }
    evidence_id = new_id()
    for case, (data, content_type) in too_costly.items():
        response = ev.upload(visit_id, evidence_id, data, finding_id, content_type=content_type)
        body = _assert_too_large(response, "64")
        assert ev.row_count() == 0 and ev.objects() == [], case
        assert_problem(ev.client.get(f"/api/v1/evidence/{evidence_id}", headers=ev.headers()), 404)
        assert "MiB" in body["detail"], case

    # Still accepted at the same budget: a phone's 48 MP baseline JPEG (decoded at 1/8),
    # and PNGs whose decoded size fits.
    accepted = [((8000, 6000), _jpeg((8000, 6000)), "image/jpeg"),
                ((3000, 2000), _png("RGBA", (3000, 2000)), "image/png"),
                ((7000, 7000), _png("L", (7000, 7000)), "image/png")]
    for size, data, content_type in accepted:
        response = ev.upload(visit_id, new_id(), data, finding_id, content_type=content_type)
        assert response.status_code == 201, (size, response.get_json())
        assert (response.get_json()["width"], response.get_json()["height"]) == size
    # The originals; each thumbnail is made on first request.
    assert ev.row_count() == len(accepted) and len(ev.objects()) == len(accepted)


def test_the_budget_is_a_setting_and_counts_what_each_decoder_holds(env_factory):
    # An RGB PNG decodes to 4 bytes a pixel in Pillow (RGB is stored in 32 bits): at
    # exactly its cost it goes through, one byte under it is refused.
    png = _png("RGB", (400, 300))
    exact = 400 * 300 * 4
    at_limit = env_factory(EVIDENCE_MAX_DECODE_BYTES=exact)
    visit_id, finding_id = at_limit.visit_with_finding()
    assert at_limit.upload(visit_id, new_id(), png, finding_id, content_type="image/png").status_code == 201
    # With transparency Pillow resizes through a premultiplied copy: twice as much.
    rgba = _png("RGBA", (400, 300))
    _assert_too_large(at_limit.upload(visit_id, new_id(), rgba, finding_id, content_type="image/png"), "0,5")

    under = env_factory(EVIDENCE_MAX_DECODE_BYTES=exact - 1)
    visit_id, finding_id = under.visit_with_finding()
    _assert_too_large(under.upload(visit_id, new_id(), png, finding_id, content_type="image/png"), "0,5")
    assert under.row_count() == 1 and under.objects() == []  # only at_limit's photo

    # Draft mode: with 4 MiB a 24 MP baseline JPEG passes (decoded at 1/8), the same
    # pixels as a progressive JPEG do not (about 3 bytes a pixel of coefficients).
    small = env_factory(EVIDENCE_MAX_DECODE_BYTES=4 * MIB)
    visit_id, finding_id = small.visit_with_finding()
    baseline = small.upload(visit_id, new_id(), _jpeg((6000, 4000)), finding_id)
    assert baseline.status_code == 201, baseline.get_json()
    _assert_too_large(small.upload(visit_id, new_id(), _jpeg((6000, 4000), progressive=True), finding_id), "4,0")


def test_the_pixel_limit_is_refused_with_its_own_type(env_factory):
    env = env_factory(EVIDENCE_MAX_PIXELS=1_000_000)
    visit_id, finding_id = env.visit_with_finding()
    for data, content_type in ((_jpeg((1001, 1000)), "image/jpeg"), (_webp_header_only(2000, 2000), "image/webp")):
        body = assert_problem(env.upload(visit_id, new_id(), data, finding_id, content_type=content_type), 422)
        assert body["type"] == "/problems/image-too-large"
        assert "1.000.000" in body["detail"] and "EVIDENCE_MAX_PIXELS" in body["detail"]
    assert env.upload(visit_id, new_id(), _jpeg((1000, 1000)), finding_id).status_code == 201


def test_an_ultra_hdr_phone_jpeg_with_a_multi_picture_index_is_a_jpeg(ev):
    """Phones store the gain map of an Ultra HDR photo as a second picture (MPF); Pillow
    calls the file MPO. It is a JPEG, served and stored as one."""
    buffer = io.BytesIO()
    Image.new("RGB", (4000, 3000), (200, 120, 40)).save(
        buffer, "MPO", save_all=True, append_images=[Image.new("L", (1000, 750), 90)])
    data = buffer.getvalue()
    with Image.open(io.BytesIO(data)) as img:
        assert img.format == "MPO"
    visit_id, finding_id = ev.visit_with_finding()
    evidence_id = new_id()
    response = ev.upload(visit_id, evidence_id, data, finding_id)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["content_type"] == "image/jpeg"
    assert ev.download(evidence_id, "content") == (data, "image/jpeg")


# --- EXIF dates at the ends of the calendar ---------------------------------------------

EXIF_DATES = [
    # (DateTimeOriginal, OffsetTimeOriginal, taken_at kept)
    ("0001:01:01 00:00:00", "+07:00", None),       # overflows when shifted to UTC
    ("0001:01:01 00:00:00", None, None),           # assumed +07:00: overflows too
    ("0001:01:01 00:00:00", "-05:00", None),       # representable, but no camera then
    ("0001:01:01 00:00:00", "+00:00", None),
    ("9999:12:31 23:59:59", "-05:00", None),       # overflows
    ("9999:12:31 23:59:59", "+07:00", None),       # would overflow when shown east of UTC
    ("9999:12:31 23:59:59", None, None),
    ("9999:12:31 23:59:59", "+99:99", None),
    ("1899:12:31 23:59:59", "+00:00", None),
    ("1900:01:01 00:00:00", "+00:00", "1900-01-01T00:00:00+00:00"),
    ("9998:12:31 23:59:59", "+00:00", "9998-12-31T23:59:59+00:00"),
    ("0000:00:00 00:00:00", "+07:00", None),
    ("    :  :     :  :  ", None, None),           # what the EXIF standard writes for "unknown"
    ("2026:13:45 25:61:00", "+07:00", None),
    # Offsets no place uses, or not offsets at all: the phone's local (Vietnam) time.
    ("2026:11:20 08:15:42", "+99:99", TAKEN_UTC),
    ("2026:11:20 08:15:42", "+24:00", TAKEN_UTC),
    ("2026:11:20 08:15:42", "-23:59", TAKEN_UTC),
    ("2026:11:20 08:15:42", "+14:30", TAKEN_UTC),
    ("2026:11:20 08:15:42", "abc", TAKEN_UTC),
    ("2026:11:20 08:15:42", "\x00\x00\x00", TAKEN_UTC),
    # The ends of the offsets in use are honoured.
    ("2026:11:20 08:15:42", "+14:00", "2026-11-19T18:15:42+00:00"),
    ("2026:11:20 08:15:42", "-12:00", "2026-11-20T20:15:42+00:00"),
]


def test_exif_dates_at_the_ends_of_the_calendar_never_give_500(ev):
    visit_id, finding_id = ev.visit_with_finding()
    uploaded = {}
    for taken, offset, expected in EXIF_DATES:
        evidence_id = new_id()
        response = ev.upload(visit_id, evidence_id, phone_photo(320, 240, taken=taken, offset=offset), finding_id)
        assert response.status_code == 201, (taken, offset, response.get_data(as_text=True)[:300])
        assert response.get_json()["taken_at"] == expected, (taken, offset)
        uploaded[evidence_id] = expected
    # Read back through every way the tablet and the reviewer see them.
    for evidence_id, expected in uploaded.items():
        meta = ev.client.get(f"/api/v1/evidence/{evidence_id}", headers=ev.headers("reviewer1"))
        assert meta.status_code == 200 and meta.get_json()["taken_at"] == expected
    detail = ev.client.get(f"/api/v1/visits/{visit_id}", headers=ev.headers())
    assert detail.status_code == 200, detail.get_data(as_text=True)[:300]
    listed = {e["id"]: e["taken_at"] for f in detail.get_json()["findings"] for e in f["evidence"]}
    assert listed == uploaded


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
def test_unreadable_exif_loses_the_metadata_not_the_photo(ev):
    """EXIF is optional: a damaged block costs the capture time and position only."""
    visit_id, finding_id = ev.visit_with_finding()
    photo = phone_photo(640, 480)
    start = photo.index(b"Exif\x00\x00")
    damaged = photo[:start + 6] + b"MM\x00\x2a\xff\xff\xff\xf0" + photo[start + 14:]  # IFD offset past the end
    response = ev.upload(visit_id, new_id(), damaged, finding_id)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["taken_at"] is None and response.get_json()["gps"] is None


# --- serving: the type Pillow verified, sandboxed ---------------------------------------

HTML = b"<html><body><script>document.title='pwned'</script><h1>polyglot</h1></body></html>"


def _polyglot() -> bytes:
    data = phone_photo(640, 480) + HTML
    with Image.open(io.BytesIO(data)) as img:
        img.load()
        assert img.format == "JPEG"  # Pillow reads it as the JPEG it begins with
    return data


def _assert_served_safely(headers, filename: str, media_type: str, from_store: bool) -> None:
    assert headers["Content-Type"] == media_type, headers
    assert parse_options_header(headers["Content-Disposition"]) == ("inline", {"filename": filename}), headers
    if from_store:
        return  # S3 and MinIO take only the response-content-* overrides from a URL
    assert headers["X-Content-Type-Options"] == "nosniff"
    policy = headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "sandbox" in policy, policy


def test_a_jpeg_html_polyglot_is_served_as_a_sandboxed_jpeg(ev):
    visit_id, finding_id = ev.visit_with_finding()
    data = _polyglot()
    evidence_id = new_id()
    response = ev.upload(visit_id, evidence_id, data, finding_id)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["content_type"] == "image/jpeg"
    assert ev.row(evidence_id).content_type == "image/jpeg"
    # The bytes are kept as sent: the SHA-256 is of what the tablet took.
    assert response.get_json()["sha256"] == hashlib.sha256(data).hexdigest()

    for which, filename, expected in (("content", f"{evidence_id}.jpg", data),
                                      ("thumbnail", f"{evidence_id}-thumbnail.jpg", None)):
        response = ev.client.get(f"/api/v1/evidence/{evidence_id}/{which}", headers=ev.headers("reviewer1"))
        if ev.kind == "minio":
            assert response.status_code == 302
            query = parse_qs(urlsplit(response.headers["Location"]).query)
            assert query["response-content-type"] == ["image/jpeg"]
            assert query["response-content-disposition"] == [f'inline; filename="{filename}"']
            fetched = requests.get(response.headers["Location"], timeout=10)
            assert fetched.status_code == 200
            _assert_served_safely(fetched.headers, filename, "image/jpeg", from_store=True)
            body = fetched.content
        else:
            assert response.status_code == 200
            _assert_served_safely(response.headers, filename, "image/jpeg", from_store=False)
            body = response.data
        if expected is not None:
            assert body == expected
        else:
            assert HTML not in body and body.startswith(b"\xff\xd8")
        # The redirect or the bytes: never cached, never sniffed.
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "no-store"

    # Declared as something else, the same bytes are refused (the type is what Pillow found).
    for declared in ("image/png", "image/webp"):
        assert_problem(ev.upload(visit_id, new_id(), data, finding_id, content_type=declared), 422)


def test_the_stored_type_is_the_verified_one_in_the_store_too(ev):
    """The object store keeps the type Pillow found, and serves that one, whatever the
    client's header looked like."""
    visit_id, finding_id = ev.visit_with_finding()
    png = phone_photo(400, 300, fmt="PNG")
    evidence_id = new_id()
    response = ev.upload(visit_id, evidence_id, png, finding_id, content_type="Image/PNG; name=\"x.html\"")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["content_type"] == "image/png"
    assert ev.download(evidence_id, "content") == (png, "image/png")
    row = ev.row(evidence_id)
    if ev.kind == "minio":
        assert ev.s3.client().stat_object(ev.bucket, row.object_key).content_type == "image/png"
        response = ev.client.get(f"/api/v1/evidence/{evidence_id}/content", headers=ev.headers())
        headers = requests.get(response.headers["Location"], timeout=10).headers
    else:
        headers = ev.client.get(f"/api/v1/evidence/{evidence_id}/content", headers=ev.headers()).headers
    assert parse_options_header(headers["Content-Disposition"]) == ("inline", {"filename": f"{evidence_id}.png"})


def test_every_response_says_nosniff(client, demo, login):
    responses = [
        client.get("/healthz"),
        client.get("/api/v1/auth/me", headers=login("inspector1")),
        client.get("/api/v1/auth/me"),                         # 401 problem+json
        client.get("/api/v1/no-such-thing"),                   # 404
        client.post("/api/v1/auth/login", data="x", content_type="text/plain"),  # 415
        client.get("/api/v1/openapi.json"),
    ]
    for response in responses:
        assert response.headers.get("X-Content-Type-Options") == "nosniff", (response.status_code, response.headers)
