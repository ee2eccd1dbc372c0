"""The form builder (様式エディタ): city admins change their forms without a programmer.

Plain server-rendered pages: every change is a POST (with CSRF and the draft's
version) that goes through ``services.form_builder``; a change that would
make the definition invalid is refused with the problems listed and nothing
stored. Publishing keeps the revisions that records were filled against.
"""

from __future__ import annotations

from typing import Any

import yaml
from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext, lazy_gettext
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import BooleanField, Form, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from .. import permissions, tenancy
from ..documents.starter import FORM_OF
from ..errors import DefinitionInvalid, KyodoError
from ..extensions import db
from ..formschema.definition import (
    COMMON_KEYS,
    FILLABLE_COLUMNS,
    diff,
    fields_of,
    fills_of,
    load_yaml,
)
from ..formschema.forms import extend_form_class
from ..formschema.types import REGISTRY, TYPE_CHOICES, FieldDef
from ..inputs import CleanForm
from ..models.city import City
from ..models.form_definition import FORM_KINDS, FormDefinition
from ..services import form_builder as builder
from ..services.documents import kind_coverage
from ..services.form_definitions import current_definition, records_using
from .mixins import LoginRequiredMixin
from .responses import KYODO_JS


class FieldPropertiesForm(CleanForm):
    name = StringField("識別名（英小文字）", validators=[InputRequired(lazy_gettext("識別名を入力してください。")),
                                                   Length(max=40)])
    label = StringField("表示名", validators=[InputRequired(lazy_gettext("表示名を入力してください。")),
                                           Length(max=200)])
    type = SelectField("型", choices=TYPE_CHOICES)
    required = BooleanField("必須")
    internal = BooleanField("内部用（公開ページに出さない）")
    help = TextAreaField("説明（入力欄の下に表示）", validators=[Optional(), Length(max=500)])
    example = TextAreaField(
        "記入例（提案者が「記入例を見る」で開き、記入例の様式にも印字されます）",
        validators=[Optional(), Length(max=2000)],
        description="この項目の答えになる値を書きます（金額は 500000、年月は 2027年4月、"
                    "選択肢はそのどれか）。表とファイルの項目には書けません。")
    choices = TextAreaField("選択肢（1行に1つ）", validators=[Optional(), Length(max=4000)])
    min_length = IntegerField("最小文字数", validators=[Optional(), NumberRange(min=0)])
    max_length = IntegerField("最大文字数", validators=[Optional(), NumberRange(min=1)])
    min = IntegerField("最小値", validators=[Optional()])
    max = IntegerField("最大値", validators=[Optional()])
    pattern = StringField("入力形式（正規表現）", validators=[Optional(), Length(max=200)])
    max_size = IntegerField("最大サイズ（バイト）", validators=[Optional(), NumberRange(min=1)])
    min_rows = IntegerField("最小行数", validators=[Optional(), NumberRange(min=0)])
    max_rows = IntegerField("最大行数", validators=[Optional(), NumberRange(min=1)])
    visible_if_field = SelectField("表示条件: この項目が…", choices=[], validate_choice=False)
    visible_if_values = TextAreaField("…次のいずれかの値のときだけ表示（1行に1つ）",
                                      validators=[Optional(), Length(max=2000)])
    fills_column = SelectField("記録の項目に反映（入力を1か所にする）", choices=[],
                               validate_choice=False)
    fills_equals = StringField("…この選択肢のとき「はい」として反映（選択肢の項目のとき）",
                               validators=[Optional(), Length(max=200)])
    columns = TextAreaField("表の列（YAML）", validators=[Optional(), Length(max=20000)])


