"""corrections (khắc phục): the fixes approved failures require, their reports, checks
and photos; and the unit_officer role

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 01:00:00

Each failing finding of an approved visit becomes a correction with a deadline by
severity; the inspected unit (a new role, unit_officer) reports it with photos; a reviewer
or the next visit's inspector checks it (issue 11). Reports and checks are rows of their
own, never overwritten. Overdue is derived from the deadline, never stored. Corrections
are a sync feed (sync_seq, like visits). Visits approved before this revision get no
corrections: their deadlines would be invented after the fact.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

OLD_ROLES = "role IN ('inspector', 'reviewer', 'leader', 'admin')"
NEW_ROLES = "role IN ('inspector', 'reviewer', 'leader', 'admin', 'unit_officer')"


def _change_roles(old: str, new: str) -> None:
    """PostgreSQL: replace the CHECK. SQLite can only change a CHECK by copying the table
    and dropping the old one, which every visit, photo and event refers to (refused
    with foreign keys on, and a migration runs inside a transaction where they cannot be
    turned off). A CHECK does not change how rows are stored, so SQLite's documented way
    for such changes is used: edit the table's definition in sqlite_schema and bump the
    schema version (https://www.sqlite.org/lang_altertable.html#otheralter)."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        with op.batch_alter_table('users') as batch_op:
            batch_op.drop_constraint(op.f('ck_users_role'), type_='check')
            batch_op.create_check_constraint('role', new)
        return
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    changed = bind.execute(sa.text("UPDATE sqlite_master SET sql = replace(sql, :old, :new) "
                                   "WHERE type = 'table' AND name = 'users' AND instr(sql, :old) > 0"),
                           {"old": old, "new": new}).rowcount
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")
    if changed != 1:
        raise RuntimeError("the users table's role CHECK is not as expected; change it by hand")


def upgrade():
    _change_roles(OLD_ROLES, NEW_ROLES)

    op.create_table('corrections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('finding_id', sa.Uuid(), nullable=False),
    sa.Column('visit_id', sa.Uuid(), nullable=False),
    sa.Column('desk_id', sa.Integer(), nullable=False),
    sa.Column('org_unit_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('criterion_id', sa.Integer(), nullable=False),
    sa.Column('criterion_code', sa.String(length=20), nullable=False),
    sa.Column('criterion_text', sa.Text(), nullable=False),
    sa.Column('finding_note', sa.Text(), nullable=True),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('approved_on', sa.Date(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('withdrawn_reason', sa.String(length=20), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=False),
    sa.Column('sync_seq', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("severity IN ('minor', 'major', 'critical')", name=op.f('ck_corrections_severity')),
    sa.CheckConstraint("status IN ('open', 'reported', 'verified', 'not_fixed', 'withdrawn')",
                       name=op.f('ck_corrections_status')),
    sa.CheckConstraint("withdrawn_reason IS NULL OR withdrawn_reason IN ('voided', 'not_failing')",
                       name=op.f('ck_corrections_withdrawn_reason')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_corrections_created_by_id_users')),
    sa.ForeignKeyConstraint(['criterion_id'], ['criteria.id'], name=op.f('fk_corrections_criterion_id_criteria')),
    sa.ForeignKeyConstraint(['desk_id'], ['desks.id'], name=op.f('fk_corrections_desk_id_desks')),
    sa.ForeignKeyConstraint(['finding_id'], ['findings.id'], name=op.f('fk_corrections_finding_id_findings'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_unit_id'], ['org_units.id'], name=op.f('fk_corrections_org_unit_id_org_units')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_corrections_staff_id_staff')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_corrections_updated_by_id_users')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_corrections_visit_id_visits'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_corrections')),
    sa.UniqueConstraint('finding_id', name=op.f('uq_corrections_finding_id'))
    )
    with op.batch_alter_table('corrections') as batch_op:
        batch_op.create_index(batch_op.f('ix_corrections_deadline'), ['deadline'], unique=False)
        batch_op.create_index(batch_op.f('ix_corrections_desk_id'), ['desk_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_corrections_org_unit_id'), ['org_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_corrections_staff_id'), ['staff_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_corrections_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_corrections_updated_at'), ['updated_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_corrections_visit_id'), ['visit_id'], unique=False)
        batch_op.create_index('ix_corrections_sync', ['sync_seq', 'id'], unique=False)

    op.create_table('correction_reports',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('correction_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reported_by_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['correction_id'], ['corrections.id'],
                            name=op.f('fk_correction_reports_correction_id_corrections'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reported_by_id'], ['users.id'], name=op.f('fk_correction_reports_reported_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_correction_reports'))
    )
    with op.batch_alter_table('correction_reports') as batch_op:
        batch_op.create_index(batch_op.f('ix_correction_reports_correction_id'), ['correction_id'], unique=False)

    op.create_table('correction_verifications',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('correction_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('visit_id', sa.Uuid(), nullable=True),
    sa.Column('status_after', sa.String(length=12), nullable=False),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('verified_by_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("method IN ('review', 'recheck')", name=op.f('ck_correction_verifications_method')),
    sa.CheckConstraint("outcome IN ('accept', 'recheck', 'fixed', 'not_fixed')",
                       name=op.f('ck_correction_verifications_outcome')),
    sa.ForeignKeyConstraint(['correction_id'], ['corrections.id'],
                            name=op.f('fk_correction_verifications_correction_id_corrections'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['verified_by_id'], ['users.id'],
                            name=op.f('fk_correction_verifications_verified_by_id_users')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_correction_verifications_visit_id_visits'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_correction_verifications'))
    )
    with op.batch_alter_table('correction_verifications') as batch_op:
        batch_op.create_index(batch_op.f('ix_correction_verifications_correction_id'), ['correction_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_correction_verifications_visit_id'), ['visit_id'], unique=False)

    op.create_table('correction_photos',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('correction_id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Uuid(), nullable=True),
    sa.Column('verification_id', sa.Uuid(), nullable=True),
    sa.Column('object_key', sa.String(length=300), nullable=False),
    sa.Column('thumbnail_key', sa.String(length=300), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('content_type', sa.String(length=50), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('taken_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('gps_lat', sa.Float(), nullable=True),
    sa.Column('gps_lon', sa.Float(), nullable=True),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('report_id IS NULL OR verification_id IS NULL', name=op.f('ck_correction_photos_one_owner')),
    sa.ForeignKeyConstraint(['correction_id'], ['corrections.id'],
                            name=op.f('fk_correction_photos_correction_id_corrections'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['report_id'], ['correction_reports.id'],
                            name=op.f('fk_correction_photos_report_id_correction_reports')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_correction_photos_uploaded_by_id_users')),
    sa.ForeignKeyConstraint(['verification_id'], ['correction_verifications.id'],
                            name=op.f('fk_correction_photos_verification_id_correction_verifications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_correction_photos')),
    sa.UniqueConstraint('object_key', name=op.f('uq_correction_photos_object_key')),
    sa.UniqueConstraint('thumbnail_key', name=op.f('uq_correction_photos_thumbnail_key'))
    )
    with op.batch_alter_table('correction_photos') as batch_op:
        batch_op.create_index(batch_op.f('ix_correction_photos_correction_id'), ['correction_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_correction_photos_report_id'), ['report_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_correction_photos_verification_id'), ['verification_id'], unique=False)


def downgrade():
    op.drop_table('correction_photos')
    op.drop_table('correction_verifications')
    op.drop_table('correction_reports')
    op.drop_table('corrections')
    # Accounts of the new role cannot pass the old constraint, and no other role is
    # theirs to take: refuse rather than guess.
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT count(*) FROM users WHERE role = 'unit_officer'")).scalar():
        raise RuntimeError("unit_officer accounts exist; remove or change them before downgrading below 0010")
    _change_roles(NEW_ROLES, OLD_ROLES)
