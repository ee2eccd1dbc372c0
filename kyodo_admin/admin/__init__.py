"""The back office: a new ``Admin`` and its views for each app (no module-level Admin)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask, abort, redirect, request, url_for
from flask_admin import Admin, AdminIndexView, expose
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext, lazy_pgettext
from flask_login import current_user

from .. import clock, display
from ..clock import local_datetime
from ..documents.pdf import available as pdf_available
from ..documents.wareki import number
from ..extensions import db
from ..models import (
    Agreement,
    Attachment,
    AuditEvent,
    Base,
    City,
    CollaborationType,
    CompletionReport,
    CostShare,
    Council,
    CouncilMember,
    Criterion,
    Department,
    DocumentTemplate,
    Evaluation,
    FormDefinition,
    GeneratedDocument,
    Indicator,
    Meeting,
    Notice,
    NoticeTemplate,
    Organization,
    Project,
    ProjectPlan,
    ProjectYear,
    Proposal,
    Review,
    ReviewScore,
    Role,
    RoleShare,
    User,
)
from ..models.audit import AUDIT_ACTIONS
from ..models.base import fiscal_year_of
from ..models.document import DOCUMENT_KINDS
from ..services.audit_query import answer_changes, events_for, referenced_label
from ..services.batches import LEDGER, ledger_pdf_name, start_ledger_pdf
from ..services.dashboard import dashboard_summary
from ..services.ledger import ledger_document, ledger_workbook
from ..services.reviews import member_home
from ..templating import BASE_TEMPLATE
from .agreement import AgreementView, CostShareView, RoleShareView
from .city import CitySettingsView, CityView, DepartmentView, UserView
from .configuration import (
    AttachmentView,
    AuditEventView,
    DocumentTemplateView,
    FormDefinitionView,
    GeneratedDocumentView,
)
from .council import (
    CouncilMemberView,
    CouncilView,
    CriterionView,
    MeetingView,
    ReviewScoreView,
    ReviewView,
)
from .form_builder import FormBuilderView
from .imports import ImportView
from .mixins import LoginRequiredMixin
from .mixins.documents import BatchPagesMixin
from .notices import AccountView, NoticeTemplateView, NoticeView
from .organization import OrganizationView
from .project import (
    CollaborationTypeView,
    IndicatorView,
    ProjectPlanView,
    ProjectView,
    ProjectYearView,
)
from .proposal import ProposalView
from .report import CompletionReportView, EvaluationView
from .responses import DOCX_MIMETYPE, XLSX_MIMETYPE, file_response, list_url
from .work import QueuedWorkView

RECORDS = lazy_gettext("記録")
COUNCIL = lazy_gettext("審査")
SETTINGS = lazy_gettext("設定")
SYSTEM = lazy_gettext("システム")

#: (view class, model, menu category, endpoint). The order is the menu's.
VIEWS: list[tuple[type, type[Base], Any, str]] = [
    (ProposalView, Proposal, None, "proposal"),
    (ProjectView, Project, None, "project"),
    (OrganizationView, Organization, None, "organization"),
    (ProjectYearView, ProjectYear, RECORDS, "project_year"),
    (ProjectPlanView, ProjectPlan, RECORDS, "project_plan"),
    (IndicatorView, Indicator, RECORDS, "indicator"),
    (AgreementView, Agreement, RECORDS, "agreement"),
    (RoleShareView, RoleShare, RECORDS, "role_share"),
    (CostShareView, CostShare, RECORDS, "cost_share"),
    (CompletionReportView, CompletionReport, RECORDS, "completion_report"),
    (EvaluationView, Evaluation, RECORDS, "evaluation"),
    (GeneratedDocumentView, GeneratedDocument, RECORDS, "generated_document"),
    (AttachmentView, Attachment, RECORDS, "attachment"),
    (NoticeView, Notice, RECORDS, "notice"),
    (CouncilView, Council, COUNCIL, "council"),
    (CouncilMemberView, CouncilMember, COUNCIL, "council_member"),
    (MeetingView, Meeting, COUNCIL, "meeting"),
    (ReviewView, Review, COUNCIL, "review"),
    (ReviewScoreView, ReviewScore, COUNCIL, "review_score"),
    (DepartmentView, Department, SETTINGS, "department"),
    (CollaborationTypeView, CollaborationType, SETTINGS, "collaboration_type"),
    (CriterionView, Criterion, SETTINGS, "criterion"),
    (FormDefinitionView, FormDefinition, SETTINGS, "form_definition"),
    (DocumentTemplateView, DocumentTemplate, SETTINGS, "document_template"),
    (NoticeTemplateView, NoticeTemplate, SETTINGS, "notice_template"),
    (UserView, User, SETTINGS, "user"),
    (AuditEventView, AuditEvent, SYSTEM, "audit_event"),
    (CityView, City, SYSTEM, "city"),
]


def iso_wareki(value: str) -> str:
    """A date kept as 2026-05-01 (the audit trail's values) shown as 令和8年5月1日 (English:
    1 May 2026)."""
    if len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return display.date(dt.date.fromisoformat(value))
        except ValueError:
            return value
    return value


class HomeView(LoginRequiredMixin, BatchPagesMixin, AdminIndexView):
    """The first screen after login: the city's figures for the current fiscal year."""

    @expose("/")
    def index(self) -> str:
        if current_user.role == Role.COUNCIL_MEMBER.value:
            return self.render("kyodo/admin/member_home.html",
                               home=member_home(db.session, current_user, clock.today()))
        year = request.args.get("year", type=int)
        if year is not None and not 1989 <= year <= 2100:
            year = None
        return self.render("kyodo/admin/home.html",
                           summary=dashboard_summary(db.session, current_user, fiscal_year=year))

    @expose("/ledger")
    def ledger(self) -> Any:
        """The year's 協働事業一覧 as an Excel workbook, or a Word table for printing
        (``format=docx``; as PDF: ``ledger_pdf``); for the city's staff, admins and viewers."""
        city = db.session.get(City, self._ledger_city_id())
        if city is None:
            abort(404)
        year = self._ledger_year()
        name = ledger_pdf_name(year)
        kind = request.args.get("format", "xlsx")
        if kind == "xlsx":
            return file_response(ledger_workbook(db.session, city.name, year), f"{name}.xlsx",
                                 XLSX_MIMETYPE)
        if kind != "docx":
            abort(404)
        return file_response(ledger_document(db.session, city.name, year), f"{name}.docx",
                             DOCX_MIMETYPE)

    @expose("/ledger/pdf", methods=("POST",))
    def ledger_pdf(self) -> Any:
        """The year's ledger as PDF: LibreOffice takes seconds, so a worker makes it and its
        page shows it coming (a button, not a link: each press makes one)."""
        batch = start_ledger_pdf(db.session, self._ledger_city_id(), self._ledger_year(),
                                 current_user.id)
        return redirect(url_for(".document_batch", id=batch.id))

    @staticmethod
    def _ledger_city_id() -> int:
        """The city whose ledger this user reads (staff, admins, viewers); 404 for council
        members and users without a city."""
        if not current_user.city_id or current_user.role == Role.COUNCIL_MEMBER.value:
            abort(404)
        return int(current_user.city_id)

    @staticmethod
    def _ledger_year() -> int:
        """The fiscal year asked for (?year=), this one when none or out of range."""
        year = request.args.get("year", type=int)
        return year if year is not None and 1989 <= year <= 2100 else fiscal_year_of(clock.today())

    @property
    def session(self) -> Any:
        return db.session

    def _batch_or_404(self, id: int) -> Any:
        self._ledger_city_id()
        return self._own_batch(id, LEDGER)

    def _batch_label(self, batch: Any) -> str:
        return ledger_pdf_name(batch.record_ids[0])

    def _batch_back_url(self) -> str:
        return url_for(".index")



