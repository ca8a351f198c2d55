"""Scores, lists, frozen lists and their Excel files, for leaders and reviewers."""

import os

from flask import Response, current_app, send_file
from flask.views import MethodView
from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from ..api import BINARY, OCTET_STREAM, PDF_MIMETYPE, XLSX_MIMETYPE, response_headers
from ..guard import require_role
from ..pagination import keyset_page, page_of
from ..requests import request_origin
from ..serving import answered_without_cycle_collection
from . import service
from ..documents.scores import PdfFile, scores_document
from .exports import WorkbookFile, scores_workbook
from .list_rules import ListSettings
from .schemas import (
    ComputedListSchema, FreezeListSchema, FrozenListDetailSchema,
    FrozenListQueryArgsSchema, FrozenListSchema, ListArgsSchema, ScoresArgsSchema, ScoresExportArgsSchema,
    ScoresSchema,
)

blp = Blueprint("reports", __name__, url_prefix="/api/v1/reports",
                description="Điểm đánh giá và danh sách đề nghị")

READERS = require_role("leader", "reviewer", "admin")


def _workbook(description: str, pdf: bool = False) -> dict:
    # octet-stream beside the workbook's type: the one generators read raw bytes under.
    content = {XLSX_MIMETYPE: {"schema": BINARY}}
    if pdf:
        content[PDF_MIMETYPE] = {"schema": BINARY}
    return {"200": {"description": description,
                    "content": {**content, OCTET_STREAM: {"schema": BINARY}},
                    "headers": response_headers("ContentDisposition")}}


@blp.route("/scores", methods=["GET"])
@READERS
@blp.arguments(ScoresArgsSchema, location="query")
@blp.response(200, ScoresSchema)
@blp.alt_response(404, description="org_unit_id is not in your subtree")
@blp.doc(**{"x-also-xlsx": True, "x-also-pdf": True})
def scores(args):
    """Ranked unit and desk scores over approved visits (format=xlsx for the workbook,
    format=pdf for the document; a generated client calls exportScores for them)."""
    data = service.scores(current_user, args)
    if args["format"] == "xlsx":
        return _send_workbook(scores_workbook(data))
    if args["format"] == "pdf":
        return _send_pdf(scores_document(data, ListSettings.from_config(current_app.config)))
    return data


# The files at their own address too: a client generated from the document reads one
# type per answer, so JSON and a workbook under one operation defeat it.
@blp.route("/scores/export", methods=["GET"])
@READERS
@blp.arguments(ScoresExportArgsSchema, location="query")
@blp.alt_response(404, description="org_unit_id is not in your subtree")
@blp.doc(responses=_workbook("The scores as an Excel workbook (format=xlsx, the default) or "
                             "as the PDF document with its chart (format=pdf)", pdf=True))
def export_scores(args):
    """Ranked unit and desk scores as the Excel workbook or the PDF document (as
    /scores?format=xlsx|pdf)."""
    data = service.scores(current_user, args)
    if args["format"] == "pdf":
        return _send_pdf(scores_document(data, ListSettings.from_config(current_app.config)))
    return _send_workbook(scores_workbook(data))


@blp.route("/lists")
class Lists(MethodView):
    decorators = [READERS]

    @answered_without_cycle_collection
    @blp.arguments(ListArgsSchema, location="query")
    @blp.response(200, ComputedListSchema)
    @blp.alt_response(404, description="org_unit_id is not in your subtree")
    def get(self, args):
        """The criticism or commendation list as the rules compute it now (a proposal)."""
        return service.computed_list(current_user, args, ListSettings.from_config(current_app.config))

    @require_role("leader", "admin")
    @answered_without_cycle_collection
    @blp.arguments(FreezeListSchema)
    @blp.response(201, FrozenListDetailSchema)
    @blp.alt_response(404, description="org_unit_id is not in your subtree")
    def post(self, data):
        """Freeze the list under a document number: its entries are copied as they are."""
        return service.freeze_list(current_user, data, ListSettings.from_config(current_app.config),
                                   origin=request_origin())


@blp.route("/lists/frozen", methods=["GET"])
@READERS
@blp.arguments(FrozenListQueryArgsSchema, location="query")
@blp.response(200, page_of(FrozenListSchema))
def frozen(args):
    """Frozen lists in your subtree, newest document first."""
    return keyset_page(service.frozen_lists(current_user, args), args,
                       order=service.FROZEN_LIST_ORDER, name="frozen_lists")


@blp.route("/lists/<int:list_id>", methods=["GET"])
@READERS
@blp.response(200, FrozenListDetailSchema)
def frozen_list(list_id):
    """One frozen list with its entries as signed."""
    return service.get_frozen_list(current_user, list_id)


def _send_workbook(workbook: WorkbookFile):
    # The header comes from exports/naming.py: its ASCII fallback is the hyphenated name
    # clients already save under, which send_file(download_name=...) would spell with
    # spaces instead.
    response = send_file(workbook.path, mimetype=XLSX_MIMETYPE, max_age=0)
    response.headers["Content-Disposition"] = workbook.content_disposition
    response.call_on_close(lambda: os.unlink(workbook.path))
    return response


def _send_pdf(document: PdfFile):
    return Response(document.content, mimetype=PDF_MIMETYPE,
                    headers={"Content-Disposition": document.content_disposition,
                             "Cache-Control": "no-store"})
