"""The public page of a city's collaboration projects (no login)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from flask_babel import get_locale
from markupsafe import Markup

from .. import cache, tenancy
from ..admin.fields import FIRST_YEAR, LAST_YEAR
from ..extensions import db
from ..services.disclosure import disclosure
from ..services.evaluations import SIDES
from ..templating import render_template
from .entrance import city_or_404

bp = Blueprint("disclosure", __name__, url_prefix="/disclosure")


@bp.route("/<slug>/")
def projects(slug: str) -> Any:
    city = city_or_404(slug)
    year = request.args.get("year", type=int)
    if year is not None and not FIRST_YEAR <= year <= LAST_YEAR:
        year = None  # a year that cannot be: the latest instead
    page = request.args.get("page", 1, type=int)
    page = page if 0 < page < 100_000 else 1

    def body() -> str:
        shown = disclosure(db.session, year, page)
        return render_template("kyodo/web/_disclosure_body.html", city=city, d=shown,
                               items=shown.items, year=shown.fiscal_year, sides=SIDES)

    with tenancy.scoped_to(city.id):
        # The same page for everyone until one of the city's records changes.
        content = cache.cached(db.session, city.id, ("disclosure", year, page, str(get_locale())),
                               body)
        return render_template("kyodo/web/disclosure.html", city=city, body=Markup(content))
