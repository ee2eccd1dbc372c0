"""A city's own Flask back office (facility bookings, its own staff and login) with
kyodo_admin installed into it: the README's "Install into an existing Flask app".

    flask --app host_app db upgrade            # the host's own tables (its migrations)
    flask --app host_app kyodo db upgrade      # kyodo's tables, beside them
    flask --app host_app kyodo cities add kamakura 鎌倉市 --from-seed kamakura
    flask --app host_app add-staff alice --kyodo-role staff --city kamakura
    flask --app host_app run
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click
from flask import Flask, flash, redirect, render_template, request, url_for
from flask_admin import Admin
from flask_admin.contrib.sqla import ModelView
from flask_admin.theme import Bootstrap4Theme
from flask_login import (
    LoginManager,
    UserMixin,
    current_user,
    login_required,
    login_user,
    logout_user,
)
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from kyodo_admin import Kyodo
from kyodo_admin.host import HostUser, leaves_kyodo_tables

db = SQLAlchemy()
migrate = Migrate()
login_manager = LoginManager()
kyodo = Kyodo()


class Facility(db.Model):  # type: ignore[name-defined,misc]
    """The host's own records: the city's facilities lent to citizens."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(db.String(100))
    capacity: Mapped[int] = mapped_column(default=0)


class Staff(UserMixin, db.Model):  # type: ignore[name-defined,misc]
    """The host's own accounts; ``kyodo_role`` and ``city`` say what they are in kyodo."""

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(db.String(80), unique=True)
    name: Mapped[str] = mapped_column(db.String(100), default="")
    password_hash: Mapped[str] = mapped_column(db.String(255))
    kyodo_role: Mapped[str] = mapped_column(db.String(30), default="")
    city: Mapped[str] = mapped_column(db.String(40), default="")


def kyodo_user(staff: Staff) -> HostUser | None:
    """The adapter: a member of staff with a kyodo role is that kyodo user of their city;
    one without has no kyodo access."""
    if not staff.kyodo_role:
        return None
    return HostUser(username=f"host-{staff.username}", role=staff.kyodo_role,
                    city=staff.city or None, display_name=staff.name or staff.username)


class FacilityView(ModelView):
    column_labels = {"name": "名称", "capacity": "定員"}

    def is_accessible(self) -> bool:
        return bool(current_user.is_authenticated)

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        return redirect(url_for("login", next=request.full_path))


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=os.environ.get("SECRET_KEY", "host-app-example-key-change-me-0123456789"),
        SQLALCHEMY_DATABASE_URI=os.environ.get(
            "DATABASE_URL", f"sqlite:///{Path.cwd() / 'instance' / 'host.sqlite3'}"),
    )
    app.config.update(config or {})
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql://"):
        app.config["SQLALCHEMY_DATABASE_URI"] = app.config["SQLALCHEMY_DATABASE_URI"].replace(
            "postgresql://", "postgresql+psycopg://", 1)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent.parent / "migrations"),
                     include_object=leaves_kyodo_tables)
    login_manager.init_app(app)
    login_manager.login_view = "login"
    admin = Admin(app, name="市の業務", theme=Bootstrap4Theme(base_template="host_admin_base.html"))
    admin.add_view(FacilityView(Facility, db.session, name="施設"))

    @app.route("/")
    def index() -> str:
        return render_template("index.html")

    @app.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        if request.method == "POST":
            staff = db.session.execute(db.select(Staff).filter_by(
                username=request.form.get("username", ""))).scalar_one_or_none()
            if staff and check_password_hash(staff.password_hash,
                                             request.form.get("password", "")):
                login_user(staff)
                target = request.args.get("next", "")
                return redirect(target if target.startswith("/") and not
                                target.startswith("//") else url_for("index"))
            flash("ユーザー名かパスワードが違います。")
        return render_template("login.html")

    @app.route("/logout", methods=["POST"])
    @login_required
    def logout() -> Any:
        logout_user()
        return redirect(url_for("index"))

    @app.cli.command("add-staff")
    @click.argument("username")
    @click.option("--password", prompt=True, hide_input=True)
    @click.option("--kyodo-role", default="")
    @click.option("--city", default="")
    def add_staff(username: str, password: str, kyodo_role: str, city: str) -> None:
        """Add a member of the host's staff (kyodo_role/city: their kyodo access)."""
        db.session.add(Staff(username=username, name=username, kyodo_role=kyodo_role,
                             city=city, password_hash=generate_password_hash(password)))
        db.session.commit()
        click.echo(f"{username} を登録しました。")

    # kyodo: its pages under /kyodo, its screens in this admin's menu 「協働事業」, this app's
    # login for both.
    kyodo.init_app(app, url_prefix="/kyodo", admin=admin, user_adapter=kyodo_user)
    return app


@login_manager.user_loader
def _load_staff(user_id: str) -> Staff | None:
    return db.session.get(Staff, int(user_id))
