"""The public entrance (協働エントランス) and the disclosure page of each city.

No login: CSRF on the form, the request size limit of the app, a rate limit per
address and a minimum interval per browser session, and the city's current
basic-sheet form with its own validation.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional, Regexp

from .. import cache, tenancy
from ..admin.responses import DOCX_MIMETYPE, file_response
from ..documents import pdf
from ..extensions import db, limiter, write_intent
from ..formschema.forms import add_blank_rows, display_answers, shown_examples
from ..formschema.types import REQUIRED_MESSAGE
from ..inputs import CleanForm
from ..models.city import City
from ..models.organization import ORGANIZATION_TYPES
from ..models.proposal import PROPOSER_TYPES, Proposal
from ..services import audit, configured_forms
from ..services.documents import example_sheet
from ..services.entrance import Submission, note_submission, seconds_to_wait, submit_proposal
from ..services.proposer_status import LINK_DAYS, ask_again, mail_received, status_of
from ..templating import render_template

bp = Blueprint("entrance", __name__, url_prefix="/entrance")

REQUIRED = REQUIRED_MESSAGE


class EntranceForm(CleanForm):
    title = StringField(_l("提案する事業の名称"), validators=[InputRequired(REQUIRED), Length(max=200)])
    proposer_type = SelectField(_l("提案の区分"), choices=[("npo", _l("団体（NPO等）からの提案")),
                                                       ("joint", _l("市との共同提案"))], default="npo")
    organization_name = StringField(_l("団体名"), validators=[InputRequired(REQUIRED), Length(max=200)])
    org_type = SelectField(_l("団体の種類"), choices=list(ORGANIZATION_TYPES.items()), default="npo")
    representative = StringField(_l("代表者名"), validators=[InputRequired(REQUIRED), Length(max=100)])
    email = StringField(_l("連絡先メールアドレス"), validators=[
        InputRequired(REQUIRED), Email(_l("メールアドレスの形式が正しくありません。")), Length(max=200)])
    phone = StringField(_l("電話番号"), validators=[Optional(), Length(max=30), Regexp(
        r"^[0-9０-９\-－() ]+$", message=_l("電話番号は数字とハイフンで入力してください。"))])
    postal_code = StringField(_l("郵便番号"), validators=[Optional(), Regexp(
        r"^\d{3}-?\d{4}$", message=_l("郵便番号は「123-4567」の形で入力してください。"))])
    address = StringField(_l("所在地"), validators=[Optional(), Length(max=300)])
    needs_budget = BooleanField(
        _l("市の予算措置が必要な提案です（4月30日までの提案が翌年度の予算の対象です）"))
    budget_amount = IntegerField(_l("予算規模（円）"), validators=[Optional(), NumberRange(
        min=0, max=10_000_000_000, message=_l("0以上の金額を半角数字で入力してください。"))])
    summary = TextAreaField(_l("提案の概要"), validators=[InputRequired(REQUIRED), Length(max=4000)])
    reproposal_of = StringField(
        _l("再提案の場合、前の提案の受付番号"),
        description=_l("例: 2025-012（受付の通知に書かれています）"),
        validators=[Optional(), Regexp(r"^\d{4}-\d{3}$",
                                       message=_l("受付番号は「2025-012」の形で入力してください。"))],
        render_kw={"placeholder": "2025-012", "inputmode": "numeric"})


def city_or_404(slug: str) -> City:
    city = db.session.execute(select(City).where(City.slug == slug)).scalar_one_or_none()
    if city is None:
        abort(404)
    return city


def _entrance_limit() -> str:
    return str(current_app.config["KYODO_ENTRANCE_RATE_LIMIT"])


@bp.route("/<slug>/", methods=["GET", "POST"])
@limiter.limit(_entrance_limit, methods=["POST"])
def proposal_form(slug: str) -> Any:
    city = city_or_404(slug)
    with tenancy.scoped_to(city.id):
        definition = configured_forms.definition_for(db.session, Proposal, city_id=city.id)
        form_class: Any = EntranceForm
        if definition is not None:
            form_class = configured_forms.form_class(EntranceForm, definition, "entrance")
        form = form_class()
        if definition is not None:
            configured_forms.ask_once(form, definition)  # e.g. 予算措置の必要
        if form.validate_on_submit():
            wait = seconds_to_wait(db.session, _throttle_key(city),
                                   int(current_app.config["KYODO_ENTRANCE_MIN_INTERVAL"]))
            if wait:
                flash(_("続けて送信されました。%(wait)s秒ほど待ってから、もう一度送信してください。",
                        wait=wait), "error")
            else:
                return _submit(city, form, definition)
        # a form with errors lists them at its top (web/_field.html's error_summary)
        if definition is not None and not form.is_submitted():
            add_blank_rows(form, definition.schema, count=3)
        status = 400 if form.is_submitted() else 200
        examples = shown_examples(definition.schema) if definition is not None else {}
        return render_template("kyodo/web/entrance.html", city=city, form=form,
                               definition=definition, examples=examples,
                               pdf_available=pdf.available()), status


@bp.route("/<slug>/example.<fmt>")
def example_document(slug: str, fmt: str) -> Any:
    """The city's basic sheet filled with its 記入例 (提案様式（記入例）), Word or PDF; made
    once per city revision (a form or template published renews it)."""
    city = city_or_404(slug)
    if fmt not in ("docx", "pdf"):
        abort(404)
    with tenancy.scoped_to(city.id):
        definition = configured_forms.definition_for(db.session, Proposal, city_id=city.id)
        if definition is None:
            abort(404)

        def made() -> bytes:
            data = example_sheet(db.session, city, definition)
            return pdf.to_pdf(data) if fmt == "pdf" else data

        try:
            data = cache.cached(db.session, city.id, ("example_sheet", definition.id, fmt), made)
        except (pdf.PdfUnavailable, pdf.PdfFailed):  # no PDF here now: the Word file
            return redirect(url_for("entrance.example_document", slug=slug, fmt="docx"))
        name = f"{definition.title or '基本シート'}（記入例）.{fmt}"
        return file_response(data, name, "application/pdf" if fmt == "pdf" else DOCX_MIMETYPE)


def _throttle_key(city: City) -> str:
    """The minimum interval counts per address at each city's entrance (not per cookie)."""
    return f"entrance:{city.id}:{request.remote_addr or 'unknown'}"


