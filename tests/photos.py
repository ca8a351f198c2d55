"""Photos as a phone camera makes them: JPEG with EXIF capture time and GPS."""

from __future__ import annotations

import io
import os

from PIL import Image, ExifTags


def _rational_dms(value: float):
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60, 4)
    return (float(degrees), float(minutes), seconds)


def phone_photo(width=1600, height=1200, *, taken="2026:11:20 08:15:42", offset="+07:00",
                lat=21.8233, lon=105.2140, fmt="JPEG", noise=False, orientation=None) -> bytes:
    """A photo with the EXIF a phone writes (DateTimeOriginal, OffsetTimeOriginal, GPS)."""
    if noise:
        img = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    else:
        img = Image.new("RGB", (width, height), (200, 120, 40))
        for x in range(0, width, 40):
            img.paste((20, 60, 200), (x, 0, x + 8, height))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Samsung"
    exif[ExifTags.Base.Model] = "Galaxy Tab A9"
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    if taken:
        exif[ExifTags.Base.DateTime] = taken
        exif_ifd = exif.get_ifd(ExifTags.IFD.Exif)
        exif_ifd[ExifTags.Base.DateTimeOriginal] = taken
        if offset:
            exif_ifd[ExifTags.Base.OffsetTimeOriginal] = offset
    if lat is not None and lon is not None:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps[ExifTags.GPS.GPSLatitudeRef] = "N" if lat >= 0 else "S"
        gps[ExifTags.GPS.GPSLatitude] = _rational_dms(abs(lat))
        gps[ExifTags.GPS.GPSLongitudeRef] = "E" if lon >= 0 else "W"
        gps[ExifTags.GPS.GPSLongitude] = _rational_dms(abs(lon))
    buffer = io.BytesIO()
    img.save(buffer, fmt, exif=exif.tobytes(), quality=90)
    return buffer.getvalue()