def field_from_form(form: FieldPropertiesForm, previous: dict[str, Any]) -> dict[str, Any]:
    """The field definition the properties form describes (keys the type does not use dropped)."""
    type_name = form.type.data
    allowed = COMMON_KEYS | REGISTRY[type_name].keys if type_name in REGISTRY else COMMON_KEYS
    field: dict[str, Any] = {
        "name": (form.name.data or "").strip(), "label": (form.label.data or "").strip(),
        "type": type_name, "required": bool(form.required.data),
        "internal": bool(form.internal.data), "help": (form.help.data or "").strip(),
    }
    if (form.example.data or "").strip():
        field["example"] = form.example.data.strip()
    if "default" in previous:
        field["default"] = previous["default"]
    if "choices" in allowed:
        field["choices"] = [c.strip() for c in (form.choices.data or "").splitlines() if c.strip()]
    for key in ("min_length", "max_length", "min", "max", "max_size", "min_rows", "max_rows"):
        if key in allowed and form[key].data is not None:
            field[key] = form[key].data
    if "pattern" in allowed and form.pattern.data:
        field["pattern"] = form.pattern.data
    if "columns" in allowed:
        try:
            columns = yaml.safe_load(form.columns.data or "") or []
        except yaml.YAMLError as exc:
            raise DefinitionInvalid(f"表の列（YAML）の書式が正しくありません（{exc}）。") from exc
        field["columns"] = columns
    if form.visible_if_field.data:
        values = [v.strip() for v in (form.visible_if_values.data or "").splitlines() if v.strip()]
        values_typed: list[Any] = [{"true": True, "false": False}.get(v.lower(), v) for v in values]
        if len(values_typed) == 1:
            field["visible_if"] = {"field": form.visible_if_field.data, "equals": values_typed[0]}
        else:
            field["visible_if"] = {"field": form.visible_if_field.data, "in": values_typed}
    if "fills_column" in form and form.fills_column.data:
        equals = (form.fills_equals.data or "").strip()
        field["fills"] = {"column": form.fills_column.data, "equals": equals} if equals \
            else form.fills_column.data
    return {k: v for k, v in field.items() if k in allowed}


def form_from_field(form: FieldPropertiesForm, field: dict[str, Any]) -> None:
    for key in ("name", "label", "type", "required", "internal", "help", "min_length",
                "max_length", "min", "max", "pattern", "max_size", "min_rows", "max_rows"):
        if key in field:
            form[key].data = field[key]
    if field.get("example") is not None:
        form.example.data = str(field["example"])
    form.choices.data = "\n".join(field.get("choices", []))
    if field.get("columns"):
        form.columns.data = yaml.safe_dump(field["columns"], allow_unicode=True, sort_keys=False)
    condition = field.get("visible_if") or {}
    fills = fills_of(field)
    if "fills_column" in form:
        form.fills_column.data, form.fills_equals.data = fills if fills else ("", None)
    form.visible_if_field.data = condition.get("field", "")
    values = condition["in"] if "in" in condition else (
        [condition["equals"]] if "equals" in condition else [])
    form.visible_if_values.data = "\n".join(
        str(v).lower() if isinstance(v, bool) else str(v) for v in values)


def unprinted_new_fields(city_id: int, form_kind: str,
                         known: set[str]) -> list[tuple[str, int, list[FieldDef]]]:
    """(document, template revision, fields) for each document kind printing this form
    whose active template leaves out a field that was not in the form before (``known``)."""
    found = []
    for kind, printed_form in FORM_OF.items():
        row = kind_coverage(db.session, city_id, kind) if printed_form == form_kind else None
        if row is None or row.coverage is None or row.template is None:
            continue
        new = [f for f in row.coverage.unused if f["name"] not in known]
        if new:
            found.append((row.label, row.template.revision, new))
    return found


