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
