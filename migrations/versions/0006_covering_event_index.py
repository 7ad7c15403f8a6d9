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

TABLE = "access_events"
NAME = "ix_access_events_kind_at"
BUILDING = "ix_access_events_kind_at_new"


def _replace_on_postgresql(include: list[str] | None) -> None:
    # access_events takes a row per download and module open: a plain CREATE
    # INDEX would block those writes for the whole build. CONCURRENTLY cannot
    # run in a transaction, hence the autocommit block; the new index is
    # built beside the old one, so reports keep theirs until the swap.
    with op.get_context().autocommit_block():
        op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {BUILDING}")  # left INVALID by a failed run
        op.create_index(
            BUILDING,
            TABLE,
            ["kind", "at"],
            postgresql_include=include or [],
            postgresql_concurrently=True,
        )
        op.drop_index(NAME, table_name=TABLE, postgresql_concurrently=True)
        op.execute(f"ALTER INDEX {BUILDING} RENAME TO {NAME}")


def upgrade():
    if op.get_context().dialect.name == "postgresql":
        # PostgreSQL keeps material and user in the index (index-only scans
        # for usage reports).
        _replace_on_postgresql(["material_id", "user_id"])
        return
    # SQLite ignores the INCLUDE part and keeps the plain (kind, at) index.
    op.drop_index(NAME, table_name=TABLE)
    op.create_index(NAME, TABLE, ["kind", "at"], postgresql_include=["material_id", "user_id"])


def downgrade():
    if op.get_context().dialect.name == "postgresql":
        _replace_on_postgresql(None)
        return
    op.drop_index(NAME, table_name=TABLE)
    op.create_index(NAME, TABLE, ["kind", "at"])
