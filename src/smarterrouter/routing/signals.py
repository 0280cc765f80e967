"""What a request needs: category, difficulty and hard requirements.

Pure and fast (no I/O, no model): rules over the last user turn, with earlier
turns and the system prompt as context. A deeper classifier can replace
`classify` without touching the rest, since routing only reads `Signals`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Category = Literal["coding", "reasoning", "creativity", "general"]
Difficulty = Literal["simple", "medium", "hard"]

_CODE_FENCE = re.compile(r"```")
_CODING = re.compile(
    r"\b(code|coding|function|class|method|bug|debug|compile|compiler|stack ?trace|"
    r"traceback|exception|python|javascript|typescript|java|rust|golang|c\+\+|c#|sql|"
    r"regex|api|endpoint|refactor|unit tests?|pytest|script|algorithm|implement|"
    r"repository|git|docker|kubernetes|bash|shell|json schema|react|css|html|"
    r"segfault|null pointer|async|thread|recursion)\b",
    re.IGNORECASE,
)
_CODE_SYNTAX = re.compile(r"(\bdef |\breturn\b|=>|;\s*$|\{\s*$|#include|import \w+)", re.M)
_REASONING = re.compile(
    r"\b(prove|proof|derive|calculate|compute|solve|equation|integral|derivative|"
    r"probability|how many|how much|logic|puzzle|theorem|math|optimi[sz]e|"
    r"step by step|reason|why does|what is the (?:sum|product|value)|percent|"
    r"convert|km|miles|riddle|estimate)\b",
    re.IGNORECASE,
)
_MATH = re.compile(r"\d+\s*[-+*/^=]\s*\d+")
_CREATIVE = re.compile(
    r"\b(story|poem|haiku|lyrics|song|novel|character|fiction|creative|imagine|"
    r"write a (?:letter|speech|toast|tagline|slogan)|slogan|tagline|names? for|"
    r"name ideas|joke|funny|limerick|screenplay|dialogue|roleplay|fantasy)\b",
    re.IGNORECASE,
)
_HARD = re.compile(
    r"\b(prove|proof|rigorous|optimal|complexity|from scratch|distributed|concurrent|"
    r"lock-free|compiler|architecture|design a|trade-?offs?|formal|theorem|"
    r"guarantee|in depth|comprehensive|production-ready|scalable)\b",
    re.IGNORECASE,
)
_SIMPLE = re.compile(
    r"^(hi|hello|hey|thanks|thank you|ok|what is|what's|who is|when is|define|"
    r"translate|how many|how much)\b",
    re.IGNORECASE,
)
# Open WebUI (and others) send background "### Task:" requests: titles, tags,
# follow-ups. They are trivial and should go to the fastest model.
_UI_TASK = re.compile(r"^\s*### Task:", re.IGNORECASE)


@dataclass(frozen=True)
class Signals:
    category: Category = "general"
    difficulty: Difficulty = "simple"
    needs_vision: bool = False
    needs_tools: bool = False  # the model must be able to call tools
    offers_tools: bool = False  # tools were offered, the model may ignore them
    needs_json: bool = False
    estimated_tokens: int = 0  # prompt plus the answer asked for
    ui_task: bool = False


def text_of(content: Any) -> str:
    """The text of a message's content, whether a string or a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            str(p.get("text", "")) for p in content if isinstance(p, Mapping) and "text" in p
        )
    return ""


def _has_image(messages: Sequence[Mapping[str, Any]]) -> bool:
    for m in messages:
        content = m.get("content")
        if isinstance(content, list) and any(
            isinstance(p, Mapping) and p.get("type") == "image_url" for p in content
        ):
            return True
    return False


def _needs_tool_calling(body: Mapping[str, Any]) -> bool:
    """A model that ignores tools would break this request."""
    choice = body.get("tool_choice")
    if choice == "required" or isinstance(choice, Mapping):
        return True
    messages = body.get("messages") or []
    return any(m.get("role") == "tool" or m.get("tool_calls") for m in messages[-4:])


def _category(last: str, context: str) -> Category:
    scores: dict[Category, float] = {"coding": 0.0, "reasoning": 0.0, "creativity": 0.0}
    for text, weight in ((last, 1.0), (context, 0.4)):
        scores["coding"] += weight * (
            len(_CODING.findall(text))
            + 3 * len(_CODE_FENCE.findall(text)) / 2
            + len(_CODE_SYNTAX.findall(text))
        )
        scores["reasoning"] += weight * (len(_REASONING.findall(text)) + len(_MATH.findall(text)))
        scores["creativity"] += weight * 1.2 * len(_CREATIVE.findall(text))
    best = max(scores, key=lambda c: scores[c])
    return best if scores[best] >= 1.0 else "general"


def _difficulty(last: str, category: Category) -> Difficulty:
    words = len(last.split())
    hard_hits = len(_HARD.findall(last))
    if hard_hits >= 2 or (hard_hits and category in ("coding", "reasoning")):
        return "hard"
    if words <= 12 and _SIMPLE.match(last.strip()):
        return "simple"
    if category in ("coding", "reasoning") and words > 25:
        return "medium" if words < 120 else "hard"
    return "simple" if words < 30 else "medium"


def classify(body: Mapping[str, Any]) -> Signals:
    """Signals for an OpenAI chat request body."""
    messages: Sequence[Mapping[str, Any]] = body.get("messages") or []
    users = [text_of(m.get("content")) for m in messages if m.get("role") == "user"]
    last = users[-1] if users else ""
    context = "\n".join(
        text_of(m.get("content")) for m in messages[:-1] if m.get("role") != "tool"
    )[-4000:]
    all_chars = sum(len(text_of(m.get("content"))) for m in messages)
    answer = body.get("max_completion_tokens") or body.get("max_tokens") or 512
    fmt = body.get("response_format") or {}
    if _UI_TASK.match(last):
        category: Category = "general"
        difficulty: Difficulty = "simple"
    else:
        # Long pasted documents should not drown the request itself: judge the
        # first and last lines, where the instruction usually is.
        focus = last if len(last) < 2000 else last[:600] + "\n" + last[-600:]
        category = _category(focus, context)
        difficulty = _difficulty(focus, category)
    return Signals(
        category=category,
        difficulty=difficulty,
        needs_vision=_has_image(messages),
        needs_tools=bool(body.get("tools")) and _needs_tool_calling(body),
        offers_tools=bool(body.get("tools")),
        needs_json=isinstance(fmt, Mapping) and fmt.get("type") in ("json_object", "json_schema"),
        estimated_tokens=all_chars // 4 + int(answer),
        ui_task=bool(_UI_TASK.match(last)),
    )
