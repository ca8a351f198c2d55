"""Vietnamese text helpers shared by reports and exports."""

from __future__ import annotations

import functools
import unicodedata

_ALPHABET = "aăâbcdđeêghiklmnoôơpqrstuưvxy"
# Breve, circumflex and horn make letters of their own (ă, â, ơ, ư...); other marks are tones.
_LETTER_MARKS = "\u0306\u0302\u031b"


@functools.lru_cache(maxsize=4096)
def _char_order(char: str) -> tuple[int, str]:
    """One lower-case character's place in the alphabet and its tone marks. Cached: a
    national ranking sorts thousands of names made of a few hundred characters."""
    decomposed = unicodedata.normalize("NFD", char)
    marks = decomposed[1:]
    letter_marks = "".join(m for m in marks if m in _LETTER_MARKS)
    tone = "".join(m for m in marks if m not in _LETTER_MARKS)
    letter = "đ" if char == "đ" else unicodedata.normalize("NFC", decomposed[0] + letter_marks)
    return (_ALPHABET.index(letter) if letter in _ALPHABET else 100 + ord(letter[0])), tone


@functools.lru_cache(maxsize=8192)
def vietnamese_order(text: str | None) -> tuple:
    """Sort key following the Vietnamese alphabet (ă after a, đ after d, ...), with the
    tones breaking ties. Cached (a key is a tuple, never changed): a national list sorts
    ~7,000 officials whose given names are a few hundred."""
    pairs = [_char_order(char) for char in (text or "").lower()]
    return tuple(letter for letter, _ in pairs), tuple(tone for _, tone in pairs)


def person_order(full_name: str | None) -> tuple:
    """Sort key for a person's full name as Vietnamese lists sort it: by the given name
    (the last word), then the family and middle names, each in Vietnamese order, so
    "Trần Văn An" comes before "Nguyễn Thị Bình"."""
    *rest, given = (full_name or "").split() or [""]
    return vietnamese_order(given), vietnamese_order(" ".join(rest))
