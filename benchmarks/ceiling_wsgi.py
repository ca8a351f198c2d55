"""The API with two more endpoints, for benchmarks/bench_read_ceiling.py only: `GET
/bench/select-1` runs `SELECT 1` through the app's SQLAlchemy session and answers a tiny
JSON document. It measures what a request costs in this gunicorn before any work of the
API's own (routing, a pooled connection, one round trip, JSON). `GET
/bench/select-1-signed-in` does the same behind the door every API view has (the access
token checked, its session and user read: inspect_api/guard.py), which the issue's
yardstick leaves out. Never part of the app (`gunicorn benchmarks.ceiling_wsgi:app`).
The app is wsgi.py's, set up as it is served."""

from __future__ import annotations

from sqlalchemy import text

from inspect_api.db import db
from inspect_api.guard import require_role
from wsgi import app


@app.get("/bench/select-1")
def select_one():
    value = db.session.execute(text("SELECT 1")).scalar_one()
    db.session.rollback()
    return {"value": value}


@app.get("/bench/select-1-signed-in")
@require_role()
def select_one_signed_in():
    return select_one()
