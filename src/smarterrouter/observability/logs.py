"""Logging as text or JSON lines, each line carrying the request id.

Secrets are masked in every line, whatever logged it: the values the settings
hold (backend API keys, the admin key, a database password), bearer tokens,
API keys and passwords in URLs never reach the output. In JSON lines the masking
is done on the values before encoding, so that every line stays valid JSON.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

import orjson

from smarterrouter.observability.context import request_id_var
from smarterrouter.settings import Settings

MASK = "***"
# Shorter values are not masked: hiding every "ab" in a log would hide the log.
_MIN_SECRET_CHARS = 4
_SECRETS = (
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"), r"\1***"),
    (re.compile(r"(?i)(api[_-]?key['\"]?\s*[:=]\s*['\"]?)[^\s'\",}]+"), r"\1***"),
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/@\s]+:)[^@\s]+(@)"), r"\1***\2"),
    (re.compile(r"\bsk-[A-Za-z0-9_-]{8,}"), "sk-***"),
)
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}


def redact(text: str) -> str:
    """`text` with secret-looking parts (bearer tokens, keys, URL passwords) masked."""
    for pattern, repl in _SECRETS:
        text = pattern.sub(repl, text)
    return text


class Redactor:
    """Masks the known secret values, then anything that looks like a secret."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        known = {s for s in secrets if len(s) >= _MIN_SECRET_CHARS}
        # Longest first, so that a secret containing another is masked whole.
        self._known = sorted(known, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._known:
            text = text.replace(secret, MASK)
        return redact(text)

    def scrub(self, value: Any) -> Any:
        """`value` with every string in it redacted; other objects become strings."""
        if isinstance(value, str):
            return self(value)
        if value is None or isinstance(value, bool | int | float):
            return value
        if isinstance(value, Mapping):
            return {self(str(k)): self.scrub(v) for k, v in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self.scrub(v) for v in value]
        return self(str(value))


def settings_secrets(settings: Settings) -> list[str]:
    """Every secret value the settings hold, to be masked in the logs."""
    found = [c.api_key for c in settings.backend_configs() if c.api_key]
    found += [key.get_secret_value() for key in settings.api_keys]
    for secret in (settings.admin_api_key, settings.openai_api_key, settings.judge_api_key):
        if secret is not None:
            found.append(secret.get_secret_value())
    for url in (settings.database_url, settings.redis_url or ""):
        try:
            password = urlsplit(url).password
        except ValueError:  # not a URL at all: its user says so, naming no secret
            password = None
        if password:
            found += dict.fromkeys([password, unquote(password)])  # both, once each
    return found


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get() or "-"
        return True


class TextFormatter(logging.Formatter):
    def __init__(self, redactor: Redactor | None = None) -> None:
        super().__init__("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s")
        self._redact = redactor or Redactor()

    def format(self, record: logging.LogRecord) -> str:
        return self._redact(super().format(record))


class JsonFormatter(logging.Formatter):
    def __init__(self, redactor: Redactor | None = None) -> None:
        super().__init__()
        self._redact = redactor or Redactor()

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", None),
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return orjson.dumps(self._redact.scrub(entry)).decode()


def configure_logging(level: str, fmt: str, secrets: Iterable[str] = ()) -> None:
    """Route every logger (ours, uvicorn's, httpx's) through one handler on stderr.

    `secrets` are values never to be written (see `settings_secrets`).
    """
    redactor = Redactor(secrets)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(redactor) if fmt == "json" else TextFormatter(redactor))
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    # uvicorn's access log is replaced by our own one line per request.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    # httpx logs every request at INFO, URLs included: keep it quiet.
    logging.getLogger("httpx").setLevel(logging.WARNING)
