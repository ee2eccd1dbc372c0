"""The public page of a city's collaboration projects (no login)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from .. import tenancy
from ..extensions import db
from ..services.disclosure import disclosed_projects
from ..services.evaluations import SIDES
from .entrance import city_or_404

bp = Blueprint("disclosure", __name__, url_prefix="/disclosure")


@bp.route("/<slug>/")
def projects(slug: str) -> Any:
    city = city_or_404(slug)
    year = request.args.get("year", type=int)
    with tenancy.scoped_to(city.id):
        items = disclosed_projects(db.session, year)
        return render_template("web/disclosure.html", city=city, items=items, year=year,
                               sides=SIDES)
