"""The page of slow work a person asked for (``services.queued``): it follows the work's
progress and, once the work is done, leads on to what it made; a failure is shown with the
way back to the screen the work was asked from."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, jsonify, redirect
from flask_admin import BaseView, expose
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..models.job import QueuedWork
from ..services.queued import state
from .mixins import LoginRequiredMixin

#: job -> what its page is titled.
TITLES: dict[str, str] = {}
#: job -> the URL its page leads on to once done (it may flash what was done).
FINISHERS: dict[str, Callable[[QueuedWork], str]] = {}


def finisher(job: str, title: str) -> Callable[[Callable[[QueuedWork], str]],
                                              Callable[[QueuedWork], str]]:
    def register(function: Callable[[QueuedWork], str]) -> Callable[[QueuedWork], str]:
        TITLES[job], FINISHERS[job] = title, function
        return function
    return register


class QueuedWorkView(LoginRequiredMixin, BaseView):
    def is_visible(self) -> bool:
        return False  # reached from the screen that asked for the work

    def _own(self, token: str) -> QueuedWork:
        work = db.session.execute(select(QueuedWork).where(
            QueuedWork.token == token)).scalar_one_or_none()  # scoped to the city
        if work is None or work.user_id != current_user.id:
            abort(404)
        return work

    @expose("/")
    def index(self) -> Any:
        abort(404)  # a work's page is reached by its token

    @expose("/<token>")
    def page(self, token: str) -> Any:
        work = self._own(token)
        shown = state(work)
        if shown["status"] == "done":
            return redirect(self.get_url(".done", token=token))
        return self.render("admin/queued_work.html", work=work, state=shown,
                           title=TITLES.get(work.job, "処理"))

    @expose("/<token>/status")
    def status(self, token: str) -> Any:
        return jsonify(state(self._own(token)))

    @expose("/<token>/done")
    def done(self, token: str) -> Any:
        work = self._own(token)
        if state(work)["status"] != "done":
            return redirect(self.get_url(".page", token=token))
        return redirect(FINISHERS[work.job](work))
