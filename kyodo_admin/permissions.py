"""Who may do what: pure functions over (user, model or record).

The matrix below is the single source of truth; Flask-Admin's ``is_accessible``
and ``can_*`` flags, actions and exports all ask these functions, so the whole
authorization matrix is testable without HTTP.
"""

from __future__ import annotations

from typing import Any

from .models.user import Role
from .workflow.rights import EVERY, editable_fields

VIEW, CREATE, EDIT, DELETE, EXPORT = "view", "create", "edit", "delete", "export"
ALL = frozenset({VIEW, CREATE, EDIT, DELETE, EXPORT})
READ = frozenset({VIEW, EXPORT})
WRITE = frozenset({VIEW, CREATE, EDIT, EXPORT})
NONE: frozenset[str] = frozenset()

#: Records staff keep day to day.
RECORDS = (
    "organization", "proposal", "project", "project_plan", "indicator", "agreement",
    "role_share", "cost_share", "completion_report", "evaluation", "council",
    "council_member", "meeting", "review", "review_score", "generated_document", "attachment",
)
#: What a city admin configures for the city.
CONFIGURATION = (
    "department", "collaboration_type", "criterion", "form_definition", "document_template",
    "notice_template",  # a city's own texts of its mail notices
    "city_settings",  # the city's own deadlines and addressee (not a table: the settings screen)
)

# Table name -> role -> allowed verbs. The system admin may do everything.
MATRIX: dict[str, dict[Role, frozenset[str]]] = {}


def _grant(tables: tuple[str, ...], role: Role, verbs: frozenset[str]) -> None:
    for table in tables:
        MATRIX.setdefault(table, {})[role] = verbs


_grant(RECORDS, Role.CITY_ADMIN, ALL)
_grant(CONFIGURATION, Role.CITY_ADMIN, ALL)
_grant(("user_account",), Role.CITY_ADMIN, ALL)
_grant(("audit_event",), Role.CITY_ADMIN, READ)
# The outbox: written by the app, read (and failed mails sent again) by the office.
_grant(("notice",), Role.CITY_ADMIN, READ)
_grant(("notice",), Role.STAFF, READ)

_grant(RECORDS, Role.STAFF, ALL)
_grant(CONFIGURATION, Role.STAFF, READ)
# An issued document is an archive: nobody edits it, only admins delete it.
_grant(("generated_document",), Role.STAFF, frozenset({VIEW, CREATE, EXPORT}))
_grant(("generated_document",), Role.CITY_ADMIN, frozenset({VIEW, CREATE, DELETE, EXPORT}))

_grant(
    ("organization", "proposal", "council", "council_member", "meeting", "project",
     "project_year", "project_plan", "indicator", "completion_report", "criterion", "collaboration_type",
     "department", "attachment"),
    Role.COUNCIL_MEMBER, READ,
)
# Members read a review and enter their own scores; the result is the coordinating section's.
_grant(("review",), Role.COUNCIL_MEMBER, READ)
_grant(("review_score", "evaluation"), Role.COUNCIL_MEMBER, WRITE)

_grant(RECORDS + CONFIGURATION, Role.VIEWER, READ)
# A project's years are opened and decided through the project (its workflow and its
# continuation review); everyone who reads projects reads them and prints their notices.
for _role_reading in (Role.CITY_ADMIN, Role.STAFF, Role.VIEWER):
    _grant(("project_year",), _role_reading, READ)

#: Tables only the system admin manages.
SYSTEM_ONLY = ("city",)


def _role(user: Any) -> Role | None:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    try:
        return Role(user.role)
    except ValueError:
        return None


def _table(model_or_obj: Any) -> str:
    if isinstance(model_or_obj, str):
        return model_or_obj
    return getattr(model_or_obj, "__tablename__", "")


def _same_city(user: Any, obj: Any) -> bool:
    """Object-level check: a record is reachable only within the user's city."""
    if isinstance(obj, (type, str)):
        return True
    if _role(user) is Role.SYSTEM_ADMIN:
        return True
    # A record not saved yet has no city: the tenancy gives it the user's on saving.
    return getattr(obj, "city_id", None) in (None, user.city_id)


def allowed(user: Any, verb: str, model_or_obj: Any) -> bool:
    role = _role(user)
    if role is None:
        return False
    if role is Role.SYSTEM_ADMIN:
        return True
    if user.city_id is None:
        return False
    return verb in MATRIX.get(_table(model_or_obj), {}).get(role, NONE) and _same_city(
        user, model_or_obj
    ) and _own_side(role, verb, model_or_obj)


def _own_side(role: Role, verb: str, obj: Any) -> bool:
    """A council member writes the council's verification (評価検証) only, never the
    department's or the organization's evaluation."""
    if role is not Role.COUNCIL_MEMBER or verb == VIEW or isinstance(obj, (type, str)):
        return True
    return _table(obj) != "evaluation" or getattr(obj, "side", None) == "council"


def can_view(user: Any, model_or_obj: Any) -> bool:
    return allowed(user, VIEW, model_or_obj)


def can_create(user: Any, model_or_obj: Any) -> bool:
    return allowed(user, CREATE, model_or_obj)


def can_edit(user: Any, model_or_obj: Any) -> bool:
    """The role's right to edit, and for a record also its state's (``workflow/rights.py``):
    a signed agreement or a decided proposal is not edited through its form; a proposal under
    review keeps what the council scores."""
    if not allowed(user, EDIT, model_or_obj):
        return False
    return isinstance(model_or_obj, (type, str)) or \
        editable_fields(user.role, model_or_obj) != frozenset()


def can_fire(user: Any, record: Any) -> bool:
    """Whether the user may fire workflow transitions on the record (the transition table then
    says which): the role's right to edit its kind, whatever its state."""
    return allowed(user, EDIT, record)


def can_delete(user: Any, model_or_obj: Any) -> bool:
    """The role's right to delete, and for a record also its state's: only in a state that
    narrows none of its fields (a signed agreement, a decided proposal's review, a closed
    project's plan or evaluations stay)."""
    if not allowed(user, DELETE, model_or_obj):
        return False
    return isinstance(model_or_obj, (type, str)) or \
        editable_fields(user.role, model_or_obj) is EVERY


def can_export(user: Any, model_or_obj: Any) -> bool:
    return allowed(user, EXPORT, model_or_obj)


def can_manage_user(user: Any, target: Any) -> bool:
    """A city admin manages the users of the city (a new one gets the admin's city),
    but never a system admin and never grants that role."""
    role = _role(user)
    if role is Role.SYSTEM_ADMIN:
        return True
    if role is not Role.CITY_ADMIN or getattr(target, "role", None) == Role.SYSTEM_ADMIN:
        return False
    return getattr(target, "city_id", None) in (None, user.city_id)


def is_system_admin(user: Any) -> bool:
    return _role(user) is Role.SYSTEM_ADMIN
