"""«Синхронизация данных» on/off per infobase

Revision ID: 0011_sync_enabled
Revises: 0010_catalog_extras
Create Date: 2026-11-30 21:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_sync_enabled"
down_revision = "0010_catalog_extras"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("infobases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sync_enabled", sa.Boolean(), nullable=False, server_default=sa.true()))
    with op.batch_alter_table("infobases", schema=None) as batch_op:
        batch_op.alter_column("sync_enabled", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("infobases", schema=None) as batch_op:
        batch_op.drop_column("sync_enabled")
