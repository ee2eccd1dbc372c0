"""kyodo_admin: back office for collaboration projects (協働事業) between cities and NPOs."""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    has_request_context,
    redirect,
    request,
    session,
    url_for,
)
from flask_login import current_user, logout_user
from werkzeug.exceptions import HTTPException

from . import cache, clock, logs, queue, tenancy
from .config import ConfigError, check_production_config, load_config
from .extensions import (
    babel,
    csrf,
    db,
    is_static_request,
    limiter,
    login_manager,
    migrate,
    serves_request,
)
from .host import UserAdapter, beside_host, check_admin, check_endpoints, check_tables
from .models.base import compared_by_alembic


def select_locale() -> str:
    """The first of ``KYODO_LANGUAGES`` (Japanese) by default; ``?lang=en`` switches for the
    rest of the session."""
    if not has_request_context():  # the CLI, start-up: the default
        return "ja"
    languages: list[str] = current_app.config["KYODO_LANGUAGES"]
    asked = request.args.get("lang")
    if asked in languages:
        session["lang"] = asked
    chosen = session.get("lang")
    return chosen if isinstance(chosen, str) and chosen in languages else languages[0]


def _ensure_sqlite_directory(url: str) -> None:
    """A SQLite file in a folder that does not exist yet (a fresh checkout's instance/)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The standalone application: the smallest host of the ``Kyodo`` extension, configured
    from the environment (``config.load_config``) and ``config``'s overrides."""
    app = Flask(__name__, instance_relative_config=False)
    app.config.update(load_config(config))
    if app.config["KYODO_TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        proxies = app.config["KYODO_TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    Kyodo().init_app(app, whole_app=True)
    return app


@dataclass
class Installed:
    """kyodo in one app (``app.extensions["kyodo"]``): one ``Kyodo`` may serve several apps."""

    #: Whether every request of the app is kyodo's (the standalone app).
    whole_app: bool
    #: How a host's user is a kyodo user (None: kyodo's own accounts and login).
    user_adapter: UserAdapter | None
    #: The blueprints kyodo registered (its pages, its admin views): its requests.
    blueprints: frozenset[str] = frozenset()
    #: The Admin kyodo's screens are in (its own, or the host's).
    admin: Any = None
    #: The endpoint of kyodo's home screen (``admin`` in its own Admin).
    home_endpoint: str = "admin"


class Kyodo:
    """kyodo_admin as a Flask extension, in the app-factory pattern of Flask's extensions:
    ``Kyodo(app)``, or ``kyodo = Kyodo()`` then ``kyodo.init_app(app)`` in the host's factory.
    ``create_app`` is its smallest host: one code path for both."""

    def __init__(self, app: Flask | None = None, **options: Any) -> None:
        if app is not None:
            self.init_app(app, **options)

    #: Where kyodo's pages are under its URL prefix: a host route there is a conflict.
    PATHS = ("/", "/login", "/logout", "/healthz", "/admin", "/entrance", "/disclosure")

    def init_app(self, app: Flask, whole_app: bool = False, url_prefix: str | None = None,
                 admin: Any = None, admin_category: str | None = "協働事業",
                 user_adapter: UserAdapter | None = None) -> None:
        """Install kyodo into ``app``: its database and migrations, translations, login,
        CSRF, rate limits, cache and queue, its pages, its screens and the ``kyodo`` commands.

        Its request hooks, headers and error pages apply to its own requests only (to every
        request with ``whole_app``, the standalone app's). Its pages are under ``url_prefix``
        (default ``KYODO_URL_PREFIX``, none): ``/kyodo`` puts its login at ``/kyodo/login``
        and its admin at ``/kyodo/admin``. ``admin``, a host's ``flask_admin.Admin``: kyodo's
        screens join it, under one ``admin_category`` menu (None: kyodo's own categories),
        instead of an Admin of kyodo's own. ``user_adapter``: the host's login serves kyodo
        too (``host.HostUser``); needed where the host has its own Flask-Login.

        Its tables are in ``KYODO_DATABASE_URL`` (default: the host's database) and, on
        PostgreSQL, in the schema ``KYODO_DB_SCHEMA``; its migrations keep their own version
        table (``kyodo_alembic_version``). Refused before anything is registered
        (``ConfigError`` naming the conflict): a second call, an app without a secret key, a
        host route where kyodo's pages would be, a host table where kyodo's tables would be,
        an ``admin`` of another Flask-Admin major version, a host's Flask-Login without an
        adapter."""
        if "kyodo" in app.extensions:
            raise ConfigError("kyodo_admin は、このアプリにすでに組み込まれています"
                              "（Kyodo.init_app が2回呼ばれました）。")
        defaults = load_config(make_secret=False)
        # A host's own settings win; in a host only kyodo's own are added (the settings of
        # Flask, Flask-SQLAlchemy, Flask-WTF… stay as the host has them).
        for key, value in defaults.items():
            if whole_app or key.startswith(("KYODO_", "RATELIMIT_", "BABEL_DEFAULT_TIMEZONE")):
                app.config.setdefault(key, value)
        check_production_config(app.config)
        if not app.config.get("SECRET_KEY"):
            raise ConfigError("kyodo_admin を組み込むアプリには SECRET_KEY を設定してください"
                              "（ログインとフォームの保護に使います）。")
        prefix = (app.config["KYODO_URL_PREFIX"] if url_prefix is None else url_prefix).rstrip("/")
        if prefix and not prefix.startswith("/"):
            raise ConfigError(f"URL の接頭辞は「/」で始めてください（{prefix}）。")
        static = f"{prefix or '/kyodo'}/static"  # kyodo's own files: /kyodo/static/kyodo.css
        paths = [prefix + path for path in self.PATHS if admin is None or path != "/admin"]
        for rule in app.url_map.iter_rules():
            taken = next((path for path in [*paths, static] if rule.rule == path or (
                not path.endswith("/") and rule.rule.startswith(path + "/"))), None)
            if taken is not None:
                raise ConfigError(f"kyodo_admin のページ（{taken}）が、このアプリのルート "
                                  f"{rule.rule}（{rule.endpoint}）と重なります。url_prefix を"
                                  "変えてください（例: /kyodo）。")
        database = _database_config(app, defaults, whole_app)
        if not whole_app:
            check_tables(app, database["SQLALCHEMY_DATABASE_URI"],
                         app.config["KYODO_DB_SCHEMA"])
        if admin is not None:
            check_admin(admin)
        from .admin import ENDPOINTS

        check_endpoints(app, admin, [*ENDPOINTS, "auth", "entrance", "disclosure", "health",
                                     "kyodo"])
        if getattr(app, "login_manager", None) is not None and user_adapter is None:
            raise ConfigError("このアプリはすでに Flask-Login を使っています。kyodo_admin に "
                              "user_adapter を渡して、アプリのユーザーが協働事業管理でどの役割・"
                              "自治体かを決めてください（README「Install into an existing Flask app」）。")

        installed = app.extensions["kyodo"] = Installed(whole_app, user_adapter)
        before = set(app.blueprints)
        # kyodo's templates (under kyodo/) and static files, wherever it is installed: a
        # host's template of the same name wins (the app's folder is searched first), its
        # static files are served at /kyodo/static/.
        app.register_blueprint(Blueprint("kyodo", __name__, template_folder="templates",
                                         static_folder="static",
                                         static_url_path=static))
        clock.configure(app.config["KYODO_TIMEZONE"])
        _ensure_sqlite_directory(database["SQLALCHEMY_DATABASE_URI"])

        from . import (
            models,  # noqa: F401  - registers every table
            services,  # noqa: F401
            tenancy,  # noqa: F401  - registers the tenancy listeners
        )
        from .services import (
            audit,  # noqa: F401  - registers the audit listener
            notices,  # noqa: F401  - registers the meeting-change listener
        )

        with beside_host(app, "sqlalchemy", None if whole_app else database):
            db.init_app(app)
        with beside_host(app, "migrate"):
            migrate.init_app(app, db, directory=str(_migrations_dir()), render_as_batch=True,
                             compare_type=True, include_object=compared_by_alembic,
                             version_table=VERSION_TABLE)
        _init_babel(app)
        if user_adapter is None:
            login_manager.init_app(app)
        if "csrf" not in app.extensions:  # a host's CSRFProtect protects kyodo's forms too
            csrf.init_app(app)
        limiter.init_app(app)
        cache.init_app(app)
        queue.init_app(app)

        from .extensions import configure_engine

        with app.app_context():
            configure_engine(db.engine, app.config["KYODO_DB_SCHEMA"])

        logs.configure(app)
        _register_request_context(app)

        from .web import errors as web_errors
        from .web.auth import bp as auth_bp
        from .web.disclosure import bp as disclosure_bp
        from .web.entrance import bp as entrance_bp
        from .web.health import bp as health_bp

        for blueprint in (auth_bp, entrance_bp, disclosure_bp, health_bp):
            app.register_blueprint(blueprint, url_prefix=prefix + (blueprint.url_prefix or ""))

        from .admin import init_admin

        installed.admin, installed.home_endpoint = init_admin(app, prefix, admin, admin_category)
        installed.blueprints = frozenset(set(app.blueprints) - before)
        web_errors.register(app, None if whole_app else installed.blueprints)

        from .cli import register_cli

        register_cli(app)

        if app.config["KYODO_ENV"] == "production":
            from .services.users import refuse_demo_passwords

            with app.app_context(), tenancy.all_cities():  # start-up reads every city's users
                refuse_demo_passwords(db.session)


#: kyodo's Alembic version table: its migrations are their own history beside a host's.
VERSION_TABLE = "kyodo_alembic_version"


def _database_config(app: Flask, defaults: dict[str, Any], whole_app: bool) -> dict[str, Any]:
    """Flask-SQLAlchemy's settings for kyodo's own engine: the standalone app's, or in a host
    ``KYODO_DATABASE_URL`` (default: the host's ``SQLALCHEMY_DATABASE_URI``, else kyodo's
    default), with kyodo's engine options."""
    if whole_app:
        return {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]}
    url = str(app.config.get("KYODO_DATABASE_URL") or app.config.get("SQLALCHEMY_DATABASE_URI")
              or defaults["SQLALCHEMY_DATABASE_URI"])
    if url.startswith("postgresql://"):
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    return {"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_BINDS": {},
            "SQLALCHEMY_ENGINE_OPTIONS": defaults["SQLALCHEMY_ENGINE_OPTIONS"]}


