"""Workbench sessions kept server-side, so logging out ends a session for good.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("sid_hash", sa.String(64), primary_key=True),
        sa.Column("username", sa.String(128), nullable=False, index=True),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("ended_at", sa.String(32), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("web_sessions")
