"""Users and their role in one city."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

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
    failed_login_count: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[dt.datetime | None]
    last_login_at: Mapped[dt.datetime | None]

    city: Mapped[City | None] = relationship()
    department: Mapped[Department | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login
        return bool(self.active)

    @property
    def is_system_admin(self) -> bool:
        return self.role == Role.SYSTEM_ADMIN

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)  # type: ignore[call-overload]

    def __str__(self) -> str:
        return self.display_name or self.username
