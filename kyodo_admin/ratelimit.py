"""Rate-limit counters in the app's own database (``RATELIMIT_STORAGE_URI=kyodo-database://``,
the default): limits hold across workers and machines without Redis. A storage for the
``limits`` library that Flask-Limiter uses; Redis stays the faster choice where there is one.

Each hit is one atomic upsert in a short transaction of its own: a window that has expired
starts again at the hit's count.
"""

from __future__ import annotations

import time
from typing import Any

from flask import has_app_context
from limits.storage import Storage
from sqlalchemy import case, delete, select
from sqlalchemy.exc import SQLAlchemyError

from .models.base import upsert_insert
from .models.user import RateLimitCounter


class DatabaseStorage(Storage):
    STORAGE_SCHEME = ["kyodo-database"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False,
                 **options: float | str | bool) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError

    @staticmethod
    def _engine() -> Any:
        from .extensions import db

        return db.engine

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        engine = self._engine()
        table = RateLimitCounter.__table__
        statement = upsert_insert(engine, table).values(key=key[:250], count=amount,
                                                        expires_at=now + expiry)
        expired = table.c.expires_at <= now
        upsert = statement.on_conflict_do_update(index_elements=["key"], set_={
            "count": case((expired, amount), else_=table.c.count + amount),
            "expires_at": case((expired, now + expiry), else_=table.c.expires_at),
        }).returning(table.c.count)
        with engine.begin() as connection:
            return int(connection.execute(upsert).scalar_one())

    def _row(self, key: str) -> Any:
        table = RateLimitCounter.__table__
        with self._engine().connect() as connection:
            return connection.execute(select(table.c.count, table.c.expires_at).where(
                table.c.key == key[:250])).first()

    def get(self, key: str) -> int:
        row = self._row(key)
        return int(row.count) if row is not None and row.expires_at > time.time() else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        return float(row.expires_at) if row is not None else time.time()

    def check(self) -> bool:
        return True

    def reset(self) -> int | None:
        if not has_app_context():  # nothing reachable (the counters live in an app's database)
            return 0
        with self._engine().begin() as connection:
            return int(connection.execute(delete(RateLimitCounter)).rowcount)

    def clear(self, key: str) -> None:
        with self._engine().begin() as connection:
            connection.execute(delete(RateLimitCounter).where(
                RateLimitCounter.key == key[:250]))
