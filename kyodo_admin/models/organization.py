"""Organizations (団体): NPOs and the other partners a city works with."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import CheckConstraint, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, CityOwned, TimestampMixin, VersionedMixin, trigram_indexes

ORGANIZATION_TYPES = {
    "npo": "NPO法人",
    "voluntary": "任意団体",
    "neighborhood": "自治会・町内会",
    "public_interest": "公益法人",
    "school": "学校",
    "company": "企業",
    "other": "その他",
}


def corporate_number_is_valid(number: str) -> bool:
    """Check a 13-digit 法人番号 by its leading check digit.

    Check digit = 9 - (sum of P_n * Q_n for n = 1..12, mod 9), where P_n is the
    n-th digit of the 12-digit base counted from the right and Q_n is 1 for odd
    n and 2 for even n (法人番号の指定等に関する省令 第2条).
    """
    if not re.fullmatch(r"[0-9]{13}", number or ""):
        return False
    base = number[1:]
    total = sum(int(d) * (2 if n % 2 == 0 else 1) for n, d in enumerate(reversed(base), start=1))
    return int(number[0]) == 9 - total % 9


class Organization(CityOwned, VersionedMixin, TimestampMixin, Base):
    """An organization (団体) that proposes or carries out collaboration projects."""

    __tablename__ = "organization"
    __table_args__ = (
        UniqueConstraint("city_id", "name"),
        CheckConstraint("member_count IS NULL OR member_count >= 0", name="member_count_nonneg"),
        *trigram_indexes("organization", "name", "name_kana"),
    )
    label = "団体"
    search_fields = ("name", "name_kana")

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_kana: Mapped[str] = mapped_column(String(200), default="")
    org_type: Mapped[str] = mapped_column(String(30), default="npo")
    representative: Mapped[str] = mapped_column(String(100), default="")
    postal_code: Mapped[str] = mapped_column(String(8), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    #: 法人番号 (13 digits) for incorporated organizations; empty otherwise.
    corporate_number: Mapped[str] = mapped_column(String(13), default="")
    founded_on: Mapped[dt.date | None]
    member_count: Mapped[int | None]
    #: Fields of activity (活動分野), one per line.
    activity_fields: Mapped[str] = mapped_column(Text, default="")
    #: Track record (活動実績), judged in partner selection.
    activity_record: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")

    @property
    def org_type_label(self) -> str:
        return ORGANIZATION_TYPES.get(self.org_type, self.org_type)

    def __str__(self) -> str:
        return self.name
