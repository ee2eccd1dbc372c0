"""Columns as a city's user sees them, and the CSV export: values as they are, formulas
neutralised, readable by Excel on Japanese Windows."""

from __future__ import annotations

import csv
import io
import tempfile
from typing import Any

from flask import has_request_context, send_file
from flask_login import current_user
from sqlalchemy import inspect
from sqlalchemy.orm import defer

from ... import clock, permissions

#: Rows read and written at a time by an export.
EXPORT_CHUNK = 500
#: Bytes of an export kept in memory; a bigger one is written to a temporary file.
EXPORT_MEMORY = 1024 * 1024
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

    def _export_query(self) -> Any:
        """The list's query (its filters, search and sort, city-scoped) for the export,
        loading only the exported columns: no answers, no long text that is not exported."""
        args = self._get_list_extra_args()  # type: ignore[attr-defined]
        sort = self._get_column_by_idx(args.sort)  # type: ignore[attr-defined]
        _count, query = self.get_list(  # type: ignore[attr-defined]
            0, sort[0] if sort else None, args.sort_desc, args.search, args.filters,
            execute=False, page_size=0)
        exported = {name for name, _label in self._export_columns}
        kept = exported | {"id", "version", "city_id"}
        unused = [attr for attr in inspect(self.model).column_attrs if attr.key not in kept]
        return query.options(*(defer(getattr(self.model, a.key)) for a in unused)) \
            .yield_per(EXPORT_CHUNK)

    def _export_csv(self, return_url: Any) -> Any:
        """CSV written while the request's session is open, read in chunks of rows and only
        the exported columns, into a file that stays in memory while small and goes to a
        temporary file past ``EXPORT_MEMORY`` (memory stays flat however many rows), then
        sent from it. A BOM lets Excel on Japanese Windows read UTF-8; formulas are
        neutralised."""
        columns = list(self._export_columns)
        spool = tempfile.SpooledTemporaryFile(max_size=EXPORT_MEMORY)  # noqa: SIM115 - sent
        out = io.TextIOWrapper(spool, encoding="utf-8-sig", newline="")
        writer = csv.writer(out)
        writer.writerow([str(label) for _name, label in columns])
        for row in self._export_query():
            writer.writerow(["" if (v := self.get_export_value(row, name)) is None else str(v)
                             for name, _label in columns])
        out.flush()
        out.detach()
        spool.seek(0)
        filename = f"{self.model.__tablename__}_{clock.local_now():%Y%m%d%H%M%S}.csv"
        return send_file(spool, mimetype="text/csv; charset=utf-8", as_attachment=True,
                         download_name=filename, max_age=0)
