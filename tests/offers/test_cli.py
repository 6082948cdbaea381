"""``safemig offer check`` and ``safemig offer import-agencies``."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bot.offers.cli import main


def _run(
    argv: list[str], stdin: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_jsonl_writes_one_contract_line_per_offer(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [
        {"text": "Taxa 200 euro pentru acte"},
        {"text": "EURES vacancy, employer Fresh Foods Ltd, Cork."},
    ]
    code, out, _ = _run(
        ["offer", "check", "--jsonl"],
        "\n".join(json.dumps(x) for x in lines) + "\n\n",
        monkeypatch,
        capsys,
    )
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 2
    assert all(set(r) == {"risk", "score", "flags", "protective", "language"} for r in rows)
    assert rows[0]["risk"] == "high" and rows[1]["risk"] == "low"


def test_bad_usage_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(["offer", "check", "--jsonl"], "not json\n", monkeypatch, capsys)
    assert code == 2 and out == "" and "line 1" in err
    code, out, _ = _run(["offer", "check", "--jsonl"], '{"txt": "x"}\n', monkeypatch, capsys)
    assert code == 2 and out == ""
    code, _, _ = _run(["offer", "check", "--jsonl", "extra"], "", monkeypatch, capsys)
    assert code == 2
    with pytest.raises(SystemExit) as exc:
        main(["offer", "check", "--lang", "xx"])
    assert exc.value.code == 2


def test_readable_report_fills_the_hotline(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(
        ["offer", "check", "--lang", "en"],
        "Send a 200 EUR deposit, WhatsApp only",
        monkeypatch,
        capsys,
    )
    assert code == 0 and "Risk: high" in out and "{hotline}" not in out and "**" not in out


def test_import_agencies_validates_and_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "list.csv"
    source.write_text(
        "Denumire;Nr. licentei;Valabila pana la;Tari\nAlfa SRL;nr 1234/2022;01.02.2028;DE\n",
        encoding="utf-8",
    )
    out = tmp_path / "agencies.csv"
    assert main(["offer", "import-agencies", str(source), "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8").splitlines() == [
        "name,licence_number,valid_until,countries,source",
        "Alfa SRL,1234/2022,2028-02-01,DE,",
    ]
    bad = tmp_path / "bad.csv"
    bad.write_text("name,licence_number\nAlfa,??\n", encoding="utf-8")
    assert main(["offer", "import-agencies", str(bad), "--out", str(out)]) == 1
    assert "line 2" in capsys.readouterr().err
    assert main(["offer", "import-agencies", str(tmp_path / "missing.csv")]) == 2
