"""The application factory: it does all the wiring."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, request, send_from_directory
from werkzeug.exceptions import SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix

from . import cli, health
from .api import make_api
from .config import INSTANCE_DIR, load_settings
from .db import db, hook_engine, hook_sessions
from .error_handlers import register_error_handlers
from .extensions import cors, jwt, migrate
from .requests import register_request_hooks
from .requests import _assign_request_id as assign_request_id
from .storage import init_store

API_DOCS_ASSETS = "/api/v1/docs/assets"


def create_app(overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> Flask:
    """Build an app from the environment (or `environ`), then `overrides` (tests)."""
    app = Flask(__name__, instance_path=str(INSTANCE_DIR), instance_relative_config=False)
    app.config.update(load_settings(environ))
    app.config.update(_derived_settings(app.config))
    if overrides:
        app.config.update(overrides)
    logging.basicConfig(level=app.config["LOG_LEVEL"])
    _ensure_sqlite_dir(app.config["SQLALCHEMY_DATABASE_URI"])

    if app.config["TRUSTED_PROXY_COUNT"]:
        # Flask's documented way to wrap the WSGI app, which its types call a method.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["TRUSTED_PROXY_COUNT"],  # type: ignore[method-assign]
                                x_proto=app.config["TRUSTED_PROXY_COUNT"])
    # TRUSTED_HOSTS (a setting) is Flask's own check; this hook, registered first, makes
    # an untrusted Host a 400 before any other hook looks at the request.
    app.before_request(_refuse_untrusted_host)
    register_extensions(app)
    register_error_handlers(app, _current_schemas())
    # Photos arrive as raw bytes, not JSON; the upload checks its own content type.
    register_request_hooks(app, raw_body_endpoints=frozenset({"evidence.upload",
                                                              "corrections.upload_correction_photo"}))
    register_blueprints(app)
    cli.register_commands(app)
    return app


def _current_schemas() -> dict[type, type]:
    """How the current state a 409 carries is shown: each as its resource's GET shows it."""
    from .checklists.models import ChecklistTemplate
    from .checklists.schemas import ChecklistDetailSchema
    from .corrections.models import Correction, CorrectionPhoto
    from .corrections.schemas import CorrectionDetailSchema, CorrectionPhotoSchema
    from .evidence.models import Evidence
    from .evidence.schemas import EvidenceSchema
    from .reviews.models import Explanation
    from .reviews.schemas import ExplanationSchema
    from .visits.models import Visit
    from .visits.schemas import VisitDetailSchema

    return {Visit: VisitDetailSchema, Evidence: EvidenceSchema,
            ChecklistTemplate: ChecklistDetailSchema, Explanation: ExplanationSchema,
            Correction: CorrectionDetailSchema, CorrectionPhoto: CorrectionPhotoSchema}


def _refuse_untrusted_host() -> None:
    if isinstance(request.routing_exception, SecurityError):
        # The other hooks will not run; the problem body still carries its request id.
        assign_request_id()
        raise request.routing_exception


def _derived_settings(config: Mapping[str, Any]) -> dict[str, Any]:
    """Flask and extension settings that follow from ours."""
    return {
        "MAX_CONTENT_LENGTH": config["MAX_REQUEST_BYTES"],
        "JSON_SORT_KEYS": False,
        "JWT_ACCESS_TOKEN_EXPIRES": dt.timedelta(minutes=config["ACCESS_TOKEN_MINUTES"]),
        "JWT_REFRESH_TOKEN_EXPIRES": dt.timedelta(days=config["REFRESH_TOKEN_DAYS"]),
        "JWT_TOKEN_LOCATION": ["headers"],
        "JWT_ALGORITHM": "HS256",
        "JWT_DECODE_ALGORITHMS": ["HS256"],
        "JWT_ERROR_MESSAGE_KEY": "detail",
        "API_TITLE": "inspect-api",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.1.0",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": API_DOCS_ASSETS + "/",
        "API_SPEC_OPTIONS": {
            "info": {
                "description": (
                    "API giám sát Bộ phận Một cửa: kiểm tra, phát hiện, minh chứng, "
                    "thẩm định và danh sách đề nghị.\n\nOne-stop desk inspection API. "
                    "Log in with `POST /api/v1/auth/login`, then press *Authorize* and "
                    "paste the `access_token`. Errors are RFC 9457 problem+json."
                )
            },
            "servers": [{"url": "/"}],
        },
    }


def _ensure_sqlite_dir(url: str) -> None:
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        from pathlib import Path

        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


def register_extensions(app: Flask) -> None:
    from .checklists.models import published_templates_are_immutable
    from .reports.kept_scores import hook_kept_scores
    from .sync import stamp_changes

    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            hook_engine(engine)
    hook_sessions(flush_hooks=(stamp_changes, published_templates_are_immutable))
    hook_kept_scores()
    migrate.init_app(app, db, directory=str(INSTANCE_DIR.parent / "migrations"))
    jwt.init_app(app)
    from .auth.tokens import configure_jwt

    configure_jwt(jwt)
    from .auth.throttle import init_login_throttle

    init_login_throttle(app)
    cors.init_app(app, resources={r"/api/*": {"origins": app.config["CORS_ORIGINS"]}},
                  expose_headers=["ETag", "X-Request-ID", "Retry-After"])
    app.extensions["api"] = make_api(app)
    init_store(app)
    from .evidence.flags import hook_visit_detail

    hook_visit_detail()
    from .audit.anchoring import init_anchoring

    init_anchoring(app)


def register_blueprints(app: Flask) -> None:
    from .audit.views import blp as audit_blp
    from .auth.views import blp as auth_blp, users_blp
    from .checklists.views import blp as checklists_blp
    from .corrections.views import blp as corrections_blp
    from .documents.views import blp as documents_blp
    from .evidence.views import blp as evidence_blp
    from .notices.views import blp as notices_blp
    from .org.views import desks_blp, org_units_blp, staff_blp
    from .plans.views import blp as plans_blp, teams_blp
    from .reports.views import blp as reports_blp
    from .reviews.views import blp as reviews_blp
    from .visits.views import blp as visits_blp

    api = app.extensions["api"]
    for blueprint in (auth_blp, users_blp, org_units_blp, desks_blp, staff_blp,
                      checklists_blp, plans_blp, teams_blp, visits_blp, evidence_blp, reviews_blp,
                      corrections_blp, notices_blp, reports_blp, documents_blp, audit_blp):
        api.register_blueprint(blueprint)
    app.register_blueprint(health.blp)

    from .console.setup import init_console

    init_console(app)

    from pathlib import Path

    import flask_swagger_ui

    swagger_ui_dist = Path(flask_swagger_ui.__file__).parent / "dist"

    @app.get(API_DOCS_ASSETS + "/<path:filename>")
    def docs_assets(filename):
        # Swagger UI 5 (it reads OpenAPI 3.1) served from the installed package: the docs
        # work on an intranet with no CDN.
        return send_from_directory(swagger_ui_dist, filename)
