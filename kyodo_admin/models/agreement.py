"""Agreements (協定書) with their role sharing and cost sharing rows."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, CityOwned, HasFormAnswers, TimestampMixin, VersionedMixin, trigram_indexes

if TYPE_CHECKING:
    from .project import Project

AGREEMENT_STATES = {"draft": "案", "signed": "締結済", "amended": "変更済（旧版）"}


class Agreement(HasFormAnswers, CityOwned, VersionedMixin, TimestampMixin, Base):
    """The agreement between 甲 (the city) and 乙 (the organization).

    An amendment (変更協定) is a new Agreement whose ``previous`` is the old one.
    """

    __tablename__ = "agreement"
    __table_args__ = (
        CheckConstraint(
            "end_date IS NULL OR start_date IS NULL OR end_date >= start_date", name="period_order"
        ),
        *trigram_indexes("agreement", "title"),
    )
    city_parent = "project"
    label = "協定書"
    search_fields = ("title",)
    form_kind = "agreement"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="RESTRICT"), index=True)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("agreement.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(String(200))
    #: The project's fiscal year it is for (one agreement, or its 変更協定, a year).
    fiscal_year: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    start_date: Mapped[dt.date | None]
    end_date: Mapped[dt.date | None]
    signed_on: Mapped[dt.date | None]
    #: 甲: the city's signatory, e.g. "鎌倉市長 ○○ ○○".
    city_signatory: Mapped[str] = mapped_column(String(200), default="")
    #: 乙: the organization's signatory.
    organization_signatory: Mapped[str] = mapped_column(String(200), default="")
    #: Where responsibility lies (責任の所在).
    responsibility: Mapped[str] = mapped_column(Text, default="")

    project: Mapped[Project] = relationship()
    previous: Mapped[Agreement | None] = relationship(remote_side=[id])
    role_shares: Mapped[list[RoleShare]] = relationship(
        back_populates="agreement", cascade="all, delete-orphan", order_by="RoleShare.sort_order"
    )
    cost_shares: Mapped[list[CostShare]] = relationship(
        back_populates="agreement", cascade="all, delete-orphan", order_by="CostShare.sort_order"
    )

    def derive(self) -> None:
        """An agreement made without its year is for the year its project is in."""
        year = self.project.current_year if self.project is not None else None
        if self.fiscal_year is None and year is not None:
            self.fiscal_year = year.fiscal_year

    @property
    def city_cost_total(self) -> int:
        return sum(c.city_amount or 0 for c in self.cost_shares)

    @property
    def organization_cost_total(self) -> int:
        return sum(c.organization_amount or 0 for c in self.cost_shares)

    @property
    def status_label(self) -> str:
        return AGREEMENT_STATES.get(self.status, self.status)

    def __str__(self) -> str:
        return self.title


class RoleShare(CityOwned, VersionedMixin, TimestampMixin, Base):
    """One row of role sharing (役割分担): what 甲 and 乙 each do for an item."""

    __tablename__ = "role_share"
    city_parent = "agreement"
    label = "役割分担"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("agreement.id", ondelete="CASCADE"), index=True
    )
    item: Mapped[str] = mapped_column(String(200))
    city_role: Mapped[str] = mapped_column(Text, default="")
    organization_role: Mapped[str] = mapped_column(Text, default="")
    sort_order: Mapped[int] = mapped_column(default=0)

    agreement: Mapped[Agreement] = relationship(back_populates="role_shares")

    def __str__(self) -> str:
        return self.item


class CostShare(CityOwned, VersionedMixin, TimestampMixin, Base):
    """One row of cost sharing (経費負担), amounts in yen."""

    __tablename__ = "cost_share"
    __table_args__ = (
        CheckConstraint("city_amount >= 0", name="city_amount_nonneg"),
        CheckConstraint("organization_amount >= 0", name="organization_amount_nonneg"),
    )
    city_parent = "agreement"
    label = "経費負担"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("agreement.id", ondelete="CASCADE"), index=True
    )
    item: Mapped[str] = mapped_column(String(200))
    city_amount: Mapped[int] = mapped_column(default=0)
    organization_amount: Mapped[int] = mapped_column(default=0)
    note: Mapped[str] = mapped_column(String(300), default="")
    sort_order: Mapped[int] = mapped_column(default=0)

    agreement: Mapped[Agreement] = relationship(back_populates="cost_shares")

    def __str__(self) -> str:
        return self.item
