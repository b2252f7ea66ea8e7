"""user roles and the disabled flag

Revision ID: 0006_user_roles
Revises: 0005_text_lengths_from_xsd
Create Date: 2026-11-30 20:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_user_roles"
down_revision = "0005_text_lengths_from_xsd"
branch_labels = None
depends_on = None

_ROLE = sa.Enum("administrator", "cashier", name="userrole", native_enum=False, length=40)


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("role", _ROLE, nullable=False, server_default="cashier"))
        batch_op.add_column(sa.Column("disabled", sa.Boolean(), nullable=False, server_default=sa.false()))
    # a user who was not a cashier was the back office's administrator
    op.execute("UPDATE users SET role = 'administrator' WHERE NOT is_cashier")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("role", server_default=None)
        batch_op.alter_column("disabled", server_default=None)
        batch_op.drop_column("is_cashier")


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("is_cashier", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.execute("UPDATE users SET is_cashier = (role = 'cashier')")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("is_cashier", server_default=None)
        batch_op.drop_column("disabled")
        batch_op.drop_column("role")
