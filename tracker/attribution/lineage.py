"""Lineage roots: for every model, the farthest ancestor along first-parent base-model edges.

Set-based SQL so that it scales to the whole Hub (~2M models) with flat memory: the first-parent function is
loaded into a work table and resolved by pointer jumping (each pass doubles how far every model sees), so a
chain of length n takes about log2(n) passes over the table. A parent that was never collected ends the chain
and is the root; its namespace (the part of the repo id before `/`) is what the root is attributed by.
Self-references are ignored; a chain that runs into a cycle has no root (NULL). A merge whose parents' roots
belong to different countries is flagged `root_mixed`, and so is every model descended from it.

`compute_roots` resolves every model; `update_roots` (run inside a dump's transaction) only the models whose
roots can have changed, named by the writer, and their descendants, with the stored roots of the other models
as the ends of their chains. Both give the same columns.
"""

from __future__ import annotations

import itertools
import logging
import sqlite3
from dataclasses import dataclass

from sqlalchemy import Connection, text

from tracker.db.engine import Database

log = logging.getLogger(__name__)

WORK_TABLES = (
    "lineage_names",
    "lineage_step",
    "lineage_next",
    "lineage_mixed",
    "lineage_roots",
    "lineage_affected",
    "lineage_nodes",
    "lineage_outside",
    "lineage_targets",
)


@dataclass
class LineageSummary:
    models: int = 0  # models with a first parent (the rest are their own root)
    passes: int = 0
    in_cycles: int = 0  # models whose chain runs into a cycle: root NULL
    mixed_merges: int = 0
    updated: int = 0  # hf_models rows whose root columns changed


def _namespace(dialect: str, expression: str) -> str:
    if dialect == "postgresql":
        return f"CASE WHEN strpos({expression}, '/') > 0 THEN split_part({expression}, '/', 1) END"
    return f"CASE WHEN instr({expression}, '/') > 0 THEN substr({expression}, 1, instr({expression}, '/') - 1) END"


def _drop(connection: Connection, *names: str) -> None:
    for name in names:
        connection.execute(text(f"DROP TABLE IF EXISTS {name}"))


_index_names = itertools.count()


def _create(connection: Connection, dialect: str, name: str, select_sql: str, key: str) -> None:
    """A temporary work table from a SELECT, indexed on `key` (index names stay unique across renames)."""
    connection.execute(text(f"CREATE TEMPORARY TABLE {name} AS {select_sql}"))
    connection.execute(text(f"CREATE INDEX ix_lineage_work_{next(_index_names)} ON {name} ({key})"))
    if dialect == "postgresql":
        connection.execute(text(f"ANALYZE {name}"))


def _jump(connection: Connection, dialect: str) -> tuple[int, int]:
    """Pointer-jump `lineage_step(node, anc, mixed)` until nothing moves; (passes, rows left in cycles)."""
    passes = 0
    unresolved = None
    while True:
        remaining = connection.execute(
            text("SELECT COUNT(*) FROM lineage_step s JOIN lineage_step t ON t.node = s.anc")
        ).scalar_one()
        if remaining == 0 or remaining == unresolved:
            return passes, remaining
        unresolved = remaining
        _drop(connection, "lineage_next")
        _create(
            connection,
            dialect,
            "lineage_next",
            """SELECT s.node, COALESCE(t.anc, s.anc) AS anc,
                      CASE WHEN s.mixed = 1 OR t.mixed = 1 THEN 1 ELSE 0 END AS mixed
               FROM lineage_step s LEFT JOIN lineage_step t ON t.node = s.anc""",
            "node",
        )
        _drop(connection, "lineage_step")
        connection.execute(text("ALTER TABLE lineage_next RENAME TO lineage_step"))
        passes += 1


def _first_parents(connection: Connection, dialect: str, models: str = "hf_models") -> None:
    """lineage_step(node, anc, mixed=0): the first listed parent of each model of `models` (a table with
    `id` and `repo_id`), by lower-case repo id."""
    _drop(connection, "lineage_step")
    _create(
        connection,
        dialect,
        "lineage_step",
        f"""SELECT lower(m.repo_id) AS node, MIN(lower(p.parent_repo_id)) AS anc, 0 AS mixed
           FROM {models} m
           JOIN hf_model_parents p ON p.child_id = m.id
           WHERE lower(p.parent_repo_id) <> lower(m.repo_id)
             AND p.position = (SELECT MIN(p2.position) FROM hf_model_parents p2
                               WHERE p2.child_id = m.id AND lower(p2.parent_repo_id) <> lower(m.repo_id))
           GROUP BY lower(m.repo_id)""",
        "node",
    )


