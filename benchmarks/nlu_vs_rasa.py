"""Embedded NLU vs Rasa DIET on the same held-out split: `python benchmarks/nlu_vs_rasa.py`.

Writes the training part of the split as Rasa YAML under var/nlu-vs-rasa/,
trains Rasa on it with nlu/data/config.yml (skipped when a model for the same
split exists), serves it on 127.0.0.1, and compares accuracy per language,
parse latency, memory and training time. Without the Rasa environment
(scripts/rasa install) only the embedded half runs, and it says so.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import defaultdict
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from nlu import data as nludata  # noqa: E402
from nlu.cache import Artifacts  # noqa: E402
from nlu.data import Example  # noqa: E402
from nlu.embedded import EmbeddedNLU  # noqa: E402
from nlu.model import train_artifacts  # noqa: E402
from nlu.safety import load_safety_net  # noqa: E402

WORK = REPO / "var" / "nlu-vs-rasa"
RASA = REPO / "var" / "rasa-venv" / "bin" / "rasa"
PORT = 5006  # not 5005: a Rasa started by scripts/rasa may be running there


def rss_mb(pid: int | None = None) -> float:
    """Resident memory of a process and its children, in MB."""
    pids = [pid or os.getpid()]
    if pid:
        pids += _children(pid)
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/status", encoding="ascii") as f:
                total += int(next(line.split()[1] for line in f if line.startswith("VmRSS")))
        except (OSError, StopIteration):
            continue
    return round(total / 1024, 1)


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return out
    for kid in map(int, kids):
        out += [kid, *_children(kid)]
    return out


def rasa_yaml(train: list[Example], data: nludata.TrainingData) -> str:
    """The training split in Rasa 3 YAML, annotations in Rasa's JSON form."""
    by_intent: dict[str, list[str]] = defaultdict(list)
    for ex in train:
        text = ex.text
        for ann in sorted(ex.entities, key=lambda a: -a.start):
            mark = json.dumps({"entity": ann.entity, "value": ann.value})
            text = f"{text[: ann.start]}[{text[ann.start : ann.end]}]{mark}{text[ann.end :]}"
        by_intent[ex.intent].append(text)
    lines = ['version: "3.1"', "nlu:"]
    for intent, examples in by_intent.items():
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [f"    - {t}" for t in examples]
    synonyms: dict[str, list[str]] = defaultdict(list)
    for surface, value in data.synonyms.items():
        synonyms[value].append(surface)
    for value, surfaces in synonyms.items():
        lines += [f"- synonym: {json.dumps(value)}", "  examples: |"] + [
            f"    - {s}" for s in surfaces
        ]
    for name, surfaces in data.lookups.items():
        lines += [f"- lookup: {name}", "  examples: |"] + [f"    - {s}" for s in surfaces]
    return "\n".join(lines) + "\n"


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def accuracy_by_language(test: list[Example], predicted: list[str]) -> dict[str, float]:
    """Intent accuracy per language and overall."""
    hits: dict[str, list[bool]] = defaultdict(list)
    for ex, pred in zip(test, predicted, strict=True):
        hits[ex.language or "?"].append(pred == ex.intent)
        hits["all"].append(pred == ex.intent)
    return {k: round(sum(v) / len(v), 4) for k, v in sorted(hits.items())}


def embedded_half(
    data: nludata.TrainingData, train: list[Example], test: list[Example]
) -> dict[str, object]:
    """Train the embedded model on the split and measure it."""
    rss_before = rss_mb()
    started = time.perf_counter()
    artifacts: Artifacts = train_artifacts(data, train)
    train_s = time.perf_counter() - started
    nlu = EmbeddedNLU(artifacts, load_safety_net())
    predicted, latencies = [], []
    for ex in test:
        t = time.perf_counter()
        predicted.append(nlu.parse_sync(ex.text).intent)
        latencies.append(time.perf_counter() - t)
    # Classifier alone (no threshold, no safety net), comparable to Rasa's top intent.
    top = [nlu.rank(ex.text)[0][0] for ex in test]
    return {
        "train_seconds": round(train_s, 1),
        "accuracy": accuracy_by_language(test, predicted),
        "accuracy_top_intent": accuracy_by_language(test, top),
        "p50_ms": round(percentile(latencies, 50) * 1000, 2),
        "p99_ms": round(percentile(latencies, 99) * 1000, 2),
        "rss_mb": rss_mb(),
        "rss_model_mb": round(rss_mb() - rss_before, 1),
    }


