import re
from pathlib import Path

import pytest

from smarterrouter.settings import Settings, SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]
ENV_DEFAULT = ROOT / "ENV_DEFAULT"
_LINE = re.compile(r"^(ROUTER_[A-Z0-9_]+)=(.*)$")


def documented() -> dict[str, str]:
    out = {}
    for line in ENV_DEFAULT.read_text().splitlines():
        if m := _LINE.match(line):
            out[m[1]] = m[2]
    return out


def field_env_names() -> set[str]:
    return {"ROUTER_" + name.upper() for name in Settings.model_fields}


def test_every_documented_name_is_a_field_and_every_field_is_documented() -> None:
    assert set(documented()) == field_env_names()


def test_every_line_has_help() -> None:
    lines = ENV_DEFAULT.read_text().splitlines()
    for i, line in enumerate(lines):
        if _LINE.match(line):
            assert lines[i - 1].startswith("# "), f"no help line above {line}"


def test_the_documented_defaults_are_the_real_defaults(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text(ENV_DEFAULT.read_text())
    from_file = Settings(_env_file=env)  # type: ignore[call-arg]
    assert from_file == Settings(_env_file=None)  # type: ignore[call-arg]


def test_documented_names_are_the_ones_that_work(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROUTER_EXTERNAL_MODEL_NAME", "my/router")
    monkeypatch.setenv("ROUTER_QUALITY_PREFERENCE", "0.9")
    monkeypatch.setenv("ROUTER_LLAMA_CPP_URL", "http://box:8080/")
    monkeypatch.setenv("ROUTER_PROVIDER", "llama.cpp")
    s = load_settings(_env_file=None)
    assert s.external_model_name == "my/router"
    assert s.quality_preference == 0.9
    [backend] = s.backend_configs()
    assert (backend.provider, backend.url) == ("llama.cpp", "http://box:8080")


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("ROUTER_PORT=9999\nROUTER_SIGNATURE_FORMAT=\\n-- {model}\n")
    s = load_settings(_env_file=env)
    assert s.port == 9999
    assert s.signature_format == "\n-- {model}"


def test_backends_json_fronts_several(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "ROUTER_BACKENDS",
        '[{"name": "gpu1", "provider": "ollama", "url": "http://a:11434"},'
        ' {"name": "cloud", "provider": "openai", "url": "https://api.x/v1",'
        ' "api_key": "sk-test", "model_prefix": "cloud/"}]',
    )
    configs = load_settings(_env_file=None).backend_configs()
    assert [(c.name, c.provider, c.model_prefix) for c in configs] == [
        ("gpu1", "ollama", ""),
        ("cloud", "openai", "cloud/"),
    ]
    assert "sk-test" not in repr(configs)


@pytest.mark.parametrize(
    ("name", "value", "named"),
    [
        ("ROUTER_PORT", "eleven", "ROUTER_PORT"),
        ("ROUTER_PROVIDER", "vllm", "ROUTER_PROVIDER"),
        ("ROUTER_QUALITY_PREFERENCE", "2", "ROUTER_QUALITY_PREFERENCE"),
        ("ROUTER_BACKENDS", "[{not json", "ROUTER_BACKENDS"),
        (
            "ROUTER_BACKENDS",
            '[{"name": "x", "provider": "ollama", "url": "ftp://x"}]',
            "ROUTER_BACKENDS",
        ),
        ("ROUTER_OLLAMA_URL", "localhost:11434", "ROUTER_OLLAMA_URL"),
        ("ROUTER_SIGNATURE_FORMAT", "{name}", "ROUTER_SIGNATURE_FORMAT"),
    ],
)
def test_a_bad_setting_is_named(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, named: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=named):
        load_settings(_env_file=None)


def test_duplicate_backend_names_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    one = '{"name": "a", "provider": "ollama", "url": "http://h:1"}'
    monkeypatch.setenv("ROUTER_BACKENDS", f"[{one}, {one}]")
    with pytest.raises(SettingsError, match="duplicate backend names"):
        load_settings(_env_file=None)


def test_routing_weights_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROUTER_ROUTING_WEIGHTS", '{"loaded_bonus": 0.2}')
    assert load_settings(_env_file=None).routing_weights == {"loaded_bonus": 0.2}
    monkeypatch.setenv("ROUTER_ROUTING_WEIGHTS", '{"speediness": 1}')
    with pytest.raises(SettingsError, match=r"ROUTER_ROUTING_WEIGHTS.*unknown weights"):
        load_settings(_env_file=None)


def test_a_redis_url_is_checked_without_repeating_its_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ROUTER_REDIS_URL", "http://:hunter2-redis@cache:6379")
    with pytest.raises(SettingsError, match="ROUTER_REDIS_URL") as bad:
        load_settings(_env_file=None)
    assert "hunter2-redis" not in str(bad.value)
    for good in ("redis://cache:6379/0", "rediss://:pw@cache", "unix:///run/redis.sock", ""):
        monkeypatch.setenv("ROUTER_REDIS_URL", good)
        assert load_settings(_env_file=None).redis_url == (good or None)


def test_a_field_with_an_old_name_takes_its_own_name_in_code_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings(_env_file=None, embed_model="minilm").embed_model == "minilm"  # type: ignore[call-arg]
    monkeypatch.setenv("ROUTER_DEFAULT_EMBEDDING_MODEL", "old-name")
    assert Settings(_env_file=None).embed_model == "old-name"  # type: ignore[call-arg]
