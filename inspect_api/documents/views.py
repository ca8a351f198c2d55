"""The documents over HTTP: the visit minutes as PDF."""

import uuid

from flask import Response
from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from ..api import BINARY, OCTET_STREAM, response_headers
from ..guard import require_role
from .minutes import visit_minutes_pdf

PDF_MIMETYPE = "application/pdf"

blp = Blueprint("documents", __name__, url_prefix="/api/v1", description="Văn bản in (PDF)")


@blp.route("/visits/<uuid:visit_id>/minutes.pdf", methods=["GET"])
@require_role()
@blp.alt_response(404, description="The visit does not exist or is outside your view")
@blp.alt_response(409, description="The visit is a draft: it has no minutes yet")
@blp.doc(responses={"200": {"description": "The Biên bản kiểm tra as PDF (A4, fonts embedded)",
                            # octet-stream beside it: the type generated clients read raw bytes under.
                            "content": {PDF_MIMETYPE: {"schema": BINARY},
                                        OCTET_STREAM: {"schema": BINARY}},
                            "headers": response_headers("ContentDisposition")}})
def get_visit_minutes(visit_id: uuid.UUID):
    """The visit's minutes (Biên bản kiểm tra) as PDF, for whoever may read the visit;
    drafts have none (409)."""
    pdf, disposition = visit_minutes_pdf(current_user, visit_id)
    return Response(pdf, mimetype=PDF_MIMETYPE, headers={"Content-Disposition": disposition,
                                                          "Cache-Control": "no-store"})
