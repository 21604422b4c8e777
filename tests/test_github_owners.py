"""GitHub owners are the registry publishers' accounts and `--org` logins only (both back ends): the accounts
attribution creates for contributors never become owners, so later runs cost no more than the first and an
unchanged rerun is answered almost entirely by `304`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from tests.fakes.github import FakeClock, FakeGitHub, add_example_data
from tests.github_helpers import TODAY, add_registry_account, run
from tracker.attribution.attribute import run_attribution
from tracker.db.engine import Database
from tracker.db.models import Account

PEOPLE = ("carol", "dave", "erin")  # contributors (and profile owners) in the example world


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def github(clock: FakeClock) -> Iterator[FakeGitHub]:
    with FakeGitHub(tokens={"t1": 5000}, clock=clock) as fake:
        add_example_data(fake)
        yield fake


def test_later_runs_list_no_person_s_repositories_and_cost_no_more_than_the_first(
    database: Database, github: FakeGitHub, clock: FakeClock
) -> None:
    add_registry_account(database, "Mistral-Like")
    spent = []
    for day in range(3):
        github.requests.clear()
        result = run(database, github, clock, today=TODAY + dt.timedelta(days=day))
        assert result.status == "ok", result.message
        spent.append((len(github.requests), github.count(304)))
        run_attribution(database)  # creates `github` accounts for every contributor and owner seen
        person_listings = [
            s.path for s in github.requests if s.path.startswith(tuple(f"/users/{p}/" for p in PEOPLE))
        ]
        assert person_listings == [], f"run {day + 1} listed people's repositories"
    with database.session() as session:
        accounts = set(session.scalars(select(Account.handle_key).where(Account.platform == "github")))
    assert {"carol", "dave"} <= accounts  # people are known accounts, so the test could have failed

    (first, _), (second, second_304), (third, _) = spent
    assert second <= first and third <= first, spent
    assert second_304 >= 0.9 * second, spent  # an unchanged rerun costs (almost) no rate limit
