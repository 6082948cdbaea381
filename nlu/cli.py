"""``safemig nlu train|eval|parse``: the NLU's command line.

stdout carries only results (JSON lines with ``--jsonl``/``--json``); logs go
to stderr. Exit codes: 0 success, 2 bad usage (argparse's convention).
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from nlu.data import default_data_dir
from nlu.evaluate import Report, held_out_report, unseen_report
from nlu.types import Parse

__all__ = ["main", "register"]

DEFAULT_CACHE_DIR = Path("var/nlu-cache")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``nlu`` command and its sub-commands to a parent parser."""
    nlu = subparsers.add_parser("nlu", help="train, evaluate or run the NLU")
    sub = nlu.add_subparsers(dest="nlu_command", required=True, metavar="{train,eval,parse}")

    train = sub.add_parser("train", help="train the embedded model from nlu/data/ (cached)")
    _common(train)
    train.add_argument("--force", action="store_true", help="train even if the cache is current")
    train.set_defaults(func=_train)

    ev = sub.add_parser("eval", help="held-out and unseen-message scores")
    _common(ev)
    ev.add_argument("--unseen", type=Path, help="YAML list of {text, intent, language, countries}")
    ev.add_argument("--json", action="store_true", help="machine-readable output")
    ev.add_argument("--misses", action="store_true", help="list every wrong case")
    ev.set_defaults(func=_eval)

    parse = sub.add_parser("parse", help="parse messages")
    _common(parse)
    parse.add_argument("text", nargs="*", help="messages (without --jsonl)")
    parse.add_argument("--jsonl", action="store_true", help="one message per stdin line, JSON out")
    parse.add_argument("--lang", help="the user's chosen language (breaks near-ties)")
    parse.set_defaults(func=_parse)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--data-dir", type=Path, default=default_data_dir(), help="default: the repo's nlu/data"
    )
    p.add_argument(
        "--cache-dir", type=Path, default=DEFAULT_CACHE_DIR, help="default: ./var/nlu-cache"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point for ``python -m nlu`` (the bot's ``safemig`` calls ``register``)."""
    parser = argparse.ArgumentParser(prog="safemig")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    code: int = args.func(args)
    return code


def _train(args: argparse.Namespace) -> int:
    from nlu.model import cache_key, load_or_train

    if not _check_data_dir(args.data_dir):
        return 2
    started = time.perf_counter()
    cache_dir: Path = args.cache_dir
    if args.force:
        import shutil

        shutil.rmtree(cache_dir / f"embedded-{cache_key(args.data_dir)[:24]}", ignore_errors=True)
    artifacts, trained = load_or_train(args.data_dir, cache_dir)
    seconds = time.perf_counter() - started
    what = "trained" if trained else "already cached"
    examples, intents = artifacts.info.get("examples"), len(artifacts.intent.classes)
    print(f"{what}: {examples} examples, {intents} intents, {seconds:.1f} s")
    return 0


def _eval(args: argparse.Namespace) -> int:
    from nlu.api import build_embedded

    if not _check_data_dir(args.data_dir):
        return 2
    if args.unseen is not None and not args.unseen.is_file():
        print(f"no such file: {args.unseen}", file=sys.stderr)
        return 2
    reports = [held_out_report(args.data_dir)]
    if args.unseen is not None:
        reports.append(unseen_report(build_embedded(args.data_dir, args.cache_dir), args.unseen))
    if args.json:
        print(
            json.dumps(
                {r.name.split(" ")[0]: r.to_json() for r in reports}, ensure_ascii=False, indent=1
            )
        )
    else:
        for r in reports:
            _print_report(r, sys.stdout, misses=args.misses)
    return 0


def _parse(args: argparse.Namespace) -> int:
    from nlu.api import build_embedded

    if not args.jsonl and not args.text:
        print(
            "give messages as arguments, or --jsonl with one message per stdin line",
            file=sys.stderr,
        )
        return 2
    if not _check_data_dir(args.data_dir):
        return 2
    nlu = build_embedded(args.data_dir, args.cache_dir)
    if args.jsonl:
        for line in _stdin_lines():
            text = _message(line.rstrip("\n"))
            if text is None:
                continue
            parse = nlu.parse_sync(text, lang_hint=args.lang)
            sys.stdout.write(json.dumps(parse.to_json(), ensure_ascii=False) + "\n")
        sys.stdout.flush()
        return 0
    for text in args.text:
        _print_parse(nlu.parse_sync(text, lang_hint=args.lang), sys.stdout)
    return 0


def _stdin_lines() -> TextIO:
    # Invalid UTF-8 on stdin must not end the run: undecodable bytes become U+FFFD.
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:
        return sys.stdin
    return io.TextIOWrapper(buffer, encoding="utf-8", errors="replace")


def _message(line: str) -> str | None:
    """A stdin line: a JSON object with a "text" key, or plain text. Blank lines are skipped."""
    if not line.strip():
        return None
    if line.lstrip().startswith("{"):
        try:
            obj: Any = json.loads(line)
        except json.JSONDecodeError:
            return line
        if isinstance(obj, dict):
            text = obj.get("text")
            return text if isinstance(text, str) else ""
    return line


def _check_data_dir(data_dir: Path) -> bool:
    if not (data_dir / "nlu").is_dir():
        print(f"no training data: {data_dir}/nlu does not exist", file=sys.stderr)
        return False
    return True


def _print_parse(p: Parse, out: TextIO) -> None:
    out.write(f"{p.text}\n")
    out.write(f"  intent    {p.intent} ({p.confidence:.2f})")
    out.write(f"  safety rule {p.safety_rule}\n" if p.safety_rule else "\n")
    out.write(f"  language  {p.language} ({p.language_confidence:.2f})\n")
    if p.entities:
        out.write("  countries " + ", ".join(f"{e.value} ({e.text})" for e in p.entities) + "\n")
    if p.ranking:
        out.write("  ranking   " + ", ".join(f"{n} {c:.2f}" for n, c in p.ranking) + "\n")


def _print_report(r: Report, out: TextIO, *, misses: bool) -> None:
    out.write(f"== {r.name}: {r.cases} messages\n")
    out.write(
        f"intent accuracy      {r.intent_accuracy:.1%}   (fallback rate {r.fallback_rate:.1%})\n"
    )
    out.write(f"language id accuracy {r.language_accuracy:.1%}\n")
    out.write(f"country accuracy     {r.country_accuracy:.1%} of {r.country_cases}\n")
    out.write(f"emergency recall     {r.emergency_recall:.1%} of {r.emergency_cases}")
    out.write(f"  (safety net alone {r.safety_net_recall:.1%})\n")
    out.write(f"false alarms         {r.emergency_false_alarms} of {r.non_emergency_cases}")
    out.write(f"  (safety net {r.safety_net_false_alarms})\n")
    out.write("\nper language         n    intent  macroF1  lang-id\n")
    for lang, row in r.per_language.items():
        out.write(
            f"  {lang:<16} {int(row['cases']):>5}  {row['intent_accuracy']:>6.1%}  "
            f"{row['macro_f1']:>6.3f}  {row['language_accuracy']:>6.1%}\n"
        )
    out.write("\nper intent                 precision recall  F1     n\n")
    for intent, row in r.per_intent.items():
        out.write(
            f"  {intent:<24} {row['precision']:>6.2f}  {row['recall']:>6.2f}  "
            f"{row['f1']:>5.2f} {int(row['support']):>5}\n"
        )
    if r.confusions:
        out.write("\nmost frequent confusions (gold -> predicted)\n")
        for gold, pred, n in r.confusions:
            out.write(f"  {n:>3}  {gold} -> {pred}\n")
    if r.language_confusions:
        out.write("\nlanguage confusions (gold -> predicted)\n")
        for gold, pred, n in r.language_confusions:
            out.write(f"  {n:>3}  {gold} -> {pred}\n")
    if misses:
        out.write("\nmisses\n")
        for m in r.misses:
            out.write(f"  [{m['gold']} -> {m['predicted']}] {m['text']}\n")
    out.write("\n")


if __name__ == "__main__":
    raise SystemExit(main())
