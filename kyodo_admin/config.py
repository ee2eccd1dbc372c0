"""Settings from environment variables; refuses unsafe production settings."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import Any

#: The file in the instance folder that keeps the key generated on the first run.
SECRET_KEY_FILE = "secret_key"


#: A PostgreSQL schema name kyodo accepts (KYODO_DB_SCHEMA): quoted nowhere else.
SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class ConfigError(RuntimeError):
    """Raised when the configuration is unsafe or incomplete."""


def _instance_path() -> Path:
    return Path(os.environ.get("KYODO_INSTANCE_PATH", Path.cwd() / "instance"))


def instance_secret_key(instance: Path) -> str:
    """The instance's own random key: generated on the first run (readable by its owner only)
    and kept, so sessions survive a restart. There is no fixed key in the source to forge
    sessions with."""
    path = instance / SECRET_KEY_FILE
    try:
        key = path.read_text(encoding="ascii").strip()
        if len(key) >= 32:
            return key
    except FileNotFoundError:
        pass
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    return key


def load_config(overrides: dict[str, Any] | None = None, make_secret: bool = True
                ) -> dict[str, Any]:
    """The settings from the environment and ``overrides``; outside production a missing
    SECRET_KEY is made once in the instance folder (``make_secret=False``: left missing, for
    a host app that sets its own)."""
    env = os.environ.get("KYODO_ENV", "development")
    instance = _instance_path()
    secret = os.environ.get("SECRET_KEY") or (overrides or {}).get("SECRET_KEY")
    if not secret and env != "production" and make_secret:  # production sets one key for every machine
        secret = instance_secret_key(instance)
    config: dict[str, Any] = {
        "KYODO_ENV": env,
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": os.environ.get(
            "DATABASE_URL", f"sqlite:///{instance / 'kyodo.sqlite3'}"
        ),
        # A failed statement is logged without its parameters: they are names, addresses and
        # telephone numbers (the logs hold no personal data).
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env == "production",
        # Strict-Transport-Security in production (served over HTTPS): browsers keep to HTTPS
        # for this many seconds; 0 sends none.
        "KYODO_HSTS_SECONDS": int(os.environ.get(
            "KYODO_HSTS_SECONDS", 31536000 if env == "production" else 0)),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": env == "production",
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": int(os.environ.get("KYODO_MAX_CONTENT_LENGTH", 16 * 1024 * 1024)),
        "BABEL_DEFAULT_LOCALE": "ja",
        # The cities' local time: dates (受付日, 締結日, due dates, documents) and shown times.
        "KYODO_TIMEZONE": os.environ.get("KYODO_TIMEZONE", "Asia/Tokyo"),
        # The languages a user may switch to (?lang=en); the first is the default.
        "KYODO_LANGUAGES": ["ja", "en"],
        # Failed-login throttling: after this many failures a username is
        # locked for KYODO_LOGIN_LOCK_MINUTES; the IP limit covers unknown names.
        # Mail notices (kyodo notices send): the SMTP server and the sender address. Without
        # KYODO_SMTP_HOST notices stay in the outbox.
        "KYODO_SMTP_HOST": os.environ.get("KYODO_SMTP_HOST", ""),
        "KYODO_SMTP_PORT": int(os.environ.get("KYODO_SMTP_PORT", 25)),
        "KYODO_SMTP_USER": os.environ.get("KYODO_SMTP_USER", ""),
        "KYODO_SMTP_PASSWORD": os.environ.get("KYODO_SMTP_PASSWORD", ""),
        "KYODO_SMTP_STARTTLS": os.environ.get("KYODO_SMTP_STARTTLS", "") in ("1", "true", "yes"),
        "KYODO_MAIL_FROM": os.environ.get("KYODO_MAIL_FROM", "kyodo@localhost"),
        # The address of the back office in mails (the scoring link of a meeting notice).
        "KYODO_BASE_URL": os.environ.get("KYODO_BASE_URL", "http://localhost:5000"),
        "KYODO_LOGIN_MAX_FAILURES": int(os.environ.get("KYODO_LOGIN_MAX_FAILURES", 5)),
        "KYODO_LOGIN_LOCK_MINUTES": int(os.environ.get("KYODO_LOGIN_LOCK_MINUTES", 15)),
        # Reverse proxies in front of the app whose X-Forwarded-For is trusted (the address
        # lockouts and rate limits count by): 0 when the app is reached directly.
        "KYODO_TRUSTED_PROXIES": int(os.environ.get("KYODO_TRUSTED_PROXIES", 0)),
        # A session ends after this long without a request, and this long after logging in.
        "KYODO_SESSION_IDLE_MINUTES": int(os.environ.get("KYODO_SESSION_IDLE_MINUTES", 120)),
        "KYODO_SESSION_MAX_HOURS": int(os.environ.get("KYODO_SESSION_MAX_HOURS", 12)),
        "KYODO_LOGIN_RATE_LIMIT": os.environ.get("KYODO_LOGIN_RATE_LIMIT", "30 per minute"),
        # The app's database by default (limits hold across workers and machines); Redis
        # (redis://…) is faster where there is one.
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "kyodo-database://"),
        "RATELIMIT_HEADERS_ENABLED": False,
        "FLASK_ADMIN_RAISE_ON_VIEW_EXCEPTION": False,
        "FLASK_ADMIN_RAISE_ON_INTEGRITY_ERROR": False,
        # Rows on one page of a list.
        "KYODO_PAGE_SIZE": int(os.environ.get("KYODO_PAGE_SIZE", 20)),
        # kyodo's database in a host app (default: the host's SQLALCHEMY_DATABASE_URI).
        "KYODO_DATABASE_URL": os.environ.get("KYODO_DATABASE_URL", ""),
        # PostgreSQL: the schema kyodo's tables are in (e.g. kyodo, beside a host's tables in
        # public); none keeps them in the search path's first schema, as before.
        "KYODO_DB_SCHEMA": os.environ.get("KYODO_DB_SCHEMA", ""),
        # Where kyodo's pages are in the app (a host app's: /kyodo); none in the standalone.
        "KYODO_URL_PREFIX": os.environ.get("KYODO_URL_PREFIX", ""),
        # The public entrance: submissions per address, and seconds between two from one browser.
        "KYODO_ENTRANCE_RATE_LIMIT": os.environ.get("KYODO_ENTRANCE_RATE_LIMIT",
                                                    "5 per minute;30 per hour"),
        "KYODO_ENTRANCE_MIN_INTERVAL": int(os.environ.get("KYODO_ENTRANCE_MIN_INTERVAL", 30)),
        # A bulk issue of more records than this runs in the background with a progress page.
        "KYODO_BATCH_SYNC_LIMIT": int(os.environ.get("KYODO_BATCH_SYNC_LIMIT", 20)),
        # Log lines on standard error: "json" (one object a line) or "text"; and from which level.
        "KYODO_LOG_FORMAT": os.environ.get("KYODO_LOG_FORMAT",
                                           "json" if env == "production" else "text"),
        "KYODO_LOG_LEVEL": os.environ.get("KYODO_LOG_LEVEL", "INFO"),
        # Where background work (document batches) waits for a `kyodo worker`: a file beside
        # the database, redis://host:6379/0 for several machines, or "immediate" (no queue).
        "KYODO_QUEUE_URL": os.environ.get("KYODO_QUEUE_URL",
                                          f"sqlite:///{instance / 'queue.sqlite3'}"),
        # Home-screen figures and disclosure pages kept per web process until the city's
        # records change: at most this many entries, none older than this.
        "KYODO_CACHE_ENTRIES": int(os.environ.get("KYODO_CACHE_ENTRIES", 300)),
        "KYODO_CACHE_SECONDS": int(os.environ.get("KYODO_CACHE_SECONDS", 3600)),
    }
    if overrides:
        config.update(overrides)
    config.setdefault("BABEL_DEFAULT_TIMEZONE", config["KYODO_TIMEZONE"])
    if config["KYODO_DB_SCHEMA"] and not SCHEMA_NAME.fullmatch(config["KYODO_DB_SCHEMA"]):
        raise ConfigError(f"KYODO_DB_SCHEMA「{config['KYODO_DB_SCHEMA']}」はスキーマ名に使えません"
                          "（半角英小文字・数字・_ で、先頭は英小文字か _）。")
    if config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql://"):
        # psycopg 3 is the driver this project installs.
        config["SQLALCHEMY_DATABASE_URI"] = config["SQLALCHEMY_DATABASE_URI"].replace(
            "postgresql://", "postgresql+psycopg://", 1
        )
    return config


def check_production_config(config: dict[str, Any]) -> None:
    """Refuse to start in production with settings that are only safe for a demo."""
    if config.get("KYODO_ENV") != "production":
        return
    make = "python3 -c 'import secrets; print(secrets.token_urlsafe(48))' で作れます"
    if not config.get("SECRET_KEY"):
        raise ConfigError("KYODO_ENV=production では SECRET_KEY を設定してください（32文字以上の"
                          f"ランダムな値を、すべてのサーバーで同じに。{make}）。")
    if len(config["SECRET_KEY"]) < 32:
        raise ConfigError(f"KYODO_ENV=production では SECRET_KEY を32文字以上にしてください"
                          f"（いまは{len(config['SECRET_KEY'])}文字です。{make}）。")
    if not config.get("SESSION_COOKIE_SECURE"):
        raise ConfigError("KYODO_ENV=production では SESSION_COOKIE_SECURE を有効にしてください。")