#: kyodo's own message catalogs (messages: its screens in English; admin: Flask-Admin's
#: strings its Japanese catalog lacks).
TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def _init_babel(app: Flask) -> None:
    """kyodo's catalogs join the app's translations: a host's Flask-Babel (whose language
    choice then applies to kyodo's pages too), or kyodo's own with its ``?lang=`` choice."""
    if "babel" not in app.extensions:
        babel.init_app(app, locale_selector=select_locale, default_domain="messages")
    directories = app.extensions["babel"].translation_directories
    if str(TRANSLATIONS) not in directories:
        directories.append(str(TRANSLATIONS))


def kyodo_home_url(**values: Any) -> str:
    """The URL of kyodo's home screen (its own Admin's index, or its screen in a host's)."""
    return url_for(f"{current_app.extensions['kyodo'].home_endpoint}.index", **values)


def _migrations_dir() -> Any:
    from .shipped import shipped

    return shipped("migrations")


def _session_expired(app: Flask) -> bool:
    """Whether this session has been idle, or open, for longer than the settings allow;
    a session that goes on is stamped with this request's time."""
    now = time.time()
    login_at = session.setdefault("kyodo_login_at", now)
    seen_at = session.get("kyodo_seen_at", now)
    if now - seen_at > app.config["KYODO_SESSION_IDLE_MINUTES"] * 60 or \
            now - login_at > app.config["KYODO_SESSION_MAX_HOURS"] * 3600:
        return True
    if now - seen_at > 60:  # at most one new cookie a minute
        session["kyodo_seen_at"] = now
    else:
        session.setdefault("kyodo_seen_at", now)
    return False


