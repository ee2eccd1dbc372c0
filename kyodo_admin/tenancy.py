"""The current city, and the one place that scopes queries and writes to it.

Every SELECT through the ORM session gets ``with_loader_criteria`` restricting
``TenantScoped`` rows to the current city (this also covers ``session.get``
when it reaches the database, relationship loads, drop-down queries and
exports). Before each flush, new city-owned rows get the current city, and any
many-to-one reference to another city's row is refused.

The current city is set per request from the logged-in user (``g``) and may be
set explicitly (public pages, background work) with ``scoped_to(city_id)``.

Tenancy fails closed: with no current city, a query or a write that touches a
city-owned table raises ``TenancyNotSet``. Reading across cities is an explicit
act, ``with all_cities():``, taken for the system administrator's requests, the
CLI and the few lookups that come before a city is known (logging in).
"""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any, cast

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.orm.interfaces import MANYTOONE
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.util import find_tables

from .errors import CrossCityReference
from .models.base import Base, CityOwned, TenantScoped
from .sessions import KyodoSession


class _AllCities:
    def __repr__(self) -> str:
        return "ALL_CITIES"


#: The scope of the system administrator and the CLI: every city, no criteria added.
ALL_CITIES = _AllCities()
#: Not set (the default): city-owned tables refuse to be read or written.
NOT_SET = None

Scope = int | _AllCities | None
_current_city: ContextVar[Scope] = ContextVar("kyodo_current_city", default=NOT_SET)

#: Execution option that turns scoping off for one statement (internal checks only).
SKIP = "kyodo_skip_tenancy"


class TenancyNotSet(RuntimeError):
    """A city-owned table was queried with no current city and outside ``all_cities()``."""


def current_city_id() -> int | None:
    """The current city's id; None for every city (system administrator) or none set."""
    scope = _current_city.get()
    return scope if isinstance(scope, int) else None


#: The only modules of the app that may read every city (ARCHITECTURE.md §13): the system
#: administrator's requests and the start-up check (the package's ``create_app``), the
#: commands (``cli``), and logging in with the session's user (``web.auth``). Everything
#: else (a city's request, a job, an anonymous page) works in one city's scope.
ALL_CITIES_CALLERS = frozenset({"kyodo_admin", "kyodo_admin.cli", "kyodo_admin.web.auth"})


def _refuse_other_callers(depth: int) -> None:
    caller = str(sys._getframe(depth + 1).f_globals.get("__name__", ""))
    if caller.partition(".")[0] == "kyodo_admin" and caller not in ALL_CITIES_CALLERS:
        raise TenancyNotSet(
            f"{caller} may not read every city: scope its work to each city in turn "
            "with scoped_to(city_id) (ARCHITECTURE.md §13).")


def set_scope(scope: Scope) -> Any:
    """Set the scope (a city id, ``ALL_CITIES`` or ``NOT_SET``); returns a reset token."""
    if scope is ALL_CITIES:
        _refuse_other_callers(1)
    return _current_city.set(scope)


def reset_scope(token: Any) -> None:
    _current_city.reset(token)


@contextlib.contextmanager
def within(scope: Scope) -> Iterator[None]:
    token = set_scope(scope)
    try:
        yield
    finally:
        reset_scope(token)


def scoped_to(city_id: int) -> contextlib.AbstractContextManager[None]:
    """Within the block, queries see ``city_id``'s rows only and new rows belong to it."""
    if not isinstance(city_id, int):
        raise TypeError(f"scoped_to needs a city id, not {city_id!r}; use all_cities()")
    return within(city_id)


def all_cities() -> contextlib.AbstractContextManager[None]:
    """Within the block, queries see every city (system administrator, CLI, login lookup);
    refused to any other module of the app (``ALL_CITIES_CALLERS``)."""
    _refuse_other_callers(1)
    return _within_all_cities()


@contextlib.contextmanager
def _within_all_cities() -> Iterator[None]:
    token = _current_city.set(ALL_CITIES)
    try:
        yield
    finally:
        reset_scope(token)


def not_set() -> contextlib.AbstractContextManager[None]:
    """Within the block, no city is current (an anonymous request): city tables refuse."""
    return within(NOT_SET)


@functools.cache
def _city_tables() -> frozenset[Any]:
    return frozenset(m.local_table for m in Base.registry.mappers
                     if issubclass(m.class_, TenantScoped))


def _touches_city_rows(state: ORMExecuteState) -> bool:
    """Whether the statement names a city table anywhere (entities, FROM, subqueries)."""
    if any(issubclass(m.class_, TenantScoped) for m in state.all_mappers):
        return True
    tables = find_tables(cast(ClauseElement, state.statement), check_columns=True, include_selects=True,
                         include_crud=True)
    return not _city_tables().isdisjoint(tables)