def _submit(city: City, form: Any, definition: Any) -> Response:
    answers: dict[str, Any] = {}
    token = audit.set_actor(audit.Actor(None, "協働エントランス（公開）"))
    try:
        with write_intent():
            if definition is not None:
                answers = configured_forms.take_answers(db.session, form, definition, {}, None)

            def core(column: str) -> Any:  # None when the city's form asks it instead
                return form[column].data if column in form else None

            proposal = submit_proposal(db.session, city, Submission(
                title=form.title.data, proposer_type=form.proposer_type.data,
                organization_name=form.organization_name.data, org_type=form.org_type.data,
                representative=form.representative.data.strip(), email=form.email.data.strip(),
                phone=(form.phone.data or "").strip(), postal_code=(form.postal_code.data or "").strip(),
                address=(form.address.data or "").strip(), needs_budget=bool(core("needs_budget")),
                budget_amount=core("budget_amount"), summary=form.summary.data.strip(),
                answers=answers, reproposal_of=(form.reproposal_of.data or "").strip()),
                definition)
            receipt, proposal_id = proposal.receipt_number, proposal.id
            mail_received(db.session, city, proposal)  # through the outbox, with the sheet
            note_submission(db.session, _throttle_key(city))
            db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    finally:
        audit.reset_actor(token)
    session["entrance_receipt"] = {"slug": city.slug, "receipt": receipt,
                                   "title": form.title.data.strip(), "proposal": proposal_id}
    return redirect(url_for("entrance.received", slug=city.slug))


@bp.route("/<slug>/received")
def received(slug: str) -> Any:
    city = city_or_404(slug)
    shown = session.pop("entrance_receipt", None)
    if not shown or shown.get("slug") != slug:
        return redirect(url_for("entrance.proposal_form", slug=slug))
    with tenancy.scoped_to(city.id):  # the proposer's copy of what was just received
        proposal = db.session.get(Proposal, shown.get("proposal") or 0)
        answers = display_answers(proposal.form_definition.schema, proposal.answers) \
            if proposal is not None and proposal.form_definition is not None else []
        return render_template("kyodo/web/entrance_received.html", city=city,
                               receipt=shown["receipt"], title=shown["title"],
                               proposal=proposal, shown=answers, proposer_types=PROPOSER_TYPES,
                               org_types=ORGANIZATION_TYPES)


class AskAgainForm(CleanForm):
    receipt_number = StringField(
        _l("受付番号"), description=_l("受付のお知らせのメールに書かれています（例: 2026-012）。"),
        validators=[InputRequired(REQUIRED), Length(max=30)],
        render_kw={"inputmode": "numeric", "autocomplete": "off"})
    email = StringField(_l("提案に入力したメールアドレス"),
                        validators=[InputRequired(REQUIRED), Email(_l("メールアドレスの形式で入力してください。")),
                                    Length(max=200)],
                        render_kw={"type": "email", "autocomplete": "email"})


@bp.route("/<slug>/status", methods=["GET", "POST"])
@limiter.limit(_entrance_limit, methods=["POST"])
def ask_for_link(slug: str) -> Any:
    """A new link to the status page by mail: the same answer whether or not the receipt
    number and address are a proposal's (nothing tells which proposals exist)."""
    city = city_or_404(slug)
    form = AskAgainForm()
    with tenancy.scoped_to(city.id):
        if form.validate_on_submit():
            with write_intent():
                ask_again(db.session, city, form.receipt_number.data, form.email.data)
                db.session.commit()
            return render_template("kyodo/web/status_asked.html", city=city)
        status = 400 if form.is_submitted() else 200
        return render_template("kyodo/web/status_ask.html", city=city, form=form), status


@bp.route("/<slug>/status/<token>")
def proposal_status(slug: str, token: str) -> Any:
    """Where the proposal stands, in plain words: its title, receipt date and stage, and
    nothing a council wrote. A token that is no proposal's here, or expired, is not found."""
    city = city_or_404(slug)
    with tenancy.scoped_to(city.id):
        found = status_of(db.session, token)
        if found is None:
            return render_template("kyodo/web/status_gone.html", city=city,
                                   link_days=LINK_DAYS), 404
        response = make_response(render_template("kyodo/web/status.html", city=city,
                                                 status=found))
        response.headers["Cache-Control"] = "private, no-store"
        response.headers["Referrer-Policy"] = "no-referrer"  # the token stays in this page
        return response
