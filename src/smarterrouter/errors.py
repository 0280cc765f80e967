"""The router's errors, and how each one looks to an OpenAI client.

    RouterError                       every error the router raises on purpose
    ├── InvalidRequest        400     the request itself is wrong
    │   └── NoCapableModel    400     no model can do what the request needs
    ├── AuthError             401
    ├── ModelNotFound         404     `model` names nothing we serve
    ├── PayloadTooLarge       413
    ├── RateLimited           429
    ├── BackendError          502     an upstream failed (its name and status kept)
    │   ├── BackendUnavailable 503    could not connect
    │   └── BackendTimeout     504    no answer in time
    ├── AllBackendsFailed     502     every candidate failed; the last cause kept
    ├── StorageError          503     the database cannot be reached or written (storage/)
    └── ServiceUnavailable    503     the router is starting or shutting down

httpx exceptions never leave `backends/`: they are mapped there, once.
"""

from __future__ import annotations

from typing import Any


class RouterError(Exception):
    status_code = 500
    error_type = "server_error"
    code: str | None = "internal_error"
    # The models tried before giving up, when the error ends a dispatch.
    attempts: tuple[Any, ...] = ()

    def __init__(self, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param

    def to_openai(self) -> dict[str, Any]:
        return {
            "error": {
                "message": self.message,
                "type": self.error_type,
                "param": self.param,
                "code": self.code,
            }
        }


class InvalidRequest(RouterError):
    status_code = 400
    error_type = "invalid_request_error"
    code = "invalid_request"


class NoCapableModel(InvalidRequest):
    code = "no_capable_model"


class AuthError(RouterError):
    status_code = 401
    error_type = "authentication_error"
    code = "invalid_api_key"


class ModelNotFound(RouterError):
    status_code = 404
    error_type = "invalid_request_error"
    code = "model_not_found"

    def __init__(self, model: str) -> None:
        super().__init__(f"The model '{model}' does not exist", param="model")
        self.model = model


class PayloadTooLarge(RouterError):
    status_code = 413
    error_type = "invalid_request_error"
    code = "payload_too_large"


class RateLimited(RouterError):
    status_code = 429
    error_type = "rate_limit_error"
    code = "rate_limit_exceeded"


_CLIENT_FAULTS = frozenset({400, 413, 422})


class BackendError(RouterError):
    """An upstream answered with an error, or broke the protocol.

    `retryable` says whether another attempt (or another model) may succeed;
    `upstream_status` is the HTTP status the backend gave, if any.
    """

    status_code = 502
    error_type = "upstream_error"
    code = "backend_error"

    def __init__(
        self,
        message: str,
        *,
        backend: str,
        upstream_status: int | None = None,
        retryable: bool = True,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.backend = backend
        self.upstream_status = upstream_status
        self.retryable = retryable
        # Seconds the upstream asked us to wait (its Retry-After header).
        self.retry_after = retry_after
        if upstream_status in _CLIENT_FAULTS:
            # The upstream judged the request itself wrong (too long for the
            # context, a bad parameter): that is the client's 400, not a 502.
            self.status_code = 400
            self.error_type = "invalid_request_error"
            self.code = "invalid_request"


class BackendUnavailable(BackendError):
    status_code = 503
    code = "backend_unavailable"


class BackendTimeout(BackendError):
    status_code = 504
    code = "backend_timeout"


class AllBackendsFailed(RouterError):
    status_code = 502
    error_type = "upstream_error"
    code = "all_backends_failed"


class ServiceUnavailable(RouterError):
    status_code = 503
    error_type = "server_error"
    code = "service_unavailable"