def compute_roots(database: Database) -> LineageSummary:
    """Write root_repo_id, root_author_key and root_mixed on every hf_models row. Idempotent."""
    with database.engine.begin() as connection:
        return _compute_all(connection)


def _compute_all(connection: Connection) -> LineageSummary:
    summary = LineageSummary()
    dialect = connection.dialect.name
    _drop(connection, *WORK_TABLES)
    _first_parents(connection, dialect)
    summary.models = connection.execute(text("SELECT COUNT(*) FROM lineage_step")).scalar_one()
    _resolve(connection, dialect, summary, "hf_models", boundary=None)
    # Only models whose roots can differ from the stored ones are written: those with a first parent, those
    # not stored as their own root, and repo ids spelled in several cases (the root takes one spelling). A
    # model without parents is inserted as its own root, so that is most of the Hub skipped. Joins, not
    # `IN (...)` under `OR`: PostgreSQL would scan the subquery once per model when its hash outgrows work_mem.
    own = "m.root_mixed = false" if dialect == "postgresql" else "m.root_mixed = 0"
    _create(
        connection,
        dialect,
        "lineage_targets",
        f"""SELECT m.id, m.repo_id FROM hf_models m
            LEFT JOIN lineage_roots r ON r.node = lower(m.repo_id)
            LEFT JOIN (SELECT lower(repo_id) AS key FROM hf_models GROUP BY lower(repo_id) HAVING COUNT(*) > 1) c
                 ON c.key = lower(m.repo_id)
            WHERE r.node IS NOT NULL OR c.key IS NOT NULL
               OR m.root_mixed IS NULL OR NOT ({own}) OR m.root_repo_id IS NULL OR m.root_repo_id <> m.repo_id
               OR m.root_author_key IS NULL AND {_namespace(dialect, "lower(m.repo_id)")} IS NOT NULL
               OR m.root_author_key <> {_namespace(dialect, "lower(m.repo_id)")}""",
        "id",
    )
    # The spelling of every root these models reach (collected models first, then parents seen only in edges).
    needed = (
        "SELECT anc FROM lineage_roots WHERE anc IS NOT NULL UNION SELECT lower(repo_id) FROM lineage_targets"
    )
    _create(
        connection,
        dialect,
        "lineage_names",
        f"""SELECT lower(repo_id) AS key, MIN(repo_id) AS repo_id FROM hf_models
            WHERE lower(repo_id) IN ({needed}) GROUP BY lower(repo_id)""",
        "key",
    )
    connection.execute(
        text(
            """INSERT INTO lineage_names (key, repo_id)
               SELECT lower(p.parent_repo_id), MIN(p.parent_repo_id) FROM hf_model_parents p
               LEFT JOIN lineage_names n ON n.key = lower(p.parent_repo_id)
               WHERE n.key IS NULL AND lower(p.parent_repo_id) IN (SELECT anc FROM lineage_roots)
               GROUP BY lower(p.parent_repo_id)"""
        )
    )
    summary.updated = _write_roots(connection, dialect, "lineage_roots", "lineage_targets")
    _drop(connection, *WORK_TABLES)
    return summary


