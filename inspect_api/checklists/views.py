"""Checklist templates: read by everyone in scope, drafted and published by admins."""

from flask.views import MethodView
from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from ..guard import require_role
from ..fields import id_field
from ..pagination import feed_of, feed_response
from ..requests import request_origin
from . import service
from .schemas import (
    ChecklistConflictProblemSchema, ChecklistDetailSchema, ChecklistQueryArgsSchema, ChecklistSchema,
    ChecklistUpdateSchema,
)

blp = Blueprint("checklists", __name__, url_prefix="/api/v1/checklists",
                description="Bộ tiêu chí kiểm tra (có phiên bản)")

ADMIN = require_role("admin")


@blp.route("")
class Checklists(MethodView):
    decorators = [require_role()]

    @blp.arguments(ChecklistQueryArgsSchema, location="query")
    @blp.response(200, feed_of(ChecklistSchema, id_field()))
    def get(self, args):
        """Published checklist versions that apply to your unit (admins also see drafts); sync with the cursor."""
        return feed_response(service.pull_checklists, current_user, args, "checklists")

    @ADMIN
    @blp.arguments(ChecklistDetailSchema)
    @blp.response(201, ChecklistDetailSchema)
    def post(self, data):
        """Create a draft: the next version of its code (admin)."""
        return service.create_checklist(current_user, data, origin=request_origin())


@blp.route("/<int:checklist_id>")
class ChecklistById(MethodView):
    decorators = [require_role()]

    @blp.response(200, ChecklistDetailSchema)
    def get(self, checklist_id):
        """One checklist version with its criteria in order."""
        return service.get_checklist(current_user, checklist_id)

    @ADMIN
    @blp.arguments(ChecklistUpdateSchema)
    @blp.response(200, ChecklistDetailSchema)
    @blp.alt_response(409, schema=ChecklistConflictProblemSchema,
                      description="Published: it can no longer change")
    @blp.alt_response(403, description="Owned by a unit above yours")
    def patch(self, data, checklist_id):
        """Change a draft's title or criteria (admin)."""
        template = service.get_checklist(current_user, checklist_id)
        return service.update_checklist(current_user, template, data, origin=request_origin())


@blp.route("/<int:checklist_id>/publish", methods=["POST"])
@ADMIN
@blp.response(200, ChecklistDetailSchema)
@blp.alt_response(409, schema=ChecklistConflictProblemSchema, description="Already published")
@blp.alt_response(403, description="Owned by a unit above yours")
def publish(checklist_id):
    """Publish a draft; from then on it never changes and visits can pin it (admin)."""
    template = service.get_checklist(current_user, checklist_id)
    return service.publish_checklist(current_user, template, origin=request_origin())
