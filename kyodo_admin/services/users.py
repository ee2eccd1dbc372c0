"""Passwords, login with throttling, the demo-password guard, and accounts made from the
command line (one, or a CSV file of them)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext
from sqlalchemy import case, delete, func, select, update

from .. import clock, tenancy
from ..config import ConfigError
from ..errors import ValidationFailed
from ..formschema import cells
from ..host import HostUser
from ..models.base import upsert_insert
from ..models.city import City
from ..models.user import ROLE_LABELS, LoginFailure, Role, User, new_session_token
from ..sessions import Session
from .audit import Actor, record_event, reset_actor, set_actor

DEMO_PASSWORD = "kyodo-demo"

_hasher = PasswordHasher()
#: Cheap parameters for the test suite only (set by ``use_fast_hashing``).
_fast_hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
_current = {"hasher": _hasher}


def use_fast_hashing(enabled: bool = True) -> None:
    _current["hasher"] = _fast_hasher if enabled else _hasher


def hash_password(password: str) -> str:
    return _current["hasher"].hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _current["hasher"].verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


#: Shortest password accepted.
MIN_PASSWORD_LENGTH = 10
#: A password must take at least 10**this many guesses as zxcvbn estimates them (its lists
#: of breached passwords, words, names, keyboard walks, dates and years, with the user's
#: own name, city and this product added): 10**10 holds against an offline attack on an
#: argon2 hash for years; 「Kyodo-demo1」 and 「kamakura2026」 take far fewer.
MIN_GUESSES_LOG10 = 10
#: Words every password is checked against besides the user's own (the product's names).
PRODUCT_WORDS = ("kyodo", "kyodo_admin", "kyodo-admin", "kyodo-demo", "協働", "協働事業")


def password_problem(password: str, username: str = "",
                     words: Iterable[str] = ()) -> str | None:
    """Why a password is too weak (Japanese), or None: long enough, not the username, and
    hard to guess (``zxcvbn``, with ``words``: the city's name and slug)."""
    from zxcvbn import zxcvbn

    if len(password) < MIN_PASSWORD_LENGTH:
        return f"パスワードは{MIN_PASSWORD_LENGTH}文字以上にしてください。"
    if username and len(username) >= 3 and username.lower() in password.lower():
        return "パスワードにユーザー名を含めないでください。"
    inputs = [w for w in (username, *words, *PRODUCT_WORDS) if w]
    if zxcvbn(password[:100], user_inputs=inputs)["guesses_log10"] < MIN_GUESSES_LOG10:
        return ("よく使われていて推測されやすいパスワードです（よくある単語・名前・年・キーボードの"
                "並び・自治体名の組み合わせは推測されます）。いくつかの単語をつなげるなど、"
                "別のものにしてください。")
    return None


def city_words(city: City | None) -> tuple[str, ...]:
    return (city.name, city.slug) if city is not None else ()


def set_password(user: User, password: str) -> None:
    problem = password_problem(password, user.username or "", city_words(user.city))
    if problem:
        raise ValidationFailed(problem, field="password")
    user.password_hash = hash_password(password)


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    message: str = ""


def _now() -> dt.datetime:
    return clock.now()


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite returns naive datetimes; everything is stored in UTC.
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _count_failure(session: Session, user_id: int, address: str) -> int:
    """One more failure from ``address`` (an atomic upsert: simultaneous ones all count)."""
    statement = upsert_insert(session.get_bind(), LoginFailure).values(
        user_id=user_id, address=address, failures=1)
    upsert = statement.on_conflict_do_update(
        index_elements=["user_id", "address"],
        set_={"failures": LoginFailure.failures + 1}).returning(LoginFailure.failures)
    return int(session.execute(upsert).scalar_one())


def authenticate(session: Session, username: str, password: str, *, max_failures: int,
                 lock_minutes: int, address: str = "") -> LoginResult:
    """Check a login. After ``max_failures`` failures in a row from one address, that address
    is locked out of the account for ``lock_minutes`` — not the account for everyone, so a
    stranger cannot lock out a clerk. The account keeps its exact total of failures."""
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    # One message and the same work for every failure — unknown name, wrong password,
    # inactive or locked account — so a login attempt tells nobody which names exist.
    bad = LoginResult(None, gettext("ユーザー名またはパスワードが正しくありません。続けて間違えると、"
                                    "しばらく（%(minutes)s分ほど）ログインできなくなります。",
                                    minutes=lock_minutes))
    if user is None:
        verify_password(_DUMMY_HASH(), password)
        return bad
    address = (address or "unknown")[:64]
    token = set_actor(Actor(user.id, user.username))
    try:
        lock = session.execute(select(LoginFailure.locked_until).where(
            LoginFailure.user_id == user.id, LoginFailure.address == address)).scalar()
        locked = any(until is not None and _aware(until) > _now()
                     for until in (lock, user.locked_until))  # user.locked_until: set by hand
        if locked:
            verify_password(user.password_hash, password)
            record_event(session, user, "login_failed")
            return bad
        if not user.is_active or not verify_password(user.password_hash, password):
            # Atomic statements outside the user row's version: simultaneous wrong passwords
            # are each counted, and never collide.
            session.execute(update(User).where(User.id == user.id)
                            .values(failed_login_count=User.failed_login_count + 1)
                            .execution_options(synchronize_session=False))
            if _count_failure(session, user.id, address) >= max_failures:
                session.execute(update(LoginFailure).where(
                    LoginFailure.user_id == user.id, LoginFailure.address == address).values(
                    locked_until=_now() + dt.timedelta(minutes=lock_minutes), failures=0))
            record_event(session, user, "login_failed")
            return bad
        # Simultaneous logins to one account only set the same bookkeeping: no version check.
        session.execute(update(User).where(User.id == user.id).values(
            failed_login_count=0, last_login_at=_now(),
            session_token=case((User.session_token == "", new_session_token()),
                               else_=User.session_token))
            .execution_options(synchronize_session=False))
        session.execute(delete(LoginFailure).where(LoginFailure.user_id == user.id,
                                                   LoginFailure.address == address))
        session.expire(user)  # read back what was just written (the session token)
        record_event(session, user, "login")
        return LoginResult(user)
    finally:
        reset_actor(token)


_dummy: dict[str, str] = {}


def _DUMMY_HASH() -> str:  # noqa: N802
    if "hash" not in _dummy:
        _dummy["hash"] = hash_password("not-a-real-password")
    return _dummy["hash"]


def refuse_demo_passwords(session: Session) -> None:
    """In production, refuse to start while a demo login (``kyodo demo``'s users) still has
    the demo password. The caller reads every city (start-up)."""
    from sqlalchemy import inspect as sa_inspect

    from ..demo import DEMO_LOGINS

    if not sa_inspect(session.get_bind()).has_table(User.__tablename__):
        return
    for user in session.execute(select(User).where(User.username.in_(DEMO_LOGINS))).scalars():
        if verify_password(user.password_hash, DEMO_PASSWORD):
            raise ConfigError(
                f"KYODO_ENV=production: 利用者「{user.username}」がデモのパスワードのままです。"
                f"起動する前に変更してください（kyodo users set-password {user.username}）。")
    session.rollback()


# -- accounts from the command line -------------------------------------------------------

#: A login name: ASCII letters, digits and . _ @ -, 3 to 80 characters, a letter or digit
#: first (the users screen and the commands alike; ``match`` and ``fullmatch`` both read it
#: whole).
USERNAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{2,79}\Z")
USERNAME_RULE = "半角英数字と . _ @ - の3〜80文字（先頭は英数字）にしてください。"
#: The columns of a user import file (``kyodo users import``); password may be left empty.
IMPORT_COLUMNS = ("username", "display_name", "role", "city", "email", "password")


def role_of(value: str) -> Role:
    """A role by its name (staff) or its Japanese label (職員)."""
    for role in Role:
        if value.strip() in (role.value, ROLE_LABELS[role]):
            return role
    names = "、".join(f"{role.value}（{ROLE_LABELS[role]}）" for role in Role)
    raise ValidationFailed(gettext("役割「%(value)s」はありません。%(names)s のいずれかです。", value=value, names=names), field="role")


def username_taken(session: Session, username: str, except_id: int | None = None) -> bool:
    """Whether another user, in any city, has this name ignoring case (Kamakura-Staff is
    kamakura-staff): only whether, never who, so no row of another city leaves here."""
    stmt = select(User.id).where(func.lower(User.username) == username.lower())
    if except_id is not None:
        stmt = stmt.where(User.id != except_id)
    with session.no_autoflush:  # a user being added (not yet flushed) is not "another"
        return session.execute(stmt.limit(1).execution_options(**{tenancy.SKIP: True})) \
            .first() is not None


def refuse_taken_username(session: Session, username: str,
                          except_id: int | None = None) -> None:
    """ValidationFailed (on the username field) when another user has this name."""
    if username_taken(session, username, except_id):
        raise ValidationFailed(gettext("ユーザー名「%(username)s」は既に使われています（大文字と小文字の違いは区別しません）。", username=username), field="username")


def add_user(session: Session, username: str, *, role: Role, city_slug: str | None,
             password: str, display_name: str = "", email: str = "") -> User:
    """A new active user; refuses a bad or taken username, an unknown city, a city for a
    system administrator (or none for anyone else) and a weak password, before adding
    anything. The caller commits."""
    if not USERNAME_PATTERN.fullmatch(username):
        raise ValidationFailed(gettext("ユーザー名「%(username)s」は使えません。%(USERNAME_RULE)s", username=username, USERNAME_RULE=gettext(USERNAME_RULE)),
                               field="username")
    refuse_taken_username(session, username)
    if email and not cells.is_email(email):
        raise ValidationFailed(gettext("メールアドレス「%(v1)s」の形式が正しくありません（1つのアドレスを1行で）。", v1=cells.single_line(email)), field="email")
    display_name = cells.single_line(display_name)
    city = None
    if role is Role.SYSTEM_ADMIN:
        if city_slug:
            raise ValidationFailed(gettext("システム管理者は自治体に属しません（自治体を指定しないでください）。"),
                                   field="city")
    elif not city_slug:
        raise ValidationFailed(gettext("%(v0)sには自治体を指定してください。", v0=ROLE_LABELS[role]), field="city")
    else:
        city = session.execute(select(City).where(City.slug == city_slug)).scalar_one_or_none()
        if city is None:
            raise ValidationFailed(gettext("自治体「%(city_slug)s」が見つかりません。", city_slug=city_slug), field="city")
    user = User(username=username, role=role.value, city=city, email=email,
                display_name=display_name or username, active=True)
    set_password(user, password)
    session.add(user)
    session.flush()
    return user


@dataclass(frozen=True)
class ImportedUser:
    user: User
    #: The password made for a row that left it empty, to hand to the user once.
    generated_password: str | None


def decode_upload(data: bytes) -> str:
    """A CSV's text: UTF-8 (with or without the BOM Excel writes) or Shift_JIS (Excel on
    Japanese Windows); anything else is refused, naming the encodings read."""
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationFailed(gettext("ファイルの文字コードを読めません。UTF-8 か Shift_JIS（Excel の"
                           "「CSV（コンマ区切り）」）で保存してください。"))


def import_users(session: Session, text: str,
                 allow_system_admin: bool = False) -> list[ImportedUser]:
    """Users from CSV text with the header ``IMPORT_COLUMNS``, all or nothing: any bad line
    raises ValidationFailed naming every bad line (counted as in a spreadsheet, the header
    being line 1) and adds no one. A system administrator (every city's records) is made
    from a file only when ``allow_system_admin`` says so. The caller commits."""
    rows = list(csv.reader(io.StringIO(text)))
    header = [cell.strip().lower() for cell in rows[0]] if rows else []
    missing = [column for column in IMPORT_COLUMNS if column not in header]
    if missing:
        raise ValidationFailed(gettext("1行目（見出し）に %(v1)s の列がありません。見出しは %(v3)s です。", v1=', '.join(missing), v3=','.join(IMPORT_COLUMNS)))
    problems: list[str] = []
    imported: list[ImportedUser] = []
    seen: set[str] = set()
    for line, written in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in written):
            continue
        row = {column: (written[header.index(column)].strip()
                        if header.index(column) < len(written) else "")
                for column in IMPORT_COLUMNS}
        try:
            if row["username"].lower() in seen:
                raise ValidationFailed(gettext("ユーザー名「%(v1)s」がこのファイルの中で重複しています（大文字と小文字の違いは区別しません）。", v1=row['username']))
            seen.add(row["username"].lower())
            role = role_of(row["role"])
            if role is Role.SYSTEM_ADMIN and not allow_system_admin:
                raise ValidationFailed(gettext("システム管理者（すべての自治体の記録を扱えます）はファイルからは"
                                       "作りません。意図したものなら --allow-system-admin を付けて"
                                       "実行してください。"), field="role")
            generated = None if row["password"] else secrets.token_urlsafe(12)
            user = add_user(session, row["username"], role=role,
                            city_slug=row["city"] or None,
                            password=row["password"] or str(generated),
                            display_name=row["display_name"], email=row["email"])
            imported.append(ImportedUser(user, generated))
        except ValidationFailed as exc:
            problems.append(f"{line}行目: {exc}")
    if problems:
        raise ValidationFailed("\n".join(problems))
    if not imported:
        raise ValidationFailed(gettext("取り込む行がありません（2行目から1人1行で書いてください）。"))
    return imported


