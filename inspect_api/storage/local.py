"""The embedded default: objects as files under one directory."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from .base import ObjectInfo, StoreUnavailable


class LocalStore:
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not str(path).startswith(str(self.root.resolve()) + os.sep):
            raise ValueError(f"object key escapes the store: {key!r}")
        return path

    def put(self, key: str, data: BinaryIO, length: int, content_type: str, *,
            md5: bytes | None = None) -> None:
        self._write(key, data, length)

    def put_once(self, key: str, data: BinaryIO, length: int, content_type: str) -> str | None:
        digest = hashlib.md5(usedforsecurity=False)
        self._write(key, data, length, digest)
        return digest.hexdigest()

    def _write(self, key: str, data: BinaryIO, length: int, digest: Any = None) -> None:
        path = self._path(key)
        tmp_name = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Write beside the target, then rename: a reader never sees half a file.
            fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
            with os.fdopen(fd, "wb") as handle:
                copied = _copy(data, handle, length, digest)
                handle.flush()
                os.fsync(handle.fileno())
            if copied != length:
                raise StoreUnavailable(f"short write: {copied} of {length} bytes")
            os.replace(tmp_name, path)
            tmp_name = None
        except OSError as exc:
            raise StoreUnavailable(str(exc)) from exc
        finally:
            # Any failure after mkstemp: drop the temporary file (list() hides these
            # names, so reconcile would never find a leftover).
            if tmp_name is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp_name)

    def open(self, key: str) -> BinaryIO:
        try:
            return open(self._path(key), "rb")
        except FileNotFoundError:
            raise
        except OSError as exc:
            raise StoreUnavailable(str(exc)) from exc

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink(missing_ok=True)
        except OSError as exc:
            raise StoreUnavailable(str(exc)) from exc

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        base = self.root / prefix
        if not base.exists():
            return
        for path in sorted(base.rglob("*")):
            if path.is_file() and not path.name.startswith(".upload-"):
                stat = path.stat()
                yield ObjectInfo(
                    key=path.relative_to(self.root).as_posix(), size=stat.st_size,
                    modified_at=dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC),
                )

    def presigned_url(self, key, expires, filename=None, content_type=None):
        return None

    def check(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.root, prefix=".upload-probe-"):
                pass
        except OSError as exc:
            raise StoreUnavailable(str(exc)) from exc


def _copy(source: BinaryIO, target: BinaryIO, length: int, digest: Any = None, chunk: int = 1024 * 1024) -> int:
    copied = 0
    while copied < length:
        block = source.read(min(chunk, length - copied))
        if not block:
            break
        target.write(block)
        if digest is not None:
            digest.update(block)
        copied += len(block)
    return copied



