"""Exact daily roll-ups of the whole collected Hub by author country and root-model country.

Snapshot retention (tracker.sources.huggingface.retention) keeps per-model history only for new, active or
changed models; the monthly download and like figures come from these roll-ups instead, so they stay exact.
They need attribution's countries, so `run_attribution` refreshes them at its end: after every collection
(`tracker collect huggingface`, `tracker run`, the daemon) and after `tracker attribute`.

The day is the newest `metrics_on` of `hf_models` (the last collection's date, `TRACKER_TODAY` in replays);
that day's rows are replaced, so a second run on the same day, or a re-attribution, refreshes them. Models a
dump no longer lists (`unlisted_on`, unless seen again since) are left out.

A dump's day is rolled up from the dump's own figures (`refresh_dump_totals`, from the staging table the dump
store fills, or after a first dump from hf_models itself), with the countries attribution knows when the dump
is written.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text
from sqlalchemy.orm import Session

from tracker.sources.huggingface.dump_store import Listed

# Author and root-model countries exactly as the monthly_model_metrics view derives them from snapshots.
# `{source}` names the models `m`; `{downloads}` and `{likes}` are their figures.
_TOTALS = """
INSERT INTO hf_daily_country_totals (captured_on, country, root_country, models, downloads_30d, likes)
SELECT :day, COALESCE(a.country, ''),
       COALESCE(ra.country, CASE WHEN m.root_author_key IS NULL
           AND NOT EXISTS (SELECT 1 FROM hf_model_parents p WHERE p.child_id = m.id) THEN a.country END, ''),
       COUNT(*), SUM(COALESCE({downloads}, 0)), SUM(COALESCE({likes}, 0))
FROM {source}
LEFT JOIN accounts a ON a.platform = 'hf' AND a.handle_key = m.author_key
LEFT JOIN accounts ra ON ra.platform = 'hf' AND ra.handle_key = m.root_author_key
{where}
GROUP BY COALESCE(a.country, ''),
       COALESCE(ra.country, CASE WHEN m.root_author_key IS NULL
           AND NOT EXISTS (SELECT 1 FROM hf_model_parents p WHERE p.child_id = m.id) THEN a.country END, '')
"""
_LISTED = "WHERE m.unlisted_on IS NULL OR m.last_seen_on >= m.unlisted_on"
# a dump's listed models, each with its highest figures of the day (a model can be listed more than once)
_STAGED = "(SELECT hub_id, MAX(downloads_30d) AS downloads_30d, MAX(likes) AS likes FROM {staging} GROUP BY hub_id) d"
_DUMP_DAY = _STAGED + " JOIN hf_models m ON m.hub_id = d.hub_id"
# The same on SQLite, whose join reads each model's row by its rowid in the order of the staged keys: random
# pages of the whole table. The rowids are found first in the index of keys alone, sorted, and the rows then
# read in the table's order (2M models: 22 s -> 10 s). PostgreSQL hashes the join, and would only sort.
_DUMP_DAY_SQLITE = (
    "(SELECT m.id, d.downloads_30d, d.likes FROM " + _STAGED + " JOIN hf_models m ON m.hub_id = d.hub_id "
    "ORDER BY m.id) d JOIN hf_models m ON m.id = d.id"
)
# after a first dump: every model, the staged figures of those listed more than once (dump_store.Listed)
_FIRST_DUMP_DAY = "hf_models m LEFT JOIN " + _STAGED + " ON d.hub_id = m.hub_id"
_STAGED_OR_STORED = "CASE WHEN d.hub_id IS NULL THEN m.{0} ELSE d.{0} END"


def refresh_daily_totals(session: Session, day: dt.date | None = None) -> dt.date | None:
    """Replace the roll-up rows of `day` (default: the newest `metrics_on`); returns the day, None if no models."""
    if day is None:
        day = session.execute(text("SELECT MAX(metrics_on) FROM hf_models")).scalar()
        if day is None:
            return None
        if isinstance(day, str):  # SQLite returns the aggregate of a DATE column as text
            day = dt.date.fromisoformat(day)
    session.execute(text("DELETE FROM hf_daily_country_totals WHERE captured_on = :day"), {"day": day})
    totals = _TOTALS.format(source="hf_models m", downloads="m.downloads_30d", likes="m.likes", where=_LISTED)
    session.execute(text(totals), {"day": day})
    return day


def refresh_dump_totals(session: Session, day: dt.date, listed: Listed) -> None:
    """Replace the roll-up rows of a dump's `day` with the figures of the models the dump `listed`."""
    session.execute(text("DELETE FROM hf_daily_country_totals WHERE captured_on = :day"), {"day": day})
    if listed.every_model:
        source = _FIRST_DUMP_DAY.format(staging=listed.staging)
        downloads, likes = (_STAGED_OR_STORED.format(name) for name in ("downloads_30d", "likes"))
    else:
        joined = _DUMP_DAY if session.get_bind().dialect.name == "postgresql" else _DUMP_DAY_SQLITE
        source = joined.format(staging=listed.staging)
        downloads, likes = "d.downloads_30d", "d.likes"
    totals = _TOTALS.format(source=source, downloads=downloads, likes=likes, where="")
    session.execute(text(totals), {"day": day})
