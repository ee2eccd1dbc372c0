"""kyodo's templates render in a Jinja environment of kyodo's own: an overlay of the app's
(same loader, globals and filters as the app has, its own cache) with kyodo's names added —
its filters (``wareki``, ``yen``…) and globals (``list_url``…) — which a host's templates
never see, and its own drawing of some of Flask-Admin's templates.

Kyodo's views list, sort and act on rows in its own way (its ``admin/model/layout.html``,
``row_actions.html``, ``actions.html``, ``inline_list_base.html``, kept under ``kyodo/``).
Flask-Admin's own templates import those by name, so putting kyodo's copies under the same
names would restyle every Flask-Admin view of a host app. Instead kyodo's views render through
an overlay of the app's Jinja environment (same globals, filters and loader, its own cache)
that reads those four names from ``kyodo/``; a host's views keep Flask-Admin's. A host
overrides any kyodo template, these included, with a file of the same name (``kyodo/…``) in
its own templates folder."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flask
from flask import Flask, current_app
from flask_admin import helpers as h
from flask_admin.babel import gettext, ngettext
from flask_admin.form import RenderTemplateWidget
from jinja2 import BaseLoader, Environment, pass_context
from markupsafe import Markup

#: Flask-Admin's templates kyodo's views draw from ``kyodo/<name>``.
OWN_VERSIONS = frozenset({
    "admin/actions.html",
    "admin/model/layout.html",
    "admin/model/row_actions.html",
    "admin/model/inline_list_base.html",
})
#: Every kyodo screen's page (its <html lang>, skip link, menu and user): in a host's admin
#: too, kyodo's screens are drawn in it, under the host admin's menu.
BASE_TEMPLATE = "kyodo/admin/base.html"


class _OwnVersions(BaseLoader):
    def __init__(self, loader: BaseLoader) -> None:
        self.loader = loader

    def get_source(self, environment: Environment, template: str
                   ) -> tuple[str, str | None, Callable[[], bool] | None]:
        if template in OWN_VERSIONS:
            template = f"kyodo/{template}"
        return self.loader.get_source(environment, template)

    def list_templates(self) -> list[str]:
        return self.loader.list_templates()


def kyodo_environment(app: Flask) -> Environment:
    """The app's Jinja environment as kyodo's templates see it (made once per app, at its
    first page: every extension of the app has added its names by then)."""
    env: Environment | None = app.extensions.get("kyodo_jinja")
    if env is None:
        from .admin import jinja_names

        base = app.jinja_env
        env = base.overlay(loader=_OwnVersions(base.loader))  # type: ignore[arg-type]
        names, filters = jinja_names()
        env.globals = {**base.globals, **names}
        env.filters = {**base.filters, **filters}
        if "gettext" in env.globals:  # _(label) of an empty label is "", not the catalog's header
            env.globals["gettext"] = _empty_is_empty(env.globals["gettext"])
        app.extensions["kyodo_jinja"] = env
    return env


def _empty_is_empty(gettext: Any) -> Callable[..., Any]:
    @pass_context
    def translated(context: Any, message: Any, **variables: Any) -> Any:
        return "" if not message else context.call(gettext, message, **variables)

    return translated


def render_template(name: str, **context: Any) -> str:
    """Flask's ``render_template`` (context processors, signals) in kyodo's environment."""
    return flask.render_template(kyodo_environment(current_app).get_template(name), **context)


class KyodoTemplateWidget(RenderTemplateWidget):
    """Flask-Admin's template widget (an inline list) rendered in kyodo's environment."""

    def __call__(self, field: Any, **kwargs: Any) -> str:
        kwargs.update({"field": field, "_gettext": gettext, "_ngettext": ngettext, "h": h})
        return Markup(kyodo_environment(current_app).get_template(self.template).render(kwargs))


class KyodoTemplates:
    """A kyodo view renders its templates (and Flask-Admin's) through kyodo's environment,
    in kyodo's page."""

    _template_args: dict[str, Any]

    def render(self, template: str, **kwargs: Any) -> str:
        from . import csp_nonce

        self._template_args["admin_base_template"] = BASE_TEMPLATE
        # kyodo's pages allow inline scripts with this response's nonce only (its
        # Content-Security-Policy), in a host's Admin that makes none too.
        self._template_args["admin_csp_nonce_attribute"] = Markup(f'nonce="{csp_nonce()}"')
        env = kyodo_environment(current_app)
        return super().render(env.get_template(template), **kwargs)  # type: ignore[misc]
