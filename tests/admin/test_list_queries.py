"""Lists and the home screen cost the same statements whatever the number of records."""

from __future__ import annotations

from kyodo_admin.models import Role

from ..conftest import statements_of
from ..factories import CityFactory, ProjectFactory, ProposalFactory, UserFactory


def test_home_costs_the_same_statements_at_any_size(client, login_as):
    from ..factories import CompletionReportFactory

    city = CityFactory()
    login_as(UserFactory(city=city, role=Role.STAFF.value))

    def grow(count: int) -> None:
        for i in range(count):
            ProposalFactory(city=city, status=("submitted", "step1_review", "passed")[i % 3])
            project = ProjectFactory(city=city, status="completed")
            CompletionReportFactory(city=city, project=project)

    grow(2)
    few = len(statements_of(client, "/admin/"))
    grow(25)
    assert len(statements_of(client, "/admin/")) == few


def test_a_long_list_counts_up_to_a_cap_and_says_so(client, login_as, monkeypatch):
    from kyodo_admin.admin.mixins import access

    monkeypatch.setattr(access, "LIST_COUNT_CAP", 5)
    city = CityFactory()
    login_as(UserFactory(city=city, role=Role.STAFF.value))
    for i in range(4):
        ProposalFactory(city=city, title=f"短い一覧{i}")
    html = client.get("/admin/proposal/").get_data(as_text=True)
    assert "(4)" in html and "件以上" not in html
    for i in range(4):
        ProposalFactory(city=city, title=f"長い一覧{i}")
    statements = statements_of(client, "/admin/proposal/")
    html = client.get("/admin/proposal/").get_data(as_text=True)
    assert "(5件以上（条件で絞り込んでください）)" in html
    assert any("count(" in s.lower() and "LIMIT" in s for s in statements)
    found = client.get("/admin/proposal/?search=短い一覧").get_data(as_text=True)
    assert "(4)" in found  # a search within the cap is counted exactly
    monkeypatch.setattr(access, "SEARCH_COUNT_CAP", 3)
    broad = client.get("/admin/proposal/?search=一覧").get_data(as_text=True)
    assert "(3件以上（条件で絞り込んでください）)" in broad
