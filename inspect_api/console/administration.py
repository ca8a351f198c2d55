"""The administration pages: accounts, inspection teams, desk staff and desks, for
admins of a province or a commune, each cut to the admin's subtree.

Every page calls the service the API calls (auth.service, org.service, plans.service),
with the same rules, scope checks and audit events: an account, desk or staff member of
another subtree is the same 404 the API gives. The routes live on the console's `blp`;
console/setup.py imports this module before it registers the blueprint."""

from __future__ import annotations

import math
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for

from ..auth import service as accounts_service
from ..auth.models import ROLES
from ..auth.passwords import generated_password, password_hasher
from ..db import db
from ..errors import Conflict, Invalid
from ..org import service as org_service
from ..org.models import DESK_LEVELS, STAFF_CATEGORIES
from ..plans import service as plans_service
from ..requests import request_origin
from . import pages, session
from .admin_forms import (AccountActiveSchema, AccountCreateSchema, AccountFilterSchema, AccountUpdateSchema,
                          DeskCreateSchema, DeskFilterSchema, DeskUpdateSchema, StaffCreateSchema,
                          StaffFilterSchema, StaffLeftSchema, StaffMoveSchema, TeamMemberSchema, field_errors,
                          load_filters, load_form, typed_values)
from .views import blp

PER_PAGE = 50
ADMIN = session.signed_in("admin")
# Refused writes: shown again on their form with the reasons, everything else is an
# error page (404 out of scope, 403 a higher unit's plan).
REFUSED = (Invalid, Conflict)

ROLE_LABELS = {**pages.ROLE_NAMES, "unit_officer": "Cán bộ đơn vị được kiểm tra"}
CATEGORY_LABELS = {"can_bo": "Cán bộ", "cong_chuc": "Công chức", "vien_chuc": "Viên chức",
                   "hop_dong": "Hợp đồng lao động"}
LEVEL_LABELS = {"province": "Cấp tỉnh", "commune": "Cấp xã"}


@blp.context_processor
def _labels() -> dict[str, Any]:
    return {"account_roles": [(role, ROLE_LABELS[role]) for role in ROLES],
            "staff_categories": [(key, CATEGORY_LABELS[key]) for key in STAFF_CATEGORIES],
            "desk_levels": [(key, LEVEL_LABELS[key]) for key in DESK_LEVELS],
            "role_labels": ROLE_LABELS, "category_labels": CATEGORY_LABELS, "level_labels": LEVEL_LABELS}


def _pager(total: int, page: int) -> dict[str, Any]:
    """Page links keep the other filters of the query string."""
    args = {key: value for key, value in request.args.items() if key != "page" and value}
    return {"page": page, "pages": max(1, math.ceil(total / PER_PAGE)), "args": args, "total": total}


def _unit_choices(user) -> list[tuple[int, str]]:
    return [(unit.id, unit.name) for unit in org_service.current_units(user)]


def _desk_choices(user, *, active: bool | None) -> list[tuple[int, str]]:
    return [(desk.id, desk.name) for desk in org_service.list_desks(user, active=active)]


def _hasher():
    return password_hasher(current_app.config)


def _refused(error: Invalid | Conflict) -> dict[str, str]:
    db.session.rollback()
    return field_errors(error)


@blp.get("/admin/")
@ADMIN
def administration(user):
    return redirect(url_for("console.accounts"))


# --- accounts ------------------------------------------------------------------------

@blp.get("/admin/accounts")
@ADMIN
def accounts(user):
    filters = load_filters(AccountFilterSchema(), request.args)
    found, total = accounts_service.list_users(
        user, role=filters.get("role"), org_unit_id=filters.get("unit"), active=filters.get("active"),
        page=filters["page"], per_page=PER_PAGE)
    return render_template("console/admin/accounts.html", accounts=found, filters=filters,
                           pager=_pager(total, filters["page"]), units=_unit_choices(user))


def _new_account_page(user, *, typed: dict[str, str] | None = None, errors: dict[str, str] | None = None,
                      status: int = 200):
    return render_template("console/admin/account_new.html", typed=typed or {}, errors=errors or {},
                           units=_unit_choices(user)), status


@blp.route("/admin/accounts/new", methods=["GET", "POST"])
@ADMIN
def account_new(user):
    if request.method == "GET":
        return _new_account_page(user)
    try:
        data = load_form(AccountCreateSchema(), request.form)
        generated = None if data.get("password") else generated_password()
        account = accounts_service.create_user(user, {**data, "password": data.get("password") or generated},
                                               hasher=_hasher(), origin=request_origin())
    except REFUSED as error:
        return _new_account_page(user, typed=typed_values(request.form), errors=_refused(error), status=error.status)
    # Shown on this response only, never stored: reloading it cannot show it again.
    return render_template("console/admin/account_created.html", account=account, password=generated)


def _account_page(user, account_id: int, *, typed: dict[str, str] | None = None,
                  errors: dict[str, str] | None = None, status: int = 200):
    account = accounts_service.get_user(user, account_id)
    units = _unit_choices(user)
    if account.org_unit_id not in {unit_id for unit_id, _ in units}:
        # A unit abolished since: offered as it is, or saving the name would move the account.
        units.insert(0, (account.org_unit_id, f"{account.org_unit.name} (đã hết hiệu lực)"))
    return render_template("console/admin/account.html", account=account, typed=typed or {}, errors=errors or {},
                           units=units), status


