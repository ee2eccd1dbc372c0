"""A long bulk issue by clicks: chosen on the list, waiting for a worker, followed on its
page while a real ``kyodo worker`` runs it, a failure fixed and run again, the ZIP saved."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from kyodo_admin import create_app, tenancy
from kyodo_admin.extensions import db
from kyodo_admin.models import Agreement, City, Project
from kyodo_admin.services.users import DEMO_PASSWORD

from ..conftest import app_config
from .conftest import log_in, open_menu, screenshot, serve


@pytest.fixture
def queued_server(tmp_path: Path) -> Iterator[tuple[str, Flask, dict[str, str]]]:
    """The demo on a queue in a file: batches wait there for a worker. Every selection of
    more than one record is a batch."""
    database = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    queue = f"sqlite:///{tmp_path / 'queue.sqlite3'}"
    app = create_app(app_config(database, SERVER_NAME=None, KYODO_QUEUE_URL=queue,
                                KYODO_BATCH_SYNC_LIMIT=1))
    assert app.test_cli_runner().invoke(args=["kyodo", "demo"]).exit_code == 0
    env = {**os.environ, "DATABASE_URL": database, "KYODO_QUEUE_URL": queue,
           "KYODO_INSTANCE_PATH": str(tmp_path), "KYODO_LOG_LEVEL": "WARNING"}
    yield from ((url, app, env) for url in serve(app))
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def kamakura_agreements(app: Flask) -> list[Agreement]:
    with app.app_context(), tenancy.all_cities():
        city = db.session.execute(select(City).where(City.slug == "kamakura")).scalar_one()
        return list(db.session.execute(select(Agreement).where(
            Agreement.city_id == city.id)).scalars())


def set_partner(app: Flask, project_id: int, organization_id: int | None) -> None:
    with app.app_context(), tenancy.all_cities():
        db.session.execute(update(Project).where(Project.id == project_id).values(
            organization_id=organization_id))
        db.session.commit()


def test_a_bulk_issue_waits_for_a_worker_fails_on_a_record_and_runs_again(queued_server, page):
    url, app, env = queued_server
    agreements = kamakura_agreements(app)
    assert len(agreements) >= 2
    broken = agreements[0]
    with app.app_context(), tenancy.all_cities():
        partner = db.session.get(Project, broken.project_id).organization_id
    set_partner(app, broken.project_id, None)  # its document cannot name the partner
    worker: Any = None
    try:
        log_in(page, url, "kamakura-staff", DEMO_PASSWORD)
        page.goto(f"{url}/admin/agreement/")
        page.locator("input.action-rowtoggle").check()  # every row
        open_menu(page, "選択")
        page.once("dialog", lambda d: d.accept())
        page.locator("[data-model-action='issue_documents']").click()
        page.wait_for_load_state()
        assert "/admin/agreement/batch/" in page.url
        page.get_by_text("順番を待っています").wait_for()
        screenshot(page, "batch-queued")

        worker = subprocess.Popen([str(Path(sys.executable).parent / "kyodo"), "worker"],
                                  env=env)
        page.get_by_text("もう一度実行する").wait_for(timeout=60_000)  # polled, no reload
        assert "差込項目「organization」" in page.locator("#batch-error").inner_text()
        screenshot(page, "batch-failed")

        set_partner(app, broken.project_id, partner)  # staff put the partner back
        page.get_by_role("button", name="もう一度実行する").click()
        page.wait_for_load_state()
        page.get_by_role("link", name="ZIPをダウンロード").wait_for(timeout=60_000)
        screenshot(page, "batch-done")
        with page.expect_download() as download:
            page.get_by_role("link", name="ZIPをダウンロード").click()
        data = Path(download.value.path()).read_bytes()
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            assert len(archive.namelist()) == len(agreements)
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=20)
