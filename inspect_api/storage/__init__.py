"""Object storage behind one small interface, chosen by STORAGE_BACKEND."""

from __future__ import annotations

from flask import Flask, current_app

from .base import ObjectInfo, ObjectStore, StoreUnavailable


def make_store(config) -> ObjectStore:
    if config["STORAGE_BACKEND"] == "minio":
        from .minio_store import MinioStore

        return MinioStore.from_config(config)
    from .local import LocalStore

    return LocalStore(config["STORAGE_DIR"])


def init_store(app: Flask) -> None:
    """Build the store lazily: the app starts (and /readyz says why) even when the
    object store is down at boot."""
    app.extensions["object_store"] = None


def get_store() -> ObjectStore:
    store = current_app.extensions.get("object_store")
    if store is None:
        store = make_store(current_app.config)
        current_app.extensions["object_store"] = store
    return store


__all__ = ["ObjectInfo", "ObjectStore", "StoreUnavailable", "get_store", "init_store", "make_store"]
