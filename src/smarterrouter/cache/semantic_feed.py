"""The semantic layer shared by every router on one Redis (ROUTER_REDIS_URL).

Each router keeps its own vector index (cache/semantic.py) for fast lookups.
What it adds there it also appends to a Redis stream, `<prefix>:cache:semantic`
(the answer's exact key, the context key, the question, its float32 embedding,
the embedding model and the model that answered), and so does every
invalidation. A background task reads what the other routers append and applies
it to the local index, so a paraphrase asked on one router is answered with the
answer another router stored. The answers themselves live in the shared
response store; an entry whose answer has gone from there is dropped on first
use, as a local one is.

The stream is trimmed to about as many entries as the cache holds answers: a
router that starts reads it from the beginning and knows the questions answered
before it came. Redis being away costs only sharing: entries are still added
locally, what could not be sent is dropped (counted, logged once a minute).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from array import array
from collections.abc import Mapping
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from smarterrouter.cache.semantic import PromptVector, SemanticCache
from smarterrouter.observability.outage import OutageWatch

log = logging.getLogger(__name__)

_BLOCK_MS = 1000  # how long one read waits for news
_BATCH = 500


class SemanticFeed:
    """Sends this router's semantic entries to Redis, and applies the others'."""

    def __init__(
        self,
        client: Redis,
        semantic: SemanticCache,
        *,
        prefix: str,
        max_len: int,
        where: str = "Redis",
    ) -> None:
        self._client = client
        self._semantic = semantic
        self._stream = f"{prefix}:cache:semantic"
        self._max_len = max(1, max_len)
        self._origin = uuid.uuid4().hex  # this router: its own entries are not applied twice
        self._sending: set[asyncio.Task[None]] = set()
        self.outage = OutageWatch(f"shared semantic cache in {where}", log)
        self.received = 0  # entries and invalidations applied from other routers

    # --- this router's changes, sent without waiting ----------------------------

    def added(self, key: str, context: str, prompt: PromptVector, model: str) -> None:
        self._send(
            {
                "op": "add",
                "key": key,
                "context": context,
                "text": prompt.text,
                "embedder": prompt.embedder,
                "model": model,
                "vector": array("f", prompt.vector).tobytes(),
            }
        )

    def invalidated(self, model: str | None) -> None:
        self._send({"op": "invalidate", "model": model or "", "all": "0" if model else "1"})

    def _send(self, fields: dict[str, str | bytes]) -> None:
        if self.outage.cooling_down:
            return
        task = asyncio.get_running_loop().create_task(self._append(fields))
        self._sending.add(task)  # kept until done, so that it is not collected midway
        task.add_done_callback(self._sending.discard)

    async def _append(self, fields: dict[str, str | bytes]) -> None:
        try:
            await self._client.xadd(
                self._stream,
                {**fields, "origin": self._origin},  # type: ignore[dict-item]
                maxlen=self._max_len,
                approximate=True,
            )
        except (RedisError, OSError) as exc:
            self.outage.failed(exc)
        else:
            self.outage.succeeded()

    # --- the others' changes ----------------------------------------------------

    async def run(self) -> None:
        """Apply what other routers append, from the stream's start, until cancelled."""
        last = "0"
        while True:
            try:
                answer: list[Any] = await self._client.xread(  # type: ignore[assignment]
                    {self._stream: last}, count=_BATCH, block=_BLOCK_MS
                )
            except (RedisError, OSError) as exc:
                self.outage.failed(exc)
                await asyncio.sleep(1.0)
                continue
            self.outage.succeeded()
            for _, entries in answer or []:
                for entry_id, fields in entries:
                    last = _text(entry_id)
                    try:
                        self._apply(fields)
                    except (KeyError, ValueError, UnicodeDecodeError) as exc:
                        log.warning("skipped a malformed shared semantic entry: %r", exc)

    def _apply(self, fields: Mapping[Any, Any]) -> None:
        decoded = {_text(k): v for k, v in fields.items()}
        if _text(decoded.get("origin", b"")) == self._origin:
            return
        op = _text(decoded.get("op", b""))
        if op == "add":
            vector = array("f")
            vector.frombytes(bytes(decoded["vector"]))
            prompt = PromptVector(_text(decoded["text"]), tuple(vector), _text(decoded["embedder"]))
            self._semantic.add(
                _text(decoded["key"]),
                _text(decoded["context"]),
                prompt,
                _text(decoded["model"]),
                share=False,
            )
        elif op == "invalidate":
            everything = _text(decoded.get("all", b"1")) == "1"
            self._semantic.invalidate(None if everything else _text(decoded["model"]), share=False)
        else:
            return
        self.received += 1

    async def aclose(self) -> None:
        for task in list(self._sending):
            task.cancel()
        await self._client.aclose()


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
