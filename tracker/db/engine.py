"""Opening the database: the one way to get an engine and a session, on SQLite or PostgreSQL."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from tracker.config import mask_url

SQLITE_BUSY_TIMEOUT_MS = 30_000


class DatabaseError(Exception):
    """The database cannot be reached or used; the message is one clear line without secrets."""


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain `postgresql://` URLs (the driver this project ships)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # SQLite leaves foreign keys off and uses rollback journals by default; WAL lets readers (reports,
    # `tracker query`) run while a collection writes, and the busy timeout makes writers queue, not fail.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # 32 MB of page cache instead of 2 MB: a crawl inserts into several indexes in random key order, and with
    # the default cache each insert reads index pages back from the file (about 5% of a crawl's time)
    cursor.execute("PRAGMA cache_size=-32000")
    cursor.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url` with the project's per-back-end settings (UTC sessions, WAL, foreign keys)."""
    url = normalise_url(url)
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs)
        event.listen(engine, "connect", _configure_sqlite)
    elif backend == "postgresql":
        engine = create_engine(
            url,
            pool_pre_ping=True,
            connect_args={"options": "-c timezone=UTC", "connect_timeout": 10},
            **kwargs,
        )
    else:
        raise DatabaseError(f"unsupported database {mask_url(url)}: use sqlite:/// or postgresql://")
    return engine


def describe_error(error: BaseException, url: str) -> str:
    """One line saying what went wrong with the database at `url`, without its password."""
    original = getattr(error, "orig", None) or error
    detail = str(original).strip().splitlines()[0] if str(original).strip() else type(original).__name__
    return f"database {mask_url(url)} is not usable: {mask_url(detail)}"


LOCKED_RETRIES = 5


def check_connection(engine: Engine) -> None:
    """Raise `DatabaseError` with a clear message when the database does not answer.

    SQLite can answer "database is locked" at once, without waiting out its busy timeout, when two processes
    open a new database file together (seen in about one such start in 70): that is tried again a few times,
    half a second apart."""
    for attempt in range(LOCKED_RETRIES + 1):
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return
        except (OperationalError, DBAPIError) as error:
            locked = engine.dialect.name == "sqlite" and "database is locked" in str(error)
            if not locked or attempt == LOCKED_RETRIES:
                url = engine.url.render_as_string(hide_password=True)
                raise DatabaseError(describe_error(error, url)) from None
            time.sleep(0.5)


class Database:
    """An engine plus a session factory; create one per process and share it."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url, **engine_kwargs)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def backend(self) -> str:
        """'sqlite' or 'postgresql'."""
        return self.engine.dialect.name

    @property
    def display_url(self) -> str:
        return mask_url(self.url)

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A session in a transaction: committed when the block ends, rolled back on error."""
        with self._sessions() as session, session.begin():
            yield session

    @contextlib.contextmanager
    def read_only_session(self) -> Iterator[Session]:
        """A session in which the database itself refuses every write (never committed)."""
        with self._sessions() as session:
            if self.backend == "postgresql":
                session.execute(text("SET TRANSACTION READ ONLY"))
            else:
                session.execute(text("PRAGMA query_only = ON"))
            try:
                yield session
            finally:
                session.rollback()
                if self.backend == "sqlite":
                    session.execute(text("PRAGMA query_only = OFF"))
                    session.commit()

    def check(self) -> None:
        check_connection(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()