def _resolve(
    connection: Connection, dialect: str, summary: LineageSummary, models: str, boundary: str | None
) -> None:
    """From the first parents in lineage_step (of the models of `models`), lineage_roots(node, anc, mixed).

    `boundary`, when given, is a SELECT of (node, anc, mixed) rows added to each pass: models outside
    `models` whose stored roots end the chains that reach them (a self-loop for a stored NULL root)."""
    # Pass 1: roots.
    if boundary:
        connection.execute(
            text(f"INSERT INTO lineage_step (node, anc, mixed) SELECT node, anc, 0 FROM ({boundary}) b")
        )
    passes, cycles = _jump(connection, dialect)
    summary.passes += passes
    summary.in_cycles = cycles
    if cycles:
        connection.execute(
            text("UPDATE lineage_step SET anc = NULL WHERE anc IN (SELECT node FROM lineage_step)")
        )
        log.warning("%d models have base-model chains that run into a cycle; their root is NULL", cycles)
    # Merges whose parents' roots have different (known) countries.
    root_of_parent = "COALESCE(r.anc, lower(p.parent_repo_id))"
    _drop(connection, "lineage_mixed")
    _create(
        connection,
        dialect,
        "lineage_mixed",
        f"""SELECT lower(m.repo_id) AS node FROM {models} m
            JOIN hf_model_parents p ON p.child_id = m.id
            LEFT JOIN lineage_step r ON r.node = lower(p.parent_repo_id)
            JOIN accounts a ON a.platform = 'hf' AND a.country IS NOT NULL
                 AND a.handle_key = {_namespace(dialect, root_of_parent)}
            GROUP BY lower(m.repo_id) HAVING COUNT(DISTINCT a.country) > 1""",
        "node",
    )
    summary.mixed_merges = connection.execute(text("SELECT COUNT(*) FROM lineage_mixed")).scalar_one()
    roots = "lineage_roots"
    _drop(connection, roots)
    connection.execute(text(f"ALTER TABLE lineage_step RENAME TO {roots}"))
    inherited = (
        boundary
        and connection.execute(text(f"SELECT 1 FROM ({boundary}) b WHERE b.mixed = 1 LIMIT 1")).first()
    )
    # Pass 2: propagate the mixed flag down first-parent chains (only when there is something to spread).
    if summary.mixed_merges or inherited:
        _first_parents(connection, dialect, models)
        if boundary:
            connection.execute(
                text(
                    f"INSERT INTO lineage_step (node, anc, mixed) SELECT node, anc, mixed FROM ({boundary}) b"
                )
            )
        connection.execute(
            text("UPDATE lineage_step SET mixed = 1 WHERE node IN (SELECT node FROM lineage_mixed)")
        )
        passes, _ = _jump(connection, dialect)
        summary.passes += passes
        connection.execute(
            text(
                f"UPDATE {roots} SET mixed = 1 WHERE node IN (SELECT node FROM lineage_step WHERE mixed = 1)"
            )
        )
        _drop(connection, "lineage_step")


def update_roots(connection: Connection, changes: str) -> LineageSummary:
    """Bring the roots up to date after a write that named in table `changes` (column `key`, lower-case repo
    ids) the models whose roots can have changed; their descendants, and models never resolved, are resolved
    with them. When most models changed (a first dump) every model is resolved, which is cheaper."""
    dialect = connection.dialect.name
    changed = connection.execute(text(f"SELECT COUNT(*) FROM {changes}")).scalar_one()
    if not changed:
        return LineageSummary()
    if 2 * changed > connection.execute(text("SELECT COUNT(*) FROM hf_models")).scalar_one():
        return _compute_all(connection)
    summary = LineageSummary()
    _drop(connection, *WORK_TABLES)
    _create(
        connection,
        dialect,
        "lineage_affected",
        f"""WITH RECURSIVE affected(key) AS (
                SELECT key FROM {changes}
                UNION SELECT lower(repo_id) FROM hf_models WHERE root_mixed IS NULL
                UNION
                SELECT lower(m.repo_id) FROM affected a
                JOIN hf_model_parents p ON lower(p.parent_repo_id) = a.key
                JOIN hf_models m ON m.id = p.child_id)
            SELECT key FROM affected""",
        "key",
    )
    # `IN (subquery)`, not a join: one pass over hf_models on both back ends (no index on lower(repo_id)).
    _create(
        connection,
        dialect,
        "lineage_nodes",
        """SELECT id, repo_id, lower(repo_id) AS key FROM hf_models
           WHERE lower(repo_id) IN (SELECT key FROM lineage_affected)""",
        "id",
    )
    mixed = "CASE WHEN m.root_mixed THEN 1 ELSE 0 END"
    _create(
        connection,
        dialect,
        "lineage_outside",
        f"""SELECT lower(m.repo_id) AS key, MIN(m.repo_id) AS repo_id, MIN(lower(m.root_repo_id)) AS root,
                   MIN(m.root_repo_id) AS root_repo_id, MAX({mixed}) AS mixed
            FROM hf_models m WHERE lower(m.repo_id) IN (
                SELECT lower(p.parent_repo_id) FROM lineage_nodes n JOIN hf_model_parents p ON p.child_id = n.id
                WHERE lower(p.parent_repo_id) NOT IN (SELECT key FROM lineage_affected))
            GROUP BY lower(m.repo_id)""",
        "key",
    )
    _first_parents(connection, dialect, "lineage_nodes")
    summary.models = connection.execute(text("SELECT COUNT(*) FROM lineage_step")).scalar_one()
    boundary = (
        "SELECT key AS node, COALESCE(root, key) AS anc, mixed FROM lineage_outside "
        "WHERE root IS NULL OR root <> key"
    )
    _resolve(connection, dialect, summary, "lineage_nodes", boundary)
    # Spellings: the models resolved and their collected parents, the stored roots reached through those,
    # then roots seen only in edges.
    _create(
        connection,
        dialect,
        "lineage_names",
        """SELECT key, MIN(repo_id) AS repo_id FROM lineage_nodes GROUP BY key
           UNION ALL SELECT key, repo_id FROM lineage_outside""",
        "key",
    )
    connection.execute(
        text(
            """INSERT INTO lineage_names (key, repo_id)
               SELECT root, MIN(root_repo_id) FROM lineage_outside
               WHERE root IS NOT NULL AND root NOT IN (SELECT key FROM lineage_names) GROUP BY root"""
        )
    )
    connection.execute(
        text(
            """INSERT INTO lineage_names (key, repo_id)
               SELECT lower(p.parent_repo_id), MIN(p.parent_repo_id) FROM hf_model_parents p
               WHERE lower(p.parent_repo_id) IN (
                   SELECT anc FROM lineage_roots WHERE anc NOT IN (SELECT key FROM lineage_names))
               GROUP BY lower(p.parent_repo_id)"""
        )
    )
    summary.updated = _write_roots(connection, dialect, "lineage_roots", "lineage_nodes")
    _drop(connection, *WORK_TABLES)
    return summary


