"""All models; importing this package registers every table on the metadata."""

from .agreement import Agreement, CostShare, RoleShare
from .audit import AuditEvent, CityRevision
from .base import Base, CityOwned, HasFormAnswers, TenantScoped, fiscal_year_of
from .city import City, Department
from .council import Council, CouncilMember, Criterion, Meeting, Review, ReviewScore
from .document import (
    Attachment,
    DocumentBatch,
    DocumentTemplate,
    GeneratedDocument,
    ImportUpload,
)
from .form_definition import FormDefinition
from .job import JobStatus, QueuedWork
from .notice import Notice, NoticeTemplate
from .organization import Organization
from .project import CollaborationType, Indicator, Project, ProjectPlan, ProjectYear
from .proposal import Proposal
from .report import CompletionReport, Evaluation
from .user import LoginFailure, RateLimitCounter, Role, Throttle, User

__all__ = [
    "Agreement", "Attachment", "AuditEvent", "Base", "City", "CityOwned", "CityRevision", "CollaborationType",
    "CompletionReport", "CostShare", "Council", "CouncilMember", "Criterion", "Department",
    "DocumentBatch", "DocumentTemplate", "Evaluation", "HasFormAnswers", "FormDefinition", "GeneratedDocument", "ImportUpload", "Indicator", "JobStatus", "QueuedWork",
    "Meeting", "Notice", "NoticeTemplate", "Organization", "Project", "ProjectPlan", "ProjectYear", "Proposal", "Review", "ReviewScore",
    "LoginFailure", "RateLimitCounter", "Role", "RoleShare", "TenantScoped", "Throttle", "User",
    "fiscal_year_of",
]
