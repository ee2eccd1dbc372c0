"""The import screen's own refusals: a bad file, another user's upload."""

from __future__ import annotations

import io
import re

from kyodo_admin.models import Role

from ..conftest import csrf_from, flashes
from ..factories import UserFactory


def upload(client, data: bytes, filename: str, kind: str = "organization"):
    token = csrf_from(client.get("/admin/import/").get_data(as_text=True))
    return client.post("/admin/import/", data={"csrf_token": token, "kind": kind,
                                               "file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def test_a_file_that_is_not_a_spreadsheet_is_refused_on_the_first_page(client, login_as, kamakura):
    login_as(UserFactory(city=kamakura, role=Role.STAFF.value))
    response = upload(client, b"%PDF-1.4", "団体.pdf")
    assert response.status_code == 200
    assert any("Excel（.xlsx）か CSV のファイルを指定してください" in m
               for m in flashes(response.get_data(as_text=True)))


def test_an_upload_is_only_its_users(client, login_as, kamakura):
    login_as(UserFactory(city=kamakura, role=Role.STAFF.value))
    response = upload(client, "団体名\nNPO法人うみ\n".encode("cp932"), "団体.csv")
    assert response.status_code == 302
    page = response.headers["Location"]
    assert re.search(r"/admin/import/[\w-]+$", page)
    assert "1行すべてを取り込めます" in client.get(page).get_data(as_text=True)
    login_as(UserFactory(city=kamakura, role=Role.STAFF.value))
    assert client.get(page).status_code == 404
    login_as(UserFactory(city=kamakura, role=Role.COUNCIL_MEMBER.value))
    assert client.get("/admin/import/").status_code == 403
