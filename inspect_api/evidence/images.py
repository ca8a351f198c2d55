"""Checking an uploaded photo with Pillow, reading its EXIF, making its thumbnail.

An upload only checks (`check_image`): the header, the decode budget, that the file is
whole, and the EXIF, none of which decodes a pixel; the thumbnail is made when it is
first asked for (`make_thumbnail`, see evidence/service.py), since decoding even at 1/8
scale costs about what writing the whole photo to the store does.

Memory is bounded before anything is decoded. Decompressing is where an image costs: a
190 KiB PNG of 7000×7000 RGBA pixels unpacks to 196 MB, and Pillow's resize copies it once
more. So the header is read first, what decoding will hold at its peak is computed from it
(`decode_cost`), and a photo over the budget is refused before a single pixel is decoded.
JPEGs are asked for a reduced scale first (draft mode: libjpeg decodes at 1/2, 1/4 or 1/8),
so a phone's 12-50 MP photo costs a few MiB and is never near the budget.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import math
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError
from PIL.JpegImagePlugin import JpegImageFile

from ..timezone import VIETNAM_TZ

log = logging.getLogger(__name__)

FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
MEDIA_TYPES = {fmt: media for media, fmt in FORMATS.items()}
# Pillow calls a JPEG with a Multi-Picture (MPF) index "MPO": phones write one for the gain
# map of an Ultra HDR photo. Its first picture, the one everybody sees, is a plain JPEG.
_SAME_FORMAT = {"MPO": "JPEG"}
EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}
# How each format's files begin, for a photo sent as application/octet-stream.
_SIGNATURES = {"image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG\r\n\x1a\n", "image/webp": b"RIFF"}
THUMBNAIL_SIDE = 320
# Offsets in use on Earth run from -12:00 to +14:00; anything else is a broken camera.
_OFFSETS = (dt.timedelta(hours=-12), dt.timedelta(hours=14))
# A capture time is kept only inside these bounds (UTC). Before 1900 no camera wrote EXIF
# (year 1 is a reset or forged clock), and a time in the last day of year 9999 overflows as
# soon as anyone shows it in a time zone east of UTC.
_EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
_LATEST = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)
MIB = 1024 * 1024

# What libwebp and Pillow hold at once while a WebP is decoded, per pixel of its canvas
# (measured with ru_maxrss: 16.6 bytes per pixel for a 12 MP still image): libwebp's
# animation decoder keeps two RGBA canvases, its frame comes to Python as 4-byte pixels,
# and Pillow copies that into the image. Pillow decodes every WebP through that decoder.
WEBP_BYTES_PER_PIXEL = 16
# Bytes of a JPEG DCT block of 64 16-bit coefficients (libjpeg's JBLOCK).
_JPEG_BLOCK_BYTES = 128


class ImageRejected(ValueError):
    """Not an acceptable image; the message is Vietnamese, for the client."""


class ImageTooLarge(ImageRejected):
    """Refused before decoding: too many pixels, or too much memory to decode."""


@dataclass
class ImageFacts:
    media_type: str  # what Pillow found, never only what the client declared
    width: int
    height: int
    taken_at: dt.datetime | None
    gps_lat: float | None
    gps_lon: float | None


# Pillow's parsers raise all of these on damaged or hostile files.
_DAMAGED = (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, struct.error,
            IndexError, KeyError, TypeError, ZeroDivisionError)
_NOT_AN_IMAGE = "Tệp không phải ảnh hợp lệ hoặc bị cắt cụt."


def check_image(source: BinaryIO, content_type: str, max_pixels: int, max_decode_bytes: int) -> ImageFacts:
    """What an upload must know before it stores a photo, without decoding its pixels
    (a JPEG's full decode costs more than writing it to the store): the file is an image
    of the declared type whose header parses, it is whole (its end marker is there), its
    thumbnail can be made within `max_decode_bytes`; and its capture time and GPS, read
    from the EXIF. Raises ImageRejected (ImageTooLarge before anything is decoded)."""
    with _opened(source, content_type, max_pixels, max_decode_bytes) as (img, found, (width, height)):
        _check_whole(source, found)
        # After the budget check: a PNG whose EXIF is not ahead of its pixels is
        # decoded to find it.
        taken_at, lat, lon = _metadata(img)
    return ImageFacts(MEDIA_TYPES[found], width, height, taken_at, lat, lon)


def make_thumbnail(source: BinaryIO, content_type: str, max_pixels: int, max_decode_bytes: int) -> bytes:
    """The JPEG thumbnail (longest side 320 px, turned upright) of a photo check_image
    accepted; the budget is checked again before decoding. Raises ImageRejected when the
    pixels turn out damaged (check_image reads only the header and the end)."""
    with _opened(source, content_type, max_pixels, max_decode_bytes) as (img, _, _size):
        target = THUMBNAIL_SIDE * 2
        # Pillow's reduce() has no 16-bit modes; a plain resize handles them.
        img.thumbnail((target, target), reducing_gap=None if img.mode.startswith("I;16") else 2.0)
        oriented = _upright(img)
        oriented.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
        buffer = io.BytesIO()
        oriented.convert("RGB").save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


@contextmanager
def _opened(source: BinaryIO, content_type: str, max_pixels: int,
            max_decode_bytes: int) -> Iterator[tuple[Image.Image, str, tuple[int, int]]]:
    """The image opened by the parser of its declared type, checked against the pixel
    limit and the decode budget from its header, a JPEG set to decode at about twice the
    thumbnail's size (draft mode); with the size in the file. Nothing is decoded yet.
    What Pillow raises, here or in the caller's block, comes out as ImageRejected (or
    ImageTooLarge for a decompression bomb)."""
    try:
        with _opened_unchecked(source, content_type, max_pixels, max_decode_bytes) as opened:
            yield opened
    except ImageRejected:
        raise
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge("Ảnh quá lớn (nghi là ảnh nén bất thường).") from exc
    except _DAMAGED as exc:
        raise ImageRejected(_NOT_AN_IMAGE) from exc


@contextmanager
def _opened_unchecked(source: BinaryIO, content_type: str, max_pixels: int,
                      max_decode_bytes: int) -> Iterator[tuple[Image.Image, str, tuple[int, int]]]:
    expected = FORMATS[content_type]
    # libwebp allocates its canvases when the file is opened, before Pillow's own
    # checks run: a WebP is measured from its header before Image.open.
    canvas = _webp_canvas(source)
    if canvas is not None:
        _check_pixels(*canvas, max_pixels)
        _check_cost(canvas[0] * canvas[1] * WEBP_BYTES_PER_PIXEL, max_decode_bytes)
    # Only the three accepted parsers ever see the bytes.
    with Image.open(source, formats=list(MEDIA_TYPES)) as img:
        found = _SAME_FORMAT.get(img.format or "", img.format)
        if found != expected:
            raise ImageRejected(
                f"Tệp không phải ảnh {expected} như khai báo (thực tế: {found or 'không rõ'}).")
        width, height = img.size
        _check_pixels(width, height, max_pixels)
        # Ask the JPEG decoder for about twice the thumbnail along the LONG side (draft
        # scales by whole factors from the requested size), and shrink before rotating,
        # so a long panorama is never decoded or copied at full size.
        longest = max(width, height)
        target = THUMBNAIL_SIDE * 2
        if found == "JPEG" and longest > target:
            img.draft("RGB", (max(1, width * target // longest), max(1, height * target // longest)))
        _check_cost(decode_cost(img, found, width, height, source), max_decode_bytes)
        yield img, found, (width, height)


# --- is the file whole ----------------------------------------------------------------

_TAIL = 64 * 1024
_PNG_END = b"IEND\xaeB`\x82"


def _check_whole(source: BinaryIO, fmt: str) -> None:
    """Refuse a file cut short, from its structure alone: a JPEG must have an end-of-image
    marker after its first scan begins (entropy-coded data never holds FF D9, and what a
    phone appends after the image, a Samsung trailer or a motion clip, is allowed), a PNG
    its IEND chunk after the header, a WebP at least the bytes its RIFF header counts."""
    end = source.seek(0, io.SEEK_END)
    if fmt == "WEBP":
        source.seek(4)
        riff = int.from_bytes(source.read(4), "little")
        if end < riff + 8:
            raise ImageRejected(_NOT_AN_IMAGE)
        return
    if fmt == "JPEG":
        start, marker = _jpeg_first_scan_offset(source), b"\xff\xd9"
    else:
        start, marker = 8, _PNG_END
    if start is None or _rfind(source, marker, start, end) < 0:
        raise ImageRejected(_NOT_AN_IMAGE)


def _rfind(source: BinaryIO, marker: bytes, start: int, end: int) -> int:
    """The last offset of `marker` in source[start:end], read backwards by blocks (the
    marker is nearly always in the last block); -1 if absent."""
    position = end
    while position > start:
        block_start = max(start, position - _TAIL)
        source.seek(block_start)
        block = source.read(position + len(marker) - 1 - block_start)
        found = block.rfind(marker)
        if found >= 0:
            return block_start + found
        position = block_start
    return -1


def _jpeg_first_scan_offset(source: BinaryIO) -> int | None:
    """Where the first scan's data begins (after its SOS segment), or None."""
    start = source.tell()
    try:
        if _seek_first_scan(source) is None:
            return None
        length = int.from_bytes(source.read(2), "big")
        return source.tell() - 2 + length
    finally:
        source.seek(start)


