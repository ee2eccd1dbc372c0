"""Relation fields over tables that grow: a searchable drop-down (Select2 asking the server
as the user types) instead of an ``<option>`` for every proposal or project of the city.

A model says it grows by naming ``search_fields`` (or ``search_via``, its parent's); every
many-to-one field of a form that points at such a model becomes a search, found by those
columns, newest first, ten at a time, and scoped to the city by the session like any query.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from sqlalchemy import inspect
from sqlalchemy.orm.interfaces import MANYTOONE

from ..models.base import holds_every_word
from .labels import COLUMN_LABELS

PAGE_SIZE = 10


def grows(model: type) -> bool:
    return bool(getattr(model, "search_fields", ()) or getattr(model, "search_via", ""))


class RecordSearch(QueryAjaxModelLoader):
    """Flask-Admin's ajax loader over a growing model, searching its own or its parent's
    columns (a join, never a cross product)."""

    def __init__(self, name: str, session: Any, model: type, **options: Any) -> None:
        self.via: str = getattr(model, "search_via", "")
        target: Any = getattr(model, self.via).property.mapper.class_ if self.via else model
        hint = "・".join(str(COLUMN_LABELS.get(f, f)) for f in target.search_fields)
        options = {"page_size": PAGE_SIZE, **options,
                   "fields": [getattr(target, f) for f in target.search_fields],
                   "placeholder": f"{hint}の一部を入力して検索"}
        super().__init__(name, session, model, **options)

    def get_list(self, term: str, offset: int = 0, limit: int = PAGE_SIZE) -> Any:
        """The records whose columns hold every word typed, compared folded (as the lists'
        search: ｶﾌｪ finds カフェ)."""
        return self.get_query().filter(*holds_every_word(self._cached_fields, term)) \
            .offset(offset).limit(limit).all()

    def get_query(self) -> Any:
        query = super().get_query()
        if self.via:
            query = query.join(getattr(self.model, self.via))
        return query.order_by(self.model.id.desc())


def search_refs(model: type, columns: Iterable[str]) -> dict[str, dict[str, Any]]:
    """``form_ajax_refs`` for the form's many-to-one fields that point at growing tables."""
    wanted = set(columns)
    relationships: Iterable[Any] = inspect(model).relationships
    return {rel.key: {} for rel in relationships
            if rel.direction is MANYTOONE and rel.key in wanted and grows(rel.mapper.class_)}
