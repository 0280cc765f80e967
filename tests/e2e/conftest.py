"""Fixtures that run a REAL llama-server with the real GGUF models from `./dev setup`.

Fixtures (all servers listen on 127.0.0.1 at a free port; `.url` is the base URL
without `/v1`, e.g. `httpx.Client(base_url=server.url)` or
`openai.OpenAI(base_url=server.url + "/v1", api_key="x")`):

- `llama_router` (session): a `ServerProcess` in router mode over every installed
  model (`models.ini`), `--models-max 2`. Nothing is loaded at start; a request
  naming a model id loads it (LRU eviction past two). Shared by the whole session,
  so do not assume which models are loaded; use `start_llama_router` for that.
- `start_llama_router` (function): a factory, `start_llama_router(models_max=2)`,
  for a fresh router of one's own, stopped when the test ends.
- `llama_embedder` (session): single-model server of MiniLM (`--embeddings
  --pooling mean`), 384-dimensional normalised vectors from `/v1/embeddings`.
- `llama_chat_server` (session): single-model server of Qwen2.5-Coder-0.5B-Instruct.
- `llama_model_ids` (session): the ids the router serves, as `ModelIds`.

Missing pieces make the tests fail (never skip) with "run ./dev setup". The real
models are slow here (0.5B: ~15 tokens/s on one thread): keep max_tokens small.
Each server's log is kept under pytest's temporary folder (`llama-server-logs*`);
a server that fails to start shows the end of its log in the error.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# The launcher lives beside the model installer in scripts/, shared with the demo.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

from llama_server import (
    MINILM_ID,
    QWEN_05B,
    ModelIds,
    ServerProcess,
    SetupMissing,
    find_binary,
    find_models,
    start_router,
    start_single,
)


@pytest.fixture(scope="session")
def llama_model_ids() -> ModelIds:
    return ModelIds()


@pytest.fixture(scope="session")
def llama_installation() -> Path:
    """The models folder, after checking that the binary and every model are there."""
    try:
        find_binary()
        return find_models()
    except SetupMissing as exc:
        missing = str(exc)
    pytest.fail(missing, pytrace=False)  # outside `except`: no chained traceback


@pytest.fixture(scope="session")
def llama_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("llama-server-logs")


def _running(server: ServerProcess) -> Iterator[ServerProcess]:
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def llama_router(llama_installation: Path, llama_logs: Path) -> Iterator[ServerProcess]:
    yield from _running(start_router(llama_logs / "router.log"))


@pytest.fixture
def start_llama_router(
    llama_installation: Path, llama_logs: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[..., ServerProcess]]:
    started: list[ServerProcess] = []

    def start(models_max: int = 2) -> ServerProcess:
        log = llama_logs / f"{request.node.name}-{len(started)}.log"
        started.append(start_router(log, models_max=models_max))
        return started[-1]

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def llama_embedder(llama_installation: Path, llama_logs: Path) -> Iterator[ServerProcess]:
    args = ["--embeddings", "--pooling", "mean"]
    yield from _running(start_single(MINILM_ID, llama_logs / "embedder.log", args))


@pytest.fixture(scope="session")
def llama_chat_server(llama_installation: Path, llama_logs: Path) -> Iterator[ServerProcess]:
    yield from _running(start_single(QWEN_05B, llama_logs / "chat.log"))
