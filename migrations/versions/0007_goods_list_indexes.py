"""indexes for the back office's goods list: by name (paging), by code and by article (exact search)

Revision ID: 0007_goods_list_indexes
Revises: 0006_user_roles
Create Date: 2026-11-30 20:30:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0007_goods_list_indexes"
down_revision = "0006_user_roles"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.create_index("ix_products_infobase_name", ["infobase_id", "name", "id"], unique=False)
        batch_op.create_index("ix_products_infobase_code", ["infobase_id", "code"], unique=False)
        batch_op.create_index("ix_products_infobase_article", ["infobase_id", "article"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_index("ix_products_infobase_article")
        batch_op.drop_index("ix_products_infobase_code")
        batch_op.drop_index("ix_products_infobase_name")
