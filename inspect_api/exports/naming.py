"""File names for exported workbooks, and the Content-Disposition header to send them.

A download keeps its Vietnamese name (``filename*``, RFC 6266 with RFC 8187 encoding)
for browsers that read it, and an ASCII fallback (``filename``) for those that do not.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

# RFC 8187 attr-char, besides letters and digits, that need no percent-encoding.
_ATTR_CHARS = "!#$&+-.^_`|~"
# Not allowed in file names on Windows, or meaningful in paths.
_UNSAFE_IN_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')


def ascii_fold(text: str) -> str:
    """"Danh sách phê bình quý IV" -> "Danh sach phe binh quy IV"."""
    text = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).encode(
        "ascii", "ignore").decode("ascii")


def ascii_filename(name: str) -> str:
    """An ASCII, hyphen-separated form of a (Vietnamese) file name, extension kept:
    "Danh sách phê bình quý IV-2026 (125-TTr-SNV).xlsx" ->
    "Danh-sach-phe-binh-quy-IV-2026-125-TTr-SNV.xlsx"."""
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_fold(stem)).strip("-") or "export"
    ext = re.sub(r"[^A-Za-z0-9]", "", ascii_fold(ext))
    return f"{slug}.{ext}" if ext else slug


def safe_filename(name: str) -> str:
    """A Vietnamese file name with path separators and other unsafe characters turned into
    hyphens: "quý IV/2026" -> "quý IV-2026"."""
    name = unicodedata.normalize("NFC", name)
    return re.sub(r"\s+", " ", _UNSAFE_IN_NAMES.sub("-", name)).strip(" .") or "export"


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    """``attachment; filename="Danh-sach-....xlsx"; filename*=UTF-8''Danh%20s%C3%A1ch...``"""
    name = safe_filename(filename)
    fallback = ascii_filename(name)
    header = f'{disposition}; filename="{fallback}"'
    if name != fallback:
        header += f"; filename*=UTF-8''{quote(name, safe=_ATTR_CHARS)}"
    return header
