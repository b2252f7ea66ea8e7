"""Scoped tombstones (an object that left a store or organization) and the node's last stock snapshot time

Revision ID: 0012_scoped_tombstones
Revises: 0011_sync_enabled
Create Date: 2026-11-30 23:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_scoped_tombstones"
down_revision = "0011_sync_enabled"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tombstones", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scoped", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("scope_store_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("scope_organization_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("tombstones", schema=None) as batch_op:
        batch_op.alter_column("scoped", server_default=None)
    with op.batch_alter_table("exchange_nodes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stock_sent_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("exchange_nodes", schema=None) as batch_op:
        batch_op.drop_column("stock_sent_at")
    with op.batch_alter_table("tombstones", schema=None) as batch_op:
        batch_op.drop_column("scope_organization_id")
        batch_op.drop_column("scope_store_id")
        batch_op.drop_column("scoped")
