"""Visits and findings, as the tablet syncs them."""

import re
import uuid

import marshmallow as ma
from flask import current_app, request
from flask.views import MethodView
from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from ..api import request_headers, response_headers
from ..guard import require_role
from ..pagination import feed_of, feed_response
from ..requests import request_origin
from . import service
from .schemas import (
    FindingsBatchSchema, FindingsResultSchema, SubmitProblemSchema, VisitConflictProblemSchema,
    VisitDetailSchema, VisitPreconditionProblemSchema, VisitPutSchema, VisitQueryArgsSchema,
    VisitSchema,
)

blp = Blueprint("visits", __name__, url_prefix="/api/v1/visits", description="Buổi kiểm tra và kết quả")

INSPECTOR = require_role("inspector")


def _if_match_version() -> int | None:
    """The version the If-Match header names (our ETags are "v<version>"): None without
    the header; -1, which no visit has, for any other tag (so: 409, stale)."""
    tags = request.if_match
    if not tags:
        return None
    values = tags.as_set(include_weak=True)
    # At most 10 digits: versions are INTEGER, and int() of 4,300+ digits raises (500).
    match = re.fullmatch(r"v(\d{1,10})", next(iter(values))) if len(values) == 1 and not tags.star_tag else None
    return int(match.group(1)) if match else -1


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
        visit = service.read_visit_detail(current_user, visit_id)
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
        visit, created = service.upsert_visit(current_user, visit_id, data, _if_match_version(),
                                              origin=request_origin())
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
    return service.sync_findings(current_user, visit_id, data["findings"],
                                 max_findings=current_app.config["SYNC_MAX_FINDINGS"], origin=request_origin())


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
    visit = service.submit_visit(current_user, visit_id, origin=request_origin())
    return visit, 200, {"ETag": service.etag_of(visit)}
