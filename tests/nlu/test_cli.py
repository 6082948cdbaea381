"""``safemig nlu train|eval|parse``: exit codes, and stdout that is only the contract's JSON."""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from nlu import cli

from .conftest import FIXTURE_DATA

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def dirs(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    cache = tmp_path_factory.getbasetemp() / "cli-cache"  # shared: train once for all CLI tests
    return ["--data-dir", str(FIXTURE_DATA), "--cache-dir", str(cache)]


def run(argv: list[str], stdin: str = "") -> tuple[int, str, str]:
    """Run the CLI in-process; return (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    old = sys.stdin, sys.stdout, sys.stderr
    sys.stdin, sys.stdout, sys.stderr = io.StringIO(stdin), out, err
    try:
        code = cli.main(argv)
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        sys.stdin, sys.stdout, sys.stderr = old
    return code, out.getvalue(), err.getvalue()


def test_parse_jsonl_contract(dirs: list[str]) -> None:
    lines = [
        "Мне предложили работу в Германии, проверьте",
        json.dumps({"text": "salut"}),
        "",
        json.dumps({"text": "they took my passport and locked me in", "id": 7}),
        "{not json but text",
    ]
    code, out, _ = run(["nlu", "parse", "--jsonl", *dirs], "\n".join(lines) + "\n")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 4  # the blank line is skipped
    for row in rows:
        assert set(row) == {"text", "intent", "confidence", "language", "entities"}
        assert isinstance(row["confidence"], float)
    assert rows[0]["entities"] == [{"entity": "country", "value": "DE"}]
    assert rows[0]["intent"] == "check_offer"
    assert (rows[1]["text"], rows[1]["intent"]) == ("salut", "greet")
    assert rows[2]["intent"] == "emergency"
    assert rows[3]["text"] == "{not json but text"


def test_parse_text_arguments_are_readable(dirs: list[str]) -> None:
    code, out, _ = run(["nlu", "parse", *dirs, "ajutor, ma tin inchisa"])
    assert code == 0
    assert "emergency" in out and "ro.held" in out


@pytest.mark.parametrize(
    "argv",
    [
        ["nlu", "parse"],  # nothing to parse
        ["nlu"],  # no sub-command
        ["nlu", "parse", "--no-such-flag", "x"],
        ["nlu", "eval", "--data-dir", "/nonexistent"],
        ["nlu", "eval", "--unseen", "/nonexistent.yml", "--data-dir", str(FIXTURE_DATA)],
    ],
)
def test_bad_usage_exits_2_and_prints_nothing_on_stdout(argv: list[str]) -> None:
    code, out, _ = run(argv)
    assert code == 2
    assert out == ""


def test_train_then_eval_json(dirs: list[str], tmp_path: Path) -> None:
    code, out, _ = run(["nlu", "train", *dirs])
    assert code == 0 and "intents" in out
    unseen = tmp_path / "unseen.yml"
    unseen.write_text(
        "- {text: salut, intent: greet, language: ro, countries: []}\n"
        "- {text: 'am o oferta in Germania, verificati', intent: check_offer, language: ro,"
        " countries: [DE]}\n",
        encoding="utf-8",
    )
    code, out, _ = run(["nlu", "eval", "--json", "--unseen", str(unseen), *dirs])
    assert code == 0
    report = json.loads(out)
    assert set(report) == {"held-out", "unseen"}
    assert report["unseen"]["cases"] == 2
    assert report["unseen"]["country_cases"] == 2
    for key in (
        "intent_accuracy",
        "language_accuracy",
        "country_accuracy",
        "emergency_recall",
        "per_language",
        "per_intent",
        "confusions",
        "safety_net_false_alarms",
    ):
        assert key in report["held-out"]


def test_register_adds_nlu_to_a_parent_parser() -> None:
    parser = argparse.ArgumentParser(prog="safemig")
    subs = parser.add_subparsers(dest="command")
    cli.register(subs)
    args = parser.parse_args(["nlu", "parse", "--jsonl"])
    assert args.nlu_command == "parse" and args.jsonl
    assert args.cache_dir == Path("var/nlu-cache")


def test_python_dash_m_nlu(dirs: list[str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "nlu", "parse", "--jsonl", *dirs],
        input="в Германию\n",
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    (line,) = proc.stdout.splitlines()
    assert json.loads(line)["entities"] == [{"entity": "country", "value": "DE"}]


def test_jsonl_survives_invalid_utf8_on_stdin(dirs: list[str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "nlu", "parse", "--jsonl", *dirs],
        input=b"salut \xff\xfe\n" + json.dumps({"text": "a\ud800b"}).encode() + b"\n",
        capture_output=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert len(rows) == 2
    assert rows[0]["text"].startswith("salut")
    assert rows[1]["text"] == "a\ufffdb"
