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
from .responses import file_response

#: job -> what its page is titled.
TITLES: dict[str, str] = {}
#: job -> the URL its page leads on to once done (it may flash what was done).
FINISHERS: dict[str, Callable[[QueuedWork], str]] = {}
#: The jobs that make a file: their page hands it over once made (and stays).
MAKE_FILES: set[str] = set()


def finisher(job: str, title: str, makes_file: bool = False) -> Callable[
        [Callable[[QueuedWork], str]], Callable[[QueuedWork], str]]:
    def register(function: Callable[[QueuedWork], str]) -> Callable[[QueuedWork], str]:
        TITLES[job], FINISHERS[job] = title, function
        if makes_file:
            MAKE_FILES.add(job)
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
        makes_file = work.job in MAKE_FILES
        if shown["status"] == "done" and not makes_file:
            return redirect(self.get_url(".done", token=token))
        return self.render("kyodo/admin/queued_work.html", work=work, state=shown,
                           title=TITLES.get(work.job, "処理"), makes_file=makes_file)

    @expose("/<token>/status")
    def status(self, token: str) -> Any:
        return jsonify(state(self._own(token)))

    @expose("/<token>/download")
    def download(self, token: str) -> Any:
        """The file the work made (a preview)."""
        work = self._own(token)
        if state(work)["status"] != "done" or work.content is None:
            abort(404)
        return file_response(work.content, work.result.get("download_name", "download.docx"))

    @expose("/<token>/done")
    def done(self, token: str) -> Any:
        work = self._own(token)
        if state(work)["status"] != "done":
            return redirect(self.get_url(".page", token=token))
        return redirect(FINISHERS[work.job](work))
