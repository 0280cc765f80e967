"""Queries for feedback and for the statistics of past decisions (run in a Session)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from statistics import median
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smarterrouter.storage.records import Feedback, FeedbackTotal
from smarterrouter.storage.tables import DecisionRow, FeedbackRow


def rated_decision(session: Session, response_id: str) -> tuple[str, str | None] | None:
    """(model, category) of the answer with this response id, or None."""
    row = session.execute(
        select(DecisionRow.chosen_model, DecisionRow.category)
        .where(DecisionRow.response_id == response_id, DecisionRow.chosen_model.is_not(None))
        .order_by(DecisionRow.id.desc())
        .limit(1)
    ).first()
    return None if row is None or row[0] is None else (row[0], row[1])


def add_feedback(session: Session, feedback: Feedback) -> None:
    session.add(
        FeedbackRow(
            created_at=feedback.created_at,
            response_id=feedback.response_id,
            model=feedback.model,
            category=feedback.category,
            score=feedback.score,
            comment=feedback.comment,
        )
    )


def feedback_totals(session: Session) -> list[FeedbackTotal]:
    rows = session.execute(
        select(
            FeedbackRow.model, FeedbackRow.category, func.count(), func.sum(FeedbackRow.score)
        ).group_by(FeedbackRow.model, FeedbackRow.category)
    )
    return [FeedbackTotal(m, c, int(n), float(t or 0.0)) for m, c, n, t in rows]


def decision_stats(session: Session, since: datetime) -> dict[str, Any]:
    """Requests per category, difficulty and model since `since`, with fallbacks,
    cache outcomes, errors and latency per model."""
    rows = session.execute(
        select(
            DecisionRow.category,
            DecisionRow.difficulty,
            DecisionRow.chosen_model,
            DecisionRow.status,
            DecisionRow.latency_ms,
            DecisionRow.fallbacks,
            DecisionRow.cached,
        ).where(DecisionRow.created_at >= since)
    ).all()
    latencies: defaultdict[str, list[float]] = defaultdict(list)
    for row in rows:
        latencies[row.chosen_model or "(none)"].append(row.latency_ms)
    return {
        "requests": len(rows),
        "errors": sum(1 for r in rows if r.status == "error"),
        "with_fallbacks": sum(1 for r in rows if r.fallbacks),
        "cache": {
            "hit": sum(1 for r in rows if r.cached),
            "miss": sum(1 for r in rows if not r.cached),
        },
        "by_category": dict(Counter(r.category or "(named model)" for r in rows)),
        "by_difficulty": dict(Counter(r.difficulty or "(named model)" for r in rows)),
        "by_model": {
            model: {
                "requests": len(values),
                "latency_ms_p50": round(median(values), 1),
                "latency_ms_max": round(max(values), 1),
            }
            for model, values in sorted(latencies.items())
        },
    }
