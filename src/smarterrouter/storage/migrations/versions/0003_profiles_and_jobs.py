"""Model profiles (history kept) and profiling jobs.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.create_table(
        "profiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=512), nullable=False),
        sa.Column("backend", sa.String(length=128), nullable=False),
        sa.Column("identity", sa.String(length=1024), nullable=False),
        sa.Column("prompt_set_version", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("speed", sa.JSON(), nullable=True),
        sa.Column("memory", sa.JSON(), nullable=True),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.CheckConstraint("status IN ('ok', 'failed')", name=op.f("ck_profiles_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_profiles")),
    )
    op.create_index("ix_profiles_model_created_at", "profiles", ["model", "created_at"])
    op.create_table(
        "profile_jobs",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("force", sa.Boolean(), nullable=False),
        sa.Column("models", sa.JSON(), nullable=False),
        sa.CheckConstraint(
            "state IN ('running', 'done', 'cancelled', 'interrupted')",
            name=op.f("ck_profile_jobs_state"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_profile_jobs")),
    )


def downgrade() -> None:
    op.drop_table("profile_jobs")
    op.drop_index("ix_profiles_model_created_at", table_name="profiles")
    op.drop_table("profiles")
