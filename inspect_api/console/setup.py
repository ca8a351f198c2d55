"""Wiring the console into the app: session cookie, CSRF, Jinja filters, the blueprint."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from flask import Flask, redirect, url_for

from ..documents.render import vn_date, vn_number, vn_percent
from ..extensions import csrf
from .formatting import vn_datetime, vn_time


def session_settings(config) -> dict:
    """Flask's session and Flask-WTF settings that follow from ours."""
    # The session is signed with a key of its own, derived so that an operator sets one
    # secret; a console cookie can never pass as a token, nor the other way round.
    secret = hmac.new(config["JWT_SECRET_KEY"].encode(), b"console-session", hashlib.sha256).hexdigest()
    return {
        "SECRET_KEY": secret,
        "SESSION_COOKIE_NAME": "console_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # auto: over HTTPS only, except where `make run` and the tests serve plain HTTP.
        "SESSION_COOKIE_SECURE": (config["APP_ENV"] == "production" if config["CONSOLE_COOKIE_SECURE"] is None
                                  else config["CONSOLE_COOKIE_SECURE"]),
        # The API never reads it: it is not even sent there.
        "SESSION_COOKIE_PATH": "/console",
        "PERMANENT_SESSION_LIFETIME": dt.timedelta(hours=config["CONSOLE_SESSION_HOURS"]),
        # CSRF is checked by the console's own before_request (views.py), never on the
        # API, whose bearer tokens are not sent by a browser on its own.
        "WTF_CSRF_CHECK_DEFAULT": False,
        # A token lives as long as the sign-in: a reviewer who spends an hour on one
        # visit must not lose what they typed to an expired form.
        "WTF_CSRF_TIME_LIMIT": None,
    }


def init_console(app: Flask) -> None:
    app.config.update(session_settings(app.config))
    csrf.init_app(app)
    app.jinja_env.filters.update(vn_date=vn_date, vn_number=vn_number, vn_percent=vn_percent,
                                 vn_datetime=vn_datetime, vn_time=vn_time)
    from . import leadership  # noqa: F401 - its routes join blp before it is registered
    from . import corrections  # noqa: F401 - its routes join the blueprint before it is registered
    from .views import blp

    # Feature modules add their routes to the blueprint before it is registered. Imported
    # here, not at the bottom of views.py: they import views (for `blp`), and the wiring
    # step is where the app is assembled anyway.
    from . import administration  # noqa: F401
    from . import notices  # noqa: F401

    app.register_blueprint(blp)
    app.add_url_rule("/", "console_root", lambda: redirect(url_for("console.home")))
