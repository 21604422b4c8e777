"""A dump's lineage: each model's parents from its `base_model:` tags (as the API collector parses them,
tracker.sources.huggingface.parse) and then from `baseModels` (source `dump`).

`row_parents` reads one row in Python: the rules. `parents_column` gives the same for a whole batch as a
PARENTS column, computed by pyarrow (about a third of a 2M-model dump's rows are derivatives). pyarrow's
regular expressions and lower-casing agree with Python's on printable ASCII only (RE2's `\\w` is ASCII,
Python's is Unicode; `str.strip` strips more than spaces), so a row whose id, lineage tags or parent names
hold anything else is read by `row_parents`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tracker.sources.huggingface.columns import PARENTS
from tracker.sources.huggingface.parse import RELATIONS, UNKNOWN_RELATION, Parent, parse_lineage

_PREFIX = "base_model:"
_ODD = "[^!-~]"  # a character outside printable ASCII (a space, a control, anything not ASCII)
_REPO_ID = r"^[A-Za-z0-9_.\-]+(/[A-Za-z0-9_.\-]+)?$"  # parse._REPO_ID on ASCII
_MAX_REPO_ID = 300
_RELATIONS = pa.array(RELATIONS, pa.string())
_EDGE = pa.schema(
    [
        ("row", pa.int64()),
        ("order", pa.int64()),  # where the name was listed: tags first, then `baseModels`
        ("key", pa.string()),
        ("repo_id", pa.string()),
        ("relation", pa.string()),  # null: not said
        ("source", pa.string()),
    ]
)


def row_parents(repo_id: str, lineage_tags: list[str] | None, base_models: Any) -> list[Parent]:
    """`base_model:` tags first (as the API collector reads them), then parents only `baseModels` names.
    `lineage_tags`: the row's tags, or only those starting with `base_model:`."""
    if not lineage_tags and not base_models:
        return []
    parents = parse_lineage(repo_id, lineage_tags, {}) if lineage_tags else []
    if not isinstance(base_models, dict) or not base_models.get("models"):
        return parents
    relation = base_models.get("relation")
    relation = relation if relation in RELATIONS else UNKNOWN_RELATION
    seen = {parent.repo_id.lower(): index for index, parent in enumerate(parents)}
    for model in base_models["models"] or ():
        name = model.get("id") if isinstance(model, dict) else None
        if not isinstance(name, str) or not name.strip() or name.lower() == repo_id.lower():
            continue
        name = name.strip()
        index = seen.get(name.lower())
        if index is None:
            seen[name.lower()] = len(parents)
            parents.append(Parent(name[:_MAX_REPO_ID], relation, len(parents), "dump"))
        elif parents[index].relation == UNKNOWN_RELATION and relation != UNKNOWN_RELATION:
            old = parents[index]
            parents[index] = Parent(old.repo_id, relation, old.position, old.source)
    return parents


def parents_column(ids: pa.Array, tags: pa.Array, base_models: pa.Array) -> pa.Array:
    """The PARENTS column of a batch (null for a row without parents), as `row_parents` gives each row.
    `ids`: the stripped repo ids (string); `tags`: list<string>; `base_models`: the dump's column, any type."""
    count = len(ids)
    tag_edges, odd_tags = _tag_edges(tags)
    edges = [tag_edges]
    odd = [odd_tags]
    if _is_base_models(base_models.type):
        bm_edges, odd_names = _base_model_edges(base_models, order_from=len(pc.list_flatten(tags)))
        edges.append(bm_edges)
        odd.append(odd_names)
    elif not pa.types.is_null(base_models.type):  # a shape never seen: every row that has a value, in Python
        odd.append(pc.indices_nonzero(pc.is_valid(base_models)).to_numpy())
    table = pa.concat_tables(edges)
    listed = np.unique(table.column("row").to_numpy())
    odd_ids = pc.indices_nonzero(pc.match_substring_regex(ids, _ODD)).to_numpy()
    odd.append(np.intersect1d(odd_ids, listed))
    slow = np.unique(np.concatenate([rows.astype(np.int64) for rows in odd]))
    if len(slow):
        table = table.filter(pc.invert(pc.is_in(table.column("row"), pa.array(slow))))
    own = pc.utf8_lower(ids).take(table.column("row"))
    table = table.filter(pc.not_equal(table.column("key"), own))
    parents = _first_of_each_name(table)
    if len(slow):
        parents = pa.concat_tables([parents, _in_python(slow, ids, tags, base_models)]).sort_by(
            [("row", "ascending"), ("position", "ascending")]
        )
    return _as_lists(parents, count)