#: The screens besides the model views: (view class, name, menu category, endpoint).
PAGES: list[tuple[type, Any, Any, str]] = [
    (FormBuilderView, lazy_gettext("様式エディタ"), SETTINGS, "form_builder"),
    (CitySettingsView, lazy_gettext("自治体の設定・期限"), SETTINGS, "city_settings"),
    (AccountView, lazy_gettext("通知メールの設定"), None, "account"),
    (ImportView, lazy_gettext("Excelから取込"), RECORDS, "import"),
    (QueuedWorkView, lazy_gettext("処理の状況"), None, "work"),
]
#: Every kyodo screen's endpoint (its blueprint's name), the home screen's in a host's admin.
HOME_IN_HOST = "kyodo_home"
ENDPOINTS = [endpoint for *_, endpoint in VIEWS + PAGES]


def jinja_names() -> tuple[dict[str, Any], dict[str, Any]]:
    """The globals and filters kyodo's templates use (in kyodo's environment only)."""
    from .. import kyodo_home_url

    return ({
        "audit_events_for": lambda obj: events_for(db.session, obj),
        "referenced_label": lambda model, field, value: referenced_label(
            db.session, model, field, value),
        "answer_changes": answer_changes, "AUDIT_ACTIONS": AUDIT_ACTIONS,
        "DOCUMENT_KINDS": DOCUMENT_KINDS, "pdf_available": pdf_available,
        "list_url": list_url, "kyodo_home_url": kyodo_home_url,
        "page_language": lambda: "en" if display.english() else "ja",
        "own_words": display.own_words,
    }, {
        # dates, years and amounts in the chosen language (display.py); documents keep wareki
        "wareki": display.date, "nendo": display.fiscal_year, "yen": display.amount,
        "number": number,
        "local_datetime": local_datetime, "iso_wareki": iso_wareki,
    })


def init_admin(app: Flask, url_prefix: str = "", admin: Admin | None = None,
               category: str | None = None) -> tuple[Admin, str]:
    """kyodo's screens in an Admin of its own (its home at ``{url_prefix}/admin``), or in a
    host's ``admin``: its home a screen there, every screen under the menu ``category``
    (None: kyodo's own categories). Returns the Admin and the home screen's endpoint."""
    from .. import TRANSLATIONS, csp_nonce

    if admin is None:
        admin = Admin(
            app,
            name=lazy_gettext("協働事業管理"),
            theme=Bootstrap4Theme(base_template=BASE_TEMPLATE, fluid=True),
            index_view=HomeView(name=lazy_gettext("ホーム"), url=f"{url_prefix}/admin"),
            csp_nonce_generator=csp_nonce,
            translations_path=str(TRANSLATIONS),
        )
        home, place = "admin", (lambda own: own)
    else:
        if admin.translations_path is None:  # Flask-Admin's strings its catalog lacks
            admin.translations_path = str(TRANSLATIONS)
        home, place = HOME_IN_HOST, (lambda own: category or own)
        admin.add_view(HomeView(name=lazy_gettext("ホーム"), category=place(None),
                                endpoint=HOME_IN_HOST, url=f"{admin.url}/kyodo"))
    for view_class, model, own_category, endpoint in VIEWS:
        view = view_class(model, db.session, name=lazy_pgettext("menu", model.label),
                          category=place(own_category), endpoint=endpoint)
        view.page_size = app.config["KYODO_PAGE_SIZE"]
        admin.add_view(view)
    for view_class, name, own_category, endpoint in PAGES:
        admin.add_view(view_class(name=name, category=place(own_category), endpoint=endpoint))
    return admin, home
