"""Every configured form of every kind, for every seed city, saves in a real browser with its
conditional fields hidden.

A required field hidden by its ``visible_if`` condition used to block 保存 without a word
(Chromium: "An invalid form control … is not focusable"). Here each form's conditions are
set by clicks so that every conditional field is hidden, the visible required fields are
filled, and 保存 must save — with the hidden answers left out of the record.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from kyodo_admin.extensions import db
from kyodo_admin.formschema.definition import fields_of
from kyodo_admin.models import (
    Agreement,
    City,
    CompletionReport,
    Evaluation,
    ProjectPlan,
    Proposal,
    Review,
    Role,
)
from kyodo_admin.services.users import DEMO_PASSWORD
from kyodo_admin.tenancy import all_cities, scoped_to
from kyodo_admin.workflow.rights import EVERY, editable_fields

from .conftest import fill_required, log_in, screenshot

SEED_CITIES = ("kamakura", "saitama", "hachioji", "koganei", "kunitachi")
#: (admin endpoint, model) of each kind of configured form.
KINDS = (("proposal", Proposal), ("review", Review), ("project_plan", ProjectPlan),
         ("agreement", Agreement), ("completion_report", CompletionReport),
         ("evaluation", Evaluation))

def first_record(app: Any, slug: str, model: type) -> tuple[int, dict[str, Any]]:
    """A demo record of the city whose state lets staff edit it whole (a draft first), with
    its form revision's schema."""
    with app.app_context():
        city = db.session.execute(select(City).where(City.slug == slug)).scalar_one()
        with scoped_to(city.id):
            records = db.session.execute(select(model).order_by(model.id)).scalars().all()
            records.sort(key=lambda r: getattr(r, "status", "") != "draft")
            record = next(r for r in records if r.form_definition is not None
                          and editable_fields(Role.STAFF, r) is EVERY)
            result = record.id, record.form_definition.schema
        db.session.remove()
        return result


def answers_of(app: Any, model: type, record_id: int) -> dict[str, Any]:
    with app.app_context():
        with all_cities():
            record = db.session.get(model, record_id)
            answers = dict(record.answers or {})
        db.session.remove()
        return answers


def hide(page: Any, controller: str, wanted: list[Any]) -> None:
    """Set the controlling field, by clicks, to a value that hides its dependants."""
    inputs = page.locator(f"[name='answers__{controller}']")
    kind = inputs.first.evaluate("e => e.tagName + ':' + (e.type || '')")
    if kind == "SELECT:select-one":
        values = inputs.first.locator("option").evaluate_all("os => os.map(o => o.value)")
        inputs.first.select_option(next(v for v in values if v and v not in wanted))
    elif kind == "SELECT:select-multiple":
        values = inputs.first.locator("option").evaluate_all("os => os.map(o => o.value)")
        inputs.first.select_option([v for v in values if v not in wanted][:1])
    elif kind == "INPUT:radio":
        for i in range(inputs.count()):
            if inputs.nth(i).get_attribute("value") not in wanted:
                inputs.nth(i).check()
                break
    elif kind == "INPUT:checkbox" and inputs.count() == 1:
        inputs.first.set_checked(True not in wanted)
    elif kind == "INPUT:checkbox":
        for i in range(inputs.count()):
            if inputs.nth(i).get_attribute("value") in wanted:
                inputs.nth(i).uncheck()
    else:
        raise AssertionError(f"no way to set {controller} ({kind})")


@pytest.mark.parametrize("slug", SEED_CITIES)
def test_every_form_saves_with_its_conditional_fields_hidden(demo_server, page, slug):
    url, app = demo_server
    log_in(page, url, f"{slug}-staff", DEMO_PASSWORD)
    hidden_somewhere = 0
    for endpoint, model in KINDS:
        record_id, schema = first_record(app, slug, model)
        conditional = [f for f in fields_of(schema) if f.get("visible_if")]
        page.goto(f"{url}/admin/{endpoint}/edit/?id={record_id}")
        controllers: dict[str, list[Any]] = {}
        for field in conditional:
            condition = field["visible_if"]
            controllers.setdefault(condition["field"], []).extend(
                condition["in"] if "in" in condition else [condition["equals"]])
        for controller, wanted in controllers.items():
            hide(page, controller, wanted)
        for field in conditional:
            control = page.locator(f"#answers__{field['name']}, [name='answers__{field['name']}']")
            assert control.first.is_hidden(), (slug, endpoint, field["name"])
            hidden_somewhere += bool(field.get("required"))
        fill_required(page)
        page.locator("input[type=submit][value='保存']").click()
        page.wait_for_load_state()
        if "/edit/" in page.url:
            screenshot(page, f"every-form-{slug}-{endpoint}")
        assert "/edit/" not in page.url, (slug, endpoint, page.locator(
            ".invalid-feedback, .help-block, .alert").all_inner_texts())
        assert "保存しました" in page.content() or "保存" in page.locator(".alert").first.inner_text()
        answers = answers_of(app, model, record_id)
        assert not {f["name"] for f in conditional} & set(answers), (slug, endpoint, answers)
    assert hidden_somewhere, f"{slug}: no required field was hidden by its condition"
