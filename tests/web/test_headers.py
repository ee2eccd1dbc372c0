"""Security headers: HTTPS kept by the browser in production (HSTS), none in development."""

from __future__ import annotations

from kyodo_admin import create_app
from kyodo_admin.config import load_config

from ..conftest import app_config


def test_production_asks_browsers_to_keep_to_https_for_a_year(monkeypatch):
    monkeypatch.setenv("KYODO_ENV", "production")
    monkeypatch.delenv("KYODO_HSTS_SECONDS", raising=False)
    assert load_config({"SECRET_KEY": "x" * 48})["KYODO_HSTS_SECONDS"] == 31536000
    monkeypatch.setenv("KYODO_HSTS_SECONDS", "600")
    assert load_config({"SECRET_KEY": "x" * 48})["KYODO_HSTS_SECONDS"] == 600


def test_the_header_is_sent_when_set_and_not_in_development(app, tmp_path):
    assert "Strict-Transport-Security" not in app.test_client().get("/login").headers
    secured = create_app(app_config(f"sqlite:///{tmp_path / 'h.sqlite3'}",
                                    KYODO_HSTS_SECONDS=31536000))
    response = secured.test_client().get("/login")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
