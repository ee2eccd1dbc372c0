"""Excelから取込: upload a spreadsheet, map its columns, check every row, import all or none.

The uploaded file waits in the database (``ImportUpload``) under a random token bound to the
user and the city, between the steps: read (by a worker) → choose the header line, map the
columns and check every row → import (by a worker). It is deleted once imported, and after a
day in any case. The slow steps run in ``kyodo worker`` (``services.queued``), never in the
web worker, while the clerk's page follows them.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import delete, select

from .. import clock, permissions, tenancy
from ..documents.wareki import nendo, wareki, yen
from ..errors import KyodoError, ValidationFailed
from ..extensions import db
from ..formschema import cells
from ..models import City, ImportUpload, QueuedWork
from ..services.imports import (
    HEADER_ROWS,
    KINDS,
    MAX_BYTES,
    MODELS,
    REFUSE,
    TOO_BIG,
    UNIQUE,
    UPDATE,
    Sheet,
    auto_mapping,
    cells_text,
    check,
    file_format,
    saved_mapping,
    targets,
)
from ..services.imports import (
    LOOKUPS as LOOKED_UP,
)
from ..services.queued import start
from .labels import _COLUMNS, COLUMN_LABELS
from .mixins import LoginRequiredMixin
from .work import finisher

KEEP = dt.timedelta(days=1)


def _shown(name: str, value: Any) -> str:
    """A field's value as it will be stored, in the words the records show it (令和8年4月1日,
    2,700,000円, 令和8年度, はい)."""
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return wareki(value)
    if isinstance(value, int) and name == "fiscal_year":
        return nendo(value)
    if isinstance(value, int) and name.endswith("amount"):
        return yen(value)
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return cells.text(value)


def preview_rows(table: Any, found: list[Any], mapping: dict[str, str], checked: Any
                 ) -> list[tuple[int, dict[str, str]]]:
    """The first rows as they will be stored: each mapped field's value as read (a looked-up
    name and a cell that is not read are shown as written)."""
    understood = dict(checked.records)
    columns = {t.name: table.headers.index(mapping[t.name]) for t in found if t.name in mapping}
    choices = {t.name: t.choices for t in found if t.choices}
    rows = []
    for line, row in table.rows[:10]:
        values = understood.get(line, {})
        shown = {}
        for name, index in columns.items():
            if name == "period" and "start_date" in values:
                shown[name] = f"{wareki(values['start_date'])}～{wareki(values['end_date'])}"
            elif name in choices and name in values:
                shown[name] = choices[name].get(values[name], values[name])
            elif name in values and name not in LOOKED_UP:
                shown[name] = _shown(name, values[name])
            else:
                shown[name] = cells.text(row[index]) if index < len(row) else ""
        rows.append((line, shown))
    return rows


def exported_names(found: list[Any]) -> dict[str, set[str]]:
    """Each field's heading in this product's own exports (the lists' column labels, in
    Japanese and in the user's language), so an export imports back with no choosing."""
    return {t.name: {_COLUMNS[t.name], str(COLUMN_LABELS[t.name])}
            for t in found if t.name in _COLUMNS}


class ImportView(LoginRequiredMixin, BaseView):
    def may_open(self) -> bool:
        return tenancy.current_city_id() is not None and any(
            permissions.can_create(current_user, model) for model in MODELS.values())

    def _load(self, token: str) -> ImportUpload:
        upload = db.session.execute(select(ImportUpload).where(
            ImportUpload.token == token)).scalar_one_or_none()  # scoped to the city
        if upload is None or upload.user_id != current_user.id:
            abort(404)
        return upload

    @expose("/", methods=("GET", "POST"))
    def index(self) -> Any:
        """Choose the file; a worker reads it (its page leads on to the mapping)."""
        if request.method == "POST":
            kind = request.form.get("kind", "")
            upload = request.files.get("file")
            city_id = tenancy.current_city_id()
            if kind not in KINDS or not permissions.can_create(current_user, MODELS[kind]):
                flash(gettext("取り込む記録の種類を選んでください。"), "error")
            elif upload is None or not upload.filename:
                flash(gettext("Excel（.xlsx）か CSV のファイルを選んでください。"), "error")
            elif city_id is not None:
                data = upload.read(MAX_BYTES + 1)
                try:
                    file_format(upload.filename, data)
                    if len(data) > MAX_BYTES:
                        raise ValidationFailed(gettext(TOO_BIG))
                except ValidationFailed as exc:
                    flash(str(exc), "error")
                else:
                    token = secrets.token_urlsafe(16)
                    db.session.execute(delete(ImportUpload).where(  # forgotten ones go after a day
                        ImportUpload.created_at < clock.now() - KEEP))
                    db.session.add(ImportUpload(token=token, user_id=current_user.id, kind=kind,
                                                filename=upload.filename[:255], content=data))
                    db.session.commit()
                    work = start(db.session, "import_read", city_id, current_user.id, {
                        "upload": token, "back_url": url_for(".index"),
                        "back_label": "別のファイルを選ぶ"})
                    return redirect(url_for("work.page", token=work))
        kinds = {k: v for k, v in KINDS.items() if permissions.can_create(current_user, MODELS[k])}
        return self.render("kyodo/admin/import.html", step="upload", kinds=kinds,
                           max_mb=MAX_BYTES // 1024 // 1024)

    @expose("/<token>", methods=("GET", "POST"))
    def mapping(self, token: str) -> Any:
        """The headers and the columns' fields, every row checked; 取り込む hands the import
        to a worker."""
        upload = self._load(token)
        city = db.session.get(City, tenancy.current_city_id())
        if city is None:
            abort(404)
        if upload.sheet is None:
            flash(gettext("ファイルの読み込みが終わっていません。もう一度ファイルを選んでください。"), "error")
            return redirect(url_for(".index"))
        kind, filename = upload.kind, upload.filename
        sheet = Sheet.from_json(upload.sheet)
        choices = dict(upload.choices or {})
        if request.method == "POST":
            line = request.form.get("header_line", "")
            header = (int(line) if line.isdigit() else None,
                      2 if request.form.get("header_lines") == "2" else 1)
            if header != (choices.get("header_line"), choices.get("header_lines", 1)):
                choices = {"header_line": header[0], "header_lines": header[1]}  # new columns
            choices["existing"] = UPDATE if request.form.get("existing") == UPDATE else REFUSE
        try:
            table = sheet.chosen(choices)
        except KyodoError as exc:
            flash(str(exc), "error")
            choices = {}
            table = sheet.chosen(choices)
        if choices.get("header_line") is None:
            choices["header_line"], choices["header_lines"] = sheet.guess_header()
        found = targets(db.session, city.id, kind)
        if request.method == "POST" and "mapping" in choices:
            chosen = {t.name: request.form.get(f"map-{t.name}", "") for t in found}
            mapping = {name: header for name, header in chosen.items() if header in table.headers}
        elif "mapping" in choices:
            mapping = {k: v for k, v in choices["mapping"].items() if v in table.headers}
        else:
            mapping = auto_mapping(found, table.headers, saved_mapping(city, kind),
                                   exported_names(found))
        choices["mapping"] = mapping
        if request.method == "POST" and choices != upload.choices:  # kept for the next step
            upload.choices = choices
            db.session.commit()
        if request.method == "POST" and request.form.get("action") == "import":
            work = start(db.session, "import_run", city.id, current_user.id, {
                "upload": token, "back_url": url_for(".mapping", token=token),
                "back_label": "取込の画面に戻る"})
            return redirect(url_for("work.page", token=work))
        checked = check(db.session, city, kind, table, mapping, choices.get("existing", REFUSE))
        preview = preview_rows(table, found, mapping, checked)
        return self.render("kyodo/admin/import.html", step="mapping", token=token, filename=filename,
                           kind=kind, kind_label=KINDS[kind], table=table, targets=found, mapping=mapping,
                           checked=checked, preview=preview, choices=choices,
                           unique=UNIQUE.get(kind), UPDATE=UPDATE,
                           header_rows=[(line, " ｜ ".join(cells_text(c) for c in row if c not in
                                                          (None, ""))[:60])
                                        for line, row in sheet.grid[:HEADER_ROWS]])


@finisher("import_read", "ファイルの読み込み")
def _read(work: QueuedWork) -> str:
    return url_for("import.mapping", token=work.result["upload"])


@finisher("import_run", "Excelからの取込")
def _imported(work: QueuedWork) -> str:
    result = work.result
    rows = result["created"] + result["updated"] + result["unchanged"]
    parts = [f"{label}{result[key]}件" for key, label in (
        ("created", "新規"), ("updated", "更新"), ("unchanged", "変更なし")) if result[key]]
    split = f"：{'、'.join(parts)}" if result["updated"] or result["unchanged"] else ""
    flash(gettext("%(rows)s件の%(v2)sを取り込みました（%(v4)s%(split)s）。", rows=rows, v2=KINDS[result['kind']], v4=result['filename'], split=split),
          "success")
    return url_for(f"{result['kind']}.index_view")