# --- what decoding costs ------------------------------------------------------------

def decode_cost(img: Image.Image, fmt: str, width: int, height: int, source: BinaryIO) -> int:
    """Bytes held at the peak of decoding `img` (of format `fmt`) and shrinking it to a
    thumbnail, from its header alone (after draft() for a JPEG). `width` × `height` is
    the size in the file."""
    if fmt == "WEBP":
        return width * height * WEBP_BYTES_PER_PIXEL
    decoded_width, decoded_height = img.size  # a JPEG's is already reduced by draft()
    cost = decoded_width * decoded_height * _bytes_per_pixel(img.mode)
    if img.mode in ("LA", "RGBA"):
        cost *= 2  # Pillow resizes these through a premultiplied (La, RGBa) full-size copy
    # (An MPO is a JPEG too: MpoImageFile is a JpegImageFile.)
    if fmt == "JPEG" and isinstance(img, JpegImageFile) and _jpeg_needs_coefficients(img, source):
        cost += _jpeg_coefficient_bytes(img.layer, width, height)
    return cost


def _bytes_per_pixel(mode: str) -> int:
    """Pillow's storage per pixel: one byte for 8-bit single-band modes, two for 16-bit
    ones, four for everything else (several bands are packed into 32 bits: RGB is 4)."""
    if mode in ("1", "L", "P"):
        return 1
    if mode.startswith("I;16"):
        return 2
    return 4


