"""The online leaderboards: one page of the Hugging Face dataset viewer's rows API
in, the rows we keep out. Pure parsers, tested on bodies in the documented shape.

Both leaderboards publish their contents as Hugging Face datasets, which the
datasets-server answers page by page (`/rows?dataset=…&config=…&split=…&offset=…
&length=…` -> `{"rows": [{"row_idx", "row": {...}, "truncated_cells"}],
"num_rows_total", …}`):

- Open LLM Leaderboard: `open-llm-leaderboard/contents`, one row per evaluated
  repo (`fullname`, raw accuracies from 0 to 1 in `MMLU-PRO Raw`, `MATH Lvl 5 Raw`).
  Only repos of the models' own publishers are kept: fine-tunes and merges carry
  the same family and size in their names and would be taken for the original.
- LMArena: `lmarena-ai/leaderboard-dataset`, config `text`, split `latest`, one row
  per model and category (`model_name`, `rating`, `category`); the `overall`
  rating is kept.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

OPEN_LLM_LEADERBOARD = "open_llm_leaderboard"
LMARENA = "lmarena"
SOURCES = (OPEN_LLM_LEADERBOARD, LMARENA)

# The publishers of the families the table knows; their own repos only.
OFFICIAL_ORGS = frozenset(
    {"meta-llama", "qwen", "mistralai", "google", "microsoft", "deepseek-ai", "huggingfacetb"}
    | {"tinyllama"}
)
SOURCE_TEXT = {
    OPEN_LLM_LEADERBOARD: (
        "Open LLM Leaderboard (Hugging Face), raw accuracy",
        "https://huggingface.co/spaces/open-llm-leaderboard/open_llm_leaderboard",
    ),
    LMARENA: ("LMArena text leaderboard, overall rating", "https://lmarena.ai/leaderboard"),
}


@dataclass(frozen=True)
class LeaderboardRow:
    name: str  # as the leaderboard spells it
    figures: Mapping[str, float]  # benchmark key -> value

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "figures": dict(self.figures)}


@dataclass(frozen=True)
class RowsPage:
    rows: tuple[LeaderboardRow, ...]
    seen: int  # rows on the page, kept or not
    total: int  # num_rows_total


class LeaderboardFormatError(ValueError):
    """A page is not in the rows API's documented shape."""


def parse_page(source: str, body: Any) -> RowsPage:
    if not isinstance(body, dict) or not isinstance(body.get("rows"), list):
        raise LeaderboardFormatError("expected an object with a 'rows' list")
    total = body.get("num_rows_total")
    if not isinstance(total, int):
        raise LeaderboardFormatError("expected an integer 'num_rows_total'")
    parse = _PARSERS[source]
    kept = []
    for item in body["rows"]:
        row = item.get("row") if isinstance(item, dict) else None
        if isinstance(row, dict) and (parsed := parse(row)) is not None:
            kept.append(parsed)
    return RowsPage(tuple(kept), len(body["rows"]), total)


def _open_llm(row: Mapping[str, Any]) -> LeaderboardRow | None:
    name = row.get("fullname")
    if not isinstance(name, str) or name.split("/", 1)[0].lower() not in OFFICIAL_ORGS:
        return None
    figures = {
        key: round(100 * value, 2)
        for key, column in (("mmlu_pro", "MMLU-PRO Raw"), ("math_lvl5", "MATH Lvl 5 Raw"))
        if (value := _fraction(row.get(column))) is not None
    }
    return LeaderboardRow(name, figures) if figures else None


def _lmarena(row: Mapping[str, Any]) -> LeaderboardRow | None:
    name, rating = row.get("model_name"), row.get("rating")
    if row.get("category", "overall") != "overall" or not isinstance(name, str):
        return None
    if isinstance(rating, bool) or not isinstance(rating, int | float) or not 0 < rating < 5000:
        return None
    return LeaderboardRow(name, {"arena_elo": round(float(rating), 1)})


def _fraction(value: Any) -> float | None:
    """A raw accuracy from 0 to 1, or None."""
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1:
        return float(value)
    return None


_PARSERS: dict[str, Callable[[Mapping[str, Any]], LeaderboardRow | None]] = {
    OPEN_LLM_LEADERBOARD: _open_llm,
    LMARENA: _lmarena,
}
