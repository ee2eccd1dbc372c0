"""A new form version and the records filled before it: a template that prints the new item
(as the product advises: add it to the ひな形, register, 使用する版にする) still previews and
issues every record of the earlier version, the new item blank, the rest as filled."""

from __future__ import annotations

from kyodo_admin.extensions import db
from kyodo_admin.services.documents import activate_template, add_template, render_document
from kyodo_admin.services.form_definitions import as_definition, publish_definition

from ..conftest import enter_city
from .bad_templates import clean_template
from .conftest import make_agreement, texts


def test_a_template_printing_a_new_item_issues_the_records_filled_before_it(kamakura):
    agreement = make_agreement(kamakura)  # filled on the form as shipped
    enter_city(kamakura)
    old = agreement.form_definition
    definition = as_definition(old, "kamakura")
    definition["sections"][0]["fields"].append(
        {"name": "insurance_company", "label": "加入する保険の名称", "type": "text"})
    new = publish_definition(db.session, kamakura, definition).definition
    db.session.commit()
    assert new.id != old.id and agreement.form_definition_id == old.id

    template = add_template(db.session, kamakura, "agreement", "協定書.docx", clean_template(
        "保険: [{{ answers.insurance_company }}]", "団体: {{ organization.name }}"))
    activate_template(db.session, template)
    db.session.commit()
    printed = texts(render_document(db.session, "agreement", agreement).data)
    assert "保険: []" in printed and "団体: NPO法人" in printed


def test_a_new_agreement_takes_its_projects_form_of_collaboration_and_period(kamakura, staff,
                                                                            client):
    """協働の形態 of a new agreement is the project's (協働委託事業), not the form's first
    choice (協働負担事業), and its period is the project's, so it prints what was decided."""
    import datetime as dt
    import re

    from ..factories import CollaborationTypeFactory, ProjectFactory

    enter_city(kamakura)
    project = ProjectFactory(city=kamakura, start_date=dt.date(2026, 6, 1),
                             end_date=dt.date(2027, 3, 31),
                             collaboration_type=CollaborationTypeFactory(
                                 city=kamakura, name="協働委託事業"))
    db.session.commit()
    html = client.get(f"/admin/agreement/new/?project={project.id}").get_data(as_text=True)
    chosen = re.search(r'<select[^>]*name="answers__form_of_collaboration"[^>]*>(.*?)</select>',
                       html, re.S)
    assert chosen, "the agreement form has its 協働の形態"
    assert re.search(r'<option selected value="協働委託事業">|<option value="協働委託事業" selected',
                     chosen.group(1)), chosen.group(1)
    assert re.search(r'name="start_date"[^>]*value="2026-06-01"', html)
    assert re.search(r'name="end_date"[^>]*value="2027-03-31"', html)
