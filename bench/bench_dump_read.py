"""Benchmark: reading a generated dump's `models.parquet` into rows, `read_dump` side by side with the per-value
reference reader of tests/dump_reference.py (what `read_dump` did before its checks moved into pyarrow), in turns
on the same file, best of `--repeat`.

    python bench/bench_dump_read.py                   # 500,000 models
    python bench/bench_dump_read.py --models 100000 --repeat 3
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_dump_ingest import write_dump  # noqa: E402

from tests.dump_reference import reference_read_dump  # noqa: E402
from tracker.sources.huggingface.dump_read import DumpBatch, read_dump  # noqa: E402


def seconds(reader: Callable[[Path], Iterator[DumpBatch]], path: Path) -> tuple[float, int]:
    """How long `reader` takes to read the whole file, and the rows it gives."""
    start = time.perf_counter()
    rows = sum(len(batch.rows) for batch in reader(path))
    return time.perf_counter() - start, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=500_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "models.parquet"
        write_dump(path, args.models, 0)
        best = {"reference (per value)": float("inf"), "read_dump": float("inf")}
        for _ in range(args.repeat):
            for name, reader in (("reference (per value)", reference_read_dump), ("read_dump", read_dump)):
                took, rows = seconds(reader, path)
                best[name] = min(best[name], took)
    for name, took in best.items():
        print(f"{name:>22}: {took:6.2f} s, {rows / took:9,.0f} rows/s ({args.models:,} models)")
    print(f"{'speed-up':>22}: {best['reference (per value)'] / best['read_dump']:.2f}x")


if __name__ == "__main__":
    main()
