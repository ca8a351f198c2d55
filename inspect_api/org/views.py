"""Reference data for the tablet: org units, desks, staff (reads for all, writes for admins)."""

from flask.views import MethodView
from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from ..guard import require_role
from ..fields import id_field
from ..pagination import feed_of, feed_response
from ..requests import request_origin
from . import service
from .schemas import (
    DeskQueryArgsSchema, DeskSchema, DeskUpdateSchema, OrgUnitQueryArgsSchema, OrgUnitSchema,
    OrgUnitUpdateSchema, StaffQueryArgsSchema, StaffSchema, StaffUpdateSchema,
)

org_units_blp = Blueprint("org_units", __name__, url_prefix="/api/v1/org-units",
                          description="Đơn vị hành chính (cây đơn vị)")
desks_blp = Blueprint("desks", __name__, url_prefix="/api/v1/desks",
                      description="Bộ phận Một cửa")
staff_blp = Blueprint("staff", __name__, url_prefix="/api/v1/staff",
                      description="Cán bộ, công chức tại Bộ phận Một cửa")

ADMIN = require_role("admin")
ANY_ROLE = require_role()


@org_units_blp.route("")
class OrgUnits(MethodView):
    decorators = [ANY_ROLE]

    @org_units_blp.arguments(OrgUnitQueryArgsSchema, location="query")
    @org_units_blp.response(200, feed_of(OrgUnitSchema, id_field()))
    def get(self, args):
        """Org units in your subtree; sync with the cursor (see the README)."""
        return feed_response(service.pull_org_units, current_user, args, "org_units")

    @ADMIN
    @org_units_blp.arguments(OrgUnitSchema)
    @org_units_blp.response(201, OrgUnitSchema)
    @org_units_blp.alt_response(409, description="Code taken")
    def post(self, data):
        """Add an org unit under a parent in your subtree (admin)."""
        return service.create_org_unit(current_user, data, origin=request_origin())


@org_units_blp.route("/<int:unit_id>")
class OrgUnitById(MethodView):
    decorators = [ANY_ROLE]

    @org_units_blp.response(200, OrgUnitSchema)
    def get(self, unit_id):
        """One org unit."""
        return service.get_org_unit(current_user, unit_id)

    @ADMIN
    @org_units_blp.arguments(OrgUnitUpdateSchema)
    @org_units_blp.response(200, OrgUnitSchema)
    @org_units_blp.alt_response(409, description="Code taken")
    def patch(self, data, unit_id):
        """Change an org unit (admin); a new parent moves its subtree."""
        unit = service.get_org_unit(current_user, unit_id)
        return service.update_org_unit(current_user, unit, data, origin=request_origin())


@desks_blp.route("")
class Desks(MethodView):
    decorators = [ANY_ROLE]

    @desks_blp.arguments(DeskQueryArgsSchema, location="query")
    @desks_blp.response(200, feed_of(DeskSchema, id_field()))
    def get(self, args):
        """Open one-stop desks in your subtree (closed ones with active=false); sync with the cursor."""
        return feed_response(service.pull_desks, current_user, args, "desks")

    @ADMIN
    @desks_blp.arguments(DeskSchema)
    @desks_blp.response(201, DeskSchema)
    @desks_blp.alt_response(409, description="Code taken")
    def post(self, data):
        """Add a desk (admin)."""
        return service.create_desk(current_user, data, origin=request_origin())


@desks_blp.route("/<int:desk_id>")
class DeskById(MethodView):
    decorators = [ANY_ROLE]

    @desks_blp.response(200, DeskSchema)
    def get(self, desk_id):
        """One desk."""
        return service.get_desk(current_user, desk_id)

    @ADMIN
    @desks_blp.arguments(DeskUpdateSchema)
    @desks_blp.response(200, DeskSchema)
    @desks_blp.alt_response(409, description="Code taken")
    def patch(self, data, desk_id):
        """Change a desk (admin); set active=false to retire it."""
        return service.update_desk(current_user, service.get_desk(current_user, desk_id), data, origin=request_origin())


@staff_blp.route("")
class StaffList(MethodView):
    decorators = [ANY_ROLE]

    @staff_blp.arguments(StaffQueryArgsSchema, location="query")
    @staff_blp.response(200, feed_of(StaffSchema, id_field()))
    def get(self, args):
        """Serving staff in your subtree (those who left with active=false); sync with the cursor."""
        return feed_response(service.pull_staff, current_user, args, "staff")

    @ADMIN
    @staff_blp.arguments(StaffSchema)
    @staff_blp.response(201, StaffSchema)
    @staff_blp.alt_response(409, description="Employee code taken")
    def post(self, data):
        """Add a staff member (admin)."""
        return service.create_staff(current_user, data, origin=request_origin())


@staff_blp.route("/<int:staff_id>")
class StaffById(MethodView):
    decorators = [ANY_ROLE]

    @staff_blp.response(200, StaffSchema)
    def get(self, staff_id):
        """One staff member."""
        return service.get_staff(current_user, staff_id)

    @ADMIN
    @staff_blp.arguments(StaffUpdateSchema)
    @staff_blp.response(200, StaffSchema)
    @staff_blp.alt_response(409, description="Employee code taken")
    def patch(self, data, staff_id):
        """Change a staff member (admin); set active=false when they leave."""
        staff = service.get_staff(current_user, staff_id)
        return service.update_staff(current_user, staff, data, origin=request_origin())
