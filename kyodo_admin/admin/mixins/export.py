"""Columns as a city's user sees them, and the exports: CSV (values as they are, formulas
neutralised, readable by Excel on Japanese Windows) and Excel (.xlsx: amounts as numbers,
dates as dates shown in 和暦, text never read as a formula, column widths set)."""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import tempfile
from typing import Any

from flask import abort, has_request_context, send_file
from flask_login import current_user
from sqlalchemy import inspect
from sqlalchemy.orm import defer, joinedload
from sqlalchemy.orm.attributes import InstrumentedAttribute

from ... import clock, permissions
from ...formschema.cells import FORMULA_PREFIXES
from ...services.spreadsheets import typed
from ..responses import XLSX_MIMETYPE

#: Rows read and written at a time by an export.
EXPORT_CHUNK = 500
#: Bytes of an export kept in memory; a bigger one is written to a temporary file.
EXPORT_MEMORY = 1024 * 1024


def neutralize_formula(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value  # read back by cells.text, which takes the quote off
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
        mapper = inspect(self.model)
        # a linked record exported by its name (団体, 担当課) is read with its rows, not per row
        linked = [rel for rel in mapper.relationships if rel.key in exported and not rel.uselist]
        kept = exported | {"id", "version", "city_id"} | {
            column.key for rel in linked for column in rel.local_columns}
        unused = [attr for attr in mapper.column_attrs if attr.key not in kept]
        return query.options(*(defer(getattr(self.model, a.key)) for a in unused),
                             *(joinedload(getattr(self.model, rel.key)) for rel in linked)) \
            .yield_per(EXPORT_CHUNK)

    def _export_tablib(self, export_type: str, return_url: Any) -> Any:
        """The other export types Flask-Admin knows: here, ``xlsx`` only."""
        if export_type != "xlsx":
            abort(404)
        return self._export_xlsx()

    def _xlsx_value(self, row: Any, name: str) -> Any:
        """A column's value as a spreadsheet takes it: numbers and dates as they are (not as a
        screen or the CSV writes them), anything else as its export text."""
        attribute = getattr(self.model, name, None)
        if isinstance(attribute, InstrumentedAttribute) and name in inspect(self.model).columns:
            value = getattr(row, name)
            if isinstance(value, bool):
                return "はい" if value else "いいえ"
            if isinstance(value, (int, float, decimal.Decimal, dt.date)):
                return value.replace(tzinfo=None) if isinstance(value, dt.datetime) else value
        value = super().get_export_value(row, name)  # type: ignore[misc]
        return "" if value is None else str(value)

    def _export_xlsx(self) -> Any:
        """One sheet of the list (its filters, search and sort), written row by row in
        openpyxl's write-only mode through a spooled file: memory flat in the rows."""
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        columns = list(self._export_columns)
        book = Workbook(write_only=True)
        sheet = book.create_sheet(title=str(getattr(self.model, "label", "") or "一覧")[:31])
        for index, (_name, label) in enumerate(columns, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = max(10, 2.2 * len(str(label)) + 2)
        sheet.freeze_panes = "A2"
        header = []
        for _name, label in columns:
            cell = WriteOnlyCell(sheet, value=str(label))
            cell.font = Font(bold=True)
            header.append(cell)
        sheet.append(header)
        for row in self._export_query():
            cells = []
            for name, _label in columns:
                cells.append(typed(WriteOnlyCell(sheet, value=self._xlsx_value(row, name)),
                                   amount=name != "fiscal_year"))
            sheet.append(cells)
        spool = tempfile.SpooledTemporaryFile(max_size=EXPORT_MEMORY)  # noqa: SIM115 - sent
        book.save(spool)
        spool.seek(0)
        filename = f"{self.model.__tablename__}_{clock.local_now():%Y%m%d%H%M%S}.xlsx"
        return send_file(spool, as_attachment=True, download_name=filename, max_age=0,
                         mimetype=XLSX_MIMETYPE)

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