def csp_nonce() -> str:
    """This response's nonce for inline scripts (Content-Security-Policy)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return str(g.csp_nonce)


def host_account(adapter: UserAdapter) -> Any:
    """The kyodo user the host's logged-in user is (``adapter``), kept as its account: made on
    the first visit, its role and city following the adapter's answer; an anonymous user when
    nobody is logged in at the host or the adapter gives no access (``g.kyodo_host_user``
    keeps the host's user)."""
    from flask_login import AnonymousUserMixin

    from .errors import ValidationFailed
    from .services.users import account_for_host

    host_user = current_user._get_current_object()
    g.kyodo_host_user = host_user
    if not host_user.is_authenticated:
        return host_user
    seen = adapter(host_user)
    if seen is None:
        return AnonymousUserMixin()
    try:
        with tenancy.all_cities():  # the adapter names the city
            return account_for_host(db.session, seen)
    except ValidationFailed as exc:
        db.session.rollback()
        current_app.logger.warning("The host's user adapter named a kyodo account that "
                                   "cannot be: %s", exc)
        abort(403)


@contextlib.contextmanager
def as_kyodo_user() -> Iterator[None]:
    """Inside, ``current_user`` is the kyodo account even on a host's own page (its admin
    menu asking which of kyodo's screens this user may open); kyodo's requests have it
    already."""
    adapter = current_app.extensions["kyodo"].user_adapter
    if adapter is None or serves_request():
        yield
        return
    if "kyodo_account" not in g:
        host = g.pop("_login_user", None)
        try:
            g.kyodo_account = host_account(adapter)
        except HTTPException:  # an account the adapter names wrongly: none on this page
            g.kyodo_account = None
        if host is not None:
            g._login_user = host
    host = g.get("_login_user")
    g._login_user = g.kyodo_account
    try:
        yield
    finally:
        g._login_user = host


def _register_request_context(app: Flask) -> None:
    """Bind the tenancy and the audit actor to the logged-in user for each request."""
    from . import tenancy
    from .services import audit

    @app.before_request
    def _bind_user() -> Any:
        if not serves_request():
            return None
        kyodo = app.extensions["kyodo"]
        if kyodo.user_adapter is not None:  # the host's login: its user, as kyodo's
            g._login_user = host_account(kyodo.user_adapter)
        user = current_user
        if kyodo.user_adapter is None and user.is_authenticated and _session_expired(app):
            logout_user()
            session.pop("kyodo_login_at", None)
            flash("一定時間操作がなかったか、ログインしてから時間が経ったため、ログアウトしました。"
                  "もう一度ログインしてください。", "warning")
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        if user.is_authenticated:
            scope = tenancy.ALL_CITIES if user.is_system_admin else (user.city_id or -1)
            g._kyodo_actor_token = audit.set_actor(audit.Actor(user.id, user.username))
            g.log_user_id, g.log_city_id = user.id, user.city_id
        else:
            scope = tenancy.NOT_SET  # anonymous pages name their city themselves
        g._kyodo_tenancy_token = tenancy.set_scope(scope)

    @app.teardown_request
    def _unbind_user(_exc: BaseException | None) -> None:
        token = g.pop("_kyodo_tenancy_token", None)
        if token is not None:
            tenancy.reset_scope(token)
        token = g.pop("_kyodo_actor_token", None)
        if token is not None:
            audit.reset_actor(token)

    @app.after_request
    def _security_headers(response: Any) -> Any:
        if not serves_request():
            return response
        # Scripts only from this site, or inline with this response's nonce (Flask-Admin
        # marks its own): a script that slips into a page through data never runs.
        response.headers.setdefault("Content-Security-Policy", (
            f"default-src 'self'; script-src 'self' 'nonce-{csp_nonce()}'; "
            "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
            "object-src 'none'; base-uri 'self'; frame-ancestors 'self'; form-action 'self'"))
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if app.config.get("KYODO_HSTS_SECONDS"):
            response.headers.setdefault(
                "Strict-Transport-Security", f"max-age={app.config['KYODO_HSTS_SECONDS']}")
        if "_kyodo_actor_token" in g and not is_static_request():
            # A logged-in page is nobody else's: no shared or back-button copy of it.
            response.headers["Cache-Control"] = "private, no-store"
        return response
