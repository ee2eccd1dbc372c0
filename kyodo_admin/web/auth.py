"""Login and logout."""

from __future__ import annotations

import secrets
import time
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from .. import kyodo_home_url, tenancy
from ..extensions import db, limiter, login_manager
from ..models.user import User
from ..services.users import authenticate
from ..templating import render_template

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def _load_user(session_id: str) -> User | None:
    """The user of a session, only while its token is the user's current one."""
    user_id, _, token = (session_id or "").partition(":")
    try:
        with tenancy.all_cities():  # the session names the user, and with it the city
            user = db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None
    if user is None or not token or not secrets.compare_digest(token, user.session_token or ""):
        return None
    return user


login_manager.login_view = "auth.login"
login_manager.login_message = _l("このページを見るにはログインしてください。")
login_manager.login_message_category = "warning"
login_manager.session_protection = "strong"


class LoginForm(FlaskForm):
    username = StringField(_l("ユーザー名"), validators=[
        DataRequired(_l("ユーザー名を入力してください。")), Length(max=80)])
    password = PasswordField(_l("パスワード"), validators=[
        DataRequired(_l("パスワードを入力してください。")), Length(max=200)])


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: no scheme, no host, no ``//evil``, no backslashes."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 32 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _login_limit() -> str:
    return current_app.config["KYODO_LOGIN_RATE_LIMIT"]


@bp.route("/")
def index() -> Response:
    return redirect(kyodo_home_url())


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login() -> ResponseReturnValue:
    next_url = safe_next(request.values.get("next"))
    if current_app.extensions["kyodo"].user_adapter is not None:
        return _host_login(next_url)
    if current_user.is_authenticated:
        return redirect(next_url or kyodo_home_url())
    form = LoginForm()
    if form.validate_on_submit():
        with tenancy.all_cities():  # the user name decides the city
            result = authenticate(
                db.session, form.username.data.strip(), form.password.data,
                max_failures=current_app.config["KYODO_LOGIN_MAX_FAILURES"],
                lock_minutes=current_app.config["KYODO_LOGIN_LOCK_MINUTES"],
                address=request.remote_addr or "",
            )
            db.session.commit()
            if result.user is not None:
                login_user(result.user)
                session["kyodo_login_at"] = session["kyodo_seen_at"] = time.time()
                return redirect(next_url or kyodo_home_url())
        flash(result.message, "danger")
    status = 200 if request.method == "GET" or not form.errors else 400
    return render_template("kyodo/web/login.html", form=form, next_url=next_url), status


def _host_login(next_url: str | None) -> ResponseReturnValue:
    """In a host app whose login serves kyodo too: its login page, or 403 for a host user
    the adapter gives no kyodo access."""
    if current_user.is_authenticated:
        return redirect(next_url or kyodo_home_url())
    host_user = g.get("kyodo_host_user")
    view = getattr(getattr(current_app, "login_manager", None), "login_view", None)
    if (host_user is not None and host_user.is_authenticated) or not view:
        abort(403)
    return redirect(url_for(view, next=next_url or kyodo_home_url()))


@bp.route("/logout", methods=["GET", "POST"])
def logout() -> Response | str:
    if request.method == "POST":
        if current_user.is_authenticated:  # this cookie, and any copy of it, is over
            current_user.end_sessions()
            db.session.commit()
        logout_user()
        flash(_("ログアウトしました。"), "info")
        return redirect(url_for("auth.login"))
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return render_template("kyodo/web/logout.html")
