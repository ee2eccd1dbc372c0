"""A real wheel: built from the checkout with nothing downloaded, installed into a fresh
virtual environment, it carries the seed forms, the Word templates, the migrations, the
translations and the static files, and its ``kyodo`` commands work away from any checkout:
``kyodo db upgrade`` then ``kyodo cities add … --from-seed kamakura``."""

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

from .processes import ROOT


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
                    "kyodo_admin/static/kyodo.js", "kyodo_admin/templates/web/entrance.html"):
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
    assert forms >= 5 and templates == 6