def _tag_edges(tags: pa.Array) -> tuple[pa.Table, np.ndarray]:
    """The names the `base_model:` tags give (order: the tag's place in the batch's flattened tags), and the
    rows with a lineage tag outside printable ASCII."""
    flat = pc.list_flatten(tags)
    lineage = pc.fill_null(pc.starts_with(flat, _PREFIX), False)
    rows = pc.list_parent_indices(tags).filter(lineage)
    orders = pc.indices_nonzero(lineage)
    found = flat.filter(lineage)
    odd = pc.match_substring_regex(found, _ODD)
    odd_rows = rows.filter(odd).to_numpy()
    parts = pc.split_pattern(found, ":")
    count = pc.list_value_length(parts)
    tables = []
    for size, relation_at in ((2, None), (3, 1)):
        sized = pc.equal(count, size)
        split = parts.filter(sized)
        relation = pc.list_element(split, relation_at) if relation_at else pa.nulls(len(split), pa.string())
        name = pc.utf8_trim(pc.list_element(split, size - 1), "/")
        # a repo id of at most 300 characters, after a relation the API knows (if any)
        length = pc.utf8_length(name)
        kept = pc.and_(pc.greater(length, 0), pc.less_equal(length, _MAX_REPO_ID))
        kept = pc.and_(kept, pc.match_substring_regex(name, _REPO_ID))
        if relation_at:
            kept = pc.and_(kept, pc.is_in(relation, _RELATIONS))
        kept = pc.fill_null(kept, False)
        tables.append(_edges(rows.filter(sized), orders.filter(sized), name, name, relation, "tag", kept))
    return pa.concat_tables(tables), odd_rows


def _is_base_models(kind: pa.DataType) -> bool:
    """`baseModels` as the dumps give it: struct<relation: string, models: list<struct<id: string, ...>>>."""
    if not pa.types.is_struct(kind) or kind.get_field_index("models") < 0:
        return False
    relation = kind.get_field_index("relation")
    if relation >= 0 and not pa.types.is_string(kind.field(relation).type):
        return False
    models = kind.field("models").type
    if not pa.types.is_list(models) or not pa.types.is_struct(models.value_type):
        return False
    model = models.value_type
    return model.get_field_index("id") >= 0 and pa.types.is_string(model.field("id").type)


def _base_model_edges(base_models: pa.Array, order_from: int) -> tuple[pa.Table, np.ndarray]:
    """The names `baseModels` gives (ordered after every tag), and the rows with a name outside printable
    ASCII."""
    kind = base_models.type
    models = pc.struct_field(base_models, "models")
    flat = pc.list_flatten(models)
    rows = pc.list_parent_indices(models)
    names = pc.struct_field(flat, "id")
    if kind.get_field_index("relation") >= 0:
        relation = pc.struct_field(base_models, "relation")
        relation = pc.if_else(pc.is_in(relation, _RELATIONS), relation, pa.scalar(None, pa.string()))
    else:
        relation = pa.nulls(len(base_models), pa.string())
    present = pc.fill_null(pc.greater(pc.utf8_length(names), 0), False)
    odd = pc.fill_null(pc.and_(present, pc.match_substring_regex(names, _ODD)), False)
    orders = pa.array(np.arange(order_from, order_from + len(names)))
    repo_ids = pc.utf8_slice_codeunits(names, 0, _MAX_REPO_ID)  # cut to 300, as the rows keep it
    edges = _edges(rows, orders, names, repo_ids, relation.take(rows), "dump", present)
    return edges, rows.filter(odd).to_numpy()