@blp.get("/admin/accounts/<int:account_id>")
@ADMIN
def account(user, account_id: int):
    return _account_page(user, account_id)


@blp.post("/admin/accounts/<int:account_id>")
@ADMIN
def account_update(user, account_id: int):
    try:
        data = load_form(AccountUpdateSchema(), request.form)
        accounts_service.update_user(user, accounts_service.get_user(user, account_id), data, hasher=_hasher(),
                                     origin=request_origin())
    except REFUSED as error:
        return _account_page(user, account_id, typed=typed_values(request.form), errors=_refused(error),
                             status=error.status)
    flash("Đã lưu thay đổi tài khoản.", "success")
    return redirect(url_for("console.account", account_id=account_id), code=303)


@blp.post("/admin/accounts/<int:account_id>/active")
@ADMIN
def account_active(user, account_id: int):
    try:
        data = load_form(AccountActiveSchema(), request.form)
        accounts_service.update_user(user, accounts_service.get_user(user, account_id), data, hasher=_hasher(),
                                     origin=request_origin())
    except REFUSED as error:
        return _account_page(user, account_id, errors=_refused(error), status=error.status)
    flash("Đã mở khóa tài khoản." if data["active"] else
          "Đã khóa tài khoản: mọi phiên đăng nhập của tài khoản này đã kết thúc.", "success")
    return redirect(url_for("console.account", account_id=account_id), code=303)


@blp.post("/admin/accounts/<int:account_id>/password")
@ADMIN
def account_password(user, account_id: int):
    account = accounts_service.get_user(user, account_id)
    password = accounts_service.reset_password(user, account, hasher=_hasher(), origin=request_origin())
    return render_template("console/admin/account_created.html", account=account, password=password, reset=True)


# --- teams ---------------------------------------------------------------------------

@blp.get("/admin/teams")
@ADMIN
def teams(user):
    found = plans_service.teams_in_scope(user)
    return render_template("console/admin/teams.html", teams=[
        (team, plans_service.can_manage_team(user, team)) for team in found])


def _team_page(user, team_id: int, *, errors: dict[str, str] | None = None, status: int = 200):
    team = plans_service.get_team(user, team_id)
    inspectors, _ = accounts_service.list_users(user, role="inspector", active=True, per_page=1000)
    return render_template("console/admin/team.html", team=team, errors=errors or {},
                           manageable=plans_service.can_manage_team(user, team),
                           candidates=[(person.id, f"{person.full_name} ({person.username})")
                                       for person in inspectors if person.id not in team.member_ids]), status


@blp.get("/admin/teams/<int:team_id>")
@ADMIN
def team(user, team_id: int):
    return _team_page(user, team_id)


@blp.post("/admin/teams/<int:team_id>/members")
@ADMIN
def team_member_add(user, team_id: int):
    try:
        data = load_form(TeamMemberSchema(), request.form)
        plans_service.add_team_member(user, plans_service.get_team(user, team_id), data["user_id"],
                                      origin=request_origin())
    except REFUSED as error:
        return _team_page(user, team_id, errors=_refused(error), status=error.status)
    flash("Đã thêm kiểm tra viên vào đoàn.", "success")
    return redirect(url_for("console.team", team_id=team_id), code=303)


@blp.post("/admin/teams/<int:team_id>/members/<int:member_id>/remove")
@ADMIN
def team_member_remove(user, team_id: int, member_id: int):
    try:
        plans_service.remove_team_member(user, plans_service.get_team(user, team_id), member_id,
                                         origin=request_origin())
    except REFUSED as error:
        return _team_page(user, team_id, errors=_refused(error), status=error.status)
    flash("Đã đưa thành viên ra khỏi đoàn.", "success")
    return redirect(url_for("console.team", team_id=team_id), code=303)


@blp.post("/admin/teams/<int:team_id>/leader")
@ADMIN
def team_leader(user, team_id: int):
    try:
        data = load_form(TeamMemberSchema(), request.form)
        plans_service.update_team(user, plans_service.get_team(user, team_id), {"leader_id": data["user_id"]},
                                  origin=request_origin())
    except REFUSED as error:
        return _team_page(user, team_id, errors=_refused(error), status=error.status)
    flash("Đã đổi trưởng đoàn.", "success")
    return redirect(url_for("console.team", team_id=team_id), code=303)


# --- staff ---------------------------------------------------------------------------

@blp.get("/admin/staff")
@ADMIN
def staff_list(user):
    filters = load_filters(StaffFilterSchema(), request.args)
    found, total = org_service.list_staff(user, desk_id=filters.get("desk"), org_unit_id=filters.get("unit"),
                                          active=filters["active"], page=filters["page"], per_page=PER_PAGE)
    return render_template("console/admin/staff_list.html", staff=found, filters=filters,
                           pager=_pager(total, filters["page"]), desks=_desk_choices(user, active=None))


