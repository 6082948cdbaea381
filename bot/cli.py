"""The `safemig` command line (see docs/CONTRACTS.md)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

from bot.channels.telegram import telegram_poll
from bot.logs import setup_logging
from bot.settings import LANGUAGES, Settings, load_settings

log = logging.getLogger(__name__)

SHUTDOWN_GRACE_SECONDS = 5  # for requests in flight after a SIGTERM; below Docker's 10 s


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help(sys.stderr)
        return 2
    settings = load_settings()
    setup_logging(settings.log_level)
    args.settings = settings  # commands read it from here; packages' commands may ignore it
    result: int = args.func(args)
    return result


def build_parser() -> argparse.ArgumentParser:
    """Every command and its options."""
    parser = argparse.ArgumentParser(prog="safemig", description=__doc__)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the web chat, webhooks, console, health, metrics")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1,
                       help="worker processes sharing the port (PostgreSQL only)")
    serve.set_defaults(func=_serve)

    chat = sub.add_parser("chat", help="talk to the bot in the terminal")
    chat.add_argument("--lang", choices=LANGUAGES, help="start in this language")
    chat.set_defaults(func=_chat)

    poll = sub.add_parser("telegram-poll", help="Telegram by long polling")
    poll.set_defaults(func=telegram_poll)

    db = sub.add_parser("db", help="database tasks").add_subparsers(metavar="TASK")
    upgrade = db.add_parser("upgrade", help="apply database migrations")
    upgrade.set_defaults(func=_db_upgrade)

    content = sub.add_parser("content", help="content tasks").add_subparsers(metavar="TASK")
    check = content.add_parser("check", help="validate content and translations")
    check.set_defaults(func=_content_check)

    operator = sub.add_parser("operator", help="console accounts").add_subparsers(metavar="TASK")
    add = operator.add_parser("add", help="create a console account")
    add.add_argument("name")
    add.add_argument("--role", choices=("operator", "supervisor"), default="operator")
    add.add_argument("--password-stdin", action="store_true")
    add.set_defaults(func=_operator_add)

    keys = sub.add_parser("keys", help="secret key tasks").add_subparsers(metavar="TASK")
    rotate = keys.add_parser("rotate", help="move stored data from SECRET_KEY_PREVIOUS to "
                             "SECRET_KEY (see docs/deploy.md)")
    rotate.set_defaults(func=_keys_rotate)

    _register_optional(sub)
    return parser


def _register_optional(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Commands whose packages register themselves (NLU, offer check)."""
    try:
        from nlu.cli import register as register_nlu
    except ImportError:
        sub.add_parser("nlu", help="NLU tasks").set_defaults(func=_not_yet("the NLU"))
    else:
        register_nlu(sub)
    try:
        from bot.offers.cli import register as register_offers
    except ImportError:
        sub.add_parser("offer", help="job-offer check").set_defaults(
            func=_not_yet("the offer check"))
    else:
        register_offers(sub)


def _not_yet(feature: str) -> object:
    def run(args: argparse.Namespace) -> int:
        print(f"safemig: {feature} is not available yet.", file=sys.stderr)
        return 1

    return run


def _operator_add(args: argparse.Namespace) -> int:
    settings: Settings = args.settings
    import getpass

    from bot.console.accounts import AccountError, add_operator
    from bot.storage import Database

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(f"password for {args.name}: ")
        if getpass.getpass("again: ") != password:
            print("safemig: the passwords differ", file=sys.stderr)
            return 2

    async def run() -> None:
        await _upgrade(settings)
        db = Database(settings.database)
        try:
            await add_operator(db, args.name, password, args.role)
        finally:
            await db.dispose()

    try:
        asyncio.run(run())
    except AccountError as exc:
        print(f"safemig: {exc}", file=sys.stderr)
        return 2
    print(f"added {args.role} {args.name}", file=sys.stderr)
    return 0


def _keys_rotate(args: argparse.Namespace) -> int:
    settings: Settings = args.settings
    from bot.crypto import Keyring
    from bot.keys import rotate
    from bot.storage import Database

    if not settings.previous_secrets:
        print("safemig: set SECRET_KEY_PREVIOUS to the old key(s) first", file=sys.stderr)
        return 2

    async def run() -> None:
        await _upgrade(settings)
        db = Database(settings.database)
        try:
            done = await rotate(db, Keyring(settings.secret, settings.previous_secrets))
        finally:
            await db.dispose()
        print(f"re-keyed {done.rekeyed}, already current {done.current}, "
              f"unreadable {done.unreadable}", file=sys.stderr)

    asyncio.run(run())
    return 0


def _db_upgrade(args: argparse.Namespace) -> int:
    settings: Settings = args.settings
    asyncio.run(_upgrade(settings))
    print("database is up to date", file=sys.stderr)
    return 0


async def _upgrade(settings: Settings) -> None:
    from bot.storage import Database

    db = Database(settings.database)
    try:
        await db.upgrade()
    finally:
        await db.dispose()


def _serve(args: argparse.Namespace) -> int:
    settings: Settings = args.settings
    import uvicorn

    from bot.channels.telegram.channel import TelegramConfigError
    from bot.service import Service
    from bot.web import create_app

    if args.workers < 1:
        print("safemig: --workers must be 1 or more", file=sys.stderr)
        return 2
    if args.workers > 1 and settings.database.startswith("sqlite"):
        # Workers share events through PostgreSQL LISTEN/NOTIFY; SQLite has no such thing.
        print("safemig: several workers need PostgreSQL (set DATABASE_URL)", file=sys.stderr)
        return 2
    asyncio.run(_upgrade(settings))
    try:
        # Built here even with several workers: a configuration error stops us at once.
        app = create_app(Service.build(settings, {}, with_nlu=args.workers == 1))
    except TelegramConfigError as exc:
        print(f"safemig: {exc}", file=sys.stderr)
        return 2
    log.info("serving", extra={"host": args.host, "port": args.port, "workers": args.workers})
    # The consoles' event streams (/api/events) never end by themselves, and uvicorn waits
    # for every open request before it stops: without a limit a SIGTERM would hang while
    # any console is open. After the grace period they are cut; EventSource reconnects.
    options: dict[str, Any] = {
        "host": args.host, "port": args.port, "log_config": None, "ws_max_size": 1_048_576,
        "proxy_headers": True, "server_header": False,
        "timeout_graceful_shutdown": SHUTDOWN_GRACE_SECONDS}
    if args.workers == 1:
        uvicorn.run(app, **options)
    else:
        # The workers read their settings from the environment: each gets its share of
        # Telegram's overall rate, so that together they stay within it.
        os.environ["TELEGRAM_MAX_RATE"] = repr(worker_rate(settings, args.workers))
        uvicorn.run("bot.web:app_from_environment", factory=True, workers=args.workers,
                    **options)
    return 0


def worker_rate(settings: Settings, workers: int) -> float:
    """Each worker's share of the deployment's Telegram rate (messages per second)."""
    return settings.telegram_max_rate / workers


def _chat(args: argparse.Namespace) -> int:
    settings: Settings = args.settings
    from bot.channels.terminal import run_chat
    from bot.service import Service

    async def run() -> int:
        await _upgrade(settings)
        service = Service.build(settings, {})
        try:
            return await run_chat(service, sys.stdin, sys.stdout, args.lang)
        finally:
            await service.db.dispose()

    return asyncio.run(run())


def _content_check(args: argparse.Namespace) -> int:
    settings: Settings = args.settings
    from bot.content.check import check_all

    problems = check_all(settings.content_dir, settings.locales_dir)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"content check: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print("content check: ok", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
