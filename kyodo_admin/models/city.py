"""The tenant (City) and its departments."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, CityOwned, TimestampMixin, VersionedMixin


class City(VersionedMixin, TimestampMixin, Base):
    """A city (or prefecture): the tenant every other record belongs to."""

    __tablename__ = "city"
    label = "自治体"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    #: Addressee of documents, e.g. "鎌倉市長".
    head_title: Mapped[str] = mapped_column(String(100), default="")
    #: Name of the coordinating section, e.g. "市民活動部地域のつながり推進課".
    coordinating_section: Mapped[str] = mapped_column(String(200), default="")
    #: Per-city settings (deadlines, numbering); defaults in ``workflow``.
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)

    def __str__(self) -> str:
        return self.name


class Department(CityOwned, VersionedMixin, TimestampMixin, Base):
    """A department of the city (担当課)."""

    __tablename__ = "department"
    __table_args__ = (UniqueConstraint("city_id", "name"),)
    label = "担当課"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(30), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")

    def __str__(self) -> str:
        return self.name
