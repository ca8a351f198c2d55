"""The documents over HTTP: the visit minutes as PDF; a frozen list's attachment as PDF
or Excel, or its draft Tờ trình as Word."""

import os
import uuid

from flask import Response, current_app, send_file
from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from ..api import BINARY, OCTET_STREAM, PDF_MIMETYPE, XLSX_MIMETYPE, response_headers
from ..evidence.service import UploadLimits
from ..guard import require_role
from ..reports.service import get_frozen_list
from .list_export import DOCX_MIMETYPE, list_file
from .minutes import visit_minutes_pdf
from .schemas import ListExportArgsSchema


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
    pdf, disposition = visit_minutes_pdf(current_user, visit_id, UploadLimits.from_settings(current_app.config))
    return Response(pdf, mimetype=PDF_MIMETYPE, headers={"Content-Disposition": disposition,
                                                          "Cache-Control": "no-store"})


# Served here rather than in reports/views.py: rendering reads the reports (documents ->
# reports), so the reports package may not import the documents. Tagged "reports" so the
# generated clients keep it where they had it.
@blp.route("/reports/lists/<int:list_id>/export", methods=["GET"], tags=["reports"])
@require_role("leader", "reviewer", "admin")
@blp.arguments(ListExportArgsSchema, location="query")
@blp.alt_response(404, description="The list does not exist or is outside your subtree")
@blp.doc(responses={"200": {
    "description": "The list attached to its Tờ trình: format=xlsx (default) the workbook, "
                   "format=pdf the PDF (A4 landscape, fonts embedded); format=docx the draft "
                   "Tờ trình (Word) with the list attached",
    # octet-stream beside them: the type generated clients read raw bytes under.
    "content": {XLSX_MIMETYPE: {"schema": BINARY}, PDF_MIMETYPE: {"schema": BINARY},
                DOCX_MIMETYPE: {"schema": BINARY}, OCTET_STREAM: {"schema": BINARY}},
    "headers": response_headers("ContentDisposition")}})
def export_frozen_list(args, list_id: int):
    """The frozen list as the attachment a provincial office signs: Excel (default) or PDF;
    or the draft Tờ trình it is attached to, as Word (docx)."""
    document = list_file(current_user, get_frozen_list(current_user, list_id), args["format"])
    response = send_file(document.path, mimetype=document.mimetype, max_age=0)
    # exports/naming.py's header: its ASCII fallback is the hyphenated name clients
    # already save under, which send_file(download_name=...) would spell with spaces.
    response.headers["Content-Disposition"] = document.content_disposition
    response.call_on_close(lambda: os.unlink(document.path))
    return response
