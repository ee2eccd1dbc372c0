"""Excelから取込: upload a spreadsheet, map its columns, check every row, import all or none.

The uploaded file waits in the database (``ImportUpload``) under a random token bound to the
user and the city, between the steps (read → map and check → import); it is deleted once
imported, and after a day in any case.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_login import current_user
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from .. import clock, permissions, tenancy
from ..documents.wareki import wareki
from ..errors import KyodoError
from ..extensions import db
from ..formschema import cells
from ..models import City, ImportUpload, Organization, Project, Proposal
from ..services.imports import (
    KINDS,
    MAX_BYTES,
    Table,
    auto_mapping,
    check,
    import_table,
    read_table,
    saved_mapping,
    targets,
)
from .mixins import LoginRequiredMixin

log = logging.getLogger(__name__)

MODELS = {"organization": Organization, "proposal": Proposal, "project": Project}
KEEP = dt.timedelta(days=1)


def _shown(value: Any) -> str:
    """A cell as the preview shows it: an Excel date in 和暦, the rest as written."""
    if isinstance(value, dt.datetime):
        value = value.date()
    return wareki(value) if isinstance(value, dt.date) else cells.text(value)


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
        if request.method == "POST":
            kind = request.form.get("kind", "")
            upload = request.files.get("file")
            if kind not in KINDS or not permissions.can_create(current_user, MODELS[kind]):
                flash("取り込む記録の種類を選んでください。", "error")
            elif upload is None or not upload.filename:
                flash("Excel（.xlsx）か CSV のファイルを選んでください。", "error")
            else:
                data = upload.read(MAX_BYTES + 1)
                try:
                    read_table(upload.filename, data)
                except KyodoError as exc:
                    flash(str(exc), "error")
                else:
                    token = secrets.token_urlsafe(16)
                    db.session.execute(delete(ImportUpload).where(  # forgotten ones go after a day
                        ImportUpload.created_at < clock.now() - KEEP))
                    db.session.add(ImportUpload(token=token, user_id=current_user.id, kind=kind,
                                                filename=upload.filename[:255], content=data))
                    db.session.commit()
                    return redirect(url_for(".mapping", token=token))
        kinds = {k: v for k, v in KINDS.items() if permissions.can_create(current_user, MODELS[k])}
        return self.render("admin/import.html", step="upload", kinds=kinds,
                           max_mb=MAX_BYTES // 1024 // 1024)

    @expose("/<token>", methods=("GET", "POST"))
    def mapping(self, token: str) -> Any:
        upload = self._load(token)
        kind, filename = upload.kind, upload.filename
        city = db.session.get(City, tenancy.current_city_id())
        if city is None:
            abort(404)
        table: Table = read_table(filename, upload.content)
        found = targets(db.session, city.id, kind)
        if request.method == "POST":
            chosen = {t.name: request.form.get(f"map-{t.name}", "") for t in found}
            mapping = {name: header for name, header in chosen.items() if header in table.headers}
        else:
            mapping = auto_mapping(found, table.headers, saved_mapping(city, kind))
        if request.method == "POST" and request.form.get("action") == "import":
            try:
                count = import_table(db.session, city, kind, table, mapping, filename,
                                     current_user)
                db.session.delete(upload)
                db.session.commit()
            except KyodoError as exc:
                db.session.rollback()
                flash(str(exc), "error")
            except IntegrityError:
                # Another person registered the same name or number since the check: the
                # log says which kind of import failed, never the values (personal data).
                db.session.rollback()
                log.warning("import of %s refused by a unique constraint (upload %s)", kind,
                            token)
                flash("同じ名称や受付番号のものを他の人が先に登録したため、取り込みませんでした"
                      "（1件も登録していません）。もう一度「対応を確かめる」を押してください。", "error")
            else:
                flash(f"{count}件の{KINDS[kind]}を取り込みました（{filename}）。", "success")
                return redirect(url_for(f"{kind}.index_view"))
        checked = check(db.session, city, kind, table, mapping)
        columns = {t.name: table.headers.index(mapping[t.name]) for t in found if t.name in mapping}
        preview = [(line, {name: _shown(row[i]) if i < len(row) else ""
                           for name, i in columns.items()}) for line, row in table.rows[:10]]
        return self.render("admin/import.html", step="mapping", token=token, filename=filename,
                           kind_label=KINDS[kind], table=table, targets=found, mapping=mapping,
                           checked=checked, preview=preview)