def rasa_half(
    data: nludata.TrainingData, train: list[Example], test: list[Example]
) -> dict[str, object]:
    """Train (or reuse) a Rasa model on the split, serve it, and measure it."""
    split_yaml = rasa_yaml(train, data)
    key = hashlib.sha256(
        (split_yaml + (REPO / "nlu/data/config.yml").read_text()).encode()
    ).hexdigest()[:16]
    split_dir = WORK / key
    model = split_dir / "models" / "nlu.tar.gz"
    result: dict[str, object] = {"split": key}
    if not model.is_file():
        shutil.rmtree(split_dir, ignore_errors=True)
        (split_dir / "data").mkdir(parents=True)
        (split_dir / "data" / "nlu.yml").write_text(split_yaml, encoding="utf-8")
        started = time.perf_counter()
        subprocess.run(
            [str(RASA), "train", "nlu", "--config", str(REPO / "nlu/data/config.yml"),
             "--nlu", str(split_dir / "data"), "--domain", str(REPO / "nlu/data/domain.yml"),
             "--out", str(split_dir / "models"), "--fixed-model-name", "nlu"],
            check=True, cwd=split_dir, stdout=sys.stderr, stderr=subprocess.STDOUT,
        )  # fmt: skip
        (split_dir / "train_seconds").write_text(f"{time.perf_counter() - started:.1f}")
    result["train_seconds"] = float((split_dir / "train_seconds").read_text())
    log = (split_dir / "serve.log").open("w")
    server = subprocess.Popen(
        [str(RASA), "run", "--enable-api", "--model", str(model),
         "--interface", "127.0.0.1", "--port", str(PORT)],
        cwd=split_dir, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        started = time.perf_counter()
        while not _ready():
            if server.poll() is not None or time.perf_counter() - started > 600:
                raise RuntimeError(f"rasa run did not start; see {split_dir / 'serve.log'}")
            time.sleep(1)
        result["start_seconds"] = round(time.perf_counter() - started, 1)
        predicted, top, latencies = [], [], []
        for ex in test:
            t = time.perf_counter()
            body = _post({"text": ex.text})
            latencies.append(time.perf_counter() - t)
            intent = body.get("intent")
            predicted.append(str(intent.get("name")) if isinstance(intent, dict) else "")
            ranking = body.get("intent_ranking")
            names = (
                [r.get("name") for r in ranking if isinstance(r, dict)]
                if isinstance(ranking, list)
                else []
            )
            top.append(str(next((n for n in names if n != "nlu_fallback"), "")))
        result["accuracy"] = accuracy_by_language(test, predicted)
        result["accuracy_top_intent"] = accuracy_by_language(test, top)
        result["p50_ms"] = round(percentile(latencies, 50) * 1000, 2)
        result["p99_ms"] = round(percentile(latencies, 99) * 1000, 2)
        result["rss_mb"] = rss_mb(server.pid)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    return result


def _ready() -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/status", timeout=2) as r:
            return bool(r.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _post(payload: dict[str, str]) -> dict[str, object]:
    req = urllib.request.Request(  # loopback only
        f"http://127.0.0.1:{PORT}/model/parse",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=30) as r:  # noqa: S310 - fixed http URL
        body = json.loads(r.read())
    return body if isinstance(body, dict) else {}


def main() -> int:
    """Run both halves and print a comparison (markdown, or JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=nludata.default_data_dir())
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--embedded-only", action="store_true")
    args = parser.parse_args()
    data = nludata.load(args.data_dir)
    train, test = nludata.split(data.examples)
    out: dict[str, object] = {"train_examples": len(train), "test_examples": len(test)}
    out["embedded"] = embedded_half(data, train, test)
    if args.embedded_only:
        out["rasa"] = "skipped (--embedded-only)"
    elif not RASA.is_file():
        out["rasa"] = f"unavailable: {RASA.relative_to(REPO)} missing (run scripts/rasa install)"
    else:
        try:
            out["rasa"] = rasa_half(data, train, test)
        except (subprocess.CalledProcessError, RuntimeError, OSError) as exc:
            out["rasa"] = f"unavailable: {exc}"
    if args.json:
        print(json.dumps(out, indent=1))
        return 0
    print(f"held-out split: {len(train)} training, {len(test)} test messages\n")
    emb = out["embedded"]
    ras = out["rasa"]
    assert isinstance(emb, dict)
    if not isinstance(ras, dict):
        print(f"Rasa: {ras}\n")
        ras = {}
    acc_e, acc_r = emb["accuracy"], ras.get("accuracy", {})
    assert isinstance(acc_e, dict) and isinstance(acc_r, dict)
    print("| measure | embedded | Rasa DIET |\n| --- | --- | --- |")
    for lang in acc_e:
        r = f"{acc_r[lang]:.1%}" if lang in acc_r else "-"
        print(f"| intent accuracy {lang} | {acc_e[lang]:.1%} | {r} |")
    for key, label in [("train_seconds", "training time, s"), ("p50_ms", "parse p50, ms"),
                       ("p99_ms", "parse p99, ms"), ("rss_mb", "resident memory, MB")]:  # fmt: skip
        print(f"| {label} | {emb.get(key, '-')} | {ras.get(key, '-')} |")
    top_e, top_r = emb["accuracy_top_intent"], ras.get("accuracy_top_intent", {})
    assert isinstance(top_e, dict) and isinstance(top_r, dict)
    r_all = f"{top_r['all']:.1%}" if "all" in top_r else "-"
    print(f"| top intent, no fallback threshold, all | {top_e['all']:.1%} | {r_all} |")
    print("\nAccuracy counts nlu_fallback as wrong. Embedded latency is in-process;")
    print("Rasa's includes a loopback HTTP round trip to its server.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
