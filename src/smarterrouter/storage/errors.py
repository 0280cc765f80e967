"""The one error the storage package raises on purpose."""

from __future__ import annotations

from smarterrouter.errors import RouterError


class StorageError(RouterError):
    """The database cannot be opened, migrated, read or written.

    The message names the database (a SQLite path, or a PostgreSQL URL with its
    password hidden) and says what to fix. SQLAlchemy and driver exceptions are
    translated into this one at the storage boundary and never leave it.
    """

    status_code = 503
    error_type = "server_error"
    code = "storage_unavailable"
