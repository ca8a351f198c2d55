"""Conclusion notices (Thông báo kết quả kiểm tra) of a plan: the draft, issuing, reading,
and the files (PDF, Word)."""

from flask import Response
from flask.views import MethodView
from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from ..api import BINARY, OCTET_STREAM, PDF_MIMETYPE, response_headers
from ..documents.list_export import DOCX_MIMETYPE
from ..documents.notice_content import NoticeContent
from ..documents.notice_export import NoticeFile, notice_file
from ..guard import require_role
from ..pagination import keyset_page, page_of
from ..requests import request_origin
from . import service
from .schemas import (
    NoticeDetailSchema, NoticeDraftArgsSchema, NoticeExportArgsSchema, NoticeIssueSchema,
    NoticeQueryArgsSchema, NoticeSchema,
)

blp = Blueprint("notices", __name__, url_prefix="/api/v1/plans", description="Thông báo kết quả kiểm tra")

ISSUERS = require_role(*service.ISSUER_ROLES)
READERS = require_role(*service.ISSUER_ROLES, service.UNIT_ROLE)


def _file_doc(description: str) -> dict:
    # octet-stream beside them: the type generated clients read raw bytes under.
    return {"responses": {"200": {
        "description": description,
        "content": {PDF_MIMETYPE: {"schema": BINARY}, DOCX_MIMETYPE: {"schema": BINARY},
                    OCTET_STREAM: {"schema": BINARY}},
        "headers": response_headers("ContentDisposition")}}}


def _send(document: NoticeFile) -> Response:
    return Response(document.content, mimetype=document.mimetype,
                    headers={"Content-Disposition": document.content_disposition, "Cache-Control": "no-store"})


@blp.route("/<int:plan_id>/notices")
class Notices(MethodView):
    @READERS
    @blp.arguments(NoticeQueryArgsSchema, location="query")
    @blp.response(200, page_of(NoticeSchema))
    @blp.alt_response(404, description="The plan is outside your view")
    def get(self, args, plan_id: int):
        """The plan's issued notices you may read (a unit officer: their unit's), newest first."""
        return keyset_page(service.notices(current_user, plan_id, args), args,
                           order=service.NOTICE_ORDER, name="notices")

    @ISSUERS
    @blp.arguments(NoticeIssueSchema)
    @blp.response(201, NoticeDetailSchema)
    @blp.alt_response(404, description="The plan or the unit is outside your view")
    @blp.alt_response(409, description="No approved visit of the unit in the plan; the unit already has a "
                                       "notice in the plan; or the document number is taken")
    def post(self, data, plan_id: int):
        """Issue the notice to a unit under a document number: its content is copied as it stands."""
        return service.issue_notice(current_user, plan_id, data, origin=request_origin())


@blp.route("/<int:plan_id>/notices/draft", methods=["GET"])
@ISSUERS
@blp.arguments(NoticeDraftArgsSchema, location="query")
@blp.alt_response(404, description="The plan or the unit is outside your view")
@blp.alt_response(409, description="No approved visit of the unit in the plan")
@blp.doc(**_file_doc("The draft notice (DỰ THẢO, no number): format=pdf (default) or docx"))
def draft_notice(args, plan_id: int):
    """The notice as it would be issued now, marked DỰ THẢO and without a number."""
    content = service.draft_content(current_user, plan_id, args["org_unit_id"])
    return _send(notice_file(content, args["format"]))


@blp.route("/<int:plan_id>/notices/<int:notice_id>", methods=["GET"])
@READERS
@blp.response(200, NoticeDetailSchema)
@blp.alt_response(404, description="The notice does not exist or is outside your view")
def get_notice(plan_id: int, notice_id: int):
    """One issued notice with its content as issued."""
    return service.get_notice(current_user, plan_id, notice_id)


@blp.route("/<int:plan_id>/notices/<int:notice_id>/export", methods=["GET"])
@READERS
@blp.arguments(NoticeExportArgsSchema, location="query")
@blp.alt_response(404, description="The notice does not exist or is outside your view")
@blp.doc(**_file_doc("The issued notice: format=pdf (default, A4, fonts embedded) or docx"))
def export_notice(args, plan_id: int, notice_id: int):
    """The issued notice as the unit receives it: PDF or Word, printed from its content as issued."""
    notice = service.get_notice(current_user, plan_id, notice_id)
    return _send(notice_file(NoticeContent.from_json(notice.content), args["format"],
                             document_number=notice.document_number, document_date=notice.document_date,
                             signer_name=notice.signer_name, signer_title=notice.signer_title))
