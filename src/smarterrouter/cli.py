"""`smarterrouter serve | models | explain | vram | doctor | profile | profiles`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from smarterrouter import __version__
from smarterrouter.settings import Settings, SettingsError, load_settings


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="smarterrouter",
        description="An OpenAI-compatible router in front of your local models.",
    )
    parser.add_argument("--version", action="version", version=f"smarterrouter {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the OpenAI API (settings from ROUTER_* and .env)")
    serve.add_argument("--host", help="override ROUTER_HOST")
    serve.add_argument("--port", type=int, help="override ROUTER_PORT")
    sub.add_parser("models", help="list every model the backends serve")
    explain = sub.add_parser("explain", help="show which model a prompt would go to, and why")
    explain.add_argument("prompt", help="the user's message")
    explain.add_argument("--model", help="a router model, e.g. smarterrouter/best")
    explain.add_argument(
        "--quality", type=_preference, help="a quality preference from 0 (fastest) to 1 (best)"
    )
    sub.add_parser("vram", help="GPU memory, the budget, and what the backends have loaded")
    sub.add_parser("doctor", help="check backends, database and GPU, and say what to fix")
    profile = sub.add_parser(
        "profile", help="measure models on this machine: quality, speed, memory"
    )
    profile.add_argument(
        "models", nargs="*", metavar="MODEL", help="models to profile (default: all)"
    )
    profile.add_argument("--force", action="store_true", help="also models with a current profile")
    profiles = sub.add_parser("profiles", help="move profiles between machines")
    moves = profiles.add_subparsers(dest="action", required=True)
    moves.add_parser("export", help="write every profile to a JSON file").add_argument("file")
    moves.add_parser("import", help="read profiles from an exported file").add_argument("file")
    args = parser.parse_args(argv)

    overrides = {k: v for k in ("host", "port") if (v := getattr(args, k, None)) is not None}
    try:
        settings = load_settings(**overrides)
    except SettingsError as exc:
        print(f"smarterrouter: {exc}", file=sys.stderr)
        return 2
    if args.command == "serve":
        return _serve(settings)
    if args.command in ("profile", "profiles"):
        return _profiling_command(settings, args)
    from smarterrouter import commands

    if args.command == "models":
        return asyncio.run(commands.print_models(settings))
    if args.command == "vram":
        return asyncio.run(commands.print_vram(settings))
    if args.command == "explain":
        return asyncio.run(commands.print_explain(settings, args.prompt, args.model, args.quality))
    return asyncio.run(commands.doctor(settings))


def _profiling_command(settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    from smarterrouter.profiling import commands

    if args.command == "profile":
        return asyncio.run(commands.run_profile(settings, args.models, force=args.force))
    if args.action == "export":
        return asyncio.run(commands.export_profiles(settings, Path(args.file)))
    return asyncio.run(commands.import_profiles(settings, Path(args.file)))


def _preference(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be a number from 0 to 1, got {text!r}")
    return value


def _serve(settings: Settings) -> int:
    from smarterrouter.observability.logs import configure_logging, settings_secrets

    configure_logging(settings.log_level, settings.log_format, settings_secrets(settings))
    problem = _rate_limit_problem(settings) or asyncio.run(_database_problem(settings.database_url))
    if problem:
        # Said here, in one line, rather than as a traceback from the server's startup.
        print(f"smarterrouter: cannot start: {problem}", file=sys.stderr)
        return 1

    from smarterrouter.app import create_app
    from smarterrouter.security.admin import admin_access_note
    from smarterrouter.server import serve

    logging.getLogger("smarterrouter.security").info(admin_access_note(settings))
    return serve(create_app(settings), settings)


def _rate_limit_problem(settings: Settings) -> str | None:
    """Why the rate-limit counters cannot be kept (Redis without its client), or None."""
    if not settings.rate_limit_enabled:
        return None
    from limits.errors import ConfigurationError

    from smarterrouter.security.ratelimit import create_storage

    try:
        create_storage(settings)
    except ConfigurationError as exc:
        return f"ROUTER_REDIS_URL: {exc}"
    return None


async def _database_problem(url: str) -> str | None:
    """Why the database cannot be opened and migrated, or None when it can."""
    from smarterrouter.storage import Storage, StorageError

    try:
        storage = await Storage.open(url)
    except StorageError as exc:
        return exc.message
    await storage.aclose()
    return None
