"""Login, logout, password hashing, throttling, cookies, CSRF, safe redirects."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kyodo_admin import create_app
from kyodo_admin.extensions import db
from kyodo_admin.models import AuditEvent, User
from kyodo_admin.tenancy import all_cities

from ..conftest import TEST_PASSWORD, IsolatedClient, app_config, csrf_from, enter_city, login
from ..factories import CityFactory, UserFactory


def test_login_and_logout(client):
    user = UserFactory(username="hanako")
    enter_city(user.city_id)
    response = login(client, "hanako")
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/")
    assert client.get("/admin/").status_code == 200
    token = csrf_from(client.get("/logout").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/admin/").status_code == 302
    assert user.password_hash.startswith("$argon2")


def test_wrong_password_is_refused_with_a_clear_message(client):
    enter_city(UserFactory(username="hanako").city_id)
    response = login(client, "hanako", "wrong-password")
    assert response.status_code == 200
    assert "ユーザー名またはパスワードが正しくありません" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302
    events = db.session.execute(select(AuditEvent.action)).scalars().all()
    assert "login_failed" in events


def test_repeated_failures_lock_the_account(app, client):
    UserFactory(username="hanako")
    for _ in range(app.config["KYODO_LOGIN_MAX_FAILURES"]):
        login(client, "hanako", "wrong-password")
    response = login(client, "hanako")  # the right password, but locked now
    locked = response.get_data(as_text=True)
    assert "しばらく（15分ほど）ログインできなくなります" in locked
    assert client.get("/admin/").status_code == 302


def test_a_locked_account_and_an_unknown_name_read_the_same(app, client):
    """Nothing on the page tells whether a name exists or is locked."""
    import re

    UserFactory(username="hanako")
    for _ in range(app.config["KYODO_LOGIN_MAX_FAILURES"]):
        login(client, "hanako", "wrong-password")

    def message(username: str, password: str) -> str:
        html = login(client, username, password).get_data(as_text=True)
        return " ".join(re.findall(r'<div class="alert[^"]*"[^>]*>(.*?)</div>', html, re.S))

    assert message("hanako", "correct-horse-battery") == message("nobody-here", "whatever-123") \
        == message("hanako", "wrong-password")


def test_ip_rate_limit_on_login(tmp_path):
    app = create_app(app_config(f"sqlite:///{tmp_path / 'rl.sqlite3'}",
                                 RATELIMIT_ENABLED=True, KYODO_LOGIN_RATE_LIMIT="3 per minute"))
    app.test_client_class = IsolatedClient
    with app.app_context():
        from kyodo_admin.models import Base

        Base.metadata.create_all(db.engine)
    client = app.test_client()
    responses = [login(client, "nobody", "x") for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert "操作が多すぎます" in responses[3].get_data(as_text=True)


def test_the_login_limit_holds_across_workers(tmp_path):
    """Two workers (two app instances on one database) share the counter: the limit is not
    multiplied by the number of workers, as it was with in-memory counters."""
    url = f"sqlite:///{tmp_path / 'workers.sqlite3'}"
    workers = [create_app(app_config(url, RATELIMIT_ENABLED=True,
                                     KYODO_LOGIN_RATE_LIMIT="4 per minute")) for _ in range(2)]
    assert workers[0].config["RATELIMIT_STORAGE_URI"] == "kyodo-database://"
    with workers[0].app_context():
        from kyodo_admin.models import Base

        Base.metadata.create_all(db.engine)
    codes = []
    for attempt in range(6):  # a load balancer sends them to either worker
        worker = workers[attempt % 2]
        worker.test_client_class = IsolatedClient
        codes.append(login(worker.test_client(), "nobody", "x").status_code)
    assert codes == [200, 200, 200, 200, 429, 429], codes
    with workers[1].app_context():  # the count is in the database every worker reads
        from kyodo_admin.models import RateLimitCounter

        counts = db.session.execute(select(RateLimitCounter.count)).scalars().all()
        assert max(counts) >= 4
        db.session.remove()
    for worker in workers:
        with worker.app_context():
            db.engine.dispose()


def test_missing_or_wrong_csrf_token_is_refused(client):
    UserFactory(username="hanako")
    client.get("/login")
    for token in (None, "wrong-token"):
        data = {"username": "hanako", "password": TEST_PASSWORD}
        if token:
            data["csrf_token"] = token
        response = client.post("/login", data=data)
        assert response.status_code == 400
        assert "CSRF" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example/x", "javascript:alert(1)",
                                    "/\\evil.example", "\\\\evil.example"])
def test_next_pointing_off_site_is_ignored(client, target):
    UserFactory(username="hanako")
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post(f"/login?next={target}", data={
        "username": "hanako", "password": TEST_PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.endswith("/admin/") and "evil" not in location and "javascript" not in location


def test_next_on_site_is_followed(client):
    UserFactory(username="hanako")
    token = csrf_from(client.get("/login?next=/admin/proposal/").get_data(as_text=True))
    response = client.post("/login?next=/admin/proposal/", data={
        "username": "hanako", "password": TEST_PASSWORD, "csrf_token": token})
    assert response.headers["Location"].endswith("/admin/proposal/")


def test_session_cookie_flags(client):
    UserFactory(username="hanako")
    response = login(client, "hanako")
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies and "HttpOnly" in cookies[0] and "SameSite=Lax" in cookies[0]
    assert "Secure" not in cookies[0]  # development: plain http on 127.0.0.1


def test_production_cookies_are_secure():
    import os

    from kyodo_admin.config import load_config

    os.environ["KYODO_ENV"] = "production"
    try:
        assert load_config()["SESSION_COOKIE_SECURE"] is True
    finally:
        del os.environ["KYODO_ENV"]


def test_inactive_user_cannot_log_in(client):
    UserFactory(username="hanako", active=False)
    assert login(client, "hanako").status_code == 200
    assert client.get("/admin/").status_code == 302


def test_failed_login_never_changes_the_password(client):
    user = UserFactory(username="hanako")
    enter_city(user.city_id)
    before = user.password_hash
    login(client, "hanako", "wrong")
    db.session.rollback()
    assert db.session.execute(select(User.password_hash)).scalar_one() == before


def test_no_fixed_secret_key_in_the_source_and_a_random_one_is_kept(tmp_path, monkeypatch):
    import stat
    from pathlib import Path

    from kyodo_admin.config import SECRET_KEY_FILE, load_config

    package = Path(__file__).resolve().parents[2] / "kyodo_admin"
    source = "\n".join(p.read_text(encoding="utf-8") for p in package.rglob("*.py"))
    assert "dev-insecure" not in source and "SECRET_KEY\", \"" not in source
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("KYODO_ENV", raising=False)
    monkeypatch.setenv("KYODO_INSTANCE_PATH", str(tmp_path / "one"))
    first = load_config()["SECRET_KEY"]
    assert len(first) >= 32
    key_file = tmp_path / "one" / SECRET_KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600  # readable by its owner only
    assert load_config()["SECRET_KEY"] == first  # kept: sessions survive a restart
    monkeypatch.setenv("KYODO_INSTANCE_PATH", str(tmp_path / "two"))
    assert load_config()["SECRET_KEY"] != first  # every install has its own
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    assert load_config()["SECRET_KEY"] == "x" * 40  # a set key wins


def test_a_session_signed_with_another_key_is_not_accepted(app, client):
    from flask.sessions import SecureCookieSessionInterface

    user = UserFactory(username="root-ish", role="system_admin", city=None)
    forged_app = type("Forged", (), {"secret_key": "dev-insecure-secret-key-change-me",
                                     "config": app.config})
    serializer = SecureCookieSessionInterface().get_signing_serializer(forged_app)
    forged = serializer.dumps({"_user_id": str(user.id), "_fresh": True})
    client.set_cookie("session", forged)
    response = client.get("/admin/city/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_existing_user_and_city_can_be_edited_and_saved(client, login_as):
    from kyodo_admin.models import City, Role

    from ..conftest import flashes, form_page

    city = CityFactory(slug="minato", name="みなと市")
    enter_city(city)
    clerk = UserFactory(city=city, username="hanako", display_name="花子")
    login_as(UserFactory(city=city, role=Role.CITY_ADMIN.value))
    url = f"/admin/user/edit/?id={clerk.id}"
    _html, values = form_page(client, url)
    values.update(display_name="山田 花子")
    values.pop("active", None)  # deactivate the account
    response = client.post(url, data=values)
    assert response.status_code == 302, flashes(response.get_data(as_text=True))
    db.session.expire_all()
    saved = db.session.get(User, clerk.id)
    assert (saved.display_name, saved.active, saved.username) == ("山田 花子", False, "hanako")
    # the username of another user is still refused
    other = UserFactory(city=city, username="taro")
    _html, values = form_page(client, f"/admin/user/edit/?id={other.id}")
    values["username"] = "hanako"
    response = client.post(f"/admin/user/edit/?id={other.id}", data=values)
    assert response.status_code == 200 and "既に存在します" in response.get_data(as_text=True)

    login_as(UserFactory(city=None, role=Role.SYSTEM_ADMIN.value))
    url = f"/admin/city/edit/?id={city.id}"
    _html, values = form_page(client, url)
    values["head_title"] = "みなと市長"
    response = client.post(url, data=values)
    assert response.status_code == 302, flashes(response.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.get(City, city.id).head_title == "みなと市長"


@pytest.mark.parametrize("password,message", [
    ("short1", "パスワードは10文字以上にしてください"),
    ("password123", "推測されやすいパスワード"),
    ("1234567890", "推測されやすいパスワード"),
    ("aaaaaaaaaaaa", "推測されやすいパスワード"),
    ("hanako-2026-spring", "パスワードにユーザー名を含めないでください"),
    # common ones a short list missed, the city's name with a year, the product's name
    ("password1234", "推測されやすいパスワード"), ("iloveyou12", "推測されやすいパスワード"),
    ("qwerty12345", "推測されやすいパスワード"), ("abcd123456", "推測されやすいパスワード"),
    ("kamakura2026", "推測されやすいパスワード"), ("Kyodo-demo1", "推測されやすいパスワード"),
])
def test_weak_passwords_are_refused_next_to_the_field(client, login_as, password, message):
    from kyodo_admin.models import Role

    from ..conftest import form_page

    city = CityFactory(slug="kamakura", name="鎌倉市")
    enter_city(city)
    clerk = UserFactory(city=city, username="hanako")
    before = clerk.password_hash
    login_as(UserFactory(city=city, role=Role.CITY_ADMIN.value))
    url = f"/admin/user/edit/?id={clerk.id}"
    _html, values = form_page(client, url)
    values["password"] = password
    response = client.post(url, data=values)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and message in html
    db.session.expire_all()
    assert db.session.get(User, clerk.id).password_hash == before


def test_the_cli_refuses_a_weak_password(app):
    user = UserFactory(username="taro")
    enter_city(user.city_id)  # what the city's admin then reads and changes
    before = user.password_hash
    result = app.test_cli_runner().invoke(args=["kyodo", "users", "set-password", "taro"],
                                          input="password123\npassword123\n")
    assert result.exit_code != 0 and "推測されやすい" in result.output
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash == before


def _logged_in_copy(client, app):
    """A second browser holding a copy of this client's session cookie (a replay)."""
    cookie = client.get_cookie("session")
    other = app.test_client()
    other.set_cookie("session", cookie.value)
    return other


