"""Fixtures for the service tests: a seeded world on each backend (see factories.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The factories live next to the tests; make them importable however pytest imports this folder.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from factories import World, seed  # noqa: E402

from booking_app.store.engine import make_engine  # noqa: E402


@pytest.fixture
def engine(db_url):
    """An engine on the fresh database of ``db_url`` (SQLite and PostgreSQL), disposed afterwards."""
    eng = make_engine(db_url)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def world(engine) -> World:
    """The database after ensure_initial_data: default rooms, equipment and staff."""
    return seed(engine)
