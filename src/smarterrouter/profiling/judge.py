"""LLM-as-judge for open answers: an MT-Bench-style rubric and a parsed 1-10 verdict.

The judge is any OpenAI-compatible chat endpoint (`http_ask`) or any other
callable from messages to reply text. A reply without a readable verdict, or an
error, is retried with exponential backoff; when every try fails, `rate` raises
`JudgeFailed` — it never makes a score up.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from smarterrouter.profiling.grades import Grade
from smarterrouter.profiling.prompts import PromptItem

Ask = Callable[[list[dict[str, str]]], Awaitable[str]]  # messages -> reply text

log = logging.getLogger(__name__)

_SYSTEM = "You grade answers strictly and fairly."
_RUBRIC = """\
Act as an impartial judge of the answer an AI model gave to the question below.
Weigh how helpful, relevant, correct, detailed and well written it is, and whether \
it follows every instruction in the question.{reference_note} First explain your \
judgement in two or three sentences. Then give a rating from 1 (useless) to 10 \
(excellent) in exactly this form: "Rating: [[N]]", for example "Rating: [[6]]".

[Question]
{question}
{reference}
[Start of the model's answer]
{answer}
[End of the model's answer]"""
_REFERENCE_NOTE = " Compare it with the reference answer, which is correct."

_VERDICTS = (
    re.compile(r"\[\[\s*(\d+(?:\.\d+)?)\s*\]\]"),
    re.compile(r"\b(?:rating|score|grade)\b\**\s*[:=]?\s*\**\s*(\d+(?:\.\d+)?)", re.I),
    re.compile(r"\b(\d+(?:\.\d+)?)\s*(?:/\s*10|out of\s+10)\b", re.I),
)
_LAST_LINE_NUMBER = re.compile(r"^\W*(\d+(?:\.\d+)?)\W*$")


class JudgeFailed(Exception):
    """No verdict after every try; the message says why (never a made-up score)."""


def parse_verdict(reply: str) -> float | None:
    """The 1-10 rating in a judge's reply, or None when it states none."""
    for pattern in _VERDICTS:
        found = [float(m) for m in pattern.findall(reply)]
        found = [value for value in found if 1 <= value <= 10]
        if found:
            return found[-1]
    tail = [line for line in reply.strip().splitlines() if line.strip()][-1:]
    match = _LAST_LINE_NUMBER.match(tail[0]) if tail else None
    if match and 1 <= float(match.group(1)) <= 10:
        return float(match.group(1))
    return None


def rubric_messages(item: PromptItem, answer: str) -> list[dict[str, str]]:
    """The judge's prompt for one answer, with the item's reference when it has one."""
    question = "\n\n".join(m["content"] for m in item.messages if m["role"] == "user")
    reference = item.check.get("reference")
    text = _RUBRIC.format(
        question=question,
        answer=answer,
        reference_note=_REFERENCE_NOTE if reference else "",
        reference=f"\n[Reference answer]\n{reference}\n" if reference else "",
    )
    return [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": text}]


class Judge:
    def __init__(self, ask: Ask, *, retries: int = 3, backoff_s: float = 1.0) -> None:
        self._ask = ask
        self._retries = retries
        self._backoff_s = backoff_s

    async def rate(self, item: PromptItem, answer: str) -> Grade:
        """The judge's grade (method "judge", rating/10). Raises JudgeFailed after
        1 + `retries` tries that each ended in an error or an unreadable verdict."""
        messages = rubric_messages(item, answer)
        problem = "no try made"
        for attempt in range(self._retries + 1):
            if attempt:
                await asyncio.sleep(self._backoff_s * 2 ** (attempt - 1))
            try:
                reply = await self._ask(messages)
            except Exception as exc:  # any failure of the judge's endpoint is retried
                problem = f"error: {type(exc).__name__}: {exc}"
                log.warning("judge try %d failed for %s: %s", attempt + 1, item.id, problem)
                continue
            rating = parse_verdict(reply)
            if rating is not None:
                return Grade(rating / 10, "judge", f"judge rated {rating:g}/10")
            problem = "no rating in the judge's reply"
            log.warning("judge try %d for %s gave no rating", attempt + 1, item.id)
        tries = self._retries + 1
        counted = f"{tries} tries" if tries > 1 else "1 try"
        raise JudgeFailed(f"judge gave no verdict after {counted} ({problem})")


class JudgeEndpointError(Exception):
    """The judge's endpoint failed or answered something that is not a chat completion."""


def http_ask(client: httpx.AsyncClient, model: str) -> Ask:
    """An Ask over any OpenAI-compatible API. `client` carries the base URL (ending
    in /v1) and the key; it is owned and closed by the caller."""

    async def ask(messages: list[dict[str, str]]) -> str:
        body = {"model": model, "messages": messages, "temperature": 0, "max_tokens": 400}
        try:
            resp = await client.post("chat/completions", json=body)
        except httpx.HTTPError as exc:
            raise JudgeEndpointError(f"{type(exc).__name__}: {exc}") from None
        if resp.status_code != 200:
            raise JudgeEndpointError(f"HTTP {resp.status_code}")  # body may echo the key
        return _reply_text(resp)

    return ask


def _reply_text(resp: httpx.Response) -> str:
    try:
        data: Any = resp.json()
        content = data["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise JudgeEndpointError("the reply is not a chat completion") from None
    if not isinstance(content, str):
        raise JudgeEndpointError("the judge's reply has no text")
    return content
