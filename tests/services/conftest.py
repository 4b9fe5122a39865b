"""Fixtures for the service tests: a seeded world on each backend (tests/factories.py, shared by every test
folder: tests/conftest.py puts tests/ on the import path)."""

from __future__ import annotations

import pytest
from factories import World, seed

from booking_app.store.engine import make_engine


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
