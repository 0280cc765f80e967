"""Settings: the only reader of the environment and `.env`.

Every field maps to one `ROUTER_*` variable named in `ENV_DEFAULT`. Settings are
built once (by the CLI or a test) and passed in; nothing reads them at import.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    Field,
    IPvAnyNetwork,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

Provider = Literal["ollama", "llama.cpp", "llama-swap", "openai"]


class BackendConfig(BaseModel):
    """One upstream server. `ROUTER_BACKENDS` is a JSON list of these."""

    model_config = {"extra": "forbid", "frozen": True}

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    provider: Provider
    url: str = Field(min_length=1)
    api_key: str | None = Field(default=None, repr=False)
    model_prefix: str = ""
    # False for a backend on another machine: its memory is not the router's to plan.
    manage_memory: bool = True

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"url must start with http:// or https://, got {value!r}")
        return value.rstrip("/")


class ModelOverride(BaseModel):
    """What a backend cannot tell about one model (`ROUTER_MODEL_OVERRIDES`)."""

    model_config = {"extra": "forbid", "frozen": True}

    capabilities: list[Literal["chat", "vision", "tools", "embedding"]] | None = None
    parameter_count_b: float | None = Field(default=None, gt=0)
    context_length: int | None = Field(default=None, gt=0)
    family: str | None = None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ROUTER_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        # Fields with an alias (ROUTER_EMBED_MODEL) take their own name in code too.
        populate_by_name=True,
    )

    # Backends: the single-provider settings are the one-backend case of ROUTER_BACKENDS.
    provider: Provider = "ollama"
    ollama_url: str = "http://localhost:11434"
    llama_cpp_url: str = "http://localhost:8080"
    llama_swap_url: str = "http://localhost:8080"
    openai_base_url: str = "https://api.openai.com/v1"
    openai_api_key: SecretStr | None = None
    model_prefix: str = ""
    backends: Annotated[list[BackendConfig] | None, NoDecode] = None
    model_overrides: Annotated[dict[str, ModelOverride], NoDecode] = Field(default_factory=dict)

    # Server
    host: str = "0.0.0.0"
    port: int = Field(default=11436, ge=1, le=65535)
    external_model_name: str = Field(default="smarterrouter/main", min_length=1)

    # Security
    admin_api_key: SecretStr | None = None

    # Security and limits
    api_keys: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list, repr=False)
    rate_limit_enabled: bool = False
    rate_limit_requests_per_minute: int = Field(default=60, ge=1)
    rate_limit_admin_requests_per_minute: int = Field(default=10, ge=1)
    trusted_proxies: Annotated[list[IPvAnyNetwork], NoDecode] = Field(default_factory=list)
    redis_url: str | None = Field(default=None, repr=False)
    redis_key_prefix: str = Field(default="smarterrouter", min_length=1)
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    max_body_mb: float = Field(default=64.0, gt=0)
    max_messages: int = Field(default=1000, ge=1)
    max_content_chars: int = Field(default=2_000_000, ge=1)
    max_images: int = Field(default=20, ge=0)
    max_image_mb: float = Field(default=20.0, gt=0)
    shutdown_timeout: int = Field(default=30, ge=0)

    @field_validator("api_keys", "trusted_proxies", "cors_origins", mode="before")
    @classmethod
    def _parse_list(cls, value: Any) -> Any:
        # A comma list for people, a JSON list for tools that write one.
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [part.strip() for part in text.split(",") if part.strip()]

    @field_validator("redis_url", mode="before")
    @classmethod
    def _blank_redis_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        # Said at start, not as a failure on the first request; the URL itself is not
        # repeated, since it may hold a password.
        scheme = (value or "redis://").split("://", 1)[0].removeprefix("async+")
        if scheme not in ("redis", "rediss", "unix"):
            raise ValueError("must be a redis://, rediss:// or unix:// URL")
        return value

    # Storage
    database_url: str = "sqlite:///data/router.db"

    # Logging
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    log_prompts: bool = False
    # OpenTelemetry traces to this OTLP/HTTP collector (e.g. http://localhost:4318); unset: off
    otel_endpoint: str | None = None
    otel_service_name: str = Field(default="smarterrouter", min_length=1)

    # Responses
    signature_enabled: bool = True
    signature_format: str = "\nModel: {model}"

    # Routing
    quality_preference: float = Field(default=0.5, ge=0.0, le=1.0)
    virtual_models: Annotated[dict[str, float], NoDecode] = Field(
        default_factory=lambda: {"smarterrouter/fast": 0.1, "smarterrouter/best": 0.9}
    )
    cascading_enabled: bool = True
    routing_weights: Annotated[dict[str, float], NoDecode] = Field(default_factory=dict)
    embed_model: str | None = Field(
        default=None,
        validation_alias=AliasChoices("ROUTER_EMBED_MODEL", "ROUTER_DEFAULT_EMBEDDING_MODEL"),
    )

    # Timeouts and discovery
    generation_timeout: float = Field(default=120.0, gt=0)
    connect_timeout: float = Field(default=5.0, gt=0)
    model_load_timeout: float = Field(default=600.0, gt=0)
    polling_interval: float = Field(default=60.0, gt=0)
    # Profiling: each model measured on this machine (quality, speed, memory)
    profile_timeout: float = Field(default=90.0, gt=0)
    profile_vram_samples: int = Field(default=3, ge=1)
    profile_prompts_per_category: int = Field(default=3, ge=1)
    profile_on_discovery: bool = True
    judge_enabled: bool = False
    judge_model: str = ""
    judge_base_url: str = ""
    judge_api_key: SecretStr | None = Field(default=None, repr=False)
    # Response cache
    cache_enabled: bool = True
    cache_response_max_size: int = Field(default=200, ge=1)
    cache_ttl_seconds: float = Field(default=3600.0, gt=0)
    cache_nondeterministic: bool = False
    cache_semantic_enabled: bool = True
    cache_similarity_threshold: float = Field(default=0.85, gt=0, le=1)
    cache_embed_timeout: float = Field(default=2.0, gt=0)
    cache_max_size: int = Field(default=500, ge=1)  # routing decisions

    # External benchmarks
    benchmark_sources: Annotated[list[Literal["open_llm_leaderboard", "lmarena"]], NoDecode] = (
        Field(default_factory=list)
    )
    benchmark_sync_interval: float = Field(default=86400.0, gt=0)
    benchmark_mapping_file: str | None = None
    benchmark_open_llm_leaderboard_url: str = (
        "https://datasets-server.huggingface.co/rows"
        "?dataset=open-llm-leaderboard%2Fcontents&config=default&split=train"
    )
    benchmark_lmarena_url: str = (
        "https://datasets-server.huggingface.co/rows"
        "?dataset=lmarena-ai%2Fleaderboard-dataset&config=text&split=latest"
    )

    @field_validator("benchmark_sources", mode="before")
    @classmethod
    def _source_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip().lower() for part in text.split(",") if part.strip()]
        return value

    @field_validator("benchmark_mapping_file", mode="before")
    @classmethod
    def _mapping_file(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        if isinstance(value, str):
            # Read once here, so a bad file stops the start with its problem named.
            from smarterrouter.benchmarks.matching import load_mapping
            from smarterrouter.benchmarks.table import load_table

            load_mapping(value, load_table())
        return value

    @field_validator("benchmark_open_llm_leaderboard_url", "benchmark_lmarena_url")
    @classmethod
    def _rows_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"must start with http:// or https://, got {value!r}")
        return value

    # GPU memory
    vram_max_total_gb: float | None = Field(default=None, ge=0)
    vram_buffer_gb: float = Field(default=1.5, ge=0)
    vram_unload_threshold_pct: float = Field(default=85.0, gt=0, le=100)
    vram_unload_strategy: Literal["lru", "largest"] = "lru"
    vram_monitor_enabled: bool = True
    vram_monitor_interval: float = Field(default=30.0, gt=0)
    vram_auto_unload_enabled: bool = True
    vram_default_estimate_gb: float = Field(default=8.0, gt=0)
    pinned_model: Annotated[list[str], NoDecode] = Field(default_factory=list)

    # Resilience: retries of transient failures, a circuit breaker per backend operation
    backend_retry_enabled: bool = True
    backend_max_retries: int = Field(default=3, ge=0)
    backend_retry_base_delay: float = Field(default=0.5, gt=0)
    backend_retry_max_delay: float = Field(default=8.0, gt=0)
    backend_circuit_breaker_enabled: bool = True
    backend_circuit_breaker_failure_threshold: int = Field(default=5, ge=1)
    backend_circuit_breaker_reset_timeout: float = Field(default=60.0, gt=0)
    backend_circuit_breaker_half_open_max_attempts: int = Field(default=3, ge=1)
    backend_circuit_breaker_sliding_window_size: int = Field(default=100, ge=1)

    model_keep_alive: str = Field(default="-1", pattern=r"^-?\d+(\.\d+)?[smh]?$|^(\d+[hms])+$")

    @field_validator(
        "admin_api_key",
        "openai_api_key",
        "embed_model",
        "vram_max_total_gb",
        "judge_api_key",
        "otel_endpoint",
        mode="before",
    )
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("log_format", "provider", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    @field_validator("signature_format")
    @classmethod
    def _format_has_model(cls, value: str) -> str:
        try:
            value.format(model="m")
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"only the {{model}} placeholder is allowed ({exc})") from exc
        # .env files cannot hold a real newline in an unquoted value: accept "\n".
        return value.replace("\\n", "\n")

    @field_validator("backends", mode="before")
    @classmethod
    def _parse_backends(cls, value: Any) -> Any:
        if isinstance(value, str):
            if not value.strip():
                return None
            return json.loads(value)
        return value

    @field_validator("routing_weights")
    @classmethod
    def _known_weights(cls, value: dict[str, float]) -> dict[str, float]:
        from smarterrouter.routing.scoring import Weights

        known = set(Weights.__dataclass_fields__)
        unknown = sorted(set(value) - known)
        if unknown:
            raise ValueError(f"unknown weights {unknown}; known: {sorted(known)}")
        if any(v < 0 for v in value.values()):
            raise ValueError("weights must not be negative")
        return value

    @field_validator("virtual_models", "routing_weights", mode="before")
    @classmethod
    def _parse_virtual(cls, value: Any) -> Any:
        if isinstance(value, str):
            return json.loads(value) if value.strip() else {}
        return value

    @field_validator("virtual_models")
    @classmethod
    def _preferences_in_range(cls, value: dict[str, float]) -> dict[str, float]:
        bad = {name: p for name, p in value.items() if not 0.0 <= p <= 1.0 or not name}
        if bad:
            raise ValueError(f"each preference must be between 0 and 1: {bad}")
        return value

    @field_validator("pinned_model", mode="before")
    @classmethod
    def _name_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("model_overrides", mode="before")
    @classmethod
    def _parse_overrides(cls, value: Any) -> Any:
        if isinstance(value, str):
            return json.loads(value) if value.strip() else {}
        return value

    @field_validator("ollama_url", "llama_cpp_url", "llama_swap_url", "openai_base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"must start with http:// or https://, got {value!r}")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _virtual_names_differ(self) -> Settings:
        if self.external_model_name in self.virtual_models:
            raise ValueError(
                "ROUTER_VIRTUAL_MODELS: a virtual model cannot be named like "
                f"ROUTER_EXTERNAL_MODEL_NAME ({self.external_model_name!r})"
            )
        return self

    @model_validator(mode="after")
    def _unique_backend_names(self) -> Settings:
        names = [b.name for b in self.backend_configs()]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"ROUTER_BACKENDS: duplicate backend names {dupes}")
        return self

    def backend_configs(self) -> list[BackendConfig]:
        """The backends to front: ROUTER_BACKENDS, or the single ROUTER_PROVIDER one."""
        if self.backends:
            return list(self.backends)
        url = {
            "ollama": self.ollama_url,
            "llama.cpp": self.llama_cpp_url,
            "llama-swap": self.llama_swap_url,
            "openai": self.openai_base_url,
        }[self.provider]
        key = self.openai_api_key
        api_key = key.get_secret_value() if key and self.provider == "openai" else None
        name = self.provider.replace(".", "")
        return [
            BackendConfig(
                name=name,
                provider=self.provider,
                url=url,
                api_key=api_key,
                model_prefix=self.model_prefix,
            )
        ]


class SettingsError(Exception):
    """A setting is wrong; the message names it."""


def load_settings(**overrides: Any) -> Settings:
    """Build settings from the environment and `.env`, naming any bad setting."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError(describe_validation_error(exc)) from None
    except json.JSONDecodeError as exc:
        raise SettingsError(f"a ROUTER_ setting holds invalid JSON: {exc}") from None


def describe_validation_error(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        if not loc:  # a check across fields: its message names them
            lines.append(str(err["msg"]).removeprefix("Value error, "))
            continue
        head = loc[0]
        name = head if head.startswith("ROUTER_") else f"ROUTER_{head.upper()}"
        where = name + ("" if len(loc) < 2 else " (" + ".".join(loc[1:]) + ")")
        lines.append(f"{where}: {err['msg']}")
    return "invalid settings:\n  " + "\n  ".join(lines)
