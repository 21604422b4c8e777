"""A straightforward per-value reader of a dump's `models.parquet`: every column through `to_pylist`, every value
checked in Python. The semantics `read_dump` must keep, for tests/test_dump_read.py and bench/bench_dump_read.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq

from tracker.sources.huggingface.dump_lineage import row_parents
from tracker.sources.huggingface.dump_read import (
    BATCH_ROWS,
    COLUMNS,
    DumpBatch,
    _count,
    _gated,
    _is_string_list,
    _text,
    _time,
)
from tracker.sources.huggingface.parse import PLACEHOLDER_DATETIME, RepoRow, _license


def reference_read_dump(path: Path, batch_rows: int = BATCH_ROWS) -> Iterator[DumpBatch]:
    """The file's models as rows, one batch at a time, one value at a time."""
    file = pq.ParquetFile(path)
    columns = [name for name in COLUMNS if name in set(file.schema_arrow.names)]
    for batch in file.iter_batches(batch_size=batch_rows, columns=columns):
        present = set(batch.schema.names)
        values = {
            name: batch.column(name).to_pylist() if name in present else [None] * batch.num_rows
            for name in COLUMNS
        }
        # a list<string> column's null elements pass: the reader checks the column's type, not its values
        checked = "tags" in present and _is_string_list(batch.schema.field("tags").type)
        rows: dict[str, RepoRow] = {}
        skipped = 0
        for i in range(batch.num_rows):
            repo_id = values["id"][i]
            if not isinstance(repo_id, str) or not repo_id.strip() or len(repo_id.strip()) > 300:
                skipped += 1
                continue
            repo_id = repo_id.strip()
            tags = values["tags"][i]
            if (
                tags is not None
                and not checked
                and not (isinstance(tags, list) and all(isinstance(t, str) for t in tags))
            ):
                tags = None
            strings = (
                [t for t in tags if isinstance(t, str)] if tags else tags
            )  # a list<string>'s nulls left out
            author = _text(values["author"][i], 200) or (repo_id.split("/", 1)[0] if "/" in repo_id else None)
            created = _time(values["createdAt"][i])
            rows[repo_id] = RepoRow(
                hub_id="",
                repo_id=repo_id,
                author=author,
                created_at=None if created == PLACEHOLDER_DATETIME else created,
                created_at_unknown=created == PLACEHOLDER_DATETIME,
                created_at_raw=created,
                last_modified=_time(values["lastModified"][i]),
                license=_license(strings, {}),
                gated=_gated(values["gated"][i]),
                private=None,
                disabled=None,
                tags=tags,
                downloads_30d=_count(values["downloads"][i]),
                downloads_all_time=_count(values["downloadsAllTime"][i]),
                likes=_count(values["likes"][i]),
                trending_score=_count(values["trendingScore"][i]),
                pipeline_tag=_text(values["pipeline_tag"][i], 100),
                library_name=_text(values["library_name"][i], 100),
                parents=row_parents(repo_id, strings, values["baseModels"][i]),
            )
        yield DumpBatch.of(list(rows.values()), skipped)
