"""Liveness and readiness probes for the load balancer."""

from flask import Blueprint, current_app
from sqlalchemy import text

from .db import db
from .storage import StoreUnavailable, get_store

blp = Blueprint("health", __name__)


@blp.get("/healthz")
def healthz():
    """The process is up."""
    return {"status": "ok"}


@blp.get("/readyz")
def readyz():
    """The process can serve: the database and the object store answer."""
    checks = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready; say which
        current_app.logger.warning("readyz: database: %s", exc)
        checks["database"] = "unavailable"
        db.session.rollback()
    try:
        get_store().check()
        checks["object_store"] = "ok"
    except StoreUnavailable as exc:
        current_app.logger.warning("readyz: object store: %s", exc)
        checks["object_store"] = "unavailable"
    ready = all(value == "ok" for value in checks.values())
    return {"status": "ok" if ready else "unavailable", "checks": checks}, 200 if ready else 503
