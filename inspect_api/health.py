"""Liveness and readiness probes for the load balancer."""

from flask import Blueprint, current_app
from sqlalchemy import text

from .db import db

blp = Blueprint("health", __name__)


@blp.get("/healthz")
def healthz():
    """The process is up."""
    return {"status": "ok"}


@blp.get("/readyz")
def readyz():
    """The process can serve: the database answers."""
    checks = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # any failure means not ready; say which
        current_app.logger.warning("readyz: database: %s", exc)
        checks["database"] = "unavailable"
        db.session.rollback()
    ready = all(value == "ok" for value in checks.values())
    return {"status": "ok" if ready else "unavailable", "checks": checks}, 200 if ready else 503
