"""Who may open a view and which rows it reaches: login, the permission matrix, the record's
state, and the city — the base view scopes too, besides the session."""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_babel import gettext, lazy_gettext
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Query
from sqlalchemy.orm.exc import StaleDataError

from ... import permissions, tenancy
from ...errors import KyodoError, StaleRecord
from ...models.base import TenantScoped
from ...templating import KyodoTemplates
from ...workflow.rights import read_only_reason, rights_for

log = logging.getLogger(__name__)

#: The largest id an Integer column holds, and the last page a list is asked for.
MAX_ID = 2**31 - 1
MAX_PAGE = 100_000


#: A list counts its rows up to this many; more is shown as 「1,000件以上」.
LIST_COUNT_CAP = 1000
#: A search counts its matches up to this many (10 pages): a word found in more rows is too
#: broad to read through, and counting them all would read most of a large table.
SEARCH_COUNT_CAP = 200


class AtLeast(int):
    """A count that stopped at the cap; reads 「1,000件以上（条件で絞り込んでください）」."""

    def __str__(self) -> str:
        return gettext("%(n)s件以上（条件で絞り込んでください）", n=f"{int(self):,}")


class CappedCountQuery(Query):
    """The list's rows (filters and searches apply to it as to the count Flask-Admin builds);
    ``scalar()`` counts them, stopping past the cap (a search's when the list searches)."""

    def scalar(self) -> Any:
        cap = SEARCH_COUNT_CAP if request.args.get("search") else LIST_COUNT_CAP
        rows = self.order_by(None).limit(cap + 1).subquery()
        found = self.session.execute(select(func.count()).select_from(rows)).scalar_one()
        return AtLeast(cap) if found > cap else found


class LoginRequiredMixin(KyodoTemplates):
    """A view for logged-in users: anyone else goes to the login page (and comes back),
    a logged-in user without the right gets 403. ``may_open`` says who may."""

    def may_open(self) -> bool:
        return bool(current_user.is_authenticated)

    def is_accessible(self) -> bool:
        from ... import as_kyodo_user

        with as_kyodo_user():  # in a host's admin menu too, as the kyodo user
            return bool(current_user.is_authenticated) and self.may_open()

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        abort(403)


