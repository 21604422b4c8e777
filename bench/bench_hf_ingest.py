"""Benchmark: `tracker collect huggingface` against a bare baseline, side by side on the same pages.

A fake Hub (tests/fakes/hub.py) serves N generated models, 1000 per page with Link pagination. Both sides
run as child processes so their peak memory is measured separately (os.wait4):

* baseline: requests + json + sqlite3.executemany of the same rows (models, snapshots, base-model edges),
  one transaction per page;
* tracker: the whole `tracker collect huggingface --since 2000-01-01 --top 0 --no-registry` command on a
  fresh SQLite file (schema creation, parsing, upserts, checkpoints, attribution at the end).

Targets (issue 3): the tracker at least half the baseline's rate, and under 200 MB peak memory at 100k.
The sides alternate (`--repeat` pairs, default 3) and the median of the pairs' ratios is reported: on a shared
machine one side of a single pair can be slowed by a neighbour.

    python bench/bench_hf_ingest.py --models 100000
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from baselines import baseline_sqlite, count  # noqa: E402

from tests.fakes.hub import FakeHub, GeneratedModels  # noqa: E402


def run_child(command: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """(seconds, peak RSS in MB, exit code) of one child process."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    out, err = process.stdout.read().decode(), process.stderr.read().decode()  # type: ignore[union-attr]
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0,):
        print(out, err, file=sys.stderr)
    peak_mb = usage.ru_maxrss / 1024 if sys.platform != "darwin" else usage.ru_maxrss / 1024 / 1024
    return elapsed, peak_mb, process.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=20_000, help="generated models to serve")
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="baseline/tracker pairs, alternating (the median ratio is reported)",
    )
    parser.add_argument("--baseline-child", nargs=2, metavar=("URL", "DB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline_child:
        print(baseline_sqlite(*args.baseline_child, args.page_size))
        return

    with FakeHub(models=GeneratedModels(args.models), page_size=args.page_size) as hub:
        hub.record_requests = False
        env = {**os.environ, "HF_ENDPOINT": hub.url, "PYTHONPATH": str(ROOT)}
        env.pop("HF_TOKEN", None)
        pairs = [run_pair(hub.url, env, args.page_size) for _ in range(args.repeat)]

    print(
        f"models served: {args.models:,} ({args.page_size} per page); {args.repeat} pairs, sides alternating"
    )
    print(f"{'pair':<6}{'side':<10}{'items':>10}{'seconds':>10}{'items/s':>10}{'peak MB':>10}{'ratio':>8}")
    ratios = []
    for number, sides in enumerate(pairs, start=1):
        (_, (base_seconds, _, _), base_items), (_, (our_seconds, _, _), our_items) = sides
        ratios.append((our_items / our_seconds) / (base_items / base_seconds))
        for name, (seconds, peak, code), items in sides:
            status = "" if code == 0 else f"  (exit {code})"
            ratio = f"{ratios[-1]:>8.2f}" if name == "tracker" else ""
            print(
                f"{number:<6}{name:<10}{items:>10,}{seconds:>10.1f}{items / seconds:>10,.0f}{peak:>10.0f}{ratio}{status}"
            )
    peak = max(sides[1][1][1] for sides in pairs)
    print(
        f"tracker rate / baseline rate: median {statistics.median(ratios):.2f} (range {min(ratios):.2f}-"
        f"{max(ratios):.2f}; target >= 0.50); tracker peak {peak:.0f} MB (target < 200)"
    )


def run_pair(
    url: str, env: dict[str, str], page_size: int
) -> list[tuple[str, tuple[float, float, int], int]]:
    """One baseline run, then one tracker run, each on a fresh SQLite file: [(side, child figures, rows)]."""
    with tempfile.TemporaryDirectory() as folder:
        base_db = str(Path(folder) / "baseline.db")
        command = [sys.executable, __file__, "--page-size", str(page_size), "--baseline-child", url, base_db]
        base = run_child(command, env)
        tracker_db = str(Path(folder) / "tracker.db")
        command = [sys.executable, "-c", "from tracker.cli import run; run()", "collect", "huggingface", "--since", "2000-01-01",
                   "--top", "0", "--no-registry", "--page-size", str(page_size)]  # fmt: skip
        ours = run_child(command, {**env, "TRACKER_DATABASE_URL": f"sqlite:///{tracker_db}"})
        return [
            ("baseline", base, count("sqlite", base_db, "models")),
            ("tracker", ours, count("sqlite", tracker_db, "hf_models")),
        ]


if __name__ == "__main__":
    main()
