"""The interface the evidence service uses; it never touches minio or the filesystem."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol


class StoreUnavailable(RuntimeError):
    """The object store could not be reached or refused the operation; try again later."""


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    modified_at: dt.datetime


class ObjectStore(Protocol):
    def put(self, key: str, data: BinaryIO, length: int, content_type: str, *,
            md5: bytes | None = None) -> None:
        """Store `length` bytes read from `data` under `key` (all or nothing). `md5`: the
        bytes' MD5 digest if the caller has it already (the store checks the bytes with it)."""

    def put_once(self, key: str, data: BinaryIO, length: int, content_type: str) -> str | None:
        """Store `length` bytes read once, in order, from `data` as they come (a request
        body: no second pass, no retry), all or nothing. An error raised by `data.read`
        propagates as it is, and the store keeps nothing. Returns the hex MD5 digest the
        store reports of what it stored (an S3 ETag of a single PUT), or None when it
        reports none: the caller compares it with its own, since the store could not be
        told the digest before the bytes."""

    def open(self, key: str) -> BinaryIO:
        """A readable stream of the object; the caller closes it."""

    def delete(self, key: str) -> None:
        """Remove the object; no error if it is already gone."""

    def exists(self, key: str) -> bool: ...

    def list(self, prefix: str) -> Iterator[ObjectInfo]: ...

    def presigned_url(self, key: str, expires: dt.timedelta, filename: str | None = None,
                      content_type: str | None = None) -> str | None:
        """A short-lived URL the client can fetch directly, or None if the store has none
        (the API then streams the bytes itself). With `content_type` and `filename`, the
        store serves the object under that type, inline under that name, whatever was
        stored with it."""

    def check(self) -> None:
        """Raise StoreUnavailable if the store cannot serve."""
