"""Benchmark: ingesting N generated Hub models (default 1,000,000) through the real collector, on SQLite and
PostgreSQL, side by side with a bare baseline that stores the same rows.

A fake Hub (tests/fakes/hub.py) serves bench/hub_shapes.py's realistic models (lineage, 30% derivatives,
heavy-tailed namespaces and downloads), 1000 per page with Link pagination, made on demand so its memory stays
flat. Four child processes, one after the other, each with its peak memory (os.wait4) and its resident memory
sampled every second (to show it stays flat):

* baseline sqlite: requests + json + `sqlite3.executemany` of models, snapshots and base-model edges, one
  transaction per page;
* tracker sqlite: the whole `tracker collect huggingface --since 2000-01-01 --top 0 --no-registry` command on a
  fresh SQLite file (schema, parsing, upserts, checkpoints, retention, attribution and roll-ups at the end);
* baseline postgresql: the same rows with psycopg `COPY`, one transaction per page;
* tracker postgresql: the same command on a fresh PostgreSQL database.

Targets (issue 8): the tracker at least half the baseline's rate on each back end; peak memory flat, under
300 MB.

    python bench/bench_ingest_scale.py                     # 1,000,000 models, both back ends
    python bench/bench_ingest_scale.py --models 100000 --backends sqlite
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from baselines import baseline_postgresql, baseline_sqlite, count  # noqa: E402
from hub_shapes import RealisticModels  # noqa: E402

from tests.fakes.hub import FakeHub  # noqa: E402

PG_ADMIN = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")


def run_child(command: list[str], env: dict[str, str]) -> dict[str, float]:
    """Seconds, peak RSS (MB), RSS samples and exit code of one child process."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    samples: list[float] = []
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        try:
            with open(f"/proc/{process.pid}/status") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        samples.append(int(line.split()[1]) / 1024)
        except OSError:
            pass
        time.sleep(0.2)  # (the seconds are read to this step)
    elapsed = time.perf_counter() - started
    out, err = process.stdout.read().decode(), process.stderr.read().decode()  # type: ignore[union-attr]
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        print(out[-2000:], err[-4000:], file=sys.stderr)
    peak = usage.ru_maxrss / 1024
    return {"seconds": elapsed, "peak": peak, "code": code, "samples": samples, "out": out}


def flatness(samples: list[float]) -> str:
    """Resident memory at 25%, 50%, 75% and 100% of the run, in MB."""
    if len(samples) < 4:
        return "-"
    picks = [samples[min(len(samples) - 1, int(len(samples) * q))] for q in (0.25, 0.5, 0.75, 0.999)]
    return "/".join(f"{value:.0f}" for value in picks)


def pg_create(name: str) -> str:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {name}")
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def pg_drop(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=1_000_000, help="generated models to serve")
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated: sqlite,postgresql")
    parser.add_argument("--keep", help="keep the tracker's SQLite file at this path (for other benchmarks)")
    parser.add_argument("--child", nargs=3, metavar=("KIND", "URL", "TARGET"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, url, target = args.child
        stored = (baseline_sqlite if kind == "sqlite" else baseline_postgresql)(url, target, args.page_size)
        print(stored)
        return

    backends = [name.strip() for name in args.backends.split(",") if name.strip()]
    results: list[tuple[str, str, int, dict[str, float]]] = []
    with (
        tempfile.TemporaryDirectory() as folder,
        FakeHub(models=RealisticModels(args.models), page_size=args.page_size, quota=10**9) as hub,
    ):
        hub.record_requests = False
        env = {**os.environ, "HF_ENDPOINT": hub.url, "PYTHONPATH": str(ROOT)}
        env.pop("HF_TOKEN", None)
        tracker_command = [sys.executable, "-c", "from tracker.cli import run; run()", "collect", "huggingface",
                           "--since", "2000-01-01", "--top", "0", "--no-registry",
                           "--page-size", str(args.page_size)]  # fmt: skip
        for backend in backends:
            if backend == "sqlite":
                base_target = str(Path(folder) / "baseline.db")
                ours_target = args.keep or str(Path(folder) / "tracker.db")
                if args.keep and os.path.exists(ours_target):
                    os.remove(ours_target)
                ours_url = f"sqlite:///{ours_target}"
            else:
                base_target = pg_create("bench_ingest_baseline")
                ours_url = pg_create("bench_ingest_tracker").replace("postgresql://", "postgresql+psycopg://")
                ours_target = ours_url.replace("postgresql+psycopg://", "postgresql://")
            child = [
                sys.executable,
                __file__,
                "--page-size",
                str(args.page_size),
                "--child",
                backend,
                hub.url,
            ]
            print(f"[{backend}] baseline ...", flush=True)
            base = run_child([*child, base_target], env)
            results.append((backend, "baseline", count(backend, base_target, "models"), base))
            print(f"[{backend}] tracker ...", flush=True)
            ours = run_child(tracker_command, {**env, "TRACKER_DATABASE_URL": ours_url})
            results.append((backend, "tracker", count(backend, ours_target, "hf_models"), ours))
            if backend == "postgresql":
                pg_drop("bench_ingest_baseline")
                if not args.keep:
                    pg_drop("bench_ingest_tracker")

    print(f"\nmodels served: {args.models:,} ({args.page_size} per page); machine: {os.cpu_count()} cores")
    print(
        f"{'back end':<12}{'side':<10}{'items':>11}{'seconds':>10}{'items/s':>10}{'peak MB':>9}  RSS 25/50/75/100% MB"
    )
    rates: dict[tuple[str, str], float] = {}
    for backend, side, items, run in results:
        rates[(backend, side)] = items / run["seconds"]
        status = "" if run["code"] == 0 else f"  (exit {run['code']})"
        print(
            f"{backend:<12}{side:<10}{items:>11,}{run['seconds']:>10.1f}{rates[(backend, side)]:>10,.0f}"
            f"{run['peak']:>9.0f}  {flatness(run['samples'])}{status}"
        )
    for backend in backends:
        ratio = rates[(backend, "tracker")] / rates[(backend, "baseline")]
        peak = next(run["peak"] for b, side, _, run in results if b == backend and side == "tracker")
        print(
            f"{backend}: tracker rate / baseline rate = {ratio:.2f} (target >= 0.50); "
            f"tracker peak {peak:.0f} MB (target < 300)"
        )


if __name__ == "__main__":
    main()
