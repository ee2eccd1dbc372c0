"""A record's configured form (様式), one flow for the back office and the public entrance:
the revision a record is filled against, its fields added to a form class, the columns a
field fills asked once, the answers taken from a posted form (uploads stored) and applied
to the record (filled columns set, attachments named)."""

from __future__ import annotations

from typing import Any

from ..formschema.definition import filled_columns, filled_values
from ..formschema.forms import collect_answers, extend_form_class
from ..models.base import HasFormAnswers
from ..models.form_definition import FormDefinition
from ..sessions import Session
from .form_definitions import current_definition, link_attachments, store_attachment


def definition_for(session: Session, model: type, record: Any = None,
                   city_id: int | None = None) -> FormDefinition | None:
    """The revision a record is filled against: its own, or for a new record the city's
    current one; None for a model without configured forms or with no city yet."""
    if not issubclass(model, HasFormAnswers):
        return None
    if record is not None and record.form_definition is not None:
        return record.form_definition
    city_id = getattr(record, "city_id", None) or city_id
    if city_id is None:
        return None  # a system admin creating a record: no city, no form yet
    return current_definition(session, city_id, model.form_kind)


def form_class(base: type, definition: FormDefinition, *key: Any) -> Any:
    """``base`` with the revision's fields (cached per revision; ``key`` tells apart bases
    that share a revision, e.g. the entrance's)."""
    return extend_form_class(base, (*key, definition.id, definition.version), definition.schema)


def ask_once(form: Any, definition: FormDefinition) -> None:
    """A column a configured field fills (予算措置の必要) is asked by that field only."""
    for column in filled_columns(definition.schema):
        if column in form:
            del form[column]


def take_answers(session: Session, form: Any, definition: FormDefinition,
                 previous: dict[str, Any], user_id: int | None) -> dict[str, Any]:
    """The answers of a validated form; uploads are stored as attachments (a file field
    left empty keeps ``previous``'s file)."""

    def store(field: dict[str, Any], upload: Any) -> dict[str, Any]:
        return store_attachment(session, upload, field.get("max_size"), user_id)

    return collect_answers(form, definition.schema, previous, store)


def apply_answers(session: Session, record: Any, definition: FormDefinition,
                  answers: dict[str, Any]) -> None:
    """Keep the answers on the record, set the columns its fields fill, tie the record to
    the revision and name it on its attachments."""
    record.answers = dict(answers)  # a new dict, so the change is seen
    for column, value in filled_values(definition.schema, record.answers).items():
        setattr(record, column, value)
    if record.form_definition is None:
        record.form_definition = definition
    link_attachments(session, record)