def _city_criteria(city_id: int) -> Any:
    return with_loader_criteria(
        TenantScoped, lambda cls: cls.city_id == city_id, include_aliases=True
    )


@event.listens_for(KyodoSession, "do_orm_execute")
def _scope_select(state: ORMExecuteState) -> None:
    scope = _current_city.get()
    if scope is ALL_CITIES or state.execution_options.get(SKIP):
        return
    if scope is NOT_SET:
        if _touches_city_rows(state):
            raise TenancyNotSet(
                "No current city: scope the work with scoped_to(city_id), or read every "
                "city explicitly inside all_cities().")
        return
    if state.is_select and isinstance(scope, int):
        state.statement = state.statement.options(_city_criteria(scope))


def _own_city(session: Session, obj: Any) -> int | None:
    """The city a new row belongs to, from the row itself: its city, else its parent's
    (``city_parent``: a role row's agreement, a score's review), read from the parent object
    or, when only the parent's id is set, from the database. None when nothing says."""
    if obj.city_id is not None:
        return cast(int, obj.city_id)
    city = obj.__dict__.get("city")  # set, not loaded: a pending row loads nothing
    if city is not None and city.id is not None:
        return cast(int, city.id)
    parent_name = getattr(type(obj), "city_parent", None)
    if not parent_name:
        return None
    parent = obj.__dict__.get(parent_name)
    if parent is not None:
        return _own_city(session, parent) if isinstance(parent, TenantScoped) else None
    rel = inspect(type(obj)).relationships[parent_name]
    values = [getattr(obj, local.key, None) for local, _remote in rel.local_remote_pairs]
    if any(v is None for v in values):
        return None
    target = rel.mapper.class_
    stmt = select(target.city_id).where(*[
        remote == value for (_local, remote), value in zip(rel.local_remote_pairs, values,
                                                            strict=True)
    ]).execution_options(**{SKIP: True})
    with session.no_autoflush:
        return session.execute(stmt).scalar()


def _check_references(session: Session, obj: Any, is_new: bool,
                      known: dict[tuple[Any, ...], Any]) -> None:
    """Refuse a many-to-one reference from ``obj`` to a row of another city. ``known`` keeps
    the city of each row looked up during one flush (an import's rows name the same few)."""
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
            key = (target, *fk_values)
            if key not in known:
                remote_pk = [remote for _local, remote in rel.local_remote_pairs]
                stmt = select(target.city_id).where(
                    *[col == val for col, val in zip(remote_pk, fk_values, strict=True)]
                ).execution_options(**{SKIP: True})
                with session.no_autoflush:
                    known[key] = session.execute(stmt).first()
            row = known[key]
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


@event.listens_for(KyodoSession, "before_flush")
def _enforce_city(session: Session, _flush_context: Any, _instances: Any) -> None:
    scope = _current_city.get()
    if scope is NOT_SET and any(
            isinstance(obj, TenantScoped) for obj in (*session.new, *session.dirty,
                                                      *session.deleted)):
        raise TenancyNotSet("No current city: a city's rows are written inside "
                            "scoped_to(city_id) or all_cities().")
    city_id = scope if isinstance(scope, int) else None
    known: dict[tuple[Any, ...], Any] = {}
    for obj in session.new:
        if not isinstance(obj, TenantScoped):
            continue
        # A row belongs to the city of what it belongs to, decided when it is made; the
        # current scope only fills in a row that names nothing (made in a city's request or
        # job), and a row of another city is refused, never moved to the current one.
        own = _own_city(session, obj)
        if own is None:
            if city_id is not None:
                obj.city_id = city_id
        elif city_id is not None and own != city_id:
            raise CrossCityReference(
                f"{getattr(type(obj), 'label', '') or type(obj).__name__}は他の自治体の記録のため、"
                "ここでは作成できません。")
        else:
            obj.city_id = own
        if isinstance(obj, CityOwned):
            _check_references(session, obj, is_new=True, known=known)
    for obj in session.dirty:
        if not isinstance(obj, TenantScoped) or not session.is_modified(obj):
            continue
        attrs = inspect(obj).attrs
        moved = attrs.city_id.history.has_changes() or attrs.city.history.has_changes()
        if moved and city_id is not None:
            raise CrossCityReference("記録を他の自治体に移すことはできません。")
        if isinstance(obj, CityOwned):
            _check_references(session, obj, is_new=False, known=known)