def test_a_cookie_replayed_after_logout_is_refused(app, client, login_as):
    from ..conftest import csrf_from

    user = UserFactory(city=CityFactory())
    login_as(user)
    copy = _logged_in_copy(client, app)
    assert copy.get("/admin/proposal/").status_code == 200  # the copy works while logged in
    token = csrf_from(client.get("/logout").get_data(as_text=True))
    client.post("/logout", data={"csrf_token": token})
    response = copy.get("/admin/proposal/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("change", ["password", "role", "active"])
def test_a_new_password_role_or_deactivation_ends_the_users_sessions(app, client, login_as, change):
    user = UserFactory(city=CityFactory())
    enter_city(user.city_id)  # what the city's admin then reads and changes
    login_as(user)
    assert client.get("/admin/proposal/").status_code == 200
    if change == "password":
        from kyodo_admin.services.users import set_password

        set_password(user, "a-brand-new-passphrase")
    elif change == "role":
        user.role = "viewer"
    else:
        user.active = False
    db.session.commit()
    response = client.get("/admin/proposal/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_idle_session_and_an_old_one_end(app, client, login_as):
    import time

    import time_machine

    login_as(UserFactory(city=CityFactory()))
    now = time.time()
    with time_machine.travel(now + 119 * 60, tick=False):
        assert client.get("/admin/proposal/").status_code == 200  # still within 120 minutes
    with time_machine.travel(now + 119 * 60 + 121 * 60, tick=False):
        response = client.get("/admin/proposal/")
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    login_as(UserFactory(city=CityFactory()))
    start = time.time()
    for hours in range(1, 13):  # busy all day, a request every hour
        with time_machine.travel(start + hours * 3600 - 60, tick=False):
            assert client.get("/admin/proposal/").status_code == 200, hours
    with time_machine.travel(start + 12 * 3600 + 60, tick=False):
        assert client.get("/admin/proposal/").status_code == 302  # 12 hours after logging in


def _simultaneous_logins(app, username: str, password: str, count: int = 10) -> list[int]:
    """``count`` browsers post the login form at the same moment; their status codes."""
    import threading

    from ..conftest import csrf_from

    barrier = threading.Barrier(count)
    codes: list[int] = []
    errors: list[BaseException] = []

    def attempt() -> None:
        try:
            client = app.test_client()
            token = csrf_from(client.get("/login").get_data(as_text=True))
            barrier.wait(timeout=20)
            response = client.post("/login", data={"username": username, "password": password,
                                                   "csrf_token": token})
            codes.append(response.status_code)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=attempt) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return codes


def test_simultaneous_logins_to_one_account_all_succeed(app):
    from kyodo_admin.models import AuditEvent

    user = UserFactory(city=CityFactory(), username="busy")
    enter_city(user.city_id)  # what the city's admin then reads and changes
    db.session.commit()
    codes = _simultaneous_logins(app, "busy", TEST_PASSWORD)
    assert codes == [302] * 10, codes  # no 500 from a version conflict on the user row
    db.session.rollback()  # a new snapshot
    assert db.session.execute(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.model == "user_account", AuditEvent.action == "login",
        AuditEvent.record_id == str(user.id))).scalar_one() == 10


