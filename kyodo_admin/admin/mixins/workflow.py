"""Opt-in: a record's state buttons (the only way its state changes) and the actions its
page posts (``act_on_record``), each checked against the version the user loaded."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext
from flask_login import current_user

from ... import clock, permissions
from ...errors import StaleRecord
from ...services.workflow import apply_transition, available_transitions, date_bounds, state_label
from ..fields import posted_date
from ..responses import FAILED, commit_or_flash

TRANSITION_FAILED = "状態を変更できませんでした。時間をおいてもう一度お試しください。"


class WorkflowMixin:
    session: Any

    def transitions_for(self, record: Any) -> list[Any]:
        """Buttons for the record's details page: (transition, reason it is blocked or None)."""
        if not permissions.can_fire(current_user, record):
            return []
        return available_transitions(self.session, current_user, record)

    def transition_dates(self, record: Any, transition: Any) -> dict[str, str]:
        """min, max and the default (today) of the date a transition asks for, ISO."""
        earliest, latest = date_bounds(self.session, record, transition)
        return {"min": earliest.isoformat() if earliest else "", "max": latest.isoformat(),
                "value": min(max(clock.today(), earliest or clock.today()), latest).isoformat()}

    def _posted_record(self, id: int, may: Any) -> tuple[Any, str, Any]:
        """The record a POST from its page acts on — city-scoped (404), allowed (403) — its
        page's URL, and a redirect back (with the message) when it changed since it was
        loaded, else None."""
        record = self.get_one(str(id))  # type: ignore[attr-defined]
        if not may(current_user, record):
            abort(403)
        details = self.get_url(".details_view", id=id)  # type: ignore[attr-defined]
        if request.form.get("loaded_version", "") != str(getattr(record, "version", "")):
            flash(str(StaleRecord()), "error")
            return record, details, redirect(details)
        return record, details, None

    def act_on_record(self, id: int, act: Any, may: Any = permissions.can_edit) -> Any:
        """A POST from a record's page that acts on it (``_posted_record``); ``act(record)``
        returns the message to show. A refusal (KyodoError) is shown and undoes everything."""
        record, details, stale = self._posted_record(id, may)
        if stale is not None:
            return stale
        message = commit_or_flash(self.session, lambda: act(record))
        if message is not FAILED:
            flash(message, "success")
        return redirect(details)

    @expose("/transition/<int:id>/<transition_name>", methods=("POST",))
    def transition(self, id: int, transition_name: str) -> Any:
        """Fire a workflow transition (the only way a record's state changes)."""
        record, details, stale = self._posted_record(id, permissions.can_fire)
        if stale is not None:
            return stale
        fired = commit_or_flash(self.session, lambda: apply_transition(
            self.session, record, transition_name, current_user,
            request.form.get("comment", "")[:2000], on=posted_date(request.form.get("on"))),
            database_message=TRANSITION_FAILED)
        if fired is FAILED:
            return redirect(details)
        change = (f"（{gettext(state_label(record, fired.before))} → {gettext(state_label(record))}）"
                  if record.status != fired.before else "")
        flash(gettext("「%(action)s」を行いました%(change)s。", action=gettext(fired.transition.label),
                      change=change), "success")
        if fired.created is not None:
            endpoint = type(fired.created).__tablename__
            flash(gettext("「%(created)s」を作成しました。", created=fired.created), "info")
            return redirect(url_for(f"{endpoint}.details_view", id=fired.created.id))
        return redirect(details)
