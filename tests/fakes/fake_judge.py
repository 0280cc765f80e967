"""A fake LLM judge: an OpenAI-compatible chat API that answers with the next of
a list of replies (the last one repeats), so a test can script a judge that
rambles, then rates. Errors come from `Fault`s as with every fake."""

from __future__ import annotations

from collections.abc import Sequence

from fakes.fake_openai import FakeOpenAI
from fakes.server import RecordedRequest, Reply, Response


class FakeJudge(FakeOpenAI):
    def __init__(self, replies: Sequence[str], *, model: str = "judge-model") -> None:
        super().__init__(models=(model,))
        self._replies = list(replies)

    def _chat(self, request: RecordedRequest) -> Response:
        text = self._replies.pop(0) if len(self._replies) > 1 else self._replies[0]
        self.reply = Reply(content=text)
        return super()._chat(request)
