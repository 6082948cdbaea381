"""Offer checker speed on one core: checks per second and latency p50/p99 over the eval set.

Run: python benchmarks/offers.py  (writes benchmarks/RESULTS_offers.md)
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.offers import check_offer, default_data  # noqa: E402

EVAL = ROOT / "tests" / "offers" / "eval_offers.jsonl"
RESULTS = ROOT / "benchmarks" / "RESULTS_offers.md"
ROUNDS = 5


def _pin_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
        return f"pinned to CPU {core}"
    return "not pinned (no sched_setaffinity)"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def main() -> int:
    """Measure, print and write the results file."""
    nproc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    pinned = _pin_one_core()
    lines_in = EVAL.read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line)["text"] for line in lines_in if line.strip()]
    started = time.perf_counter()
    default_data()
    check_offer("warm-up")
    load_s = time.perf_counter() - started
    latencies: list[float] = []
    wall = time.perf_counter()
    for _ in range(ROUNDS):
        for text in texts:
            t = time.perf_counter()
            check_offer(text)
            latencies.append(time.perf_counter() - t)
    wall = time.perf_counter() - wall
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
    big = " ".join(texts) * 3
    t = time.perf_counter()
    check_offer(big)
    big_ms = (time.perf_counter() - t) * 1000
    rate = len(latencies) / wall
    lines = [
        "# Offer checker benchmark",
        "",
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- machine: nproc {nproc}, {_cpu_model()}, {_ram()} RAM; measured {pinned}",
        f"- Python {platform.python_version()}, {platform.system()} {platform.release()}",
        f"- data: {len(texts)} offers of tests/offers/eval_offers.jsonl x {ROUNDS} rounds "
        f"(mean {statistics.mean(len(x) for x in texts):.0f} characters)",
        "",
        "| measure | value |",
        "| --- | --- |",
        f"| checks per second (one core) | {rate:.0f} |",
        f"| latency p50 | {p50:.1f} ms |",
        f"| latency p99 | {p99:.1f} ms |",
        f"| first call (load catalogue, wages, registry, NLU gazetteer) | {load_s * 1000:.0f} ms |",
        f"| one {len(big):,}-character paste (capped at 20,000) | {big_ms:.0f} ms |",
        "",
        "Command: `.venv/bin/python benchmarks/offers.py`",
    ]
    report = "\n".join(lines) + "\n"
    RESULTS.write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
