"""The router's database: discovered models and routing decisions.

Built in the app's lifespan, closed on shutdown:

    storage = await Storage.open(settings.database_url)   # creates and migrates
    recorder = DecisionRecorder(storage)
    recorder.start()
    ...
    await recorder.aclose()   # writes what is queued
    await storage.aclose()
"""

from smarterrouter.storage.engine import open_engine, resolve_database_url, session_factory
from smarterrouter.storage.errors import StorageError
from smarterrouter.storage.migrate import migrate
from smarterrouter.storage.recorder import DecisionRecorder
from smarterrouter.storage.records import (
    DecisionRecord,
    DecisionStatus,
    Feedback,
    FeedbackTotal,
    StoredModel,
    hash_conversation,
)
from smarterrouter.storage.store import Storage

__all__ = [
    "DecisionRecord",
    "DecisionRecorder",
    "DecisionStatus",
    "Feedback",
    "FeedbackTotal",
    "Storage",
    "StorageError",
    "StoredModel",
    "hash_conversation",
    "migrate",
    "open_engine",
    "resolve_database_url",
    "session_factory",
]