def deactivate_user(session: Session, username: str) -> User:
    """Stop a user from logging in (their records and history stay); their sessions end."""
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise ValidationFailed(gettext("ユーザー「%(username)s」が見つかりません。", username=username), field="username")
    user.active = False
    user.session_token = new_session_token()
    session.flush()
    return user


def account_for_host(session: Session, seen: HostUser) -> User:
    """The kyodo account of a host app's user, as the host's adapter sees them (``seen``):
    made on their first visit, with no password (the host's login is the only way in), its
    role, city and name following ``seen``. Refuses an unknown role or city, a city for a
    system administrator or none for anyone else (``ValidationFailed``); commits a change."""
    role = role_of(seen.role)
    city = None
    if role is Role.SYSTEM_ADMIN:
        if seen.city:
            raise ValidationFailed(gettext("システム管理者は自治体に属しません。"), field="city")
    else:
        city = session.execute(select(City).where(City.slug == (seen.city or ""))) \
            .scalar_one_or_none()
        if city is None:
            raise ValidationFailed(gettext("自治体「%(v1)s」が見つかりません。", v1=seen.city or ''), field="city")
    user = session.execute(select(User).where(
        func.lower(User.username) == seen.username.lower())).scalar_one_or_none()
    if user is None:
        if not USERNAME_PATTERN.fullmatch(seen.username):
            raise ValidationFailed(gettext("ユーザー名「%(username)s」は使えません。%(USERNAME_RULE)s", username=seen.username, USERNAME_RULE=gettext(USERNAME_RULE)),
                                   field="username")
        user = User(username=seen.username, password_hash="")
        session.add(user)
    wanted = {"role": role.value, "city_id": city.id if city else None, "active": True,
              "display_name": cells.single_line(seen.display_name) or seen.username}
    if any(getattr(user, name) != value for name, value in wanted.items()):
        for name, value in wanted.items():
            setattr(user, name, value)
        session.commit()
        session.refresh(user)  # read now, while every city may be read
    return user
