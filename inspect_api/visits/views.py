"""Visits and findings, as the tablet syncs them."""

import uuid

import marshmallow as ma

from flask import request
from flask.views import MethodView
from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from ..api import request_headers, response_headers
from ..guard import require_role
from ..pagination import feed_of, feed_response
from . import service
from .schemas import (
    FindingsBatchSchema, FindingsResultSchema, SubmitProblemSchema, VisitConflictProblemSchema,
    VisitDetailSchema, VisitPreconditionProblemSchema, VisitPutSchema, VisitQueryArgsSchema,
    VisitSchema,
)

blp = Blueprint("visits", __name__, url_prefix="/api/v1/visits", description="Buổi kiểm tra và kết quả")

INSPECTOR = require_role("inspector")


@blp.route("")
class Visits(MethodView):
    decorators = [require_role()]

    @blp.arguments(VisitQueryArgsSchema, location="query")
    @blp.response(200, feed_of(VisitSchema, ma.fields.UUID()))
    def get(self, args):
        """Visits you may see: your team's (inspector), your subtree's (reviewer, admin),
        approved ones in your subtree (leader). Sync with the cursor (see the README)."""
        return feed_response(service.pull_visits, current_user, args, "visits")


@blp.route("/<uuid:visit_id>")
class VisitById(MethodView):
    decorators = [require_role()]

    @blp.response(200, VisitDetailSchema, headers=response_headers("ETag"))
    def get(self, visit_id: uuid.UUID):
        """One visit with its findings. The ETag header carries its version."""
        visit = service.get_visit(current_user, visit_id)
        return visit, 200, {"ETag": service.etag_of(visit)}

    @INSPECTOR
    @blp.arguments(VisitPutSchema)
    @blp.response(200, VisitDetailSchema, description="Updated, or unchanged (a replay)",
                  headers=response_headers("ETag"))
    @blp.alt_response(201, schema=VisitDetailSchema, description="Created",
                      headers=response_headers("ETag"))
    @blp.alt_response(409, schema=VisitConflictProblemSchema,
                      description="Stale version, or the visit is no longer editable; "
                                  "`current` holds the server's copy")
    @blp.alt_response(428, schema=VisitPreconditionProblemSchema,
                      description="An update without `version` or If-Match; `current` holds "
                                  "the server's copy")
    @blp.doc(**request_headers("IfMatch"))
    def put(self, data, visit_id: uuid.UUID):
        """Create (201) or update (200) a visit by the tablet's UUID; replays change nothing."""
        visit, created = service.upsert_visit(current_user, visit_id, data, request.headers.get("If-Match"))
        return visit, 201 if created else 200, {"ETag": service.etag_of(visit)}


@blp.route("/<uuid:visit_id>/findings", methods=["PUT"])
@INSPECTOR
@blp.arguments(FindingsBatchSchema)
@blp.response(200, FindingsResultSchema)
@blp.alt_response(409, schema=VisitConflictProblemSchema,
                  description="The visit is no longer editable; `current` holds the server's copy")
@blp.alt_response(413, description="More findings than SYNC_MAX_FINDINGS in one batch")
def put_findings(data, visit_id: uuid.UUID):
    """Upsert a batch of findings by their UUIDs: all are written or none (422 names each bad item)."""
    return service.sync_findings(current_user, visit_id, data["findings"])


@blp.route("/<uuid:visit_id>/submit", methods=["POST"])
@INSPECTOR
@blp.response(200, VisitDetailSchema, headers=response_headers("ETag"))
@blp.alt_response(409, schema=VisitConflictProblemSchema,
                  description="Already submitted or approved; `current` holds the server's copy")
@blp.alt_response(422, schema=SubmitProblemSchema,
                  description="Criteria still unanswered (`missing`), or failing findings "
                              "without their required photo (`missing_evidence`)")
def submit(visit_id: uuid.UUID):
    """Submit the visit for review (a member of its team only)."""
    visit = service.submit_visit(current_user, visit_id)
    return visit, 200, {"ETag": service.etag_of(visit)}