def _write_roots(connection: Connection, dialect: str, roots: str, models: str) -> int:
    """Copy the computed roots of the models of `models` onto hf_models, touching only rows whose values
    change; returns how many."""
    root_key = "COALESCE(r.anc, CASE WHEN r.node IS NULL THEN lower(m.repo_id) END)"
    final = f"""SELECT m.id AS model_id, n.repo_id AS root_repo_id,
                       {_namespace(dialect, root_key)} AS root_author_key,
                       CASE WHEN r.mixed = 1 THEN 1 ELSE 0 END AS root_mixed
                FROM {models} m
                LEFT JOIN {roots} r ON r.node = lower(m.repo_id)
                LEFT JOIN lineage_names n ON n.key = {root_key}"""
    different = "IS DISTINCT FROM" if dialect == "postgresql" else "IS NOT"
    mixed = "(f.root_mixed = 1)" if dialect == "postgresql" else "f.root_mixed"
    changed = f"""(hf_models.root_repo_id {different} f.root_repo_id
                   OR hf_models.root_author_key {different} f.root_author_key
                   OR hf_models.root_mixed IS NULL OR hf_models.root_mixed <> {mixed})"""
    if dialect == "postgresql" or sqlite3.sqlite_version_info >= (3, 33):
        # one join (UPDATE ... FROM) instead of three lookups per row: the first crawl changes every row
        result = connection.execute(
            text(
                f"""UPDATE hf_models SET root_repo_id = f.root_repo_id, root_author_key = f.root_author_key,
                    root_mixed = {mixed}
                    FROM ({final}) f WHERE hf_models.id = f.model_id AND {changed}"""
            )
        )
        return result.rowcount
    _create(connection, dialect, "lineage_final", final, "model_id")
    result = connection.execute(
        text(
            f"""UPDATE hf_models SET
                root_repo_id = (SELECT f.root_repo_id FROM lineage_final f WHERE f.model_id = hf_models.id),
                root_author_key = (SELECT f.root_author_key FROM lineage_final f WHERE f.model_id = hf_models.id),
                root_mixed = (SELECT {mixed} FROM lineage_final f WHERE f.model_id = hf_models.id)
                WHERE EXISTS (SELECT 1 FROM lineage_final f WHERE f.model_id = hf_models.id AND {changed})"""
        )
    )
    _drop(connection, "lineage_final")
    return result.rowcount
