"""Times are stored in UTC and shown to staff in Japan Standard Time."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from kyodo_admin.extensions import db
from kyodo_admin.localtime import local_datetime
from kyodo_admin.models import AuditEvent, Role

from .factories import CityFactory, OrganizationFactory, UserFactory


def test_naive_and_aware_utc_become_jst():
    assert local_datetime(dt.datetime(2026, 11, 24, 23, 30)) == "2026-11-25 08:30"
    assert local_datetime(dt.datetime(2026, 12, 31, 15, 0, tzinfo=dt.UTC), seconds=True) == \
        "2027-01-01 00:00:00"
    assert local_datetime(None) == ""


def test_details_lists_exports_and_the_audit_trail_show_jst(client, login_as):
    city = CityFactory()
    organization = OrganizationFactory(city=city, name="時刻の会")
    organization.created_at = dt.datetime(2026, 11, 24, 23, 30, tzinfo=dt.UTC)
    db.session.commit()
    db.session.execute(update(AuditEvent).where(AuditEvent.model == "organization").values(
        created_at=dt.datetime(2026, 11, 24, 23, 30, 15, tzinfo=dt.UTC)))  # the trail is append-only
    db.session.commit()
    login_as(UserFactory(city=city))
    details = client.get(f"/admin/organization/details/?id={organization.id}").get_data(as_text=True)
    assert "2026-11-25 08:30" in details and "2026-11-24 23:30" not in details
    trail = details[details.index('id="audit-trail"'):]
    assert "2026-11-25 08:30:15" in trail


def test_the_user_list_and_its_export_show_last_login_in_jst(client, login_as):
    city = CityFactory()
    UserFactory(city=city, username="jikoku", last_login_at=dt.datetime(2026, 3, 31, 15, 5))
    login_as(UserFactory(city=city, role=Role.CITY_ADMIN.value))
    assert "2026-04-01 00:05" in client.get("/admin/user/").get_data(as_text=True)
    export = client.get("/admin/user/export/csv/").get_data(as_text=True)
    assert "2026-04-01 00:05" in export and "2026-03-31" not in export
