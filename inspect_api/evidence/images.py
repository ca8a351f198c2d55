"""Checking an uploaded photo with Pillow, reading its EXIF, making its thumbnail."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import BinaryIO

from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
THUMBNAIL_SIDE = 320
# Phones in Vietnam write local time without an offset; +07:00 is the right guess.
VIETNAM_TZ = dt.timezone(dt.timedelta(hours=7))


class ImageRejected(ValueError):
    """Not an acceptable image; the message is Vietnamese, for the client."""


@dataclass
class ImageFacts:
    width: int
    height: int
    taken_at: dt.datetime | None
    gps_lat: float | None
    gps_lon: float | None
    thumbnail: bytes


def inspect_image(source: BinaryIO, content_type: str, max_pixels: int) -> ImageFacts:
    """Verify the file is a whole image of the declared type and not a decompression
    bomb; read capture time and GPS; make a JPEG thumbnail (longest side 320 px).

    JPEGs are decoded at a reduced scale (draft mode), so memory stays small whatever
    the photo's resolution."""
    expected = FORMATS[content_type]
    try:
        with Image.open(source) as img:
            if img.format != expected:
                raise ImageRejected(
                    f"Tệp không phải ảnh {expected} như khai báo (thực tế: {img.format or 'không rõ'}).")
            width, height = img.size
            if width * height > max_pixels:
                raise ImageRejected(f"Ảnh quá lớn ({width}×{height} điểm ảnh).")
            exif = img.getexif()
            taken_at = _taken_at(exif)
            lat, lon = _gps(exif)
            # Ask the JPEG decoder for about twice the thumbnail along the LONG side (draft
            # scales by whole factors from the requested size), and shrink before
            # rotating, so a long panorama is never decoded or copied at full size.
            longest = max(width, height)
            target = THUMBNAIL_SIDE * 2
            if longest > target:
                img.draft("RGB", (max(1, width * target // longest), max(1, height * target // longest)))
            img.thumbnail((target, target))
            oriented = ImageOps.exif_transpose(img)
            oriented.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
            buffer = io.BytesIO()
            oriented.convert("RGB").save(buffer, "JPEG", quality=80)
    except ImageRejected:
        raise
    except Image.DecompressionBombError as exc:
        raise ImageRejected("Ảnh quá lớn (nghi là ảnh nén bất thường).") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageRejected("Tệp không phải ảnh hợp lệ hoặc bị cắt cụt.") from exc
    return ImageFacts(width, height, taken_at, lat, lon, buffer.getvalue())


def _taken_at(exif: Image.Exif) -> dt.datetime | None:
    exif_ifd = exif.get_ifd(ExifTags.IFD.Exif)
    raw = exif_ifd.get(ExifTags.Base.DateTimeOriginal) or exif.get(ExifTags.Base.DateTime)
    if not raw:
        return None
    try:
        moment = dt.datetime.strptime(str(raw).strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    offset = exif_ifd.get(ExifTags.Base.OffsetTimeOriginal) or exif_ifd.get(ExifTags.Base.OffsetTime)
    tz = VIETNAM_TZ
    if offset:
        try:
            tz = dt.datetime.strptime(str(offset).strip("\x00 "), "%z").tzinfo or VIETNAM_TZ
        except ValueError:
            tz = VIETNAM_TZ
    return moment.replace(tzinfo=tz).astimezone(dt.timezone.utc)


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
