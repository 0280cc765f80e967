"""Routing on a synthetic pool: does each labelled prompt get a big enough model,
and not a far bigger one than it needs?

Used by routing_eval.py. The pool is a typical home setup: general models of
0.5B, 3B, 8B, 14B and 70B, a 7B coder and an 11B vision model. For every prompt
the router decides as it would for a request (classifier, then scoring at the
given quality preference); the choice is judged against the prompt's TRUE
labels: it meets the minimum size for its category and difficulty, or it is
"far bigger than needed" when more than FAR_BIGGER times the smallest pool
model that meets that minimum.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from smarterrouter.backends.base import Capability, ModelInfo
from smarterrouter.routing.policy import RoutedModel, Snapshot, decide
from smarterrouter.routing.scoring import MIN_SIZE_B
from smarterrouter.routing.signals import classify

FAR_BIGGER = 4.0
POOL_SPEC: tuple[tuple[str, float, str, tuple[Capability, ...]], ...] = (
    ("qwen2.5:0.5b", 0.5, "qwen2", ("chat",)),
    ("llama3.2:3b", 3.2, "llama", ("chat", "tools")),
    ("llama3.1:8b", 8.0, "llama", ("chat", "tools")),
    ("qwen2.5:14b", 14.8, "qwen2", ("chat", "tools")),
    ("llama3.3:70b", 70.6, "llama", ("chat", "tools")),
    ("qwen2.5-coder:7b", 7.6, "qwen2", ("chat", "tools")),
    ("llama3.2-vision:11b", 10.7, "mllama", ("chat", "vision")),
)


def synthetic_pool() -> Snapshot:
    models = tuple(
        RoutedModel(
            name,
            "pool",
            ModelInfo(
                name=name,
                backend="pool",
                family=family,
                parameter_count_b=size,
                context_length=32768,
                capabilities=frozenset(caps),
            ),
        )
        for name, size, family, caps in POOL_SPEC
    )
    return Snapshot(models=models)


@dataclass(frozen=True)
class PoolReport:
    prompts: int
    meets_minimum: int
    far_bigger: int
    by_model: Mapping[str, int]


def evaluate(rows: Iterable[Mapping[str, Any]], preference: float = 0.5) -> PoolReport:
    pool = synthetic_pool()
    sizes = {m.public_name: float(m.info.parameter_count_b or 0) for m in pool.models}
    meets = far = total = 0
    chosen: dict[str, int] = {}
    for row in rows:
        body = {"messages": row.get("messages") or [{"role": "user", "content": row["prompt"]}]}
        model = decide(classify(body), pool, preference).model
        minimum = MIN_SIZE_B[row["category"]][row["difficulty"]]
        enough = min(s for s in sizes.values() if s >= minimum)
        total += 1
        meets += sizes[model] >= minimum
        far += sizes[model] > FAR_BIGGER * enough
        chosen[model] = chosen.get(model, 0) + 1
    return PoolReport(total, meets, far, dict(sorted(chosen.items(), key=lambda kv: -kv[1])))


def render(report: PoolReport, preference: float) -> str:
    n = report.prompts or 1
    lines = [
        f"synthetic pool ({', '.join(name for name, *_ in POOL_SPEC)}), "
        f"quality preference {preference:g}",
        f"  sent to a model that meets the minimum for the true labels: "
        f"{report.meets_minimum}/{report.prompts} = {100 * report.meets_minimum / n:.1f}%",
        f"  sent to a model more than {FAR_BIGGER:g}x bigger than needed: "
        f"{report.far_bigger}/{report.prompts} = {100 * report.far_bigger / n:.1f}%",
        "  choices: " + ", ".join(f"{m} {c}" for m, c in report.by_model.items()),
    ]
    return "\n".join(lines)
