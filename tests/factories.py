"""factory_boy factories: each commits its rows through the app's session."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

import factory
from factory.alchemy import SQLAlchemyModelFactory

from kyodo_admin import tenancy
from kyodo_admin.extensions import db
from kyodo_admin.models import (
    Agreement,
    Attachment,
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
    TenantScoped,
    User,
)
from kyodo_admin.models.base import fiscal_year_of
from kyodo_admin.services.users import hash_password

from .conftest import TEST_PASSWORD


def _scope_of(model_class: type, kwargs: dict) -> Any:
    """The scope a fixture row is written in: the city it belongs to (given, or its
    parent's), as the city's own request would write it; a system administrator (a user
    without a city) as ``kyodo admin create`` does; a city itself needs none."""
    city = kwargs.get("city")
    if city is not None:
        return tenancy.scoped_to(city.id)
    if kwargs.get("city_id") is not None:
        return tenancy.scoped_to(kwargs["city_id"])
    for value in kwargs.values():
        if isinstance(value, TenantScoped) and value.__dict__.get("city_id") is not None:
            return tenancy.scoped_to(value.city_id)
    if model_class is User:
        return tenancy.all_cities()
    return contextlib.nullcontext()


class Base(SQLAlchemyModelFactory):
    """Commits each row in the scope of its city and loads it again there; the commit
    expires nothing, so a test reads what it made without reading every city (until a
    request it sends ends the test's transaction)."""

    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"

    @classmethod
    def _create(cls, model_class: type, *args: Any, **kwargs: Any) -> Any:
        session = db.session()
        keep = session.expire_on_commit
        session.expire_on_commit = False  # the rows the test made stay readable as made
        try:
            with _scope_of(model_class, kwargs):
                obj = super()._create(model_class, *args, **kwargs)
                session.refresh(obj)  # with what the database set (defaults, version)
        finally:
            session.expire_on_commit = keep
        return obj


class CityFactory(Base):
    class Meta:
        model = City

    slug = factory.Sequence(lambda n: f"city{n}")
    name = factory.Sequence(lambda n: f"テスト市{n}")
    head_title = factory.LazyAttribute(lambda o: f"{o.name}長")


class CityOwnedFactory(Base):
    class Meta:
        abstract = True

    city = factory.SubFactory(CityFactory)


class DepartmentFactory(CityOwnedFactory):
    class Meta:
        model = Department

    name = factory.Sequence(lambda n: f"市民活動課{n}")


class UserFactory(Base):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"職員 {n}")
    role = Role.STAFF.value
    city = factory.SubFactory(CityFactory)
    password_hash = factory.LazyFunction(lambda: hash_password(TEST_PASSWORD))


class OrganizationFactory(CityOwnedFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"NPO法人テスト{n}")
    org_type = "npo"
    representative = "山田 太郎"


class CollaborationTypeFactory(CityOwnedFactory):
    class Meta:
        model = CollaborationType

    name = factory.Sequence(lambda n: f"協働委託事業{n}")


class CriterionFactory(CityOwnedFactory):
    class Meta:
        model = Criterion

    name = factory.Sequence(lambda n: f"公益性{n}")


class ProposalFactory(CityOwnedFactory):
    class Meta:
        model = Proposal

    title = factory.Sequence(lambda n: f"協働事業の提案{n}")
    receipt_number = factory.Sequence(lambda n: f"2026-{n:03d}")
    received_on = dt.date(2026, 5, 1)
    organization = factory.SubFactory(OrganizationFactory, city=factory.SelfAttribute("..city"))
    status = "submitted"
    budget_amount = 100000


class CouncilFactory(CityOwnedFactory):
    class Meta:
        model = Council

    name = factory.Sequence(lambda n: f"協働エントランス会議{n}")


class CouncilMemberFactory(CityOwnedFactory):
    class Meta:
        model = CouncilMember

    council = factory.SubFactory(CouncilFactory, city=factory.SelfAttribute("..city"))
    name = factory.Sequence(lambda n: f"委員{n}")


class MeetingFactory(CityOwnedFactory):
    class Meta:
        model = Meeting

    council = factory.SubFactory(CouncilFactory, city=factory.SelfAttribute("..city"))
    title = factory.Sequence(lambda n: f"第{n}回会議")
    held_on = dt.date(2026, 6, 1)


class ReviewFactory(CityOwnedFactory):
    class Meta:
        model = Review

    proposal = factory.SubFactory(ProposalFactory, city=factory.SelfAttribute("..city"))


class ReviewScoreFactory(CityOwnedFactory):
    class Meta:
        model = ReviewScore

    review = factory.SubFactory(ReviewFactory, city=factory.SelfAttribute("..city"))
    criterion = factory.SubFactory(CriterionFactory, city=factory.SelfAttribute("..city"))
    score = 3


class ProjectFactory(CityOwnedFactory):
    class Meta:
        model = Project

    title = factory.Sequence(lambda n: f"協働事業{n}")
    organization = factory.SubFactory(OrganizationFactory, city=factory.SelfAttribute("..city"))
    start_date = dt.date(2026, 4, 1)
    end_date = dt.date(2027, 3, 31)
    budget_amount = 500000


class ProjectYearFactory(CityOwnedFactory):
    """A project's second year (its first is made with the project)."""

    class Meta:
        model = ProjectYear

    project = factory.SubFactory(ProjectFactory, city=factory.SelfAttribute("..city"))
    year_number = 2
    fiscal_year = factory.LazyAttribute(lambda o: fiscal_year_of(o.project.start_date) + 1)


class ProjectPlanFactory(CityOwnedFactory):
    class Meta:
        model = ProjectPlan

    project = factory.SubFactory(ProjectFactory, city=factory.SelfAttribute("..city"))
    fiscal_year = 2026
    purpose = "目的"


class IndicatorFactory(CityOwnedFactory):
    class Meta:
        model = Indicator

    project_plan = factory.SubFactory(ProjectPlanFactory, city=factory.SelfAttribute("..city"))
    name = factory.Sequence(lambda n: f"参加者数{n}")
    target_value = 100


class AgreementFactory(CityOwnedFactory):
    class Meta:
        model = Agreement

    project = factory.SubFactory(ProjectFactory, city=factory.SelfAttribute("..city"))
    title = factory.Sequence(lambda n: f"協定書{n}")
    start_date = dt.date(2026, 4, 1)
    end_date = dt.date(2027, 3, 31)


class RoleShareFactory(CityOwnedFactory):
    class Meta:
        model = RoleShare

    agreement = factory.SubFactory(AgreementFactory, city=factory.SelfAttribute("..city"))
    item = "広報"


class CostShareFactory(CityOwnedFactory):
    class Meta:
        model = CostShare

    agreement = factory.SubFactory(AgreementFactory, city=factory.SelfAttribute("..city"))
    item = "印刷費"
    city_amount = 1000


class CompletionReportFactory(CityOwnedFactory):
    class Meta:
        model = CompletionReport

    project = factory.SubFactory(ProjectFactory, city=factory.SelfAttribute("..city"))
    fiscal_year = 2026
    due_on = dt.date(2027, 4, 30)


class EvaluationFactory(CityOwnedFactory):
    class Meta:
        model = Evaluation

    project = factory.SubFactory(ProjectFactory, city=factory.SelfAttribute("..city"))
    side = "city"


class FormDefinitionFactory(CityOwnedFactory):
    class Meta:
        model = FormDefinition

    kind = "basic_sheet"
    revision = factory.Sequence(lambda n: n + 1)


class DocumentTemplateFactory(CityOwnedFactory):
    class Meta:
        model = DocumentTemplate

    kind = "agreement"
    revision = factory.Sequence(lambda n: n + 1)
    filename = "agreement.docx"
    content = b"PK\x03\x04 demo"
    sha256 = "0" * 64


class GeneratedDocumentFactory(CityOwnedFactory):
    class Meta:
        model = GeneratedDocument

    kind = "agreement"
    record_type = "agreement"
    record_id = 1
    filename = "協定書.docx"
    content = b"PK\x03\x04 issued"
    sha256 = "1" * 64


class AttachmentFactory(CityOwnedFactory):
    class Meta:
        model = Attachment

    filename = "添付資料.pdf"
    content = b"%PDF-1.4 demo"
    sha256 = "2" * 64
    content_type = "application/pdf"


#: One factory per model, for tests that walk every model.
class NoticeFactory(CityOwnedFactory):
    class Meta:
        model = Notice

    kind = "report_due"
    key = factory.Sequence(lambda n: f"report_due:{n}:14")
    recipient = factory.Sequence(lambda n: f"staff{n}@city.example.jp")
    subject = factory.Sequence(lambda n: f"事業報告書の提出期限のお知らせ{n}")
    body = "事業報告書の提出期限は令和9年1月4日です。"


class NoticeTemplateFactory(CityOwnedFactory):
    class Meta:
        model = NoticeTemplate

    kind = factory.Iterator(["report_due", "report_overdue", "step2_waiting", "late_budget"])
    subject = "【{{ city.name }}】提出期限のお知らせ"
    body = "{{ recipient }} 様\n\n提出期限は {{ report.due_on|wareki }} です。"


FACTORIES = {f._meta.model: f for f in (
    CityFactory, DepartmentFactory, UserFactory, OrganizationFactory, CollaborationTypeFactory,
    CriterionFactory, ProposalFactory, CouncilFactory, CouncilMemberFactory, MeetingFactory,
    ReviewFactory, ReviewScoreFactory, ProjectFactory, ProjectYearFactory, ProjectPlanFactory, IndicatorFactory,
    AgreementFactory, RoleShareFactory, CostShareFactory, CompletionReportFactory,
    EvaluationFactory, FormDefinitionFactory, DocumentTemplateFactory, GeneratedDocumentFactory,
    AttachmentFactory, NoticeFactory, NoticeTemplateFactory,
)}
