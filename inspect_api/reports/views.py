"""Scores, lists, frozen lists and their Excel files, for leaders and reviewers."""

import os

from flask import current_app, send_file
from flask.views import MethodView
from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from ..api import BINARY, OCTET_STREAM, XLSX_MIMETYPE, response_headers
from ..guard import require_role
from ..pagination import keyset_page, page_of
from ..requests import request_origin
from . import service
from .exports import WorkbookFile, scores_workbook
from .list_rules import ListSettings
from .schemas import (
    ComputedListSchema, FreezeListSchema, FrozenListDetailSchema, FrozenListQueryArgsSchema,
    FrozenListSchema, ListArgsSchema, PeriodArgsSchema, ScoresArgsSchema, ScoresSchema,
)

blp = Blueprint("reports", __name__, url_prefix="/api/v1/reports",
                description="Điểm đánh giá và danh sách đề nghị")

READERS = require_role("leader", "reviewer", "admin")


def _workbook(description: str) -> dict:
    # octet-stream beside the workbook's type: the one generators read raw bytes under.
    return {"200": {"description": description,
                    "content": {XLSX_MIMETYPE: {"schema": BINARY}, OCTET_STREAM: {"schema": BINARY}},
                    "headers": response_headers("ContentDisposition")}}


@blp.route("/scores", methods=["GET"])
@READERS
@blp.arguments(ScoresArgsSchema, location="query")
@blp.response(200, ScoresSchema)
@blp.alt_response(404, description="org_unit_id is not in your subtree")
@blp.doc(**{"x-also-xlsx": True})
def scores(args):
    """Ranked unit and desk scores over approved visits (format=xlsx for the workbook;
    a generated client calls exportScores for it)."""
    data = service.scores(current_user, args)
    if args["format"] == "xlsx":
        return _send_workbook(scores_workbook(data))
    return data


# The workbook at its own address too: a client generated from the document reads one
# type per answer, so JSON and a workbook under one operation defeat it.
@blp.route("/scores/export", methods=["GET"])
@READERS
@blp.arguments(PeriodArgsSchema, location="query")
@blp.alt_response(404, description="org_unit_id is not in your subtree")
@blp.doc(responses=_workbook("The scores as an Excel workbook"))
def export_scores(args):
    """Ranked unit and desk scores as the Excel workbook (as /scores?format=xlsx)."""
    return _send_workbook(scores_workbook(service.scores(current_user, args)))


@blp.route("/lists")
class Lists(MethodView):
    decorators = [READERS]

    @blp.arguments(ListArgsSchema, location="query")
    @blp.response(200, ComputedListSchema)
    @blp.alt_response(404, description="org_unit_id is not in your subtree")
    def get(self, args):
        """The criticism or commendation list as the rules compute it now (a proposal)."""
        return service.computed_list(current_user, args, ListSettings.from_config(current_app.config))

    @require_role("leader", "admin")
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
