"""How far apart the profiling prompt set puts the real small models, without a judge.

    .venv/bin/python bench/prompt_spread.py [--per-category 3] [--all] [--details]

Starts llama-server with each installed chat model in turn (SmolLM2-135M,
Qwen2.5-Coder 0.5B and 1.5B; one at a time, one thread), asks it the prompts the
profiler draws by default (or every prompt with --all) at temperature 0, grades
the answers exactly as profiling does, and prints the mean score per category
and model. The profiler itself (timing, memory, jobs) is not involved.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from llama_server import QWEN_05B, QWEN_15B, SMOLLM2, start_single

from smarterrouter.profiling.grading import Grade, grade
from smarterrouter.profiling.prompts import (
    CATEGORIES,
    PromptItem,
    load_prompt_set,
    select,
)
from smarterrouter.profiling.sandbox import Sandbox

MODELS = (SMOLLM2, QWEN_05B, QWEN_15B)


async def ask(client: httpx.AsyncClient, model: str, item: PromptItem) -> str:
    body = {
        "model": model,
        "messages": list(item.messages),
        "max_tokens": item.max_tokens,
        "temperature": 0,
    }
    resp = await client.post("/v1/chat/completions", json=body, timeout=600)
    resp.raise_for_status()
    return str(resp.json()["choices"][0]["message"]["content"] or "")


async def grade_model(url: str, model: str, items: list[PromptItem]) -> list[tuple[str, Grade]]:
    sandbox = Sandbox()
    graded = []
    async with httpx.AsyncClient(base_url=url) as client:
        for item in items:
            answer = await ask(client, model, item)
            graded.append((answer, await grade(item, answer, sandbox=sandbox)))
    return graded


def run_model(model: str, items: list[PromptItem]) -> list[tuple[str, Grade]]:
    with tempfile.TemporaryDirectory() as tmp:
        server = start_single(model, Path(tmp) / "llama.log")
        try:
            return asyncio.run(grade_model(server.url, model, items))
        finally:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-category", type=int, default=3)
    parser.add_argument("--all", action="store_true", help="every prompt of the set")
    parser.add_argument("--details", action="store_true", help="one line per prompt")
    parser.add_argument("--answers", action="store_true", help="with --details: the answers")
    args = parser.parse_args()
    prompt_set = load_prompt_set()
    items = list(prompt_set.items) if args.all else select(prompt_set, args.per_category)
    print(f"prompt set {prompt_set.version}: {len(items)} prompts, no judge")
    table: dict[str, dict[str, float]] = {}
    for model in MODELS:
        per_category: dict[str, list[float]] = defaultdict(list)
        for item, (answer, result) in zip(items, run_model(model, items), strict=True):
            per_category[item.category].append(result.score)
            if args.details:
                print(f"  {model:32} {item.id:34} {result.score:.2f}  {result.detail}")
            if args.details and args.answers:
                print("    | " + answer.strip()[:600].replace("\n", "\n    | "))
        table[model] = {c: sum(s) / len(s) for c, s in per_category.items()}
    print(f"{'model':34}" + "".join(f"{c:>12}" for c in CATEGORIES) + f"{'mean':>8}")
    for model, scores in table.items():
        cells = "".join(f"{scores[c]:12.2f}" for c in CATEGORIES)
        print(f"{model:34}{cells}{sum(scores.values()) / len(scores):8.2f}")


if __name__ == "__main__":
    main()
