"""Production is the configuration under test: the README's "First install", command by
command as written there, with KYODO_ENV=production, PostgreSQL and a Redis queue; then
gunicorn and `kyodo worker`, and a login over HTTP. Bad settings stop a command with what to
fix, in Japanese, never a traceback."""

from __future__ import annotations

import re

import pytest

from .conftest import pg_create_database
from .processes import (
    Process,
    gunicorn,
    parse_env_line,
    production_env,
    readme_block,
    redis_queue,
    run,
    without_traceback,
    worker,
)

pytestmark = [pytest.mark.timeout(300), pytest.mark.postgresql]

ADMIN_PASSWORD = "kanri-password-2026"
CITY_ADMIN_PASSWORD = "nagano-kyodo-2026"


@pytest.fixture
def production(tmp_path):
    """A production machine's environment on an empty PostgreSQL database and Redis queue."""
    database = pg_create_database("kyodo_production_install")
    return production_env(database, redis_queue(11), tmp_path / "instance")


def test_the_first_install_of_the_readme_runs_in_production_and_a_city_admin_logs_in(
        production, tmp_path):
    env = dict(production)
    started: list[Process] = []
    gunicorn_url = ""
    try:
        for line in readme_block("First install"):
            if line.startswith("python3 -m venv"):
                continue  # the suite runs in the installed environment (make install)
            if line.startswith("export "):
                names = set(re.findall(r"([A-Z_][A-Z0-9_]*)=", line))
                if names <= {"DATABASE_URL", "KYODO_QUEUE_URL"}:
                    continue  # this machine's database and queue stand in for db-host's
                env.update(parse_env_line(line, env))
                continue
            if line.startswith("gunicorn "):
                bind = re.search(r"-b \S+", line)
                assert bind
                process, gunicorn_url = gunicorn(env, tmp_path / "gunicorn.log")
                started.append(process)
                continue
            if line.startswith("kyodo worker"):
                started.append(worker(env, tmp_path / "worker.log", line))
                continue
            typed = {"kyodo admin create": ADMIN_PASSWORD,
                     "kyodo users add": CITY_ADMIN_PASSWORD}
            password = next((p for prefix, p in typed.items() if line.startswith(prefix)), "")
            result = run(line, env, stdin=f"{password}\n{password}\n" if password else "")
            output = without_traceback(result)
            assert result.returncode == 0, (line, output)
        assert env["KYODO_ENV"] == "production" and len(env["SECRET_KEY"]) >= 48
        assert gunicorn_url and len(started) == 2

        # the other commands of an operator, in production too
        for line, expected in (("kyodo db upgrade", ""),
                               ("kyodo cities list", "nagano\t長野市\t1人"),
                               ("kyodo users list", "nagano-admin\t自治体管理者\tnagano\t有効"),
                               ("kyodo users list --city nagano", "nagano-admin"),
                               ("kyodo notices send", "0通を送信待ちにしました")):
            result = run(line, env)
            output = without_traceback(result)
            assert result.returncode == 0 and expected in output, (line, output)

        # the city admin logs in over HTTP, on gunicorn, and sees the city's home screen
        from .processes import Client

        client = Client(gunicorn_url)
        client.log_in("nagano-admin", CITY_ADMIN_PASSWORD)
        status, home = client.get("/admin/")
        assert status == 200 and "長野市" in home
        status, types = client.get("/admin/collaboration_type/")
        assert status == 200 and "事業協力" in types  # copied from the seed city
        status, health = client.get("/healthz")
        assert status == 200 and '"queue":"ok"' in health.replace(" ", "")
        assert "Traceback" not in started[0].output()
    finally:
        for process in started:
            process.kill_group()


@pytest.mark.parametrize("change,message", [
    ({"SECRET_KEY": ""}, "KYODO_ENV=production では SECRET_KEY を設定してください"),
    ({"SECRET_KEY": "short-key"}, "SECRET_KEY を32文字以上にしてください（いまは9文字です"),
    ({"DATABASE_URL": "postgresql+psycopg://kyodo:himitsu@127.0.0.1:1/kyodo"},
     "データベース（postgresql+psycopg://kyodo:***@127.0.0.1:1/kyodo）に接続できません"),
])
def test_a_bad_setting_stops_every_command_with_what_to_fix(production, change, message):
    env = {**production, **change}
    for line in ("kyodo cities list", "kyodo users list", "kyodo notices send"):
        result = run(line, env)
        output = without_traceback(result)
        assert result.returncode == 1 and message in output, (line, output)
        assert "himitsu" not in output  # a password in the URL is never printed


def test_a_queue_that_does_not_answer_stops_the_worker_with_what_to_fix(production):
    assert run("kyodo db upgrade", production).returncode == 0
    env = {**production, "KYODO_QUEUE_URL": "redis://127.0.0.1:1/0"}
    result = run("kyodo worker", env)
    output = without_traceback(result)
    assert result.returncode == 1
    assert "キュー（KYODO_QUEUE_URL: redis://127.0.0.1:1/0）に接続できません" in output


def test_production_refuses_to_start_while_a_demo_login_has_the_demo_password(production):
    # the demo loaded on this database (as `make run` does), then the machine put in production
    demo = run("kyodo demo", {**production, "KYODO_ENV": "development"}, timeout=300)
    assert demo.returncode == 0, demo.stderr
    result = run("kyodo cities list", production)
    output = without_traceback(result)
    assert result.returncode == 1
    assert "利用者「admin」がデモのパスワードのままです" in output
    assert "kyodo users set-password admin" in output
