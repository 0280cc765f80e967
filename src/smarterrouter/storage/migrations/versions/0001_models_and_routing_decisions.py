"""Models and routing decisions.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.create_table(
        "models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=512), nullable=False),
        sa.Column("backend", sa.String(length=128), nullable=False),
        sa.Column("native_name", sa.String(length=512), nullable=False),
        sa.Column("family", sa.String(length=128), nullable=True),
        sa.Column("parameter_count_b", sa.Float(), nullable=True),
        sa.Column("quantization", sa.String(length=64), nullable=True),
        sa.Column("context_length", sa.Integer(), nullable=True),
        sa.Column("capabilities", sa.JSON(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("digest", sa.String(length=128), nullable=True),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_models")),
        sa.UniqueConstraint("name", name=op.f("uq_models_name")),
    )
    op.create_table(
        "routing_decisions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=False),
        sa.Column("prompt_hash", sa.String(length=64), nullable=False),
        sa.Column("requested_model", sa.String(length=512), nullable=False),
        sa.Column("chosen_model", sa.String(length=512), nullable=True),
        sa.Column("backend", sa.String(length=128), nullable=True),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("difficulty", sa.String(length=64), nullable=True),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("fallbacks", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("cached", sa.Boolean(), nullable=False),
        sa.CheckConstraint("status IN ('ok', 'error')", name=op.f("ck_routing_decisions_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_decisions")),
    )
    op.create_index("ix_routing_decisions_created_at", "routing_decisions", ["created_at"])
    op.create_index("ix_routing_decisions_prompt_hash", "routing_decisions", ["prompt_hash"])
    op.create_index("ix_routing_decisions_request_id", "routing_decisions", ["request_id"])


def downgrade() -> None:
    op.drop_table("routing_decisions")
    op.drop_table("models")