def _edges(
    rows: pa.Array,
    orders: pa.Array,
    names: pa.Array,
    repo_ids: pa.Array,
    relations: pa.Array,
    source: str,
    kept: pa.Array,
) -> pa.Table:
    """The names at `kept` as edges of their rows (`_EDGE`), keyed by the lower-case name."""
    return pa.table(
        [
            rows.filter(kept).cast(pa.int64()),
            orders.filter(kept).cast(pa.int64()),
            pc.utf8_lower(names.filter(kept)),
            repo_ids.filter(kept),
            relations.filter(kept),
            pa.repeat(source, pc.sum(kept).as_py() or 0).cast(pa.string()),
        ],
        schema=_EDGE,
    )


def _first_of_each_name(edges: pa.Table) -> pa.Table:
    """One parent per row and name (case aside): the name as first listed, the first relation said, the
    position among the row's parents by first listing."""
    ordered = edges.sort_by([("row", "ascending"), ("order", "ascending")])
    grouped = ordered.group_by(["row", "key"], use_threads=False).aggregate(
        [("order", "min"), ("repo_id", "first"), ("relation", "first"), ("source", "first")]
    )
    grouped = grouped.sort_by([("row", "ascending"), ("order_min", "ascending")])
    rows = grouped.column("row").to_numpy()
    starts = np.searchsorted(rows, rows, side="left")
    return pa.table(
        {
            "row": grouped.column("row"),
            "position": pa.array(np.arange(len(rows)) - starts, pa.int32()),
            "repo_id": grouped.column("repo_id_first"),
            "relation": pc.fill_null(grouped.column("relation_first"), UNKNOWN_RELATION),
            "source": grouped.column("source_first"),
        }
    )


def _in_python(rows: np.ndarray, ids: pa.Array, tags: pa.Array, base_models: pa.Array) -> pa.Table:
    """The parents of `rows` by `row_parents`, as `_first_of_each_name` gives them."""
    taken = pa.array(rows)
    found: list[tuple[int, Parent]] = []
    for row, repo_id, row_tags, base in zip(
        rows.tolist(),
        ids.take(taken).to_pylist(),
        tags.take(taken).to_pylist(),
        base_models.take(taken).to_pylist(),
        strict=True,
    ):
        lineage_tags = (
            [tag for tag in row_tags if isinstance(tag, str) and tag.startswith(_PREFIX)] if row_tags else []
        )
        found.extend((row, parent) for parent in row_parents(repo_id, lineage_tags, base))
    return pa.table(
        {
            "row": pa.array([row for row, _ in found], pa.int64()),
            "position": pa.array([parent.position for _, parent in found], pa.int32()),
            "repo_id": pa.array([parent.repo_id for _, parent in found], pa.string()),
            "relation": pa.array([parent.relation for _, parent in found], pa.string()),
            "source": pa.array([parent.source for _, parent in found], pa.string()),
        }
    )


def _as_lists(parents: pa.Table, count: int) -> pa.Array:
    """A PARENTS column of `count` rows from parents sorted by row and position."""
    per_row = np.bincount(parents.column("row").to_numpy(), minlength=count)
    offsets = np.zeros(count + 1, np.int32)
    np.cumsum(per_row, out=offsets[1:])
    values = pa.StructArray.from_arrays(
        [parents.column(name).combine_chunks() for name in ("repo_id", "relation", "position", "source")],
        fields=list(PARENTS.value_type),
    )
    return pa.ListArray.from_arrays(pa.array(offsets), values, type=PARENTS, mask=pa.array(per_row == 0))
