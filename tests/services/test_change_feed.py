"""services/change_feed.SqliteFeed: the audit entities other connections committed, without Qt.

Two engines on one SQLite file stand for two terminals; the feed watches terminal A's. (The Qt side,
coalescing and the PostgreSQL listener, is tests/ui/test_change_watch.py.)
"""

from __future__ import annotations

import pytest

from booking_app.services.centre import ensure_initial_data, list_staff
from booking_app.services.change_feed import SqliteFeed, is_polled
from booking_app.services.common import audit
from booking_app.store.engine import make_engine, write_session


@pytest.fixture
def terminals(sqlite_url):
    a, b = make_engine(sqlite_url), make_engine(sqlite_url)
    with write_session(a) as s:
        ensure_initial_data(s)
    yield a, b
    a.dispose()
    b.dispose()


def note(engine, entity: str) -> None:
    """One audited change (what every service writes beside its rows)."""
    with write_session(engine) as s:
        actor = list_staff(s)[0].as_actor()
        audit(s, actor, "update", entity, None, f"{entity}を変更")


def test_another_terminals_change_is_named_and_this_ones_is_not(terminals):
    a, b = terminals
    assert is_polled(a)
    feed = SqliteFeed(a)
    assert feed.shared
    feed.start()
    try:
        assert feed.poll() == set()  # the first look takes the starting point
        note(b, "group")
        note(b, "room")
        assert feed.poll() == {"group", "room"}
        assert feed.poll() == set()  # nothing new since
        note(a, "booking")  # this terminal's own change: ctx.write announced it already
        assert feed.poll() == set()
        note(a, "booking")
        note(b, "fees")
        assert feed.poll() == {"fees"}
    finally:
        feed.stop()


def test_two_feeds_in_one_process_each_claim_only_their_own_engines_ids(terminals):
    """Session events fire for every engine of the process: a feed keeps only its own pool's audit ids."""
    a, b = terminals
    feeds = SqliteFeed(a), SqliteFeed(b)
    for feed in feeds:
        feed.start()
        feed.poll()
    try:
        note(b, "group")
        note(a, "room")
        assert [feed.poll() for feed in feeds] == [{"group"}, {"room"}]
    finally:
        for feed in feeds:
            feed.stop()


def test_an_unreadable_file_is_none_and_the_next_poll_tries_again(terminals, tmp_path):
    a, _b = terminals
    feed = SqliteFeed(make_engine(f"sqlite:///{tmp_path / 'missing' / 'gone.sqlite3'}"))
    feed.start()
    try:
        assert feed.poll() is None
        assert feed.poll() is None  # still away: no exception, logged once
    finally:
        feed.stop()
    memory = SqliteFeed(make_engine("sqlite://"))
    assert not memory.shared