def test_simultaneous_wrong_passwords_are_each_counted(app, monkeypatch):
    monkeypatch.setitem(app.config, "KYODO_LOGIN_MAX_FAILURES", 20)  # all 10 are checked
    user = UserFactory(city=CityFactory(), username="target")
    enter_city(user.city_id)  # what the city's admin then reads and changes
    db.session.commit()
    codes = _simultaneous_logins(app, "target", "wrong-password-123")
    assert 500 not in codes and len(codes) == 10
    db.session.rollback()  # a new snapshot
    fresh = db.session.get(User, user.id)
    assert fresh.failed_login_count == 10 and fresh.locked_until is None
    _simultaneous_logins(app, "target", "wrong-password-123")
    db.session.rollback()  # a new snapshot
    fresh = db.session.get(User, user.id)
    assert fresh.failed_login_count == 20
    from kyodo_admin.models import LoginFailure

    lock = db.session.execute(select(LoginFailure).where(LoginFailure.user_id == user.id)
                              ).scalar_one()
    assert lock.locked_until is not None  # locked at 20, for this address


def test_a_stranger_cannot_lock_out_a_clerk(app, client):
    """Failures from one address lock that address out of the account, not the clerk."""
    from ..conftest import csrf_from

    UserFactory(username="hanako")
    stranger = app.test_client()
    for _ in range(app.config["KYODO_LOGIN_MAX_FAILURES"] + 2):
        token = csrf_from(stranger.get("/login").get_data(as_text=True))
        stranger.post("/login", data={"username": "hanako", "password": "guess-1234567",
                                      "csrf_token": token},
                      environ_base={"REMOTE_ADDR": "203.0.113.9"})
    token = csrf_from(stranger.get("/login").get_data(as_text=True))
    response = stranger.post("/login", data={"username": "hanako", "password": TEST_PASSWORD,
                                             "csrf_token": token},
                             environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert response.status_code == 200  # even the right password: that address is locked
    clerk = app.test_client()
    token = csrf_from(clerk.get("/login").get_data(as_text=True))
    response = clerk.post("/login", data={"username": "hanako", "password": TEST_PASSWORD,
                                          "csrf_token": token},
                          environ_base={"REMOTE_ADDR": "192.0.2.20"})
    assert response.status_code == 302  # the clerk, from the office, logs in


def test_a_new_user_named_as_another_citys_user_in_other_case_is_refused(client, login_as):
    from kyodo_admin.models import Role

    from ..conftest import form_page

    UserFactory(city=CityFactory(), username="kamakura-staff")  # another city's
    city = CityFactory()
    enter_city(city)
    login_as(UserFactory(city=city, role=Role.CITY_ADMIN.value))
    _html, values = form_page(client, "/admin/user/new/")
    values.update(username="Kamakura-Staff", display_name="鎌倉 花子", role="staff",
                  password="tsuru-oka-hachiman-1063")
    response = client.post("/admin/user/new/", data=values)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "ユーザー名「Kamakura-Staff」は既に使われています" in html
    with all_cities():
        assert db.session.execute(select(func.count()).select_from(User).where(
            func.lower(User.username) == "kamakura-staff")).scalar_one() == 1
