"""The API with one more endpoint, for benchmarks/bench_read_ceiling.py only: `GET
/bench/select-1` runs `SELECT 1` through the app's SQLAlchemy session and answers a tiny
JSON document. It measures what a request costs in this gunicorn before any work of the
API's own (routing, a pooled connection, one round trip, JSON); it is never part of the
app (`gunicorn benchmarks.ceiling_wsgi:app`)."""

from __future__ import annotations

from sqlalchemy import text

from inspect_api.app import create_app
from inspect_api.db import db

app = create_app()


@app.get("/bench/select-1")
def select_one():
    value = db.session.execute(text("SELECT 1")).scalar_one()
    db.session.rollback()
    return {"value": value}
