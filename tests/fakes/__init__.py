"""Loopback fakes of the upstreams the router fronts: real HTTP servers on
127.0.0.1 that record what they receive and can be told to fail.

    from fakes import FakeOllama, Fault

    with FakeOllama() as fake:           # started on a free port, stopped on exit
        ...                               # point a client at fake.url
        fake.inject(Fault(status=500))    # the next request fails
        fake.received("/api/chat")        # what crossed the boundary

`tests/` is on sys.path (pytest's rootdir conftest), so tests import `fakes`.
"""

from fakes.fake_llamacpp import FakeLlamaCpp
from fakes.fake_llamaswap import FakeLlamaSwap
from fakes.fake_ollama import FakeOllama, FakeOllamaModel
from fakes.fake_openai import FakeOpenAI
from fakes.server import Fault, LoopbackServer, RecordedRequest, Reply, ToolCall

__all__ = [
    "FakeLlamaCpp",
    "FakeLlamaSwap",
    "FakeOllama",
    "FakeOllamaModel",
    "FakeOpenAI",
    "Fault",
    "LoopbackServer",
    "RecordedRequest",
    "Reply",
    "ToolCall",
]
