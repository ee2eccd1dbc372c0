"""Declarative base and the mixins every model shares."""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any, ClassVar, overload

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    event,
    func,
    or_,
    text,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    declared_attr,
    mapped_column,
    registry,
    relationship,
)
from sqlalchemy.sql.functions import GenericFunction

from ..clock import now
from ..sessions import KyodoSession

# Deterministic constraint names, so Alembic migrations are identical on
# SQLite and PostgreSQL and constraints can be dropped by name.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={dict[str, Any]: JSON, dt.datetime: DateTime(timezone=True)},
    )

    #: Japanese display name of the model (singular), used by admin and audit.
    label: ClassVar[str] = ""
    #: Whether create/update/delete of this model is written to the audit trail.
    audited: ClassVar[bool] = True
    #: A table that grows (proposals, projects…): a record is picked by searching these
    #: columns, never from a list of all of them.
    search_fields: ClassVar[tuple[str, ...]] = ()
    #: …or by searching its parent's (a report by its project's title): the relationship.
    search_via: ClassVar[str] = ""


class TimestampMixin:
    created_at: Mapped[dt.datetime] = mapped_column(default=now, server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(
        default=now, onupdate=now, server_default=func.now()
    )


class VersionedMixin:
    """Optimistic locking: every UPDATE checks and bumps ``version``.

    This stops two flushes racing each other; the admin base view also carries
    the version the user loaded in the form, which is what stops lost updates
    across requests.
    """

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:  # noqa: N805
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


class TenantScoped:
    """Marker: rows carrying a ``city_id`` that the session scopes to the current city.

    ``CityOwned`` rows always have a city; ``User`` and ``AuditEvent`` rows may
    have none (system administrators, system events) and are then visible to
    the system administrator only.
    """

    @declared_attr
    def city_id(cls) -> Mapped[int | None]:  # noqa: N805
        return mapped_column(ForeignKey("city.id", ondelete="RESTRICT"), index=True)


class CityOwned(TenantScoped):
    """A row that belongs to one city (the tenant).

    ``city_id`` is always set on the server (see ``tenancy``); queries are
    scoped to the current city at the session level.
    """

    #: Name of the many-to-one relationship whose city a new child row inherits.
    city_parent: ClassVar[str | None] = None

    @declared_attr
    def city_id(cls) -> Mapped[int]:  # noqa: N805
        return mapped_column(ForeignKey("city.id", ondelete="RESTRICT"), index=True, nullable=False)

    @declared_attr
    def city(cls) -> Mapped[Any]:  # noqa: N805
        return relationship("City")


class HasFormAnswers:
    """A record filled against a city's configurable form (様式).

    ``answers`` holds the values of the configured fields (JSON) and
    ``form_definition`` the exact revision they were filled against, so an old
    record shows and prints as it was filled.
    """

    #: The FormDefinition kind this record is filled against, e.g. "basic_sheet".
    form_kind: ClassVar[str]

    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)

    @declared_attr
    def form_definition_id(cls) -> Mapped[int | None]:  # noqa: N805
        return mapped_column(ForeignKey("form_definition.id", ondelete="RESTRICT"))

    @declared_attr
    def form_definition(cls) -> Mapped[Any]:  # noqa: N805
        return relationship("FormDefinition")


def fold(written: str) -> str:
    """A text as search compares it: one width for what has two (ｶﾌｪ and カフェ, （ and (,
    ２ and 2, ㈱ and (株)) by NFKC. What is stored and printed stays as typed."""
    return unicodedata.normalize("NFKC", written)


class folded(GenericFunction[str]):  # noqa: N801 (an SQL function, named as SQL's are)
    """SQL: a text column as search compares it (see ``fold``): PostgreSQL's
    ``normalize(…, NFKC)``, on SQLite ``kyodo_fold`` (registered on each connection)."""

    type = String()
    name = "kyodo_fold"
    inherit_cache = True


@compiles(folded, "postgresql")
def _folded_on_postgresql(element: folded, compiler: Any, **kw: Any) -> str:
    return f"normalize({compiler.process(element.clauses, **kw)}, NFKC)"


def fold_or_none(written: str | None) -> str | None:
    """``fold`` as SQLite's ``kyodo_fold``: NULL stays NULL."""
    return None if written is None else fold(written)


def holds(column: Any, word: str) -> Any:
    """SQL: ``word`` is somewhere in ``column``, both folded, letters of either case, and
    ``%`` or ``_`` typed are themselves (the pattern is one value, as the trigram index needs)."""
    escaped = fold(word).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return folded(column).ilike(f"%{escaped}%", escape="\\")


def holds_every_word(columns: list[Any], search: str) -> list[Any]:
    """SQL conditions, one a word of ``search``: the word is in one of ``columns`` (see
    ``holds``). A list's search and a search field's lookup both ask this."""
    return [or_(*(holds(column, word) for column in columns)) for word in fold(search).split()]


#: The name ending of the PostgreSQL-only substring-search indexes (see ``trigram_indexes``).
TRIGRAM_SUFFIX = "_trgm"


def trigram_indexes(table: str, *columns: str) -> tuple[Index, ...]:
    """GIN trigram indexes (pg_trgm) for the lists' substring search on PostgreSQL, over the
    folded text (``folded(column) ILIKE '%…%'``): a search for three characters or more reads
    the matching rows, not the table. SQLite has no such index and keeps scanning (its size
    is a demo's)."""
    return tuple(
        Index(f"ix_{table}_{column}_fold{TRIGRAM_SUFFIX}",
              text(f"normalize({column}, NFKC) gin_trgm_ops"),
              postgresql_using="gin").ddl_if(dialect="postgresql")
        for column in columns)


def compared_by_alembic(_obj: Any, name: str | None, type_: str, _reflected: bool,
                        _compare_to: Any) -> bool:
    """Alembic's ``include_object``: the trigram indexes are left out of the comparison of
    models and database (Alembic does not follow ``ddl_if``); their migration creates them on
    PostgreSQL only, and a test checks they are there."""
    return not (type_ == "index" and (name or "").endswith(TRIGRAM_SUFFIX))


@event.listens_for(Base.metadata, "before_create")
def _trigram_extension(_target: Any, connection: Any, **_kw: Any) -> None:
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")


def upsert_insert(bind: Any, table: Any) -> Any:
    """``INSERT`` for ``table`` that takes ``on_conflict_do_update`` on the bind's dialect
    (PostgreSQL, else SQLite): the atomic counters and stamps that must not race."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = postgresql if bind.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


@overload
def fiscal_year_of(day: dt.date) -> int: ...


@overload
def fiscal_year_of(day: None) -> None: ...


@overload
def fiscal_year_of(day: dt.date | None) -> int | None: ...


def fiscal_year_of(day: dt.date | None) -> int | None:
    """The Japanese fiscal year (年度, April to March) a date falls in."""
    if day is None:
        return None
    return day.year if day.month >= 4 else day.year - 1


def _derive_fields(session: Any, _flush_context: Any, _instances: Any) -> None:
    """Recompute derived columns (e.g. ``fiscal_year`` from a date) before each flush."""
    for obj in (*session.new, *session.dirty):
        derive = getattr(obj, "derive", None)
        if derive is not None:
            derive()


event.listen(KyodoSession, "before_flush", _derive_fields)
