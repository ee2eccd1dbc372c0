"""Figures that cost a count over a city's whole year, kept until the city's records change.

An entry's key holds the city's revision (``CityRevision``: renewed in the transaction of every
change, with its audit events), so a change is seen by the next request in every process —
no entry is invalidated, an old one is just never asked for again and ages out. The store is
the app's own in-process cache (cachelib's ``SimpleCache``): each web process warms its own;
correctness does not depend on sharing it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from cachelib import SimpleCache
from flask import Flask, current_app
from sqlalchemy import select

from .models.audit import CityRevision
from .sessions import Session

T = TypeVar("T")


def init_app(app: Flask) -> None:
    app.extensions["kyodo_cache"] = SimpleCache(
        threshold=app.config["KYODO_CACHE_ENTRIES"],
        default_timeout=app.config["KYODO_CACHE_SECONDS"])


def revision(session: Session, city_id: int | None) -> Hashable:
    """The city's revision; for no city (the system administrator's view of all), every
    city's."""
    stmt = select(CityRevision.city_id, CityRevision.revision).order_by(CityRevision.city_id)
    if city_id is not None:
        stmt = stmt.where(CityRevision.city_id == city_id)
    return tuple(tuple(row) for row in session.execute(stmt))


def cached(session: Session, city_id: int | None, key: tuple[Hashable, ...],
           compute: Callable[[], T]) -> T:
    """``compute()``'s value for ``key`` in this city at its current revision."""
    store: SimpleCache = current_app.extensions["kyodo_cache"]
    full_key = repr((city_id, revision(session, city_id), *key))
    value: Any = store.get(full_key)
    if value is None:
        value = compute()
        store.set(full_key, value)
    return value
