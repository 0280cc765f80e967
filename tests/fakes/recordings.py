"""Recorded real upstream answers, as `tests/recordings/*/*.txt` keep them.

A file holds a comment line (`### request`), sometimes the request body, then the
answer exactly as received: status line, headers, blank line, body. A file with
several exchanges separates them with `--- ...` lines.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

RECORDINGS = Path(__file__).resolve().parents[1] / "recordings"


@dataclass(frozen=True)
class Recording:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def sse_events(self) -> list[dict[str, Any]]:
        """The JSON events of a recorded SSE body, without the final `[DONE]`."""
        events = []
        for line in self.body.decode().splitlines():
            if line.startswith("data: ") and line != "data: [DONE]":
                events.append(json.loads(line[len("data: ") :]))
        return events


@cache
def load_recording(server: str, name: str, index: int = 0) -> Recording:
    """The `index`-th answer recorded in `tests/recordings/<server>/<name>`."""
    text = (RECORDINGS / server / name).read_text()
    answers = text.split("\nHTTP/1.1 ")[1:]
    head, _, body = answers[index].partition("\n\n")
    status_line, *header_lines = head.splitlines()
    headers = {}
    for line in header_lines:
        key, _, value = line.partition(":")
        headers[key.strip().lower()] = value.strip()
    body = body.split("\n--- ", 1)[0].strip()
    return Recording(int(status_line.split()[0]), headers, body.encode())
