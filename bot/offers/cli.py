"""``safemig offer check`` and ``safemig offer import-agencies`` (docs/CONTRACTS.md).

stdout carries only results (JSON lines with ``--jsonl``); messages go to stderr.
Exit codes: 0 success, 1 invalid agency list, 2 bad usage (argparse's convention).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

__all__ = ["main", "register"]

LANGUAGES = ("ro", "ru", "uk", "en", "rom")
_PLACEHOLDER = re.compile(r"\{([a-z0-9_]+)\}")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``offer`` command and its sub-commands to a parent parser."""
    offer = subparsers.add_parser("offer", help="check a job offer; import the agency registry")
    sub = offer.add_subparsers(
        dest="offer_command", required=True, metavar="{check,import-agencies,confirm-scam}"
    )

    check = sub.add_parser("check", help="score a job offer (TEXT, stdin, or --jsonl)")
    check.add_argument("text", nargs="*", help="the offer (default: all of stdin)")
    check.add_argument(
        "--jsonl",
        action="store_true",
        help='read {"text": ...} objects one per line on stdin, write one JSON per line',
    )
    check.add_argument("--lang", choices=LANGUAGES, help="language of the offer (default: guessed)")
    check.set_defaults(func=_check)

    imp = sub.add_parser("import-agencies", help="validate the official list of licensed agencies")
    imp.add_argument(
        "file", type=Path, help="CSV: name, licence number, valid until, countries, source"
    )
    imp.add_argument(
        "--out", type=Path, help="where to write (default: content/offers/agencies.csv)"
    )
    imp.set_defaults(func=_import)

    confirm = sub.add_parser("confirm-scam", help="mark a stored check as a confirmed scam")
    confirm.add_argument("check_id", type=int, help="the id of the stored offer check")
    confirm.set_defaults(func=_confirm_scam)


def _confirm_scam(args: argparse.Namespace) -> int:
    import asyncio

    from bot.offers.store import confirm_scam
    from bot.storage import Database

    async def run() -> bool:
        db = Database(args.settings.database)
        try:
            return await confirm_scam(db, args.check_id)
        finally:
            await db.dispose()

    if not asyncio.run(run()):
        print(f"safemig: no offer check with id {args.check_id}", file=sys.stderr)
        return 1
    print(f"offer check {args.check_id} confirmed as a scam", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``offer ...`` on its own (the bot's ``safemig`` calls ``register``)."""
    parser = argparse.ArgumentParser(prog="safemig")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


def _services_numbers() -> dict[str, str]:
    """Placeholder -> number for the national services, so a terminal report reads whole."""
    import yaml

    from bot.offers.data import default_content_dir

    try:
        raw = yaml.safe_load((default_content_dir() / "services.yml").read_text(encoding="utf-8"))
        return {s["id"]: str(s["number"]) for s in raw.get("national", []) if s.get("verified")}
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError):
        return {}


def _check_jsonl(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    from bot.offers import check_offer
    from bot.offers.serialize import to_json

    for number, line in enumerate(stdin, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            print(f"line {number}: not JSON", file=sys.stderr)
            return 2
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            print(f'line {number}: expected an object with a "text" string', file=sys.stderr)
            return 2
        lang = item.get("language") if item.get("language") in LANGUAGES else args.lang
        stdout.write(
            json.dumps(to_json(check_offer(item["text"], language=lang)), ensure_ascii=False) + "\n"
        )
        stdout.flush()
    return 0


def _check(args: argparse.Namespace, settings: object = None) -> int:
    from bot.offers import check_offer
    from bot.offers.render import render_report

    if args.jsonl:
        if args.text:
            print("offer check: give TEXT or --jsonl, not both", file=sys.stderr)
            return 2
        return _check_jsonl(args, sys.stdin, sys.stdout)
    text = " ".join(args.text) if args.text else sys.stdin.read()
    report = check_offer(text, language=args.lang)
    lang = args.lang or (report.language if report.language in LANGUAGES else "en")
    numbers = _services_numbers()
    out = _PLACEHOLDER.sub(
        lambda m: numbers.get(m.group(1), m.group(0)), render_report(report, lang)
    )
    print(out.replace("**", ""))
    return 0


def _import(args: argparse.Namespace, settings: object = None) -> int:
    from bot.offers.data import default_content_dir
    from bot.offers.registry import AgencyImportError, import_agencies, write_agencies

    if not args.file.is_file():
        print(f"offer import-agencies: no such file: {args.file}", file=sys.stderr)
        return 2
    try:
        agencies = import_agencies(args.file)
    except AgencyImportError as exc:
        for problem in exc.problems:
            print(f"{args.file}: {problem}", file=sys.stderr)
        return 1
    except (UnicodeDecodeError, ValueError) as exc:
        print(f"{args.file}: {exc}", file=sys.stderr)
        return 1
    out: Path = args.out or default_content_dir() / "offers" / "agencies.csv"
    with out.open("w", encoding="utf-8", newline="") as f:
        write_agencies(agencies, f)
    print(f"{len(agencies)} agencies written to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
