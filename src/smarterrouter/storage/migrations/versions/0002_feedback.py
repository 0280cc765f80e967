"""Feedback on answers, and the response id that lets a client name an answer.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.add_column(
        "routing_decisions", sa.Column("response_id", sa.String(length=128), nullable=True)
    )
    op.create_index("ix_routing_decisions_response_id", "routing_decisions", ["response_id"])
    op.create_table(
        "feedback",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("response_id", sa.String(length=128), nullable=True),
        sa.Column("model", sa.String(length=512), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.CheckConstraint("score >= -1 AND score <= 1", name=op.f("ck_feedback_score")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
    )
    op.create_index("ix_feedback_model_category", "feedback", ["model", "category"])


def downgrade() -> None:
    op.drop_table("feedback")
    op.drop_index("ix_routing_decisions_response_id", table_name="routing_decisions")
    with op.batch_alter_table("routing_decisions") as batch:
        batch.drop_column("response_id")