class FormBuilderView(LoginRequiredMixin, BaseView):
    """様式エディタ: one page per form kind of the user's city."""

    #: Confirmations before publishing or retiring (data-confirm), without inline script.
    extra_js = KYODO_JS

    def may_open(self) -> bool:
        return permissions.can_edit(current_user, FormDefinition) and \
            tenancy.current_city_id() is not None

    # -- helpers -------------------------------------------------------------------

    def _city(self) -> City:
        city = db.session.get(City, tenancy.current_city_id())
        if city is None:
            abort(404)
        return city

    def _kind(self, kind: str) -> str:
        if kind not in FORM_KINDS:
            abort(404)
        return kind

    def _draft(self, kind: str) -> FormDefinition:
        draft = builder.draft_of(db.session, self._city().id, kind)
        if draft is None:
            flash(gettext("編集中の下書きがありません。「編集を始める」からやり直してください。"), "error")
            abort(self._back(kind))
        return draft

    def _back(self, kind: str, anchor: str = "") -> Response:
        return redirect(url_for(".kind_view", kind=kind) + anchor)

    def _apply(self, kind: str, change: Any, success: str) -> Response:
        """Run one edit on the draft: version check, edit, whole validation, or nothing."""
        draft = self._draft(kind)
        try:
            builder.check_version(draft, request.form.get("version"))
            change(draft)
        except KyodoError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return self._back(kind)
        db.session.commit()
        flash(success, "success")
        return self._back(kind)

    # -- pages -------------------------------------------------------------------------

    @expose("/")
    def index(self) -> str:
        city = self._city()
        rows = []
        for kind, label in FORM_KINDS.items():
            current = current_definition(db.session, city.id, kind)
            rows.append({
                "kind": kind, "label": label, "current": current,
                "records": records_using(db.session, current) if current else 0,
                "draft": builder.draft_of(db.session, city.id, kind),
            })
        return self.render("kyodo/admin/form_builder/index.html", city=city, rows=rows)

    @expose("/<kind>/")
    def kind_view(self, kind: str) -> str:
        city = self._city()
        kind = self._kind(kind)
        current = current_definition(db.session, city.id, kind)
        draft = builder.draft_of(db.session, city.id, kind)
        changes = diff(current.schema if current else {"sections": []}, draft.schema) \
            if draft else []
        return self.render(
            "kyodo/admin/form_builder/kind.html", city=city, kind=kind, label=FORM_KINDS[kind],
            current=current, draft=draft, changes=changes, registry=REGISTRY,
            records=records_using(db.session, current) if current else 0,
            type_choices=TYPE_CHOICES, csrf_form=FlaskForm(),
        )

    @expose("/<kind>/start", methods=("POST",))
    def start(self, kind: str) -> Response:
        kind = self._kind(kind)
        builder.start_draft(db.session, self._city(), kind, current_user.id)
        db.session.commit()
        return self._back(kind)

    @expose("/<kind>/discard", methods=("POST",))
    def discard(self, kind: str) -> Response:
        return self._apply(kind, lambda d: builder.discard_draft(db.session, d),
                           "下書きを破棄しました。")

    @expose("/<kind>/publish", methods=("POST",))
    def publish(self, kind: str) -> Response:
        draft = self._draft(kind)
        city_id = draft.city_id
        try:
            builder.check_version(draft, request.form.get("version"))
            before = current_definition(db.session, city_id, kind)
            known = {f["name"] for f in fields_of(before.schema)} if before is not None else set()
            result = builder.publish_draft(db.session, draft, current_user.id)
        except KyodoError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return self._back(kind)
        db.session.commit()
        messages = {
            "unchanged": "変更がないため、公開中の版をそのまま使います。",
            "updated": f"第{result.definition.revision}版を更新して公開しました（この版で作成された記録はまだありません）。",
            "created": f"第{result.definition.revision}版として公開しました。"
                       "これまでの記録は、作成時の版のまま表示・印刷されます。",
        }
        flash(messages[result.outcome], "success")
        for label, revision, fields in unprinted_new_fields(city_id, kind, known):
            tags = "、".join(f"{{{{ answers.{f['name']} }}}}" for f in fields)
            flash(gettext("使用中のWord様式「%(label)s 第%(revision)s版」は、新しい項目「%(v5)s」を印字しません。設定 > Word様式 でひな形をダウンロードするか、Word様式に %(tags)s を書き加えてください。", label=label, revision=revision, v5='」「'.join(f['label'] for f in fields), tags=tags), "warning")
        return redirect(url_for(".index"))

    @expose("/<kind>/meta", methods=("POST",))
    def meta(self, kind: str) -> Response:
        title = request.form.get("title", "")[:200]
        number = request.form.get("form_number", "")[:40]
        return self._apply(kind, lambda d: builder.save_draft(
            db.session, d, d.schema, title=title, form_number=number), "様式名を変更しました。")

    @expose("/<kind>/section", methods=("POST",))
    def section(self, kind: str) -> Response:
        op = request.form.get("op", "")
        index = request.form.get("index", type=int, default=-1)
        title = request.form.get("title", "")[:200]
        operations = {
            "add": lambda s: builder.add_section(s, title),
            "rename": lambda s: builder.rename_section(s, index, title),
            "remove": lambda s: builder.remove_section(s, index),
            "up": lambda s: builder.move_section(s, index, -1),
            "down": lambda s: builder.move_section(s, index, 1),
        }
        if op not in operations:
            abort(400)
        return self._apply(kind, lambda d: builder.save_draft(
            db.session, d, operations[op](d.schema)), "セクションを変更しました。")

    @expose("/<kind>/move", methods=("POST",))
    def move(self, kind: str) -> Response:
        name = request.form.get("name", "")
        step = -1 if request.form.get("direction") == "up" else 1
        return self._apply(kind, lambda d: builder.save_draft(
            db.session, d, builder.move_field(d.schema, name, step)), "項目を移動しました。")

    @expose("/<kind>/remove", methods=("POST",))
    def remove(self, kind: str) -> Response:
        name = request.form.get("name", "")
        return self._apply(kind, lambda d: builder.save_draft(
            db.session, d, builder.remove_field(d.schema, name)), f"項目「{name}」を削除しました。")

    @expose("/<kind>/import", methods=("POST",))
    def import_yaml(self, kind: str) -> Response:
        upload = request.files.get("file")
        text = upload.read(1024 * 1024).decode("utf-8", errors="replace") if upload else ""

        def replace(draft: FormDefinition) -> None:
            definition = load_yaml(text, getattr(upload, "filename", "") or "YAML")
            if definition["kind"] != kind:
                raise DefinitionInvalid(f"このファイルは「{FORM_KINDS.get(definition['kind'])}」の"
                                        f"様式です。「{FORM_KINDS[kind]}」の画面から取り込んでください。")
            builder.save_draft(db.session, draft, definition, definition.get("title", ""),
                               definition.get("form_number", ""))

        return self._apply(kind, replace, "YAMLを下書きに取り込みました。")

    @expose("/<kind>/field", methods=("GET", "POST"))
    def field(self, kind: str) -> Any:
        """Add (``?section=N``) or edit (``?name=…``) one field of the draft."""
        kind = self._kind(kind)
        draft = self._draft(kind)
        name = request.args.get("name")
        section = request.args.get("section", type=int, default=0)
        previous: dict[str, Any] = {}
        if name:
            s_index, f_index = builder.locate(draft.schema, name)
            previous = draft.schema["sections"][s_index]["fields"][f_index]
        form = FieldPropertiesForm()
        others = [f["name"] for f in fields_of(draft.schema) if f["name"] != name]
        form.visible_if_field.choices = [("", "（常に表示）")] + [(n, n) for n in others]
        form.fills_column.choices = [("", "（反映しない）")] + [
            (column, f"{label}（{column}）")
            for column, (label, _types) in FILLABLE_COLUMNS.get(kind, {}).items()]
        if len(form.fills_column.choices) == 1:  # this kind has no column a field could fill
            del form["fills_column"], form["fills_equals"]
        if request.method == "GET":
            form_from_field(form, previous or {"type": "text"})
        elif form.validate_on_submit():
            try:
                builder.check_version(draft, request.form.get("version"))
                field = field_from_form(form, previous)
                schema = builder.update_field(draft.schema, name, field) if name else \
                    builder.add_field(draft.schema, section, field)
                builder.save_draft(db.session, draft, schema)
            except KyodoError as exc:
                db.session.rollback()
                flash(str(exc), "error")
            else:
                db.session.commit()
                flash(gettext("項目「%(v1)s」を保存しました。", v1=field['label']), "success")
                return self._back(kind, f"#field-{field['name']}")
        return self.render("kyodo/admin/form_builder/field.html", kind=kind, label=FORM_KINDS[kind],
                           form=form, draft=draft, name=name, section=section,
                           registry=REGISTRY)

    @expose("/<kind>/preview")
    def preview(self, kind: str) -> str:
        """The draft as staff will see it (nothing is saved from here)."""
        kind = self._kind(kind)
        draft = self._draft(kind)
        form_class = extend_form_class(Form, ("preview", draft.id, draft.version), draft.schema)
        form = form_class()
        return self.render("kyodo/admin/form_builder/preview.html", kind=kind, label=FORM_KINDS[kind],
                           draft=draft, form=form)

    @expose("/<kind>/diff")
    def diff_view(self, kind: str) -> str:
        """The difference between two revisions of a kind (fields added, removed, changed)."""
        kind = self._kind(kind)
        city = self._city()
        revisions = db.session.execute(select(FormDefinition).where(
            FormDefinition.city_id == city.id, FormDefinition.kind == kind)
            .order_by(FormDefinition.revision)).scalars().all()
        by_id = {str(r.id): r for r in revisions}
        old = by_id.get(request.args.get("a", "")) or (revisions[-2] if len(revisions) > 1 else None)
        new = by_id.get(request.args.get("b", "")) or (revisions[-1] if revisions else None)
        changes = diff(old.schema, new.schema) if old and new else []
        return self.render("kyodo/admin/form_builder/diff.html", kind=kind, label=FORM_KINDS[kind],
                           revisions=revisions, old=old, new=new, changes=changes)
