"""Inspection plans and their teams."""

from flask.views import MethodView
from flask_jwt_extended import current_user, jwt_required
from flask_smorest import Blueprint

from ..auth.schemas import MeSchema
from ..auth.service import describe_me
from ..auth.views import blp as auth_blp
from ..guard import require_role
from ..fields import id_field
from ..pagination import feed_of, feed_response
from ..requests import request_origin
from . import service
from .schemas import PlanQueryArgsSchema, PlanSchema, PlanUpdateSchema, TeamSchema, TeamUpdateSchema

blp = Blueprint("plans", __name__, url_prefix="/api/v1/plans", description="Kế hoạch kiểm tra")
teams_blp = Blueprint("teams", __name__, url_prefix="/api/v1/teams", description="Đoàn kiểm tra")

ADMIN = require_role("admin")


# GET /auth/me lives on the auth blueprint but here: the account comes with its teams,
# and plans build on auth (a team's members are users), not the other way round.
@auth_blp.route("/me", methods=["GET"])
@jwt_required()
@auth_blp.response(200, MeSchema)
@auth_blp.alt_response(401, description="Token missing, expired or revoked")
@auth_blp.doc(security=[{"bearerAuth": []}])
def me():
    """The caller: role, org unit and teams (with their assigned desks) to sync."""
    return describe_me(current_user, service.teams_of(current_user))


@blp.route("")
class Plans(MethodView):
    decorators = [require_role()]

    @blp.arguments(PlanQueryArgsSchema, location="query")
    @blp.response(200, feed_of(PlanSchema, id_field()))
    def get(self, args):
        """Plans that cover your unit or lie in your subtree, with their teams; sync with the cursor."""
        return feed_response(service.pull_plans, current_user, args, "plans")

    @ADMIN
    @blp.arguments(PlanSchema)
    @blp.response(201, PlanSchema)
    @blp.alt_response(409, description="Decision number taken")
    def post(self, data):
        """Create a plan (admin)."""
        return service.create_plan(current_user, data, origin=request_origin())


@blp.route("/<int:plan_id>")
class PlanById(MethodView):
    decorators = [require_role()]

    @blp.response(200, PlanSchema)
    def get(self, plan_id):
        """One plan with its teams."""
        return service.get_plan(current_user, plan_id)

    @ADMIN
    @blp.arguments(PlanUpdateSchema)
    @blp.response(200, PlanSchema)
    @blp.alt_response(409, description="Decision number taken")
    def patch(self, data, plan_id):
        """Change a plan (admin)."""
        return service.update_plan(current_user, service.get_plan(current_user, plan_id), data, origin=request_origin())


@blp.route("/<int:plan_id>/teams")
class PlanTeams(MethodView):
    decorators = [require_role()]

    @blp.response(200, TeamSchema(many=True))
    def get(self, plan_id):
        """The plan's teams, with members and assigned desks."""
        return service.get_plan(current_user, plan_id).teams

    @ADMIN
    @blp.arguments(TeamSchema)
    @blp.response(201, TeamSchema)
    def post(self, data, plan_id):
        """Add a team: inspectors as members, a leader among them, assigned desks (admin)."""
        return service.create_team(current_user, service.get_plan(current_user, plan_id), data, origin=request_origin())


@teams_blp.route("/<int:team_id>")
class TeamById(MethodView):
    decorators = [require_role()]

    @teams_blp.response(200, TeamSchema)
    def get(self, team_id):
        """One team."""
        return service.get_team(current_user, team_id)

    @ADMIN
    @teams_blp.arguments(TeamUpdateSchema)
    @teams_blp.response(200, TeamSchema)
    def patch(self, data, team_id):
        """Change a team's name, members, leader or desks (admin)."""
        return service.update_team(current_user, service.get_team(current_user, team_id), data, origin=request_origin())