class AccessMixin(LoginRequiredMixin):
    """The model view's rights (table × role, and the record's state) and its city."""

    model: Any
    session: Any

    def may_open(self) -> bool:
        return permissions.can_view(current_user, self.model)

    @property
    def can_create(self) -> bool:
        return permissions.can_create(current_user, self.model)

    @property
    def can_edit(self) -> bool:
        return permissions.can_edit(current_user, self.model)

    @property
    def can_delete(self) -> bool:
        return permissions.can_delete(current_user, self.model)

    @property
    def can_export(self) -> bool:
        return permissions.can_export(current_user, self.model)

    def may_edit_record(self, record: Any) -> bool:
        """Whether this user may edit this record in its state (the edit button shows)."""
        return permissions.can_edit(current_user, record)

    def may_delete_record(self, record: Any) -> bool:
        """Whether this user may delete it (the role's right, in a state that narrows
        nothing: ``permissions.can_delete``)."""
        return permissions.can_delete(current_user, record)

    def edit_refusal(self, record: Any) -> str | None:
        """Why the record's state keeps this user from editing it (the button says), or None."""
        return read_only_reason(record, current_user.role)

    _VIEW_PERMISSIONS: ClassVar[dict[str, str]] = {
        "create_view": "can_create", "edit_view": "can_edit", "delete_view": "can_delete",
        "export": "can_export", "ajax_update": "can_edit",
    }

    def _handle_view(self, name: str, **kwargs: Any) -> Any:
        refused = super()._handle_view(name, **kwargs)  # type: ignore[misc]
        if refused is not None:
            return refused
        flag = self._VIEW_PERMISSIONS.get(name)
        if flag and not getattr(self, flag):
            abort(403)
        return None

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self) -> Any:
        """Flask-Admin's edit view for a record this user may edit. The permission functions
        look at the record: its state (a signed agreement goes back to its page, saying why)
        and, e.g., an evaluation's side (403)."""
        record_id = request.args.get("id")
        if record_id is not None:
            record = self.get_one(record_id)
            reason = read_only_reason(record, current_user.role)
            if reason and permissions.can_fire(current_user, record):
                flash(reason, "warning")
                return redirect(self.get_url(".details_view", id=record.id))  # type: ignore[attr-defined]
            if not permissions.can_edit(current_user, record):
                abort(403)
        return super().edit_view()  # type: ignore[misc]

    # -- the city's rows only ------------------------------------------------------

    def _scope(self, query: Any) -> Any:
        city_id = tenancy.current_city_id()
        if city_id is not None and issubclass(self.model, TenantScoped):
            query = query.filter(self.model.city_id == city_id)
        return query

    def get_query(self) -> Any:
        return self._scope(super().get_query())  # type: ignore[misc]

    def get_count_query(self) -> Any:
        """Counts the list's rows up to ``LIST_COUNT_CAP``, or a search's up to
        ``SEARCH_COUNT_CAP`` (a filter over a hundred thousand proposals is not read to the
        end to say how many)."""
        return self._scope(CappedCountQuery(self.model.id, session=self.session()))

    def _get_list_extra_args(self) -> Any:
        """The list's query, with a page number that cannot be negative or absurd (-1 or a
        20-digit page would reach the database as a bad OFFSET)."""
        args = super()._get_list_extra_args()  # type: ignore[misc]
        if not 0 <= args.page <= MAX_PAGE:
            args.page = 0
        if not 0 <= (args.page_size or 0) <= 1000:
            args.page_size = 0
        return args

    def get_one(self, id: Any) -> Any:
        """Flask-Admin's own ``get_one`` uses ``session.get`` and skips ``get_query``."""
        try:
            pk = int(id)
        except (TypeError, ValueError):
            abort(404)
        if not 0 < pk <= MAX_ID:  # a 20-digit id is no record (and overflows the column)
            abort(404)
        obj = self.get_query().filter(self.model.id == pk).one_or_none()
        if obj is None or not permissions.can_view(current_user, obj):
            abort(404)
        return obj

    # -- deleting ------------------------------------------------------------------

    def delete_model(self, model: Any) -> bool:
        if not self.may_delete_record(model):  # e.g. a state that narrows rights
            rights = rights_for(model)
            flash(gettext(rights.reason) if rights else gettext("この記録は削除できません。"), "error")
            return False
        try:
            self.on_model_delete(model)  # type: ignore[attr-defined]
            self.session.delete(model)
            self.session.commit()
        except IntegrityError:
            self.session.rollback()
            flash(gettext("他の記録から参照されているため削除できません。先に参照している記録を変更してください。"),
                  "error")
            return False
        except Exception as exc:  # noqa: BLE001 - shown as a clear message, never a trace
            self.session.rollback()
            self.handle_view_exception(exc)
            return False
        self.after_model_delete(model)  # type: ignore[attr-defined]
        return True

    @action("delete", lazy_gettext("削除"), lazy_gettext("選択した記録を削除しますか？"))
    def action_delete(self, ids: Any) -> None:
        """Bulk delete through ``get_query`` (city-scoped), one row at a time, with
        integer ids (Flask-Admin's own compares strings, which PostgreSQL refuses)."""
        try:
            pks = [int(i) for i in ids]
        except (TypeError, ValueError):
            flash(gettext("削除する記録の指定が正しくありません。"), "error")
            return
        count = sum(1 for obj in self.get_query().filter(self.model.id.in_(pks)).all()
                    if self.delete_model(obj))
        if count:
            flash(gettext("%(count)s件の記録を削除しました。", count=count), "success")

    def handle_view_exception(self, exc: Exception) -> bool:
        """Any failure of a save or a delete is a clear message, never a trace."""
        endpoint = getattr(self, "endpoint", "")
        if isinstance(exc, KyodoError):
            flash(str(exc), "error")
        elif isinstance(exc, StaleDataError):
            flash(str(StaleRecord()), "error")
        elif isinstance(exc, IntegrityError):
            log.info("Integrity error in %s: %s", endpoint, exc)
            flash(gettext("入力内容が他の記録と重複しているか、関連する記録との整合性が取れないため保存できませんでした。"
                  "入力内容を確認してください。"), "error")
        elif isinstance(exc, SQLAlchemyError):
            log.exception("Database error in %s", endpoint)
            flash(gettext("データベースの処理に失敗したため保存できませんでした。時間をおいて再度お試しください。"), "error")
        else:
            log.exception("Error in %s", endpoint)
            flash(gettext("処理中にエラーが発生したため保存できませんでした。"), "error")
        return True
