"""The current city, and the one place that scopes queries and writes to it.

Every SELECT through the ORM session gets ``with_loader_criteria`` restricting
``TenantScoped`` rows to the current city (this also covers ``session.get``
when it reaches the database, relationship loads, drop-down queries and
exports). Before each flush, new city-owned rows get the current city, and any
many-to-one reference to another city's row is refused.

The current city is set per request from the logged-in user (``g``) and may be
set explicitly (CLI, tests, public pages) with ``scoped_to(city_id)``.
A system administrator has no current city and sees every city.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.orm.interfaces import MANYTOONE

from .errors import CrossCityReference
from .models.base import CityOwned, TenantScoped

#: None = no scoping (system admin, CLI); an int = that city only.
_current_city: ContextVar[int | None] = ContextVar("kyodo_current_city", default=None)

#: Execution option that turns scoping off for one statement (internal checks only).
SKIP = "kyodo_skip_tenancy"


def current_city_id() -> int | None:
    return _current_city.get()


def set_current_city(city_id: int | None) -> Any:
    """Set the current city; returns a token for ``reset_current_city``."""
    return _current_city.set(city_id)


def reset_current_city(token: Any) -> None:
    _current_city.reset(token)


@contextlib.contextmanager
def scoped_to(city_id: int | None) -> Iterator[None]:
    token = set_current_city(city_id)
    try:
        yield
    finally:
        reset_current_city(token)


def _city_criteria(city_id: int) -> Any:
    return with_loader_criteria(
        TenantScoped, lambda cls: cls.city_id == city_id, include_aliases=True
    )


@event.listens_for(Session, "do_orm_execute")
def _scope_select(state: ORMExecuteState) -> None:
    city_id = _current_city.get()
    if city_id is None or not state.is_select or state.execution_options.get(SKIP):
        return
    state.statement = state.statement.options(_city_criteria(city_id))


def _parent_city(obj: Any) -> int | None:
    parent_name = getattr(type(obj), "city_parent", None)
    parent = getattr(obj, parent_name, None) if parent_name else None
    return getattr(parent, "city_id", None) if parent is not None else None


def _check_references(session: Session, obj: Any, is_new: bool) -> None:
    """Refuse a many-to-one reference from ``obj`` to a row of another city."""
    mapper = inspect(type(obj))
    state = inspect(obj)
    own_city = obj.city_id if obj.city_id is not None else getattr(obj.city, "id", None)
    for rel in mapper.relationships:
        if rel.direction is not MANYTOONE or rel.key == "city":
            continue
        target = rel.mapper.class_
        if not issubclass(target, TenantScoped):
            continue
        columns = [local for local, _remote in rel.local_remote_pairs]
        if not is_new:
            keys = [rel.key, *(c.key for c in columns if c.key in state.attrs)]
            if not any(state.attrs[k].history.has_changes() for k in keys):
                continue
        related = getattr(obj, rel.key)
        if related is not None:
            target_city = related.city_id
        else:
            fk_values = [getattr(obj, c.key, None) for c in columns]
            if any(v is None for v in fk_values):
                continue
            remote_pk = [remote for _local, remote in rel.local_remote_pairs]
            stmt = select(target.city_id).where(
                *[col == val for col, val in zip(remote_pk, fk_values, strict=True)]
            ).execution_options(**{SKIP: True})
            with session.no_autoflush:
                row = session.execute(stmt).first()
            if row is None:
                continue  # the database's foreign key refuses a missing row
            target_city = row[0]
        if target_city is None and target.__name__ == "User":
            # A system administrator (no city) may be referred to, e.g. as uploader.
            continue
        if target_city != own_city:
            raise CrossCityReference(
                f"{type(obj).label or type(obj).__name__}に他の自治体の"
                f"{target.label or target.__name__}は指定できません。"
            )


@event.listens_for(Session, "before_flush")
def _enforce_city(session: Session, _flush_context: Any, _instances: Any) -> None:
    from .models.city import City

    city_id = _current_city.get()
    for obj in session.new:
        if not isinstance(obj, TenantScoped):
            continue
        if city_id is not None:
            # The city always comes from the logged-in user; a posted one is ignored.
            if hasattr(type(obj), "city"):
                obj.city = session.get(City, city_id)
            obj.city_id = city_id
        elif obj.city_id is None and getattr(obj, "city", None) is None:
            obj.city_id = _parent_city(obj)
        if isinstance(obj, CityOwned):
            _check_references(session, obj, is_new=True)
    for obj in session.dirty:
        if not isinstance(obj, TenantScoped) or not session.is_modified(obj):
            continue
        attrs = inspect(obj).attrs
        moved = attrs.city_id.history.has_changes() or attrs.city.history.has_changes()
        if moved and city_id is not None:
            raise CrossCityReference("記録を他の自治体に移すことはできません。")
        if isinstance(obj, CityOwned):
            _check_references(session, obj, is_new=False)
