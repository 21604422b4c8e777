"""What a report stands on: complete creation months, merged coverage windows, collection days and the
collections of this run that failed."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from tests.shift_data import D, Rows, cover_hub, utc
from tracker.analyses.coverage import (
    FailedCollection,
    coverage,
    covers,
    github_month_complete,
    hf_month_complete,
    merged,
    stale_dump_note,
)
from tracker.db.engine import Database
from tracker.db.models import CollectionRun, HfDump, Report


def test_union_of_windows_decides_whether_a_month_is_complete() -> None:
    today = D(2025, 6, 10)
    touching = [(utc(2000, 1, 1), utc(2025, 2, 10)), (utc(2025, 2, 10), utc(2025, 4, 1))]
    assert covers(touching, utc(2025, 2, 1), utc(2025, 3, 1))
    assert hf_month_complete(touching, "2025-03", today)
    assert not hf_month_complete(touching, "2025-04", today)  # ends at April's first instant
    gap = [(None, utc(2025, 2, 10)), (utc(2025, 2, 11), utc(2025, 4, 1))]
    assert not hf_month_complete(gap, "2025-02", today) and hf_month_complete(gap, "2025-01", today)
    assert not hf_month_complete([(None, utc(2026, 1, 1))], "2025-06", today)  # the current month
    assert merged(gap + touching) == [(None, utc(2025, 4, 1))]
    assert merged(gap) == gap


def test_github_months_count_from_the_first_collection_day() -> None:
    today = D(2025, 6, 10)
    assert not github_month_complete(None, "2025-03", today)
    assert not github_month_complete(
        D(2025, 2, 3), "2025-02", today
    )  # found on the 3rd: earlier days not seen
    assert github_month_complete(D(2025, 2, 3), "2025-03", today)
    assert github_month_complete(D(2025, 2, 1), "2025-02", today)
    assert not github_month_complete(D(2025, 2, 1), "2025-06", today)


def test_collection_days_hub_total_and_failed_collections_since_the_previous_report(
    database: Database,
) -> None:
    with database.session() as session:
        rows = Rows(session)
        model = rows.model("someone/model", D(2024, 1, 1))
        for day in (D(2024, 9, 1), D(2024, 10, 1), D(2025, 2, 18)):
            rows.model_snapshot(model, day, 10)
        cover_hub(session, None, utc(2025, 1, 1), source="dump", hub_models=1000)
        cover_hub(session, None, utc(2025, 2, 1), source="dump", hub_models=1200)
        session.add(CollectionRun(collector="github", run_date=D(2025, 2, 19), status="ok"))
        session.add(CollectionRun(collector="huggingface", run_date=D(2025, 2, 19), status="rate_limited"))
    cover = coverage(database)
    hf = cover.collections["huggingface"]
    assert (hf.first, hf.last, len(hf.days)) == (D(2024, 9, 1), D(2025, 2, 18), 3)
    assert cover.hf_snapshot_days == 3 and cover.collections["github"].days == []
    assert (cover.hub_models, cover.hub_models_on) == (1200, D(2025, 2, 1))
    [stopped] = cover.failed
    assert (
        stopped.sentence
        == "the Hugging Face collection of this run stopped early: figures are as of 2025-02-18"
    )

    # Once a report has been written after it, the run is no longer "of this run".
    with database.session() as session:
        session.execute(
            update(CollectionRun).values(started_at=dt.datetime(2025, 2, 19, 1, tzinfo=dt.timezone.utc))
        )
        session.add(
            Report(
                report_date=D(2025, 2, 19),
                out_dir="x",
                formats="md",
                created_at=dt.datetime(2025, 2, 19, 2, tzinfo=dt.timezone.utc),
            )
        )
    assert coverage(database).failed == []
    with database.session() as session:
        session.add(CollectionRun(collector="huggingface", run_date=D(2025, 2, 20), status="failed"))
    [failed] = coverage(database).failed
    assert failed.sentence == "the Hugging Face collection of this run failed: figures are as of 2025-02-18"


def dump(day: dt.date, status: str = "ingested") -> HfDump:
    return HfDump(
        commit_id=f"{day:%Y%m%d}{status}",
        repo="cfahlgren1/hub-stats",
        filename="models.parquet",
        committed_at=dt.datetime.combine(day, dt.time(18), tzinfo=dt.timezone.utc),
        dump_on=day,
        models=10,
        skipped=0,
        status=status,
    )


def test_newest_dump_is_the_newest_ingested_one_and_named_when_older_than_three_days(
    database: Database,
) -> None:
    assert coverage(database).newest_dump_on is None
    assert stale_dump_note(None, D(2025, 2, 20)) is None  # no dump at all: nothing to call old
    with database.session() as session:
        session.add_all([dump(D(2025, 2, 10)), dump(D(2025, 2, 14)), dump(D(2025, 2, 17), "duplicate")])
    newest = coverage(database).newest_dump_on
    assert newest == D(2025, 2, 14)  # a duplicate file is not a newer point
    assert stale_dump_note(newest, D(2025, 2, 17)) is None  # three days old: fresh enough
    assert (
        stale_dump_note(newest, D(2025, 2, 18))
        == "the newest Hub dump is from 2025-02-14, 4 days before 2025-02-18"
    )


def test_a_failed_dump_collection_is_a_failed_hugging_face_collection_of_this_run(
    database: Database,
) -> None:
    with database.session() as session:
        session.add(CollectionRun(collector="huggingface-dump", run_date=D(2025, 2, 17), status="failed"))
    [failed] = coverage(database).failed
    assert failed.sentence == "the Hugging Face dump collection of this run failed: there is no Hub dump yet"
    with database.session() as session:
        rows = Rows(session)
        rows.model_snapshot(rows.model("someone/model", D(2024, 1, 1)), D(2025, 2, 19), 10)
        session.add(dump(D(2025, 2, 14)))
        session.add(CollectionRun(collector="huggingface-dump", run_date=D(2025, 2, 18), status="ok"))
        session.add(CollectionRun(collector="huggingface-dump", run_date=D(2025, 2, 19), status="failed"))
        session.add(CollectionRun(collector="huggingface", run_date=D(2025, 2, 19), status="ok"))
    [failed] = coverage(database).failed
    assert failed.collector == "huggingface-dump"
    assert failed.sentence == (
        "the Hugging Face dump collection of this run failed: whole-Hub figures are as of 2025-02-14, "
        "the newest Hub dump"
    )

    # The newest run of each collector decides: a dump run that succeeds afterwards clears it, while a
    # failed API run beside it is named on its own.
    with database.session() as session:
        session.add(CollectionRun(collector="huggingface-dump", run_date=D(2025, 2, 20), status="ok"))
        session.add(CollectionRun(collector="huggingface", run_date=D(2025, 2, 20), status="failed"))
    [failed] = coverage(database).failed
    assert failed.sentence == "the Hugging Face collection of this run failed: figures are as of 2025-02-19"

    with database.session() as session:
        session.add(
            CollectionRun(collector="huggingface-dump", run_date=D(2025, 2, 21), status="interrupted")
        )
    assert [f.sentence for f in coverage(database).failed] == [
        "the Hugging Face collection of this run failed: figures are as of 2025-02-19",
        "the Hugging Face dump collection of this run stopped early: whole-Hub figures are as of 2025-02-14, "
        "the newest Hub dump",
    ]


def test_a_failed_first_collection_says_there_are_no_figures_yet_rather_than_a_date() -> None:
    assert (
        FailedCollection("github", "failed", None).sentence
        == "the GitHub collection of this run failed: there is no earlier collection, so no GitHub figures yet"
    )
