"""Schema migrations (Alembic), shipped inside the package and run at start.

No `alembic.ini` is needed: the configuration is built here and the scripts are
found next to this module, so an installed wheel migrates the same way as a
checkout. To add a revision after changing `tables.py`:

    from alembic import command
    from smarterrouter.storage.engine import open_engine
    from smarterrouter.storage.migrate import alembic_config

    engine = open_engine("sqlite:///scratch.db")   # a database at the current head
    with engine.begin() as conn:
        command.revision(alembic_config(conn), "what changed", autogenerate=True)

then review the generated file in `migrations/versions/`.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from smarterrouter.storage.engine import open_engine, translate_errors

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# Any constant works; it only has to be the same for every replica.
_POSTGRES_LOCK_KEY = 0x5352_6D69  # "SRmi"


def alembic_config(connection: Connection) -> Config:
    """An Alembic configuration whose env.py runs on `connection`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to `revision`; a no-op when it is there already.

    Raises StorageError (naming the database) when the database cannot be
    reached or a migration fails; a failed migration is rolled back where the
    database allows it.
    """
    with translate_errors(engine, "migrating the schema"), engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Replicas starting together would otherwise race to create tables.
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _POSTGRES_LOCK_KEY})
        command.upgrade(alembic_config(conn), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the database back to `revision` (`"base"`: drop every table)."""
    with translate_errors(engine, "downgrading the schema"), engine.begin() as conn:
        command.downgrade(alembic_config(conn), revision)


def migrate(url: str) -> None:
    """Open `url`, bring it to the latest schema, and close it again."""
    engine = open_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
