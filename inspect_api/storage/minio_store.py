"""Any S3-compatible server (MinIO in production) through the official `minio` client."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
from collections.abc import Iterator
from typing import BinaryIO

import urllib3
from minio import Minio
from minio.error import MinioException, S3Error

from .base import ObjectInfo, StoreUnavailable


def _http_pool() -> urllib3.PoolManager:
    """Fail fast when the store is down: the tablet retries on 503, the request must not hang."""
    return urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=3, read=30),
        maxsize=10,
        retries=urllib3.Retry(total=2, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]),
    )


_UNAVAILABLE = (MinioException, urllib3.exceptions.HTTPError, OSError, ValueError)
# Blocks sent to the store by put_once (each is one socket write).
_BLOCK = 256 * 1024
_MD5_HEX = re.compile(r"[0-9a-f]{32}")
# What may stand in a quoted Content-Disposition file name without escaping.
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")


class MinioStore:
    def __init__(self, client: Minio, bucket: str, region: str | None = None,
                 http: urllib3.PoolManager | None = None):
        self.client = client
        self.http = http or _http_pool()
        self.bucket = bucket
        self.region = region
        self._bucket_ready = False

    @classmethod
    def from_config(cls, config) -> MinioStore:
        http = _http_pool()
        client = Minio(
            config["MINIO_ENDPOINT"],
            access_key=config["MINIO_ACCESS_KEY"] or None,
            secret_key=config["MINIO_SECRET_KEY"] or None,
            secure=config["MINIO_SECURE"],
            region=config["MINIO_REGION"] or None,
            http_client=http,
        )
        return cls(client, config["MINIO_BUCKET"], config["MINIO_REGION"] or None, http)

    def _ensure_bucket(self) -> None:
        """Create the bucket if missing. No policy is set: a new bucket is private, and
        clients only ever get short-lived presigned URLs."""
        if self._bucket_ready:
            return
        try:
            if not self.client.bucket_exists(self.bucket):
                try:
                    self.client.make_bucket(self.bucket, location=self.region)
                except S3Error as exc:
                    if exc.code not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                        raise
        except _UNAVAILABLE as exc:
            raise StoreUnavailable(f"bucket {self.bucket}: {exc}") from exc
        self._bucket_ready = True

    def put(self, key: str, data: BinaryIO, length: int, content_type: str, *,
            md5: bytes | None = None) -> None:
        """Stream the object to the store with a presigned PUT.

        `put_object` reads each multipart part (5 MiB or more) into memory, and several
        at once; a presigned PUT sends the file in small blocks, so what a worker holds
        does not grow with the photo. Content-MD5 makes the store check the bytes, since
        a presigned request does not sign the payload (a caller that hashed the bytes on
        the way in passes `md5` and saves reading them twice)."""
        self._ensure_bucket()
        if md5 is None:
            start = data.tell()
            digest = hashlib.md5(usedforsecurity=False)
            for block in iter(lambda: data.read(1024 * 1024), b""):
                digest.update(block)
            data.seek(start)
            md5 = digest.digest()
        try:
            url = self.client.presigned_put_object(self.bucket, key, expires=dt.timedelta(minutes=15))
            response = self.http.request(
                "PUT", url, body=data,
                headers={"Content-Length": str(length), "Content-Type": content_type,
                         "Content-MD5": base64.b64encode(md5).decode()})
        except _UNAVAILABLE as exc:
            raise StoreUnavailable(f"put {key}: {exc}") from exc
        if response.status >= 300:
            raise StoreUnavailable(f"put {key}: HTTP {response.status} {response.data[:300]!r}")

    def put_once(self, key: str, data: BinaryIO, length: int, content_type: str) -> str | None:
        """Send the bytes to the store as `data` gives them, in one presigned PUT: the
        upload's body goes on to the store while it arrives, instead of after it. No
        retry (the bytes cannot be read again) and no Content-MD5 (not known before the
        end): the store's answer carries the MD5 of what it stored (the ETag of a single
        PUT; not an MD5 with SSE-C or SSE-KMS, and then None)."""
        self._ensure_bucket()
        try:
            url = self.client.presigned_put_object(self.bucket, key, expires=dt.timedelta(minutes=15))
            response = self.http.request(
                "PUT", url, body=iter(lambda: data.read(_BLOCK), b""), retries=False,
                headers={"Content-Length": str(length), "Content-Type": content_type})
        except _UNAVAILABLE as exc:
            raise StoreUnavailable(f"put {key}: {exc}") from exc
        if response.status >= 300:
            raise StoreUnavailable(f"put {key}: HTTP {response.status} {response.data[:300]!r}")
        etag = (response.headers.get("ETag") or "").strip('"').lower()
        return etag if _MD5_HEX.fullmatch(etag) else None

    def open(self, key: str) -> BinaryIO:
        self._ensure_bucket()
        try:
            # urllib3's response reads like a binary file; minio types it as the response.
            return self.client.get_object(self.bucket, key)  # type: ignore[return-value]
        except S3Error as exc:
            if exc.code == "NoSuchKey":
                raise FileNotFoundError(key) from exc
            raise StoreUnavailable(f"get {key}: {exc}") from exc
        except _UNAVAILABLE as exc:
            raise StoreUnavailable(f"get {key}: {exc}") from exc

    def delete(self, key: str) -> None:
        self._ensure_bucket()
        try:
            self.client.remove_object(self.bucket, key)
        except _UNAVAILABLE as exc:
            raise StoreUnavailable(f"delete {key}: {exc}") from exc

    def exists(self, key: str) -> bool:
        self._ensure_bucket()
        try:
            self.client.stat_object(self.bucket, key)
            return True
        except S3Error as exc:
            if exc.code in {"NoSuchKey", "NoSuchObject", "NotFound"}:
                return False
            raise StoreUnavailable(f"stat {key}: {exc}") from exc
        except _UNAVAILABLE as exc:
            raise StoreUnavailable(f"stat {key}: {exc}") from exc

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        self._ensure_bucket()
        try:
            for obj in self.client.list_objects(self.bucket, prefix=prefix, recursive=True):
                yield ObjectInfo(key=obj.object_name, size=obj.size or 0,
                                 modified_at=obj.last_modified or dt.datetime.now(dt.UTC))
        except _UNAVAILABLE as exc:
            raise StoreUnavailable(f"list {prefix}: {exc}") from exc

    def presigned_url(self, key: str, expires: dt.timedelta, filename: str | None = None,
                      content_type: str | None = None) -> str:
        """A presigned GET. The response-* parameters are signed into the URL, so the
        store answers with the type and disposition the app chose, not with whatever the
        object was stored under."""
        self._ensure_bucket()
        headers: dict[str, str | list[str] | tuple[str]] = {}  # minio's DictType
        if content_type:
            headers["response-content-type"] = content_type
        if filename:
            headers["response-content-disposition"] = f'inline; filename="{_SAFE_NAME.sub("_", filename)}"'
        try:
            return self.client.presigned_get_object(self.bucket, key, expires=expires,
                                                    response_headers=headers or None)
        except _UNAVAILABLE as exc:
            raise StoreUnavailable(f"presign {key}: {exc}") from exc

    def check(self) -> None:
        self._bucket_ready = False
        self._ensure_bucket()