def _jpeg_needs_coefficients(img: JpegImageFile, source: BinaryIO) -> bool:
    """True when libjpeg must keep every DCT coefficient of the whole image before it can
    output a row, whatever the draft scale: progressive files, and files whose first scan
    does not hold all components (libjpeg's `has_multiple_scans`)."""
    if img.info.get("progressive") or img.info.get("progression"):
        return True
    components = _jpeg_first_scan_components(source)
    return components is None or components < len(img.layer)


def _jpeg_first_scan_components(source: BinaryIO) -> int | None:
    """How many components the first scan (SOS) holds, read from the marker segments
    before it; None if the file ends or breaks before one."""
    start = source.tell()
    try:
        if _seek_first_scan(source) is None:
            return None
        source.read(2)
        count = source.read(1)
        return count[0] if count else None
    finally:
        source.seek(start)


def _seek_first_scan(source: BinaryIO) -> int | None:
    """Walk the marker segments from the start to the first SOS; leave `source` at its
    length field and return its offset, or None if the file ends or breaks before one."""
    source.seek(0)
    if source.read(2) != b"\xff\xd8":
        return None
    while True:
        byte = source.read(1)
        if not byte:
            return None
        if byte != b"\xff":
            continue  # junk between segments: libjpeg skips it too
        marker = source.read(1)
        while marker == b"\xff":  # fill bytes
            marker = source.read(1)
        if not marker:
            return None
        code = marker[0]
        if code == 0x00 or code == 0x01 or 0xD0 <= code <= 0xD8:
            continue  # markers without a length
        if code == 0xD9:
            return None  # end of image before any scan
        if code == 0xDA:
            return source.tell()
        length = source.read(2)
        if len(length) < 2 or int.from_bytes(length, "big") < 2:
            return None
        source.seek(int.from_bytes(length, "big") - 2, io.SEEK_CUR)


