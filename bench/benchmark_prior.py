"""Routing on the synthetic pool with and without the published-benchmark prior.

    .venv/bin/python bench/benchmark_prior.py [--dev PATH]

For each quality preference, the labelled dev set (as routing_eval.py reads it)
is routed over routing_pool's synthetic pool twice: on size alone, and with the
bundled benchmark table as the quality prior. Printed per run: how often the
choice meets the minimum size for the prompt's true labels, how often it is far
bigger than needed (routing_pool's two measures), how often the choice meets
that minimum by its published quality instead (its benchmark prior in the
prompt's true category, as an equivalent size; benchmarks/prior.py) over the
prompts whose choice has one, and the choices.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import routing_pool
from routing_eval import DEFAULT_DEV, body_of

from smarterrouter.benchmarks.catalog import BenchmarkCatalog
from smarterrouter.benchmarks.matching import Matcher
from smarterrouter.benchmarks.prior import BenchmarkPrior
from smarterrouter.benchmarks.table import load_table
from smarterrouter.routing.policy import decide
from smarterrouter.routing.quality import NO_PRIORS, QualitySources
from smarterrouter.routing.scoring import MIN_SIZE_B
from smarterrouter.routing.signals import classify


def run(rows: Sequence[dict[str, Any]], preference: float, quality: QualitySources) -> str:
    pool = routing_pool.synthetic_pool()
    sizes = {m.public_name: float(m.info.parameter_count_b or 0) for m in pool.models}
    table = load_table()
    published = BenchmarkPrior(BenchmarkCatalog(table, Matcher(table)))
    meets = far = 0
    known = published_meets = 0
    chosen: Counter[str] = Counter()
    for row in rows:
        model = decide(classify(body_of(row)), pool, preference, quality=quality).model
        minimum = MIN_SIZE_B[row["category"]][row["difficulty"]]
        enough = min(s for s in sizes.values() if s >= minimum)
        meets += sizes[model] >= minimum
        far += sizes[model] > routing_pool.FAR_BIGGER * enough
        if (prior := published.prior(model, model, row["category"])) is not None:
            known += 1
            published_meets += prior.size_b >= minimum
        chosen[model] += 1
    n = len(rows) or 1
    return (
        f"meets minimum {100 * meets / n:.1f}%, far bigger {100 * far / n:.1f}%, "
        f"meets it by published quality {100 * published_meets / (known or 1):.1f}% "
        f"(of {known})\n"
        f"      choices: {', '.join(f'{m} {c}' for m, c in chosen.most_common())}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dev", type=Path, default=DEFAULT_DEV)
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.dev.read_text().splitlines() if line.strip()]
    table = load_table()
    with_prior = QualitySources((BenchmarkPrior(BenchmarkCatalog(table, Matcher(table))),))
    print(f"{len(rows)} prompts from {args.dev}")
    print(f"pool: {', '.join(name for name, *_ in routing_pool.POOL_SPEC)}")
    for preference in (0.1, 0.5, 0.9):
        print(f"quality preference {preference:g}")
        print(f"  size only:       {run(rows, preference, NO_PRIORS)}")
        print(f"  benchmark prior: {run(rows, preference, with_prior)}")


if __name__ == "__main__":
    main()
