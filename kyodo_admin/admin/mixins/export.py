"""Columns as a city's user sees them, and the CSV export: values as they are, formulas
neutralised, readable by Excel on Japanese Windows."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Response, has_request_context
from flask_login import current_user

from ... import clock, permissions

#: First characters a spreadsheet reads as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralize_formula(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class CityColumnHidden:
    """One of Flask-Admin's cached column lists (``_list_columns``…), read without the city
    column for a city's own users (``ExportMixin._for_user``)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = f"_all{name}"

    def __get__(self, view: Any, owner: type | None = None) -> Any:
        return self if view is None else view._for_user(getattr(view, self.slot))

    def __set__(self, view: Any, columns: list[Any]) -> None:
        setattr(view, self.slot, columns)


class ExportMixin:
    model: Any

    def _for_user(self, columns: list[Any]) -> list[Any]:
        """A city's users see only their city: its column is noise to them."""
        if has_request_context() and not permissions.is_system_admin(current_user):
            return [c for c in columns if c[0] != "city"]
        return columns

    _list_columns = CityColumnHidden()
    _details_columns = CityColumnHidden()
    _export_columns = CityColumnHidden()

    def get_export_value(self, model: Any, name: Any) -> Any:
        return neutralize_formula(super().get_export_value(model, name))  # type: ignore[misc]

    def _export_csv(self, return_url: Any) -> Any:
        """CSV built while the request's session is open (Flask-Admin streams it after
        the session is gone, so lazy relationships fail), with a BOM so that Excel on
        Japanese Windows reads UTF-8, and formulas neutralised."""
        _count, rows = self._export_data()  # type: ignore[attr-defined]
        out = io.StringIO()
        out.write("\ufeff")
        writer = csv.writer(out)
        writer.writerow([str(label) for _name, label in self._export_columns])
        for row in rows:
            writer.writerow(["" if (v := self.get_export_value(row, name)) is None else str(v)
                             for name, _label in self._export_columns])
        filename = f"{self.model.__tablename__}_{clock.local_now():%Y%m%d%H%M%S}.csv"
        return Response(out.getvalue(), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f"attachment; filename={filename}"})
