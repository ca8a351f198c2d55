"""Review queue, decisions, and explanations."""

import uuid

from flask import current_app
from flask.views import MethodView
from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from ..api import response_headers
from ..corrections.service import CorrectionDays
from ..guard import require_role
from ..pagination import PageArgsSchema, keyset_page, page_of
from ..requests import request_origin
from ..visits.models import Visit
from ..visits.schemas import VisitConflictProblemSchema, VisitDetailSchema, VisitSchema
from ..visits.service import etag_of
from . import service
from .schemas import ExplanationConflictProblemSchema, ExplanationInSchema, ExplanationSchema, ReviewInSchema

blp = Blueprint("reviews", __name__, url_prefix="/api/v1", description="Thẩm định của Sở Nội vụ")

REVIEWERS = require_role("reviewer", "admin")


@blp.route("/review/queue", methods=["GET"])
@REVIEWERS
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_of(VisitSchema))
def queue(args):
    """Submitted visits waiting in your subtree, oldest submission first."""
    return keyset_page(service.review_queue(current_user), args,
                       order=[(Visit.submitted_at, False), (Visit.id, False)], name="review_queue")


@blp.route("/visits/<uuid:visit_id>/review", methods=["POST"])
@REVIEWERS
@blp.arguments(ReviewInSchema)
@blp.response(200, VisitDetailSchema, headers=response_headers("ETag"))
@blp.alt_response(409, schema=VisitConflictProblemSchema,
                  description="Not waiting for review (e.g. another reviewer decided first), or "
                              "changed since the `version` you sent; `current` holds the server's copy")
def review(data, visit_id: uuid.UUID):
    """Approve, or return with a comment; per-finding comments, severity changes and voids
    are kept beside the inspector's findings."""
    visit = service.decide(current_user, visit_id, data,
                           correction_days=CorrectionDays.from_settings(current_app.config),
                           origin=request_origin())
    return visit, 200, {"ETag": etag_of(visit)}


@blp.route("/findings/<uuid:finding_id>/explanation")
class FindingExplanation(MethodView):
    decorators = [require_role()]

    @blp.response(200, ExplanationSchema)
    def get(self, finding_id: uuid.UUID):
        """The official's explanation for a finding: requested, received or lapsed."""
        return service.get_explanation(current_user, finding_id)

    @REVIEWERS
    @blp.arguments(ExplanationInSchema)
    @blp.response(200, ExplanationSchema)
    @blp.alt_response(409, schema=ExplanationConflictProblemSchema,
                      description="Not in a state that allows this step")
    def post(self, data, finding_id: uuid.UUID):
        """Record that an explanation was requested (with a deadline), received, or lapsed."""
        return service.record_explanation(current_user, finding_id, data,
                                          explanation_days=current_app.config["EXPLANATION_DAYS"],
                                          origin=request_origin())