def _new_staff_page(user, *, typed: dict[str, str] | None = None, errors: dict[str, str] | None = None,
                    status: int = 200):
    return render_template("console/admin/staff_new.html", typed=typed or {}, errors=errors or {},
                           units=_unit_choices(user),
                           desks=_desk_choices(user, active=True)), status


@blp.route("/admin/staff/new", methods=["GET", "POST"])
@ADMIN
def staff_new(user):
    if request.method == "GET":
        return _new_staff_page(user, typed={key: request.args[key] for key in ("desk_id",) if key in request.args})
    try:
        data = load_form(StaffCreateSchema(), request.form)
        member = org_service.create_staff(user, data, origin=request_origin())
    except REFUSED as error:
        return _new_staff_page(user, typed=typed_values(request.form), errors=_refused(error), status=error.status)
    flash(f"Đã thêm {member.full_name} vào danh sách cán bộ.", "success")
    return redirect(url_for("console.staff_member", staff_id=member.id), code=303)


def _staff_page(user, staff_id: int, *, typed: dict[str, str] | None = None,
                errors: dict[str, str] | None = None, status: int = 200):
    member = org_service.get_staff(user, staff_id)
    return render_template("console/admin/staff.html", member=member, typed=typed or {}, errors=errors or {},
                           desks=_desk_choices(user, active=True),
                           today=pages.today_in_vietnam()), status


@blp.get("/admin/staff/<int:staff_id>")
@ADMIN
def staff_member(user, staff_id: int):
    return _staff_page(user, staff_id)


@blp.post("/admin/staff/<int:staff_id>/move")
@ADMIN
def staff_move(user, staff_id: int):
    try:
        data = load_form(StaffMoveSchema(), request.form)
        org_service.update_staff(user, org_service.get_staff(user, staff_id), data, origin=request_origin())
    except REFUSED as error:
        return _staff_page(user, staff_id, typed=typed_values(request.form), errors=_refused(error),
                           status=error.status)
    flash("Đã chuyển cán bộ sang Bộ phận Một cửa mới.", "success")
    return redirect(url_for("console.staff_member", staff_id=staff_id), code=303)


@blp.post("/admin/staff/<int:staff_id>/left")
@ADMIN
def staff_left(user, staff_id: int):
    try:
        data = load_form(StaffLeftSchema(), request.form)
        org_service.mark_staff_left(user, org_service.get_staff(user, staff_id), data["left_on"],
                                    origin=request_origin())
    except REFUSED as error:
        return _staff_page(user, staff_id, typed=typed_values(request.form), errors=_refused(error),
                           status=error.status)
    flash("Đã ghi nhận cán bộ nghỉ việc tại Bộ phận Một cửa.", "success")
    return redirect(url_for("console.staff_member", staff_id=staff_id), code=303)


# --- desks ---------------------------------------------------------------------------

@blp.get("/admin/desks")
@ADMIN
def desks(user):
    filters = load_filters(DeskFilterSchema(), request.args)
    return render_template("console/admin/desks.html", filters=filters, units=_unit_choices(user),
                           desks=org_service.list_desks(user, org_unit_id=filters.get("unit"),
                                                        active=filters.get("active")))


def _new_desk_page(user, *, typed: dict[str, str] | None = None, errors: dict[str, str] | None = None,
                   status: int = 200):
    return render_template("console/admin/desk_new.html", typed=typed or {}, errors=errors or {},
                           units=_unit_choices(user)), status


@blp.route("/admin/desks/new", methods=["GET", "POST"])
@ADMIN
def desk_new(user):
    if request.method == "GET":
        return _new_desk_page(user)
    try:
        data = load_form(DeskCreateSchema(), request.form)
        desk = org_service.create_desk(user, data, origin=request_origin())
    except REFUSED as error:
        return _new_desk_page(user, typed=typed_values(request.form), errors=_refused(error), status=error.status)
    flash(f"Đã thêm {desk.name}.", "success")
    return redirect(url_for("console.desk", desk_id=desk.id), code=303)


def _desk_page(user, desk_id: int, *, typed: dict[str, str] | None = None,
               errors: dict[str, str] | None = None, status: int = 200):
    desk = org_service.get_desk(user, desk_id)
    serving, _ = org_service.list_staff(user, desk_id=desk.id, per_page=1000)
    return render_template("console/admin/desk.html", desk=desk, typed=typed, errors=errors or {},
                           staff=serving), status


@blp.get("/admin/desks/<int:desk_id>")
@ADMIN
def desk(user, desk_id: int):
    return _desk_page(user, desk_id)


@blp.post("/admin/desks/<int:desk_id>")
@ADMIN
def desk_update(user, desk_id: int):
    try:
        data = load_form(DeskUpdateSchema(), request.form)
        org_service.update_desk(user, org_service.get_desk(user, desk_id), data, origin=request_origin())
    except REFUSED as error:
        return _desk_page(user, desk_id, typed=typed_values(request.form), errors=_refused(error),
                          status=error.status)
    flash("Đã lưu thông tin Bộ phận Một cửa.", "success")
    return redirect(url_for("console.desk", desk_id=desk_id), code=303)
