"""covering index for usage reports

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 07:15:00

"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    # PostgreSQL keeps material and user in the index (index-only scans for usage reports);
    # SQLite ignores the INCLUDE part and keeps the plain (kind, at) index.
    op.drop_index("ix_access_events_kind_at", table_name="access_events")
    op.create_index(
        "ix_access_events_kind_at",
        "access_events",
        ["kind", "at"],
        postgresql_include=["material_id", "user_id"],
    )


def downgrade():
    op.drop_index("ix_access_events_kind_at", table_name="access_events")
    op.create_index("ix_access_events_kind_at", "access_events", ["kind", "at"])
