"""verify throttle: requests to the public /verify pages per client and minute

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 12:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "verify_throttle",
        sa.Column("client", sa.String(length=32), nullable=False),
        sa.Column("minute", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("client", "minute", name=op.f("pk_verify_throttle")),
    )
    op.create_index(op.f("ix_verify_throttle_minute"), "verify_throttle", ["minute"])


def downgrade():
    op.drop_index(op.f("ix_verify_throttle_minute"), table_name="verify_throttle")
    op.drop_table("verify_throttle")