def _jpeg_coefficient_bytes(layers: list[tuple[int, int, int, int]], width: int, height: int) -> int:
    """libjpeg's whole-image coefficient arrays: per component, its blocks (rounded up
    to whole MCUs) × 128 bytes. About 3 bytes per pixel for 4:2:0, 6 for 4:4:4."""
    if not layers:
        return width * height * 6
    h_max = max(max(layer[1], 1) for layer in layers)
    v_max = max(max(layer[2], 1) for layer in layers)
    total = 0
    for _, h_sampling, v_sampling, _ in layers:
        h, v = max(h_sampling, 1), max(v_sampling, 1)
        blocks_wide = math.ceil(math.ceil(width * h / h_max) / 8)
        blocks_high = math.ceil(math.ceil(height * v / v_max) / 8)
        total += (math.ceil(blocks_wide / h) * h) * (math.ceil(blocks_high / v) * v) * _JPEG_BLOCK_BYTES
    return total


def _webp_canvas(source: BinaryIO) -> tuple[int, int] | None:
    """The canvas size of a WebP file from its first 30 bytes, or None if it is not
    a WebP file. A WebP whose header gives no size is refused: libwebp would decide."""
    start = source.tell()
    head = source.read(30)
    source.seek(start)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WEBP":
        return None
    chunk = head[12:16]
    if chunk == b"VP8 " and len(head) >= 30 and head[23:26] == b"\x9d\x01\x2a":
        return (int.from_bytes(head[26:28], "little") & 0x3FFF,
                int.from_bytes(head[28:30], "little") & 0x3FFF)
    if chunk == b"VP8X" and len(head) >= 30:
        return int.from_bytes(head[24:27], "little") + 1, int.from_bytes(head[27:30], "little") + 1
    if chunk == b"VP8L" and len(head) >= 25 and head[20] == 0x2F:
        bits = int.from_bytes(head[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    raise ImageRejected("Tệp không phải ảnh hợp lệ hoặc bị cắt cụt.")


def _check_pixels(width: int, height: int, max_pixels: int) -> None:
    if width * height > max_pixels:
        limit = f"{max_pixels:,}".replace(",", ".")
        raise ImageTooLarge(f"Ảnh quá lớn ({width}×{height} điểm ảnh); tối đa {limit} điểm ảnh "
                            f"(EVIDENCE_MAX_PIXELS).")


def _check_cost(cost: int, max_decode_bytes: int) -> None:
    if cost > max_decode_bytes:
        raise ImageTooLarge(
            f"Giải mã ảnh này cần khoảng {_mib(cost)} MiB bộ nhớ, vượt giới hạn "
            f"{_mib(max_decode_bytes)} MiB (EVIDENCE_MAX_DECODE_BYTES). Hãy gửi ảnh JPEG do "
            f"máy ảnh chụp, hoặc thu nhỏ ảnh trước khi gửi.")


def _mib(size: int) -> str:
    value = size / MIB
    return str(math.ceil(value)) if value >= 10 else f"{value:.1f}".replace(".", ",")


# --- metadata -----------------------------------------------------------------------

def _metadata(img: Image.Image) -> tuple[dt.datetime | None, float | None, float | None]:
    """Capture time and position, if the EXIF has them and they make sense. EXIF is
    optional and often damaged by editing apps: a photo is never refused for it."""
    try:
        exif = img.getexif()
        taken_at = _taken_at(exif)
        lat, lon = _gps(exif)
    except (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError, KeyError,
            TypeError, ZeroDivisionError, OverflowError) as exc:
        log.info("unreadable EXIF ignored: %r", exc)
        return None, None, None
    return taken_at, lat, lon


def _upright(img: Image.Image) -> Image.Image:
    """The image turned as its EXIF Orientation says; as it is if that cannot be read."""
    try:
        return ImageOps.exif_transpose(img)
    except (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError, KeyError,
            TypeError, ZeroDivisionError) as exc:
        log.info("unreadable EXIF orientation ignored: %r", exc)
        return img


def _exif_text(value) -> str:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return str(value).strip("\x00 ")


def media_type_of(head: bytes) -> str | None:
    """The type a file's first bytes announce (JPEG, PNG or WebP), else None. Only a
    claim, like a Content-Type header: inspect_image still checks the whole file."""
    for media_type, signature in _SIGNATURES.items():
        if head.startswith(signature) and (media_type != "image/webp" or head[8:12] == b"WEBP"):
            return media_type
    return None


def _taken_at(exif: Image.Exif) -> dt.datetime | None:
    exif_ifd = exif.get_ifd(ExifTags.IFD.Exif)
    raw = exif_ifd.get(ExifTags.Base.DateTimeOriginal) or exif.get(ExifTags.Base.DateTime)
    if not raw:
        return None
    try:
        # EXIF writes local time; its offset, if any, is in another tag, attached below.
        moment = dt.datetime.strptime(_exif_text(raw), "%Y:%m:%d %H:%M:%S")  # noqa: DTZ007
    except ValueError:
        return None
    offset = exif_ifd.get(ExifTags.Base.OffsetTimeOriginal) or exif_ifd.get(ExifTags.Base.OffsetTime)
    # Phones in Vietnam write local time without an offset: Vietnam time is the right guess.
    tz: dt.tzinfo = VIETNAM_TZ
    if offset:
        try:
            parsed = dt.datetime.strptime(_exif_text(offset), "%z").tzinfo
        except ValueError:
            parsed = None
        # An offset no place on Earth uses is as good as none: the phone's local time.
        shift = parsed.utcoffset(None) if parsed is not None else None
        if parsed is not None and shift is not None and _OFFSETS[0] <= shift <= _OFFSETS[1]:
            tz = parsed
    try:
        taken_at = moment.replace(tzinfo=tz).astimezone(dt.UTC)
    except OverflowError:  # year 1 east of UTC, year 9999 west of it
        return None
    if not _EARLIEST <= taken_at < _LATEST:
        return None
    return taken_at


def _degrees(value, ref) -> float | None:
    try:
        d, m, s = (float(part) for part in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    degrees = d + m / 60 + s / 3600
    if degrees != degrees:  # NaN from a zero denominator
        return None
    if str(ref).upper().startswith(("S", "W")):
        degrees = -degrees
    return round(degrees, 7)


def _gps(exif: Image.Exif) -> tuple[float | None, float | None]:
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    if not gps:
        return None, None
    lat = _degrees(gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef, "N"))
    lon = _degrees(gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef, "E"))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None, None
    return lat, lon
