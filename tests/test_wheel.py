"""A real wheel: built from the checkout with nothing downloaded, installed into a fresh
virtual environment, it carries the seed forms, the Word templates, the migrations, the
translations and the static files, and its ``kyodo`` commands work away from any checkout:
``kyodo db upgrade`` then ``kyodo cities add … --from-seed kamakura``; the example host
(examples/host_app) starts from it under gunicorn, kyodo in its admin."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

import sqlalchemy as sa

from .processes import ROOT, Client, free_port


def test_the_wheel_installs_into_a_fresh_environment_and_sets_up_a_city(tmp_path):
    shutil.rmtree(ROOT / "build", ignore_errors=True)  # no file of an earlier build slips in
    started = time.perf_counter()
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path / "dist"), str(ROOT)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    [wheel] = (tmp_path / "dist").glob("kyodo_admin-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for carried in ("kyodo_admin/shipped/forms/kamakura/basic_sheet.yaml",
                    "kyodo_admin/shipped/doc_templates/kamakura/agreement.docx",
                    "kyodo_admin/shipped/migrations/env.py",
                    "kyodo_admin/shipped/migrations/alembic.ini",
                    "kyodo_admin/translations/en/LC_MESSAGES/messages.mo",
                    "kyodo_admin/static/kyodo.js", "kyodo_admin/templates/kyodo/web/entrance.html"):
        assert carried in names, carried
    assert not any(n.endswith("build.py") or "__pycache__" in n for n in names)

    # a fresh environment: the wheel installed in it, its dependencies those of this one
    fresh = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(fresh)], check=True,
                   timeout=120)
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(fresh / "bin" / "python"), "install",
         "--no-deps", "--no-index", "-q", str(wheel)], capture_output=True, text=True,
        timeout=300)
    assert installed.returncode == 0, installed.stderr
    site = subprocess.run([str(fresh / "bin" / "python"), "-c",
                           "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (Path(site) / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install_seconds = time.perf_counter() - started
    print(f"\nwheel {wheel.stat().st_size / 1024 / 1024:.1f} MB; built and installed in "
          f"{install_seconds:.1f} s")

    database = tmp_path / "kyodo.sqlite3"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("KYODO_", "FLASK_"))},
           "DATABASE_URL": f"sqlite:///{database}", "KYODO_INSTANCE_PATH": str(tmp_path / "i"),
           "PATH": f"{fresh / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}
    away = tmp_path / "elsewhere"  # no checkout here, nor on the path
    away.mkdir()
    where = subprocess.run(["python", "-c", "import kyodo_admin; print(kyodo_admin.__file__)"],
                           env=env, cwd=away, capture_output=True, text=True, check=True)
    assert where.stdout.startswith(str(fresh)), where.stdout
    for command in (["kyodo", "db", "upgrade"],
                    ["kyodo", "cities", "add", "kamakura", "鎌倉市", "--from-seed", "kamakura"]):
        done = subprocess.run(command, env=env, cwd=away, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, (command, done.stdout, done.stderr)
    assert "自治体 鎌倉市（kamakura）を追加しました" in done.stdout
    engine = sa.create_engine(f"sqlite:///{database}")
    with engine.connect() as connection:
        forms = connection.execute(sa.text("SELECT count(*) FROM form_definition")).scalar_one()
        templates = connection.execute(sa.text(
            "SELECT count(*) FROM document_template")).scalar_one()
    engine.dispose()
    assert forms >= 5 and templates == 7

    # The example host started from the wheel: its own tables and a clerk beside kyodo's,
    # served by gunicorn; its login opens kyodo's home in its own admin.
    host_env = {**env, "PYTHONPATH": str(ROOT / "examples" / "host_app"),
                "FLASK_APP": "host_app", "SECRET_KEY": "the-example-hosts-secret-key-0123456789"}
    for command in (["python", "-m", "flask", "db", "upgrade"],
                    ["python", "-m", "flask", "kyodo", "db", "upgrade"],
                    ["python", "-m", "flask", "add-staff", "alice", "--password", "host-password",
                     "--kyodo-role", "staff", "--city", "kamakura"]):
        done = subprocess.run(command, env=host_env, cwd=away, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, (command, done.stdout, done.stderr)
    port = free_port()
    log = (tmp_path / "host.log").open("wb")
    server = subprocess.Popen(
        ["python", "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}", "host_app:create_app()"],
        env=host_env, cwd=away, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        client = Client(url)
        while True:
            assert server.poll() is None, (tmp_path / "host.log").read_text()
            try:
                if client.get("/kyodo/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, (tmp_path / "host.log").read_text()
            time.sleep(0.3)
        status, headers, _page = client.request("POST", "/login", {
            "username": "alice", "password": "host-password"})
        assert status == 302, _page[:300]
        status, page = client.get("/admin/kyodo/")
        assert status == 200 and "鎌倉市" in page and "協働事業" in page, page[:500]
        status, page = client.get("/admin/facility/")
        assert status == 200 and "kyodo.css" not in page
    finally:
        server.terminate()
        server.wait(30)
        log.close()
