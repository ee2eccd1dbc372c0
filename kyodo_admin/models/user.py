"""Users and their role in one city."""

from __future__ import annotations

import datetime as dt
import secrets
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, UniqueConstraint, event, inspect
from sqlalchemy import true as sa_true
from sqlalchemy.orm import InstanceState, Mapped, mapped_column, relationship

from .base import Base, TenantScoped, TimestampMixin, VersionedMixin
from .city import City, Department


class Role(StrEnum):
    SYSTEM_ADMIN = "system_admin"
    CITY_ADMIN = "city_admin"
    STAFF = "staff"
    COUNCIL_MEMBER = "council_member"
    VIEWER = "viewer"


ROLE_LABELS = {
    Role.SYSTEM_ADMIN: "システム管理者",
    Role.CITY_ADMIN: "自治体管理者",
    Role.STAFF: "職員",
    Role.COUNCIL_MEMBER: "会議構成員",
    Role.VIEWER: "閲覧者",
}


def new_session_token() -> str:
    return secrets.token_hex(16)


class User(UserMixin, TenantScoped, VersionedMixin, TimestampMixin, Base):
    """A person who logs in. Everyone but a system admin belongs to one city."""

    __tablename__ = "user_account"
    label = "利用者"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    role: Mapped[str] = mapped_column(String(30), default=Role.STAFF.value)
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", ondelete="SET NULL")
    )
    active: Mapped[bool] = mapped_column(default=True)
    #: Reminder mails (report deadlines, step 2, late budget proposals); meeting notices
    #: to council members are not reminders and always go.
    receives_reminders: Mapped[bool] = mapped_column(default=True, server_default=sa_true())
    failed_login_count: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[dt.datetime | None]
    last_login_at: Mapped[dt.datetime | None]
    #: Part of every session's id: a new one ends all of the user's sessions (logout, a new
    #: password, another role, deactivation), since a session is only a signed cookie.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token,
                                               server_default="")

    city: Mapped[City | None] = relationship()
    department: Mapped[Department | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login
        return bool(self.active)

    def get_id(self) -> str:  # Flask-Login: what the session keeps
        return f"{self.id}:{self.session_token}"

    def end_sessions(self) -> None:
        self.session_token = new_session_token()

    @property
    def is_system_admin(self) -> bool:
        return self.role == Role.SYSTEM_ADMIN

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)  # type: ignore[call-overload]

    def __str__(self) -> str:
        return self.display_name or self.username


class LoginFailure(Base):
    """Failed logins to one account from one address, and the lock they brought: a stranger
    guessing a clerk's password locks out only the stranger's own address."""

    __tablename__ = "login_failure"
    __table_args__ = (UniqueConstraint("user_id", "address"),)
    label = "ログイン失敗"
    audited = False  # each failure is in the audit trail as a login_failed event already

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"),
                                         index=True)
    address: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[dt.datetime | None]


class Throttle(Base):
    """When something was last done under a key (an address's last public submission):
    held in the database, so the wait holds across workers and machines."""

    __tablename__ = "throttle"
    label = "送信間隔"
    audited = False

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    last_at: Mapped[dt.datetime]


class RateLimitCounter(Base):
    """A rate limit's hits in its current window (``kyodo_admin.ratelimit``)."""

    __tablename__ = "rate_limit_counter"
    label = "操作回数の制限"
    audited = False

    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[float]


@event.listens_for(User, "before_update")
def _end_sessions_on_change(_mapper: object, _connection: object, user: User) -> None:
    """A new password, another role or deactivation ends the user's sessions everywhere."""
    state: InstanceState[User] = inspect(user)
    if any(state.attrs[name].history.has_changes() for name in ("password_hash", "role", "active")) \
            and not state.attrs.session_token.history.has_changes():
        user.end_sessions()
