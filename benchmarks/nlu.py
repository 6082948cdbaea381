"""Embedded NLU speed and size on one core: `python benchmarks/nlu.py [--json]`.

Measures training time, cold start (a fresh process loading the cached
model), parse latency p50/p99 and parses per second on realistic messages,
and resident memory. Single-threaded: BLAS/OpenMP pools are set to one thread
and the process is pinned to one CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"  # before numpy is imported (by nlu)

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from nlu import data as nludata  # noqa: E402
from nlu.api import build_embedded  # noqa: E402
from nlu.evaluate import load_unseen  # noqa: E402

COLD_START = """
import os, sys, time, json
t0 = time.perf_counter()
sys.path.insert(0, {repo!r})
from nlu.api import build_embedded
from pathlib import Path
t1 = time.perf_counter()
nlu = build_embedded(Path({data!r}), Path({cache!r}))
t2 = time.perf_counter()
nlu.parse_sync("salut")
t3 = time.perf_counter()
rss = int(next(l.split()[1] for l in open("/proc/self/status") if l.startswith("VmRSS")))
print(json.dumps({{"import": t1 - t0, "load": t2 - t1, "first_parse": t3 - t2, "rss_kb": rss}}))
"""


def pin_one_core() -> int | None:
    """Pin this process to one CPU; return it (None where affinity is unsupported)."""
    try:
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return cpu
    except (AttributeError, OSError):
        return None


def rss_kb() -> int:
    """Resident memory of this process, from /proc."""
    with open("/proc/self/status", encoding="ascii") as f:
        return int(next(line.split()[1] for line in f if line.startswith("VmRSS")))


def machine() -> dict[str, object]:
    """nproc, CPU model and RAM, for the results file."""
    cpu = "unknown"
    mem = 0
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next(
                (line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu
            )
        with open("/proc/meminfo", encoding="ascii") as f:
            mem = int(next(line.split()[1] for line in f if line.startswith("MemTotal")))
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": round(mem / 1024 / 1024, 1),
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d"),
    }


def messages(data_dir: Path) -> list[str]:
    """Realistic messages: the held-out split plus the unseen file when present."""
    texts = [ex.text for ex in nludata.split(nludata.load(data_dir).examples)[1]]
    unseen = REPO / "tests" / "nlu" / "unseen.yml"
    if unseen.is_file():
        texts += [c.text for c in load_unseen(unseen)]
    return texts


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def main() -> int:
    """Run every measurement and print them (markdown, or JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=nludata.default_data_dir())
    parser.add_argument("--rounds", type=int, default=5, help="passes over the messages")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    cpu = pin_one_core()
    results: dict[str, object] = {"machine": machine(), "pinned_cpu": cpu}
    rss_start = rss_kb()

    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "cache"
        started = time.perf_counter()
        nlu = build_embedded(args.data_dir, cache)
        results["train_seconds"] = round(time.perf_counter() - started, 2)
        results["examples"] = nlu.artifacts.info.get("examples")
        results["features"] = int(nlu.intents.weights.shape[0])
        results["rss_after_training_mb"] = round(rss_kb() / 1024, 1)

        code = COLD_START.format(repo=str(REPO), data=str(args.data_dir), cache=str(cache))
        env = {**os.environ, "PYTHONWARNINGS": "ignore"}
        cmd = [sys.executable, "-c", code]
        if cpu is not None:
            cmd = ["taskset", "-c", str(cpu), *cmd]
        runs = []
        for _ in range(3):
            out = subprocess.run(
                cmd, capture_output=True, text=True, env=env, check=True, timeout=120
            )
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        best = min(runs, key=lambda r: r["import"] + r["load"])
        results["cold_start"] = {
            "import_s": round(best["import"], 3),
            "load_s": round(best["load"], 3),
            "first_parse_s": round(best["first_parse"], 4),
            "total_s": round(best["import"] + best["load"] + best["first_parse"], 3),
            "rss_mb": round(best["rss_kb"] / 1024, 1),
        }

        texts = messages(args.data_dir)
        for text in texts[:200]:  # warm caches (lru caches, branch predictors)
            nlu.parse_sync(text)
        latencies: list[float] = []
        for _ in range(args.rounds):
            for text in texts:
                t = time.perf_counter()
                nlu.parse_sync(text)
                latencies.append(time.perf_counter() - t)
        long_text = " ".join(texts)[:20_000]
        t = time.perf_counter()
        nlu.parse_sync(long_text)
        results["parse_20k_chars_ms"] = round((time.perf_counter() - t) * 1000, 2)
    results["messages"] = len(texts)
    results["mean_chars"] = round(statistics.mean(len(t) for t in texts), 1)
    results["parse_p50_ms"] = round(percentile(latencies, 50) * 1000, 3)
    results["parse_p99_ms"] = round(percentile(latencies, 99) * 1000, 3)
    results["parses_per_second"] = round(len(latencies) / sum(latencies))
    results["rss_serving_mb"] = round(rss_kb() / 1024, 1)
    results["rss_at_start_mb"] = round(rss_start / 1024, 1)

    if args.json:
        print(json.dumps(results, indent=1))
        return 0
    m = results["machine"]
    assert isinstance(m, dict)
    cold = results["cold_start"]
    assert isinstance(cold, dict)
    print(f"machine: {m['nproc']} CPUs ({m['cpu']}), {m['ram_gib']} GiB RAM")
    print(f"Python {m['python']}, {m['date']}")
    print(f"pinned to CPU {cpu}; OMP/OpenBLAS/MKL threads = 1\n")
    print("| measure | value |\n| --- | --- |")
    print(f"| training examples / features | {results['examples']} / {results['features']} |")
    print(f"| training time (intent + language models) | {results['train_seconds']} s |")
    print(
        "| cold start: import / load from cache / first parse | "
        f"{cold['import_s']} s / {cold['load_s']} s / {cold['first_parse_s']} s |"
    )
    print(f"| RSS of a fresh process after loading | {cold['rss_mb']} MB |")
    print(
        f"| parse latency p50 / p99 ({results['messages']} messages, "
        f"mean {results['mean_chars']} chars) | "
        f"{results['parse_p50_ms']} ms / {results['parse_p99_ms']} ms |"
    )
    print(f"| parses per second (one core) | {results['parses_per_second']} |")
    print(f"| parse of a 20,000-character message | {results['parse_20k_chars_ms']} ms |")
    print(f"| RSS while serving (this process, after training) | {results['rss_serving_mb']} MB |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
